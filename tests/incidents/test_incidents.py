"""Incidents: scoping, audit of linked people, optimistic locking, and the
retaliation-risk alert with its proposed custom-notification tasks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from gvi.access.tables import Alert
from gvi.core.failures import NotVisible
from gvi.incidents import services
from gvi.incidents.forms import FormErrors, VersionConflict, local_moment, today
from gvi.tasks import services as tasks
from gvi.tasks.tables import Task
from tests.factories import OpsWorld, audit_mark, audit_rows, build_world, group, person, relation


def _draft(
    world: OpsWorld, *, days_ago: int, victims: list[int], suspected: list[int]
) -> services.IncidentDraft:
    return services.IncidentDraft(
        occurred_at=local_moment(today() - timedelta(days=days_ago), time(21, 30)),
        municipality_id=world.own,
        area="Centrum",
        place="Parkeringen",
        kind="shooting",
        harm="injured",
        motive="Revir",
        suspected_group_ids=suspected,
        victim_group_ids=victims,
    )


async def _alert(incident_id: int) -> dict[str, object]:
    for row in await Alert.select(Alert.details).where(Alert.kind == Alert.Kind.retaliation_risk):
        details = json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]
        if details["incident_id"] == incident_id:
            return dict(details)
    raise AssertionError("no retaliation alert")


async def test_incident_ranks_retaliation_risk_and_proposes_notifications(db: None) -> None:
    world = await build_world()
    victim = await group("Offergänget", world.own)
    suspect = await group("Skyttegänget", world.own)
    rival = await group("Rivalgänget", world.other)
    ally = await group("Vänskapsgänget", world.own)
    await relation(victim, suspect, "rivalry", intensity=4)
    await relation(victim, rival, "rivalry", intensity=2)
    await relation(victim, ally, "alliance", intensity=1)
    police = world.principal("police")
    incident_id = await services.create_incident(
        police, _draft(world, days_ago=2, victims=[victim], suspected=[suspect])
    )
    details = await _alert(incident_id)
    day = today() - timedelta(days=2)
    # suspect 5.0; victim 4.0; rival of the victim at intensity 2: 2.0 + 1.0 = 3.0;
    # ally of the victim at intensity 1: 1.5 + 0.25 = 1.75.
    assert [(r["group_id"], r["score"]) for r in details["ranking"]] == [  # type: ignore[index, union-attr]
        (suspect, 5.0),
        (victim, 4.0),
        (rival, 3.0),
        (ally, 1.75),
    ]
    assert (
        details["open_until"]
        == (day + timedelta(days=services.RETALIATION_WINDOW_DAYS)).isoformat()
    )
    assert details["window_days"] == 125
    # The three groups scoring at least 3.0 get a proposed custom notification each,
    # in the group's own municipality, due within PROPOSAL_DUE_DAYS.
    assert details["proposed"] == [suspect, victim, rival]
    proposed = await Task.select(Task.title, Task.kind, Task.due_on, Task.municipality).where(
        Task.kind == Task.Kind.custom_notification
    )
    assert len(proposed) == 3
    assert {t["municipality"] for t in proposed} == {world.own, world.other}
    assert all(t["due_on"] == today() + timedelta(days=3) for t in proposed)
    # Coordinators of the municipality see the proposals in their pool; the police do not.
    coordinator_rows, _ = await tasks.list_tasks(world.principal("coordinator"), view="pool")
    assert sorted(t.title for t in coordinator_rows) == [
        "Överväg individuella underrättelser: Offergänget",
        "Överväg individuella underrättelser: Skyttegänget",
    ]
    police_rows, _ = await tasks.list_tasks(police)
    assert police_rows == []
    # The page view: the ranking with names, and the alert open.
    detail = await services.get_incident(police, incident_id)
    assert detail.risk is not None
    assert detail.risk.is_open
    assert [r.name for r in detail.risk.ranking][:2] == ["Skyttegänget", "Offergänget"]
    # Editing the incident ranks again but does not propose the same groups twice.
    await services.update_incident(
        police,
        incident_id,
        detail.version,
        _draft(world, days_ago=2, victims=[victim], suspected=[suspect]),
    )
    assert await Task.count().where(Task.kind == Task.Kind.custom_notification) == 3


async def test_risk_alert_is_open_for_the_window_only(db: None) -> None:
    world = await build_world()
    victim = await group("Offergänget", world.own)
    suspect = await group("Skyttegänget", world.own)
    await relation(victim, suspect, "rivalry", intensity=3)
    police = world.principal("police")
    recent = await services.create_incident(
        police, _draft(world, days_ago=10, victims=[victim], suspected=[suspect])
    )
    old = await services.create_incident(
        police, _draft(world, days_ago=126, victims=[victim], suspected=[suspect])
    )
    open_ids = [r.incident_id for r in await services.open_risks(police)]
    assert open_ids == [recent]
    old_detail = await services.get_incident(police, old)
    assert old_detail.risk is not None
    assert not old_detail.risk.is_open
    # The old incident's window had closed when it was recorded: nothing proposed for it.
    assert (await _alert(old))["proposed"] == []
    # Recent incidents count: the earlier incident (116 days before) is outside 90 days,
    # so the recent one's groups carry no recent-incident bonus.
    ranking = (await _alert(recent))["ranking"]
    assert all(r["recent"] == 0 for r in ranking)  # type: ignore[index, union-attr]


async def test_other_municipality_is_missing(db: None) -> None:
    world = await build_world()
    incident_id = await services.create_incident(
        world.principal("police"), _draft(world, days_ago=1, victims=[], suspected=[])
    )
    with pytest.raises(NotVisible):
        await services.get_incident(world.principal("police_other"), incident_id)
    with pytest.raises(NotVisible):
        await services.review_incident(
            world.principal("police_other"), incident_id, 1, "reviewed", ""
        )
    # Coordinators have no incidents:read: the same 404.
    with pytest.raises(NotVisible):
        await services.get_incident(world.principal("coordinator"), incident_id)
    rows, total = await services.list_incidents(world.principal("police_other"))
    assert (rows, total) == ([], 0)


async def test_linked_people_are_audited_on_read_and_write(db: None) -> None:
    mark = await audit_mark()
    world = await build_world()
    police = world.principal("police")
    incident_id = await services.create_incident(
        police, _draft(world, days_ago=1, victims=[], suspected=[])
    )
    pid, code = await person(world)
    link_id = await services.link_person(police, incident_id, code, "victim")
    (write,) = [
        r for r in await audit_rows(police.user_id, "incident:write", since=mark) if r["person_id"]
    ]
    assert (write["person_id"], write["target_id"]) == (pid, str(incident_id))
    assert write["details"] == {"op": "link_person", "role": "victim"}
    detail = await services.get_incident(police, incident_id)
    assert [p.code for p in detail.people] == [code]
    reads = await audit_rows(police.user_id, "incident:read", since=mark)
    assert [r["person_id"] for r in reads if r["target_id"] == str(incident_id)] == [pid]
    await services.unlink_person(police, incident_id, link_id)
    unlinks = [
        r
        for r in await audit_rows(police.user_id, "incident:write", since=mark)
        if r["details"].get("op") == "unlink_person"
    ]
    assert [r["person_id"] for r in unlinks] == [pid]


async def test_person_outside_scope_and_unknown_code_answer_alike(db: None) -> None:
    world = await build_world()
    police = world.principal("police")
    incident_id = await services.create_incident(
        police, _draft(world, days_ago=1, victims=[], suspected=[])
    )
    _, other_code = await person(world, world.other)
    messages = []
    for code in (other_code, "P-ZZZZ"):
        with pytest.raises(FormErrors) as caught:
            await services.link_person(police, incident_id, code, "suspect")
        messages.append(caught.value.errors["code"])
    assert messages[0] == messages[1]
    with pytest.raises(FormErrors) as caught:
        await services.link_person(police, incident_id, "Anna Andersson", "suspect")
    assert "Anna" not in caught.value.errors["code"]


async def test_stale_version_is_a_conflict(db: None) -> None:
    world = await build_world()
    police = world.principal("police")
    incident_id = await services.create_incident(
        police, _draft(world, days_ago=1, victims=[], suspected=[])
    )
    await services.review_incident(police, incident_id, 1, "in_review", "Första genomgång")
    with pytest.raises(VersionConflict):
        await services.review_incident(police, incident_id, 1, "reviewed", "Gammal vy")
    detail = await services.get_incident(police, incident_id)
    assert (detail.review_status, detail.version) == ("in_review", 2)


async def test_incident_in_the_future_is_refused(db: None) -> None:
    world = await build_world()
    draft = _draft(world, days_ago=0, victims=[], suspected=[])
    future = services.IncidentDraft(
        **{**draft.__dict__, "occurred_at": datetime.now(tz=UTC) + timedelta(days=2)}
    )
    with pytest.raises(FormErrors) as caught:
        await services.create_incident(world.principal("police"), future)
    assert "occurred_on" in caught.value.errors
