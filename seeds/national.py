"""A national-scale fictional data set, for load and performance work.

``load_national()`` builds about 62,000 people, 300 groups and 200,000 ties
(memberships plus group relations) with five years (2020–2024) of incidents,
call-ins, notifications, offers, enforcement and defector cases. Same seed,
same data: every choice comes from ``random.Random(seed)`` and nothing is
iterated in hash order. Only identity ciphertexts (random nonces) and the
``created_at``/``updated_at`` stamps differ between two loads.

Speed: rows are built as plain tuples and written with one ``executemany``
(SQLite) or ``COPY`` (PostgreSQL) per table, inside a single transaction.
Measured here on 20,000 person rows: Piccolo's ``Table.insert(*rows)`` in
chunks of 1,000 took 1.8 s (SQLite) / 1.7 s (PostgreSQL), the raw path 0.16 s
/ 0.12 s (COPY; asyncpg ``executemany`` 0.22 s). Ids are therefore allocated
here, above both the table's current maximum and (PostgreSQL) its sequence,
which is moved past the block so later inserts through the ORM do not collide.
Identities are encrypted with the keyring like any other: AES-GCM costs about
3 µs per field, under a second for the whole set.

Idempotent: a marker unit, ``Nationell generator (seed N)``, is written in
the same transaction; if it exists, nothing is done. Loads with different
seeds can sit side by side (names that must be unique carry the seed or are
checked against the database).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import random
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from piccolo.columns.defaults.base import Default
from piccolo.table import Table

from gvi.callins.tables import CallIn, CallInSpeaker, Invitation, Notification, Promise
from gvi.db import write_transaction
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatus,
    CaseStatusChange,
    CaseTransfer,
    ConsentAgency,
    DefectorCase,
    GrantApplication,
    TransferState,
)
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import Confidence, Group, GroupAlias, GroupRelation, Membership
from gvi.incidents.tables import Incident, IncidentGroup, IncidentPerson
from gvi.municipalities.tables import Agency, Municipality, Unit, UnitMunicipality
from gvi.outreach.tables import Channel, OutreachActivity
from gvi.people.tables import Person, PersonIdentity, Protection
from gvi.plans.tables import CasePlan, GoalRating, ItemStatus, Party, PlanEvent, PlanItem, Rating
from gvi.security.crypto import aad, get_keyring
from gvi.support.tables import (
    Method,
    OfferStatus,
    Provider,
    ProviderCheck,
    ProviderDeviation,
    ProviderRequirement,
    SupportOffer,
    SupportOfferStatusChange,
)
from gvi.tasks.tables import Task
from seeds.names import (
    AREA_WORDS,
    CODE_ALPHABET,
    FICTION_PHONES,
    FIRST_NAMES,
    GROUP_ADJECTIVES,
    GROUP_NOUNS,
    NATIONAL,
    NORTHWEST,
    NORTHWEST_WEIGHTS,
    STREETS,
    SURNAMES,
    TOWNS,
    county_of,
    luhn_check_digit,
    reference_ids,
)

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
T = TypeVar("T")

FIRST_DAY = date(2020, 1, 1)
LAST_DAY = date(2024, 12, 31)
SPAN_DAYS = (LAST_DAY - FIRST_DAY).days

MARKER_PREFIX = "Nationell generator (seed "

PROMISE_LINES = (
    "Nästa grupp vars medlem skjuter får polisens samlade uppmärksamhet.",
    "Vi använder alla lagliga medel mot hela gruppen, inte bara mot den som höll i vapnet.",
    "Den som vill lämna får hjälp – i dag, i morgon, när som helst.",
    "Vi vill att ni lever och är fria. Våldet måste upphöra nu.",
    "Varje sprängning leder till insatser mot hela gruppens verksamhet.",
)
SOURCES = (
    "Gruppkartläggning (generator)",
    "Polisens lägesbild (generator)",
    "Underrättelseuppgift (generator)",
    "Uppgift från socialtjänsten (generator)",
    "Spaning (generator)",
)
PLACES = (
    "Parkeringsplats (generator)",
    "Trapphus (generator)",
    "Utanför restaurang (generator)",
    "Busshållplats (generator)",
    "Gångtunnel (generator)",
    "Skolgård (generator)",
    "Sociala medier",
)

CASE_FLOW: tuple[CaseStatus, ...] = tuple(CaseStatus)
OFFER_CHAINS: dict[OfferStatus, tuple[OfferStatus, ...]] = {
    OfferStatus.offered: (OfferStatus.offered,),
    OfferStatus.accepted: (OfferStatus.offered, OfferStatus.accepted),
    OfferStatus.declined: (OfferStatus.offered, OfferStatus.declined),
    OfferStatus.started: (OfferStatus.offered, OfferStatus.accepted, OfferStatus.started),
    OfferStatus.completed: (
        OfferStatus.offered,
        OfferStatus.accepted,
        OfferStatus.started,
        OfferStatus.completed,
    ),
    OfferStatus.discontinued: (
        OfferStatus.offered,
        OfferStatus.accepted,
        OfferStatus.started,
        OfferStatus.discontinued,
    ),
}
NEED_TO_CATEGORY: dict[CaseNeed.Need, SupportOffer.Category] = {
    CaseNeed.Need.housing: SupportOffer.Category.housing,
    CaseNeed.Need.psychiatric: SupportOffer.Category.psychiatric_care,
    CaseNeed.Need.addiction: SupportOffer.Category.addiction_care,
    CaseNeed.Need.debt: SupportOffer.Category.debt_counselling,
    CaseNeed.Need.employment: SupportOffer.Category.employment,
    CaseNeed.Need.education: SupportOffer.Category.education,
    CaseNeed.Need.family: SupportOffer.Category.family_support,
    CaseNeed.Need.protection: SupportOffer.Category.relocation,
}


def _value(v: Any) -> Any:
    return v.value if isinstance(v, Enum) else v


# --- writing ---------------------------------------------------------------------


class _Writer:
    """Explicit-id bulk inserts on the transaction's own connection."""

    def __init__(self, connection: Any, postgres: bool, progress: Progress, stamp: datetime):
        self.connection = connection
        self.postgres = postgres
        self.progress = progress
        self.stamp = stamp
        self.counts: dict[str, int] = {}
        self._next: dict[str, int] = {}

    async def _scalar(self, sql: str, *args: Any) -> Any:
        if self.postgres:
            return await self.connection.fetchval(sql, *args)
        rows = await self.connection.execute_fetchall(sql, args)
        return next(iter(rows[0].values()))  # Piccolo's connections return dict rows

    async def reserve(self, table: type[Table], n: int) -> int:
        """The first of ``n`` consecutive free ids for ``table``."""
        name = table._meta.tablename
        # Identifiers come from the table classes, never from input.
        highest = int(await self._scalar(f'SELECT COALESCE(MAX("id"), 0) FROM "{name}"'))  # noqa: S608
        start = max(highest + 1, self._next.get(name, 1))
        if self.postgres:
            seq = await self._scalar("SELECT pg_get_serial_sequence($1, 'id')", f'"{name}"')
            row = await self.connection.fetchrow(f"SELECT last_value, is_called FROM {seq}")  # noqa: S608
            start = max(start, row["last_value"] + (1 if row["is_called"] else 0))
            if n:
                # Sequences are not transactional: this reserves the block at once.
                await self.connection.execute("SELECT setval($1, $2, true)", seq, start + n - 1)
        self._next[name] = start + n
        return start

    async def add(self, table: type[Table], rows: list[dict[str, Any]], stage: str) -> None:
        """Insert rows that nothing else refers to yet: ids are allocated here."""
        first = await self.reserve(table, len(rows))
        for offset, row in enumerate(rows):
            row["id"] = first + offset
        await self.insert(table, rows, stage)

    def _template(self, table: type[Table]) -> tuple[list[str], list[Any], list[str]]:
        """Column names, their default values, and the columns a row must name.

        A column whose default is computed (today, now) must be given: a default of
        "today" would make two loads of the same seed differ.
        """
        names: list[str] = []
        defaults: list[Any] = []
        required: list[str] = []
        for column in table._meta.columns:
            name = column._meta.db_column_name
            names.append(name)
            if name in ("created_at", "updated_at"):
                defaults.append(self.stamp)
                continue
            value = column.get_default_value()
            if isinstance(value, Default) or (value is None and not column._meta.null):
                required.append(name)
                value = None
            defaults.append(_value(value))
        return names, defaults, required

    async def insert(self, table: type[Table], rows: Sequence[dict[str, Any]], stage: str) -> None:
        """Insert ``rows`` (each a dict with at least ``id``); missing columns take defaults."""
        name = table._meta.tablename
        columns, defaults, required = self._template(table)
        for row in rows:
            missing = [c for c in required if c not in row]
            if missing:
                raise ValueError(f"{name}: a generated row lacks {missing}")
        # Half a million rows of a dozen columns: map() calls dict.get in C, and the
        # enum check is inline (``_value`` as a call cost a sixth of the load).
        records = [
            tuple([v.value if isinstance(v, Enum) else v for v in map(row.get, columns, defaults)])
            for row in rows
        ]
        total = len(records)
        chunk = 25_000
        if total:
            self.progress(stage, 0, total)
        else:
            self.progress(stage, 0, 0)
        for start in range(0, total, chunk):
            part = records[start : start + chunk]
            if self.postgres:
                await self.connection.copy_records_to_table(name, records=part, columns=columns)
            else:
                quoted = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                await self.connection.executemany(
                    f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})',  # noqa: S608
                    part,
                )
            self.progress(stage, min(start + chunk, total), total)
        self.counts[name] = self.counts.get(name, 0) + total


# --- the model the generator works on ------------------------------------------


@dataclass
class _Muni:
    id: int
    code: str
    name: str
    county: str
    weight: int
    social_unit: int = 0
    police_unit: int = 0
    joint_unit: int = 0
    groups: list[int] = field(default_factory=list)  # indexes into _Gen.groups
    held_call_ins: list[tuple[date, list[int]]] = field(default_factory=list)  # (day, promise ids)


@dataclass
class _Grp:
    id: int
    muni: int  # index into _Gen.munis
    members: list[int] = field(default_factory=list)  # person indexes


@dataclass
class _Pers:
    id: int
    muni: int
    birth_year: int
    groups: list[int] = field(default_factory=list)  # group indexes


class _Gen:
    def __init__(self, seed: int, writer: _Writer) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.w = writer
        self.tag = f"generator s{seed}"
        self.munis: list[_Muni] = []
        self.groups: list[_Grp] = []
        self.people: list[_Pers] = []
        self.rivalries: list[tuple[int, int]] = []
        self._muni_cum: list[int] = []
        self._by_county: dict[str, list[int]] = {}
        self._county_groups: dict[str, list[int]] = {}

    # helpers
    def day(self, start: date = FIRST_DAY, end: date = LAST_DAY) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def at(self, day: date, evening: bool = False) -> datetime:
        hour = self.rng.choice((17, 18, 19, 20, 21, 22, 23, 0, 1, 2)) if evening else 9
        return datetime(day.year, day.month, day.day, hour, self.rng.randint(0, 59), tzinfo=UTC)

    def pick_muni(self) -> int:
        r = self.rng.randrange(self._muni_cum[-1])
        return bisect.bisect_right(self._muni_cum, r)

    def weighted(self, options: Sequence[tuple[T, int]]) -> T:
        r = self.rng.randrange(sum(w for _, w in options))
        for value, w in options:
            r -= w
            if r < 0:
                return value
        return options[-1][0]  # pragma: no cover

    # -- municipalities and units
    async def municipalities(self) -> None:
        wanted = [(name, code, NORTHWEST_WEIGHTS[code]) for name, code in NORTHWEST]
        wanted += list(NATIONAL)
        # Reference data (SCB's list, loaded by `gvi migrate`): looked up, never created.
        existing = await reference_ids([code for _, code, _ in wanted])
        for name, code, weight in wanted:
            self.munis.append(_Muni(existing[code], code, name, county_of(code), weight))
        self._muni_cum = list(itertools.accumulate(m.weight for m in self.munis))
        for i, m in enumerate(self.munis):
            self._by_county.setdefault(m.county, []).append(i)

    async def units(self) -> None:
        rows: list[dict[str, Any]] = []
        served: list[dict[str, Any]] = []
        n = 1 + 2 * len(self.munis) + len(self._by_county)
        next_id = await self.w.reserve(Unit, n)
        marker = {
            "id": next_id,
            "name": f"{MARKER_PREFIX}{self.seed})",
            "kind": Unit.Kind.other,
            "agency": Agency.municipality,
            "municipality": self.munis[0].id,
            "is_active": False,
        }
        rows.append(marker)
        next_id += 1
        for m in self.munis:
            for attr, label, kind, agency in (
                (
                    "social_unit",
                    "Socialtjänsten",
                    Unit.Kind.social_services,
                    Agency.social_services,
                ),
                ("police_unit", "Lokalpolisområde", Unit.Kind.police, Agency.police),
            ):
                setattr(m, attr, next_id)
                rows.append(
                    {
                        "id": next_id,
                        "name": f"{label} {m.name} ({self.tag})",
                        "kind": kind,
                        "agency": agency,
                        "municipality": m.id,
                    }
                )
                served.append({"unit": next_id, "municipality": m.id})
                next_id += 1
        for county, indexes in self._by_county.items():
            home = self.munis[indexes[0]]
            rows.append(
                {
                    "id": next_id,
                    "name": f"Avhopparverksamheten {county} ({self.tag})",
                    "kind": Unit.Kind.joint_defector_unit,
                    "agency": Agency.social_services,
                    "municipality": home.id,
                }
            )
            for i in indexes:
                self.munis[i].joint_unit = next_id
                served.append({"unit": next_id, "municipality": self.munis[i].id})
            next_id += 1
        await self.w.insert(Unit, rows, "enheter")
        await self.w.add(UnitMunicipality, served, "enheternas kommuner")

    # -- groups and relations
    async def make_groups(self, n: int) -> None:
        taken = {r["name"] for r in await Group.select(Group.name)}
        start = await self.w.reserve(Group, n)
        rows: list[dict[str, Any]] = []
        aliases: list[dict[str, Any]] = []
        statuses = (
            (Group.Status.active, 75),
            (Group.Status.dormant, 15),
            (Group.Status.dissolved, 10),
        )
        for i in range(n):
            muni = self.pick_muni()
            adjective = self.rng.choice(GROUP_ADJECTIVES)
            noun = self.rng.choice(GROUP_NOUNS)
            name = f"{adjective} {noun} G{i + 1:03d}"
            if name in taken:
                name = f"{name} (s{self.seed})"
            taken.add(name)
            status = self.weighted(statuses)
            gid = start + i
            self.groups.append(_Grp(gid, muni))
            self.munis[muni].groups.append(i)
            self._county_groups.setdefault(self.munis[muni].county, []).append(i)
            rows.append(
                {
                    "id": gid,
                    "name": name,
                    "municipality": self.munis[muni].id,
                    "area": self.rng.choice(AREA_WORDS),
                    "status": status,
                    "notes": "Genererad grupp (fiktiv).",
                }
            )
            if self.rng.random() < 0.5:
                aliases.append({"group": gid, "alias": f"{adjective[0]}{noun[0]}{i + 1}"})
        await self.w.insert(Group, rows, "grupper")
        await self.w.add(GroupAlias, aliases, "gruppernas alias")

    def _partner(self, g: int) -> int:
        """Another group, usually in the same county."""
        county = self.munis[self.groups[g].muni].county
        if self.rng.random() < 0.75:
            pool = self._county_groups.get(county, [])
            if len(pool) > 1:
                while True:
                    other = self.rng.choice(pool)
                    if other != g:
                        return other
        while True:
            other = self.rng.randrange(len(self.groups))
            if other != g:
                return other

    async def relations(self, n: int) -> int:
        kinds = (
            (GroupRelation.Kind.rivalry, 44),
            (GroupRelation.Kind.alliance, 34),
            (GroupRelation.Kind.truce, 8),
            (GroupRelation.Kind.splinter_of, 7),
            (GroupRelation.Kind.subgroup_of, 7),
        )
        seen: set[tuple[int, int, str]] = set()
        rows: list[dict[str, Any]] = []
        confidences = ((Confidence.high, 3), (Confidence.medium, 5), (Confidence.low, 2))
        attempts = 0
        while len(rows) < n and len(self.groups) > 1 and attempts < n * 20:
            attempts += 1
            a = self.rng.randrange(len(self.groups))
            b = self._partner(a)
            kind = self.weighted(kinds)
            symmetric = kind in (
                GroupRelation.Kind.rivalry,
                GroupRelation.Kind.alliance,
                GroupRelation.Kind.truce,
            )
            key = (min(a, b), max(a, b), kind.value) if symmetric else (a, b, kind.value)
            if key in seen:
                continue
            seen.add(key)
            start = self.day(date(2018, 1, 1), date(2024, 10, 1))
            end = (
                self.day(start + timedelta(days=60), LAST_DAY) if self.rng.random() < 0.3 else None
            )
            if end is not None and end >= LAST_DAY:
                end = None
            base = {
                "intensity": self.rng.randint(1, 5),
                "confidence": self.weighted(confidences),
                "source": self.rng.choice(SOURCES),
                "review_by": self.day(date(2023, 1, 1), date(2027, 12, 31)),
            }
            rows.append(
                {
                    "source_group": self.groups[a].id,
                    "target_group": self.groups[b].id,
                    "kind": kind,
                    "valid_from": start,
                    "valid_to": end,
                    **base,
                }
            )
            if kind is GroupRelation.Kind.rivalry:
                self.rivalries.append((a, b))
            # Some alliances break: the same pair turns rival the day after.
            if (
                kind is GroupRelation.Kind.alliance
                and end is not None
                and len(rows) < n
                and self.rng.random() < 0.4
            ):
                flip = (min(a, b), max(a, b), GroupRelation.Kind.rivalry.value)
                if flip not in seen:
                    seen.add(flip)
                    rows.append(
                        {
                            "source_group": self.groups[a].id,
                            "target_group": self.groups[b].id,
                            "kind": GroupRelation.Kind.rivalry,
                            "valid_from": end + timedelta(days=1),
                            "valid_to": None,
                            **base,
                        }
                    )
                    self.rivalries.append((a, b))
        await self.w.add(GroupRelation, rows, "grupprelationer")
        return len(rows)

    # -- people, identities, memberships
    async def make_people(self, n: int) -> None:
        if n > 800_000:
            raise ValueError("person codes (P-XXXX) run out above 800,000 people")
        rng = self.rng
        taken = {r["code"] for r in await Person.select(Person.code)}
        # The demo's codes stay free, so the demo can still be loaded on top.
        from seeds.demo import demo_identities

        taken |= {code for code, _name, _pin in demo_identities()}
        start = await self.w.reserve(Person, n)
        rows: list[dict[str, Any]] = []
        protections = (
            (Protection.none, 984),
            (Protection.sekretessmarkering, 10),
            (Protection.skyddad_folkbokforing, 5),
            (Protection.fingerade_personuppgifter, 1),
        )
        for i in range(n):
            while True:
                code = "P-" + "".join(rng.choice(CODE_ALPHABET) for _ in range(4))
                if code not in taken:
                    taken.add(code)
                    break
            muni = self.pick_muni()
            birth_year = min(2009, max(1975, int(rng.gauss(2001, 6))))
            self.people.append(_Pers(start + i, muni, birth_year))
            rows.append(
                {
                    "id": start + i,
                    "code": code,
                    "home_municipality": self.munis[muni].id,
                    "birth_year": birth_year,
                    "protection": self.weighted(protections),
                }
            )
        await self.w.insert(Person, rows, "personer")

    async def identities(self) -> None:
        keyring = get_keyring()
        rng = self.rng
        key_id = keyring.active_id
        taken_pins: set[str] = set()
        start = await self.w.reserve(PersonIdentity, len(self.people))
        rows: list[dict[str, Any]] = []
        for i, p in enumerate(self.people):
            pin = ""
            for _attempt in range(50):  # unique while there is room; duplicates after that
                month, day, serial = rng.randint(1, 12), rng.randint(1, 28), rng.randint(980, 999)
                nine = f"{p.birth_year % 100:02d}{month:02d}{day:02d}{serial:03d}"
                pin = f"{p.birth_year:04d}{month:02d}{day:02d}-{serial:03d}{luhn_check_digit(nine)}"
                if pin not in taken_pins:
                    break
            taken_pins.add(pin)
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            address = f"{rng.choice(STREETS)} {rng.randint(1, 99)}, 000 00 {rng.choice(TOWNS)}"
            phone = rng.choice(FICTION_PHONES) if rng.random() < 0.4 else None

            def enc(column: str, text: str, pid: int = p.id) -> bytes:
                return keyring.encrypt(text, aad("person_identity", column, pid))

            rows.append(
                {
                    "id": start + i,
                    "person": p.id,
                    "name_enc": enc("name", name),
                    "pin_enc": enc("pin", pin),
                    "address_enc": enc("address", address),
                    "phone_enc": enc("phone", phone) if phone else None,
                    "pin_index": keyring.blind_index(pin),
                    "key_id": key_id,
                }
            )
        await self.w.insert(PersonIdentity, rows, "identiteter (krypterade)")

    def _group_near(self, muni: int) -> int:
        m = self.munis[muni]
        if m.groups and self.rng.random() < 0.7:
            return self.rng.choice(m.groups)
        pool = self._county_groups.get(m.county, [])
        if pool and self.rng.random() < 0.8:
            return self.rng.choice(pool)
        return self.rng.randrange(len(self.groups))

    async def memberships(self, n: int) -> None:
        rng = self.rng
        people = len(self.people)
        if not people or not self.groups or n <= 0:
            await self.w.insert(Membership, [], "medlemskap")
            return
        # Several memberships per person over time; the totals add up to exactly n.
        mean = n / people
        counts = [max(0, round(rng.gauss(mean, max(0.8, mean / 3)))) for _ in range(people)]
        diff = n - sum(counts)
        while diff:
            i = rng.randrange(people)
            if diff > 0:
                counts[i] += 1
                diff -= 1
            elif counts[i] > 0:
                counts[i] -= 1
                diff += 1
        roles = (
            (Membership.Role.leader, 3),
            (Membership.Role.core, 15),
            (Membership.Role.member, 55),
            (Membership.Role.associate, 27),
        )
        confidences = ((Confidence.high, 3), (Confidence.medium, 5), (Confidence.low, 2))
        start_id = await self.w.reserve(Membership, n)
        rows: list[dict[str, Any]] = []
        for pi, (p, k) in enumerate(zip(self.people, counts, strict=True)):
            if not k:
                continue
            # The person's memberships follow each other between joining and the end of 2024.
            joined = self.day(date(max(2016, p.birth_year + 13), 1, 1), date(2023, 12, 31))
            window = (LAST_DAY - joined).days
            seg = window / k
            current = self._group_near(p.muni)
            for j in range(k):
                begin = joined + timedelta(days=int(j * seg + rng.random() * seg / 4))
                end: date | None = joined + timedelta(
                    days=int((j + 1) * seg - rng.random() * seg / 4)
                )
                if j == k - 1 and rng.random() < 0.7:
                    end = None  # still a member
                elif end is not None and end <= begin:
                    end = begin + timedelta(days=1)
                g = self.groups[current]
                rows.append(
                    {
                        "id": start_id + len(rows),
                        "person": p.id,
                        "group": g.id,
                        "role": self.weighted(roles),
                        "confidence": self.weighted(confidences),
                        "source": rng.choice(SOURCES),
                        "valid_from": begin,
                        "valid_to": end,
                        "review_by": self.day(date(2023, 1, 1), date(2027, 12, 31)),
                    }
                )
                g.members.append(pi)
                p.groups.append(current)
                if rng.random() < 0.5:
                    current = self._group_near(p.muni)
        await self.w.insert(Membership, rows, "medlemskap")

    # -- incidents
    async def incidents(self, n: int) -> list[tuple[int, date, int, int]]:
        rng = self.rng
        kinds = (
            (Incident.Kind.shooting, 30),
            (Incident.Kind.explosion, 20),
            (Incident.Kind.stabbing, 25),
            (Incident.Kind.threat, 20),
            (Incident.Kind.other, 5),
        )
        harms = {
            Incident.Kind.shooting: ((Incident.Harm.none, 4), (Incident.Harm.injured, 4),
                                     (Incident.Harm.killed, 2)),
            Incident.Kind.explosion: ((Incident.Harm.property, 8), (Incident.Harm.injured, 1),
                                      (Incident.Harm.none, 1)),
            Incident.Kind.stabbing: ((Incident.Harm.injured, 8), (Incident.Harm.killed, 1),
                                     (Incident.Harm.none, 1)),
            Incident.Kind.threat: ((Incident.Harm.none, 1),),
            Incident.Kind.other: ((Incident.Harm.property, 1), (Incident.Harm.none, 1)),
        }  # fmt: skip
        start_id = await self.w.reserve(Incident, n)
        rows: list[dict[str, Any]] = []
        igroups: list[dict[str, Any]] = []
        ipeople: list[dict[str, Any]] = []
        out: list[tuple[int, date, int, int]] = []
        for i in range(n):
            if self.rivalries and rng.random() < 0.85:
                suspected, victim = rng.choice(self.rivalries)
                if rng.random() < 0.5:
                    suspected, victim = victim, suspected
            else:
                suspected = rng.randrange(len(self.groups))
                victim = self._partner(suspected)
            day = self.day()
            kind = self.weighted(kinds)
            harm = self.weighted(harms[kind])
            age = (LAST_DAY - day).days
            review = (
                Incident.ReviewStatus.reviewed
                if age > 120
                else self.weighted(
                    ((Incident.ReviewStatus.new, 1), (Incident.ReviewStatus.in_review, 1))
                )
            )
            iid = start_id + i
            muni = self.groups[victim].muni
            rows.append(
                {
                    "id": iid,
                    "occurred_at": self.at(day, evening=True),
                    "municipality": self.munis[muni].id,
                    "area": rng.choice(AREA_WORDS),
                    "place": rng.choice(PLACES),
                    "kind": kind,
                    "harm": harm,
                    "motive": rng.choice(("Konflikt mellan grupper", "Skuld", "Vedergällning",
                                          "Okänt", "Revir")) + " (generator)",
                    "review_status": review,
                }
            )  # fmt: skip
            igroups.append(
                {"incident": iid, "group": self.groups[suspected].id, "role": "suspected"}
            )
            if rng.random() < 0.85:
                igroups.append({"incident": iid, "group": self.groups[victim].id, "role": "victim"})
            members = self.groups[suspected].members
            for pi in rng.sample(members, min(len(members), rng.randint(0, 2))):
                ipeople.append({"incident": iid, "person": self.people[pi].id, "role": "suspect"})
            victims = self.groups[victim].members
            if victims and harm in (Incident.Harm.injured, Incident.Harm.killed):
                pi = rng.choice(victims)
                ipeople.append({"incident": iid, "person": self.people[pi].id, "role": "victim"})
            if rng.random() < 0.1:
                pi = rng.randrange(len(self.people))
                ipeople.append({"incident": iid, "person": self.people[pi].id, "role": "witness"})
            out.append((iid, day, suspected, muni))
        await self.w.insert(Incident, rows, "händelser")
        for table, extra, stage in (
            (IncidentGroup, igroups, "händelsernas grupper"),
            (IncidentPerson, ipeople, "händelsernas personer"),
        ):
            # A person can be linked once per role: drop repeats.
            seen: set[tuple[Any, ...]] = set()
            unique = []
            for row in extra:
                key = tuple(row.values())
                if key not in seen:
                    seen.add(key)
                    unique.append(row)
            await self.w.add(table, unique, stage)
        return out

    # -- call-ins, invitations, notifications
    async def call_ins(self, n: int) -> list[tuple[int, int, date]]:
        """Call-ins with speakers, promises and invitations; returns who attended
        as (person index, call-in id, day)."""
        rng = self.rng
        with_groups = [i for i, m in enumerate(self.munis) if m.groups]
        weights = [(i, len(self.munis[i].groups)) for i in with_groups]
        rows: list[dict[str, Any]] = []
        speakers: list[dict[str, Any]] = []
        promises: list[dict[str, Any]] = []
        invitations: list[dict[str, Any]] = []
        attended: list[tuple[int, int, date]] = []
        start_id = await self.w.reserve(CallIn, n)
        draws: list[tuple[date, int, CallIn.Status]] = []
        for _ in range(n if weights else 0):
            muni = self.weighted(weights)
            day = self.day(FIRST_DAY, date(2025, 6, 30))
            status = (
                CallIn.Status.planned
                if day > date(2024, 11, 30)
                else CallIn.Status.cancelled
                if rng.random() < 0.05
                else CallIn.Status.held
            )
            draws.append((day, muni, status))
        draws.sort(key=lambda d: (d[0], d[1]))  # ids in date order
        plans = [(start_id + i, muni, day, status) for i, (day, muni, status) in enumerate(draws)]
        promise_id = await self.w.reserve(Promise, n * len(PROMISE_LINES))
        for cid, muni, day, status in plans:
            m = self.munis[muni]
            starts = datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)
            rows.append(
                {
                    "id": cid,
                    "title": f"Call-in {m.name} {day.isoformat()} ({self.tag})",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "venue": f"Samlingslokal i {m.name} (generator)",
                    "municipality": m.id,
                    "capacity": rng.choice((15, 20, 25, 30)),
                    "status": status,
                    "message": "Våldet måste upphöra. Hjälp finns för den som vill lämna. "
                    "(Genererat budskap.)",
                }
            )
            for role, org in (
                (CallInSpeaker.Role.police, f"Lokalpolisområde {m.name}"),
                (CallInSpeaker.Role.social_services, f"Socialtjänsten {m.name}"),
                (CallInSpeaker.Role.prosecutor, "Åklagarmyndigheten"),
                (CallInSpeaker.Role.community, "Föreningen Demoföräldrar (fiktiv)"),
            )[: rng.randint(2, 4)]:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} (fiktiv)"
                speakers.append({"call_in": cid, "role": role, "name": name, "organisation": org})
            ids = []
            for position, text in enumerate(PROMISE_LINES[: rng.randint(3, 5)], start=1):
                promises.append(
                    {"id": promise_id, "call_in": cid, "position": position, "text": text}
                )
                ids.append(promise_id)
                promise_id += 1
            if status is CallIn.Status.held:
                m.held_call_ins.append((day, ids))
            pool = sorted({pi for g in m.groups for pi in self.groups[g].members})
            for pi in rng.sample(pool, min(len(pool), rng.randint(8, 20))):
                p = self.people[pi]
                group = self.groups[p.groups[-1]].id if p.groups else None
                if status is CallIn.Status.held:
                    inv = self.weighted(
                        (
                            (Invitation.Status.attended, 60),
                            (Invitation.Status.no_show, 25),
                            (Invitation.Status.excused, 15),
                        )
                    )
                elif status is CallIn.Status.planned:
                    inv = self.weighted(
                        ((Invitation.Status.invited, 2), (Invitation.Status.confirmed, 1))
                    )
                else:
                    inv = Invitation.Status.excused
                invitations.append({"call_in": cid, "person": p.id, "group": group, "status": inv})
                if inv is Invitation.Status.attended:
                    attended.append((pi, cid, day))
        await self.w.insert(CallIn, rows, "call-ins")
        for table, extra, stage in (
            (CallInSpeaker, speakers, "talare"),
            (Invitation, invitations, "inbjudningar"),
        ):
            await self.w.add(table, extra, stage)
        await self.w.insert(Promise, promises, "löften")
        return attended

    async def notifications(self, n: int) -> list[tuple[int, int, date]]:
        rng = self.rng
        members = [i for i, p in enumerate(self.people) if p.groups]
        if not members:
            await self.w.insert(Notification, [], "individuella underrättelser")
            return []
        start = await self.w.reserve(Notification, n)
        rows: list[dict[str, Any]] = []
        delivered: list[tuple[int, int, date]] = []
        for i in range(n):
            pi = rng.choice(members)
            p = self.people[pi]
            day = self.day()
            outcome = (
                Notification.Outcome.planned
                if day > date(2024, 11, 30)
                else self.weighted(
                    (
                        (Notification.Outcome.delivered, 78),
                        (Notification.Outcome.refused, 13),
                        (Notification.Outcome.not_found, 9),
                    )
                )
            )
            rows.append(
                {
                    "id": start + i,
                    "person": p.id,
                    "municipality": self.munis[p.muni].id,
                    "delivered_on": day,
                    "delivered_by": "Polisen och socialtjänsten (generator)",
                    "outcome": outcome,
                    "offer_made": "Stöd till boende, arbete och avhopp."
                    if outcome is Notification.Outcome.delivered
                    else "",
                    "follow_up_due": day + timedelta(days=14),
                }
            )
            if outcome is Notification.Outcome.delivered:
                delivered.append((pi, start + i, day))
        await self.w.insert(Notification, rows, "individuella underrättelser")
        return delivered

    # -- enforcement
    async def enforcement(self, incidents: Sequence[tuple[int, date, int, int]]) -> None:
        rng = self.rng
        rows: list[dict[str, Any]] = []
        kinds = list(EnforcementAction.Kind)
        agencies = (
            (EnforcementAction.Agency.police, 70),
            (EnforcementAction.Agency.prosecutor, 8),
            (EnforcementAction.Agency.probation, 10),
            (EnforcementAction.Agency.customs, 4),
            (EnforcementAction.Agency.tax_agency, 5),
            (EnforcementAction.Agency.other, 3),
        )
        for iid, day, suspected, muni in incidents:
            if rng.random() > 0.6:
                continue
            held = [ids for d, ids in self.munis[muni].held_call_ins if d < day]
            for _ in range(rng.randint(1, 2)):
                when = day + timedelta(days=rng.randint(1, 30))
                status = (
                    EnforcementAction.Status.planned
                    if when > LAST_DAY
                    else self.weighted(
                        (
                            (EnforcementAction.Status.done, 90),
                            (EnforcementAction.Status.cancelled, 10),
                        )
                    )
                )
                rows.append(
                    {
                        "group": self.groups[suspected].id,
                        "municipality": self.munis[muni].id,
                        "triggering_incident": iid,
                        # The promise made at the latest call-in there is the one kept.
                        "promise": held[-1][0] if held else None,
                        "agency": self.weighted(agencies),
                        "kind": rng.choice(kinds),
                        "action_date": when,
                        "status": status,
                    }
                )
        await self.w.add(EnforcementAction, rows, "polisiära åtgärder")

    # -- providers
    async def providers(self) -> dict[int, list[int]]:
        """Providers per municipality index (the national ones are in every list)."""
        rng = self.rng
        rows: list[dict[str, Any]] = []
        checks: list[dict[str, Any]] = []
        by_muni: dict[int, list[int]] = {}
        n = 6 + 2 * len(self.munis)
        start = await self.w.reserve(Provider, n)
        national = []
        for i in range(6):
            kind = (Provider.Kind.private, Provider.Kind.non_profit)[i % 2]
            rows.append(
                {
                    "id": start + i,
                    "name": f"Nationell utförare {i + 1} ({self.tag})",
                    "kind": kind,
                    "services": "Boende, skydd, mentorer (generator)",
                    "contract_reference": f"RAM-{2020 + i % 5}-{i + 1:03d}",
                }
            )
            national.append(start + i)
        pid = start + 6
        for mi, m in enumerate(self.munis):
            by_muni[mi] = list(national)
            for label, kind in (
                ("Arbetsmarknadsenheten", Provider.Kind.municipal),
                ("Fritidsföreningen", Provider.Kind.non_profit),
            ):
                rows.append(
                    {
                        "id": pid,
                        "name": f"{label} {m.name} ({self.tag})",
                        "kind": kind,
                        "services": "Arbete, fritid, föräldrastöd (generator)",
                        "municipality": m.id,
                    }
                )
                by_muni[mi].append(pid)
                pid += 1
        for row in rows:
            for _ in range(rng.randint(0, 2)):
                checks.append(
                    {
                        "provider": row["id"],
                        "checked_on": self.day(),
                        "what": "Registerutdrag, tillstånd, referenser (generator)",
                        "result": self.weighted(
                            (
                                (ProviderCheck.Result.approved, 80),
                                (ProviderCheck.Result.remarks, 15),
                                (ProviderCheck.Result.rejected, 5),
                            )
                        ),
                    }
                )
        await self.w.insert(Provider, rows, "utförare")
        await self.w.add(ProviderCheck, checks, "kontroller av utförare")
        # Requirements of the national providers' framework agreements, and a few
        # deviations (from a random source of their own, as methods()).
        control = random.Random(f"provider-control-{self.seed}")
        requirements, deviations = [], []
        for i, row in enumerate(rows[:6]):
            requirements.append(
                {
                    "provider": row["id"],
                    "agreement": row["contract_reference"],
                    "requirement": "Tillstånd, bemanning och kontaktperson (generator)",
                }
            )
            if i == 0 or control.random() < 0.5:
                deviations.append(
                    {
                        "provider": row["id"],
                        "reported_on": FIRST_DAY
                        + timedelta(days=control.randint(0, (LAST_DAY - FIRST_DAY).days)),
                        "severity": control.choice(list(ProviderDeviation.Severity)),
                        "description": "Avvikelse från avtalet (generator)",
                    }
                )
        await self.w.add(ProviderRequirement, requirements, "krav på utförare")
        await self.w.add(ProviderDeviation, deviations, "avvikelser hos utförare")
        return by_muni

    # -- methods
    async def methods(self) -> dict[int, list[int]]:
        """Each social services unit's method catalogue (four methods, one of each
        evidence level and one more); the ids per municipality index. Drawn from a
        random source of its own, so the rest of the data stays what it was."""
        rng = random.Random(f"methods-{self.seed}")
        catalogue = (
            ("Multisystemisk terapi (MST)", Method.Evidence.scientific, "SBU (generator)"),
            ("Motiverande samtal (MI)", Method.Evidence.scientific, "SBU (generator)"),
            ("Mentorskap", Method.Evidence.promising, "Egen uppföljning (generator)"),
            ("Fritidsprogram", Method.Evidence.not_evaluated, ""),
        )
        start = await self.w.reserve(Method, len(catalogue) * len(self.munis))
        rows: list[dict[str, Any]] = []
        by_muni: dict[int, list[int]] = {}
        for mi, m in enumerate(self.munis):
            kept = [c for c in catalogue if rng.random() < 0.9] or list(catalogue[:1])
            by_muni[mi] = []
            for name, evidence, source in kept:
                mid = start + len(rows)
                rows.append(
                    {
                        "id": mid,
                        "unit": m.social_unit,
                        "name": name,
                        "evidence": evidence,
                        "evidence_source": source,
                    }
                )
                by_muni[mi].append(mid)
        await self.w.insert(Method, rows, "metoder")
        return by_muni

    # -- the outreach log
    async def outreach(self) -> None:
        """A few activities a year in each municipality, by its social services unit
        (a random source of its own, as methods())."""
        rng = random.Random(f"outreach-{self.seed}")
        channels = list(Channel)
        rows: list[dict[str, Any]] = []
        for m in self.munis:
            for _ in range(rng.randint(1, 4)):
                rows.append(
                    {
                        "unit": m.social_unit,
                        "municipality": m.id,
                        "held_on": FIRST_DAY
                        + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days)),
                        "channel": rng.choice(channels),
                        "people_reached": rng.randint(3, 80),
                        "title": "Informationsinsats (generator)",
                    }
                )
        await self.w.add(OutreachActivity, rows, "uppsökande aktiviteter")

    # -- defector cases
    async def defector_cases(
        self, n: int
    ) -> list[tuple[int, int, date, CaseStatus, list[CaseNeed.Need]]]:
        rng = self.rng
        candidates = [i for i, p in enumerate(self.people) if p.groups]
        n = min(n, len(candidates))
        chosen = rng.sample(candidates, n)
        start = await self.w.reserve(DefectorCase, n)
        cases: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        consents: list[dict[str, Any]] = []
        grants: list[dict[str, Any]] = []
        needs: list[dict[str, Any]] = []
        follow_ups: list[dict[str, Any]] = []
        transfers: list[dict[str, Any]] = []
        out: list[tuple[int, int, date, CaseStatus, list[CaseNeed.Need]]] = []
        per_year: dict[int, int] = {}
        referral = list(DefectorCase.ReferralSource)
        environments = (
            (DefectorCase.Environment.criminal_network, 90),
            (DefectorCase.Environment.violent_extremism, 6),
            (DefectorCase.Environment.honour_related, 4),
        )
        levels = list(CaseFollowUp.Level)[:3]  # good, partly, poor
        for i, pi in enumerate(chosen):
            p = self.people[pi]
            m = self.munis[p.muni]
            cid = start + i
            opened = self.day()
            per_year[opened.year] = per_year.get(opened.year, 0) + 1
            age = (LAST_DAY - opened).days
            # Older cases have come further; most of them are closed.
            reach = min(len(CASE_FLOW) - 1, int(age / 70) + rng.randint(-2, 1))
            final = max(0, reach)
            status = CASE_FLOW[final]
            police_track = rng.random() < 0.45
            witness = rng.random() < 0.04
            withdrawn = police_track and rng.random() < 0.06
            outcome = (
                self.weighted(
                    (
                        (DefectorCase.Outcome.completed, 55),
                        (DefectorCase.Outcome.dropped_out, 25),
                        (DefectorCase.Outcome.moved, 12),
                        (DefectorCase.Outcome.other, 8),
                    )
                )
                if status is CaseStatus.closed
                else None
            )
            day = opened
            steps: list[tuple[CaseStatus, date]] = []
            for step in CASE_FLOW[: final + 1]:
                steps.append((step, day))
                day = day + timedelta(days=rng.randint(7, 60))
            previous: CaseStatus | None = None
            for step, when in steps:
                history.append(
                    {
                        "case": cid,
                        "from_status": previous,
                        "to_status": step,
                        "changed_at": self.at(when),
                    }
                )
                previous = step
            given = steps[min(2, final)][1]
            agencies = [ConsentAgency.social_services]
            if police_track:
                agencies.insert(0, ConsentAgency.police)
            agencies += rng.sample(
                [ConsentAgency.probation, ConsentAgency.healthcare, ConsentAgency.school,
                 ConsentAgency.employment_service],
                rng.randint(0, 2),
            )  # fmt: skip
            if final >= 2:
                for agency in agencies:
                    consents.append(
                        {
                            "case": cid,
                            "agency": agency,
                            "given_on": given,
                            "withdrawn_on": given + timedelta(days=rng.randint(30, 200))
                            if withdrawn and agency is ConsentAgency.police
                            else None,
                        }
                    )
            police_ok = police_track and not witness and not withdrawn and final >= 4
            if police_ok:
                applied = steps[min(4, final)][1] + timedelta(days=rng.randint(5, 30))
                if applied <= LAST_DAY:
                    decided = applied + timedelta(days=rng.randint(20, 70))
                    decision = (
                        GrantApplication.Decision.pending
                        if decided > LAST_DAY
                        else self.weighted(
                            (
                                (GrantApplication.Decision.granted, 82),
                                (GrantApplication.Decision.rejected, 18),
                            )
                        )
                    )
                    amount = rng.randrange(50_000, 300_000, 5_000)
                    granted = (
                        Decimal(min(amount, rng.randrange(40_000, 300_000, 5_000)))
                        if decision is GrantApplication.Decision.granted
                        else None
                    )
                    grants.append(
                        {
                            "case": cid,
                            "applied_on": applied,
                            "amount_applied": Decimal(amount),
                            "decided_on": None
                            if decision is GrantApplication.Decision.pending
                            else decided,
                            "decision": decision,
                            "amount_granted": granted,
                        }
                    )
            case_needs = rng.sample(list(CaseNeed.Need), rng.randint(1, 4))
            for need in case_needs:
                met = final >= CASE_FLOW.index(CaseStatus.follow_up) and rng.random() < 0.6
                needs.append(
                    {
                        "case": cid,
                        "need": need,
                        "assessed_on": steps[min(4, final)][1],
                        "met_on": steps[-1][1] if met else None,
                    }
                )
            phases = []
            if final >= CASE_FLOW.index(CaseStatus.agreement):
                phases.append((CaseFollowUp.Phase.before, 0))
            if final >= CASE_FLOW.index(CaseStatus.interventions):
                phases.append((CaseFollowUp.Phase.during, 6))
            if final >= CASE_FLOW.index(CaseStatus.follow_up):
                phases.append((CaseFollowUp.Phase.after, 12))
            for phase, months in phases:
                lift = 0 if outcome is DefectorCase.Outcome.dropped_out else months // 6
                follow_ups.append(
                    {
                        "case": cid,
                        "phase": phase,
                        "follow_up_on": opened + timedelta(days=30 + months * 30),
                        "months_since_start": months,
                        **{
                            area: levels[max(0, min(2, 2 - lift + rng.randint(-1, 1)))]
                            for area in ("housing", "occupation", "criminality",
                                         "substance_use", "safety")
                        },
                    }
                )  # fmt: skip
            unit = m.joint_unit if rng.random() < 0.3 else m.social_unit
            if len(self.munis) > 1 and (i == 0 or rng.random() < 0.08):
                # The person moved: the case was offered to another town's social services
                # (the first case always, so even a small seed has a transfer).
                # Accepted, the case is that unit's; its home municipality stays (figures).
                other = self.munis[(p.muni + rng.randrange(1, len(self.munis))) % len(self.munis)]
                if other.social_unit != unit:
                    state = self.weighted(
                        (
                            (TransferState.accepted, 60),
                            (TransferState.declined, 20),
                            (TransferState.withdrawn, 10),
                            (TransferState.pending, 10 if status is not CaseStatus.closed else 0),
                        )
                    )
                    offered = steps[-1][1]
                    transfers.append(
                        {
                            "case": cid,
                            "from_unit": unit,
                            "to_unit": other.social_unit,
                            "offered_at": self.at(offered),
                            "reason": "Personen har flyttat till en annan kommun.",
                            "state": state,
                            "decided_at": None
                            if state is TransferState.pending
                            else self.at(offered + timedelta(days=rng.randint(1, 14))),
                            "decline_reason": "Ärendet passar bättre hos en gemensam enhet."
                            if state is TransferState.declined
                            else "",
                        }
                    )
                    if state is TransferState.accepted:
                        unit = other.social_unit
            cases.append(
                {
                    "id": cid,
                    "reference": f"AHN{self.seed}-{opened.year}-{per_year[opened.year]:05d}",
                    "person": p.id,
                    "municipality": m.id,
                    "unit": unit,
                    "status": status,
                    "referral_source": rng.choice(referral),
                    "environment": self.weighted(environments),
                    "is_child": LAST_DAY.year - p.birth_year < 18,
                    "opened_on": opened,
                    "closed_on": steps[-1][1] if status is CaseStatus.closed else None,
                    "closure_outcome": outcome,
                    "social_services_eligible": None if final < 4 else rng.random() < 0.95,
                    "motivated": None
                    if final < 1
                    else outcome is not DefectorCase.Outcome.dropped_out,
                    "is_witness": witness,
                    "threat_level": rng.choice(list(DefectorCase.Threat))
                    if final >= 3
                    else "unknown",
                    "threat_assessed_on": steps[3][1] if final >= 3 else None,
                    "police_track_active": police_ok and status is not CaseStatus.closed,
                    "psychiatric_collaboration": CaseNeed.Need.psychiatric in case_needs,
                }
            )
            out.append((cid, pi, opened, status, case_needs))
        await self.w.insert(DefectorCase, cases, "avhopparärenden")
        for table, extra, stage in (
            (CaseStatusChange, history, "ärendenas statushistorik"),
            (CaseConsent, consents, "samtycken"),
            (GrantApplication, grants, "statsbidragsansökningar"),
            (CaseNeed, needs, "behov"),
            (CaseFollowUp, follow_ups, "uppföljningar"),
            (CaseTransfer, transfers, "överföringar mellan enheter"),
        ):
            await self.w.add(table, extra, stage)
        await self.case_plans(follow_ups)
        return out

    # -- case plans: items, a SIP where the region takes part, goals rated at follow-ups
    async def case_plans(self, follow_ups: Sequence[dict[str, Any]]) -> None:
        rng = random.Random(f"case-plans-{self.seed}")
        by_case: dict[int, list[dict[str, Any]]] = {}
        for f in follow_ups:
            by_case.setdefault(f["case"], []).append(f)
        parties = (
            (Party.social_services, "Egen bostad med stöd"),
            (Party.psychiatry, "Behandling för ångest och sömn"),
            (Party.addiction_care, "Drogfrihet med stöd av öppenvård"),
            (Party.employment_service, "Sysselsättning: praktik eller studier"),
            (Party.probation, "Skyddsplan under frivård"),
        )
        plans: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        ratings: list[tuple[int, dict[str, Any], int]] = []
        events: list[dict[str, Any]] = []
        for case_id, rows in sorted(by_case.items()):
            first = min(r["follow_up_on"] for r in rows)
            chosen = rng.sample(parties, rng.randint(1, 3))
            sip = any(p is Party.psychiatry for p, _ in chosen) and rng.random() < 0.7
            at = datetime.combine(first, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            plans.append(
                {
                    "case": case_id,
                    "owner": Party.social_services,
                    "sip": sip,
                    "sip_started_on": first if sip else None,
                    "approved_at": at if rng.random() < 0.8 else None,
                }
            )
            for party, goal in chosen:
                items.append(
                    {
                        "case": case_id,
                        "goal": goal,
                        "party": party,
                        "starts_on": first,
                        "status": ItemStatus.ongoing,
                    }
                )
                events.append(
                    {"case": case_id, "kind": PlanEvent.Kind.item_added, "at": at, "value": party}
                )
                for f in rows:
                    lift = {"before": 0, "during": 1}.get(str(f["phase"]), 2)
                    ratings.append((len(items) - 1, f, lift))
        await self.w.add(CasePlan, plans, "ärendeplaner")
        await self.w.add(PlanItem, items, "planpunkter")
        choices = (Rating.not_met, Rating.partly, Rating.met)
        rated = [
            {
                "item": items[index]["id"],
                "follow_up": f["id"],
                "rating": choices[max(0, min(2, lift + rng.randint(-1, 0)))],
                "rated_at": datetime.combine(f["follow_up_on"], datetime.min.time(), tzinfo=UTC),
            }
            for index, f, lift in ratings
        ]
        await self.w.add(GoalRating, rated, "måluppfyllelse")
        await self.w.add(PlanEvent, events, "planhändelser")

    # -- offers
    async def offers(
        self,
        n: int,
        attended: Sequence[tuple[int, int, date]],
        delivered: Sequence[tuple[int, int, date]],
        cases: Sequence[tuple[int, int, date, CaseStatus, list[CaseNeed.Need]]],
        providers: dict[int, list[int]],
        methods: dict[int, list[int]] | None = None,
    ) -> None:
        rng = self.rng
        # The method an offer names, from a random source of its own (see methods()).
        method_rng = random.Random(f"offer-methods-{self.seed}")
        categories = list(SupportOffer.Category)
        plans: list[tuple[int, SupportOffer.Category, date, dict[str, Any], OfferStatus]] = []
        statuses = (
            (OfferStatus.offered, 8),
            (OfferStatus.accepted, 15),
            (OfferStatus.declined, 22),
            (OfferStatus.started, 20),
            (OfferStatus.completed, 25),
            (OfferStatus.discontinued, 10),
        )
        for cid, pi, opened, case_status, needs in cases:
            if CASE_FLOW.index(case_status) < CASE_FLOW.index(CaseStatus.agreement):
                continue
            for need in needs:
                final = (
                    OfferStatus.accepted
                    if case_status is CaseStatus.agreement
                    else OfferStatus.started
                    if case_status is CaseStatus.interventions
                    else self.weighted(((OfferStatus.completed, 3), (OfferStatus.discontinued, 1)))
                )
                plans.append(
                    (
                        pi,
                        NEED_TO_CATEGORY[need],
                        opened + timedelta(days=rng.randint(20, 90)),
                        {"context": SupportOffer.Context.defector_case, "defector_case": cid},
                        final,
                    )
                )
        for pi, cid, day in attended:
            if rng.random() < 0.7:
                plans.append(
                    (
                        pi,
                        rng.choice(categories),
                        day + timedelta(days=rng.randint(1, 30)),
                        {"context": SupportOffer.Context.call_in, "call_in": cid},
                        self.weighted(statuses),
                    )
                )
        for pi, nid, day in delivered:
            if rng.random() < 0.6:
                plans.append(
                    (
                        pi,
                        rng.choice(categories),
                        day,
                        {"context": SupportOffer.Context.notification, "notification": nid},
                        self.weighted(statuses),
                    )
                )
        while len(plans) < n:
            plans.append(
                (
                    rng.randrange(len(self.people)),
                    rng.choice(categories),
                    self.day(),
                    {"context": SupportOffer.Context.street_outreach},
                    self.weighted(statuses),
                )
            )
        start = await self.w.reserve(SupportOffer, len(plans))
        rows: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for i, (pi, category, day, links, status) in enumerate(plans):
            p = self.people[pi]
            oid = start + i
            provider = rng.choice(providers[p.muni]) if rng.random() < 0.7 else None
            spent = status in (OfferStatus.started, OfferStatus.completed, OfferStatus.discontinued)
            rows.append(
                {
                    "id": oid,
                    "person": p.id,
                    "municipality": self.munis[p.muni].id,
                    "category": category,
                    "provider": provider,
                    "method": method_rng.choice(methods[p.muni])
                    if methods and methods.get(p.muni) and method_rng.random() < 0.6
                    else None,
                    "status": status,
                    "offered_on": day,
                    "cost": Decimal(rng.randrange(2_000, 150_000, 500))
                    if spent and provider
                    else None,
                    **links,
                }
            )
            previous: OfferStatus | None = None
            when = day
            for step in OFFER_CHAINS[status]:
                changes.append(
                    {
                        "offer": oid,
                        "from_status": previous,
                        "to_status": step,
                        "changed_on": when,
                        "changed_at": self.at(when),
                    }
                )
                previous = step
                when = when + timedelta(days=rng.randint(3, 60))
        await self.w.insert(SupportOffer, rows, "erbjudanden")
        await self.w.add(SupportOfferStatusChange, changes, "erbjudandenas statushistorik")

    # -- tasks
    async def tasks(self, n: int, cases: Sequence[tuple[int, int, date, CaseStatus, Any]]) -> None:
        rng = self.rng
        start = await self.w.reserve(Task, n)
        rows: list[dict[str, Any]] = []
        for i in range(n):
            due = self.day(FIRST_DAY, date(2025, 3, 31))
            status = (
                Task.Status.open
                if due > date(2024, 10, 1)
                else self.weighted(((Task.Status.done, 85), (Task.Status.cancelled, 5),
                                    (Task.Status.open, 10)))
            )  # fmt: skip
            row: dict[str, Any] = {"id": start + i, "due_on": due, "status": status}
            if cases and rng.random() < 0.5:
                cid, pi, _opened, _status, _needs = rng.choice(cases)
                p = self.people[pi]
                row |= {
                    "title": f"Uppföljning av ärende {cid} ({self.tag})",
                    "kind": Task.Kind.follow_up,
                    "municipality": self.munis[p.muni].id,
                    "unit": self.munis[p.muni].social_unit,
                    "defector_case": cid,
                    "person": p.id,
                }
            else:
                pi = rng.randrange(len(self.people))
                p = self.people[pi]
                row |= {
                    "title": f"Uppsökande kontakt {i + 1} ({self.tag})",
                    "kind": Task.Kind.outreach_contact,
                    "municipality": self.munis[p.muni].id,
                    "unit": self.munis[p.muni].social_unit,
                    "person": p.id,
                }
            rows.append(row)
        await self.w.insert(Task, rows, "uppgifter")


async def load_national(
    *,
    seed: int = 1,
    people: int = 62_000,
    groups: int = 300,
    ties: int = 200_000,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Load the national-scale set for ``seed``; returns rows created per table.

    ``ties`` counts memberships (person–group, several per person over time)
    plus group relations (about four per group). Everything else scales with
    ``people``: incidents ≈ people/10, call-ins ≈ people/400, notifications ≈
    people/20, defector cases ≈ people/30, offers ≈ people/5, tasks ≈ people/60.
    Returns ``{}`` when this seed's set is already loaded.
    """
    report: Progress = progress or (lambda _stage, _done, _total: None)
    if people < 1 or groups < 2:
        raise ValueError("need at least one person and two groups")
    began = _time.perf_counter()
    engine = Municipality._meta.db
    postgres = engine.engine_type == "postgres"
    async with write_transaction(engine) as transaction:
        marker = f"{MARKER_PREFIX}{seed})"
        if await Unit.exists().where(Unit.name == marker):
            report("redan inläst", 0, 0)
            return {}
        writer = _Writer(transaction.connection, postgres, report, datetime.now(tz=UTC))
        gen = _Gen(seed, writer)
        await gen.municipalities()
        await gen.units()
        await gen.make_groups(groups)
        n_relations = await gen.relations(round(groups * 4))
        await gen.make_people(people)
        await gen.identities()
        await gen.memberships(max(0, ties - n_relations))
        incidents = await gen.incidents(max(10, people // 10))
        attended = await gen.call_ins(max(2, people // 400))
        delivered = await gen.notifications(max(1, people // 20))
        await gen.enforcement(incidents)
        providers = await gen.providers()
        methods = await gen.methods()
        await gen.outreach()
        cases = await gen.defector_cases(max(5, people // 30))
        await gen.offers(max(10, people // 5), attended, delivered, cases, providers, methods)
        await gen.tasks(max(5, people // 60), cases)
    if postgres:
        # Fresh statistics for the planner: before autovacuum gets to the new rows
        # it takes 62,000 people for a few dozen and scans where an index serves
        # (a 50-row page of people: 43 ms instead of 0.8 ms).
        await engine.run_ddl("ANALYZE")
    elapsed = _time.perf_counter() - began
    counts = {name: n for name, n in writer.counts.items() if n}
    total = sum(counts.values())
    log.info("national seed %s: %s rows in %.1f s", seed, total, elapsed)
    report(f"klart på {elapsed:.1f} s", total, total)
    return counts
