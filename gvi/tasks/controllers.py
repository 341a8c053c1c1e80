"""Tasks: the JSON API under /api/v1/tasks and the task list under /tasks."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core.paging import PageNumber
from gvi.core.web import redirect_with_flash
from gvi.i18n import gettext
from gvi.incidents.controllers import PAGE_SIZE, api_error, ops_page, pages_count
from gvi.incidents.forms import VersionConflict, page_number, read_version, today
from gvi.tasks import services
from gvi.tasks.forms import DoneForm

READ = {"permission": Permission.tasks_read}

AnyRequest = Request[Any, Any, Any]


class TaskOut(msgspec.Struct):
    id: int
    version: int
    title: str
    kind: str
    status: str
    due_on: date
    overdue: bool
    municipality: str
    assignee: str | None
    unit: str | None
    person_code: str | None
    call_in_id: int | None
    notification_id: int | None
    case_id: int | None = None  # a follow-up task's case, when the user may open it


class TaskPage(msgspec.Struct):
    items: list[TaskOut]
    total: int
    page: int
    page_size: int


class DoneIn(msgspec.Struct):
    version: int


def _out(t: services.TaskRow) -> TaskOut:
    return TaskOut(
        id=t.id,
        version=t.version,
        title=t.title,
        kind=t.kind,
        status=t.status,
        due_on=t.due_on,
        overdue=t.overdue,
        municipality=t.municipality,
        assignee=t.assignee,
        unit=t.unit,
        person_code=t.person_code,
        call_in_id=t.call_in_id,
        notification_id=t.notification_id,
        case_id=t.case_id,
    )


class TasksApi(Controller):
    path = "/api/v1/tasks"
    tags = ["tasks"]

    @get("/", opt=READ, name="api.tasks.list")
    async def list_tasks(
        self,
        principal: NamedDependency[Principal],
        view: FromQuery[str] = "all",
        status: FromQuery[str] = "open",
        q: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> TaskPage:
        page = page_number(page)
        rows, total = await services.list_tasks(
            principal,
            view=view,
            status=status,
            search=q,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        return TaskPage(items=[_out(t) for t in rows], total=total, page=page, page_size=PAGE_SIZE)

    @post("/{task_id:int}/done", opt=READ, name="api.tasks.done", status_code=200)
    async def complete_task(
        self, principal: NamedDependency[Principal], task_id: FromPath[int], data: JSONBody[DoneIn]
    ) -> DoneIn:
        try:
            await services.complete_task(principal, task_id, data.version)
        except VersionConflict as exc:
            raise api_error(exc) from exc
        return data


class TaskPages(Controller):
    path = "/tasks"
    include_in_schema = False

    @get("/", opt=READ, name="tasks.list")
    async def list_tasks(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        view: FromQuery[str] = "all",
        status: FromQuery[str] = "open",
        q: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        view = view if view in services.VIEWS else "all"
        status = status if status in services.STATUSES else "open"
        page_no = page_number(page)
        rows, total = await services.list_tasks(
            principal,
            view=view,
            status=status,
            search=q,
            limit=PAGE_SIZE,
            offset=(page_no - 1) * PAGE_SIZE,
        )
        return ops_page(
            request,
            "tasks/list.html",
            {
                "tasks": rows,
                "total": total,
                "view": view,
                "status": status,
                "q": q,
                "page": page_no,
                "pages": pages_count(total),
                "today": today(),
                "overdue": sum(1 for t in rows if t.overdue),
            },
        )

    @post("/{task_id:int}/done", opt=READ, name="tasks.done")
    async def complete_task(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        task_id: FromPath[int],
        data: URLEncodedBody[DoneForm],
    ) -> Redirect:
        back = data.back if data.back in services.VIEWS else "all"
        try:
            await services.complete_task(principal, task_id, read_version(data.version))
        except VersionConflict as exc:
            return redirect_with_flash(request, f"/tasks?view={back}", str(exc), "error")
        return redirect_with_flash(request, f"/tasks?view={back}", gettext("Uppgiften är klar."))


TASK_ROUTES = [TasksApi, TaskPages]
