"""API shapes for units and municipalities under /api/v1/admin. Municipalities
travel as kommunkoder, as strings: "0123", never 123."""

from __future__ import annotations

import msgspec

from gvi.municipalities.tables import Agency, Unit


class MunicipalityOut(msgspec.Struct):
    code: str
    name: str
    county: str


class UnitOut(msgspec.Struct):
    id: int
    name: str
    kind: Unit.Kind
    agency: Agency
    home: MunicipalityOut
    serves: list[MunicipalityOut]
    is_active: bool
    members: int
    version: int


class UnitIn(msgspec.Struct):
    """A new unit; the home municipality is always among those served."""

    name: str
    kind: str
    agency: str
    home: str
    serves: list[str] = []


class UnitChangeOut(msgspec.Struct):
    unit: UnitOut
    scope_changed: bool
    sessions_ended: int
