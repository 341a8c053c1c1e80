"""What is waiting for a user: the counts of the start page, the menu and the daily
digest, each one scoped count query built on its domain's own scope (``task_scope``,
``callin_scope``, ``notification_scope``, ``incident_scope``, ``case_scope``,
``offer_scope``), so a row outside the user's scope is never counted.

Counts only: no code, name or title leaves this module, so the digest can carry
its answer as it is. Which items a user gets follows from the permissions, never
from comparing roles (architecture §4.1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.access.tables import Alert
from gvi.accounts.tables import User
from gvi.audit.events import AuditAction
from gvi.audit.tables import AuditEvent
from gvi.callins.services.schedule import callin_scope
from gvi.callins.tables import CallIn, Invitation, Notification
from gvi.core import clock
from gvi.core.clock import STOCKHOLM, today
from gvi.defectors.services.common import case_scope
from gvi.defectors.tables import DefectorCase
from gvi.enforcement.tables import EnforcementAction
from gvi.enforcement.triggers import triggered_promises
from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.i18n import N_
from gvi.incidents import retaliation
from gvi.incidents.services import incident_scope
from gvi.incidents.tables import Incident
from gvi.networks.loading import in_municipalities
from gvi.notifications.services import notification_scope
from gvi.support.services.common import offer_scope
from gvi.support.tables import OfferStatus, SupportOffer
from gvi.tasks.services import task_scope
from gvi.tasks.tables import Task

# An offer still running without a change for this long is listed as stale.
STALE_OFFER_DAYS = 30
_RUNNING_OFFERS = [OfferStatus.offered, OfferStatus.accepted, OfferStatus.started]


@dataclass(frozen=True)
class Count:
    """One line of the start page and the digest: ``label`` is the Swedish source
    text (translated where it is shown), ``href`` a path of this app or empty."""

    key: str
    label: str
    count: int
    href: str = ""


@dataclass(frozen=True)
class _Item:
    key: str
    label: str
    href: str
    allowed: Callable[[Principal], bool]
    count: Callable[[Principal, datetime | None], Awaitable[int]]
    # Where a user without the link's permission lands (the count alone is shown).
    href_permission: Permission | None = None


def _day_start() -> datetime:
    return datetime.combine(today(), datetime.min.time(), tzinfo=STOCKHOLM).astimezone(UTC)


# --- tasks -------------------------------------------------------------------------------


def _open_tasks(principal: Principal) -> Any:
    return task_scope(principal, "mine") & (Task.status == Task.Status.open)


async def _tasks_overdue(principal: Principal, _since: datetime | None) -> int:
    n: int = await Task.count().where(_open_tasks(principal) & (Task.due_on < today()))
    return n


async def _tasks_due_today(principal: Principal, _since: datetime | None) -> int:
    n: int = await Task.count().where(_open_tasks(principal) & (Task.due_on == today()))
    return n


async def tasks_waiting(principal: Principal) -> int:
    """The user's own open tasks due today or earlier: the menu's "Uppgifter (n)"."""
    if not principal.can(Permission.tasks_read):
        return 0
    n: int = await Task.count().where(_open_tasks(principal) & (Task.due_on <= today()))
    return n


# --- call-ins and notifications --------------------------------------------------------


def _upcoming(principal: Principal) -> Any:
    return (
        callin_scope(principal)
        & (CallIn.status == CallIn.Status.planned)
        & (CallIn.ends_at >= _day_start())
    )


async def _callins_upcoming(principal: Principal, _since: datetime | None) -> int:
    n: int = await CallIn.count().where(_upcoming(principal))
    return n


async def _invitations_unanswered(principal: Principal, _since: datetime | None) -> int:
    n: int = await Invitation.count().where(
        Invitation.archived_at.is_null()
        & (Invitation.status == Invitation.Status.invited)
        & Invitation.call_in.is_in(CallIn.select(CallIn.id).where(_upcoming(principal)))
    )
    return n


async def _notifications_due(principal: Principal, _since: datetime | None) -> int:
    n: int = await Notification.count().where(
        notification_scope(principal)
        & (Notification.outcome == Notification.Outcome.planned)
        & (Notification.delivered_on <= today())
    )
    return n


# --- incidents and enforcement ---------------------------------------------------------


async def _watches_open(principal: Principal, _since: datetime | None) -> int:
    """Incidents in scope with a retaliation watch still open (their latest alert)."""
    rows = await Alert.select(Alert.details).where(
        (Alert.kind == Alert.Kind.retaliation_risk)
        & WhereRaw(f"{retaliation.detail_field('open_until')} >= {{}}", today().isoformat())
    )
    found = (retaliation.alert_details(r["details"]).get("incident_id") for r in rows)
    ids = sorted({i for i in found if isinstance(i, int)})
    if not ids:
        return 0
    n: int = await Incident.count().where(incident_scope(principal) & Incident.id.is_in(ids))
    return n


async def _incidents_unreviewed(principal: Principal, _since: datetime | None) -> int:
    n: int = await Incident.count().where(
        incident_scope(principal) & (Incident.review_status != Incident.ReviewStatus.reviewed)
    )
    return n


async def _promises_not_acted_on(principal: Principal, _since: datetime | None) -> int:
    """Promises an incident in scope triggered with no enforcement for that incident."""
    triggered = await triggered_promises(principal)
    if not triggered:
        return 0
    acted = await EnforcementAction.select(
        EnforcementAction.promise, EnforcementAction.triggering_incident
    ).where(
        EnforcementAction.archived_at.is_null() & EnforcementAction.promise.is_in(sorted(triggered))
    )
    done = {(r["promise"], r["triggering_incident"]) for r in acted}
    return sum(
        1
        for promise, incidents in triggered.items()
        if any((promise, i) not in done for i in incidents)
    )


# --- cases and offers ------------------------------------------------------------------


async def _cases_follow_up_due(principal: Principal, _since: datetime | None) -> int:
    due = Task.select(Task.defector_case).where(
        Task.archived_at.is_null()
        & (Task.status == Task.Status.open)
        & (Task.kind == Task.Kind.follow_up)
        & (Task.due_on <= today())
    )
    n: int = await DefectorCase.count().where(case_scope(principal) & DefectorCase.id.is_in(due))
    return n


async def _offers_stale(principal: Principal, _since: datetime | None) -> int:
    n: int = await SupportOffer.count().where(
        offer_scope(principal)
        & SupportOffer.status.is_in(_RUNNING_OFFERS)
        & (SupportOffer.updated_at < clock.now() - timedelta(days=STALE_OFFER_DAYS))
    )
    return n


# --- the network -----------------------------------------------------------------------


async def _network_changes(principal: Principal, since: datetime | None) -> int:
    """Groups, relations and memberships of groups in scope changed since ``since``
    (the last visit of the start page; never visited: the last week)."""
    after = since or clock.now() - timedelta(days=7)
    groups = Group.select(Group.id).where(in_municipalities(principal.municipality_ids))
    total = 0
    changed_groups: int = await Group.count().where(
        in_municipalities(principal.municipality_ids) & (Group.updated_at > after)
    )
    total += changed_groups
    relations: int = await GroupRelation.count().where(
        GroupRelation.archived_at.is_null()
        & GroupRelation.source_group.is_in(groups)
        & (GroupRelation.updated_at > after)
    )
    total += relations
    members: int = await Membership.count().where(
        Membership.archived_at.is_null()
        & Membership.group.is_in(groups)
        & (Membership.updated_at > after)
    )
    return total + members


# --- administration --------------------------------------------------------------------


async def alerts_open(principal: Principal, _since: datetime | None = None) -> int:
    """Unacknowledged alerts: the admin menu's "Aviseringar (n)"."""
    if not principal.can(Permission.alerts_read):
        return 0
    n: int = await Alert.count().where(Alert.acknowledged_at.is_null())
    return n


async def _users_locked(principal: Principal, _since: datetime | None) -> int:
    n: int = await User.count().where(
        User.archived_at.is_null() & (User.locked_until > clock.now())
    )
    return n


async def _events_unverified(principal: Principal, _since: datetime | None) -> int:
    """Audit events written since the trail was last verified (all if never)."""
    last = (
        await AuditEvent.select(AuditEvent.seq)
        .where(AuditEvent.action == AuditAction.audit_verify)
        .order_by(AuditEvent.seq, ascending=False)
        .first()
    )
    after = last["seq"] if last else 0
    n: int = await AuditEvent.count().where(AuditEvent.seq > after)
    return n


def _can(permission: Permission) -> Callable[[Principal], bool]:
    return lambda principal: principal.can(permission)


def _any(*permissions: Permission) -> Callable[[Principal], bool]:
    return lambda principal: any(principal.can(p) for p in permissions)


P = Permission

ITEMS: tuple[_Item, ...] = (
    _Item(
        "tasks_overdue",
        N_("Mina försenade uppgifter"),
        "/tasks?view=mine",
        _can(P.tasks_read),
        _tasks_overdue,
    ),
    _Item(
        "tasks_due",
        N_("Mina uppgifter att göra i dag"),
        "/tasks?view=mine",
        _can(P.tasks_read),
        _tasks_due_today,
    ),
    _Item(
        "callins_upcoming",
        N_("Kommande call-ins"),
        "/callins/calendar",
        _can(P.callins_write),
        _callins_upcoming,
    ),
    _Item(
        "invitations_unanswered",
        N_("Inbjudningar utan svar"),
        "/callins",
        _can(P.callins_write),
        _invitations_unanswered,
    ),
    _Item(
        "notifications_due",
        N_("Underrättelser att lämna"),
        "/notifications",
        _can(P.notifications_write),
        _notifications_due,
    ),
    _Item(
        "watches_open",
        N_("Öppna bevakningar om hämnd"),
        "/incidents/risks",
        _any(P.incidents_read, P.callins_write),
        _watches_open,
        href_permission=P.incidents_read,
    ),
    _Item(
        "promises_triggered",
        N_("Utlösta löften utan åtgärd"),
        "/enforcement",
        _can(P.enforcement_write),
        _promises_not_acted_on,
    ),
    _Item(
        "incidents_unreviewed",
        N_("Händelser som väntar på granskning"),
        "/incidents",
        _can(P.incidents_write),
        _incidents_unreviewed,
    ),
    _Item(
        "cases_follow_up",
        N_("Ärenden med uppföljning att göra"),
        "/cases",
        _can(P.cases_read),
        _cases_follow_up_due,
    ),
    _Item(
        "offers_stale",
        N_("Erbjudanden utan ändring på 30 dagar"),
        "/offers",
        _can(P.offers_write),
        _offers_stale,
    ),
    _Item(
        "network_changes",
        N_("Ändringar i nätverket sedan ditt senaste besök"),
        "/network",
        _can(P.network_read),
        _network_changes,
    ),
    _Item(
        "alerts_open",
        N_("Okvitterade aviseringar"),
        "/admin/alerts",
        _can(P.alerts_read),
        alerts_open,
    ),
    _Item("users_locked", N_("Låsta konton"), "/admin/users", _can(P.users_manage), _users_locked),
    _Item(
        "audit_unverified",
        N_("Händelser i granskningsloggen sedan senaste kontrollen"),
        "/admin/audit",
        _can(P.audit_read),
        _events_unverified,
    ),
)


async def waiting_for(principal: Principal, *, since: datetime | None = None) -> list[Count]:
    """Every item this user may see, with its count (zero included): the start
    page shows them all, the digest the ones above zero. ``since`` is the user's
    previous visit of the start page."""
    found: list[Count] = []
    for item in ITEMS:
        if not item.allowed(principal):
            continue
        linked = item.href_permission is None or principal.can(item.href_permission)
        found.append(
            Count(
                key=item.key,
                label=item.label,
                count=await item.count(principal, since),
                href=item.href if linked else "",
            )
        )
    return found
