"""Helpers for the organisation tests: units and open cases made directly."""

from __future__ import annotations

from datetime import date

from gvi.defectors.tables import CaseStatus, DefectorCase
from gvi.municipalities.tables import Agency, Unit, UnitMunicipality
from gvi.people.tables import Person
from tests.support import reference_municipality


async def make_unit(
    name: str,
    home: str,
    serves: tuple[str, ...] = (),
    *,
    kind: str = Unit.Kind.social_services,
    agency: str = Agency.social_services,
) -> int:
    town = await reference_municipality(home)
    unit = Unit(name=name, kind=kind, agency=agency, municipality=town.id)
    await unit.save()
    for code in {home, *serves}:
        m = await reference_municipality(code)
        await UnitMunicipality(unit=unit.id, municipality=m.id).save()
    return int(unit.id)


async def make_person(code: str, home: str, notes: str = "") -> int:
    town = await reference_municipality(home)
    person = Person(code=code, home_municipality=town.id, notes=notes)
    await person.save()
    return int(person.id)


async def make_case(
    reference: str, unit_id: int, person_id: int, home: str, *, closed: bool = False
) -> int:
    town = await reference_municipality(home)
    case = DefectorCase(
        reference=reference,
        person=person_id,
        municipality=town.id,
        unit=unit_id,
        status=CaseStatus.closed if closed else CaseStatus.contact,
        referral_source=DefectorCase.ReferralSource.self_referral,
        opened_on=date(2026, 1, 5),
        notes="Hemlig anteckning om hotbilden",
    )
    await case.save()
    return int(case.id)
