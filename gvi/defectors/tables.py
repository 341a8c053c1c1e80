"""DefectorCase and what hangs off it: status history, consents, grant
applications, needs and individual follow-ups.

Interventions are the case's :class:`gvi.support.tables.SupportOffer` rows.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Archivable, Keyed
from gvi.municipalities.tables import Municipality, Unit
from gvi.people.tables import Person


class CaseStatus(StrEnum):
    contact = "contact"
    motivation_assessment = "motivation_assessment"
    consent = "consent"
    risk_assessment = "risk_assessment"
    investigation = "investigation"
    agreement = "agreement"
    interventions = "interventions"
    follow_up = "follow_up"
    closed = "closed"


class DefectorCase(Archivable, Table, tablename="defector_case"):
    class ReferralSource(StrEnum):
        self_referral = "self"
        police = "police"
        economic_assistance = "economic_assistance"
        addiction_care = "addiction_care"
        probation = "probation"
        sis = "sis"
        school = "school"
        other = "other"

    class Environment(StrEnum):
        criminal_network = "criminal_network"
        violent_extremism = "violent_extremism"
        honour_related = "honour_related"

    class Threat(StrEnum):
        unknown = "unknown"
        none = "none"
        low = "low"
        medium = "medium"
        high = "high"

    class Outcome(StrEnum):
        completed = "completed"
        dropped_out = "dropped_out"
        moved = "moved"
        other = "other"

    reference = Varchar(length=24, unique=True, help_text="Case number, e.g. AH-2023-0007.")
    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    municipality = ForeignKey(
        Municipality, on_delete=OnDelete.restrict, help_text="Home municipality."
    )
    unit = ForeignKey(
        Unit, on_delete=OnDelete.restrict, help_text="Responsible (possibly joint) unit."
    )
    caseworker = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    status = Varchar(length=32, choices=CaseStatus, default=CaseStatus.contact)
    referral_source = Varchar(length=32, choices=ReferralSource)
    environment = Varchar(length=32, choices=Environment, default=Environment.criminal_network)
    is_child = Boolean(default=False)
    opened_on = Date()
    closed_on = Date(null=True, default=None)
    closure_outcome = Varchar(length=16, choices=Outcome, null=True, default=None)
    social_services_eligible = Boolean(
        null=True, default=None, help_text="Needs assessment result."
    )
    motivated = Boolean(null=True, default=None)
    is_witness = Boolean(default=False)
    threat_level = Varchar(length=16, choices=Threat, default=Threat.unknown)
    threat_assessed_on = Date(null=True, default=None)
    police_track_active = Boolean(
        default=False, help_text="Police definition met and every agency consent in force."
    )
    psychiatric_collaboration = Boolean(default=False)
    notes = Text(default="")
    external_ref = Varchar(
        length=64,
        null=True,
        default=None,
        index=True,
        help_text="The case's id in the system it was imported from; unique per unit.",
    )


class CaseStatusChange(Keyed, Table, tablename="case_status_change"):
    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    from_status = Varchar(length=32, null=True, default=None)
    to_status = Varchar(length=32)
    changed_at = Timestamptz()
    changed_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    reason = Text(default="")
    overridden_gate = Varchar(
        length=32,
        default="",
        help_text="The gate this move passed by a recorded exception; empty if none.",
    )


class CaseAssessmentChange(Keyed, Table, tablename="case_assessment_change"):
    """A change to one of the case's assessments (threat, motivation, witness, the
    social services' decision), so the timeline shows when an assessment changed."""

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    field = Varchar(length=32, help_text="threat_level, threat_assessed_on, motivated, …")
    old_value = Varchar(length=32, default="")
    new_value = Varchar(length=32, default="")
    changed_at = Timestamptz()
    changed_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


# --- transfers between units (issue 22, part 3) -----------------------------------------


class TransferState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class CaseTransfer(Archivable, Table, tablename="case_transfer"):
    """A case offered from its unit to another social-services unit (another
    municipality's social services or a joint defector unit). At most one is
    pending per case; the row is kept whatever the outcome, so both units' lists
    and the case's timeline show it. The case's home municipality never changes
    (the figures count a case where it was opened)."""

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    from_unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
    to_unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
    offered_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    offered_at = Timestamptz()
    reason = Text(help_text="Why the case is offered; shown to the receiving unit.")
    state = Varchar(length=16, choices=TransferState, default=TransferState.pending, index=True)
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decline_reason = Text(default="")
    caseworker_before = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    caseworker_after = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)


class ConsentAgency(StrEnum):
    police = "police"
    social_services = "social_services"
    probation = "probation"
    healthcare = "healthcare"
    school = "school"
    employment_service = "employment_service"


class CaseConsent(Archivable, Table, tablename="case_consent"):
    """Consent to exchange information with one agency; withdrawal is a date, not a delete."""

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    agency = Varchar(length=32, choices=ConsentAgency)
    given_on = Date()
    withdrawn_on = Date(null=True, default=None)


class GrantApplication(Archivable, Table, tablename="grant_application"):
    """Statsbidrag via Polismyndigheten; only for police-track cases."""

    class Decision(StrEnum):
        pending = "pending"
        granted = "granted"
        rejected = "rejected"

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    applied_on = Date()
    amount_applied = Numeric(digits=(12, 2))
    decided_on = Date(null=True, default=None)
    decision = Varchar(length=16, choices=Decision, default=Decision.pending)
    amount_granted = Numeric(digits=(12, 2), null=True, default=None)


class CaseNeed(Archivable, Table, tablename="case_need"):
    class Need(StrEnum):
        housing = "housing"
        psychiatric = "psychiatric"
        addiction = "addiction"
        debt = "debt"
        employment = "employment"
        education = "education"
        family = "family"
        protection = "protection"

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    need = Varchar(length=16, choices=Need)
    assessed_on = Date()
    met_on = Date(null=True, default=None)


class CaseFollowUp(Archivable, Table, tablename="case_follow_up"):
    """Individual-based systematic follow-up: the situation before, during and after."""

    class Phase(StrEnum):
        before = "before"
        during = "during"
        after = "after"

    class Level(StrEnum):
        good = "good"
        partly = "partly"
        poor = "poor"
        unknown = "unknown"

    case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict)
    phase = Varchar(length=8, choices=Phase)
    follow_up_on = Date()
    months_since_start = Integer(default=0)
    housing = Varchar(length=8, choices=Level, default=Level.unknown)
    occupation = Varchar(length=8, choices=Level, default=Level.unknown)
    criminality = Varchar(length=8, choices=Level, default=Level.unknown, help_text="good = none")
    substance_use = Varchar(length=8, choices=Level, default=Level.unknown)
    safety = Varchar(length=8, choices=Level, default=Level.unknown)
    notes = Text(default="")
