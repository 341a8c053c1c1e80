"""Call-ins themselves: scope, lists, one call-in with its speakers, promises,
invite list and reach, planning and editing, status, speakers.

Audit, in the same transaction as the work: reading an invite list or an
attendance sheet writes one ``invitation:read`` row per invitee; call-in changes
``callin:write``. Marking a call-in held proposes outreach contact for everyone
who attended and a custom notification for everyone who did not come (within
:data:`FOLLOW_UP_AFTER_CALLIN_DAYS` days).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx

from gvi.access import linked
from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.forms import MAX_PROMISES, PROMISE_MAX
from gvi.callins.labels import CALLIN_STATUS_LABELS, SPEAKER_ROLE_LABELS
from gvi.callins.services.reach import reach_rows, turf_groups, warning_views
from gvi.callins.services.views import (
    CallInDetail,
    CallInDraft,
    CallInRow,
    Choice,
    InvitationView,
    PromiseView,
    SpeakerView,
)
from gvi.callins.tables import CallIn, CallInSpeaker, Invitation, Promise
from gvi.core import clock
from gvi.core.clock import STOCKHOLM, local_day, today
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.operations import when
from gvi.core.sorting import Sorts
from gvi.core.textsearch import contains
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.i18n import gettext
from gvi.incidents import graphdata
from gvi.municipalities.tables import Municipality
from gvi.networks.risk import invite_warnings
from gvi.people.tables import Protection
from gvi.tasks.services import add_task
from gvi.tasks.tables import Task

FOLLOW_UP_AFTER_CALLIN_DAYS = 7
MAX_CAPACITY = 500


def scope_ids(principal: Principal) -> list[int]:
    return sorted(principal.municipality_ids) or [-1]


def callin_scope(principal: Principal) -> Any:
    return CallIn.municipality.is_in(scope_ids(principal)) & CallIn.archived_at.is_null()


async def municipality_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(scope_ids(principal)) & Municipality.archived_at.is_null())
        .order_by(Municipality.name)
    )
    return [Choice(r["id"], r["name"]) for r in rows]


# --- call-ins: reading ------------------------------------------------------------------


async def _invitation_counts(callin_ids: Sequence[int]) -> dict[int, Counter[str]]:
    if not callin_ids:
        return {}
    rows = await Invitation.select(Invitation.call_in, Invitation.status).where(
        Invitation.call_in.is_in(list(callin_ids)) & Invitation.archived_at.is_null()
    )
    counts: dict[int, Counter[str]] = {}
    for r in rows:
        counts.setdefault(r["call_in"], Counter())[r["status"]] += 1
    return counts


_ROW_COLUMNS = (
    CallIn.id,
    CallIn.title,
    CallIn.starts_at,
    CallIn.ends_at,
    CallIn.venue,
    CallIn.municipality.name.as_alias("municipality_name"),
    CallIn.status,
    CallIn.capacity,
)


def _rows(rows: Sequence[dict[str, Any]], counts: dict[int, Counter[str]]) -> list[CallInRow]:
    return [
        CallInRow(
            id=r["id"],
            title=r["title"],
            starts_at=r["starts_at"],
            ends_at=r["ends_at"],
            venue=r["venue"],
            municipality=r["municipality_name"],
            status=r["status"],
            capacity=r["capacity"],
            invited=sum(counts.get(r["id"], Counter()).values()),
            attended=counts.get(r["id"], Counter())["attended"],
        )
        for r in rows
    ]


CALLIN_SORTS = Sorts(
    "-when", when=CallIn.starts_at, title=CallIn.title, venue=CallIn.venue, status=CallIn.status
)
"""The orders of the call-in list (``?sort=``); latest first by default."""


async def list_callins(
    principal: Principal,
    *,
    search: str = "",
    status: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CallInRow], int]:
    """Call-ins of the user's municipalities, latest first; search in title and venue."""
    require(principal, Permission.callins_read)
    where = callin_scope(principal)
    term = search.strip()
    if term:
        where = where & (contains(CallIn.title, term) | contains(CallIn.venue, term))
    if status in CALLIN_STATUS_LABELS:
        where = where & (CallIn.status == status)
    rows = (
        await CALLIN_SORTS.apply(
            CallIn.select(*_ROW_COLUMNS).where(where), sort, tiebreak=CallIn.id
        )
        .limit(limit)
        .offset(offset)
    )
    total: int = await CallIn.count().where(where)
    return _rows(rows, await _invitation_counts([r["id"] for r in rows])), total


async def upcoming_callins(principal: Principal, *, limit: int = 100) -> list[CallInRow]:
    """Planned call-ins from today on, soonest first (the calendar page)."""
    require(principal, Permission.callins_read)
    start = datetime.combine(today(), datetime.min.time(), tzinfo=STOCKHOLM).astimezone(UTC)
    rows = (
        await CallIn.select(*_ROW_COLUMNS)
        .where(
            callin_scope(principal)
            & (CallIn.status == CallIn.Status.planned)
            & (CallIn.ends_at >= start)
        )
        .order_by(CallIn.starts_at)
        .limit(limit)
    )
    return _rows(rows, await _invitation_counts([r["id"] for r in rows]))


async def callin_row(principal: Principal, callin_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await CallIn.select(
            CallIn.id,
            CallIn.version,
            CallIn.title,
            CallIn.starts_at,
            CallIn.ends_at,
            CallIn.venue,
            CallIn.municipality,
            CallIn.municipality.name.as_alias("municipality_name"),
            CallIn.capacity,
            CallIn.status,
            CallIn.message,
        )
        .where(callin_scope(principal) & (CallIn.id == callin_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def _invitations(principal: Principal, callin_id: int) -> list[InvitationView]:
    rows = (
        await Invitation.select(
            Invitation.id,
            Invitation.person,
            Invitation.person.code.as_alias("code"),
            Invitation.person.home_municipality.as_alias("home"),
            Invitation.person.protection.as_alias("protection"),
            Invitation.group,
            Invitation.group.name.as_alias("group_name"),
            Invitation.status,
            Invitation.override_reason,
        )
        .where(
            (Invitation.call_in == callin_id)
            & Invitation.archived_at.is_null()
            & Invitation.person.archived_at.is_null()
        )
        .order_by(Invitation.group.name)
        .order_by(Invitation.person.code)
    )
    return [
        InvitationView(
            id=r["id"],
            person_id=linked.person_id(principal, r["person"], r["home"]),
            code=linked.person_code(principal, r["code"], r["home"]),
            # Another municipality's person: not even whether they are protected.
            protected=r["protection"] != Protection.none and linked.in_scope(principal, r["home"]),
            group_id=r["group"],
            group=r["group_name"] or "",
            status=r["status"],
            override_reason=r["override_reason"],
            person_ref=r["person"],
        )
        for r in rows
    ]


async def detail_with_graph(
    principal: Principal, callin_id: int, *, audit: bool = True
) -> tuple[CallInDetail, nx.Graph, dict[int, graphdata.GroupInfo]]:
    row = await callin_row(principal, callin_id)
    promises = (
        await Promise.select(Promise.id, Promise.position, Promise.text)
        .where((Promise.call_in == callin_id) & Promise.archived_at.is_null())
        .order_by(Promise.position)
    )
    speakers = (
        await CallInSpeaker.select(
            CallInSpeaker.id, CallInSpeaker.role, CallInSpeaker.name, CallInSpeaker.organisation
        )
        .where((CallInSpeaker.call_in == callin_id) & CallInSpeaker.archived_at.is_null())
        .order_by(CallInSpeaker.id)
    )
    invitations = await _invitations(principal, callin_id)
    day = local_day(row["starts_at"])
    g, infos = await graphdata.signed_graph(day)
    per_group: Counter[int] = Counter(i.group_id for i in invitations if i.group_id is not None)
    groups = sorted(per_group)
    warnings = invite_warnings(
        g, groups, groups, turf_groups(infos, row["municipality"], row["venue"])
    )
    if audit:
        for invitation in invitations:
            await record(
                AuditAction.invitation_read,
                actor=principal,
                target_type="call_in",
                target_id=callin_id,
                person_id=invitation.person_ref,
            )
    detail = CallInDetail(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        venue=row["venue"],
        municipality_id=row["municipality"],
        municipality=row["municipality_name"],
        capacity=row["capacity"],
        status=row["status"],
        message=row["message"],
        promises=[PromiseView(p["id"], p["position"], p["text"]) for p in promises],
        speakers=[SpeakerView(s["id"], s["role"], s["name"], s["organisation"]) for s in speakers],
        invitations=invitations,
        counts=dict(Counter(i.status for i in invitations)),
        reach=reach_rows(g, infos, per_group),
        warnings=warning_views(warnings, infos),
    )
    return detail, g, infos


async def get_callin(principal: Principal, callin_id: int) -> CallInDetail:
    """One call-in with its speakers, promises, invite list (audited) and reach."""
    require(principal, Permission.callins_read)
    async with write_transaction(CallIn._meta.db):
        detail, _g, _infos = await detail_with_graph(principal, callin_id)
    return detail


async def callin_basics(principal: Principal, callin_id: int) -> CallInDetail:
    """The call-in without reading the invite list (no person data: the .ics, forms)."""
    require(principal, Permission.callins_read)
    row = await callin_row(principal, callin_id)
    promises = (
        await Promise.select(Promise.id, Promise.position, Promise.text)
        .where((Promise.call_in == callin_id) & Promise.archived_at.is_null())
        .order_by(Promise.position)
    )
    return CallInDetail(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        venue=row["venue"],
        municipality_id=row["municipality"],
        municipality=row["municipality_name"],
        capacity=row["capacity"],
        status=row["status"],
        message=row["message"],
        promises=[PromiseView(p["id"], p["position"], p["text"]) for p in promises],
        speakers=[],
        invitations=[],
        counts={},
        reach=[],
        warnings=[],
    )


# --- call-ins: writing ------------------------------------------------------------------


def _check_draft(principal: Principal, draft: CallInDraft, errors: dict[str, str]) -> None:
    if not draft.title:
        errors.setdefault(
            "title", gettext("Ge mötet en rubrik, till exempel ”Call-in Järfälla hösten”.")
        )
    elif len(draft.title) > 160:
        errors.setdefault("title", gettext("Högst 160 tecken."))
    if not draft.venue:
        errors.setdefault("venue", gettext("Ange lokalen."))
    elif len(draft.venue) > 200:
        errors.setdefault("venue", gettext("Högst 200 tecken."))
    if draft.municipality_id is None or draft.municipality_id not in principal.municipality_ids:
        errors.setdefault("municipality", gettext("Välj en av dina kommuner."))
    if draft.capacity is None or not 1 <= draft.capacity <= MAX_CAPACITY:
        errors.setdefault(
            "capacity",
            gettext("Ange hur många lokalen rymmer, 1–%(max_capacity)s.")
            % {"max_capacity": MAX_CAPACITY},
        )
    if draft.starts_at and draft.ends_at and draft.ends_at <= draft.starts_at:
        errors.setdefault("end", gettext("Sluttiden måste vara efter starttiden."))
    if draft.starts_at is None:
        errors.setdefault("day", gettext("Ange datum och starttid."))
    if draft.ends_at is None:
        errors.setdefault("end", gettext("Ange sluttid."))
    if len(draft.message) > 4000:
        errors.setdefault("message", gettext("Högst 4000 tecken."))
    if len(draft.promises) > MAX_PROMISES:
        errors.setdefault(
            "promises",
            gettext("Högst %(max_promises)s löften, ett per rad.") % {"max_promises": MAX_PROMISES},
        )
    elif any(len(p) > PROMISE_MAX for p in draft.promises):
        errors.setdefault(
            "promises",
            gettext("Varje löfte får vara högst %(promise_max)s tecken.")
            % {"promise_max": PROMISE_MAX},
        )


async def _set_promises(callin_id: int, lines: Sequence[str]) -> None:
    """Promises by position: changed text updates the line, a removed line is archived
    (an enforcement action may point at it), a new line is added."""
    current = await Promise.select(Promise.id, Promise.position, Promise.text).where(
        (Promise.call_in == callin_id) & Promise.archived_at.is_null()
    )
    by_position = {p["position"]: p for p in current}
    for position, text in enumerate(lines, start=1):
        held = by_position.pop(position, None)
        if held is None:
            await Promise(call_in=callin_id, position=position, text=text).save()
        elif held["text"] != text:
            await Promise.update({Promise.text: text, Promise.version: Promise.version + 1}).where(
                Promise.id == held["id"]
            )
    for gone in by_position.values():
        await Promise.update({Promise.archived_at: clock.now()}).where(Promise.id == gone["id"])


async def create_callin(
    principal: Principal, draft: CallInDraft, *, known_errors: dict[str, str] | None = None
) -> int:
    require(principal, Permission.callins_write)
    errors = dict(known_errors or {})
    _check_draft(principal, draft, errors)
    if errors or draft.starts_at is None or draft.ends_at is None or draft.capacity is None:
        raise FormErrors(errors)
    async with write_transaction(CallIn._meta.db):
        callin = CallIn(
            title=draft.title,
            starts_at=draft.starts_at.astimezone(UTC),
            ends_at=draft.ends_at.astimezone(UTC),
            venue=draft.venue,
            municipality=draft.municipality_id,
            capacity=draft.capacity,
            message=draft.message,
            created_by=principal.user_id,
        )
        await callin.save()
        await _set_promises(callin.id, draft.promises)
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin.id,
            details={"op": "create", "promises": len(draft.promises)},
        )
    return callin.id


async def update_callin(
    principal: Principal,
    callin_id: int,
    version: int,
    draft: CallInDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    require(principal, Permission.callins_write)
    errors = dict(known_errors or {})
    async with write_transaction(CallIn._meta.db):
        await callin_row(principal, callin_id)
        _check_draft(principal, draft, errors)
        if errors or draft.starts_at is None or draft.ends_at is None:
            raise FormErrors(errors)
        await versioned_update(
            CallIn,
            callin_id,
            version,
            {
                CallIn.title: draft.title,
                CallIn.starts_at: draft.starts_at.astimezone(UTC),
                CallIn.ends_at: draft.ends_at.astimezone(UTC),
                CallIn.venue: draft.venue,
                CallIn.municipality: draft.municipality_id,
                CallIn.capacity: draft.capacity,
                CallIn.message: draft.message,
            },
        )
        await _set_promises(callin_id, draft.promises)
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={"op": "update", "promises": len(draft.promises)},
        )


async def set_status(principal: Principal, callin_id: int, version: int, status: str) -> int:
    """Mark a call-in held or cancelled (or planned again). Held: tasks for outreach
    contact (attended) and custom notifications (did not come); returns how many."""
    require(principal, Permission.callins_write)
    if status not in CALLIN_STATUS_LABELS:
        raise FormErrors({"status": gettext("Välj status.")})
    created = 0
    async with write_transaction(CallIn._meta.db):
        row = await callin_row(principal, callin_id)
        if status == CallIn.Status.held:
            require_started(row, "status")
        await versioned_update(CallIn, callin_id, version, {CallIn.status: status})
        if status == CallIn.Status.held and row["status"] != CallIn.Status.held:
            created = await _tasks_after_callin(principal, row)
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={"op": "status", "status": status, "tasks": created},
        )
    return created


# Attendance that only a meeting that has begun can have; invited/confirmed/excused are plans.
ATTENDANCE_AFTER_START = frozenset({Invitation.Status.attended, Invitation.Status.no_show})


def require_started(row: dict[str, Any], field: str) -> None:
    """A call-in is held, and attendance taken, only once it has started (Swedish time):
    the figures count held meetings, so a meeting planned for next month must not be one."""
    if row["starts_at"] > clock.now():
        raise FormErrors(
            {
                field: gettext(
                    "Mötet har inte börjat än (det börjar %(when)s). Det kan markeras som "
                    "genomfört, och närvaro registreras, först när det har börjat. "
                    "Inställt kan det markeras när som helst."
                )
                % {"when": when(row["starts_at"])}
            }
        )


async def _tasks_after_callin(principal: Principal, row: dict[str, Any]) -> int:
    due = max(today(), local_day(row["starts_at"])) + timedelta(days=FOLLOW_UP_AFTER_CALLIN_DAYS)
    invitees = await Invitation.select(
        Invitation.id,
        Invitation.person,
        Invitation.person.code.as_alias("code"),
        Invitation.person.home_municipality.as_alias("municipality"),
        Invitation.status,
    ).where(
        (Invitation.call_in == row["id"])
        & Invitation.archived_at.is_null()
        & Invitation.person.archived_at.is_null()
        & Invitation.status.is_in([Invitation.Status.attended, Invitation.Status.no_show])
    )
    for invitee in invitees:
        attended = invitee["status"] == Invitation.Status.attended
        await add_task(
            principal,
            title=(
                f"Uppsökande kontakt efter call-in: {invitee['code']}"
                if attended
                else f"Individuell underrättelse (kom inte till call-in): {invitee['code']}"
            ),
            kind=Task.Kind.outreach_contact if attended else Task.Kind.custom_notification,
            due_on=due,
            municipality_id=invitee["municipality"],
            person_id=invitee["person"],
            call_in_id=row["id"],
            notes=f"Call-in {local_day(row['starts_at']).isoformat()}: {row['title']}",
            source="call_in",
        )
    return len(invitees)


async def add_speaker(
    principal: Principal, callin_id: int, role: str, name: str, organisation: str
) -> int:
    require(principal, Permission.callins_write)
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    organisation = " ".join(organisation.split())
    if role not in SPEAKER_ROLE_LABELS:
        errors["role"] = gettext("Välj vilken röst talaren är.")
    if not name:
        errors["name"] = gettext("Ange talarens namn eller funktion.")
    elif len(name) > 120:
        errors["name"] = gettext("Högst 120 tecken.")
    if len(organisation) > 160:
        errors["organisation"] = gettext("Högst 160 tecken.")
    async with write_transaction(CallIn._meta.db):
        await callin_row(principal, callin_id)
        if errors:
            raise FormErrors(errors)
        speaker = CallInSpeaker(call_in=callin_id, role=role, name=name, organisation=organisation)
        await speaker.save()
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={"op": "add_speaker", "speaker_id": speaker.id, "role": role},
        )
    return speaker.id


async def remove_speaker(principal: Principal, callin_id: int, speaker_id: int) -> None:
    require(principal, Permission.callins_write)
    async with write_transaction(CallIn._meta.db):
        await callin_row(principal, callin_id)
        changed = (
            await CallInSpeaker.update({CallInSpeaker.archived_at: clock.now()})
            .where(
                (CallInSpeaker.id == speaker_id)
                & (CallInSpeaker.call_in == callin_id)
                & CallInSpeaker.archived_at.is_null()
            )
            .returning(CallInSpeaker.id)
        )
        if not changed:
            raise NotVisible()
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={"op": "remove_speaker", "speaker_id": speaker_id},
        )
