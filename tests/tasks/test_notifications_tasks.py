"""Custom notifications and the tasks they leave; the task list per user and unit
with overdue highlighting."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from litestar import Litestar

from gvi.core.failures import NotVisible
from gvi.incidents.forms import FormErrors, VersionConflict, today
from gvi.notifications import services
from gvi.tasks import services as tasks
from gvi.tasks.tables import Task
from tests.clients import signed_in, token
from tests.factories import OpsWorld, audit_mark, audit_rows, build_world, person


def _draft(code: str, outcome: str, day: date, days: int | None = 7) -> services.NotificationDraft:
    return services.NotificationDraft(
        code=code,
        delivered_on=day,
        delivered_by="Polis och socialtjänst",
        outcome=outcome,
        offer_made="Kontakt med avhopparverksamheten",
        follow_up_days=days,
    )


async def test_delivered_notification_gets_a_follow_up_task_for_outreach(db: None) -> None:
    mark = await audit_mark()
    world = await build_world()
    pid, code = await person(world)
    coordinator = world.principal("coordinator")
    notification_id = await services.create_notification(
        coordinator, _draft(code, "delivered", date(2024, 3, 1), 10)
    )
    (task,) = await Task.select(
        Task.kind, Task.due_on, Task.person, Task.notification, Task.assignee, Task.unit
    )
    assert task == {
        "kind": "follow_up",
        "due_on": date(2024, 3, 11),
        "person": pid,
        "notification": notification_id,
        "assignee": None,
        "unit": None,
    }
    detail = await services.get_notification(coordinator, notification_id)
    assert detail.follow_up_due == date(2024, 3, 11)
    # The pool of follow-ups is social services' work: outreach sees it, police do not.
    outreach_rows, _ = await tasks.list_tasks(world.principal("outreach"))
    assert [t.title for t in outreach_rows] == [
        f"Uppföljning efter individuell underrättelse: {code}"
    ]
    assert outreach_rows[0].overdue  # due in 2024
    assert (await tasks.list_tasks(world.principal("police")))[0] == []
    # Written and read with the person in the trail.
    (write,) = await audit_rows(coordinator.user_id, "notification:write", since=mark)
    assert write["person_id"] == pid
    (read,) = [
        r
        for r in await audit_rows(coordinator.user_id, "notification:read", since=mark)
        if r["person_id"]
    ]
    assert read["person_id"] == pid


async def test_default_follow_up_is_seven_days(db: None) -> None:
    world = await build_world()
    _, code = await person(world)
    await services.create_notification(
        world.principal("coordinator"),
        _draft(code, "refused", date(2024, 5, 28), services.NOTIFICATION_FOLLOW_UP_DAYS),
    )
    (task,) = await Task.select(Task.due_on)
    assert task["due_on"] == date(2024, 6, 4)


async def test_planned_notification_is_a_task_until_its_outcome(db: None) -> None:
    world = await build_world()
    pid, code = await person(world)
    coordinator = world.principal("coordinator")
    day = today() + timedelta(days=2)
    notification_id = await services.create_notification(coordinator, _draft(code, "planned", day))
    (planned,) = await Task.select(Task.kind, Task.due_on, Task.status)
    assert planned == {"kind": "custom_notification", "due_on": day, "status": "open"}
    # A stale version changes nothing.
    with pytest.raises(VersionConflict):
        await services.record_outcome(
            coordinator, notification_id, 99, _draft("", "delivered", day)
        )
    mark = await audit_mark()
    await services.record_outcome(coordinator, notification_id, 1, _draft("", "delivered", day, 3))
    rows = await Task.select(Task.id, Task.kind, Task.due_on, Task.status).order_by(Task.id)
    assert [{k: v for k, v in r.items() if k != "id"} for r in rows] == [
        {"kind": "custom_notification", "due_on": day, "status": "done"},
        {"kind": "follow_up", "due_on": day + timedelta(days=3), "status": "open"},
    ]
    # Closing the task to carry it out is a task change like any other: its own
    # task:write row, with the person, in the same transaction as the outcome.
    writes = await audit_rows(coordinator.user_id, "task:write", since=mark)
    (done,) = [w for w in writes if w["target_id"] == str(rows[0]["id"])]
    assert done["target_type"] == "task"
    assert done["person_id"] == pid
    assert done["details"] == {"op": "done", "source": "notification"}
    (created,) = [w for w in writes if w["target_id"] == str(rows[1]["id"])]
    assert created["details"]["op"] == "create"
    with pytest.raises(FormErrors):
        await services.record_outcome(coordinator, notification_id, 2, _draft("", "refused", day))


async def test_notifications_are_scoped(db: None) -> None:
    world = await build_world()
    _, other_code = await person(world, world.other)
    with pytest.raises(FormErrors) as caught:
        await services.create_notification(
            world.principal("coordinator"), _draft(other_code, "delivered", date(2024, 1, 1))
        )
    assert "code" in caught.value.errors
    _, code = await person(world)
    notification_id = await services.create_notification(
        world.principal("coordinator"), _draft(code, "delivered", date(2024, 1, 1))
    )
    with pytest.raises(NotVisible):
        await services.get_notification(world.principal("coordinator_other"), notification_id)
    with pytest.raises(NotVisible):
        await services.get_notification(world.principal("analyst"), notification_id)


async def _task(world: OpsWorld, title: str, due: date, **links: int | None) -> int:
    row = Task(
        title=title,
        kind=Task.Kind.outreach_contact,
        due_on=due,
        municipality=world.own,
        **links,
    )
    await row.save()
    return int(row.id)


async def test_task_list_highlights_overdue_and_marks_done(app: Litestar) -> None:
    world = await build_world()
    late = await _task(world, "Ring tillbaka om boende", today() - timedelta(days=3))
    fresh = await _task(world, "Uppsökande samtal i veckan", today() + timedelta(days=4))
    mine = await _task(world, "Min egen uppgift", today(), assignee=world.user_ids["outreach"])
    unit = await _task(
        world,
        "Enhetens uppgift",
        today() + timedelta(days=1),
        unit=world.units["Socialtjänst Egenby"],
    )
    police_unit = await _task(world, "Polisens uppgift", today(), unit=world.units["Polis Egenby"])
    async with signed_in(app, world, "outreach") as client:
        page = await client.get("/tasks")
        assert page.status_code == 200
        found = re.findall(r'<li class="task( overdue)?" id="task-(\d+)"', page.text)
        items = {int(task_id): bool(overdue) for overdue, task_id in found}
        assert items == {late: True, fresh: False, mine: False, unit: False}
        assert police_unit not in items
        assert "1 försenad</strong>" in page.text
        assert "Försenad" in page.text
        # The views: assigned to me, my unit, the pool.
        assert f'id="task-{mine}"' in (await client.get("/tasks?view=mine")).text
        unit_page = (await client.get("/tasks?view=unit")).text
        assert f'id="task-{unit}"' in unit_page
        assert f'id="task-{late}"' not in unit_page
        csrf = await token(client, "/tasks")
        r = await client.post(
            f"/tasks/{late}/done",
            data={"csrf_token": csrf, "version": "1", "back": "all"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = await client.get("/tasks")
        assert f'id="task-{late}"' not in page.text
        assert "Uppgiften är klar." in page.text
        # Someone else's unit's task: the same 404 as a missing one.
        r = await client.post(
            f"/tasks/{police_unit}/done",
            data={"csrf_token": csrf, "version": "1"},
            follow_redirects=False,
        )
        assert r.status_code == 404
    (done,) = await Task.select(Task.status).where(Task.id == late)
    assert done["status"] == "done"


async def test_notification_page_round_trip(app: Litestar) -> None:
    world = await build_world()
    _, code = await person(world)
    async with signed_in(app, world, "coordinator") as client:
        csrf = await token(client, "/notifications/new")
        bad = await client.post(
            "/notifications/new",
            data={"csrf_token": csrf, "code": "Anna Andersson", "delivered_on": "2024-02-30",
                  "delivered_by": "Polis", "outcome": "delivered", "offer_made": "Stöd",
                  "follow_up_days": "7"},
            follow_redirects=False,
        )  # fmt: skip
        assert bad.status_code == 400
        assert "Anna Andersson" not in bad.text  # a name typed by mistake is not echoed
        assert 'value="Polis"' in bad.text  # the rest is kept
        assert 'id="delivered_on-error"' in bad.text
        ok = await client.post(
            "/notifications/new",
            data={"csrf_token": csrf, "code": code.lower(), "delivered_on": "2024-02-20",
                  "delivered_by": "Polis", "outcome": "delivered", "offer_made": "Stöd",
                  "follow_up_days": "7"},
            follow_redirects=False,
        )  # fmt: skip
        assert ok.status_code == 303
        page = await client.get(ok.headers["location"])
        assert "Underrättelsen är registrerad" in page.text
        assert "2024-02-27" in page.text
        listing = await client.get("/notifications?code=P-")
        assert code in listing.text
