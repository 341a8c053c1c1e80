"""Call-ins: the rivalry warning before invitations are saved (and its override),
reach, attendance and the tasks a held call-in leaves, the .ics export, scoping
and audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from litestar import Litestar

from gvi.callins import services
from gvi.callins.tables import Invitation
from gvi.core.failures import NotVisible
from gvi.incidents.forms import local_moment, today
from gvi.tasks.tables import Task
from tests.clients import signed_in, token
from tests.conftest import MovableClock
from tests.factories import OpsWorld, audit_mark, audit_rows, build_world, group, members, relation

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def _callin(
    world: OpsWorld,
    *,
    day: date | None = None,
    venue: str = "Medborgarhuset",
    start: time = time(17, 0),
    end: time = time(19, 0),
    capacity: int = 20,
) -> int:
    day = day or today() + timedelta(days=14)
    return await services.create_callin(
        world.principal("coordinator"),
        services.CallInDraft(
            title="Call-in Egenby",
            starts_at=local_moment(day, start),
            ends_at=local_moment(day, end),
            venue=venue,
            municipality_id=world.own,
            capacity=capacity,
            message="Våldet måste upphöra.",
            promises=["Nästa grupp som skjuter får hela vår uppmärksamhet.", "Hjälp finns."],
        ),
    )


async def _invitations(call_in_id: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = await Invitation.select(
        Invitation.person, Invitation.group, Invitation.override_reason
    ).where((Invitation.call_in == call_in_id) & Invitation.archived_at.is_null())
    return rows


async def test_rival_invitees_warn_before_saving_and_allies_do_not(db: None) -> None:
    world = await build_world()
    coordinator = world.principal("coordinator")
    a = await group("Alfagänget", world.own)
    b = await group("Betagänget", world.own)
    c = await group("Cirkeln", world.own)
    await relation(a, b, "rivalry", intensity=4)
    await relation(a, c, "alliance", intensity=3)
    call_in = await _callin(world)
    a_people = await members(world, a, 3)
    b_people = await members(world, b, 2)
    c_people = await members(world, c, 2)
    # Allies A and C: no warning (B, A's rival, is in another world: its turf is the venue's
    # municipality, so it is moved out of the way first).
    await _move_out(b, world.other)
    result = await services.invite(
        coordinator, call_in, [(a, a_people[0][0]), (c, c_people[0][0]), (c, c_people[1][0])]
    )
    assert (result.created, result.warnings, result.overridden) == (3, [], False)
    assert all(r["override_reason"] == "" for r in await _invitations(call_in))
    # B back in the venue's municipality and invited: the rivalry with A warns and
    # nothing is saved.
    await _move_out(b, world.own)
    with pytest.raises(services.InviteNeedsOverride) as caught:
        await services.invite(coordinator, call_in, [(b, b_people[0][0])])
    (warning,) = caught.value.warnings
    assert (warning.kind, {warning.invited_group_id, warning.other_group_id}) == (
        "rival_invitees",
        {a, b},
    )
    assert len(await _invitations(call_in)) == 3
    # A reason that is too short is refused too.
    with pytest.raises(services.InviteNeedsOverride):
        await services.invite(coordinator, call_in, [(b, b_people[0][0])], "för att")


async def _move_out(group_id: int, municipality: int) -> None:
    from gvi.groups.tables import Group

    await Group.update({Group.municipality: municipality}).where(Group.id == group_id)


async def test_override_with_a_reason_saves_and_is_audited(db: None) -> None:
    mark = await audit_mark()
    world = await build_world()
    coordinator = world.principal("coordinator")
    a = await group("Alfagänget", world.own)
    b = await group("Betagänget", world.own)
    await relation(a, b, "rivalry", intensity=2)
    call_in = await _callin(world)
    (a1,) = await members(world, a, 1)
    (b1,) = await members(world, b, 1)
    reason = "Båda sidor ska höra budskapet samtidigt; polisen finns på plats."
    result = await services.invite(coordinator, call_in, [(a, a1[0]), (b, b1[0])], reason)
    assert result.overridden
    assert result.created == 2
    assert {r["override_reason"] for r in await _invitations(call_in)} == {reason}
    writes = await audit_rows(coordinator.user_id, "invitation:write", since=mark)
    assert sorted(r["person_id"] for r in writes) == sorted([a1[0], b1[0]])
    assert all(r["details"]["override"] is True for r in writes)
    (summary,) = [
        r
        for r in await audit_rows(coordinator.user_id, "callin:write", since=mark)
        if r["details"].get("op") == "invite"
    ]
    assert summary["details"]["warnings"] == [["rival_invitees", min(a, b), max(a, b)]]
    # The reason is in the invitation, never in the trail.
    assert reason not in str(writes) + str(summary)


async def test_rival_whose_area_is_the_venue_warns(db: None) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    d = await group("Deltagänget", world.other, area="Norra Exempelby")
    await relation(a, d, "rivalry", intensity=3)
    (a1,) = await members(world, a, 1)
    elsewhere = await _callin(world, venue="Stadshuset")
    result = await services.invite(world.principal("coordinator"), elsewhere, [(a, a1[0])])
    assert result.warnings == []
    inside = await _callin(world, venue="Fritidsgården i Norra Exempelby")
    with pytest.raises(services.InviteNeedsOverride) as caught:
        await services.invite(world.principal("coordinator"), inside, [(a, a1[0])])
    (warning,) = caught.value.warnings
    assert (warning.kind, warning.invited_group_id, warning.other_group_id) == (
        "rival_turf",
        a,
        d,
    )


async def test_planner_shows_reach_and_members_in_scope(db: None) -> None:
    mark = await audit_mark()
    world = await build_world()
    coordinator = world.principal("coordinator")
    a = await group("Alfagänget", world.own)
    c = await group("Cirkeln", world.own)
    await relation(a, c, "alliance", intensity=2)
    a_people = await members(world, a, 6)
    await members(world, c, 3)
    call_in = await _callin(world)
    await services.invite(coordinator, call_in, [(a, p) for p, _ in a_people[:2]])
    view = await services.planner(coordinator, call_in, [a])
    reach = {r.group_id: r for r in view.call_in.reach}
    # 2 of 6 is a third: the whole group hears it; its ally C hears it second-hand.
    assert (reach[a].level, reach[a].needed) == ("full", 2)
    assert reach[c].level == "via_ally"
    (shown,) = [g for g in view.groups if g.id == a]
    assert sorted(m.code for m in shown.people) == sorted(code for _, code in a_people)
    assert sum(m.invited for m in shown.people) == 2
    (listed,) = await audit_rows(coordinator.user_id, "person:list", since=mark)
    assert listed["details"]["count"] == 6


async def test_attendance_and_held_call_in_create_tasks(db: None) -> None:
    mark = await audit_mark()
    world = await build_world()
    coordinator = world.principal("coordinator")
    a = await group("Alfagänget", world.own)
    people = await members(world, a, 3)
    call_in = await _callin(world, day=today() - timedelta(days=1))
    await services.invite(coordinator, call_in, [(a, p) for p, _ in people])
    detail = await services.get_callin(coordinator, call_in)
    statuses = ["attended", "no_show", "excused"]
    for invitation, status in zip(detail.invitations, statuses, strict=True):
        await services.set_invitation_status(coordinator, call_in, invitation.id, status)
    created = await services.set_status(coordinator, call_in, detail.version, "held")
    assert created == 2
    rows = await Task.select(Task.kind, Task.due_on, Task.person).order_by(Task.kind)
    by_person = {r["person"]: r for r in rows}
    attended = detail.invitations[0].person_id
    no_show = detail.invitations[1].person_id
    assert by_person[attended]["kind"] == "outreach_contact"
    assert by_person[no_show]["kind"] == "custom_notification"
    assert {r["due_on"] for r in rows} == {today() + timedelta(days=7)}
    # Reading the call-in wrote one invitation:read row per invitee.
    reads = await audit_rows(coordinator.user_id, "invitation:read", since=mark)
    assert sorted(r["person_id"] for r in reads) == sorted(p for p, _ in people)
    with pytest.raises(NotVisible):
        await services.get_callin(world.principal("coordinator_other"), call_in)


async def test_capacity_is_respected(db: None) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    people = await members(world, a, 3)
    call_in = await _callin(world, capacity=2)
    with pytest.raises(services.FormErrors):
        await services.invite(world.principal("coordinator"), call_in, [(a, p) for p, _ in people])


@pytest.mark.parametrize(
    ("day", "offset_hours"),
    [(date(2031, 7, 3), 2), (date(2031, 1, 16), 1)],
    ids=["summer-CEST", "winter-CET"],
)
async def test_ics_carries_stockholm_times(app: Litestar, day: date, offset_hours: int) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    ((pid, code),) = await members(world, a, 1)
    call_in = await _callin(world, day=day, start=time(17, 30), end=time(19, 0))
    await services.add_speaker(
        world.principal("coordinator"), call_in, "police", "Greta Talarsson", ""
    )
    await services.invite(world.principal("coordinator"), call_in, [(a, pid)])
    async with signed_in(app, world, "police") as client:
        r = await client.get(f"/callins/{call_in}/event.ics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    cal = Calendar.from_ical(r.content)
    (event,) = cal.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.hour, start.minute, end.hour) == (17, 30, 19)
    assert (
        str(start.tzinfo) == "Europe/Stockholm"
        or getattr(start.tzinfo, "key", "") == "Europe/Stockholm"
    )
    assert start.utcoffset() == timedelta(hours=offset_hours)
    assert start.astimezone(UTC) == datetime(
        day.year, day.month, day.day, 17 - offset_hours, 30, tzinfo=UTC
    )
    assert b"DTSTART;TZID=Europe/Stockholm:" in r.content
    assert b"BEGIN:VTIMEZONE" in r.content
    # The installation's host name (the first of GVI_ALLOWED_HOSTS in the tests).
    assert str(event["UID"]) == f"call-in-{call_in}@testserver.local"
    assert str(event["SUMMARY"]) == "Call-in Egenby"
    assert str(event["LOCATION"]) == "Medborgarhuset, Järfälla"
    # No person data: neither the invitee's code nor the speaker's name.
    assert code.encode() not in r.content
    assert b"Talarsson" not in r.content
    assert b"ATTENDEE" not in r.content


async def test_ics_of_another_municipality_is_missing(app: Litestar) -> None:
    world = await build_world()
    call_in = await _callin(world)
    async with signed_in(app, world, "coordinator_other") as client:
        r = await client.get(f"/callins/{call_in}/event.ics")
    assert r.status_code == 404


async def test_calendar_lists_upcoming_call_ins(app: Litestar) -> None:
    world = await build_world()
    soon = await _callin(world, day=today() + timedelta(days=3))
    await _callin(world, day=today() - timedelta(days=30))
    async with signed_in(app, world, "outreach") as client:
        page = await client.get("/callins/calendar")
    assert page.status_code == 200
    assert f"/callins/{soon}/event.ics" in page.text
    assert page.text.count("event.ics") == 1


async def test_invite_page_warns_and_keeps_the_selection(app: Litestar) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    b = await group("Betagänget", world.own)
    await relation(a, b, "rivalry", intensity=5)
    ((a1, _),) = await members(world, a, 1)
    ((b1, _),) = await members(world, b, 1)
    call_in = await _callin(world)
    async with signed_in(app, world, "coordinator") as client:
        page = await client.get(f"/callins/{call_in}/invite?group={a}&group={b}")
        assert "Varning innan du sparar" in page.text
        csrf = await token(client, f"/callins/{call_in}/invite")
        body = {"csrf_token": csrf, "group": [str(a), str(b)], "person": [f"{a}:{a1}", f"{b}:{b1}"]}
        r = await client.post(f"/callins/{call_in}/invite", data=body, follow_redirects=False)
        assert r.status_code == 400
        assert "aktiv rivalitet" in r.text
        assert f'value="{a}:{a1}" checked' in r.text
        assert await _invitations(call_in) == []
        body["override_reason"] = "Medlingsmöte med båda sidor, extra polis på plats."
        r = await client.post(f"/callins/{call_in}/invite", data=body, follow_redirects=False)
        assert r.status_code == 303
        shown = await client.get(f"/callins/{call_in}")
        assert "Varningen om rivalitet är åsidosatt" in shown.text
        assert "Medlingsmöte med båda sidor" in shown.text
    assert len(await _invitations(call_in)) == 2


async def test_held_and_attendance_only_once_started_cancel_any_time(
    db: None, move_clock: MovableClock
) -> None:
    """Issue 16: a call-in six weeks ahead was marked held, attendance recorded, tasks
    created and the figures counted it. Now: refused until it starts (Swedish time)."""
    from gvi.callins.tables import CallIn
    from gvi.reports.queries import Scope
    from gvi.reports.queries import callins as held_figures

    world = await build_world()
    coordinator = world.principal("coordinator")
    a = await group("Alfagänget", world.own)
    people = await members(world, a, 2)
    day = today() + timedelta(weeks=6)
    call_in = await _callin(world, day=day, start=time(17, 0))
    await services.invite(coordinator, call_in, [(a, p) for p, _ in people])
    detail = await services.get_callin(coordinator, call_in)
    first = detail.invitations[0].id
    with pytest.raises(services.FormErrors) as refused:
        await services.set_status(coordinator, call_in, detail.version, "held")
    assert "Mötet har inte börjat än" in refused.value.errors["status"]
    for status in ("attended", "no_show"):
        with pytest.raises(services.FormErrors):
            await services.set_invitation_status(coordinator, call_in, first, status)
    # Plans are fine before: confirmed and excused.
    await services.set_invitation_status(coordinator, call_in, first, "confirmed")
    assert await Task.count() == 0
    # One minute before the start (Swedish wall clock): still refused.
    move_clock.set(local_moment(day, time(16, 59)))
    with pytest.raises(services.FormErrors):
        await services.set_status(coordinator, call_in, detail.version, "held")
    move_clock.set(local_moment(day, time(17, 0)))
    await services.set_invitation_status(coordinator, call_in, first, "attended")
    assert await services.set_status(coordinator, call_in, detail.version, "held") == 1
    row = await CallIn.select(CallIn.status).where(CallIn.id == call_in).first()
    assert row is not None
    assert row["status"] == "held"
    # Cancelling a future meeting works at any time.
    later = await _callin(world, day=day + timedelta(weeks=4))
    later_detail = await services.get_callin(coordinator, later)
    await services.set_status(coordinator, later, later_detail.version, "cancelled")
    figures = await held_figures(Scope(municipality_ids=(world.own,)))
    assert sum(r["held"] for r in figures) == 1
