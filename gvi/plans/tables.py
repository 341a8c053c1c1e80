"""CasePlan (one per case: overall owner, SIP, approval), PlanItem, GoalRating
and PlanEvent (the plan's history on the case timeline)."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Archivable, Keyed
from gvi.defectors.tables import CaseFollowUp, DefectorCase
from gvi.support.tables import Method


class Party(StrEnum):
    """Who is responsible for a plan item, or holds the overall responsibility."""

    social_services = "social_services"  # socialtjänsten
    psychiatry = "psychiatry"  # regionens psykiatri
    addiction_care = "addiction_care"  # beroendevården
    primary_care = "primary_care"  # primärvården
    probation = "probation"  # Kriminalvården
    school = "school"
    employment_service = "employment_service"
    other = "other"


class ItemStatus(StrEnum):
    planned = "planned"
    ongoing = "ongoing"
    done = "done"
    cancelled = "cancelled"


class Rating(StrEnum):
    met = "met"
    partly = "partly"
    not_met = "not_met"


class CasePlan(Archivable, Table, tablename="case_plan"):
    """The case's plan as a whole (genomförandeplan; a SIP when the region takes part)."""

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict, unique=True)
    owner = Varchar(
        length=24, choices=Party, default=Party.social_services, help_text="Overall responsibility."
    )
    sip = Boolean(default=False, help_text="A samordnad individuell plan with the region.")
    sip_started_on = Date(null=True, default=None)
    sip_ended_on = Date(null=True, default=None)
    approved_at = Timestamptz(
        null=True, default=None, help_text="Cleared when the plan changes after approval."
    )
    approved_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class PlanItem(Archivable, Table, tablename="plan_item"):
    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    goal = Text()
    measure = Text(default="")
    party = Varchar(length=24, choices=Party)
    method = ForeignKey(Method, on_delete=OnDelete.restrict, null=True)
    starts_on = Date()
    due_on = Date(null=True, default=None)
    status = Varchar(length=16, choices=ItemStatus, default=ItemStatus.planned)


class GoalRating(Keyed, Table, tablename="plan_goal_rating"):
    """How far an item's goal was reached, as judged at one follow-up."""

    item = ForeignKey(PlanItem, on_delete=OnDelete.restrict)
    follow_up = ForeignKey(CaseFollowUp, on_delete=OnDelete.restrict)
    rating = Varchar(length=16, choices=Rating)
    rated_at = Timestamptz()
    rated_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class PlanEvent(Keyed, Table, tablename="plan_event"):
    """One step in the plan's history, for the case timeline: an item added or
    moved, SIP started or ended, the plan approved, goals rated."""

    class Kind(StrEnum):
        item_added = "item_added"
        item_status = "item_status"
        owner = "owner"
        sip_started = "sip_started"
        sip_ended = "sip_ended"
        approved = "approved"
        goals_rated = "goals_rated"

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    kind = Varchar(length=16, choices=Kind)
    at = Timestamptz()
    by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    item = ForeignKey(PlanItem, on_delete=OnDelete.restrict, null=True)
    value = Varchar(length=24, default="", help_text="The new status, owner or a count.")
