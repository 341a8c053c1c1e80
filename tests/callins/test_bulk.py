"""Bulk actions on a call-in: "Alla närvarande", the ticked people attended, and
"Ta bort valda" for invitations; all or none, an ``invitation:write`` row each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar

from gvi.callins import services
from gvi.callins.tables import Invitation
from gvi.core.failures import FormErrors, NotVisible
from gvi.incidents.forms import today
from tests.callins.test_callins import _callin
from tests.clients import signed_in, token
from tests.factories import OpsWorld, audit_mark, audit_rows, build_world, group, members


async def _held_with(
    world: OpsWorld, n: int, *, days: int = -1, name: str = "Alfagänget"
) -> tuple[int, list[int]]:
    """A call-in ``days`` from today with ``n`` invitees; their invitation ids."""
    coordinator = world.principal("coordinator")
    a = await group(name, world.own)
    people = await members(world, a, n)
    call_in = await _callin(world, day=today() + timedelta(days=days))
    await services.invite(coordinator, call_in, [(a, p) for p, _ in people])
    detail = await services.get_callin(coordinator, call_in)
    return call_in, [i.id for i in detail.invitations]


async def _statuses(call_in: int) -> dict[int, str]:
    rows = await Invitation.select(Invitation.id, Invitation.status).where(
        (Invitation.call_in == call_in) & Invitation.archived_at.is_null()
    )
    return {r["id"]: r["status"] for r in rows}


async def test_all_present_marks_those_without_an_outcome(db: None) -> None:
    world = await build_world()
    coordinator = world.principal("coordinator")
    call_in, (a, b, c) = await _held_with(world, 3)
    await services.set_invitation_status(coordinator, call_in, c, "excused")
    mark = await audit_mark()
    assert await services.mark_all_attended(coordinator, call_in) == 2
    assert await _statuses(call_in) == {a: "attended", b: "attended", c: "excused"}
    rows = await audit_rows(coordinator.user_id, "invitation:write", since=mark)
    assert sorted(r["details"]["invitation_id"] for r in rows) == sorted([a, b])
    assert {r["details"]["status"] for r in rows} == {"attended"}
    # Another municipality's coordinator: the same 404 as a missing call-in.
    with pytest.raises(NotVisible):
        await services.mark_all_attended(world.principal("coordinator_other"), call_in)


async def test_attendance_of_the_ticked_is_all_or_none(db: None) -> None:
    world = await build_world()
    coordinator = world.principal("coordinator")
    call_in, (a, b) = await _held_with(world, 2)
    assert await services.set_invitation_statuses(coordinator, call_in, [a], "attended") == 1
    mark = await audit_mark()
    with pytest.raises(NotVisible):
        await services.set_invitation_statuses(coordinator, call_in, [b, a + b + 1000], "attended")
    assert await _statuses(call_in) == {a: "attended", b: "invited"}
    assert await audit_rows(coordinator.user_id, "invitation:write", since=mark) == []
    # Before the meeting has started nobody can have attended.
    later, (d,) = await _held_with(world, 1, days=10, name="Betagänget")
    with pytest.raises(FormErrors):
        await services.set_invitation_statuses(coordinator, later, [d], "attended")


async def test_invitations_are_removed_together(db: None) -> None:
    world = await build_world()
    coordinator = world.principal("coordinator")
    call_in, (a, b, c) = await _held_with(world, 3, days=10)
    mark = await audit_mark()
    assert await services.remove_invitations(coordinator, call_in, [a, c]) == 2
    assert await _statuses(call_in) == {b: "invited"}
    rows = await audit_rows(coordinator.user_id, "invitation:write", since=mark)
    assert sorted(r["details"]["invitation_id"] for r in rows) == sorted([a, c])
    assert {r["details"]["op"] for r in rows} == {"remove"}
    with pytest.raises(NotVisible):
        await services.remove_invitations(world.principal("coordinator_other"), call_in, [b])
    assert await _statuses(call_in) == {b: "invited"}


async def test_the_pages_run_the_bulk_actions(app: Litestar) -> None:
    world = await build_world()
    call_in, (a, b, c) = await _held_with(world, 3)
    async with signed_in(app, world, "coordinator") as client:
        page = await client.get(f"/callins/{call_in}/attendance")
        assert page.status_code == 200
        assert "Alla närvarande" in page.text
        assert f'value="{a}" form="attendance-bulk"' in page.text
        assert f'data-save="/api/v1/callins/{call_in}/invitations/{a}/status"' in page.text
        csrf = await token(client, f"/callins/{call_in}/attendance")
        r = await client.post(
            f"/callins/{call_in}/attendance", data={"csrf_token": csrf, "scope": "selected"}
        )
        assert r.status_code == 400
        assert "Kryssa i minst en rad först." in r.text
        r = await client.post(
            f"/callins/{call_in}/attendance",
            data={"csrf_token": csrf, "scope": "selected", "selected": [str(a)]},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert (
            "1 person är markerad som deltagare." in (await client.get(r.headers["location"])).text
        )
        r = await client.post(
            f"/callins/{call_in}/attendance",
            data={"csrf_token": csrf, "scope": "all"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert set((await _statuses(call_in)).values()) == {"attended"}
        # "Ta bort valda" needs the box ticked, as one at a time does.
        r = await client.post(
            f"/callins/{call_in}/invitations/remove",
            data={"csrf_token": csrf, "selected": [str(b), str(c)]},
        )
        assert r.status_code == 400
        assert len(await _statuses(call_in)) == 3
        r = await client.post(
            f"/callins/{call_in}/invitations/remove",
            data={"csrf_token": csrf, "selected": [str(b), str(c)], "confirm": "yes"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "2 inbjudningar är borttagna." in (await client.get(f"/callins/{call_in}")).text
        assert await _statuses(call_in) == {a: "attended"}
