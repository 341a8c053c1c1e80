"""Enforcement actions and the promise ledger: counts, time to first action, who
sees what (police everything, coordinators no detail, social services nothing)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from litestar import Litestar

from gvi.callins import services as callins
from gvi.callins.tables import Promise
from gvi.core.failures import NotVisible
from gvi.enforcement import services
from gvi.incidents import services as incidents
from gvi.incidents.forms import FormErrors, local_moment
from gvi.notifications import services as notifications
from tests.clients import signed_in
from tests.factories import OpsWorld, build_world, group, members

NOTE = "Husrannsakan hos kärnan, hemlig uppgift"
D = date(2024, 3, 1)


async def _incident(world: OpsWorld, day: date, suspected: int) -> int:
    return await incidents.create_incident(
        world.principal("police"),
        incidents.IncidentDraft(
            occurred_at=local_moment(day, time(22, 0)),
            municipality_id=world.own,
            area="",
            place="",
            kind="shooting",
            harm="none",
            motive="",
            suspected_group_ids=[suspected],
            victim_group_ids=[],
        ),
    )


async def _action(
    world: OpsWorld,
    *,
    group_id: int,
    day: date,
    incident: int | None,
    promise: int | None,
    status: str = "done",
    kind: str = "search",
    notes: str = NOTE,
) -> int:
    return await services.create_action(
        world.principal("police"),
        services.ActionDraft(
            group_id=group_id,
            municipality_id=world.own,
            triggering_incident_id=incident,
            promise_id=promise,
            agency="police",
            kind=kind,
            action_date=day,
            status=status,
            notes=notes,
        ),
    )


async def _ledger_world() -> tuple[OpsWorld, int, list[int], dict[str, int]]:
    world = await build_world()
    g = await group("Alfagänget", world.own)
    quiet = await group("Tysta gänget", world.own)
    call_in = await callins.create_callin(
        world.principal("coordinator"),
        callins.CallInDraft(
            title="Call-in våren",
            starts_at=local_moment(D - timedelta(days=30), time(17, 0)),
            ends_at=local_moment(D - timedelta(days=30), time(19, 0)),
            venue="Medborgarhuset",
            municipality_id=world.own,
            capacity=20,
            message="",
            promises=["Hela gruppen får polisens uppmärksamhet.", "Frivården skärper.", "Hjälp."],
        ),
    )
    ((p1, _),) = await members(world, g, 1)
    await callins.invite(world.principal("coordinator"), call_in, [(g, p1)])
    await callins.set_status(world.principal("coordinator"), call_in, 1, "held")
    promises = [
        r["id"]
        for r in await Promise.select(Promise.id)
        .where(Promise.call_in == call_in)
        .order_by(Promise.position)
    ]
    i1 = await _incident(world, D, g)  # answered under promise 1 (and 2)
    i2 = await _incident(world, D + timedelta(days=10), g)
    i3 = await _incident(world, D + timedelta(days=20), g)  # no action: unanswered
    await _incident(world, D + timedelta(days=21), quiet)  # a group not invited: not listed
    return world, call_in, promises, {"i1": i1, "i2": i2, "i3": i3, "group": g}


async def test_promise_ledger_counts_and_time_to_first_action(db: None) -> None:
    world, call_in, (p1, p2, _p3), ids = await _ledger_world()
    g = ids["group"]
    # Promise 1: two actions taken after incident 1 (days 2 and 5), one planned after
    # incident 2 (day 12), one cancelled (never counts).
    await _action(world, group_id=g, day=D + timedelta(days=5), incident=ids["i1"], promise=p1)
    await _action(world, group_id=g, day=D + timedelta(days=2), incident=ids["i1"], promise=p1)
    await _action(
        world,
        group_id=g,
        day=D + timedelta(days=12),
        incident=ids["i2"],
        promise=p1,
        status="planned",
    )
    await _action(
        world,
        group_id=g,
        day=D + timedelta(days=1),
        incident=ids["i1"],
        promise=p1,
        status="cancelled",
    )
    # Promise 2: one action taken 4 days after incident 2; one with no trigger is refused.
    await _action(
        world,
        group_id=g,
        day=D + timedelta(days=14),
        incident=ids["i2"],
        promise=p2,
        kind="probation_check",
    )
    with pytest.raises(FormErrors) as refused:
        await _action(world, group_id=g, day=D + timedelta(days=40), incident=None, promise=p2)
    assert "promise" in refused.value.errors
    ledger = await services.promise_ledger(world.principal("police"), call_in)
    one, two, three = ledger.promises
    # Every promise is triggered by the three incidents of the invited group after the call-in.
    assert (one.incidents, one.actions_taken, one.actions_planned) == (3, 2, 1)
    # First trigger D, first action taken D + 2 → 2 days.
    assert (one.first_trigger, one.first_action, one.days_to_first_action) == (
        D,
        D + timedelta(days=2),
        2,
    )
    assert [(t.incident_day, t.days_to_first_action) for t in one.triggers] == [
        (D, 2),
        (D + timedelta(days=10), None),  # only planned so far
        (D + timedelta(days=20), None),
    ]
    assert one.kept
    # Promise 2: first trigger D, its one action D + 14 (after incident 2: 4 days for it).
    assert (two.incidents, two.actions_taken, two.days_to_first_action) == (3, 1, 14)
    assert [t.days_to_first_action for t in two.triggers] == [None, 4, None]
    assert two.untriggered == []
    assert (three.incidents, three.actions_taken, three.kept) == (3, 0, False)
    assert (ledger.triggered, ledger.kept) == (3, 2)
    # Incident 3 by the invited group has no action under any promise.
    assert [u.incident_day for u in ledger.unanswered] == [D + timedelta(days=20)]
    assert ledger.detail
    assert NOTE in {a.notes for t in one.triggers for a in t.actions}


async def test_coordinators_see_whether_promises_were_kept_but_no_detail(
    app: Litestar,
) -> None:
    world, call_in, (p1, _p2, _p3), ids = await _ledger_world()
    action = await _action(
        world, group_id=ids["group"], day=D + timedelta(days=3), incident=ids["i1"], promise=p1
    )
    ledger = await services.promise_ledger(world.principal("coordinator"), call_in)
    assert not ledger.detail
    (trigger,) = [t for t in ledger.promises[0].triggers if t.actions]
    assert (trigger.incident_id, trigger.days_to_first_action) == (None, 3)
    (seen,) = trigger.actions
    assert (seen.id, seen.agency, seen.notes, seen.kind, seen.day) == (
        None,
        None,
        None,
        "search",
        D + timedelta(days=3),
    )
    async with signed_in(app, world, "coordinator") as client:
        page = await client.get(f"/callins/{call_in}/ledger")
        api = await client.get(f"/api/v1/callins/{call_in}/ledger")
        record = await client.get(f"/enforcement/{action}")
    assert page.status_code == 200
    assert api.status_code == 200
    for body in (page.text, api.text):
        assert NOTE not in body
        assert f"/enforcement/{action}" not in body
        assert f"/incidents/{ids['i1']}" not in body
    assert "Husrannsakan" in page.text  # the kind, in Swedish
    assert api.json()["promises"][0]["days_to_first_action"] == 3
    assert api.json()["promises"][0]["triggers"][0]["actions"][0]["notes"] is None
    assert record.status_code == 404
    async with signed_in(app, world, "police") as client:
        page = await client.get(f"/callins/{call_in}/ledger")
    assert NOTE in page.text
    assert f"/enforcement/{action}" in page.text


async def test_outreach_gets_404_on_enforcement_and_the_ledger(app: Litestar) -> None:
    world, call_in, (p1, _p2, _p3), ids = await _ledger_world()
    action = await _action(
        world, group_id=ids["group"], day=D + timedelta(days=3), incident=ids["i1"], promise=p1
    )
    async with signed_in(app, world, "outreach") as client:
        for path in (
            "/enforcement",
            f"/enforcement/{action}",
            f"/enforcement/{action}/edit",
            "/enforcement/new",
            "/api/v1/enforcement",
            f"/api/v1/enforcement/{action}",
            f"/callins/{call_in}/ledger",
            f"/api/v1/callins/{call_in}/ledger",
        ):
            r = await client.get(path)
            assert r.status_code == 404, path
            assert NOTE not in r.text
        # The call-in itself is theirs to read, without a link to the ledger.
        page = await client.get(f"/callins/{call_in}")
        assert page.status_code == 200
        assert f"/callins/{call_in}/ledger" not in page.text
    with pytest.raises(NotVisible):
        await services.promise_ledger(world.principal("outreach"), call_in)
    with pytest.raises(NotVisible):
        await services.get_action(world.principal("outreach"), action)


async def test_actions_are_scoped_and_checked(db: None) -> None:
    world, call_in, (p1, _p2, _p3), ids = await _ledger_world()
    action = await _action(world, group_id=ids["group"], day=D, incident=ids["i1"], promise=p1)
    with pytest.raises(NotVisible):
        await services.get_action(world.principal("police_other"), action)
    rows, total = await services.list_actions(world.principal("police_other"))
    assert (rows, total) == ([], 0)
    other_group = await group("Annangänget", world.other)
    with pytest.raises(FormErrors) as caught:
        await _action(world, group_id=other_group, day=D, incident=None, promise=None)
    assert "group" in caught.value.errors
    with pytest.raises(NotVisible):
        await services.promise_ledger(world.principal("coordinator_other"), call_in)


async def test_only_incidents_after_the_call_in_by_a_reached_group_trigger(db: None) -> None:
    """Issue 16: an incident the day before the call-in counted as keeping the promise, and
    the form offered every call-in's promises from every municipality."""
    world, call_in, (p1, _p2, _p3), ids = await _ledger_world()
    g = ids["group"]
    before = await _incident(world, D - timedelta(days=31), g)  # the day before the call-in
    quiet = await group("Tysta gänget 2", world.own)
    not_reached = await _incident(world, D + timedelta(days=3), quiet)
    police = world.principal("police")
    # The form offers the call-in's promises for a triggering incident only.
    offered = {c.id for c in await services.promise_choices(police, ids["i1"])}
    assert p1 in offered
    assert await services.promise_choices(police, before) == []
    assert await services.promise_choices(police, not_reached) == []
    # Another municipality's police see none of them.
    assert await services.promise_choices(world.principal("police_other")) == []
    # Saving refuses the pairing, with the reason.
    for incident in (before, not_reached):
        with pytest.raises(FormErrors) as refused:
            await _action(
                world, group_id=g, day=D + timedelta(days=5), incident=incident, promise=p1
            )
        assert "utlöser" in refused.value.errors["promise"]
    # An action dated before its incident does not keep the promise either.
    with pytest.raises(FormErrors) as early:
        await _action(world, group_id=g, day=D - timedelta(days=1), incident=ids["i1"], promise=p1)
    assert "före händelsen" in early.value.errors["action_date"]
    # The same day counts.
    await _action(world, group_id=g, day=D, incident=ids["i1"], promise=p1)
    ledger = await services.promise_ledger(police, call_in)
    assert ledger.promises[0].kept
    why = {c.incident_id: c for c in ledger.considered}
    assert not why[before].triggered
    assert "före mötet" in why[before].reason
    assert not why[not_reached].triggered
    assert "inbjuden" in why[not_reached].reason
    assert why[ids["i1"]].triggered
    assert "Alfagänget" in why[ids["i1"]].reason


async def test_a_call_in_not_held_makes_no_promise(db: None) -> None:
    world = await build_world()
    g = await group("Alfagänget", world.own)
    call_in = await callins.create_callin(
        world.principal("coordinator"),
        callins.CallInDraft(
            title="Inställt möte",
            starts_at=local_moment(D - timedelta(days=30), time(17, 0)),
            ends_at=local_moment(D - timedelta(days=30), time(19, 0)),
            venue="Medborgarhuset",
            municipality_id=world.own,
            capacity=20,
            message="",
            promises=["Hela gruppen får polisens uppmärksamhet."],
        ),
    )
    ((p1, _),) = await members(world, g, 1)
    await callins.invite(world.principal("coordinator"), call_in, [(g, p1)])
    incident = await _incident(world, D, g)
    assert await services.promise_choices(world.principal("police"), incident) == []
    ledger = await services.promise_ledger(world.principal("police"), call_in)
    assert not ledger.held
    assert ledger.triggered == 0
    assert "inte genomfört" in ledger.considered[0].reason


async def test_ledger_page_explains_each_incident(app: Litestar) -> None:
    world, call_in, _promises, ids = await _ledger_world()
    await _incident(world, D - timedelta(days=31), ids["group"])
    async with signed_in(app, world, "police") as client:
        page = await client.get(f"/callins/{call_in}/ledger")
        api = await client.get(f"/api/v1/callins/{call_in}/ledger")
        form = await client.get(f"/enforcement/new?incident={ids['i1']}")
    assert page.status_code == 200
    assert "Utlöser inte: händelsen inträffade före mötet." in page.text
    assert "Utlöser löftena" in page.text
    assert [c["triggered"] for c in api.json()["considered"]] == [False, True, True, True, False]
    assert form.status_code == 200
    assert "Hela gruppen får polisens uppmärksamhet." in form.text


async def test_a_custom_notification_carrying_the_promise_reaches_the_persons_group(
    db: None,
) -> None:
    world, call_in, (p1, _p2, _p3), _ids = await _ledger_world()
    notified_group = await group("Underrättade gänget", world.own)
    ((_pid, code),) = await members(world, notified_group, 1)
    incident = await _incident(world, D + timedelta(days=4), notified_group)
    police = world.principal("police")
    assert await services.promise_choices(police, incident) == []
    await notifications.create_notification(
        world.principal("coordinator"),
        notifications.NotificationDraft(
            code=code,
            delivered_on=D - timedelta(days=20),  # after the call-in, before the incident
            delivered_by="Polis och socialtjänst",
            outcome="delivered",
            offer_made="",
            follow_up_days=0,
            call_in_id=call_in,
        ),
    )
    assert p1 in {c.id for c in await services.promise_choices(police, incident)}
    ledger = await services.promise_ledger(police, call_in)
    why = {c.incident_id: c for c in ledger.considered}
    assert why[incident].triggered
    assert "Underrättade gänget" in why[incident].reason
    # A planned call-in cannot be carried.
    with pytest.raises(FormErrors) as refused:
        await notifications.create_notification(
            world.principal("coordinator"),
            notifications.NotificationDraft(
                code=code,
                delivered_on=D,
                delivered_by="Polis",
                outcome="delivered",
                offer_made="",
                follow_up_days=0,
                call_in_id=999_999,
            ),
        )
    assert "call_in" in refused.value.errors
