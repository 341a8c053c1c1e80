"""Writing a valid import plan: the last step, inside the service's one transaction.

Records are written the way the domain services write the same records by hand:
a new person's identity is encrypted through :mod:`gvi.security.crypto` with the
blind index computed, a case gets its number (``AH-<year>-NNNN``), its status
history rows and its derived police track, an offer its status history.

New rows go through :meth:`gvi.core.bulk.BulkWriter.add_rows` as tuples in
column order (an import of 10,000 cases writes 70,000 rows; a dict per row was
a fifth of the time, ``make bench``). A re-import (the same external reference)
updates the record fully: the main row, the identity when its digest changed,
the dates of the status history and its new steps, and the dated lists
(consents, needs, grants, follow-ups: rows no longer in the file are archived,
never deleted).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache
from itertools import repeat
from typing import Any

from gvi.access.principal import Principal
from gvi.core.bulk import BulkWriter, Written
from gvi.defectors import transitions as case_rules
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatusChange,
    DefectorCase,
    GrantApplication,
)
from gvi.people.services import CODE_ALPHABET, IDENTITY_FIELDS
from gvi.people.tables import Person, PersonIdentity
from gvi.records import checks
from gvi.records.checks import CREATE, UPDATE
from gvi.records.rows import CaseRow
from gvi.security.crypto import Keyring, aad, get_keyring
from gvi.support.tables import SupportOffer, SupportOfferStatusChange

# Serialises case numbering on PostgreSQL, as gvi.defectors.services does ("gvi_case").
_PG_REFERENCE_LOCK = 0x6776695F63617365


def _engine() -> Any:
    return Person._meta.db


@lru_cache(maxsize=4096)
def _noon(day: date) -> datetime:
    # A history row typed by hand has the moment it was typed; an imported one the
    # day it happened (noon UTC: the same calendar day in Sweden all year). Pure and
    # immutable, so remembered: an import repeats a few hundred days many times.
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


# Each byte to the letter of its low five bits (32 letters: unbiased), in C.
_CODE_LETTERS = bytes(ord(CODE_ALPHABET[b & 31]) for b in range(256))


def _random_codes(n: int) -> list[str]:
    """``n`` codes like :func:`gvi.people.services.new_code`'s, from one read of the
    system's random source (32 letters: each byte's low five bits, unbiased)."""
    letters = os.urandom(4 * n).translate(_CODE_LETTERS).decode("ascii")
    return ["P-" + letters[i : i + 4] for i in range(0, 4 * n, 4)]


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


def _police_track(row: CaseRow, memo: dict[tuple[Any, ...], bool]) -> bool:
    """The derived police track, by the rule gvi.defectors.services applies. The rule
    words every failing criterion; its answer depends on seven values, so it is
    asked once per combination (a few dozen at most), not once per case."""
    consents = row.consents
    if len(consents) == 1:
        # The usual case, without building the sets below: one consent, in force
        # (police or not) or withdrawn (one agency excluded).
        (agency, _, withdrawn_on) = consents[0]
        excluded, police = (0, agency == "police") if withdrawn_on is None else (1, False)
    elif consents:
        in_force = {c.agency for c in consents if c.withdrawn_on is None}
        excluded = len({c.agency for c in consents} - in_force)
        police = "police" in in_force
    else:
        excluded, police = 0, False
    closed = row.history[-1][0] == case_rules.CLOSED
    key = (
        row.motivated,
        police,
        row.threat_level,
        row.is_witness,
        row.social_services_eligible,
        excluded,
        closed,
    )
    active = memo.get(key)
    if active is None:
        definition = case_rules.police_definition(
            motivated=row.motivated,
            police_consent_in_force=police,
            threat_level=row.threat_level,
            is_witness=row.is_witness,
            social_services_eligible=row.social_services_eligible,
        )
        active = memo[key] = case_rules.police_track_active(
            definition, excluded_agencies=excluded, closed=closed
        )
    return active


# --- people ----------------------------------------------------------------------------

_PERSON = ("code", "home_municipality", "birth_year", "protection", "notes", "external_ref")
_IDENTITY = (
    "person",
    "key_id",
    "name_enc",
    "pin_enc",
    "address_enc",
    "phone_enc",
    "pin_index",
    "import_digest",
)


def _sealed(
    keyring: Keyring, people: Sequence[tuple[int, tuple[str, str, str, str]]]
) -> list[tuple[Any, ...]]:
    """The identity rows of ``(person id, identity)``, in :data:`_IDENTITY` order.

    Encrypted as by hand (gvi.people.services.create_person): the associated data
    binds table, column and person id; the personnummer gets its blind index. Field
    by field, the non-empty cells of all the people are sealed in one pass, each
    with its own nonce, and the rows are put together from the columns (in C)."""
    if not people:
        return []
    ids, identities = zip(*people, strict=True)
    keys = list(map(str, ids))
    fields = list(zip(*identities, strict=True))  # names, pins, addresses, phones
    sealed: list[Sequence[bytes | None]] = []
    for name, values in zip(IDENTITY_FIELDS, fields, strict=True):
        # aad("person_identity", name, id) for each person, without a call per cell.
        prefix = aad("person_identity", name, "")
        if all(values):
            sealed.append(keyring.encrypt_many(values, list(map(prefix.__add__, keys))))
            continue
        present = [i for i, value in enumerate(values) if value]
        blobs = iter(
            keyring.encrypt_many([values[i] for i in present], [prefix + keys[i] for i in present])
        )
        sealed.append([next(blobs) if value else None for value in values])
    pins = fields[1]
    indexes = iter(keyring.blind_indexes(pin for pin in pins if pin))
    return list(
        zip(
            ids,
            repeat(keyring.active_id),
            *sealed,
            [next(indexes) if pin else None for pin in pins],
            keyring.identity_digests(identities),
            strict=False,  # the key id repeats: the ids bound the rows
        )
    )


async def _write_people(writer: BulkWriter, plan: checks.Plan, codes: list[str]) -> list[int]:
    """Create and update the people; the id of every plan row, in order."""
    ids: list[int] = [p.existing_id or 0 for p in plan.people]
    new = [i for i, p in enumerate(plan.people) if p.action == CREATE]
    generated = iter(codes)
    people = plan.people
    rows = [
        (
            p.code or next(generated),
            p.municipality_id,
            p.birth_year,
            p.protection,
            p.notes,
            p.external_ref,
        )
        for p in map(people.__getitem__, new)
    ]
    person_ids = await writer.add_rows(Person, _PERSON, rows)
    for i, person_id in zip(new, person_ids, strict=True):
        ids[i] = person_id
    keyring = get_keyring()
    fresh = [
        (person_id, identity)
        for i, person_id in zip(new, person_ids, strict=True)
        if (identity := people[i].identity) is not None
    ]
    await writer.add_rows(PersonIdentity, _IDENTITY, _sealed(keyring, fresh))
    for p in people:
        if p.action != UPDATE:
            continue
        await Person.update(
            {
                Person.birth_year: p.birth_year,
                Person.protection: p.protection,
                Person.notes: p.notes,
                Person.external_ref: p.external_ref,
                Person.version: Person.version + 1,
            }
        ).where(Person.id == p.existing_id)
        if p.identity is None:
            continue
        assert p.existing_id is not None
        (row,) = _sealed(keyring, [(p.existing_id, p.identity)])
        if p.has_identity:
            values = dict(zip(_IDENTITY[1:], row[1:], strict=True))
            await PersonIdentity.update(values).where(  # type: ignore[arg-type]
                PersonIdentity.person == p.existing_id
            )
        else:
            await writer.add_rows(PersonIdentity, _IDENTITY, [row])
    return ids


# --- cases -----------------------------------------------------------------------------

_CASE = (
    "reference",
    "person",
    "municipality",
    "unit",
    "caseworker",
    "status",
    "referral_source",
    "environment",
    "is_child",
    "opened_on",
    "closed_on",
    "closure_outcome",
    "social_services_eligible",
    "motivated",
    "is_witness",
    "threat_level",
    "threat_assessed_on",
    "police_track_active",
    "notes",
    "external_ref",
)
_HISTORY = ("case", "from_status", "to_status", "changed_at", "changed_by")
# The dated lists, in checks.case_lists order: table and columns after "case".
_LISTS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (CaseConsent, ("case", "agency", "given_on", "withdrawn_on")),
    (CaseNeed, ("case", "need", "assessed_on", "met_on")),
    (
        GrantApplication,
        ("case", "applied_on", "amount_applied", "decision", "decided_on", "amount_granted"),
    ),
    (
        CaseFollowUp,
        (
            "case",
            "phase",
            "follow_up_on",
            "months_since_start",
            "housing",
            "occupation",
            "criminality",
            "substance_use",
            "safety",
        ),
    ),
)


def _list_rows(case_id: int, row: CaseRow) -> tuple[list[tuple[Any, ...]], ...]:
    """The rows of the case's dated lists, in :data:`_LISTS` order."""
    opened = row.opened_on
    return (
        [(case_id, *c) for c in row.consents],
        [(case_id, *n) for n in row.needs],
        [
            (case_id, g.applied_on, g.amount_applied, g.decision, g.decided_on, g.amount_granted)
            for g in row.grants
        ],
        [
            (
                case_id,
                f.phase,
                f.on,
                case_rules.months_between(opened or f.on, f.on),
                *f.levels,
            )
            for f in row.follow_ups
        ],
    )


def _history_rows(
    case_id: int, steps: Sequence[tuple[str, date]], user_id: int, before: str | None = None
) -> list[tuple[Any, ...]]:
    out = []
    for status, day in steps:
        out.append((case_id, before, status, _noon(day), user_id))
        before = status
    return out


async def _write_cases(
    writer: BulkWriter,
    principal: Principal,
    plan: checks.Plan,
    people: list[int],
    numbers: dict[int, int],
) -> list[int]:
    ids: list[int] = [c.existing_id or 0 for c in plan.cases]
    new = [i for i, c in enumerate(plan.cases) if c.action == CREATE]
    track: dict[tuple[Any, ...], bool] = {}
    rows = []
    for c in map(plan.cases.__getitem__, new):
        row = c.row
        assert row.opened_on is not None
        year = row.opened_on.year
        number = numbers[year]
        numbers[year] = number + 1
        new_person, existing_person = c.person
        rows.append(
            (
                f"AH-{year}-{number:04d}",
                people[new_person] if new_person is not None else int(existing_person or 0),
                c.municipality_id,
                c.unit_id,
                c.facts[0],
                row.history[-1][0],
                row.referral_source,
                row.environment,
                row.is_child,
                row.opened_on,
                row.closed_on,
                row.closure_outcome,
                row.social_services_eligible,
                row.motivated,
                row.is_witness,
                row.threat_level,
                row.threat_assessed_on,
                # Derived, never typed in: the same rule gvi.defectors.services applies.
                _police_track(row, track),
                row.notes,
                row.external_ref,
            )
        )
    case_ids = await writer.add_rows(DefectorCase, _CASE, rows)
    user_id = principal.user_id
    history: list[tuple[Any, ...]] = []
    lists: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
    # The rows _history_rows and _list_rows give, built in this one loop (four
    # calls and four list comprehensions per case were a tenth of the write).
    add_step, add_consent, add_need = history.append, lists[0].append, lists[1].append
    noon, cases = _noon, plan.cases
    for i, case_id in zip(new, case_ids, strict=True):
        ids[i] = case_id
        row = cases[i].row
        before: str | None = None
        for status, day in row.history:
            add_step((case_id, before, status, noon(day), user_id))
            before = status
        for consent in row.consents:
            add_consent((case_id, *consent))
        for need in row.needs:
            add_need((case_id, *need))
        if row.grants or row.follow_ups:
            _, _, grants, follow_ups = _list_rows(case_id, row)
            lists[2].extend(grants)
            lists[3].extend(follow_ups)
    await writer.add_rows(CaseStatusChange, _HISTORY, history)
    for (table, columns), found in zip(_LISTS, lists, strict=True):
        await writer.add_rows(table, columns, found)
    for c in plan.cases:
        if c.action == UPDATE:
            await _update_case(writer, c, user_id, track)
    return ids


async def _update_case(
    writer: BulkWriter,
    c: checks.CasePlan,
    user_id: int,
    track: dict[tuple[Any, ...], bool],
) -> None:
    """A re-import of a case on file: everything the file says, as by hand."""
    existing, row = c.existing, c.row
    assert existing is not None
    assert c.existing_id is not None
    meets = checks.history_meets(row.history, [s for s, _ in existing.history])
    values: dict[Any, Any] = {
        DefectorCase._meta.get_column_by_name(name): value
        for name, value in zip(checks.CASE_FACTS, c.facts, strict=True)
    }
    values[DefectorCase.opened_on] = row.opened_on
    if meets != checks.EARLIER:
        # The case here is where the file says; had it moved on, its own steps stay.
        values[DefectorCase.status] = row.history[-1][0]
        values[DefectorCase.closed_on] = row.closed_on
        values[DefectorCase.closure_outcome] = row.closure_outcome
        values[DefectorCase.police_track_active] = _police_track(row, track)
    values[DefectorCase.version] = DefectorCase.version + 1
    await DefectorCase.update(values).where(DefectorCase.id == c.existing_id)
    for (_, day), (_, was), change_id in zip(
        row.history, existing.history, existing.history_ids, strict=False
    ):
        if day != was:
            await CaseStatusChange.update({CaseStatusChange.changed_at: _noon(day)}).where(
                CaseStatusChange.id == change_id
            )
    if meets == checks.LATER:
        done = len(existing.history)
        await writer.add_rows(
            CaseStatusChange,
            _HISTORY,
            _history_rows(c.existing_id, row.history[done:], user_id, row.history[done - 1][0]),
        )
    now = datetime.now(tz=UTC)
    for (table, columns), on_file, on_record, found in zip(
        _LISTS, checks.case_lists(row), existing.lists, _list_rows(c.existing_id, row), strict=True
    ):
        if on_file == on_record:
            continue
        # Replaced as a whole: what the file no longer holds is archived, not deleted.
        await table.update({table.archived_at: now}).where(
            (table.case == c.existing_id) & table.archived_at.is_null()
        )
        await writer.add_rows(table, columns, found)


# --- offers ----------------------------------------------------------------------------

_OFFER = (
    "person",
    "municipality",
    "category",
    "provider",
    "context",
    "defector_case",
    "status",
    "offered_on",
    "cost",
    "notes",
    "recorded_by",
    "external_ref",
)
_OFFER_HISTORY = ("offer", "from_status", "to_status", "changed_on", "changed_at", "changed_by")


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
    user_id = principal.user_id
    rows = [
        (
            person_id(o.person),
            o.municipality_id,
            o.row.category,
            o.provider_id,
            o.row.context,
            case_id(o.case),
            o.row.history[-1][0],
            o.row.history[0][1],
            o.row.cost,
            o.row.notes,
            user_id,
            o.row.external_ref,
        )
        for o in new
    ]
    offer_ids = await writer.add_rows(SupportOffer, _OFFER, rows)
    history = []
    for o, offer_id in zip(new, offer_ids, strict=True):
        before: str | None = None
        for status, day in o.row.history:
            history.append((offer_id, before, status, day, _noon(day), user_id))
            before = status
    await writer.add_rows(SupportOfferStatusChange, _OFFER_HISTORY, history)
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


def blocks(plan: checks.Plan) -> dict[Any, int]:
    """How many ids each table's new rows take, reserved before the first write."""
    people = [p for p in plan.people if p.action == CREATE]
    cases = [c.row for c in plan.cases if c.action == CREATE]
    offers = [o.row for o in plan.offers if o.action == CREATE]
    return {
        Person: len(people),
        PersonIdentity: sum(1 for p in people if p.identity is not None),
        DefectorCase: len(cases),
        CaseStatusChange: sum(len(r.history) for r in cases),
        CaseConsent: sum(len(r.consents) for r in cases),
        CaseNeed: sum(len(r.needs) for r in cases),
        GrantApplication: sum(len(r.grants) for r in cases),
        CaseFollowUp: sum(len(r.follow_ups) for r in cases),
        SupportOffer: len(offers),
        SupportOfferStatusChange: sum(len(r.history) for r in offers),
    }


async def write_plan(
    transaction: Any,
    principal: Principal,
    plan: checks.Plan,
    written: Written | None = None,
    sizes: dict[Any, int] | None = None,
) -> None:
    """Write *plan* in *transaction*; *written* is told each batch's row count.
    *sizes* is :func:`blocks` of the plan when the caller has it already."""
    writer = BulkWriter(transaction, written)
    new_people = [p for p in plan.people if p.action == CREATE]
    # The queries first (free codes, case numbers, id blocks), then only writes.
    codes = await _free_codes(
        sum(1 for p in new_people if not p.code), {p.code for p in plan.people if p.code}
    )
    numbers = await _next_numbers(
        c.row.opened_on.year
        for c in plan.cases
        if c.action == CREATE and c.row.opened_on is not None
    )
    await writer.reserve_blocks(sizes if sizes is not None else blocks(plan))
    people = await _write_people(writer, plan, codes)
    cases = await _write_cases(writer, principal, plan, people, numbers)
    await _write_offers(writer, principal, plan, people, cases)
