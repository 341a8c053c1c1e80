"""A small world for the case and offer tests: three municipalities, their social
services, a joint defector unit serving Järfälla and Sollentuna, and users.

- ``sofia``: social secretary in Järfälla who also works in the joint unit (``UserUnit``),
  and unit lead (``User.unit_lead``: approves plans and closes cases)
- ``jonna``: social secretary in Järfälla only (no unit lead)
- ``sigge``: social secretary in Sigtuna
- ``polis``: police officer covering all three
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserMunicipality, UserUnit
from gvi.defectors.tables import CaseConsent, CaseStatus, ConsentAgency, DefectorCase
from gvi.municipalities.tables import Agency, Unit
from gvi.people.tables import Person
from gvi.support.tables import OfferStatus, Provider, SupportOffer, SupportOfferStatusChange
from tests import factories
from tests.clients import login
from tests.database import reference_municipality
from tests.factories import make_user

JOINT = "Avhopparverksamheten Nordväst (test)"
SOC_JARFALLA = "Socialtjänsten Järfälla (test)"
SOC_SOLLENTUNA = "Socialtjänsten Sollentuna (test)"
SOC_SIGTUNA = "Socialtjänsten Sigtuna (test)"
POLICE = "Lokalpolisområde Nordväst (test)"


@dataclass
class World:
    municipality: dict[str, int]
    unit: dict[str, int]
    user: dict[str, int]
    secret: dict[str, str | None]
    person: dict[str, int] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)

    def login(self, name: str) -> tuple[str, str | None]:
        return name, self.secret[name]

    def principal(self, name: str) -> Principal:
        """The principal ``load_principal`` builds for a user of this world."""
        role, units, municipalities = {
            "sofia": (Role.outreach, {SOC_JARFALLA, JOINT}, {"0123"}),
            "jonna": (Role.outreach, {SOC_JARFALLA}, {"0123"}),
            "sigge": (Role.outreach, {SOC_SIGTUNA}, {"0191"}),
            "polis": (Role.police, {POLICE}, {"0123", "0163", "0191"}),
        }[name]
        return Principal(
            user_id=self.user[name],
            username=name,
            role=role,
            unit_id=self.unit[next(u for u in units if u != JOINT)],
            municipality_ids=frozenset(self.municipality[c] for c in municipalities),
            unit_ids=frozenset(self.unit[u] for u in units),
            unit_lead=name == "sofia",
        )


async def build_world(*, logins: bool = True) -> World:
    """The world; ``logins=False`` skips passwords and second factors (for tests
    that call the services with :meth:`World.principal` and never sign in)."""
    municipality: dict[str, int] = {}
    for name, code in (("Järfälla", "0123"), ("Sollentuna", "0163"), ("Sigtuna", "0191")):
        row = await reference_municipality(code)
        assert row.name == name
        municipality[code] = row.id
    unit: dict[str, int] = {}
    for name, kind, agency, home, served in (
        (SOC_JARFALLA, Unit.Kind.social_services, Agency.social_services, "0123", ("0123",)),
        (SOC_SOLLENTUNA, Unit.Kind.social_services, Agency.social_services, "0163", ("0163",)),
        (SOC_SIGTUNA, Unit.Kind.social_services, Agency.social_services, "0191", ("0191",)),
        (JOINT, Unit.Kind.joint_defector_unit, Agency.social_services, "0123", ("0123", "0163")),
        (POLICE, Unit.Kind.police, Agency.police, "0123", ("0123", "0163", "0191")),
    ):
        unit[name] = await factories.unit(
            name, kind, agency, municipality[home], serves=[municipality[c] for c in served]
        )
    user: dict[str, int] = {}
    secret: dict[str, str | None] = {}
    for name, role, codes, home_unit in (
        ("sofia", "outreach", ["0123"], SOC_JARFALLA),
        ("jonna", "outreach", ["0123"], SOC_JARFALLA),
        ("sigge", "outreach", ["0191"], SOC_SIGTUNA),
        ("polis", "police", ["0123", "0163", "0191"], POLICE),
    ):
        if logins:
            user[name], secret[name] = await make_user(
                name, role, municipality_codes=codes, unit_name=home_unit
            )
            continue
        row = User(
            username=name,
            display_name=name.title(),
            role=role,
            unit=unit[home_unit],
            password_hash="!",  # no password: this user never signs in
        )
        await row.save()
        user[name], secret[name] = row.id, None
        for code in codes:
            await UserMunicipality(user=row.id, municipality=municipality[code]).save()
    await UserUnit(user=user["sofia"], unit=unit[JOINT]).save()
    await User.update({User.unit_lead: True}).where(User.id == user["sofia"])
    world = World(municipality=municipality, unit=unit, user=user, secret=secret)
    for key, code, home in (
        ("jarfalla", "P-JAR1", "0123"),
        ("sollentuna", "P-SOL1", "0163"),
        ("sigtuna", "P-SIG1", "0191"),
        ("jarfalla2", "P-JAR2", "0123"),
    ):
        person = Person(code=code, home_municipality=municipality[home])
        await person.save()
        world.person[key] = person.id
        world.code[key] = code
    return world


async def make_case(
    world: World,
    *,
    person: str = "sollentuna",
    municipality: str = "0163",
    unit: str = JOINT,
    status: CaseStatus = CaseStatus.contact,
    caseworker: str | None = "sofia",
    reference: str = "AH-T-0001",
    police_ready: bool = False,
) -> int:
    """A case row; ``police_ready`` makes it meet the police definition, with the
    police consent in force and the police track active."""
    values: dict[str, Any] = {}
    if police_ready:
        values = {
            "motivated": True,
            "threat_level": DefectorCase.Threat.high,
            "threat_assessed_on": date(2024, 2, 1),
            "is_witness": False,
            "social_services_eligible": True,
            "police_track_active": True,
        }
    case = DefectorCase(
        reference=reference,
        person=world.person[person],
        municipality=world.municipality[municipality],
        unit=world.unit[unit],
        caseworker=world.user[caseworker] if caseworker else None,
        status=status,
        referral_source=DefectorCase.ReferralSource.self_referral,
        opened_on=date(2024, 1, 10),
        notes="Fritext från socialtjänsten",
        **values,
    )
    await case.save()
    if police_ready:
        await CaseConsent(
            case=case.id, agency=ConsentAgency.police, given_on=date(2024, 1, 12)
        ).save()
        await CaseConsent(
            case=case.id, agency=ConsentAgency.social_services, given_on=date(2024, 1, 12)
        ).save()
    return case.id


async def make_offer(
    world: World,
    *,
    person: str = "sollentuna",
    municipality: str = "0163",
    case_id: int | None = None,
    history: tuple[OfferStatus, ...] = (OfferStatus.offered,),
    category: SupportOffer.Category = SupportOffer.Category.housing,
    provider_id: int | None = None,
) -> int:
    """An offer whose status history is ``history`` (its status is the last step)."""
    offer = SupportOffer(
        person=world.person[person],
        municipality=world.municipality[municipality],
        category=category,
        provider=provider_id,
        context=SupportOffer.Context.defector_case
        if case_id
        else SupportOffer.Context.street_outreach,
        defector_case=case_id,
        status=history[-1],
        offered_on=date(2024, 3, 1),
    )
    await offer.save()
    previous: OfferStatus | None = None
    for step in history:
        await SupportOfferStatusChange(
            offer=offer.id,
            from_status=previous,
            to_status=step,
            changed_on=date(2024, 3, 1),
            changed_at=datetime(2024, 3, 1, 12, tzinfo=UTC),
        ).save()
        previous = step
    return offer.id


async def make_provider(
    name: str = "Testutföraren AB", kind: Provider.Kind = Provider.Kind.private
) -> int:
    provider = Provider(name=name, kind=kind)
    await provider.save()
    return provider.id


async def sign_in(client: object, world: World, name: str) -> None:
    await login(client, *world.login(name))
