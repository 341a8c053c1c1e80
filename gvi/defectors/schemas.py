"""API shapes for defector cases; the services hand out the same structs.

:class:`CaseView` is a case as one user may see it: the police view (through
a disclosure) fills only the first few fields, social services get the rest.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec
from msgspec import UNSET, UnsetType

from gvi.defectors.tables import (
    CaseFollowUp,
    CaseNeed,
    CaseStatus,
    ConsentAgency,
    DefectorCase,
    GrantApplication,
)


class ConsentView(msgspec.Struct, frozen=True):
    id: int
    agency: str
    given_on: date
    withdrawn_on: date | None
    in_force: bool


class NeedView(msgspec.Struct, frozen=True):
    id: int
    need: str
    assessed_on: date
    met_on: date | None


class GrantView(msgspec.Struct, frozen=True):
    id: int
    applied_on: date
    amount_applied: Decimal
    decision: str
    decided_on: date | None
    amount_granted: Decimal | None


class FollowUpView(msgspec.Struct, frozen=True):
    id: int
    phase: str
    follow_up_on: date
    months_since_start: int
    housing: str
    occupation: str
    criminality: str
    substance_use: str
    safety: str
    notes: str


class InterventionView(msgspec.Struct, frozen=True):
    """One of the case's support offers, with its provider."""

    id: int
    category: str
    provider: str | None
    provider_kind: str | None
    status: str
    offered_on: date
    reached_start: bool


class StatusChangeView(msgspec.Struct, frozen=True):
    from_status: str | None
    to_status: str
    changed_at: datetime
    changed_by: str | None
    reason: str
    # The gate passed by a recorded exception ("consent", "threat_assessment",
    # "eligibility_decision"), or None.
    overridden_gate: str | None = None


class CaseView(msgspec.Struct, frozen=True):
    """A case as one user may see it; also the API's output shape."""

    id: int
    reference: str
    status: str
    municipality: str
    person_code: str
    threat_level: str
    police_track_active: bool
    # Social services only; None in the police view.
    referral_source: str | None = None
    environment: str | None = None
    is_child: bool | None = None
    notes: str | None = None
    person_id: int | None = None
    municipality_id: int | None = None
    unit_id: int | None = None
    unit: str | None = None
    caseworker_id: int | None = None
    caseworker: str | None = None
    opened_on: date | None = None
    closed_on: date | None = None
    closure_outcome: str | None = None
    motivated: bool | None = None
    is_witness: bool | None = None
    threat_assessed_on: date | None = None
    social_services_eligible: bool | None = None
    psychiatric_collaboration: bool | None = None
    police_definition_met: bool | None = None
    police_definition_failing: list[str] | None = None
    # At least one linked offer reached "started" (architecture §3.1, §3.3).
    led_to_intervention: bool | None = None
    version: int | None = None
    allowed_statuses: list[str] | None = None
    # Why the step forward is gated, in Swedish (None: nothing is missing).
    next_step_missing: str | None = None
    status_history: list[StatusChangeView] | None = None
    consents: list[ConsentView] | None = None
    needs: list[NeedView] | None = None
    grants: list[GrantView] | None = None
    follow_ups: list[FollowUpView] | None = None
    interventions: list[InterventionView] | None = None


class TimelineEntry(msgspec.Struct, frozen=True):
    on: date
    at: datetime | None
    kind: (
        str  # status, assessment, offer, offer_status, follow_up, consent, need, grant, disclosure,
        # transfer
    )
    title: str
    detail: str = ""
    offer_id: int | None = None


class CaseSummary(msgspec.Struct, frozen=True):
    id: int
    reference: str
    person_code: str
    municipality: str
    unit: str
    status: str
    police_track_active: bool
    opened_on: date
    caseworker: str | None


class CasePage(msgspec.Struct):
    items: list[CaseSummary]
    total: int
    page: int
    page_size: int


class CaseIn(msgspec.Struct):
    person_code: str
    unit_id: int
    referral_source: DefectorCase.ReferralSource
    municipality_id: int | None = None  # the person's home municipality when left out
    caseworker_id: int | None = None  # the caller when left out
    environment: DefectorCase.Environment = DefectorCase.Environment.criminal_network
    is_child: bool = False
    opened_on: date | None = None  # today when left out
    notes: str = ""


class CaseChangesIn(msgspec.Struct, kw_only=True):
    """A partial update of the case's facts and assessments: fields left out keep
    their value; the version you read goes in If-Match."""

    caseworker_id: int | UnsetType | None = UNSET
    referral_source: DefectorCase.ReferralSource | UnsetType = UNSET
    environment: DefectorCase.Environment | UnsetType = UNSET
    is_child: bool | UnsetType = UNSET
    notes: str | UnsetType = UNSET
    motivated: bool | UnsetType | None = UNSET
    is_witness: bool | UnsetType = UNSET
    threat_level: DefectorCase.Threat | UnsetType = UNSET
    threat_assessed_on: date | UnsetType | None = UNSET
    social_services_eligible: bool | UnsetType | None = UNSET
    psychiatric_collaboration: bool | UnsetType = UNSET


class CaseUpdateIn(CaseChangesIn, kw_only=True):
    version: int


class CaseStatusIn(msgspec.Struct):
    to_status: CaseStatus
    # The status the caller saw; if the case has moved on since, 409.
    from_status: CaseStatus | None = None
    outcome: DefectorCase.Outcome | None = None  # needed to close
    reason: str = ""
    # Move on although a gate (consent, threat assessment, eligibility decision) is not
    # met: a recorded exception, which needs a reason.
    override: bool = False


class ConsentIn(msgspec.Struct):
    agency: ConsentAgency
    given_on: date | None = None


class ConsentWithdrawIn(msgspec.Struct):
    withdrawn_on: date | None = None


class NeedIn(msgspec.Struct):
    need: CaseNeed.Need
    assessed_on: date | None = None


class NeedMetIn(msgspec.Struct):
    met_on: date | None = None


class GrantIn(msgspec.Struct):
    applied_on: date
    amount_applied: Decimal


class GrantDecisionIn(msgspec.Struct):
    decision: GrantApplication.Decision
    decided_on: date | None = None
    amount_granted: Decimal | None = None


class FollowUpIn(msgspec.Struct):
    phase: CaseFollowUp.Phase
    follow_up_on: date | None = None
    months_since_start: int | None = None  # counted from the case's start when left out
    housing: CaseFollowUp.Level = CaseFollowUp.Level.unknown
    occupation: CaseFollowUp.Level = CaseFollowUp.Level.unknown
    criminality: CaseFollowUp.Level = CaseFollowUp.Level.unknown
    substance_use: CaseFollowUp.Level = CaseFollowUp.Level.unknown
    safety: CaseFollowUp.Level = CaseFollowUp.Level.unknown
    notes: str = ""


class ChangeResult(msgspec.Struct):
    """What a change did to the police track (the case page says so)."""

    police_track_active: bool
    police_track_ended: bool
