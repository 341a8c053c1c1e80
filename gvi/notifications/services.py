"""Custom notifications: a message delivered in person to one individual (by
police and social services together), its outcome and the tasks it calls for.

Scope: a notification belongs to the person's home municipality; users see those
of their own municipalities (``notifications:read``), anything else is the same
404 as a missing id. The notified person must be in the user's scope too.

Audit, in the same transaction as the work: ``notification:read`` for lists and
reads, ``notification:write`` for changes; the tasks a notification creates or
closes write their own ``task:write`` rows (:mod:`gvi.tasks.services`).

Tasks: a planned notification gets a task to carry it out; a delivered or
refused one a follow-up task for social services within the days the
coordinator chose (default :data:`NOTIFICATION_FOLLOW_UP_DAYS`), and the task to
carry it out is done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.services.schedule import callin_scope, scope_ids
from gvi.callins.tables import CallIn, Notification
from gvi.core.clock import local_day
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.forms import NO_SUCH_PERSON, PERSON_CODE, PERSON_CODE_MESSAGE
from gvi.core.listing import audited_page
from gvi.core.sorting import Sorts
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.i18n import gettext
from gvi.notifications.labels import OUTCOME_LABELS
from gvi.people.tables import Person, Protection
from gvi.tasks.services import add_task, complete_linked_tasks
from gvi.tasks.tables import Task

NOTIFICATION_FOLLOW_UP_DAYS = 7
MAX_FOLLOW_UP_DAYS = 90
CODE_PREFIX = re.compile(r"P(-[0-9A-Z]{0,12})?")


@dataclass(frozen=True)
class NotificationRow:
    id: int
    person_id: int
    person_code: str
    municipality: str
    delivered_on: date
    delivered_by: str
    outcome: str
    follow_up_due: date | None


@dataclass(frozen=True)
class NotificationDetail:
    id: int
    version: int
    person_id: int
    person_code: str
    protected: bool
    municipality: str
    delivered_on: date
    delivered_by: str
    outcome: str
    offer_made: str
    follow_up_due: date | None
    tasks: list[tuple[int, str, date, str]]  # id, title, due, status


@dataclass(frozen=True)
class NotificationDraft:
    code: str
    delivered_on: date | None
    delivered_by: str
    outcome: str
    offer_made: str
    follow_up_days: int | None
    # The call-in whose message and promises the notification carries (the promise
    # ledger counts the person's groups as reached by that call-in).
    call_in_id: int | None = None


async def held_callin_choices(principal: Principal) -> list[tuple[str, str]]:
    """Held call-ins in scope, newest first: whose message a notification may carry."""
    rows = (
        await CallIn.select(CallIn.id, CallIn.title, CallIn.starts_at)
        .where(callin_scope(principal) & (CallIn.status == CallIn.Status.held))
        .order_by(CallIn.starts_at, ascending=False)
        .limit(100)
    )
    return [(str(r["id"]), f"{r['title']} ({local_day(r['starts_at']).isoformat()})") for r in rows]


def notification_scope(principal: Principal) -> Any:
    return (
        Notification.municipality.is_in(scope_ids(principal))
        & Notification.archived_at.is_null()
        & Notification.person.archived_at.is_null()
    )


NOTIFICATION_SORTS = Sorts(
    "-when",
    when=Notification.delivered_on,
    code=Notification.person.code,
    by=Notification.delivered_by,
    outcome=Notification.outcome,
    follow_up=Notification.follow_up_due,
)
"""The orders of the notification list (``?sort=``); latest first by default."""


async def list_notifications(
    principal: Principal,
    *,
    code_prefix: str = "",
    outcome: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NotificationRow], int]:
    require(principal, Permission.notifications_read)
    where = notification_scope(principal)
    prefix = code_prefix.strip().upper()
    if prefix and not CODE_PREFIX.fullmatch(prefix):
        prefix = ""  # not a code: a name typed by mistake is never used in a query
    if prefix:
        where = where & Notification.person.code.like(prefix.replace("%", "") + "%")
    if outcome in OUTCOME_LABELS:
        where = where & (Notification.outcome == outcome)
    async with write_transaction(Notification._meta.db):
        rows, total = await audited_page(
            NOTIFICATION_SORTS.apply(
                Notification.select(
                    Notification.id,
                    Notification.person,
                    Notification.person.code.as_alias("code"),
                    Notification.municipality.name.as_alias("municipality_name"),
                    Notification.delivered_on,
                    Notification.delivered_by,
                    Notification.outcome,
                    Notification.follow_up_due,
                ).where(where),
                sort,
                tiebreak=Notification.id,
            )
            .limit(limit)
            .offset(offset),
            Notification.count().where(where),
            action=AuditAction.notification_read,
            actor=principal,
            target_type="notification",
            offset=offset,
        )
    return [
        NotificationRow(
            id=r["id"],
            person_id=r["person"],
            person_code=r["code"],
            municipality=r["municipality_name"],
            delivered_on=r["delivered_on"],
            delivered_by=r["delivered_by"],
            outcome=r["outcome"],
            follow_up_due=r["follow_up_due"],
        )
        for r in rows
    ], total


async def get_notification(principal: Principal, notification_id: int) -> NotificationDetail:
    require(principal, Permission.notifications_read)
    async with write_transaction(Notification._meta.db):
        r = (
            await Notification.select(
                Notification.id,
                Notification.version,
                Notification.person,
                Notification.person.code.as_alias("code"),
                Notification.person.protection.as_alias("protection"),
                Notification.municipality.name.as_alias("municipality_name"),
                Notification.delivered_on,
                Notification.delivered_by,
                Notification.outcome,
                Notification.offer_made,
                Notification.follow_up_due,
            )
            .where(notification_scope(principal) & (Notification.id == notification_id))
            .first()
        )
        if r is None:
            raise NotVisible()
        tasks = (
            await Task.select(Task.id, Task.title, Task.due_on, Task.status)
            .where((Task.notification == notification_id) & Task.archived_at.is_null())
            .order_by(Task.due_on)
        )
        await record(
            AuditAction.notification_read,
            actor=principal,
            target_type="notification",
            target_id=notification_id,
            person_id=r["person"],
        )
    return NotificationDetail(
        id=r["id"],
        version=r["version"],
        person_id=r["person"],
        person_code=r["code"],
        protected=r["protection"] != Protection.none,
        municipality=r["municipality_name"],
        delivered_on=r["delivered_on"],
        delivered_by=r["delivered_by"],
        outcome=r["outcome"],
        offer_made=r["offer_made"],
        follow_up_due=r["follow_up_due"],
        tasks=[(t["id"], t["title"], t["due_on"], t["status"]) for t in tasks],
    )


def _check_notification(draft: NotificationDraft, errors: dict[str, str]) -> None:
    if draft.delivered_on is None:
        errors.setdefault("delivered_on", gettext("Ange datum."))
    if not draft.delivered_by:
        errors.setdefault(
            "delivered_by",
            gettext("Ange vilka som lämnade underrättelsen, t.ex. polis och socialtjänst."),
        )
    elif len(draft.delivered_by) > 200:
        errors.setdefault("delivered_by", gettext("Högst 200 tecken."))
    if draft.outcome not in OUTCOME_LABELS:
        errors.setdefault("outcome", gettext("Välj utfall."))
    if len(draft.offer_made) > 4000:
        errors.setdefault("offer_made", gettext("Högst 4000 tecken."))
    if draft.follow_up_days is None or not 0 <= draft.follow_up_days <= MAX_FOLLOW_UP_DAYS:
        errors.setdefault(
            "follow_up_days",
            gettext("Ange antal dagar till uppföljning, 0–%(max_follow_up_days)s.")
            % {"max_follow_up_days": MAX_FOLLOW_UP_DAYS},
        )


async def _notification_tasks(
    principal: Principal,
    *,
    notification_id: int,
    person_id: int,
    code: str,
    municipality_id: int,
    outcome: str,
    day: date,
    follow_up_days: int,
) -> date | None:
    """The task a notification's outcome calls for; returns the follow-up due date."""
    if outcome == Notification.Outcome.planned:
        await add_task(
            principal,
            title=f"Genomför individuell underrättelse: {code}",
            kind=Task.Kind.custom_notification,
            due_on=day,
            municipality_id=municipality_id,
            person_id=person_id,
            notification_id=notification_id,
            source="notification",
        )
        return None
    if outcome in (Notification.Outcome.delivered, Notification.Outcome.refused) and (
        follow_up_days > 0
    ):
        due = day + timedelta(days=follow_up_days)
        await add_task(
            principal,
            title=f"Uppföljning efter individuell underrättelse: {code}",
            kind=Task.Kind.follow_up,
            due_on=due,
            municipality_id=municipality_id,
            person_id=person_id,
            notification_id=notification_id,
            notes="Erbjud stöd enligt det som sades vid underrättelsen.",
            source="notification",
        )
        return due
    return None


async def create_notification(
    principal: Principal,
    draft: NotificationDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> int:
    """Record a custom notification to a person (by code, in scope) and its task."""
    require(principal, Permission.notifications_write)
    errors = dict(known_errors or {})
    code = draft.code.strip().upper()
    if not PERSON_CODE.fullmatch(code):
        errors.setdefault("code", gettext(PERSON_CODE_MESSAGE))
    _check_notification(draft, errors)
    async with write_transaction(Notification._meta.db):
        person = None
        if "code" not in errors:
            person = (
                await Person.select(Person.id, Person.home_municipality)
                .where(
                    (Person.code == code)
                    & Person.home_municipality.is_in(scope_ids(principal))
                    & Person.archived_at.is_null()
                )
                .first()
            )
            if person is None:
                errors["code"] = gettext(NO_SUCH_PERSON)
        if draft.call_in_id is not None and not await CallIn.exists().where(
            callin_scope(principal)
            & (CallIn.id == draft.call_in_id)
            & (CallIn.status == CallIn.Status.held)
        ):
            errors.setdefault(
                "call_in", gettext("Välj ett genomfört möte i dina kommuner, eller inget.")
            )
        if errors or person is None or draft.delivered_on is None:
            raise FormErrors(errors)
        notification = Notification(
            person=person["id"],
            municipality=person["home_municipality"],
            delivered_on=draft.delivered_on,
            delivered_by=draft.delivered_by,
            outcome=draft.outcome,
            offer_made=draft.offer_made,
            call_in=draft.call_in_id,
            created_by=principal.user_id,
        )
        await notification.save()
        due = await _notification_tasks(
            principal,
            notification_id=notification.id,
            person_id=person["id"],
            code=code,
            municipality_id=person["home_municipality"],
            outcome=draft.outcome,
            day=draft.delivered_on,
            follow_up_days=draft.follow_up_days or 0,
        )
        if due is not None:
            await Notification.update({Notification.follow_up_due: due}).where(
                Notification.id == notification.id
            )
        await record(
            AuditAction.notification_write,
            actor=principal,
            target_type="notification",
            target_id=notification.id,
            person_id=person["id"],
            details={"op": "create", "outcome": draft.outcome},
        )
    return notification.id


async def record_outcome(
    principal: Principal,
    notification_id: int,
    version: int,
    draft: NotificationDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    """Record how a planned notification went; a delivered or refused one gets its
    follow-up task, and the task to carry it out is done."""
    require(principal, Permission.notifications_write)
    errors = dict(known_errors or {})
    _check_notification(draft, errors)
    async with write_transaction(Notification._meta.db):
        row = (
            await Notification.select(
                Notification.id,
                Notification.person,
                Notification.person.code.as_alias("code"),
                Notification.municipality,
                Notification.outcome,
            )
            .where(notification_scope(principal) & (Notification.id == notification_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        if row["outcome"] != Notification.Outcome.planned:
            errors.setdefault("outcome", gettext("Utfallet är redan registrerat."))
        if errors or draft.delivered_on is None:
            raise FormErrors(errors)
        outcome = {
            Notification.outcome: draft.outcome,
            Notification.delivered_on: draft.delivered_on,
            Notification.delivered_by: draft.delivered_by,
            Notification.offer_made: draft.offer_made,
        }
        await versioned_update(Notification, notification_id, version, outcome)
        if draft.outcome != Notification.Outcome.planned:
            await complete_linked_tasks(
                principal,
                notification_id=notification_id,
                kind=Task.Kind.custom_notification,
                source="notification",
            )
        due = None
        if draft.outcome != Notification.Outcome.planned:
            due = await _notification_tasks(
                principal,
                notification_id=notification_id,
                person_id=row["person"],
                code=row["code"],
                municipality_id=row["municipality"],
                outcome=draft.outcome,
                day=draft.delivered_on,
                follow_up_days=draft.follow_up_days or 0,
            )
        if due is not None:
            await Notification.update({Notification.follow_up_due: due}).where(
                Notification.id == notification_id
            )
        await record(
            AuditAction.notification_write,
            actor=principal,
            target_type="notification",
            target_id=notification_id,
            person_id=row["person"],
            details={"op": "outcome", "outcome": draft.outcome},
        )
