"""Task."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Text, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.callins.tables import CallIn, Notification
from gvi.core.columns import Archivable
from gvi.defectors.tables import DefectorCase
from gvi.municipalities.tables import Municipality, Unit
from gvi.people.tables import Person


class Task(Archivable, Table, tablename="task"):
    class Kind(StrEnum):
        custom_notification = "custom_notification"
        outreach_contact = "outreach_contact"
        follow_up = "follow_up"
        other = "other"

    class Status(StrEnum):
        open = "open"
        done = "done"
        cancelled = "cancelled"

    title = Varchar(length=200)
    kind = Varchar(length=24, choices=Kind, default=Kind.other)
    status = Varchar(length=16, choices=Status, default=Status.open)
    due_on = Date()
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    assignee = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict, null=True)
    person = ForeignKey(Person, on_delete=OnDelete.restrict, null=True)
    call_in = ForeignKey(CallIn, on_delete=OnDelete.restrict, null=True)
    notification = ForeignKey(Notification, on_delete=OnDelete.restrict, null=True)
    defector_case = ForeignKey(DefectorCase, on_delete=OnDelete.restrict, null=True)
    notes = Text(default="")
