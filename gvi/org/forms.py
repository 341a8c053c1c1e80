"""Form bodies of the unit pages, and the labels they show."""

from __future__ import annotations

import msgspec

from gvi.i18n import N_
from gvi.municipalities.tables import Agency, Unit

KIND_LABELS: dict[str, str] = {
    Unit.Kind.social_services: N_("Socialtjänst"),
    Unit.Kind.police: N_("Polis"),
    Unit.Kind.coordination: N_("Samordning"),
    Unit.Kind.joint_defector_unit: N_("Gemensam avhopparverksamhet"),
    Unit.Kind.other: N_("Annan"),
}

AGENCY_LABELS: dict[str, str] = {
    Agency.social_services: N_("Socialtjänsten"),
    Agency.police: N_("Polisen"),
    Agency.municipality: N_("Kommunen"),
}


class UnitForm(msgspec.Struct):
    version: str = ""
    name: str = ""
    kind: str = ""
    agency: str = ""
    home: str = ""
    serves: list[str] | str = []

    def served_codes(self) -> tuple[str, ...]:
        items = [self.serves] if isinstance(self.serves, str) else self.serves
        return tuple(c.strip() for c in items if c.strip())


class UnitActionForm(msgspec.Struct):
    version: str = ""
    confirm: str = ""
