"""Reading defector cases: one case as its reader may see it (all of it for its
unit, a few facts for an officer holding a disclosure), and the list of a
user's cases. Every read writes its audit row in the same transaction."""

from __future__ import annotations

from typing import Any

import msgspec

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import NotVisible
from gvi.core.listing import audited_page
from gvi.core.sorting import Sorts
from gvi.db import write_transaction
from gvi.defectors import transitions
from gvi.defectors.schemas import (
    CaseSummary,
    CaseView,
    ConsentView,
    FollowUpView,
    GrantView,
    InterventionView,
    NeedView,
    StatusChangeView,
)
from gvi.defectors.services.common import case_scope
from gvi.defectors.services.figures import offer_histories
from gvi.defectors.services.track import ConsentState, consent_state, definition, facts
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatus,
    CaseStatusChange,
    DefectorCase,
    GrantApplication,
)
from gvi.support import transitions as offer_rules
from gvi.support.tables import SupportOffer

_CASE_COLUMNS = (
    *DefectorCase.all_columns(),
    DefectorCase.municipality.name.as_alias("municipality_name"),
    DefectorCase.person.code.as_alias("person_code"),
    DefectorCase.unit.name.as_alias("unit_name"),
    DefectorCase.caseworker.display_name.as_alias("caseworker_name"),
)


async def case_row(principal: Principal, case_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await DefectorCase.select(*_CASE_COLUMNS)
        .where(case_scope(principal) & (DefectorCase.id == case_id))
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


def _missing(row: dict[str, Any], consents: ConsentState) -> str | None:
    following = transitions.FLOW.index(row["status"]) + 1
    if following >= len(transitions.FLOW):
        return None
    target = transitions.FLOW[following]
    if transitions.gate(row["status"], target, facts(row, consents)) is None:
        return None
    return transitions.gate_message(row["status"])


def _police_view(row: dict[str, Any]) -> CaseView:
    return CaseView(
        id=row["id"],
        reference=row["reference"],
        status=row["status"],
        municipality=row["municipality_name"],
        person_code=row["person_code"],
        threat_level=row["threat_level"],
        police_track_active=row["police_track_active"],
    )


async def _of_case(table: Any, case_id: int, order: Any) -> list[dict[str, Any]]:
    """The live rows of a table that hangs off the case, in order."""
    rows: list[dict[str, Any]] = (
        await table.select()
        .where((table.case == case_id) & table.archived_at.is_null())
        .order_by(order)
    )
    return rows


async def full_view(row: dict[str, Any]) -> CaseView:
    """Social services' view: the case and everything that hangs off it."""
    case_id = row["id"]
    consents_rows = await _of_case(CaseConsent, case_id, CaseConsent.given_on)
    consents_now = await consent_state(case_id)
    police = definition(row, consents_now)
    needs = await _of_case(CaseNeed, case_id, CaseNeed.assessed_on)
    grants = await _of_case(GrantApplication, case_id, GrantApplication.applied_on)
    follow_ups = await _of_case(CaseFollowUp, case_id, CaseFollowUp.follow_up_on)
    offers = (
        await SupportOffer.select(
            SupportOffer.id,
            SupportOffer.category,
            SupportOffer.status,
            SupportOffer.offered_on,
            SupportOffer.provider.name.as_alias("provider_name"),
            SupportOffer.provider.kind.as_alias("provider_kind"),
        )
        .where((SupportOffer.defector_case == case_id) & SupportOffer.archived_at.is_null())
        .order_by(SupportOffer.offered_on)
    )
    history = await offer_histories([o["id"] for o in offers])
    interventions = [
        InterventionView(
            id=o["id"],
            category=o["category"],
            provider=o["provider_name"],
            provider_kind=o["provider_kind"],
            status=o["status"],
            offered_on=o["offered_on"],
            reached_start=offer_rules.reached_start(o["status"], history.get(o["id"], ())),
        )
        for o in offers
    ]
    status_rows = (
        await CaseStatusChange.select(
            *CaseStatusChange.all_columns(),
            CaseStatusChange.changed_by.display_name.as_alias("by_name"),
        )
        .where(CaseStatusChange.case == case_id)
        .order_by(CaseStatusChange.changed_at)
    )
    return CaseView(
        id=case_id,
        reference=row["reference"],
        status=row["status"],
        municipality=row["municipality_name"],
        person_code=row["person_code"],
        threat_level=row["threat_level"],
        police_track_active=row["police_track_active"],
        referral_source=row["referral_source"],
        environment=row["environment"],
        is_child=row["is_child"],
        notes=row["notes"],
        person_id=row["person"],
        municipality_id=row["municipality"],
        unit_id=row["unit"],
        unit=row["unit_name"],
        caseworker_id=row["caseworker"],
        caseworker=row["caseworker_name"],
        opened_on=row["opened_on"],
        closed_on=row["closed_on"],
        closure_outcome=row["closure_outcome"],
        motivated=row["motivated"],
        is_witness=row["is_witness"],
        threat_assessed_on=row["threat_assessed_on"],
        social_services_eligible=row["social_services_eligible"],
        psychiatric_collaboration=row["psychiatric_collaboration"],
        police_definition_met=police.met,
        police_definition_failing=list(police.failing),
        led_to_intervention=any(i.reached_start for i in interventions),
        version=row["version"],
        allowed_statuses=sorted(transitions.ALLOWED[row["status"]], key=transitions.FLOW.index),
        next_step_missing=_missing(row, consents_now),
        status_history=[
            StatusChangeView(
                from_status=s["from_status"],
                to_status=s["to_status"],
                changed_at=s["changed_at"],
                changed_by=s["by_name"],
                reason=s["reason"],
                overridden_gate=s["overridden_gate"] or None,
            )
            for s in status_rows
        ],
        consents=msgspec.convert(
            [{**c, "in_force": c["withdrawn_on"] is None} for c in consents_rows],
            list[ConsentView],
        ),
        needs=msgspec.convert(needs, list[NeedView]),
        grants=msgspec.convert(grants, list[GrantView]),
        follow_ups=msgspec.convert(follow_ups, list[FollowUpView]),
        interventions=interventions,
    )


async def get_case(principal: Principal, case_id: int) -> CaseView:
    """A case as this user may see it: all of it for its unit, a few facts for
    an officer holding a disclosure, 404 for everyone else."""
    full = principal.can(Permission.cases_read)
    if not full:
        require(principal, Permission.cases_read_disclosed)
    async with write_transaction(DefectorCase._meta.db):
        row = await case_row(principal, case_id)
        view = await full_view(row) if full else _police_view(row)
        await record(
            AuditAction.case_read if full else AuditAction.disclosure_read,
            actor=principal,
            target_type="defector_case",
            target_id=case_id,
            person_id=row["person"],
        )
    return view


CASE_SORTS = Sorts(
    "-opened",
    opened=DefectorCase.opened_on,
    reference=DefectorCase.reference,
    code=DefectorCase.person.code,
    municipality=DefectorCase.municipality.name,
    unit=DefectorCase.unit.name,
    status=DefectorCase.status,
    caseworker=DefectorCase.caseworker.display_name,
)
"""The orders of the case list (``?sort=``); newest first by default."""


async def list_cases(
    principal: Principal,
    *,
    search: str = "",
    status: str = "",
    track: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CaseSummary], int]:
    """The user's cases, newest first; search by case number or person code."""
    require(principal, Permission.cases_read)
    where = case_scope(principal)
    term = search.strip().upper().replace("%", "").replace("_", "")
    if term:
        where = where & (
            # References and codes are stored upper-case, like the term.
            DefectorCase.reference.like(term + "%") | DefectorCase.person.code.like(term + "%")
        )
    if status in transitions.FLOW:
        where = where & (DefectorCase.status == status)
    elif status == "open":
        where = where & (DefectorCase.status != CaseStatus.closed)
    if track == "police":
        where = where & (DefectorCase.police_track_active == True)  # noqa: E712
    elif track == "social":
        where = where & (DefectorCase.police_track_active == False)  # noqa: E712
    async with write_transaction(DefectorCase._meta.db):
        rows, total = await audited_page(
            CASE_SORTS.apply(
                DefectorCase.select(
                    DefectorCase.id,
                    DefectorCase.reference,
                    DefectorCase.status,
                    DefectorCase.police_track_active,
                    DefectorCase.opened_on,
                    # Named as CaseSummary names them.
                    DefectorCase.person.code.as_alias("person_code"),
                    DefectorCase.municipality.name.as_alias("municipality"),
                    DefectorCase.unit.name.as_alias("unit"),
                    DefectorCase.caseworker.display_name.as_alias("caseworker"),
                ).where(where),
                sort,
                tiebreak=DefectorCase.id,
            )
            .limit(limit)
            .offset(offset),
            DefectorCase.count().where(where),
            action=AuditAction.case_list,
            actor=principal,
            target_type="defector_case",
            offset=offset,
        )
    return msgspec.convert(rows, list[CaseSummary]), total
