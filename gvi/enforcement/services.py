"""Enforcement follow-through (police partition) and the promise ledger.

An enforcement action is taken against a group, triggered by an incident and tied
to the call-in promise it keeps. Actions are police records: users with
``enforcement:read`` whose municipalities include the action's see them; anyone
else gets the same 404 as for a missing id. Every read and write is audited in
the same transaction.

The promise ledger shows, per call-in, each promise, the incidents that
triggered it, the actions taken and the time to first action:

- an action *counts* unless it was cancelled; it is *taken* when done;
- a promise is made when its call-in is *held*. It is *triggered* by an incident
  that happened after the call-in started, with a suspected group the call-in
  reached: a group whose members were invited to it (Invitation.group), or a
  group of a person given a custom notification carrying the call-in's message
  and promises (Notification.call_in, delivered; memberships on that day). The
  ledger lists, per incident it looked at, why it did or did not trigger;
- an action *keeps* a promise when it names a triggering incident and is dated
  on or after that incident's (Swedish) day; an action naming an incident that
  does not trigger, or dated before it, is listed as not counted, with the reason;
- time to first action, per trigger: first taken action for that incident minus
  the incident's day; per promise: first taken action under the promise minus
  the day of its first trigger (days, Swedish dates);
- a promise is *kept* when at least one counted action under it was taken;
- "unanswered" incidents are triggering incidents with no counted action under
  any of the call-in's promises.

The enforcement form offers only promises that the chosen incident triggers (or,
before an incident is chosen, promises some incident in scope triggers), and
saving refuses any other pairing.

Police (``enforcement:read``) see the whole ledger. Coordinators
(``promise_ledger:read`` without ``enforcement:read``) see whether promises were
kept: counts, dates and kinds only — no action ids, agencies, notes or incident
ids. Social services have neither permission: 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.callins.services import callin_basics
from gvi.callins.tables import CallIn, Promise
from gvi.core.clock import local_day
from gvi.core.failures import FormErrors, NotVisible
from gvi.core.listing import audited_page
from gvi.core.sorting import Sorts
from gvi.core.textsearch import contains
from gvi.core.versioning import versioned_update
from gvi.db import write_transaction
from gvi.enforcement import triggers as rules
from gvi.enforcement.labels import ACTION_KIND_LABELS, ACTION_STATUS_LABELS, AGENCY_LABELS
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import Group
from gvi.i18n import gettext
from gvi.incidents.services import Choice, incident_choices, incident_scope
from gvi.incidents.tables import Incident
from gvi.municipalities.tables import Municipality

EA = EnforcementAction


@dataclass(frozen=True)
class ActionRow:
    id: int
    group: str
    municipality: str
    agency: str
    kind: str
    action_date: date
    status: str
    incident_id: int | None
    call_in_id: int | None
    call_in_title: str | None
    promise_position: int | None


@dataclass(frozen=True)
class ActionDetail:
    id: int
    version: int
    group_id: int
    group: str
    municipality_id: int
    municipality: str
    triggering_incident_id: int | None
    incident_day: date | None
    incident_kind: str | None
    promise_id: int | None
    promise_text: str | None
    promise_position: int | None
    call_in_id: int | None
    call_in_title: str | None
    agency: str
    kind: str
    action_date: date
    status: str
    notes: str


@dataclass(frozen=True)
class ActionDraft:
    group_id: int | None
    municipality_id: int | None
    triggering_incident_id: int | None
    promise_id: int | None
    agency: str
    kind: str
    action_date: date | None
    status: str
    notes: str


@dataclass(frozen=True)
class LedgerAction:
    day: date
    kind: str
    status: str
    group: str
    # Police only (None for coordinators):
    id: int | None = None
    agency: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class LedgerIncident:
    """An incident the ledger considered, and why it did or did not trigger the promises."""

    incident_day: date
    incident_kind: str
    groups: list[str]
    triggered: bool
    reason: str
    incident_id: int | None = None  # police only


@dataclass(frozen=True)
class LedgerTrigger:
    incident_day: date
    incident_kind: str
    groups: list[str]
    actions: list[LedgerAction]
    days_to_first_action: int | None
    incident_id: int | None = None  # police only


@dataclass(frozen=True)
class LedgerPromise:
    id: int
    position: int
    text: str
    archived: bool
    triggers: list[LedgerTrigger]
    untriggered: list[LedgerAction]  # actions that keep nothing: no, or no triggering, incident
    incidents: int
    actions_taken: int
    actions_planned: int
    first_trigger: date | None
    first_action: date | None
    days_to_first_action: int | None

    @property
    def kept(self) -> bool:
        return self.actions_taken > 0


@dataclass(frozen=True)
class UnansweredIncident:
    incident_day: date
    incident_kind: str
    groups: list[str]
    incident_id: int | None = None  # police only


@dataclass(frozen=True)
class Ledger:
    call_in_id: int
    title: str
    day: date
    municipality: str
    detail: bool  # the police view
    promises: list[LedgerPromise]
    unanswered: list[UnansweredIncident] = field(default_factory=list)
    held: bool = True
    considered: list[LedgerIncident] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return sum(1 for p in self.promises if p.kept)

    @property
    def triggered(self) -> int:
        return sum(1 for p in self.promises if p.incidents)


def _scope_ids(principal: Principal) -> list[int]:
    return sorted(principal.municipality_ids) or [-1]


def action_scope(principal: Principal) -> Any:
    return EA.municipality.is_in(_scope_ids(principal)) & EA.archived_at.is_null()


# --- choices -------------------------------------------------------------------------------


async def group_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Group.select(Group.id, Group.name, Group.municipality.name.as_alias("m"))
        .where(Group.municipality.is_in(_scope_ids(principal)) & Group.archived_at.is_null())
        .order_by(Group.name)
    )
    return [Choice(r["id"], f"{r['name']} ({r['m']})") for r in rows]


async def municipality_choices(principal: Principal) -> list[Choice]:
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(_scope_ids(principal)) & Municipality.archived_at.is_null())
        .order_by(Municipality.name)
    )
    return [Choice(r["id"], r["name"]) for r in rows]


async def promise_choices(principal: Principal, incident_id: int | None = None) -> list[Choice]:
    """Promises the incident triggers (before one is chosen: promises some incident in
    scope triggers), newest call-in first."""
    eligible = await rules.triggered_promises(principal, incident_id)
    rows = (
        await Promise.select(
            Promise.id,
            Promise.position,
            Promise.text,
            Promise.call_in.title.as_alias("title"),
            Promise.call_in.starts_at.as_alias("starts_at"),
        )
        .where(Promise.id.is_in(sorted(eligible) or [-1]))
        .order_by(Promise.call_in.starts_at, ascending=False)
        .order_by(Promise.position)
        .limit(300)
    )
    choices = []
    for r in rows:
        text = r["text"] if len(r["text"]) <= 70 else r["text"][:69] + "…"
        day = local_day(r["starts_at"]).isoformat()
        choices.append(Choice(r["id"], f"{r['title']} ({day}) – {r['position']}. {text}"))
    return choices


async def choices(principal: Principal, incident_id: int | None = None) -> dict[str, list[Choice]]:
    return {
        "groups": await group_choices(principal),
        "municipalities": await municipality_choices(principal),
        "incidents": await incident_choices(principal),
        "promises": await promise_choices(principal, incident_id),
    }


# --- actions ---------------------------------------------------------------------------------


ACTION_SORTS = Sorts(
    "-date",
    date=EA.action_date,
    group=EA.group.name,
    kind=EA.kind,
    agency=EA.agency,
    status=EA.status,
)
"""The orders of the enforcement list (``?sort=``); latest first by default."""


async def list_actions(
    principal: Principal,
    *,
    search: str = "",
    kind: str = "",
    status: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ActionRow], int]:
    """Actions in the user's municipalities, newest first; search on the group's name."""
    require(principal, Permission.enforcement_read)
    where = action_scope(principal)
    if search.strip():
        where = where & contains(EA.group.name, search.strip())
    if kind in ACTION_KIND_LABELS:
        where = where & (EA.kind == kind)
    if status in ACTION_STATUS_LABELS:
        where = where & (EA.status == status)
    async with write_transaction(EA._meta.db):
        rows, total = await audited_page(
            ACTION_SORTS.apply(
                EA.select(
                    EA.id,
                    EA.group.name.as_alias("group_name"),
                    EA.municipality.name.as_alias("municipality_name"),
                    EA.agency,
                    EA.kind,
                    EA.action_date,
                    EA.status,
                    EA.triggering_incident,
                    EA.promise.call_in.as_alias("call_in"),
                    EA.promise._.call_in._.title.as_alias("call_in_title"),
                    EA.promise.position.as_alias("promise_position"),
                ).where(where),
                sort,
                tiebreak=EA.id,
            )
            .limit(limit)
            .offset(offset),
            EA.count().where(where),
            action=AuditAction.enforcement_read,
            actor=principal,
            target_type="enforcement_action",
            offset=offset,
        )
    return [
        ActionRow(
            id=r["id"],
            group=r["group_name"],
            municipality=r["municipality_name"],
            agency=r["agency"],
            kind=r["kind"],
            action_date=r["action_date"],
            status=r["status"],
            incident_id=r["triggering_incident"],
            call_in_id=r["call_in"],
            call_in_title=r["call_in_title"],
            promise_position=r["promise_position"],
        )
        for r in rows
    ], total


async def get_action(principal: Principal, action_id: int) -> ActionDetail:
    require(principal, Permission.enforcement_read)
    async with write_transaction(EA._meta.db):
        r = (
            await EA.select(
                EA.id,
                EA.version,
                EA.group,
                EA.group.name.as_alias("group_name"),
                EA.municipality,
                EA.municipality.name.as_alias("municipality_name"),
                EA.triggering_incident,
                EA.triggering_incident.occurred_at.as_alias("incident_at"),
                EA.triggering_incident.kind.as_alias("incident_kind"),
                EA.promise,
                EA.promise.text.as_alias("promise_text"),
                EA.promise.position.as_alias("promise_position"),
                EA.promise.call_in.as_alias("call_in"),
                EA.promise._.call_in._.title.as_alias("call_in_title"),
                EA.agency,
                EA.kind,
                EA.action_date,
                EA.status,
                EA.notes,
            )
            .where(action_scope(principal) & (EA.id == action_id))
            .first()
        )
        if r is None:
            raise NotVisible()
        await record(
            AuditAction.enforcement_read,
            actor=principal,
            target_type="enforcement_action",
            target_id=action_id,
        )
    return ActionDetail(
        id=r["id"],
        version=r["version"],
        group_id=r["group"],
        group=r["group_name"],
        municipality_id=r["municipality"],
        municipality=r["municipality_name"],
        triggering_incident_id=r["triggering_incident"],
        incident_day=local_day(r["incident_at"]) if r["incident_at"] else None,
        incident_kind=r["incident_kind"],
        promise_id=r["promise"],
        promise_text=r["promise_text"],
        promise_position=r["promise_position"],
        call_in_id=r["call_in"],
        call_in_title=r["call_in_title"],
        agency=r["agency"],
        kind=r["kind"],
        action_date=r["action_date"],
        status=r["status"],
        notes=r["notes"],
    )


async def _check_draft(principal: Principal, draft: ActionDraft, errors: dict[str, str]) -> None:
    scope = _scope_ids(principal)
    if draft.municipality_id is None or draft.municipality_id not in principal.municipality_ids:
        errors.setdefault("municipality", gettext("Välj en av dina kommuner."))
    if draft.group_id is None or not await Group.exists().where(
        (Group.id == draft.group_id) & Group.municipality.is_in(scope) & Group.archived_at.is_null()
    ):
        errors.setdefault("group", gettext("Välj gruppen åtgärden riktas mot."))
    if draft.triggering_incident_id is not None and not await Incident.exists().where(
        incident_scope(principal) & (Incident.id == draft.triggering_incident_id)
    ):
        errors.setdefault("triggering_incident", gettext("Välj en händelse i listan."))
    if draft.promise_id is not None and not await Promise.exists().where(
        (Promise.id == draft.promise_id)
        & Promise.archived_at.is_null()
        & Promise.call_in.archived_at.is_null()
        & Promise.call_in.municipality.is_in(scope)
    ):
        errors.setdefault("promise", gettext("Välj ett löfte i listan."))
    elif draft.promise_id is not None and "triggering_incident" not in errors:
        await _check_promise(principal, draft, errors)
    if draft.agency not in AGENCY_LABELS:
        errors.setdefault("agency", gettext("Välj myndighet."))
    if draft.kind not in ACTION_KIND_LABELS:
        errors.setdefault("kind", gettext("Välj typ av åtgärd."))
    if draft.status not in ACTION_STATUS_LABELS:
        errors.setdefault("status", gettext("Välj status."))
    if draft.action_date is None:
        errors.setdefault("action_date", gettext("Ange datum."))
    if len(draft.notes) > 4000:
        errors.setdefault("notes", gettext("Högst 4000 tecken."))


async def _check_promise(principal: Principal, draft: ActionDraft, errors: dict[str, str]) -> None:
    """An action keeps a promise only after an incident that triggers it."""
    incident_id = draft.triggering_incident_id
    if incident_id is None or draft.promise_id not in await rules.triggered_promises(
        principal, incident_id
    ):
        errors.setdefault("promise", gettext(rules.PROMISE_NEEDS_TRIGGER))
        return
    occurred = await Incident.select(Incident.occurred_at).where(Incident.id == incident_id).first()
    if (
        occurred is not None
        and draft.action_date is not None
        and draft.action_date < local_day(occurred["occurred_at"])
    ):
        errors.setdefault("action_date", gettext(rules.ACTION_DATE_BEFORE))


async def create_action(
    principal: Principal, draft: ActionDraft, *, known_errors: dict[str, str] | None = None
) -> int:
    require(principal, Permission.enforcement_write)
    errors = dict(known_errors or {})
    async with write_transaction(EA._meta.db):
        await _check_draft(principal, draft, errors)
        if errors or draft.action_date is None:
            raise FormErrors(errors)
        action = EA(
            group=draft.group_id,
            municipality=draft.municipality_id,
            triggering_incident=draft.triggering_incident_id,
            promise=draft.promise_id,
            agency=draft.agency,
            kind=draft.kind,
            action_date=draft.action_date,
            status=draft.status,
            notes=draft.notes,
            recorded_by=principal.user_id,
        )
        await action.save()
        await record(
            AuditAction.enforcement_write,
            actor=principal,
            target_type="enforcement_action",
            target_id=action.id,
            details={
                "op": "create",
                "group_id": draft.group_id,
                "incident_id": draft.triggering_incident_id,
                "promise_id": draft.promise_id,
            },
        )
    return action.id


async def update_action(
    principal: Principal,
    action_id: int,
    version: int,
    draft: ActionDraft,
    *,
    known_errors: dict[str, str] | None = None,
) -> None:
    require(principal, Permission.enforcement_write)
    errors = dict(known_errors or {})
    async with write_transaction(EA._meta.db):
        if not await EA.exists().where(action_scope(principal) & (EA.id == action_id)):
            raise NotVisible()
        await _check_draft(principal, draft, errors)
        if errors:
            raise FormErrors(errors)
        values = {
            EA.group: draft.group_id,
            EA.municipality: draft.municipality_id,
            EA.triggering_incident: draft.triggering_incident_id,
            EA.promise: draft.promise_id,
            EA.agency: draft.agency,
            EA.kind: draft.kind,
            EA.action_date: draft.action_date,
            EA.status: draft.status,
            EA.notes: draft.notes,
        }
        await versioned_update(EA, action_id, version, values)
        await record(
            AuditAction.enforcement_write,
            actor=principal,
            target_type="enforcement_action",
            target_id=action_id,
            details={"op": "update", "status": draft.status},
        )


# --- the promise ledger ------------------------------------------------------------------------


def _days(later: date | None, earlier: date | None) -> int | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).days


async def promise_ledger(principal: Principal, call_in_id: int) -> Ledger:
    """Per promise of the call-in: triggers, actions and time to first action; per
    incident considered, whether and why it triggered."""
    require(principal, Permission.promise_ledger_read)
    detail = principal.can(Permission.enforcement_read)
    async with write_transaction(EA._meta.db):
        call_in = await callin_basics(principal, call_in_id)
        promises = (
            await Promise.select(Promise.id, Promise.position, Promise.text, Promise.archived_at)
            .where(Promise.call_in == call_in_id)
            .order_by(Promise.position)
            .order_by(Promise.id)
        )
        promise_ids = [p["id"] for p in promises] or [-1]
        actions = (
            await EA.select(
                EA.id,
                EA.promise,
                EA.group.name.as_alias("group_name"),
                EA.triggering_incident,
                EA.agency,
                EA.kind,
                EA.action_date,
                EA.status,
                EA.notes,
            )
            .where(
                action_scope(principal)
                & EA.promise.is_in(promise_ids)
                & (EA.status != EA.Status.cancelled)
            )
            .order_by(EA.action_date)
            .order_by(EA.id)
        )
        reached = (await rules.reached_groups([call_in_id]))[call_in_id]
        named = [a["triggering_incident"] for a in actions if a["triggering_incident"]]
        considered = await rules.suspected_incidents(None, sorted(reached), principal)
        considered.update(await rules.suspected_incidents(named, None, principal))
        # The call-in's own municipality since it started: these explain "not reached".
        considered.update(
            await rules.suspected_incidents(
                None, None, principal, place=(call_in.municipality_id, call_in.starts_at)
            )
        )
        await record(
            AuditAction.promise_ledger_read,
            actor=principal,
            target_type="call_in",
            target_id=call_in_id,
            details={"promises": len(promises), "actions": len(actions), "detail": detail},
        )
    facts = {"status": call_in.status, "starts_at": call_in.starts_at}
    verdicts = {iid: rules.verdict(facts, reached, inc) for iid, inc in considered.items()}
    days = {iid: local_day(inc["occurred_at"]) for iid, inc in considered.items()}

    def ledger_action(a: dict[str, Any]) -> LedgerAction:
        return LedgerAction(
            day=a["action_date"],
            kind=a["kind"],
            status=a["status"],
            group=a["group_name"],
            id=a["id"] if detail else None,
            agency=a["agency"] if detail else None,
            notes=a["notes"] if detail else None,
        )

    def counts(a: dict[str, Any]) -> bool:
        iid = a["triggering_incident"]
        return (
            bool(iid) and verdicts.get(iid, rules.BEFORE) is None and a["action_date"] >= days[iid]
        )

    def names(iid: int) -> list[str]:
        return sorted(considered[iid]["groups"].values())

    triggering = sorted(
        (iid for iid, v in verdicts.items() if v is None), key=lambda i: (days[i], i)
    )
    ledger_promises: list[LedgerPromise] = []
    for p in promises:
        mine = [a for a in actions if a["promise"] == p["id"]]
        if p["archived_at"] is not None and not mine:
            continue
        counted = [a for a in mine if counts(a)]
        triggers = []
        for iid in triggering:
            acts = [a for a in counted if a["triggering_incident"] == iid]
            taken = [a["action_date"] for a in acts if a["status"] == EA.Status.done]
            triggers.append(
                LedgerTrigger(
                    incident_day=days[iid],
                    incident_kind=considered[iid]["kind"],
                    groups=names(iid),
                    actions=[ledger_action(a) for a in acts],
                    days_to_first_action=_days(min(taken) if taken else None, days[iid]),
                    incident_id=iid if detail else None,
                )
            )
        taken_dates = [a["action_date"] for a in counted if a["status"] == EA.Status.done]
        first_trigger = days[triggering[0]] if triggering else None
        first_action = min(taken_dates) if taken_dates else None
        ledger_promises.append(
            LedgerPromise(
                id=p["id"],
                position=p["position"],
                text=p["text"],
                archived=p["archived_at"] is not None,
                triggers=triggers,
                untriggered=[ledger_action(a) for a in mine if not counts(a)],
                incidents=len(triggers),
                actions_taken=len(taken_dates),
                actions_planned=sum(1 for a in counted if a["status"] == EA.Status.planned),
                first_trigger=first_trigger,
                first_action=first_action,
                days_to_first_action=_days(first_action, first_trigger),
            )
        )
    answered = {a["triggering_incident"] for a in actions if counts(a)}
    unanswered = [
        UnansweredIncident(
            incident_day=days[iid],
            incident_kind=considered[iid]["kind"],
            groups=names(iid),
            incident_id=iid if detail else None,
        )
        for iid in triggering
        if iid not in answered
    ]
    explained = []
    for iid in sorted(considered, key=lambda i: (days[i], i)):
        verdict = verdicts[iid]
        reason = (
            gettext(rules.TRIGGERED)
            % {"groups": ", ".join(n for g, n in considered[iid]["groups"].items() if g in reached)}
            if verdict is None
            else gettext(verdict)
        )
        explained.append(
            LedgerIncident(
                incident_day=days[iid],
                incident_kind=considered[iid]["kind"],
                groups=names(iid),
                triggered=verdict is None,
                reason=reason,
                incident_id=iid if detail else None,
            )
        )
    return Ledger(
        call_in_id=call_in_id,
        title=call_in.title,
        day=call_in.day,
        municipality=call_in.municipality,
        detail=detail,
        promises=ledger_promises,
        unanswered=unanswered,
        held=call_in.status == CallIn.Status.held,
        considered=explained,
    )
