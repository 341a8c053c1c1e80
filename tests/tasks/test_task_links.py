"""Issue 16, rule 6: a task never shows a title, notes or link of a record the user may
not see (a neutral text instead); follow-up tasks link to their case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from litestar import Litestar

from gvi.callins.tables import CallIn
from gvi.db import write_transaction
from gvi.defectors.tables import DefectorCase
from gvi.incidents.forms import today
from gvi.tasks import services
from gvi.tasks.tables import Task
from tests.clients import signed_in
from tests.factories import build_world, person

SECRET_TITLE = "Call-in Annanby hemliga gänget"


async def _call_in(municipality: int) -> int:
    row = CallIn(
        title=SECRET_TITLE,
        starts_at=datetime(2025, 3, 3, 16, tzinfo=UTC),
        ends_at=datetime(2025, 3, 3, 18, tzinfo=UTC),
        venue="Annanby medborgarhus",
        municipality=municipality,
        status=CallIn.Status.held,
    )
    await row.save()
    return int(row.id)


async def test_a_task_after_another_municipalitys_call_in_shows_a_neutral_title(
    app: Litestar,
) -> None:
    world = await build_world()
    outreach = world.principal("outreach")
    other_call_in = await _call_in(world.other)
    own_call_in = await _call_in(world.own)
    pid, code = await person(world)
    async with write_transaction(Task._meta.db):
        for call_in in (other_call_in, own_call_in):
            await services.add_task(
                outreach,
                title=f"Uppsökande kontakt efter call-in: {code}",
                kind=Task.Kind.outreach_contact,
                due_on=today() + timedelta(days=7),
                municipality_id=world.own,
                person_id=pid,
                call_in_id=call_in,
                notes=f"Call-in 2025-03-03: {SECRET_TITLE}",
                source="call_in",
            )
    rows, total = await services.list_tasks(outreach)
    assert total == 2
    hidden, shown = sorted(rows, key=lambda r: r.call_in_id is None, reverse=True)
    assert hidden.call_in_id is None
    assert SECRET_TITLE not in hidden.title
    assert hidden.notes == ""
    assert "annan kommun" in hidden.title
    assert shown.call_in_id == own_call_in
    assert SECRET_TITLE in shown.notes
    async with signed_in(app, world, "outreach") as client:
        page = await client.get("/tasks")
        api = await client.get("/api/v1/tasks")
    assert f"/callins/{other_call_in}" not in page.text
    assert f"/callins/{own_call_in}" in page.text
    assert page.text.count(SECRET_TITLE) == 1  # only the own call-in's task notes
    assert f'"call_in_id":{other_call_in}' not in api.text.replace(" ", "")


async def test_overdue_follow_up_tasks_link_to_their_case(app: Litestar) -> None:
    world = await build_world()
    outreach = world.principal("outreach")
    pid, code = await person(world)
    case = DefectorCase(
        reference="AH-T-0101",
        person=pid,
        municipality=world.own,
        unit=world.units["Socialtjänst Egenby"],
        referral_source=DefectorCase.ReferralSource.self_referral,
        opened_on=date(2025, 1, 1),
    )
    await case.save()
    async with write_transaction(Task._meta.db):
        await services.add_task(
            outreach,
            title=f"Uppföljning efter individuell underrättelse: {code}",
            kind=Task.Kind.follow_up,
            due_on=today() - timedelta(days=3),
            municipality_id=world.own,
            person_id=pid,
            source="notification",
        )
    (row,), _ = await services.list_tasks(outreach)
    assert row.overdue
    assert row.case_id == case.id
    async with signed_in(app, world, "outreach") as client:
        page = await client.get("/tasks")
    assert f'href="/cases/{case.id}"' in page.text
    # The police see the task pool of their own kinds only, and never the case link.
    rows, _ = await services.list_tasks(world.principal("coordinator"))
    assert all(r.case_id is None for r in rows)
