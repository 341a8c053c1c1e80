""" "Markera valda som klara": several tasks done at once, all or none, one audit
row per task, scoped like one at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar

from gvi.audit.events import AuditAction
from gvi.core.batch import read_selection, read_selection_versions
from gvi.core.failures import FormErrors, NotVisible, VersionConflict
from gvi.incidents.forms import today
from gvi.tasks import services
from gvi.tasks.tables import Task
from tests.clients import signed_in, token
from tests.factories import audit_mark, audit_rows, build_world
from tests.tasks.test_notifications_tasks import _task


async def _statuses(*ids: int) -> dict[int, str]:
    rows = await Task.select(Task.id, Task.status).where(Task.id.is_in(list(ids)))
    return {r["id"]: r["status"] for r in rows}


def test_the_selection_is_read_strictly() -> None:
    assert read_selection_versions(["3:1", "5:2", "3:4"]) == [(3, 1), (5, 2)]
    assert read_selection("7") == [7]
    for bad in ([], "", ["x:1"], ["1:-2"], ["0"], [str(n) for n in range(1, 202)]):
        with pytest.raises(FormErrors) as caught:
            read_selection_versions(bad)
        assert "selected" in caught.value.errors


async def test_several_tasks_are_done_in_one_go_each_audited(db: None) -> None:
    world = await build_world()
    a = await _task(world, "Ring tillbaka", today())
    b = await _task(world, "Samtal i veckan", today() + timedelta(days=2))
    left = await _task(world, "Blir kvar", today())
    who = world.principal("outreach")
    mark = await audit_mark()
    assert await services.complete_tasks(who, [(a, 1), (b, 1)]) == 2
    assert await _statuses(a, b, left) == {a: "done", b: "done", left: "open"}
    rows = await audit_rows(who.user_id, AuditAction.task_write, since=mark)
    assert sorted(int(r["target_id"]) for r in rows) == sorted([a, b])
    assert all(r["details"]["op"] == "done" for r in rows)


async def test_one_bad_task_leaves_the_whole_batch_undone(db: None) -> None:
    world = await build_world()
    a = await _task(world, "Ring tillbaka", today())
    b = await _task(world, "Samtal i veckan", today())
    police = await _task(world, "Polisens", today(), unit=world.units["Polis Egenby"])
    who = world.principal("outreach")
    mark = await audit_mark()
    # Another unit's task: the same 404 as one at a time, and the first is not done.
    with pytest.raises(NotVisible):
        await services.complete_tasks(who, [(a, 1), (police, 1)])
    # A task changed since the list was shown.
    with pytest.raises(VersionConflict):
        await services.complete_tasks(who, [(a, 1), (b, 9)])
    assert await _statuses(a, b, police) == {a: "open", b: "open", police: "open"}
    assert await audit_rows(who.user_id, AuditAction.task_write, since=mark) == []


async def test_the_list_marks_the_ticked_tasks_done(app: Litestar) -> None:
    world = await build_world()
    a = await _task(world, "Ring tillbaka", today())
    b = await _task(world, "Samtal i veckan", today())
    async with signed_in(app, world, "outreach") as client:
        page = await client.get("/tasks")
        assert 'action="/tasks/done"' in page.text
        assert f'value="{a}:1" form="tasks-bulk"' in page.text
        csrf = await token(client, "/tasks")
        # Nothing ticked: 400, a Swedish message, the list still there.
        r = await client.post("/tasks/done", data={"csrf_token": csrf, "back": "all"})
        assert r.status_code == 400
        assert "Kryssa i minst en rad först." in r.text
        assert f'id="task-{a}"' in r.text
        # A stale version: 409, nothing done, the boxes stay ticked.
        r = await client.post(
            "/tasks/done", data={"csrf_token": csrf, "selected": [f"{a}:1", f"{b}:5"]}
        )
        assert r.status_code == 409
        assert f'value="{a}:1" form="tasks-bulk" checked' in r.text
        assert await _statuses(a, b) == {a: "open", b: "open"}
        # Without the CSRF token nothing happens.
        r = await client.post("/tasks/done", data={"selected": [f"{a}:1"]})
        assert r.status_code == 403
        r = await client.post(
            "/tasks/done",
            data={"csrf_token": csrf, "selected": [f"{a}:1", f"{b}:1"], "back": "all"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = await client.get("/tasks")
        assert "2 uppgifter är klara." in page.text
    assert await _statuses(a, b) == {a: "done", b: "done"}
