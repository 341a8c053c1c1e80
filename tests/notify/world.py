"""Rows the start page, the menu and the digest count, in the operations world:
Egenby (in scope) has one of each, Annanby (out of scope) a copy that must never
be counted. Titles and codes are kept so tests can assert they never leak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gvi.callins.tables import Invitation
from gvi.core.clock import today
from gvi.db import write_transaction
from gvi.tasks import services as tasks
from gvi.tasks.tables import Task
from tests.factories import OpsWorld, build_world, person
from tests.factories import call_in as call_in_row

CALLIN_TITLE = "Call-in Hemliga Gänget Norr"
TASK_TITLE = "Ring upp kontaktpersonen"


@dataclass
class CountWorld:
    world: OpsWorld
    codes: list[str]


async def build_count_world(prefix: str = "n") -> CountWorld:
    world = await build_world(prefix)
    codes: list[str] = []
    for municipality in (world.own, world.other):
        pid, code = await person(world, municipality)
        codes.append(code)
        call_in = await call_in_row(municipality, CALLIN_TITLE)
        await Invitation(call_in=call_in, person=pid, status=Invitation.Status.invited).save()
    outreach = world.principal("outreach")
    async with write_transaction(Task._meta.db):
        for due in (today() - timedelta(days=2), today(), today() + timedelta(days=5)):
            await tasks.add_task(
                outreach,
                title=f"{TASK_TITLE} {codes[0]}",
                kind=Task.Kind.other,
                due_on=due,
                municipality_id=world.own,
                assignee_id=world.user_ids["outreach"],
                source="manual",
            )
    return CountWorld(world, codes)
