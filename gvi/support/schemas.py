"""API shapes for support offers, providers and methods; the services hand out the same
structs, so the pages and the API show one thing.

Updates are partial (``UNSET`` leaves a field as it is) and name the
``version`` they read: a stale version is answered with 409.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from gvi.support.tables import (
    Method,
    OfferStatus,
    Provider,
    ProviderCheck,
    ProviderDeviation,
    SupportOffer,
)

# --- providers ----------------------------------------------------------------


class ProviderCheckView(msgspec.Struct, frozen=True):
    id: int
    checked_on: date
    what: str
    result: str
    checked_by: str | None
    # document_check (registry extracts, permits) or follow_up_visit
    kind: str = "document_check"


class ProviderRequirementView(msgspec.Struct, frozen=True):
    id: int
    agreement: str
    requirement: str
    valid_from: date | None
    valid_to: date | None


class ProviderDeviationView(msgspec.Struct, frozen=True):
    id: int
    reported_on: date
    severity: str  # minor, moderate, serious
    description: str
    measures: str
    closed_on: date | None
    reported_by: str | None
    version: int


class ProviderView(msgspec.Struct, frozen=True):
    id: int
    name: str
    kind: str
    services: str
    contract_reference: str
    municipality_id: int | None
    municipality: str | None
    is_active: bool
    last_approved_on: date | None
    # A private provider without an approved requirement check in the last 12 months.
    needs_check: bool
    version: int
    checks: list[ProviderCheckView] | None = None
    # Deviations not yet closed (shown wherever the provider can be chosen).
    open_deviations: int = 0
    requirements: list[ProviderRequirementView] | None = None
    deviations: list[ProviderDeviationView] | None = None


class ProviderPage(msgspec.Struct):
    items: list[ProviderView]
    total: int
    page: int
    page_size: int


class ProviderIn(msgspec.Struct):
    name: str
    kind: Provider.Kind
    services: str = ""
    contract_reference: str = ""
    municipality_id: int | None = None


class ProviderChangesIn(msgspec.Struct, kw_only=True):
    """Fields left out keep their value; the version you read goes in If-Match."""

    name: str | UnsetType = UNSET
    kind: Provider.Kind | UnsetType = UNSET
    services: str | UnsetType = UNSET
    contract_reference: str | UnsetType = UNSET
    municipality_id: int | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


class ProviderUpdateIn(ProviderChangesIn, kw_only=True):
    version: int


class ProviderCheckIn(msgspec.Struct):
    what: str
    result: ProviderCheck.Result
    checked_on: date | None = None  # today when left out
    kind: ProviderCheck.Kind = ProviderCheck.Kind.document_check


class ProviderRequirementIn(msgspec.Struct):
    """A particular requirement of a procurement or agreement (``agreement`` names it)."""

    requirement: str
    agreement: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


class ProviderDeviationIn(msgspec.Struct):
    """An avvikelse: what happened (never a person's name), how serious, the measures."""

    severity: ProviderDeviation.Severity
    description: str
    measures: str = ""
    reported_on: date | None = None  # today when left out


class ProviderDeviationCloseIn(msgspec.Struct):
    """Close a deviation once its measures are done (``measures`` says what was done)."""

    version: int
    measures: str
    closed_on: date | None = None  # today when left out


# --- methods ------------------------------------------------------------------


class MethodView(msgspec.Struct, frozen=True):
    id: int
    unit_id: int
    unit: str
    name: str
    description: str
    # scientific (vetenskapligt stöd), promising (lovande praktik), not_evaluated
    evidence: str
    evidence_source: str
    is_active: bool
    version: int
    # Whether the reader belongs to the method's unit and so may change it.
    editable: bool
    # Offers that name the method (all units, no person data).
    offers: int = 0


class MethodPage(msgspec.Struct):
    items: list[MethodView]
    total: int
    page: int
    page_size: int


class MethodIn(msgspec.Struct):
    """A new method in the catalogue of ``unit_id``, one of the caller's units."""

    unit_id: int
    name: str
    evidence: Method.Evidence
    description: str = ""
    evidence_source: str = ""


class MethodChangesIn(msgspec.Struct, kw_only=True):
    """Fields left out keep their value; the version you read goes in If-Match."""

    name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    evidence: Method.Evidence | UnsetType = UNSET
    evidence_source: str | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


class MethodUpdateIn(MethodChangesIn, kw_only=True):
    version: int


# --- offers -------------------------------------------------------------------


class OfferStatusChangeView(msgspec.Struct, frozen=True):
    from_status: str | None
    to_status: str
    changed_on: date
    changed_by: str | None
    note: str


class OfferSummary(msgspec.Struct, frozen=True):
    id: int
    person_code: str
    municipality: str
    category: str
    provider: str | None
    context: str
    status: str
    offered_on: date
    defector_case_id: int | None
    case_reference: str | None


class OfferView(msgspec.Struct, frozen=True):
    id: int
    person_id: int
    person_code: str
    municipality: str
    category: str
    provider_id: int | None
    provider: str | None
    provider_needs_check: bool
    method_id: int | None
    method: str | None
    method_evidence: str | None
    context: str
    call_in_id: int | None
    call_in: str | None
    notification_id: int | None
    defector_case_id: int | None
    case_reference: str | None
    status: str
    offered_on: date
    cost: Decimal | None
    notes: str
    version: int
    # Whether the offer ever became a started intervention (see gvi.support.transitions).
    reached_start: bool
    allowed_statuses: list[str]
    history: list[OfferStatusChangeView]


class OfferPage(msgspec.Struct):
    items: list[OfferSummary]
    total: int
    page: int
    page_size: int


class OfferIn(msgspec.Struct):
    """A new offer. The context names its link: ``call_in_id`` for a call-in,
    ``notification_id`` for a custom notification, ``defector_case_id`` for a
    defector case, none for street outreach."""

    person_code: str
    category: SupportOffer.Category
    context: SupportOffer.Context = SupportOffer.Context.street_outreach
    provider_id: int | None = None
    method_id: int | None = None
    call_in_id: int | None = None
    notification_id: int | None = None
    defector_case_id: int | None = None
    offered_on: date | None = None  # today when left out
    cost: Decimal | None = None
    notes: str = ""
    # A second open offer of the same category for the same person is refused (400)
    # until the caller confirms it is not logged twice.
    confirm_duplicate: bool = False


class OfferChangesIn(msgspec.Struct, kw_only=True):
    """Fields left out keep their value; the version you read goes in If-Match."""

    category: SupportOffer.Category | UnsetType = UNSET
    provider_id: int | UnsetType | None = UNSET
    method_id: int | UnsetType | None = UNSET
    offered_on: date | UnsetType = UNSET
    cost: Decimal | UnsetType | None = UNSET
    notes: str | UnsetType = UNSET


class OfferUpdateIn(OfferChangesIn, kw_only=True):
    version: int


class OfferStatusIn(msgspec.Struct):
    to_status: OfferStatus
    # The status the caller saw; if the offer has moved on since, 409.
    from_status: OfferStatus | None = None
    changed_on: date | None = None  # today when left out
    note: str = ""


class OfferLinkIn(msgspec.Struct):
    """Link a logged offer to (or move it between) a defector case, a call-in or a
    custom notification; ``target_id`` None unlinks it from that kind of record."""

    version: int
    target: Literal["defector_case", "call_in", "notification"]
    target_id: int | None = None


class OfferToLink(msgspec.Struct, frozen=True):
    """An offer of the case's person not linked to the case (the case page's list)."""

    id: int
    version: int
    category: str
    status: str
    offered_on: date
    context: str
    case_reference: str | None
