"""API shapes for groups, memberships, relations, the review queue and the import.

Analysts get the plain ``…Out`` structs, which have no field for free text;
everyone else gets the ``…FullOut`` ones with notes and sources. They are
separate classes on purpose: a field that is merely left empty for analysts is
one change away from being filled.
"""

from __future__ import annotations

from datetime import date

import msgspec
from msgspec import UNSET, UnsetType

# --- groups --------------------------------------------------------------------------


class AliasOut(msgspec.Struct):
    id: int
    alias: str


class GroupOut(msgspec.Struct):
    id: int
    name: str
    municipality_id: int
    municipality: str
    area: str
    status: str
    version: int
    aliases: list[AliasOut]


class GroupFullOut(msgspec.Struct):
    id: int
    name: str
    municipality_id: int
    municipality: str
    area: str
    status: str
    version: int
    aliases: list[AliasOut]
    notes: str


class GroupPage(msgspec.Struct):
    items: list[GroupOut]
    total: int
    page: int
    page_size: int


class GroupIn(msgspec.Struct):
    name: str
    municipality_id: int
    area: str = ""
    status: str = "active"
    notes: str = ""


class GroupUpdateIn(msgspec.Struct):
    """Fields left out keep their value; the version you read goes in If-Match."""

    name: str | UnsetType = UNSET
    municipality_id: int | UnsetType = UNSET
    area: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    notes: str | UnsetType = UNSET


class AliasIn(msgspec.Struct):
    alias: str


# --- memberships ---------------------------------------------------------------------


class MembershipOut(msgspec.Struct):
    id: int
    person_id: int | None  # None for a person outside the user's scope
    person_code: str
    group_id: int
    group: str
    role: str
    confidence: str
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    version: int


class MembershipFullOut(msgspec.Struct):
    id: int
    person_id: int | None  # None for a person outside the user's scope
    person_code: str
    group_id: int
    group: str
    role: str
    confidence: str
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    version: int
    source: str
    recorded_by: str


class MembershipPage(msgspec.Struct):
    items: list[MembershipOut]
    total: int
    page: int
    page_size: int


class MembershipFullPage(msgspec.Struct):
    items: list[MembershipFullOut]
    total: int
    page: int
    page_size: int


class MembershipIn(msgspec.Struct):
    person_code: str
    group_id: int
    role: str = "member"
    confidence: str = "medium"
    valid_from: date | None = None
    valid_to: date | None = None
    review_by: date | None = None
    source: str = ""


class MembershipUpdateIn(msgspec.Struct):
    """Fields left out keep their value; the version you read goes in If-Match."""

    role: str | UnsetType = UNSET
    confidence: str | UnsetType = UNSET
    valid_from: date | UnsetType | None = UNSET
    valid_to: date | UnsetType | None = UNSET
    review_by: date | UnsetType | None = UNSET
    source: str | UnsetType = UNSET


# --- relations -----------------------------------------------------------------------


class RelationOut(msgspec.Struct):
    """splinter_of and subgroup_of read group A → group B; the others either way."""

    id: int
    group_a_id: int
    group_a: str
    group_b_id: int
    group_b: str
    kind: str
    intensity: int
    confidence: str
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    version: int


class RelationFullOut(msgspec.Struct):
    id: int
    group_a_id: int
    group_a: str
    group_b_id: int
    group_b: str
    kind: str
    intensity: int
    confidence: str
    valid_from: date | None
    valid_to: date | None
    review_by: date | None
    version: int
    source: str
    recorded_by: str


class RelationPage(msgspec.Struct):
    items: list[RelationOut]
    total: int
    page: int
    page_size: int


class RelationFullPage(msgspec.Struct):
    items: list[RelationFullOut]
    total: int
    page: int
    page_size: int


class RelationIn(msgspec.Struct):
    group_a_id: int
    group_b_id: int
    kind: str
    intensity: int
    confidence: str = "medium"
    valid_from: date | None = None
    valid_to: date | None = None
    review_by: date | None = None
    source: str = ""


class RelationUpdateIn(msgspec.Struct):
    """Fields left out keep their value; the version you read goes in If-Match."""

    kind: str | UnsetType = UNSET
    intensity: int | UnsetType = UNSET
    confidence: str | UnsetType = UNSET
    valid_from: date | UnsetType | None = UNSET
    valid_to: date | UnsetType | None = UNSET
    review_by: date | UnsetType | None = UNSET
    source: str | UnsetType = UNSET


class ConfirmIn(msgspec.Struct):
    """Confirm a claim: it holds, review it again on ``review_by`` (after today)."""

    version: int
    review_by: date


class EndIn(msgspec.Struct):
    """End a claim: it held until ``valid_to`` (today when left out)."""

    version: int
    valid_to: date | None = None


# --- group detail and review ---------------------------------------------------------


class GroupDetailOut(msgspec.Struct):
    group: GroupOut
    members: list[MembershipOut]
    relations: list[RelationOut]
    as_of: date | None


class GroupFullDetailOut(msgspec.Struct):
    group: GroupFullOut
    members: list[MembershipFullOut]
    relations: list[RelationFullOut]
    as_of: date | None


class ReviewOut(msgspec.Struct):
    memberships: list[MembershipFullOut]
    memberships_total: int
    relations: list[RelationFullOut]
    relations_total: int


# --- import --------------------------------------------------------------------------


class ImportProblemOut(msgspec.Struct):
    file: str
    line: int
    field: str
    message: str


class ImportCountsOut(msgspec.Struct):
    groups: int
    aliases: int
    memberships: int
    relations: int


class ImportReportOut(msgspec.Struct):
    """``written`` says whether anything was saved: only a valid upload without
    dry run is. ``problems`` lists every bad row (line 0: the file as a whole)."""

    dry_run: bool
    valid: bool
    written: bool
    counts: ImportCountsOut
    rows: dict[str, int]
    problems: list[ImportProblemOut]


# (page, item) for analysts and for everyone else (gvi/groups/controllers/claims_api.py)
MEMBERSHIP_SHAPES = ((MembershipPage, MembershipOut), (MembershipFullPage, MembershipFullOut))
RELATION_SHAPES = ((RelationPage, RelationOut), (RelationFullPage, RelationFullOut))
