"""What the call-in services hand to the pages and the API: plain frozen records,
no table rows (a page never sees a column it should not show)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gvi.callins.forms import OVERRIDE_MESSAGE
from gvi.core.clock import local_day
from gvi.i18n import gettext


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class PromiseView:
    id: int
    position: int
    text: str


@dataclass(frozen=True)
class SpeakerView:
    id: int
    role: str
    name: str
    organisation: str


@dataclass(frozen=True)
class InvitationView:
    id: int
    # None, and the code "person i annan kommun", outside the user's scope (gvi.access.linked).
    person_id: int | None
    code: str
    protected: bool
    group_id: int | None
    group: str
    status: str
    override_reason: str
    # The person's id whatever the scope: for the audit row and the planner, never shown.
    person_ref: int = 0


@dataclass(frozen=True)
class ReachRow:
    group_id: int
    name: str
    municipality: str
    level: str
    invited: int
    members: int
    needed: int
    via: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WarningView:
    kind: str
    invited_group_id: int
    invited_group: str
    other_group_id: int
    other_group: str
    other_municipality: str
    intensity: int

    def token(self) -> list[Any]:
        return [self.kind, self.invited_group_id, self.other_group_id]


@dataclass(frozen=True)
class CallInRow:
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


@dataclass(frozen=True)
class CallInDetail:
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
    promises: list[PromiseView]
    speakers: list[SpeakerView]
    invitations: list[InvitationView]
    counts: dict[str, int]
    reach: list[ReachRow]
    warnings: list[WarningView]

    @property
    def day(self) -> date:
        return local_day(self.starts_at)


@dataclass(frozen=True)
class CallInDraft:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    venue: str
    municipality_id: int | None
    capacity: int | None
    message: str
    promises: Sequence[str]


@dataclass(frozen=True)
class MemberView:
    person_id: int
    code: str
    protected: bool
    role: str
    invited: bool


@dataclass(frozen=True)
class PlannerGroup:
    id: int
    name: str
    municipality: str
    members: int
    needed: int
    invited: int
    selected: bool
    people: list[MemberView] = field(default_factory=list)


@dataclass(frozen=True)
class PlannerView:
    call_in: CallInDetail
    groups: list[PlannerGroup]
    selected: list[int]
    warnings: list[WarningView]
    existing_warnings: list[WarningView]


class InviteNeedsOverride(Exception):
    """The invite list walks into a rivalry: save only with a written reason."""

    def __init__(self, warnings: list[WarningView], errors: dict[str, str]) -> None:
        super().__init__(gettext(OVERRIDE_MESSAGE))
        self.warnings = warnings
        self.errors = errors


@dataclass(frozen=True)
class InviteResult:
    created: int
    skipped: int
    overridden: bool
    warnings: list[WarningView]
