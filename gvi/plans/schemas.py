"""What the plan's API and pages take and give."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from gvi.plans.tables import ItemStatus, Party, Rating


class PlanItemIn(msgspec.Struct):
    goal: str
    party: Party
    measure: str = ""
    method_id: int | None = None
    starts_on: date | None = None  # today when left out
    due_on: date | None = None


class PlanItemStatusIn(msgspec.Struct):
    version: int
    status: ItemStatus


class PlanOwnerIn(msgspec.Struct):
    version: int  # the plan's version (0 while the case has no plan yet)
    owner: Party


class SipIn(msgspec.Struct):
    """Start (with the healthcare consent in force) or end the SIP."""

    version: int
    sip: bool
    on: date | None = None  # today when left out


class ApproveIn(msgspec.Struct):
    version: int


class GoalRatingIn(msgspec.Struct):
    item_id: int
    rating: Rating


class GoalRatingsIn(msgspec.Struct):
    """The goals as judged at one follow-up; an item left out is not rated."""

    follow_up_id: int
    ratings: list[GoalRatingIn] = []


class RatingOut(msgspec.Struct, frozen=True):
    follow_up_id: int
    phase: str
    follow_up_on: date
    rating: str


class PlanItemOut(msgspec.Struct, frozen=True):
    id: int
    goal: str
    measure: str
    party: str
    method_id: int | None
    method: str | None
    method_evidence: str | None
    starts_on: date
    due_on: date | None
    status: str
    version: int
    ratings: list[RatingOut] = []


class FollowUpRef(msgspec.Struct, frozen=True):
    id: int
    phase: str
    follow_up_on: date


class PlanOut(msgspec.Struct, frozen=True):
    case_id: int
    case_reference: str
    version: int  # 0 while the case has no plan row yet
    owner: str
    sip: bool
    sip_started_on: date | None
    sip_ended_on: date | None
    sip_consent_in_force: bool
    approved_at: datetime | None
    approved_by: str | None
    items: list[PlanItemOut]
    follow_ups: list[FollowUpRef]
    closed: bool

    @property
    def parties(self) -> list[str]:
        seen: list[str] = []
        for item in self.items:
            if item.party not in seen and item.status != ItemStatus.cancelled:
                seen.append(item.party)
        return seen
