"""API shapes for enforcement actions (/api/v1/enforcement) and the promise ledger
(/api/v1/callins/{id}/ledger). Ledger fields that are police detail are ``None``
for coordinators."""

from __future__ import annotations

from datetime import date

import msgspec


class ActionOut(msgspec.Struct):
    id: int
    group: str
    municipality: str
    agency: str
    kind: str
    action_date: date
    status: str
    incident_id: int | None
    call_in_id: int | None
    promise_position: int | None


class ActionPage(msgspec.Struct):
    items: list[ActionOut]
    total: int
    page: int
    page_size: int


class ActionDetailOut(msgspec.Struct):
    id: int
    version: int
    group_id: int
    group: str
    municipality_id: int
    municipality: str
    triggering_incident_id: int | None
    promise_id: int | None
    call_in_id: int | None
    agency: str
    kind: str
    action_date: date
    status: str
    notes: str


class ActionIn(msgspec.Struct):
    group_id: int
    municipality_id: int
    kind: str
    action_date: date
    agency: str = "police"
    status: str = "planned"
    triggering_incident_id: int | None = None
    promise_id: int | None = None
    notes: str = ""


class LedgerActionOut(msgspec.Struct):
    day: date
    kind: str
    status: str
    group: str
    id: int | None = None
    agency: str | None = None
    notes: str | None = None


class LedgerTriggerOut(msgspec.Struct):
    incident_day: date
    incident_kind: str
    groups: list[str]
    actions: list[LedgerActionOut]
    days_to_first_action: int | None
    incident_id: int | None = None


class LedgerPromiseOut(msgspec.Struct):
    id: int
    position: int
    text: str
    kept: bool
    incidents: int
    actions_taken: int
    actions_planned: int
    first_trigger: date | None
    first_action: date | None
    days_to_first_action: int | None
    triggers: list[LedgerTriggerOut]
    untriggered: list[LedgerActionOut]


class UnansweredOut(msgspec.Struct):
    incident_day: date
    incident_kind: str
    groups: list[str]
    incident_id: int | None = None


class LedgerIncidentOut(msgspec.Struct):
    incident_day: date
    incident_kind: str
    groups: list[str]
    triggered: bool
    reason: str
    incident_id: int | None = None


class LedgerOut(msgspec.Struct):
    call_in_id: int
    title: str
    day: date
    municipality: str
    detail: bool
    promises_kept: int
    promises_triggered: int
    promises: list[LedgerPromiseOut]
    unanswered: list[UnansweredOut]
    held: bool = True
    considered: list[LedgerIncidentOut] = msgspec.field(default_factory=list)
