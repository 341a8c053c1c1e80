"""A small world for the record-import tests, and the files they upload.

Municipalities are reference data (``gvi migrate`` may already have loaded all
290): they are looked up by code and created only when missing.

- ``sofia``: social secretary in Järfälla who also works in the joint unit
  serving Järfälla and Sollentuna
- ``sigge``: social secretary in Sigtuna
- ``cora``: coordinator (may not import records)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.access.principal import Principal
from gvi.accounts.tables import Role, UserUnit
from gvi.municipalities.tables import Agency, Municipality, Unit, UnitMunicipality
from tests.support import csrf_from, login, make_user

SOC_JARFALLA = "Socialtjänsten Järfälla (import)"
SOC_SIGTUNA = "Socialtjänsten Sigtuna (import)"
JOINT = "Avhopparverksamheten Nordväst (import)"
BASE = "https://testserver.local"
NAMES = {"0123": "Järfälla", "0163": "Sollentuna", "0191": "Sigtuna"}


async def municipality(code: str, name: str | None = None) -> int:
    """The municipality with this kommunkod, created only if it is missing."""
    row = await Municipality.select(Municipality.id).where(Municipality.code == code).first()
    if row is not None:
        return int(row["id"])
    created = Municipality(name=name or NAMES.get(code, f"Kommun {code}"), code=code)
    await created.save()
    return int(created.id)


@dataclass
class World:
    municipality: dict[str, int]
    unit: dict[str, int]
    user: dict[str, int]
    secret: dict[str, str | None]

    def principal(self, name: str) -> Principal:
        role, units, codes = {
            "sofia": (Role.outreach, (SOC_JARFALLA, JOINT), ("0123",)),
            "sigge": (Role.outreach, (SOC_SIGTUNA,), ("0191",)),
            "cora": (Role.coordinator, (), ("0123",)),
        }[name]
        return Principal(
            user_id=self.user[name],
            username=f"imp-{name}",
            role=role,
            unit_id=self.unit[units[0]] if units else None,
            municipality_ids=frozenset(self.municipality[c] for c in codes),
            unit_ids=frozenset(self.unit[u] for u in units),
        )


async def build_world() -> World:
    municipalities = {code: await municipality(code) for code in NAMES}
    units: dict[str, int] = {}
    for name, kind, home, served in (
        (SOC_JARFALLA, Unit.Kind.social_services, "0123", ("0123",)),
        (SOC_SIGTUNA, Unit.Kind.social_services, "0191", ("0191",)),
        (JOINT, Unit.Kind.joint_defector_unit, "0123", ("0123", "0163")),
    ):
        unit = Unit(
            name=name, kind=kind, agency=Agency.social_services, municipality=municipalities[home]
        )
        await unit.save()
        units[name] = unit.id
        for code in served:
            await UnitMunicipality(unit=unit.id, municipality=municipalities[code]).save()
    users: dict[str, int] = {}
    secrets: dict[str, str | None] = {}
    for name, role, codes, unit_name in (
        ("sofia", "outreach", ["0123"], SOC_JARFALLA),
        ("sigge", "outreach", ["0191"], SOC_SIGTUNA),
        ("cora", "coordinator", ["0123"], None),
    ):
        users[name], secrets[name] = await make_user(
            f"imp-{name}", role, municipality_codes=codes, unit_name=unit_name
        )
    await UserUnit(user=users["sofia"], unit=units[JOINT]).save()
    return World(municipalities, units, users, secrets)


@asynccontextmanager
async def signed_in(app: Litestar, world: World, name: str) -> AsyncIterator[Any]:
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        await login(client, f"imp-{name}", world.secret[name])
        yield client


async def token(client: Any, path: str = "/records/import") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


PEOPLE_HEADER = (
    "external_ref,code,municipality_code,birth_year,protection,name,pin,address,phone,notes\n"
)
CASES_HEADER = (
    "external_ref,person_ref,person_code,municipality_code,unit,caseworker,opened_on,closed_on,"
    "closure_outcome,status_history,referral_source,environment,is_child,threat_level,"
    "threat_assessed_on,motivated,is_witness,social_services_eligible,consents,needs,grants,"
    "follow_ups,notes\n"
)
OFFERS_HEADER = (
    "external_ref,person_ref,person_code,case_ref,category,provider,context,status_history,"
    "cost,notes\n"
)


def people_csv() -> str:
    return PEOPLE_HEADER + (
        "EXT-1,,123,2001,none,Åsa Öberg,19010101-1234,Storgatan 1,070-1234567,\n"
        "EXT-2,P-IMP2,0123,1999,sekretessmarkering,Per Ärlig,,,,\n"
    )


def cases_csv(unit: str = JOINT) -> str:
    return CASES_HEADER + (
        f"AH-OLD-1,EXT-1,,,{unit},imp-sofia,2024-01-10,,,"
        '"contact:2024-01-10; motivation_assessment:2024-01-20; consent:2024-02-01",'
        "police,criminal_network,nej,high,2024-02-01,ja,nej,ja,"
        '"police:2024-02-01; social_services:2024-02-01","housing:2024-01-15; debt:2024-01-20",'
        "2024-03-01/150000/granted/2024-04-01/120000,before:2024-01-10/poor/poor/poor/unknown/partly,\n"
        f"AH-OLD-2,,P-IMP2,,{unit},,2023-05-02,2023-09-01,completed,,Egen kontakt,"
        "Kriminella nätverk,ja,,,,,,,,,,\n"
    )


def offers_csv() -> str:
    return OFFERS_HEADER + (
        "ERB-1,,,AH-OLD-1,housing,,defector_case,"
        '"offered:2024-02-05; accepted:2024-02-10; started:2024-03-01",12000,\n'
        "ERB-2,EXT-2,,,Mentor eller kontaktperson,,Uppsökande arbete,offered:2024-02-05,,\n"
    )


def upload(
    people: str | bytes | None = None,
    cases: str | bytes | None = None,
    offers: str | bytes | None = None,
) -> dict[str, tuple[str, bytes] | None]:
    def enc(value: str | bytes | None, name: str) -> tuple[str, bytes] | None:
        if value is None:
            return None
        return name, value if isinstance(value, bytes) else value.encode()

    return {
        "people": enc(people, "personer.csv"),
        "cases": enc(cases, "arenden.csv"),
        "offers": enc(offers, "erbjudanden.csv"),
    }
