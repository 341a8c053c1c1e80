"""Tasks: the JSON API under /api/v1/tasks and the task list under /tasks."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.core import rest
from gvi.core.batch import read_selection_versions, ticked
from gvi.core.clock import today
from gvi.core.failures import FormErrors, VersionConflict
from gvi.core.forms import read_version
from gvi.core.paging import PAGE_SIZE, page_offset
from gvi.core.params import PageNumber
from gvi.core.shapes import VersionIn
from gvi.core.web import ops_list, redirect_with_flash
from gvi.i18n import gettext, ngettext
from gvi.tasks import services
from gvi.tasks.forms import BulkDoneForm, DoneForm

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


STATUS_FILTERS = ("open", "done", "all")


def _out(t: services.TaskRow) -> TaskOut:
    return msgspec.convert(t, TaskOut, from_attributes=True)


class TasksApi(Controller):
    path = "/api/v1/tasks"
    tags = ["tasks"]

    @rest.listing("/", opt=READ, name="api.tasks.list")
    async def list_tasks(
        self,
        principal: NamedDependency[Principal],
        window: NamedDependency[rest.Window],
        view: FromQuery[str] = "all",
        status: FromQuery[str] = "open",
        q: FromQuery[str] = "",
    ) -> Response[TaskPage]:
        rows, total = await services.list_tasks(
            principal,
            view=rest.known_value(view, services.VIEWS, "view"),
            status=rest.known_value(status, STATUS_FILTERS, "status"),
            search=q,
            **window.rows,
        )
        return window.page_of(TaskPage, [_out(t) for t in rows], total)

    @post("/{task_id:int}/done", opt=READ, name="api.tasks.done", status_code=200)
    async def complete_task(
        self,
        principal: NamedDependency[Principal],
        task_id: FromPath[int],
        data: JSONBody[VersionIn],
    ) -> VersionIn:
        await services.complete_task(principal, task_id, data.version)
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
        sort: FromQuery[str] = "",
        page: PageNumber = 1,
    ) -> Template:
        return await _task_list(request, principal, view, status, q, page, sort=sort)

    @post("/done", opt=READ, name="tasks.done_selected")
    async def complete_selected(
        self,
        request: AnyRequest,
        principal: NamedDependency[Principal],
        data: URLEncodedBody[BulkDoneForm],
    ) -> Redirect | Template:
        """ "Markera valda som klara": every ticked task, or none of them."""
        back = data.back if data.back in services.VIEWS else "all"
        boxes = ticked(data)
        try:
            done = await services.complete_tasks(principal, read_selection_versions(boxes))
        except (FormErrors, VersionConflict) as exc:
            code = 409 if isinstance(exc, VersionConflict) else 400
            return await _task_list(
                request,
                principal,
                back,
                data.status,
                data.q,
                1,
                error=str(exc),
                code=code,
                ticked=boxes,
            )
        message = ngettext("%(num)s uppgift är klar.", "%(num)s uppgifter är klara.", done)
        return redirect_with_flash(request, f"/tasks?view={back}", message % {"num": done})

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


async def _task_list(
    request: AnyRequest,
    principal: Principal,
    view: str,
    status: str,
    q: str,
    page: int,
    *,
    sort: str = "",
    error: str = "",
    code: int = 200,
    ticked: list[str] | None = None,
) -> Template:
    """The task list; after a refused "Markera valda som klara" with its error and
    the boxes still ticked."""
    view = view if view in services.VIEWS else "all"
    status = status if status in services.STATUSES else "open"
    page_no = max(page, 1)
    rows, total = await _listed(principal, view, status, q, page_no, sort)
    return ops_list(
        request,
        "tasks/list.html",
        "tasks",
        rows,
        total,
        page_no,
        {
            "today": today(),
            "overdue": sum(1 for t in rows if t.overdue),
            "bulk_error": error,
            "ticked": {t.partition(":")[0] for t in ticked or []},
        },
        filters={"view": view, "status": status, "q": q},
        sort=services.TASK_SORTS.parse(sort).param,
        status_code=code,
    )


async def _listed(
    principal: Principal, view: str, status: str, q: str, page: int, sort: str = ""
) -> tuple[list[services.TaskRow], int]:
    """One page of the tasks a list (the API's or the page's) shows."""
    return await services.list_tasks(
        principal,
        view=view,
        status=status,
        search=q,
        sort=sort,
        limit=PAGE_SIZE,
        offset=page_offset(page),
    )


TASK_ROUTES = [TasksApi, TaskPages]
