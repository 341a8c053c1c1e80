"""Municipality, Unit and the municipalities a joint unit serves."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from gvi.core.columns import Archivable, Keyed


class Agency(StrEnum):
    """The partition a unit's records belong to (offentlighets- och sekretesslagen)."""

    social_services = "social_services"
    police = "police"
    municipality = "municipality"


class Municipality(Archivable, Table, tablename="municipality"):
    name = Varchar(length=80, unique=True)
    code = Varchar(length=4, unique=True, help_text="Kommunkod, four digits (SCB).")
    county = Varchar(length=80, default="Stockholms län")


class Unit(Archivable, Table, tablename="unit"):
    class Kind(StrEnum):
        social_services = "social_services"
        police = "police"
        coordination = "coordination"
        joint_defector_unit = "joint_defector_unit"
        other = "other"

    name = Varchar(length=120)
    kind = Varchar(length=32, choices=Kind)
    agency = Varchar(length=32, choices=Agency)
    municipality = ForeignKey(
        Municipality, on_delete=OnDelete.restrict, help_text="Home municipality of the unit."
    )
    is_active = Boolean(default=True)


class UnitMunicipality(Keyed, Table, tablename="unit_municipality"):
    """A unit serves these municipalities (a joint defector unit serves several)."""

    unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
    municipality = ForeignKey(Municipality, on_delete=OnDelete.restrict)
