"""The record import: scope, lookups, writing and the one audit event.

The pure part (reading and checking the files) is :mod:`gvi.records.importer`;
this module looks up what the rows refer to within the user's scope, and writes
a valid plan the way the domain services write the same records by hand: a new
person's identity is encrypted through :mod:`gvi.security.crypto` with the
blind index computed, a case gets its number (``AH-<year>-NNNN``), its status
history rows and its derived police track, an offer its status history. All of
it in one transaction with ONE audit event holding counts only (no person
data): an import of 10,000 cases is one line in the trail, like the group-audit
import, not 10,000.

Scope: an outreach user imports people into their municipalities, cases into
their units (home unit and joint units) for the municipalities those units
serve, offers for people of their municipalities or in their cases. A row
outside that is an error, never skipped.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

import anyio.to_thread
from litestar.exceptions import NotFoundException
from piccolo.columns.combination import WhereRaw

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserUnit
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import tabular
from gvi.core.bulk import BulkWriter
from gvi.db import write_transaction
from gvi.defectors import transitions as case_rules
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatusChange,
    DefectorCase,
    GrantApplication,
)
from gvi.municipalities.tables import Municipality, Unit, UnitMunicipality
from gvi.people.services import CODE_ALPHABET, IDENTITY_FIELDS
from gvi.people.tables import Person, PersonIdentity
from gvi.records import checks, importer
from gvi.records.checks import CREATE, SKIP, UPDATE
from gvi.records.importer import Problem
from gvi.security.crypto import aad, get_keyring
from gvi.support.tables import Provider, SupportOffer, SupportOfferStatusChange

# Serialises case numbering on PostgreSQL, as gvi.defectors.services does ("gvi_case").
_PG_REFERENCE_LOCK = 0x6776695F63617365
# Serialises record imports on PostgreSQL ("gvi_impo").
_PG_IMPORT_LOCK = 0x6776695F696D706F
# Above this many rows an upload runs as a background job with a progress bar.
INLINE_ROWS = 2_000

Progress = Callable[[int, str], Any]


def _engine() -> Any:
    return Person._meta.db


def today() -> date:
    from gvi.defectors.services import today as local_today

    return local_today()


def can_import(principal: Principal) -> bool:
    return principal.can(Permission.records_import)


def _require(principal: Principal) -> None:
    if not can_import(principal):
        raise NotFoundException()


@dataclass(frozen=True)
class ImportResult:
    dry_run: bool
    written: bool
    problems: list[Problem]
    counts: dict[str, dict[str, int]]
    rows: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """For the job row and the JSON API: counts and fixed messages only."""
        return {
            "dry_run": self.dry_run,
            "written": self.written,
            "counts": self.counts,
            "rows": self.rows,
            "encodings": self.encodings,
            "problems": [
                {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                for p in self.problems
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportResult:
        return cls(
            dry_run=bool(data.get("dry_run", True)),
            written=bool(data.get("written", False)),
            problems=[Problem(**p) for p in data.get("problems", [])],
            counts=dict(data.get("counts", {})),
            rows=dict(data.get("rows", {})),
            encodings=dict(data.get("encodings", {})),
        )


# --- lookups ---------------------------------------------------------------------------


def _batch(values: set[str]) -> list[set[str]]:
    """The values as one batch (none when empty): they travel as one parameter."""
    return [values] if values else []


def _text_one_of(column: Any, values: Iterable[str]) -> Any:
    """``column IN values`` with the values as one parameter (as :func:`gvi.db.one_of`
    does for ids): ten thousand references are one query, not twenty."""
    engine_type = column._meta.engine_type
    name = column._meta.get_full_name(with_alias=False)
    wanted = sorted(set(values))
    if engine_type == "postgres":
        return WhereRaw(f"{name} = ANY({{}}::text[])", wanted)
    return WhereRaw(f"{name} IN (SELECT value FROM json_each({{}}))", json.dumps(wanted))  # noqa: S608


async def _served(unit_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(unit_ids) or [-1]
    served: dict[int, set[int]] = {i: set() for i in ids}
    for r in await Unit.select(Unit.id, Unit.municipality).where(Unit.id.is_in(ids)):
        served[r["id"]].add(r["municipality"])
    for r in await UnitMunicipality.select(
        UnitMunicipality.unit, UnitMunicipality.municipality
    ).where(UnitMunicipality.unit.is_in(ids)):
        served[r["unit"]].add(r["municipality"])
    return served


async def _members(unit_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """unit → casefolded username → user id: the active outreach users who work there."""
    ids = list(unit_ids) or [-1]
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    live = (
        (User.role == Role.outreach) & (User.is_active == True) & User.archived_at.is_null()  # noqa: E712
    )
    for r in await User.select(User.id, User.username, User.unit).where(
        live & User.unit.is_in(ids)
    ):
        out[r["unit"]][r["username"].casefold()] = r["id"]
    for r in await UserUnit.select(UserUnit.unit, UserUnit.user.id, UserUnit.user.username).where(
        UserUnit.unit.is_in(ids) & UserUnit.user.is_in(User.select(User.id).where(live))
    ):
        out[r["unit"]][r["user.username"].casefold()] = r["user.id"]
    return out


_PERSON_COLUMNS = (
    Person.id,
    Person.code,
    Person.home_municipality,
    Person.external_ref,
    Person.birth_year,
    Person.protection,
    Person.notes,
)


def _existing_person(r: dict[str, Any]) -> checks.ExistingPerson:
    return checks.ExistingPerson(
        id=r["id"],
        code=r["code"],
        municipality_id=r["home_municipality"],
        external_ref=r["external_ref"],
        birth_year=r["birth_year"],
        protection=r["protection"],
        notes=r["notes"],
    )


def _case_facts(r: Mapping[str, Any]) -> tuple[object, ...]:
    return tuple(r[name] for name in checks.CASE_FACTS)


def _offer_facts(r: Mapping[str, Any]) -> tuple[object, ...]:
    cost = r["cost"]
    return (
        r["category"],
        r["provider"],
        None if cost is None else importer.parse_amount(str(cost)),
        r["notes"],
    )


async def _lookups(principal: Principal, parsed: importer.ParsedUpload) -> checks.Lookups:
    served = await _served(principal.unit_ids)
    reach_ids = set(principal.municipality_ids).union(*served.values()) if served else set()
    all_municipalities = await Municipality.select(
        Municipality.id, Municipality.code, Municipality.archived_at
    )
    live = {r["code"]: r["id"] for r in all_municipalities if r["archived_at"] is None}
    units = await Unit.select(Unit.id, Unit.name, Unit.archived_at, Unit.is_active)
    mine = {
        tabular.fold(r["name"]): r["id"]
        for r in units
        if r["id"] in principal.unit_ids and r["archived_at"] is None
    }
    in_reach = Person.home_municipality.is_in(list(reach_ids) or [-1]) & (
        Person.archived_at.is_null()
    )
    by_code: dict[str, checks.ExistingPerson] = {}
    taken: set[str] = set()
    for chunk in _batch(parsed.person_codes):
        for r in await Person.select(*_PERSON_COLUMNS, Person.archived_at).where(
            _text_one_of(Person.code, chunk)
        ):
            taken.add(r["code"])
            if r["home_municipality"] in reach_ids and r["archived_at"] is None:
                by_code[r["code"]] = _existing_person(r)
    by_ref: dict[tuple[int, str], checks.ExistingPerson] = {}
    for chunk in _batch(parsed.person_refs):
        for r in await Person.select(*_PERSON_COLUMNS).where(
            in_reach & _text_one_of(Person.external_ref, chunk)
        ):
            person = _existing_person(r)
            by_ref[(person.municipality_id, r["external_ref"])] = person
            by_code.setdefault(person.code, person)
    cases: dict[tuple[int, str], checks.ExistingCase] = {}
    case_columns = (
        DefectorCase.id,
        DefectorCase.person,
        DefectorCase.unit,
        DefectorCase.municipality,
        DefectorCase.external_ref,
        *(DefectorCase._meta.get_column_by_name(n) for n in checks.CASE_FACTS),
    )
    for chunk in _batch(parsed.case_refs):
        for r in await DefectorCase.select(*case_columns).where(
            DefectorCase.unit.is_in(list(principal.unit_ids) or [-1])
            & DefectorCase.archived_at.is_null()
            & _text_one_of(DefectorCase.external_ref, chunk)
        ):
            cases[(r["unit"], r["external_ref"])] = checks.ExistingCase(
                id=r["id"],
                person_id=r["person"],
                unit_id=r["unit"],
                municipality_id=r["municipality"],
                external_ref=r["external_ref"],
                facts=_case_facts(r),
            )
    offers: dict[tuple[int, str], checks.ExistingOffer] = {}
    offer_refs = parsed.refs(importer.OFFERS)
    for chunk in _batch(offer_refs):
        for r in await SupportOffer.select(
            SupportOffer.id,
            SupportOffer.person,
            SupportOffer.municipality,
            SupportOffer.external_ref,
            SupportOffer.category,
            SupportOffer.provider,
            SupportOffer.cost,
            SupportOffer.notes,
        ).where(
            SupportOffer.municipality.is_in(list(reach_ids) or [-1])
            & SupportOffer.archived_at.is_null()
            & _text_one_of(SupportOffer.external_ref, chunk)
        ):
            offers[(r["municipality"], r["external_ref"])] = checks.ExistingOffer(
                id=r["id"],
                person_id=r["person"],
                municipality_id=r["municipality"],
                external_ref=r["external_ref"],
                facts=_offer_facts(r),
            )
    providers = {
        tabular.fold(r["name"]): r["id"]
        for r in await Provider.select(Provider.id, Provider.name).where(
            Provider.archived_at.is_null() & (Provider.is_active == True)  # noqa: E712
        )
    }
    return checks.Lookups(
        municipalities={c: i for c, i in live.items() if i in principal.municipality_ids},
        reach={c: i for c, i in live.items() if i in reach_ids},
        known_municipality_codes=frozenset(r["code"] for r in all_municipalities),
        units=mine,
        known_units=frozenset(tabular.fold(r["name"]) for r in units),
        unit_serves={u: frozenset(m) for u, m in served.items()},
        members=await _members(principal.unit_ids),
        people_by_code=by_code,
        taken_codes=frozenset(taken),
        people_by_ref=by_ref,
        cases_by_ref=cases,
        offers_by_ref=offers,
        providers=providers,
        user_id=principal.user_id,
        can_people=principal.can(Permission.people_write),
        can_cases=principal.can(Permission.cases_write),
        can_offers=principal.can(Permission.offers_write),
    )


# --- writing ---------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _noon(day: date) -> datetime:
    # A history row typed by hand has the moment it was typed; an imported one the
    # day it happened (noon UTC: the same calendar day in Sweden all year). Pure and
    # immutable, so remembered: an import repeats a few hundred days many times.
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _random_codes(n: int) -> list[str]:
    """``n`` codes like :func:`gvi.people.services.new_code`'s, from one read of the
    system's random source (32 letters: each byte's low five bits, unbiased)."""
    raw = os.urandom(4 * n)
    return [
        "P-" + "".join(CODE_ALPHABET[b & 31] for b in raw[i : i + 4]) for i in range(0, 4 * n, 4)
    ]


async def _taken_codes(codes: Iterable[str]) -> set[str]:
    """Which of *codes* are in use: one query, the codes as one parameter (as
    :func:`gvi.db.one_of` does for ids; ``is_in`` binds one parameter per value)."""
    values = sorted(set(codes))
    if not values:
        return set()
    if _engine().engine_type == "postgres":
        rows = await Person.raw("SELECT code FROM person WHERE code = ANY({})", values)
    else:
        rows = await Person.raw(
            "SELECT code FROM person WHERE code IN (SELECT value FROM json_each({}))",
            json.dumps(values),
        )
    return {r["code"] for r in rows}


async def _free_codes(wanted: int, given: set[str]) -> list[str]:
    """``wanted`` new person codes, unused in the database and in the upload."""
    codes: list[str] = []
    used = set(given)
    while len(codes) < wanted:
        batch = set(_random_codes(wanted - len(codes))) - used
        used |= batch
        codes.extend(sorted(batch - await _taken_codes(batch)))
    return codes[:wanted]


async def _next_numbers(years: Iterable[int]) -> dict[int, int]:
    """The next free case number per year (numbering is national, as by hand)."""
    if _engine().engine_type == "postgres":
        await DefectorCase.raw("SELECT pg_advisory_xact_lock({})", _PG_REFERENCE_LOCK)
    out: dict[int, int] = {}
    for year in sorted(set(years)):
        prefix = f"AH-{year}-"
        rows = await DefectorCase.select(DefectorCase.reference).where(
            DefectorCase.reference.like(prefix + "%")
        )
        numbers = [
            int(r["reference"][len(prefix) :])
            for r in rows
            if r["reference"][len(prefix) :].isdigit()
        ]
        out[year] = max(numbers, default=0) + 1
    return out


def _police_track(
    row: importer.CaseRow, memo: dict[tuple[Any, ...], case_rules.PoliceDefinition]
) -> bool:
    """The derived police track, by the rule gvi.defectors.services applies. The rule
    words every failing criterion; its answer depends on five values, so it is
    asked once per combination (a few dozen at most), not once per case."""
    in_force = {c.agency for c in row.consents if c.withdrawn_on is None}
    excluded = {c.agency for c in row.consents} - in_force
    key = (
        row.motivated,
        "police" in in_force,
        row.threat_level,
        row.is_witness,
        row.social_services_eligible,
    )
    definition = memo.get(key)
    if definition is None:
        definition = memo[key] = case_rules.police_definition(
            motivated=row.motivated,
            police_consent_in_force="police" in in_force,
            threat_level=row.threat_level,
            is_witness=row.is_witness,
            social_services_eligible=row.social_services_eligible,
        )
    return case_rules.police_track_active(
        definition,
        excluded_agencies=len(excluded),
        closed=row.history[-1][0] == case_rules.CLOSED,
    )


async def _write_people(writer: BulkWriter, principal: Principal, plan: checks.Plan) -> list[int]:
    """Create and update the people; the id of every plan row, in order."""
    ids: list[int] = [p.existing_id or 0 for p in plan.people]
    new = [i for i, p in enumerate(plan.people) if p.action == CREATE]
    generated = iter(
        await _free_codes(
            sum(1 for i in new if not plan.people[i].code),
            {p.code for p in plan.people if p.code},
        )
    )
    rows = [
        {
            "code": plan.people[i].code or next(generated),
            "home_municipality": plan.people[i].municipality_id,
            "birth_year": plan.people[i].birth_year,
            "protection": plan.people[i].protection,
            "notes": plan.people[i].notes,
            "external_ref": plan.people[i].external_ref,
        }
        for i in new
    ]
    person_ids = await writer.add(Person, rows)
    keyring = get_keyring()
    identities = []
    # Encrypted as by hand (gvi.people.services.create_person): the associated data
    # binds table, column and person id; the personnummer gets its blind index. The
    # non-empty cells of all the people are sealed in one pass, each with its own nonce.
    sealed_cells: list[tuple[dict[str, Any], str]] = []
    plain_cells: list[tuple[str, str]] = []
    enc_columns = [(f"{name}_enc", name) for name in IDENTITY_FIELDS]
    for i, person_id in zip(new, person_ids, strict=True):
        ids[i] = person_id
        identity = plan.people[i].identity
        if identity is None:
            continue
        values: dict[str, Any] = {"person": person_id, "key_id": keyring.active_id}
        for (column, name), plain in zip(enc_columns, identity, strict=True):
            values[column] = None
            if plain:
                sealed_cells.append((values, column))
                plain_cells.append((plain, aad("person_identity", name, person_id)))
        values["pin_index"] = keyring.blind_index(identity[1]) if identity[1] else None
        identities.append(values)
    for (values, column), blob in zip(sealed_cells, keyring.encrypt_many(plain_cells), strict=True):
        values[column] = blob
    await writer.add(PersonIdentity, identities)
    for p in plan.people:
        if p.action == UPDATE:
            await Person.update(
                {
                    Person.birth_year: p.birth_year,
                    Person.protection: p.protection,
                    Person.notes: p.notes,
                    Person.external_ref: p.external_ref,
                    Person.version: Person.version + 1,
                }
            ).where(Person.id == p.existing_id)
    return ids


async def _write_cases(
    writer: BulkWriter, principal: Principal, plan: checks.Plan, people: list[int]
) -> list[int]:
    ids: list[int] = [c.existing_id or 0 for c in plan.cases]

    def person_id(ref: checks.PersonRef) -> int:
        return people[ref.new] if ref.new is not None else int(ref.existing or 0)

    new = [i for i, c in enumerate(plan.cases) if c.action == CREATE]
    numbers = await _next_numbers(
        day.year for i in new if (day := plan.cases[i].row.opened_on) is not None
    )
    rows = []
    track: dict[tuple[Any, ...], case_rules.PoliceDefinition] = {}
    for i in new:
        c = plan.cases[i]
        row = c.row
        assert row.opened_on is not None
        year = row.opened_on.year
        reference = f"AH-{year}-{numbers[year]:04d}"
        numbers[year] += 1
        rows.append(
            {
                "reference": reference,
                "person": person_id(c.person),
                "municipality": c.municipality_id,
                "unit": c.unit_id,
                "caseworker": c.facts[0],
                "status": row.history[-1][0],
                "referral_source": row.referral_source,
                "environment": row.environment,
                "is_child": row.is_child,
                "opened_on": row.opened_on,
                "closed_on": row.closed_on,
                "closure_outcome": row.closure_outcome,
                "social_services_eligible": row.social_services_eligible,
                "motivated": row.motivated,
                "is_witness": row.is_witness,
                "threat_level": row.threat_level,
                "threat_assessed_on": row.threat_assessed_on,
                # Derived, never typed in: the same rule gvi.defectors.services applies.
                "police_track_active": _police_track(row, track),
                "notes": row.notes,
                "external_ref": row.external_ref,
            }
        )
    case_ids = await writer.add(DefectorCase, rows)
    history: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    needs: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    for i, case_id in zip(new, case_ids, strict=True):
        ids[i] = case_id
        row = plan.cases[i].row
        before: str | None = None
        for status, day in row.history:
            history.append(
                {
                    "case": case_id,
                    "from_status": before,
                    "to_status": status,
                    "changed_at": _noon(day),
                    "changed_by": principal.user_id,
                }
            )
            before = status
        consents.extend(
            {
                "case": case_id,
                "agency": c.agency,
                "given_on": c.given_on,
                "withdrawn_on": c.withdrawn_on,
            }
            for c in row.consents
        )
        needs.extend(
            {"case": case_id, "need": n.need, "assessed_on": n.assessed_on, "met_on": n.met_on}
            for n in row.needs
        )
        grants.extend(
            {
                "case": case_id,
                "applied_on": g.applied_on,
                "amount_applied": g.amount_applied,
                "decided_on": g.decided_on,
                "decision": g.decision,
                "amount_granted": g.amount_granted,
            }
            for g in row.grants
        )
        follow_ups.extend(
            {
                "case": case_id,
                "phase": f.phase,
                "follow_up_on": f.on,
                "months_since_start": case_rules.months_between(row.opened_on or f.on, f.on),
                "housing": f.levels[0],
                "occupation": f.levels[1],
                "criminality": f.levels[2],
                "substance_use": f.levels[3],
                "safety": f.levels[4],
            }
            for f in row.follow_ups
        )
    await writer.add(CaseStatusChange, history)
    await writer.add(CaseConsent, consents)
    await writer.add(CaseNeed, needs)
    await writer.add(GrantApplication, grants)
    await writer.add(CaseFollowUp, follow_ups)
    updated = [c for c in plan.cases if c.action == UPDATE]
    if updated:
        from gvi.defectors.services import _refresh_police_track

        for c in updated:
            values: dict[Any, Any] = {
                DefectorCase._meta.get_column_by_name(name): value
                for name, value in zip(checks.CASE_FACTS, c.facts, strict=True)
            }
            values[DefectorCase.version] = DefectorCase.version + 1
            await DefectorCase.update(values).where(DefectorCase.id == c.existing_id)
            assert c.existing_id is not None
            # Derived, as after a change by hand: the assessments may have changed.
            await _refresh_police_track(c.existing_id)
    return ids


async def _write_offers(
    writer: BulkWriter,
    principal: Principal,
    plan: checks.Plan,
    people: list[int],
    cases: list[int],
) -> None:
    def person_id(ref: checks.PersonRef) -> int:
        return people[ref.new] if ref.new is not None else int(ref.existing or 0)

    def case_id(ref: checks.CaseRef | None) -> int | None:
        if ref is None:
            return None
        return cases[ref.new] if ref.new is not None else ref.existing

    new = [o for o in plan.offers if o.action == CREATE]
    rows = [
        {
            "person": person_id(o.person),
            "municipality": o.municipality_id,
            "category": o.row.category,
            "provider": o.provider_id,
            "context": o.row.context,
            "defector_case": case_id(o.case),
            "status": o.row.history[-1][0],
            "offered_on": o.row.history[0][1],
            "cost": o.row.cost,
            "notes": o.row.notes,
            "recorded_by": principal.user_id,
            "external_ref": o.row.external_ref,
        }
        for o in new
    ]
    offer_ids = await writer.add(SupportOffer, rows)
    history = []
    for o, offer_id in zip(new, offer_ids, strict=True):
        before: str | None = None
        for status, day in o.row.history:
            history.append(
                {
                    "offer": offer_id,
                    "from_status": before,
                    "to_status": status,
                    "changed_on": day,
                    "changed_at": _noon(day),
                    "changed_by": principal.user_id,
                }
            )
            before = status
    await writer.add(SupportOfferStatusChange, history)
    for o in plan.offers:
        if o.action == UPDATE:
            await SupportOffer.update(
                {
                    SupportOffer.category: o.row.category,
                    SupportOffer.provider: o.provider_id,
                    SupportOffer.cost: o.row.cost,
                    SupportOffer.notes: o.row.notes,
                    SupportOffer.version: SupportOffer.version + 1,
                }
            ).where(SupportOffer.id == o.existing_id)


def audit_details(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """``{"people_create": 3, "cases_skip": 1, …}``: counts only."""
    return {
        f"{kind}_{action}": int(n)
        for kind, by_action in counts.items()
        for action, n in by_action.items()
    }


async def _write_plan(transaction: Any, principal: Principal, plan: checks.Plan) -> None:
    writer = BulkWriter(transaction)
    people = await _write_people(writer, principal, plan)
    cases = await _write_cases(writer, principal, plan, people)
    await _write_offers(writer, principal, plan, people, cases)


def _empty_counts() -> dict[str, dict[str, int]]:
    return {k: {a: 0 for a in (CREATE, UPDATE, SKIP)} for k in importer.KINDS}


async def _noop(percent: int, message: str) -> None:
    return None


_paused = 0
_was_enabled = True


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one import runs (nested imports
    share the pause). An import of 10,000 cases makes millions of short-lived
    objects, and the collector rescanning them cost a third of the time
    (``make bench``); reference counting still frees them at once, and the
    collector runs as usual as soon as the last import ends."""
    global _paused, _was_enabled
    _paused += 1
    if _paused == 1:
        # Restored as found: a collector someone else switched off stays off.
        _was_enabled = gc.isenabled()
        gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _was_enabled:
            gc.enable()


async def import_records(
    principal: Principal,
    files: Mapping[str, tuple[str, bytes] | None],
    *,
    dry_run: bool,
    progress: Callable[[int, str], Any] | None = None,
) -> ImportResult:
    """Check an upload and, unless *dry_run*, write it: everything in one transaction
    with one audit event (counts only), or nothing at all when any row is bad."""
    _require(principal)
    with _cyclic_gc_paused():
        return await _import_records(principal, files, dry_run=dry_run, progress=progress)


async def _import_records(
    principal: Principal,
    files: Mapping[str, tuple[str, bytes] | None],
    *,
    dry_run: bool,
    progress: Callable[[int, str], Any] | None,
) -> ImportResult:
    report = progress or _noop
    await report(5, "Läser filerna")
    day = today()
    parsed = await anyio.to_thread.run_sync(lambda: importer.parse_upload(files, today=day))
    await report(40, "Kontrollerar raderna")
    rows, encodings = dict(parsed.rows), dict(parsed.encodings)
    if dry_run:
        lookups = await _lookups(principal, parsed)
        plan, problems = checks.check_upload(parsed, lookups)
        counts = plan.counts() if plan else _empty_counts()
        return ImportResult(True, False, problems, counts, rows, encodings)
    async with write_transaction(_engine()) as transaction:
        # Checked and written in the same transaction: what was checked is what is written.
        # On PostgreSQL two imports take turns, so neither misses the other's external
        # references (SQLite's immediate transaction already does this).
        if _engine().engine_type == "postgres":
            await Person.raw("SELECT pg_advisory_xact_lock({})", _PG_IMPORT_LOCK)
        lookups = await _lookups(principal, parsed)
        plan, problems = checks.check_upload(parsed, lookups)
        if plan is None:
            return ImportResult(False, False, problems, _empty_counts(), rows, encodings)
        counts = plan.counts()
        if not any(n for by_action in counts.values() for a, n in by_action.items() if a != SKIP):
            return ImportResult(False, False, [], counts, rows, encodings)
        await report(60, "Sparar")
        await _write_plan(transaction, principal, plan)
        await record(
            AuditAction.records_import,
            actor=principal,
            target_type="import",
            details=audit_details(counts),
        )
    return ImportResult(False, True, [], counts, rows, encodings)


def row_estimate(files: Mapping[str, tuple[str, bytes] | None]) -> int:
    """Roughly how many rows were sent (line breaks; a workbook by its size), to
    choose between inline and background work before reading anything."""
    total = 0
    for sent in files.values():
        if sent is None:
            continue
        data = sent[1]
        total += len(data) // 60 if tabular.is_workbook(data) else data.count(b"\n")
    return total
