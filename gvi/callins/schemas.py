"""API shapes for call-ins (/api/v1/callins). People appear by pseudonymous code
only."""

from __future__ import annotations

from datetime import datetime

import msgspec


class CallInOut(msgspec.Struct):
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


class CallInPage(msgspec.Struct):
    items: list[CallInOut]
    total: int
    page: int
    page_size: int


class PromiseOut(msgspec.Struct):
    id: int
    position: int
    text: str


class SpeakerOut(msgspec.Struct):
    id: int
    role: str
    name: str
    organisation: str


class InvitationOut(msgspec.Struct):
    id: int
    person_id: int | None  # None for a person outside the user's scope
    code: str
    group_id: int | None
    group: str
    status: str
    override_reason: str


class ReachOut(msgspec.Struct):
    group_id: int
    name: str
    municipality: str
    level: str
    invited: int
    members: int
    needed: int
    via: list[str]


class WarningOut(msgspec.Struct):
    kind: str
    invited_group_id: int
    invited_group: str
    other_group_id: int
    other_group: str
    other_municipality: str
    intensity: int


class CallInDetailOut(msgspec.Struct):
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
    promises: list[PromiseOut]
    speakers: list[SpeakerOut]
    invitations: list[InvitationOut]
    counts: dict[str, int]
    reach: list[ReachOut]
    warnings: list[WarningOut]


class CallInIn(msgspec.Struct):
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    municipality_id: int
    capacity: int = 20
    message: str = ""
    promises: list[str] = []


class StatusIn(msgspec.Struct):
    version: int
    status: str


class StatusOut(msgspec.Struct):
    status: str
    tasks_created: int


class SpeakerIn(msgspec.Struct):
    role: str
    name: str
    organisation: str = ""


class InvitePick(msgspec.Struct):
    person_id: int
    group_id: int


class InviteIn(msgspec.Struct):
    picks: list[InvitePick]
    override_reason: str = ""


class InviteOut(msgspec.Struct):
    created: int
    skipped: int
    overridden: bool
    warnings: list[WarningOut]


class InvitationStatusIn(msgspec.Struct):
    status: str


class PlannerOut(msgspec.Struct):
    """What adding the chosen groups would do: reach so far and the warnings."""

    reach: list[ReachOut]
    warnings: list[WarningOut]
