"""The case plan: its items, overall owner, SIP, goal ratings at follow-ups and
approval by a unit lead (README: Case plan and SIP).

A plan is case content: read under the case's scope (404 outside it) and
audited as a read of the case; every change is a ``case:plan:write`` event in
the same transaction. Any change to the plan's items, owner or SIP after
approval withdraws the approval (the plan's version moves, so an approval
given from an older page is refused as a conflict).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import FormErrors, NotVisible, Refused
from gvi.db import write_transaction
from gvi.defectors.schemas import TimelineEntry
from gvi.defectors.services.common import versioned, writable_case
from gvi.defectors.services.track import consent_state
from gvi.defectors.services.views import case_row
from gvi.defectors.tables import CaseFollowUp, CaseStatus, ConsentAgency, DefectorCase
from gvi.i18n import N_, gettext
from gvi.plans.labels import ITEM_STATUS_LABELS, PARTY_LABELS, RATING_LABELS
from gvi.plans.schemas import (
    ApproveIn,
    FollowUpRef,
    GoalRatingsIn,
    PlanItemIn,
    PlanItemOut,
    PlanItemStatusIn,
    PlanOut,
    PlanOwnerIn,
    RatingOut,
    SipIn,
)
from gvi.plans.tables import CasePlan, GoalRating, ItemStatus, Party, PlanEvent, PlanItem
from gvi.support.services.methods import method_usable

PLAN_CONFLICT = N_("Någon annan har ändrat planen under tiden. Ladda om sidan och försök igen.")
ITEM_CONFLICT = N_(
    "Någon annan har ändrat planpunkten under tiden. Ladda om sidan och försök igen."
)
CLOSED_MESSAGE = N_("Ärendet är avslutat: planen kan inte längre ändras.")
SIP_NEEDS_CONSENT = N_(
    "En SIP kräver personens samtycke till informationsutbyte med hälso- och sjukvården. "
    "Registrera samtycket under Samtycken först."
)
APPROVE_EMPTY = N_("Planen har inga aktiva punkter att godkänna. Lägg till en planpunkt först.")
APPROVE_DONE = N_("Planen är redan godkänd.")
APPROVE_OWN_UNIT = N_("Bara en enhetschef i ärendets enhet kan godkänna planen.")
MAX_TEXT = 2000


class PlanError(Refused):
    """A plan change a person can act on (400); the message is safe to show."""


# --- reading -----------------------------------------------------------------------


async def _plan_row(case_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await CasePlan.select(
            *CasePlan.all_columns(), CasePlan.approved_by.display_name.as_alias("approver")
        )
        .where((CasePlan.case == case_id) & CasePlan.archived_at.is_null())
        .first()
    )
    return row


async def _items(case_id: int) -> list[PlanItemOut]:
    rows = (
        await PlanItem.select(
            *PlanItem.all_columns(),
            PlanItem.method.name.as_alias("method_name"),
            PlanItem.method.evidence.as_alias("method_evidence"),
        )
        .where((PlanItem.case == case_id) & PlanItem.archived_at.is_null())
        .order_by(PlanItem.starts_on)
        .order_by(PlanItem.id)
    )
    ids = [r["id"] for r in rows] or [-1]
    ratings: dict[int, list[RatingOut]] = {}
    for g in await (
        GoalRating.select(
            GoalRating.item,
            GoalRating.follow_up,
            GoalRating.rating,
            GoalRating.follow_up.phase.as_alias("phase"),
            GoalRating.follow_up.follow_up_on.as_alias("on"),
        )
        .where(GoalRating.item.is_in(ids) & GoalRating.follow_up.archived_at.is_null())
        .order_by(GoalRating.follow_up.follow_up_on)
    ):
        ratings.setdefault(g["item"], []).append(
            RatingOut(g["follow_up"], g["phase"], g["on"], g["rating"])
        )
    return [
        PlanItemOut(
            id=r["id"],
            goal=r["goal"],
            measure=r["measure"],
            party=r["party"],
            method_id=r["method"],
            method=r["method_name"],
            method_evidence=r["method_evidence"],
            starts_on=r["starts_on"],
            due_on=r["due_on"],
            status=r["status"],
            version=r["version"],
            ratings=ratings.get(r["id"], []),
        )
        for r in rows
    ]


async def get_plan(principal: Principal, case_id: int) -> PlanOut:
    """The case's plan, read and audited as a read of the case (404 outside its scope)."""
    require(principal, Permission.cases_read)
    async with write_transaction(DefectorCase._meta.db):
        case = await case_row(principal, case_id)
        plan = await _plan_row(case_id)
        items = await _items(case_id)
        follow_ups = await (
            CaseFollowUp.select(CaseFollowUp.id, CaseFollowUp.phase, CaseFollowUp.follow_up_on)
            .where((CaseFollowUp.case == case_id) & CaseFollowUp.archived_at.is_null())
            .order_by(CaseFollowUp.follow_up_on)
        )
        await record(
            AuditAction.case_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=case["person"],
            details={"plan_items": len(items)},
        )
        consent = ConsentAgency.healthcare in (await consent_state(case_id)).in_force
    return PlanOut(
        case_id=case_id,
        case_reference=case["reference"],
        version=plan["version"] if plan else 0,
        owner=plan["owner"] if plan else Party.social_services.value,
        sip=bool(plan and plan["sip"]),
        sip_started_on=plan["sip_started_on"] if plan else None,
        sip_ended_on=plan["sip_ended_on"] if plan else None,
        sip_consent_in_force=consent,
        approved_at=plan["approved_at"] if plan else None,
        approved_by=plan["approver"] if plan else None,
        items=items,
        follow_ups=[FollowUpRef(f["id"], f["phase"], f["follow_up_on"]) for f in follow_ups],
        closed=case["status"] == CaseStatus.closed,
    )


# --- writing -----------------------------------------------------------------------


async def _open_case(principal: Principal, case_id: int) -> dict[str, Any]:
    case = await writable_case(principal, case_id)
    if case["status"] == CaseStatus.closed:
        raise PlanError(gettext(CLOSED_MESSAGE))
    return case


async def _ensure_plan(case_id: int) -> dict[str, Any]:
    plan = await _plan_row(case_id)
    if plan is None:
        await CasePlan.insert(CasePlan(case=case_id))
        plan = await _plan_row(case_id)
        assert plan is not None
    return plan


async def _plan_at(case_id: int, version: int) -> dict[str, Any]:
    """The plan as the client saw it: version 0 before its first change (the plan
    row is made now), else that version, or a conflict."""
    plan = await _ensure_plan(case_id) if version == 0 else await _plan_row(case_id)
    if plan is None or (version and plan["version"] != version):
        raise PlanError(gettext(PLAN_CONFLICT))
    return plan


async def _changed(
    case_id: int, plan: dict[str, Any], values: dict[Any, Any] | None = None
) -> None:
    """The plan changed: its version moves and an approval is withdrawn."""
    await versioned(
        CasePlan,
        plan["id"],
        plan["version"],
        {CasePlan.approved_at: None, CasePlan.approved_by: None, **(values or {})},
        PLAN_CONFLICT,
    )


async def _event(
    principal: Principal,
    case: dict[str, Any],
    kind: PlanEvent.Kind,
    *,
    item: int | None = None,
    value: str = "",
    **details: Any,
) -> None:
    await PlanEvent.insert(
        PlanEvent(
            case=case["id"],
            kind=kind,
            at=clock.now(),
            by=principal.user_id or None,
            item=item,
            value=value,
        )
    )
    await record(
        AuditAction.case_plan_write,
        actor=principal,
        target_type="defector_case",
        target_id=case["id"],
        person_id=case["person"],
        details={"op": kind.value, **({"item_id": item} if item else {}), **details},
    )


def _text(value: str, field: str, errors: dict[str, str], *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        errors[field] = gettext("Skriv vad planpunkten ska uppnå.")
    elif len(text) > MAX_TEXT:
        errors[field] = gettext("Högst %(n)s tecken.") % {"n": MAX_TEXT}
    return text


async def add_item(principal: Principal, case_id: int, data: PlanItemIn) -> int:
    """A plan item: the goal, who is responsible, the method and the dates."""
    errors: dict[str, str] = {}
    goal = _text(data.goal, "goal", errors, required=True)
    measure = _text(data.measure, "measure", errors, required=False)
    starts_on = data.starts_on or clock.today()
    if data.due_on is not None and data.due_on < starts_on:
        errors["due_on"] = gettext("Slutdatumet kan inte ligga före startdatumet.")
    if not await method_usable(data.method_id):
        errors["method_id"] = gettext("Välj en aktiv metod ur metodkatalogen, eller ingen.")
    async with write_transaction(DefectorCase._meta.db):
        case = await _open_case(principal, case_id)
        if errors:
            raise FormErrors(errors)
        plan = await _ensure_plan(case_id)
        item = PlanItem(
            case=case_id,
            goal=goal,
            measure=measure,
            party=data.party,
            method=data.method_id,
            starts_on=starts_on,
            due_on=data.due_on,
        )
        await item.save()
        await _changed(case_id, plan)
        await _event(principal, case, PlanEvent.Kind.item_added, item=item.id, value=data.party)
    return item.id


async def set_item_status(
    principal: Principal, case_id: int, item_id: int, data: PlanItemStatusIn
) -> None:
    async with write_transaction(DefectorCase._meta.db):
        case = await _open_case(principal, case_id)
        item = (
            await PlanItem.select(PlanItem.id, PlanItem.status)
            .where(
                (PlanItem.id == item_id)
                & (PlanItem.case == case_id)
                & PlanItem.archived_at.is_null()
            )
            .first()
        )
        if item is None:
            raise NotVisible()
        if item["status"] == data.status:
            raise FormErrors({"status": gettext("Planpunkten har redan den statusen.")})
        await versioned(
            PlanItem, item_id, data.version, {PlanItem.status: data.status}, ITEM_CONFLICT
        )
        await _changed(case_id, await _ensure_plan(case_id))
        await _event(principal, case, PlanEvent.Kind.item_status, item=item_id, value=data.status)


async def set_owner(principal: Principal, case_id: int, data: PlanOwnerIn) -> None:
    """Who holds the overall responsibility for the plan."""
    async with write_transaction(DefectorCase._meta.db):
        case = await _open_case(principal, case_id)
        plan = await _plan_at(case_id, data.version)
        if plan["owner"] == data.owner:
            raise FormErrors({"owner": gettext("Planen har redan den huvudansvariga.")})
        await _changed(case_id, plan, {CasePlan.owner: data.owner})
        await _event(principal, case, PlanEvent.Kind.owner, value=data.owner)


async def set_sip(principal: Principal, case_id: int, data: SipIn) -> None:
    """Start a SIP (the healthcare consent must be in force) or end it."""
    on = data.on or clock.today()
    if on > clock.today():
        raise FormErrors({"on": gettext("Datumet kan inte ligga i framtiden.")})
    async with write_transaction(DefectorCase._meta.db):
        case = await _open_case(principal, case_id)
        plan = await _plan_at(case_id, data.version)
        if data.sip == plan["sip"]:
            message = gettext("SIP pågår redan.") if data.sip else gettext("Ingen SIP pågår.")
            raise FormErrors({"sip": message})
        if data.sip:
            if ConsentAgency.healthcare not in (await consent_state(case_id)).in_force:
                raise PlanError(gettext(SIP_NEEDS_CONSENT))
            values = {CasePlan.sip: True, CasePlan.sip_started_on: on, CasePlan.sip_ended_on: None}
            kind = PlanEvent.Kind.sip_started
        else:
            if plan["sip_started_on"] and on < plan["sip_started_on"]:
                raise FormErrors({"on": gettext("SIP:en kan inte avslutas före sin start.")})
            values = {CasePlan.sip: False, CasePlan.sip_ended_on: on}
            kind = PlanEvent.Kind.sip_ended
        await _changed(case_id, plan, values)
        await _event(principal, case, kind, value=on.isoformat())


async def end_sip_on_withdrawal(case_id: int, on: date) -> bool:
    """The healthcare consent was withdrawn: a SIP in progress ends that day
    (called inside the withdrawal's transaction). Returns whether one ended."""
    plan = await _plan_row(case_id)
    if plan is None or not plan["sip"]:
        return False
    await _changed(case_id, plan, {CasePlan.sip: False, CasePlan.sip_ended_on: on})
    await PlanEvent.insert(
        PlanEvent(case=case_id, kind=PlanEvent.Kind.sip_ended, at=clock.now(), value=on.isoformat())
    )
    return True


async def approve(principal: Principal, case_id: int, data: ApproveIn) -> None:
    """A unit lead of the case's unit approves the plan as it stands."""
    require(principal, Permission.cases_approve)
    async with write_transaction(DefectorCase._meta.db):
        case = await _open_case(principal, case_id)
        if case["unit"] not in principal.unit_ids:
            raise PlanError(gettext(APPROVE_OWN_UNIT))
        plan = await _plan_row(case_id)
        active = await PlanItem.count().where(
            (PlanItem.case == case_id)
            & PlanItem.archived_at.is_null()
            & (PlanItem.status != ItemStatus.cancelled)
        )
        if plan is None or not active:
            raise PlanError(gettext(APPROVE_EMPTY))
        if plan["approved_at"] is not None:
            raise PlanError(gettext(APPROVE_DONE))
        await versioned(
            CasePlan,
            plan["id"],
            data.version,
            {CasePlan.approved_at: clock.now(), CasePlan.approved_by: principal.user_id},
            PLAN_CONFLICT,
        )
        await _event(principal, case, PlanEvent.Kind.approved, value=str(active))


async def rate_goals(principal: Principal, case_id: int, data: GoalRatingsIn) -> int:
    """The goals as judged at one of the case's follow-ups; a rating given before
    for the same item and follow-up is replaced. Returns how many were rated."""
    async with write_transaction(DefectorCase._meta.db):
        case = await writable_case(principal, case_id)
        follow_up = await CaseFollowUp.exists().where(
            (CaseFollowUp.id == data.follow_up_id)
            & (CaseFollowUp.case == case_id)
            & CaseFollowUp.archived_at.is_null()
        )
        if not follow_up:
            raise FormErrors({"follow_up_id": gettext("Välj en av ärendets uppföljningar.")})
        ids = {r.item_id for r in data.ratings}
        if len(ids) != len(data.ratings):
            raise FormErrors({"ratings": gettext("Varje planpunkt kan bedömas en gång.")})
        known = {
            r["id"]
            for r in await PlanItem.select(PlanItem.id).where(
                PlanItem.id.is_in(list(ids) or [-1])
                & (PlanItem.case == case_id)
                & PlanItem.archived_at.is_null()
            )
        }
        if ids - known:
            raise FormErrors({"ratings": gettext("Bedöm bara den här planens punkter.")})
        if not ids:
            raise FormErrors({"ratings": gettext("Bedöm minst ett mål.")})
        held = {
            r["item"]: r["id"]
            for r in await GoalRating.select(GoalRating.id, GoalRating.item).where(
                (GoalRating.follow_up == data.follow_up_id) & GoalRating.item.is_in(list(ids))
            )
        }
        now = clock.now()
        for r in data.ratings:
            if r.item_id in held:
                await GoalRating.update(
                    {
                        GoalRating.rating: r.rating,
                        GoalRating.rated_at: now,
                        GoalRating.rated_by: principal.user_id or None,
                    }
                ).where(GoalRating.id == held[r.item_id])
            else:
                await GoalRating.insert(
                    GoalRating(
                        item=r.item_id,
                        follow_up=data.follow_up_id,
                        rating=r.rating,
                        rated_at=now,
                        rated_by=principal.user_id or None,
                    )
                )
        await _event(
            principal,
            case,
            PlanEvent.Kind.goals_rated,
            value=str(len(ids)),
            follow_up_id=data.follow_up_id,
        )
    return len(ids)


# --- the case timeline ---------------------------------------------------------------


async def timeline_entries(case_id: int) -> list[TimelineEntry]:
    """The plan's history as timeline entries (read inside the case read)."""
    rows = await (
        PlanEvent.select(
            PlanEvent.kind,
            PlanEvent.at,
            PlanEvent.value,
            PlanEvent.by.display_name.as_alias("by_name"),
            PlanEvent.item.goal.as_alias("goal"),
            PlanEvent.item.party.as_alias("party"),
        )
        .where(PlanEvent.case == case_id)
        .order_by(PlanEvent.at)
    )
    parties = {k: gettext(v) for k, v in PARTY_LABELS.items()}
    statuses = {k: gettext(v) for k, v in ITEM_STATUS_LABELS.items()}
    entries = []
    for r in rows:
        kind = PlanEvent.Kind(r["kind"])
        value = r["value"]
        if kind is PlanEvent.Kind.item_added:
            title = gettext("Planpunkt: %(party)s") % {"party": parties.get(r["party"], "")}
            detail = r["goal"] or ""
        elif kind is PlanEvent.Kind.item_status:
            title = gettext("Planpunkt %(status)s") % {"status": statuses.get(value, "").lower()}
            detail = r["goal"] or ""
        elif kind is PlanEvent.Kind.owner:
            title = gettext("Huvudansvarig för planen: %(party)s") % {
                "party": parties.get(value, "")
            }
            detail = ""
        elif kind is PlanEvent.Kind.sip_started:
            title, detail = gettext("SIP påbörjad"), ""
        elif kind is PlanEvent.Kind.sip_ended:
            title, detail = gettext("SIP avslutad"), ""
        elif kind is PlanEvent.Kind.approved:
            title, detail = gettext("Planen godkänd av enhetschef"), ""
        else:
            title = gettext("Mål bedömda vid uppföljning: %(n)s") % {"n": value}
            detail = ""
        entries.append(
            TimelineEntry(
                on=clock.local_day(r["at"]),
                at=r["at"],
                kind="plan",
                title=title,
                detail=" · ".join(x for x in (detail, r["by_name"] or "") if x),
            )
        )
    return entries


def rating_labels() -> dict[str, str]:
    return {k: gettext(v) for k, v in RATING_LABELS.items()}
