"""A small hand-drawn group network for the web tests.

Egenby (in scope for the test users) has four groups; Annanby one more::

    Norrgänget ──rival(4)── Södra ligan           rivalry, from 2024-01-01
         │ allied              │ allied             (allies of my ally are my rival:
    Östra brödraskapet ────────┘                     one unbalanced triad)
         │ truce
    Västra <b>falangen</b>  ── rival, Södra ligan, 2023-06-01 … 2024-06-01 (ended)
    Främlingarna (Annanby) ── rival, Norrgänget (crosses out of scope)

People (with identities, so tests can look for leaks): Alfa and Beta in
Egenby (Norrgänget; Alfa also in Östra), Gamma in Annanby (Norrgänget),
Delta in Egenby (Södra ligan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.people.services import Identity, create_person
from tests.database import reference_municipality
from tests.factories import make_user

BEFORE_END = date(2024, 3, 1)  # the Västra–Södra rivalry still holds
AFTER_END = date(2024, 9, 1)  # it has ended

GROUP_NOTES = "Hemlig fritext om gruppens vapengömma"
RELATION_SOURCE = "Uppgift från informatör Kalle i förhör"
MEMBERSHIP_SOURCE = "Spaning vid Torget, anteckning av handläggare"
NAMES = {
    "alfa": ("Alfred Alfasson", "19900101-2383"),
    "beta": ("Berit Betasdotter", "19910202-2382"),
    "gamma": ("Gustav Gammalund", "19920303-2381"),
    "delta": ("Dora Deltasson", "19930404-2380"),
}
SECRETS = tuple(
    [v for pair in NAMES.values() for v in pair] + [GROUP_NOTES, RELATION_SOURCE, MEMBERSHIP_SOURCE]
)
ODD_NAME = "Västra <b>falangen</b>"


@dataclass
class World:
    own: int
    other: int
    groups: dict[str, int]
    people: dict[str, int]
    codes: dict[str, str]
    users: dict[str, tuple[int, str | None]]

    def login(self, role: str) -> tuple[str, str | None]:
        username = "n-analyst2" if role == "analyst2" else f"n-{role}"
        return username, self.users[role][1]


async def build_world() -> World:
    own = await reference_municipality("0123")
    other = await reference_municipality("0191")
    groups: dict[str, int] = {}
    for key, name, muni in (
        ("norr", "Norrgänget", own),
        ("sodra", "Södra ligan", own),
        ("ostra", "Östra brödraskapet", own),
        ("vastra", ODD_NAME, own),
        ("frammande", "Främlingarna", other),
    ):
        group = Group(name=name, municipality=muni.id, notes=GROUP_NOTES, area="Torget")
        await group.save()
        groups[key] = group.id
    k = GroupRelation.Kind
    for a, b, kind, intensity, start, end in (
        ("norr", "sodra", k.rivalry, 4, date(2024, 1, 1), None),
        ("norr", "ostra", k.alliance, 2, date(2023, 1, 1), None),
        ("sodra", "ostra", k.alliance, 3, date(2023, 1, 1), None),
        ("ostra", "vastra", k.truce, 1, date(2023, 1, 1), None),
        ("vastra", "sodra", k.rivalry, 2, date(2023, 6, 1), date(2024, 6, 1)),
        ("frammande", "norr", k.rivalry, 5, date(2023, 1, 1), None),
        ("vastra", "ostra", k.splinter_of, 1, date(2022, 1, 1), None),
    ):
        await GroupRelation(
            source_group=groups[a],
            target_group=groups[b],
            kind=kind,
            intensity=intensity,
            valid_from=start,
            valid_to=end,
            source=RELATION_SOURCE,
        ).save()
    users: dict[str, tuple[int, str | None]] = {}
    for username, role, codes in (
        ("n-coordinator", "coordinator", ["0123"]),
        ("n-police", "police", ["0123"]),
        ("n-analyst", "analyst", ["0123"]),
        ("n-analyst2", "analyst", ["0123"]),
        ("n-outreach", "outreach", ["0123"]),
    ):
        users[role if username != "n-analyst2" else "analyst2"] = await make_user(
            username, role, municipality_codes=codes
        )
    writer = Principal(
        user_id=users["police"][0],
        username="n-police",
        role=Role.police,
        municipality_ids=frozenset({own.id, other.id}),
    )
    people: dict[str, int] = {}
    codes: dict[str, str] = {}
    for key, muni in (("alfa", own), ("beta", own), ("gamma", other), ("delta", own)):
        name, pin = NAMES[key]
        person = await create_person(
            writer, municipality_id=muni.id, identity=Identity(name, pin, "Gatan 1", "070-1234567")
        )
        people[key] = person.id
        codes[key] = person.code
    for person, group in (
        ("alfa", "norr"),
        ("alfa", "ostra"),
        ("beta", "norr"),
        ("gamma", "norr"),
        ("delta", "sodra"),
    ):
        await Membership(
            person=people[person],
            group=groups[group],
            valid_from=date(2023, 1, 1),
            source=MEMBERSHIP_SOURCE,
        ).save()
    return World(own.id, other.id, groups, people, codes, users)
