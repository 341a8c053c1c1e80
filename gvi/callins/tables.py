"""CallIn, CallInSpeaker, Promise, Invitation and Notification."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Archivable
from gvi.groups.tables import Group
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person


class CallIn(Archivable, Table, tablename="call_in"):
    class Status(StrEnum):
        planned = "planned"
        held = "held"
        cancelled = "cancelled"

    title = Varchar(length=160)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    venue = Varchar(length=200)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    capacity = Integer(default=20)
    status = Varchar(length=16, choices=Status, default=Status.planned)
    message = Text(default="", help_text="The message delivered at the call-in.")
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class CallInSpeaker(Archivable, Table, tablename="call_in_speaker"):
    class Role(StrEnum):
        police = "police"
        prosecutor = "prosecutor"
        social_services = "social_services"
        community = "community"
        other = "other"

    call_in = ForeignKey(CallIn, on_delete=OnDelete.restrict)
    role = Varchar(length=16, choices=Role)
    name = Varchar(length=120, help_text="A public official or community voice, not a subject.")
    organisation = Varchar(length=160, default="")


class Promise(Archivable, Table, tablename="promise"):
    """One line of the call-in message: what happens to the group whose member next shoots."""

    call_in = ForeignKey(CallIn, on_delete=OnDelete.restrict)
    position = Integer(default=0)
    text = Text()


class Invitation(Archivable, Table, tablename="invitation"):
    class Status(StrEnum):
        invited = "invited"
        confirmed = "confirmed"
        attended = "attended"
        no_show = "no_show"
        excused = "excused"

    call_in = ForeignKey(CallIn, on_delete=OnDelete.restrict)
    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    group = ForeignKey(
        Group, on_delete=OnDelete.restrict, null=True, help_text="The group at the time."
    )
    status = Varchar(length=16, choices=Status, default=Status.invited)
    override_reason = Text(default="", help_text="Why a rivalry warning was overridden.")


class Notification(Archivable, Table, tablename="notification"):
    """A custom notification delivered to one person."""

    class Outcome(StrEnum):
        planned = "planned"
        delivered = "delivered"
        refused = "refused"
        not_found = "not_found"

    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    delivered_on = Date()
    delivered_by = Varchar(
        length=200, help_text="Agencies present, e.g. police and social services."
    )
    outcome = Varchar(length=16, choices=Outcome, default=Outcome.planned)
    offer_made = Text(default="")
    follow_up_due = Date(null=True, default=None)
    call_in = ForeignKey(
        CallIn,
        on_delete=OnDelete.restrict,
        null=True,
        default=None,
        help_text="The call-in whose message and promises this notification carries.",
    )
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
