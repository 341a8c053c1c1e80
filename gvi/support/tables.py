"""Provider with its checks, requirements and deviations; Method; SupportOffer and its
status history."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.callins.tables import CallIn, Notification
from gvi.core.columns import Archivable, Keyed
from gvi.defectors.tables import DefectorCase
from gvi.municipalities.tables import Municipality, Unit
from gvi.people.tables import Person


class Provider(Archivable, Table, tablename="provider"):
    class Kind(StrEnum):
        municipal = "municipal"
        private = "private"
        non_profit = "non_profit"

    name = Varchar(length=160, unique=True)
    kind = Varchar(length=16, choices=Kind)
    services = Text(default="")
    contract_reference = Varchar(length=80, default="", help_text="Contract or procurement ref.")
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict, null=True)
    is_active = Boolean(default=True)


class ProviderCheck(Archivable, Table, tablename="provider_check"):
    class Result(StrEnum):
        approved = "approved"
        remarks = "remarks"
        rejected = "rejected"

    class Kind(StrEnum):
        document_check = "document_check"  # registry extracts, permits, insurance
        follow_up_visit = "follow_up_visit"  # a visit to follow the agreement up

    provider = ForeignKey(Provider, on_delete=OnDelete.restrict)
    checked_on = Date()
    what = Text(help_text="What was checked, e.g. registry extract, IVO permit, references.")
    result = Varchar(length=16, choices=Result)
    checked_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    kind = Varchar(length=16, choices=Kind, default=Kind.document_check)


class ProviderRequirement(Archivable, Table, tablename="provider_requirement"):
    """One particular requirement of a procurement or agreement with a provider."""

    provider = ForeignKey(Provider, on_delete=OnDelete.restrict)
    agreement = Varchar(length=80, default="", help_text="The procurement or agreement.")
    requirement = Text()
    valid_from = Date(null=True, default=None)
    valid_to = Date(null=True, default=None)


class ProviderDeviation(Archivable, Table, tablename="provider_deviation"):
    """An avvikelse: something a provider did not do as agreed, and the measures."""

    class Severity(StrEnum):
        minor = "minor"  # lindrig
        moderate = "moderate"  # måttlig
        serious = "serious"  # allvarlig

    provider = ForeignKey(Provider, on_delete=OnDelete.restrict)
    reported_on = Date()
    severity = Varchar(length=16, choices=Severity)
    description = Text(help_text="What happened; never a person's name.")
    measures = Text(default="")
    closed_on = Date(null=True, default=None)
    reported_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class Method(Archivable, Table, tablename="method"):
    """A method or intervention in a unit's catalogue, with the strength of the
    evidence for it and who judged it (README: Methods and their evidence)."""

    class Evidence(StrEnum):
        scientific = "scientific"  # vetenskapligt stöd
        promising = "promising"  # lovande praktik
        not_evaluated = "not_evaluated"  # inte utvärderad

    unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
    name = Varchar(length=160)
    description = Text(default="")
    evidence = Varchar(length=16, choices=Evidence)
    evidence_source = Text(
        default="", help_text="Where the evidence level comes from, e.g. an SBU report."
    )
    is_active = Boolean(default=True)


class OfferStatus(StrEnum):
    offered = "offered"
    accepted = "accepted"
    declined = "declined"
    started = "started"
    completed = "completed"
    discontinued = "discontinued"


class SupportOffer(Archivable, Table, tablename="support_offer"):
    class Category(StrEnum):
        housing = "housing"
        employment = "employment"
        education = "education"
        addiction_care = "addiction_care"
        psychiatric_care = "psychiatric_care"
        family_support = "family_support"
        mentor = "mentor"
        debt_counselling = "debt_counselling"
        relocation = "relocation"
        tattoo_removal = "tattoo_removal"
        leisure = "leisure"
        other = "other"

    class Context(StrEnum):
        call_in = "call_in"
        notification = "notification"
        defector_case = "defector_case"
        street_outreach = "street_outreach"

    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    category = Varchar(length=24, choices=Category)
    provider = ForeignKey(Provider, on_delete=OnDelete.restrict, null=True)
    method = ForeignKey(Method, on_delete=OnDelete.restrict, null=True)
    context = Varchar(length=24, choices=Context)
    call_in = ForeignKey(CallIn, on_delete=OnDelete.restrict, null=True)
    notification = ForeignKey(Notification, on_delete=OnDelete.restrict, null=True)
    defector_case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict, null=True)
    status = Varchar(length=16, choices=OfferStatus, default=OfferStatus.offered)
    offered_on = Date()
    cost = Numeric(digits=(12, 2), null=True, default=None)
    notes = Text(default="")
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    external_ref = Varchar(
        length=64,
        null=True,
        default=None,
        index=True,
        help_text="The offer's id in the system it was imported from; unique per municipality.",
    )


class SupportOfferStatusChange(Keyed, Table, tablename="support_offer_status_change"):
    offer = ForeignKey(SupportOffer, on_delete=OnDelete.restrict)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    changed_on = Date()
    changed_at = Timestamptz()
    changed_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    note = Text(default="")
