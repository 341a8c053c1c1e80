"""EnforcementAction: the promise ledger's entries."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Text, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.callins.tables import Promise
from gvi.core.columns import Archivable
from gvi.groups.tables import Group
from gvi.incidents.tables import Incident
from gvi.municipalities.tables import Municipality


class EnforcementAction(Archivable, Table, tablename="enforcement_action"):
    class Agency(StrEnum):
        police = "police"
        prosecutor = "prosecutor"
        probation = "probation"
        customs = "customs"
        tax_agency = "tax_agency"
        other = "other"

    class Kind(StrEnum):
        arrest = "arrest"
        search = "search"
        probation_check = "probation_check"
        seizure = "seizure"
        traffic_control = "traffic_control"
        other = "other"

    class Status(StrEnum):
        planned = "planned"
        done = "done"
        cancelled = "cancelled"

    group = ForeignKey(Group, on_delete=OnDelete.restrict)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
    triggering_incident = ForeignKey(Incident, on_delete=OnDelete.restrict, null=True)
    promise = ForeignKey(Promise, on_delete=OnDelete.restrict, null=True)
    agency = Varchar(length=16, choices=Agency, default=Agency.police)
    kind = Varchar(length=24, choices=Kind)
    action_date = Date()
    status = Varchar(length=16, choices=Status, default=Status.planned)
    notes = Text(default="")
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
