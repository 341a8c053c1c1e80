"""Call-ins (schedule, speakers, message and promises, invitations chosen by group,
attendance) and custom notifications.

Scope: a call-in belongs to its municipality and a notification to the person's
home municipality; users see those of their own municipalities (``callins:read``,
``notifications:read``), anything else is the same 404 as a missing id. Invitees
and notified people must be in the user's scope too.

Audit, in the same transaction as the work: reading an invite list or an
attendance sheet writes one ``invitation:read`` row per invitee; showing a
group's members in the planner one ``person:list`` row; every invitation change
an ``invitation:write`` row for its person (an overridden rivalry warning says so
in the row's details, the reason itself is in ``Invitation.override_reason``);
call-in changes ``callin:write``; notifications ``notification:read``/``write``.

Planner warnings (DESIGN §3, "choose whom to invite"): before invitations are
saved, :func:`gvi.networks.risk.invite_warnings` runs on the signed graph as of
the call-in's day. A rival group's area "lies between" when its turf is the
venue, read simply: the rival's home municipality is the call-in's municipality,
or the rival's area (e.g. "Norra Exempelby") is named in the venue text. Saving
over a warning needs a written reason (at least ten characters).

Tasks: marking a call-in held proposes outreach contact for everyone who attended
and a custom notification for everyone who did not come (within
:data:`FOLLOW_UP_AFTER_CALLIN_DAYS` days); a delivered or refused custom
notification gets a follow-up task for social services within the days the
coordinator chose (default :data:`NOTIFICATION_FOLLOW_UP_DAYS`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import networkx as nx
from litestar.exceptions import NotFoundException

from gvi.access import linked
from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.forms import MAX_PROMISES, OVERRIDE_MESSAGE, OVERRIDE_MIN, PROMISE_MAX
from gvi.callins.tables import CallIn, CallInSpeaker, Invitation, Notification, Promise
from gvi.core import clock
from gvi.core.versioning import bump_version
from gvi.db import write_transaction
from gvi.groups.tables import Group, Membership
from gvi.i18n import gettext
from gvi.incidents import graphdata
from gvi.incidents.forms import (
    CALLIN_STATUS_LABELS,
    INVITATION_STATUS_LABELS,
    NO_SUCH_PERSON,
    OUTCOME_LABELS,
    PERSON_CODE,
    PERSON_CODE_MESSAGE,
    SPEAKER_ROLE_LABELS,
    STOCKHOLM,
    FormErrors,
    VersionConflict,
    local_day,
    today,
    when,
)
from gvi.municipalities.tables import Municipality
from gvi.networks.risk import InviteWarning, invite_reach, invite_warnings, third_of
from gvi.people.tables import Person, Protection
from gvi.tasks.services import add_task
from gvi.tasks.tables import Task

FOLLOW_UP_AFTER_CALLIN_DAYS = 7
NOTIFICATION_FOLLOW_UP_DAYS = 7
MAX_FOLLOW_UP_DAYS = 90
MAX_CAPACITY = 500
CODE_PREFIX = re.compile(r"P(-[0-9A-Z]{0,12})?")


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class PromiseView:
    id: int
    position: int
    text: str


@dataclass(frozen=True)
class SpeakerView:
    id: int
    role: str
    name: str
    organisation: str


@dataclass(frozen=True)
class InvitationView:
    id: int
    # None, and the code "person i annan kommun", outside the user's scope (gvi.access.linked).
    person_id: int | None
    code: str
    protected: bool
    group_id: int | None
    group: str
    status: str
    override_reason: str
    # The person's id whatever the scope: for the audit row and the planner, never shown.
    person_ref: int = 0


@dataclass(frozen=True)
class ReachRow:
    group_id: int
    name: str
    municipality: str
    level: str
    invited: int
    members: int
    needed: int
    via: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WarningView:
    kind: str
    invited_group_id: int
    invited_group: str
    other_group_id: int
    other_group: str
    other_municipality: str
    intensity: int

    def token(self) -> list[Any]:
        return [self.kind, self.invited_group_id, self.other_group_id]


@dataclass(frozen=True)
class CallInRow:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    municipality: str
    status: str
    capacity: int
    invited: int
    attended: int


@dataclass(frozen=True)
class CallInDetail:
    id: int
    version: int
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    municipality_id: int
    municipality: str
    capacity: int
    status: str
    message: str
    promises: list[PromiseView]
    speakers: list[SpeakerView]
    invitations: list[InvitationView]
    counts: dict[str, int]
    reach: list[ReachRow]
    warnings: list[WarningView]

    @property
    def day(self) -> date:
        return local_day(self.starts_at)


@dataclass(frozen=True)
class CallInDraft:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    venue: str
    municipality_id: int | None
    capacity: int | None
    message: str
    promises: Sequence[str]


@dataclass(frozen=True)
class MemberView:
    person_id: int
    code: str
    protected: bool
    role: str
    invited: bool


@dataclass(frozen=True)
class PlannerGroup:
    id: int
    name: str
    municipality: str
    members: int
    needed: int
    invited: int
    selected: bool
    people: list[MemberView] = field(default_factory=list)


@dataclass(frozen=True)
class PlannerView:
    call_in: CallInDetail
    groups: list[PlannerGroup]
    selected: list[int]
    warnings: list[WarningView]
    existing_warnings: list[WarningView]


class InviteNeedsOverride(Exception):
    """The invite list walks into a rivalry: save only with a written reason."""

    def __init__(self, warnings: list[WarningView], errors: dict[str, str]) -> None:
        super().__init__(gettext(OVERRIDE_MESSAGE))
        self.warnings = warnings
        self.errors = errors


@dataclass(frozen=True)
class InviteResult:
    created: int
    skipped: int
    overridden: bool
    warnings: list[WarningView]


def _engine() -> Any:
    return CallIn._meta.db


def _require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise NotFoundException()


def _scope_ids(principal: Principal) -> list[int]:
    return sorted(principal.municipality_ids) or [-1]


def callin_scope(principal: Principal) -> Any:
    return CallIn.municipality.is_in(_scope_ids(principal)) & CallIn.archived_at.is_null()


def _like(column: Any, term: str) -> Any:
    pattern = "%" + term.replace("%", "").replace("_", "") + "%"
    if _engine().engine_type == "postgres":
        return column.ilike(pattern)
    return column.like(pattern)


async def municipality_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(_scope_ids(principal)) & Municipality.archived_at.is_null())
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


async def list_callins(
    principal: Principal,
    *,
    search: str = "",
    status: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CallInRow], int]:
    """Call-ins of the user's municipalities, latest first; search in title and venue."""
    _require(principal, Permission.callins_read)
    where = callin_scope(principal)
    term = search.strip()
    if term:
        where = where & (_like(CallIn.title, term) | _like(CallIn.venue, term))
    if status in CALLIN_STATUS_LABELS:
        where = where & (CallIn.status == status)
    rows = (
        await CallIn.select(*_ROW_COLUMNS)
        .where(where)
        .order_by(CallIn.starts_at, ascending=False)
        .order_by(CallIn.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    total: int = await CallIn.count().where(where)
    return _rows(rows, await _invitation_counts([r["id"] for r in rows])), total


async def upcoming_callins(principal: Principal, *, limit: int = 100) -> list[CallInRow]:
    """Planned call-ins from today on, soonest first (the calendar page)."""
    _require(principal, Permission.callins_read)
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


async def _callin_row(principal: Principal, callin_id: int) -> dict[str, Any]:
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
        raise NotFoundException()
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


def _turf_groups(
    infos: dict[int, graphdata.GroupInfo], municipality_id: int, venue: str
) -> set[int]:
    """Groups whose turf is the venue: home municipality of the call-in, or an area
    named in the venue text."""
    venue_text = venue.casefold()
    return {
        i.id
        for i in infos.values()
        if i.municipality_id == municipality_id
        or (len(i.area.strip()) >= 3 and i.area.strip().casefold() in venue_text)
    }


def _warning_views(
    warnings: Sequence[InviteWarning], infos: dict[int, graphdata.GroupInfo]
) -> list[WarningView]:
    def name(group_id: int) -> str:
        info = infos.get(group_id)
        return info.name if info else f"grupp {group_id}"

    return [
        WarningView(
            kind=w.kind,
            invited_group_id=w.invited_group,
            invited_group=name(w.invited_group),
            other_group_id=w.other_group,
            other_group=name(w.other_group),
            other_municipality=infos[w.other_group].municipality if w.other_group in infos else "",
            intensity=w.intensity,
        )
        for w in warnings
    ]


def _reach_rows(
    g: nx.Graph, infos: dict[int, graphdata.GroupInfo], invited: Counter[int]
) -> list[ReachRow]:
    rows = []
    for r in invite_reach(g, invited):
        info = infos.get(r.group_id)
        rows.append(
            ReachRow(
                group_id=r.group_id,
                name=info.name if info else f"grupp {r.group_id}",
                municipality=info.municipality if info else "",
                level=r.level,
                invited=r.invited,
                members=r.members,
                needed=r.needed,
                via=[infos[v].name for v in r.via if v in infos],
            )
        )
    return rows


async def _detail(
    principal: Principal, callin_id: int, *, audit: bool = True
) -> tuple[CallInDetail, nx.Graph, dict[int, graphdata.GroupInfo]]:
    row = await _callin_row(principal, callin_id)
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
        g, groups, groups, _turf_groups(infos, row["municipality"], row["venue"])
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
        reach=_reach_rows(g, infos, per_group),
        warnings=_warning_views(warnings, infos),
    )
    return detail, g, infos


async def get_callin(principal: Principal, callin_id: int) -> CallInDetail:
    """One call-in with its speakers, promises, invite list (audited) and reach."""
    _require(principal, Permission.callins_read)
    async with write_transaction(_engine()):
        detail, _g, _infos = await _detail(principal, callin_id)
    return detail


async def callin_basics(principal: Principal, callin_id: int) -> CallInDetail:
    """The call-in without reading the invite list (no person data: the .ics, forms)."""
    _require(principal, Permission.callins_read)
    row = await _callin_row(principal, callin_id)
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
    _require(principal, Permission.callins_write)
    errors = dict(known_errors or {})
    _check_draft(principal, draft, errors)
    if errors or draft.starts_at is None or draft.ends_at is None or draft.capacity is None:
        raise FormErrors(errors)
    async with write_transaction(_engine()):
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


async def _bump(callin_id: int, version: int, values: dict[Any, Any]) -> None:
    if not await bump_version(CallIn, callin_id, version, values):
        raise VersionConflict()


async def update_callin(
    principal: Principal,
    callin_id: int,
    version: int,
    draft: CallInDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    _require(principal, Permission.callins_write)
    errors = dict(known_errors or {})
    async with write_transaction(_engine()):
        await _callin_row(principal, callin_id)
        _check_draft(principal, draft, errors)
        if errors or draft.starts_at is None or draft.ends_at is None:
            raise FormErrors(errors)
        await _bump(
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
    _require(principal, Permission.callins_write)
    if status not in CALLIN_STATUS_LABELS:
        raise FormErrors({"status": gettext("Välj status.")})
    created = 0
    async with write_transaction(_engine()):
        row = await _callin_row(principal, callin_id)
        if status == CallIn.Status.held:
            _require_started(row, "status")
        await _bump(callin_id, version, {CallIn.status: status})
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
_ATTENDANCE_AFTER_START = frozenset({Invitation.Status.attended, Invitation.Status.no_show})


def _require_started(row: dict[str, Any], field: str) -> None:
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
    _require(principal, Permission.callins_write)
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
    async with write_transaction(_engine()):
        await _callin_row(principal, callin_id)
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
    _require(principal, Permission.callins_write)
    async with write_transaction(_engine()):
        await _callin_row(principal, callin_id)
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
            raise NotFoundException()
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={"op": "remove_speaker", "speaker_id": speaker_id},
        )


# --- invitations --------------------------------------------------------------------------


async def _members(
    principal: Principal, group_ids: Sequence[int], day: date
) -> dict[int, list[MemberView]]:
    """Members on ``day`` of each group, people of the user's municipalities only."""
    if not group_ids:
        return {}
    rows = (
        await Membership.select(
            Membership.group,
            Membership.person,
            Membership.person.code.as_alias("code"),
            Membership.person.protection.as_alias("protection"),
            Membership.role,
        )
        .where(
            Membership.group.is_in(list(group_ids))
            & Membership.archived_at.is_null()
            & (Membership.valid_from.is_null() | (Membership.valid_from <= day))
            & (Membership.valid_to.is_null() | (Membership.valid_to > day))
            & Membership.person.archived_at.is_null()
            & Membership.person.home_municipality.is_in(_scope_ids(principal))
        )
        .order_by(Membership.person.code)
    )
    found: dict[int, list[MemberView]] = {}
    seen: set[tuple[int, int]] = set()
    for r in rows:
        key = (r["group"], r["person"])
        if key in seen:
            continue
        seen.add(key)
        found.setdefault(r["group"], []).append(
            MemberView(
                person_id=r["person"],
                code=r["code"],
                protected=r["protection"] != Protection.none,
                role=r["role"],
                invited=False,
            )
        )
    return found


async def _scoped_groups(principal: Principal) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await Group.select(Group.id, Group.name, Group.municipality.name.as_alias("m"))
        .where(Group.municipality.is_in(_scope_ids(principal)) & Group.archived_at.is_null())
        .order_by(Group.name)
    )
    return rows


async def planner(principal: Principal, callin_id: int, group_ids: Sequence[int]) -> PlannerView:
    """The invite planner: the call-in's reach so far, the chosen groups' members and
    the rivalry warnings adding them would raise."""
    _require(principal, Permission.callins_write)
    async with write_transaction(_engine()):
        detail, g, infos = await _detail(principal, callin_id)
        groups = await _scoped_groups(principal)
        known = {r["id"] for r in groups}
        selected = [gid for gid in dict.fromkeys(group_ids) if gid in known]
        members = await _members(principal, selected, detail.day)
        invited_people = {i.person_ref for i in detail.invitations}
        shown = sum(len(v) for v in members.values())
        if shown:
            await record(
                AuditAction.person_list,
                actor=principal,
                target_type="call_in",
                target_id=callin_id,
                details={"count": shown, "group_ids": selected, "purpose": "invite"},
            )
    existing = Counter(i.group_id for i in detail.invitations if i.group_id is not None)
    turf = _turf_groups(infos, detail.municipality_id, detail.venue)
    new_groups = [gid for gid in selected if gid not in existing]
    warnings = invite_warnings(g, sorted(existing), new_groups, turf)
    planner_groups = []
    for r in groups:
        size = int(g.nodes[r["id"]].get("members", 0)) if r["id"] in g else 0
        people = [
            MemberView(m.person_id, m.code, m.protected, m.role, m.person_id in invited_people)
            for m in members.get(r["id"], [])
        ]
        planner_groups.append(
            PlannerGroup(
                id=r["id"],
                name=r["name"],
                municipality=r["m"],
                members=size,
                needed=third_of(size),
                invited=existing.get(r["id"], 0),
                selected=r["id"] in selected,
                people=people,
            )
        )
    return PlannerView(
        call_in=detail,
        groups=planner_groups,
        selected=selected,
        warnings=_warning_views(warnings, infos),
        existing_warnings=detail.warnings,
    )


async def invite(
    principal: Principal,
    callin_id: int,
    picks: Sequence[tuple[int, int]],
    override_reason: str = "",
) -> InviteResult:
    """Invite people as members of a group: ``picks`` are (group id, person id).

    Raises :class:`InviteNeedsOverride` when the new groups walk into a rivalry and
    no reason (at least ten characters) was given; nothing is saved then.
    """
    _require(principal, Permission.callins_write)
    reason = override_reason.strip()
    if len(reason) > 2000:
        raise FormErrors({"override_reason": gettext("Högst 2000 tecken.")})
    if not picks:
        raise FormErrors({"person": gettext("Kryssa i minst en person att bjuda in.")})
    async with write_transaction(_engine()):
        row = await _callin_row(principal, callin_id)
        if row["status"] == CallIn.Status.cancelled:
            raise FormErrors(
                {"person": gettext("Mötet är inställt. Ändra status innan du bjuder in.")}
            )
        day = local_day(row["starts_at"])
        group_ids = sorted({gid for gid, _ in picks})
        members = await _members(principal, group_ids, day)
        valid = {(gid, m.person_id) for gid, ms in members.items() for m in ms}
        if any(pick not in valid for pick in picks):
            raise FormErrors({"person": gettext("Välj personer bland gruppernas medlemmar.")})
        current = await Invitation.select(Invitation.person, Invitation.group).where(
            (Invitation.call_in == callin_id) & Invitation.archived_at.is_null()
        )
        already = {r["person"] for r in current}
        existing_groups = sorted({r["group"] for r in current if r["group"] is not None})
        fresh: dict[int, int] = {}
        for gid, pid in picks:
            if pid not in already and pid not in fresh:
                fresh[pid] = gid
        if len(current) + len(fresh) > row["capacity"]:
            raise FormErrors(
                {
                    "person": gettext(
                        "Lokalen rymmer %(n)s personer; listan skulle bli %(n2)s. Välj färre "
                        "eller ändra kapaciteten."
                    )
                    % {"n": row["capacity"], "n2": len(current) + len(fresh)}
                }
            )
        g, infos = await graphdata.signed_graph(day)
        new_groups = sorted(set(fresh.values()) - set(existing_groups))
        found = invite_warnings(
            g,
            existing_groups,
            new_groups,
            _turf_groups(infos, row["municipality"], row["venue"]),
        )
        warnings = _warning_views(found, infos)
        if warnings and len(reason) < OVERRIDE_MIN:
            raise InviteNeedsOverride(warnings, {"override_reason": gettext(OVERRIDE_MESSAGE)})
        warned_groups = {w.invited_group for w in found} | {w.other_group for w in found}
        for pid, gid in fresh.items():
            overridden = bool(warnings) and gid in warned_groups
            invitation = Invitation(
                call_in=callin_id,
                person=pid,
                group=gid,
                override_reason=reason if overridden else "",
            )
            await invitation.save()
            await record(
                AuditAction.invitation_write,
                actor=principal,
                target_type="call_in",
                target_id=callin_id,
                person_id=pid,
                details={
                    "op": "invite",
                    "invitation_id": invitation.id,
                    "group_id": gid,
                    "override": overridden,
                },
            )
        await record(
            AuditAction.callin_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            details={
                "op": "invite",
                "count": len(fresh),
                "override": bool(warnings),
                "warnings": [w.token() for w in warnings],
            },
        )
    return InviteResult(
        created=len(fresh),
        skipped=len(picks) - len(fresh),
        overridden=bool(warnings),
        warnings=warnings,
    )


async def _invitation_for_write(
    principal: Principal, callin_id: int, invitation_id: int
) -> dict[str, Any]:
    await _callin_row(principal, callin_id)
    row: dict[str, Any] | None = (
        await Invitation.select(Invitation.id, Invitation.person, Invitation.status)
        .where(
            (Invitation.id == invitation_id)
            & (Invitation.call_in == callin_id)
            & Invitation.archived_at.is_null()
            & Invitation.person.home_municipality.is_in(_scope_ids(principal))
        )
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


async def set_invitation_status(
    principal: Principal, callin_id: int, invitation_id: int, status: str
) -> None:
    """Attendance: invited, confirmed, attended, no-show or excused."""
    _require(principal, Permission.callins_write)
    async with write_transaction(_engine()):
        row = await _invitation_for_write(principal, callin_id, invitation_id)
        if status not in INVITATION_STATUS_LABELS:
            raise FormErrors({"status": gettext("Välj en av statusarna.")})
        if status in _ATTENDANCE_AFTER_START:
            _require_started(await _callin_row(principal, callin_id), "status")
        await Invitation.update(
            {Invitation.status: status, Invitation.version: Invitation.version + 1}
        ).where(Invitation.id == invitation_id)
        await record(
            AuditAction.invitation_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            person_id=row["person"],
            details={"op": "status", "invitation_id": invitation_id, "status": status},
        )


async def remove_invitation(principal: Principal, callin_id: int, invitation_id: int) -> None:
    _require(principal, Permission.callins_write)
    async with write_transaction(_engine()):
        row = await _invitation_for_write(principal, callin_id, invitation_id)
        await Invitation.update({Invitation.archived_at: clock.now()}).where(
            Invitation.id == invitation_id
        )
        await record(
            AuditAction.invitation_write,
            actor=principal,
            target_type="call_in",
            target_id=callin_id,
            person_id=row["person"],
            details={"op": "remove", "invitation_id": invitation_id},
        )


# --- custom notifications ----------------------------------------------------------------


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
        Notification.municipality.is_in(_scope_ids(principal))
        & Notification.archived_at.is_null()
        & Notification.person.archived_at.is_null()
    )


async def list_notifications(
    principal: Principal,
    *,
    code_prefix: str = "",
    outcome: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NotificationRow], int]:
    _require(principal, Permission.notifications_read)
    where = notification_scope(principal)
    prefix = code_prefix.strip().upper()
    if prefix and not CODE_PREFIX.fullmatch(prefix):
        prefix = ""  # not a code: a name typed by mistake is never used in a query
    if prefix:
        where = where & Notification.person.code.like(prefix.replace("%", "") + "%")
    if outcome in OUTCOME_LABELS:
        where = where & (Notification.outcome == outcome)
    async with write_transaction(_engine()):
        rows = (
            await Notification.select(
                Notification.id,
                Notification.person,
                Notification.person.code.as_alias("code"),
                Notification.municipality.name.as_alias("municipality_name"),
                Notification.delivered_on,
                Notification.delivered_by,
                Notification.outcome,
                Notification.follow_up_due,
            )
            .where(where)
            .order_by(Notification.delivered_on, ascending=False)
            .order_by(Notification.id, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        total: int = await Notification.count().where(where)
        await record(
            AuditAction.notification_read,
            actor=principal,
            target_type="notification",
            details={"count": len(rows), "offset": offset},
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
    _require(principal, Permission.notifications_read)
    async with write_transaction(_engine()):
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
            raise NotFoundException()
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
    _require(principal, Permission.notifications_write)
    errors = dict(known_errors or {})
    code = draft.code.strip().upper()
    if not PERSON_CODE.fullmatch(code):
        errors.setdefault("code", gettext(PERSON_CODE_MESSAGE))
    _check_notification(draft, errors)
    async with write_transaction(_engine()):
        person = None
        if "code" not in errors:
            person = (
                await Person.select(Person.id, Person.home_municipality)
                .where(
                    (Person.code == code)
                    & Person.home_municipality.is_in(_scope_ids(principal))
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
    _require(principal, Permission.notifications_write)
    errors = dict(known_errors or {})
    _check_notification(draft, errors)
    async with write_transaction(_engine()):
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
            raise NotFoundException()
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
        if not await bump_version(Notification, notification_id, version, outcome):
            raise VersionConflict()
        if draft.outcome != Notification.Outcome.planned:
            await Task.update(
                {Task.status: Task.Status.done, Task.version: Task.version + 1}
            ).where(
                (Task.notification == notification_id)
                & (Task.kind == Task.Kind.custom_notification)
                & (Task.status == Task.Status.open)
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
