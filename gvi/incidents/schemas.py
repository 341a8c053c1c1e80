"""API shapes for incidents under /api/v1/incidents. People appear by code only."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class IncidentOut(msgspec.Struct):
    id: int
    occurred_at: str
    municipality: str
    kind: str
    harm: str
    area: str
    review_status: str
    suspected_groups: list[str] = []
    victim_groups: list[str] = []


class IncidentPage(msgspec.Struct):
    items: list[IncidentOut]
    total: int
    page: int
    page_size: int


class GroupLinkOut(msgspec.Struct):
    group_id: int
    name: str
    role: str


class PersonLinkOut(msgspec.Struct):
    link_id: int
    person_id: int | None  # None for a person outside the user's scope
    code: str
    role: str


class RiskRowOut(msgspec.Struct):
    group_id: int
    name: str | None
    municipality: str
    score: float
    direction: str
    position: str
    positions: list[str]
    recent_incidents: int
    triads: int


class RiskOut(msgspec.Struct):
    incident_day: date
    open_until: date
    is_open: bool
    ranking: list[RiskRowOut]
    proposed_group_ids: list[int]


class IncidentDetailOut(msgspec.Struct):
    id: int
    version: int
    occurred_at: str
    municipality_id: int
    municipality: str
    area: str
    place: str
    kind: str
    harm: str
    motive: str
    review_status: str
    review_notes: str
    groups: list[GroupLinkOut]
    people: list[PersonLinkOut]
    risk: RiskOut | None


class IncidentIn(msgspec.Struct):
    occurred_at: datetime
    municipality_id: int
    kind: str
    harm: str = "none"
    area: str = ""
    place: str = ""
    motive: str = ""
    suspected_group_ids: list[int] = []
    victim_group_ids: list[int] = []


class ReviewIn(msgspec.Struct):
    version: int
    review_status: str
    review_notes: str = ""


class LinkPersonIn(msgspec.Struct):
    code: str
    role: str


class OpenRiskOut(msgspec.Struct):
    incident_id: int
    incident_day: date
    kind: str
    municipality: str
    open_until: date
    top: list[RiskRowOut]
