"""Tasks: who sees which, creating them from other work, and marking them done.

A task is visible to a user when it lies in one of the user's municipalities and

- it is assigned to the user, or
- it belongs to one of the user's units, or
- it is in the *pool* (no assignee, no unit, no defector case) and its kind is work
  the user's role does: custom notifications for coordinators, outreach contact and
  follow-ups for social services.

So a follow-up the social services hold never shows to the police, and a task
tied to a defector case is seen only by its unit.

A visible task can still name records the user may not see (a Sigtuna worker's
outreach task after a Järfälla call-in). Such a task shows a neutral title instead
of its stored one, no notes (they quote the call-in) and no link to the record
that would answer 404. A follow-up task links to the case it follows up: its own
``defector_case``, else the person's open case the user can see. Tasks may name a person (by
pseudonymous code): listing them writes a ``task:list`` audit row, changing one a
``task:write`` row, in the same transaction.

Other services create tasks inside their own transaction with :func:`add_task`
(after a custom notification, after a call-in, after an incident) and close the
tasks their work has done with :func:`complete_linked_tasks` (a notification's
outcome recorded); both write the ``task:write`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.accounts.tables import Role
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.batch import each_in_one_transaction
from gvi.core.clock import today
from gvi.core.failures import NotVisible
from gvi.core.listing import audited_page
from gvi.core.sorting import Sorts
from gvi.core.textsearch import contains
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.i18n import N_, gettext
from gvi.tasks.labels import TASK_KIND_LABELS
from gvi.tasks.tables import Task

VIEWS = ("all", "mine", "unit", "pool")
STATUSES = ("open", "done", "all")

POOL_KINDS: dict[Role, frozenset[str]] = {
    Role.coordinator: frozenset({Task.Kind.custom_notification}),
    Role.outreach: frozenset({Task.Kind.outreach_contact, Task.Kind.follow_up}),
}


@dataclass(frozen=True)
class TaskRow:
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
    notes: str
    pooled: bool
    case_id: int | None = None


def _mine(principal: Principal) -> Any:
    return Task.assignee == principal.user_id


def _unit(principal: Principal) -> Any:
    return Task.unit.is_in(sorted(principal.unit_ids) or [-1])


def _pool(principal: Principal) -> Any:
    kinds = sorted(POOL_KINDS.get(principal.role, frozenset())) or ["-"]
    return (
        Task.assignee.is_null()
        & Task.unit.is_null()
        & Task.defector_case.is_null()
        & Task.kind.is_in(kinds)
    )


def task_scope(principal: Principal, view: str = "all") -> Any:
    base = Task.municipality.is_in(sorted(principal.municipality_ids) or [-1]) & (
        Task.archived_at.is_null()
    )
    if view == "mine":
        return base & _mine(principal)
    if view == "unit":
        return base & _unit(principal)
    if view == "pool":
        return base & _pool(principal)
    return base & (_mine(principal) | _unit(principal) | _pool(principal))


_COLUMNS = (
    Task.id,
    Task.version,
    Task.title,
    Task.kind,
    Task.status,
    Task.due_on,
    Task.municipality.name.as_alias("municipality_name"),
    Task.assignee,
    Task.assignee.username.as_alias("assignee_name"),
    Task.unit,
    Task.unit.name.as_alias("unit_name"),
    Task.person,
    Task.person.code.as_alias("person_code"),
    Task.person.home_municipality.as_alias("person_municipality"),
    Task.call_in,
    Task.call_in.municipality.as_alias("call_in_municipality"),
    Task.notification,
    Task.notification.municipality.as_alias("notification_municipality"),
    Task.defector_case,
    Task.notes,
)

NEUTRAL_TITLE = N_("%(kind)s (rör uppgifter i en annan kommun)")


@dataclass(frozen=True)
class _Visible:
    """Which linked records of the listed tasks the user may open."""

    cases: dict[int, int]  # task id → case id


async def _visible_links(principal: Principal, rows: list[dict[str, Any]]) -> _Visible:
    # Imported here: the defector service imports nothing of tasks, but keep it that way.
    from gvi.defectors.services import case_scope
    from gvi.defectors.tables import CaseStatus, DefectorCase

    cases: dict[int, int] = {}
    if not principal.can(Permission.cases_read):
        return _Visible(cases)
    own = [r["defector_case"] for r in rows if r["defector_case"]]
    people = [r["person"] for r in rows if r["kind"] == Task.Kind.follow_up and r["person"]]
    if not own and not people:
        return _Visible(cases)
    found = (
        await DefectorCase.select(DefectorCase.id, DefectorCase.person, DefectorCase.status)
        .where(
            case_scope(principal)
            & (DefectorCase.id.is_in(own or [-1]) | DefectorCase.person.is_in(people or [-1]))
        )
        .order_by(DefectorCase.id)
    )
    visible = {c["id"] for c in found}
    open_by_person: dict[int, int] = {}
    for c in found:
        if c["status"] != CaseStatus.closed:
            open_by_person[c["person"]] = c["id"]  # the newest open case
    for r in rows:
        if r["defector_case"] in visible:
            cases[r["id"]] = r["defector_case"]
        elif r["kind"] == Task.Kind.follow_up and r["person"] in open_by_person:
            cases[r["id"]] = open_by_person[r["person"]]
    return _Visible(cases)


def _row(r: dict[str, Any], principal: Principal, on: date, links: _Visible) -> TaskRow:
    scope = principal.municipality_ids
    in_scope = r["person_municipality"] in scope
    call_in_ok = r["call_in"] is not None and (
        r["call_in_municipality"] in scope and principal.can(Permission.callins_read)
    )
    notification_ok = r["notification"] is not None and (
        r["notification_municipality"] in scope and principal.can(Permission.notifications_read)
    )
    hidden = (
        (r["person"] is not None and not in_scope)
        or (r["call_in"] is not None and r["call_in_municipality"] not in scope)
        or (r["notification"] is not None and r["notification_municipality"] not in scope)
    )
    title = (
        gettext(NEUTRAL_TITLE) % {"kind": gettext(TASK_KIND_LABELS.get(r["kind"], r["kind"]))}
        if hidden
        else r["title"]
    )
    return TaskRow(
        id=r["id"],
        version=r["version"],
        title=title,
        kind=r["kind"],
        status=r["status"],
        due_on=r["due_on"],
        overdue=r["status"] == Task.Status.open and r["due_on"] < on,
        municipality=r["municipality_name"],
        assignee=r["assignee_name"],
        unit=r["unit_name"],
        person_code=r["person_code"] if r["person"] and in_scope else None,
        call_in_id=r["call_in"] if call_in_ok else None,
        notification_id=r["notification"] if notification_ok else None,
        notes="" if hidden else r["notes"],
        pooled=r["assignee"] is None and r["unit"] is None,
        case_id=links.cases.get(r["id"]),
    )


TASK_SORTS = Sorts("due", due=Task.due_on, title=Task.title, status=Task.status)
"""The orders of the task list (``?sort=``); earliest due first by default."""


async def list_tasks(
    principal: Principal,
    *,
    view: str = "all",
    status: str = "open",
    search: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TaskRow], int]:
    """Visible tasks, earliest due first (overdue ones lead)."""
    require(principal, Permission.tasks_read)
    view = view if view in VIEWS else "all"
    where = task_scope(principal, view)
    if status == "open":
        where = where & (Task.status == Task.Status.open)
    elif status == "done":
        where = where & (Task.status == Task.Status.done)
    term = search.strip().replace("%", "").replace("_", "")
    if term:
        where = where & contains(Task.title, term)
    on = today()
    async with write_transaction(Task._meta.db):
        rows, total = await audited_page(
            TASK_SORTS.apply(Task.select(*_COLUMNS).where(where), sort, tiebreak=Task.id)
            .limit(limit)
            .offset(offset),
            Task.count().where(where),
            action=AuditAction.task_list,
            actor=principal,
            target_type="task",
            offset=offset,
            details={"view": view},
        )
        links = await _visible_links(principal, rows)
    return [_row(r, principal, on, links) for r in rows], total


async def complete_task(principal: Principal, task_id: int, version: int) -> None:
    """Mark a visible open task done; VersionConflict when it changed meanwhile."""
    require(principal, Permission.tasks_read)
    async with write_transaction(Task._meta.db):
        row = (
            await Task.select(Task.id, Task.version, Task.status, Task.person)
            .where(task_scope(principal) & (Task.id == task_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        if row["status"] == Task.Status.done:
            return
        await versioned_update(Task, task_id, version, {Task.status: Task.Status.done})
        await record(
            AuditAction.task_write,
            actor=principal,
            target_type="task",
            target_id=task_id,
            person_id=row["person"],
            details={"op": "done"},
        )


async def complete_tasks(principal: Principal, items: list[tuple[int, int]]) -> int:
    """Several visible tasks done at once (``(id, version)`` pairs): :func:`complete_task`
    for each in one transaction, so all or none; a ``task:write`` row per task."""
    await each_in_one_transaction(items, lambda item: complete_task(principal, item[0], item[1]))
    return len(items)


async def add_task(
    principal: Principal,
    *,
    title: str,
    kind: Task.Kind,
    due_on: date,
    municipality_id: int,
    person_id: int | None = None,
    call_in_id: int | None = None,
    notification_id: int | None = None,
    assignee_id: int | None = None,
    unit_id: int | None = None,
    notes: str = "",
    source: str = "",
) -> int:
    """Create a task in the caller's write transaction, with its audit row.

    ``source`` is a token for the trail ("notification", "call_in", "incident").
    """
    task = Task(
        title=title[:200],
        kind=kind,
        status=Task.Status.open,
        due_on=due_on,
        municipality=municipality_id,
        assignee=assignee_id,
        unit=unit_id,
        person=person_id,
        call_in=call_in_id,
        notification=notification_id,
        notes=notes,
    )
    await task.save()
    await record(
        AuditAction.task_write,
        actor=principal,
        target_type="task",
        target_id=task.id,
        person_id=person_id,
        details={"op": "create", "kind": str(kind), "source": source},
    )
    return task.id


async def complete_linked_tasks(
    principal: Principal, *, notification_id: int, kind: Task.Kind, source: str
) -> list[int]:
    """Mark done, in the caller's write transaction, the open tasks of ``kind`` that a
    notification's work has done (the task to carry it out, once its outcome is
    recorded), each with its ``task:write`` row. The caller has checked the scope of
    the notification; returns the ids closed."""
    done = await (
        Task.update({Task.status: Task.Status.done, Task.version: Task.version + 1})
        .where(
            (Task.notification == notification_id)
            & (Task.kind == kind)
            & (Task.status == Task.Status.open)
        )
        .returning(Task.id, Task.person)
    )
    for row in done:
        await record(
            AuditAction.task_write,
            actor=principal,
            target_type="task",
            target_id=row["id"],
            person_id=row["person"],
            details={"op": "done", "source": source},
        )
    return [row["id"] for row in done]
