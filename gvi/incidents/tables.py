"""Incident and the groups and people linked to it."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Archivable, Keyed
from gvi.groups.tables import Group
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person


class Incident(Archivable, Table, tablename="incident"):
    class Kind(StrEnum):
        shooting = "shooting"
        explosion = "explosion"
        stabbing = "stabbing"
        threat = "threat"
        other = "other"

    class Harm(StrEnum):
        none = "none"
        property = "property"
        injured = "injured"
        killed = "killed"

    class ReviewStatus(StrEnum):
        new = "new"
        in_review = "in_review"
        reviewed = "reviewed"

    occurred_at = Timestamptz()
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    area = Varchar(length=200, default="")
    place = Text(default="")
    kind = Varchar(length=16, choices=Kind)
    harm = Varchar(length=16, choices=Harm, default=Harm.none)
    motive = Text(default="")
    review_status = Varchar(length=16, choices=ReviewStatus, default=ReviewStatus.new)
    review_notes = Text(default="")
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)


class IncidentGroup(Keyed, Table, tablename="incident_group"):
    class Role(StrEnum):
        suspected = "suspected"
        victim = "victim"

    incident = ForeignKey(Incident, on_delete=OnDelete.restrict)
    group = ForeignKey(Group, on_delete=OnDelete.restrict)
    role = Varchar(length=16, choices=Role)


class IncidentPerson(Keyed, Table, tablename="incident_person"):
    class Role(StrEnum):
        suspect = "suspect"
        victim = "victim"
        witness = "witness"
        other = "other"

    incident = ForeignKey(Incident, on_delete=OnDelete.restrict)
    person = ForeignKey(Person, on_delete=OnDelete.restrict)
    role = Varchar(length=16, choices=Role)
