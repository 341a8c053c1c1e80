"""Checking an import against what is on file: the second step of
:mod:`gvi.records.importer`'s three.

Pure like the reader. The service looks up what the rows refer to within the
user's scope (:class:`Lookups`); :func:`check_upload` resolves every reference
and decides, per row, whether it creates a record, updates one found by its
external reference (or code) or skips it unchanged, and returns the
:class:`Plan` only when there is no problem at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from gvi.core import tabular
from gvi.core.tabular import Problem
from gvi.i18n import gettext
from gvi.records.columns import (
    CASES,
    COLUMNS,
    OFFERS,
    PEOPLE,
)
from gvi.records.rows import CaseRow, OfferRow, ParsedUpload

# --- checking what the rows refer to ------------------------------------------------


@dataclass(frozen=True)
class ExistingPerson:
    id: int
    code: str
    municipality_id: int
    external_ref: str | None
    birth_year: int | None
    protection: str
    notes: str
    has_identity: bool = False
    identity_digest: str | None = None  # of the identity an import last wrote


@dataclass(frozen=True)
class ExistingCase:
    id: int
    person_id: int
    unit_id: int
    municipality_id: int
    external_ref: str
    facts: tuple[object, ...]  # the updatable fields, in CASE_FACTS order
    # What a re-import may change besides the facts (issue 15): the dates and the
    # outcome, the status history (oldest first, by local day), and the dated
    # lists as the file writes them (consents, needs, grants, follow-ups).
    dates: tuple[object, ...] = ()  # opened_on, closed_on, closure_outcome
    history: tuple[tuple[str, date], ...] = ()
    history_ids: tuple[int, ...] = ()
    lists: tuple[frozenset[tuple[object, ...]], ...] = ()


@dataclass(frozen=True)
class ExistingOffer:
    id: int
    person_id: int
    municipality_id: int
    external_ref: str
    facts: tuple[object, ...]  # in OFFER_FACTS order


CASE_FACTS = (
    "caseworker",
    "referral_source",
    "environment",
    "is_child",
    "threat_level",
    "threat_assessed_on",
    "motivated",
    "is_witness",
    "social_services_eligible",
    "notes",
)
OFFER_FACTS = ("category", "provider", "cost", "notes")


@dataclass(frozen=True)
class Lookups:
    """What the rows refer to, as the user may see it."""

    municipalities: Mapping[str, int]  # kommunkod → id: where this user may put people
    reach: Mapping[str, int]  # kommunkod → id: whose people may have a case here
    known_municipality_codes: frozenset[str]
    units: Mapping[str, int]  # folded unit name → id: the user's units
    known_units: frozenset[str]  # folded names of every unit
    unit_serves: Mapping[int, frozenset[int]]  # unit id → municipality ids it serves
    members: Mapping[int, Mapping[str, int]]  # unit id → casefolded username → user id
    people_by_code: Mapping[str, ExistingPerson]  # in reach
    taken_codes: frozenset[str]  # codes of the upload that exist anywhere
    people_by_ref: Mapping[tuple[int, str], ExistingPerson]  # (municipality id, ref)
    cases_by_ref: Mapping[tuple[int, str], ExistingCase]  # (unit id, ref), the user's units
    offers_by_ref: Mapping[tuple[int, str], ExistingOffer]  # (municipality id, ref)
    providers: Mapping[str, int]  # folded name → id, active providers
    user_id: int
    can_people: bool
    can_cases: bool
    can_offers: bool
    # The keyed digest of an identity (gvi.security.crypto): compared, never decrypted.
    identity_digest: Callable[[tuple[str, str, str, str]], str] = lambda identity: ""


class PersonRef(NamedTuple):
    new: int | None = None  # index into Plan.people
    existing: int | None = None


class CaseRef(NamedTuple):
    new: int | None = None  # index into Plan.cases
    existing: int | None = None


CREATE, UPDATE, SKIP = "create", "update", "skip"


class PersonPlan(NamedTuple):
    action: str
    existing_id: int | None
    code: str  # empty: generate one
    municipality_id: int
    external_ref: str | None
    birth_year: int | None
    protection: str
    identity: tuple[str, str, str, str] | None  # to write (None: keep what is on file)
    notes: str
    has_identity: bool = False  # on file already (an update replaces it)


class CasePlan(NamedTuple):
    action: str
    existing_id: int | None
    person: PersonRef
    municipality_id: int
    unit_id: int
    row: CaseRow
    facts: tuple[object, ...]
    existing: ExistingCase | None = None


# How a file's status history meets the one on record (re-import).
SAME, LATER, EARLIER = "same", "later", "earlier"


def history_meets(on_file: tuple[tuple[str, date], ...], on_record: Sequence[str]) -> str | None:
    """SAME steps; LATER: the file goes further (its new steps are added); EARLIER:
    the case has moved on here since the file was written (its steps stay); None:
    the two disagree about a step, which an import must not rewrite."""
    steps = [status for status, _ in on_file]
    common = min(len(steps), len(on_record))
    if steps[:common] != list(on_record[:common]):
        return None
    if len(steps) == len(on_record):
        return SAME
    return LATER if len(steps) > len(on_record) else EARLIER


def case_lists(row: CaseRow) -> tuple[frozenset[tuple[object, ...]], ...]:
    """The row's dated lists in the shape :class:`ExistingCase` keeps them."""
    return (
        frozenset(tuple(c) for c in row.consents),
        frozenset(tuple(n) for n in row.needs),
        frozenset(tuple(g) for g in row.grants),
        frozenset((f.phase, f.on, *f.levels) for f in row.follow_ups),
    )


class OfferPlan(NamedTuple):
    action: str
    existing_id: int | None
    person: PersonRef
    municipality_id: int
    case: CaseRef | None
    provider_id: int | None
    row: OfferRow
    facts: tuple[object, ...]


@dataclass(frozen=True)
class Plan:
    people: list[PersonPlan]
    cases: list[CasePlan]
    offers: list[OfferPlan]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for kind, rows in ((PEOPLE, self.people), (CASES, self.cases), (OFFERS, self.offers)):
            found = Counter(r.action for r in rows)
            out[kind] = {a: found[a] for a in (CREATE, UPDATE, SKIP)}
        return out


def _not_in_scope() -> str:
    return gettext(
        "Kommunen ingår inte i de kommuner du arbetar med. Be en administratör om behörighet, "
        "eller ta bort raden."
    )


def _no_such_municipality() -> str:
    return gettext("Det finns ingen kommun med den koden. Kontrollera SCB:s kommunkod.")


_NONE: frozenset[int] = frozenset()
_NO_MEMBERS: Mapping[str, int] = {}


def check_upload(parsed: ParsedUpload, lookups: Lookups) -> tuple[Plan | None, list[Problem]]:
    """Every problem in the upload; a plan only when there are none."""
    problems = list(parsed.problems)

    def add(kind: str, line: int, column: str, message: str) -> None:
        problems.append(Problem(parsed.files.get(kind, kind), line, column, message))

    for kind, allowed in (
        (PEOPLE, lookups.can_people),
        (CASES, lookups.can_cases),
        (OFFERS, lookups.can_offers),
    ):
        if parsed.rows.get(kind) and not allowed:
            add(kind, 0, "", gettext("Din roll får inte importera det här slaget av uppgifter."))

    # People: by external reference (per municipality) or code; new ones once each.
    people: list[PersonPlan] = []
    new_by_ref: dict[tuple[int, str], int] = {}
    new_by_code: dict[str, int] = {}
    seen_ref: dict[tuple[str, str], int] = {}
    seen_code: dict[str, int] = {}
    municipality_of, person_by_ref = lookups.municipalities.get, lookups.people_by_ref.get
    for p in parsed.people:
        if p.code:
            if p.code in seen_code:
                add(
                    PEOPLE,
                    p.line,
                    "code",
                    gettext("Koden står redan på rad %(n)s.") % {"n": seen_code[p.code]},
                )
                continue
            seen_code[p.code] = p.line
        if p.external_ref and p.municipality_code:
            key = (p.municipality_code, p.external_ref)
            if key in seen_ref:
                add(
                    PEOPLE,
                    p.line,
                    "external_ref",
                    gettext("Samma externa referens och kommun står redan på rad %(n)s.")
                    % {"n": seen_ref[key]},
                )
                continue
            seen_ref[key] = p.line
        if not p.valid:
            continue
        municipality_id = municipality_of(p.municipality_code)
        if municipality_id is None:
            known = p.municipality_code in lookups.known_municipality_codes
            add(
                PEOPLE,
                p.line,
                "municipality_code",
                _not_in_scope() if known else _no_such_municipality(),
            )
            continue
        existing = person_by_ref((municipality_id, p.external_ref)) if p.external_ref else None
        by_code = lookups.people_by_code.get(p.code) if p.code else None
        if existing is None and by_code is not None:
            if by_code.municipality_id != municipality_id:
                add(
                    PEOPLE,
                    p.line,
                    "municipality_code",
                    gettext(
                        "Personen med den koden hör till en annan kommun. Rätta kommunkoden eller "
                        "koden."
                    ),
                )
                continue
            if p.external_ref and by_code.external_ref not in (None, p.external_ref):
                add(
                    PEOPLE,
                    p.line,
                    "external_ref",
                    gettext(
                        "Personen med den koden har en annan extern referens. Rätta referensen "
                        "eller koden."
                    ),
                )
                continue
            existing = by_code
        if existing is not None and p.code and existing.code != p.code:
            add(
                PEOPLE,
                p.line,
                "code",
                gettext(
                    "Personen med den externa referensen har en annan kod. Rätta koden eller "
                    "lämna den tom."
                ),
            )
            continue
        if existing is None and p.code and p.code in lookups.taken_codes:
            add(
                PEOPLE,
                p.line,
                "code",
                gettext(
                    "Koden är upptagen av en person du inte arbetar med. Lämna koden tom så "
                    "skapas en ny."
                ),
            )
            continue
        if existing is not None:
            same = (existing.birth_year, existing.protection, existing.notes) == (
                p.birth_year,
                p.protection,
                p.notes,
            )
            # A re-import writes the identity again only when it changed (or was
            # never written by an import): the digests are compared, nothing decrypted.
            identity = (
                p.identity
                if p.identity is not None
                and lookups.identity_digest(p.identity) != existing.identity_digest
                else None
            )
            ref = existing.external_ref or p.external_ref or None
            people.append(
                PersonPlan(
                    SKIP if same and identity is None and ref == existing.external_ref else UPDATE,
                    existing.id,
                    existing.code,
                    municipality_id,
                    ref,
                    p.birth_year,
                    p.protection,
                    identity,
                    p.notes,
                    existing.has_identity,
                )
            )
            continue
        index = len(people)
        if p.external_ref:
            new_by_ref[(municipality_id, p.external_ref)] = index
        if p.code:
            new_by_code[p.code] = index
        people.append(
            PersonPlan(
                CREATE,
                None,
                p.code,
                municipality_id,
                p.external_ref or None,
                p.birth_year,
                p.protection,
                p.identity,
                p.notes,
            )
        )

    # By reference alone (a case or offer row names no municipality): every candidate.
    new_refs: dict[str, list[tuple[int, int]]] = {}
    for (mid, r), i in new_by_ref.items():
        new_refs.setdefault(r, []).append((mid, i))
    old_refs: dict[str, list[ExistingPerson]] = {}
    for (mid, r), xp in lookups.people_by_ref.items():
        if (mid, r) not in new_by_ref:
            old_refs.setdefault(r, []).append(xp)

    def person_for(
        kind: str, line: int, code: str, ref: str, municipality: str
    ) -> tuple[PersonRef, int] | None:
        """The person a case or offer row names, and their home municipality id."""
        if code:
            if code in new_by_code:
                i = new_by_code[code]
                return PersonRef(new=i), people[i].municipality_id
            found = lookups.people_by_code.get(code)
            if found is None:
                add(
                    kind,
                    line,
                    "person_code",
                    gettext(
                        "Ingen person med den koden finns i dina kommuner eller i filen med "
                        "personer. Kontrollera koden."
                    ),
                )
                return None
            return PersonRef(existing=found.id), found.municipality_id
        news, olds = new_refs.get(ref), old_refs.get(ref)
        if news is not None and len(news) == 1 and not olds and not municipality:
            # The usual row: its person is one new person of the upload.
            mid, i = news[0]
            return PersonRef(i, None), mid
        candidates: list[tuple[PersonRef, int]] = [(PersonRef(new=i), mid) for mid, i in news or []]
        candidates += [(PersonRef(existing=x.id), x.municipality_id) for x in olds or []]
        if municipality:
            mid_wanted = lookups.reach.get(municipality)
            candidates = [c for c in candidates if c[1] == mid_wanted]
        if len(candidates) == 1:
            return candidates[0]
        add(
            kind,
            line,
            "person_ref",
            gettext(
                "Ingen person med den externa referensen finns i dina kommuner eller i filen med "
                "personer."
            )
            if not candidates
            else gettext(
                "Flera personer har den externa referensen. Ange kommunkoden eller personens kod."
            ),
        )
        return None

    # Cases: a unit of the user's that serves the municipality; a caseworker of that unit.
    reach_ids = frozenset(lookups.reach.values())
    # Looked up once per row of 10,000: bound once.
    unit_of, serves_of, members_of = lookups.units.get, lookups.unit_serves.get, lookups.members.get
    case_on_file = lookups.cases_by_ref.get
    cases: list[CasePlan] = []
    unit_keys: dict[str, str] = {}
    new_cases: dict[tuple[int, str], int] = {}
    seen_cases: dict[tuple[str, str], int] = {}
    for c in parsed.cases:
        unit_key = unit_keys.get(c.unit) or unit_keys.setdefault(c.unit, tabular.fold(c.unit))
        key = (unit_key, c.external_ref)
        if c.external_ref and c.unit:
            if key in seen_cases:
                add(
                    CASES,
                    c.line,
                    "external_ref",
                    gettext("Samma externa referens och enhet står redan på rad %(n)s.")
                    % {"n": seen_cases[key]},
                )
                continue
            seen_cases[key] = c.line
        if not c.valid:
            continue
        unit_id = unit_of(unit_key)
        if unit_id is None:
            add(
                CASES,
                c.line,
                "unit",
                gettext(
                    "Du arbetar inte i den enheten. Du kan bara importera ärenden till dina egna "
                    "enheter."
                )
                if unit_key in lookups.known_units
                else gettext(
                    "Det finns ingen enhet med det namnet. Skriv namnet som det står i systemet."
                ),
            )
            continue
        if c.municipality_code and c.municipality_code not in lookups.reach:
            known = c.municipality_code in lookups.known_municipality_codes
            add(
                CASES,
                c.line,
                "municipality_code",
                _not_in_scope() if known else _no_such_municipality(),
            )
            continue
        found = person_for(CASES, c.line, c.person_code, c.person_ref, c.municipality_code)
        if found is None:
            continue
        person, home = found
        municipality_id = lookups.reach[c.municipality_code] if c.municipality_code else home
        if municipality_id not in serves_of(unit_id, _NONE):
            add(
                CASES,
                c.line,
                "unit",
                gettext(
                    "Enheten arbetar inte för den kommunen. Välj en gemensam enhet som gör det."
                ),
            )
            continue
        if municipality_id not in reach_ids:
            add(CASES, c.line, "municipality_code", _not_in_scope())
            continue
        members = members_of(unit_id, _NO_MEMBERS)
        if c.caseworker:
            caseworker = members.get(c.caseworker.casefold())
            if caseworker is None:
                add(
                    CASES,
                    c.line,
                    "caseworker",
                    gettext(
                        "Handläggaren måste arbeta i den ansvariga enheten. Skriv användarnamnet."
                    ),
                )
                continue
        else:
            caseworker = lookups.user_id if lookups.user_id in members.values() else None
        facts = (
            caseworker,
            c.referral_source,
            c.environment,
            c.is_child,
            c.threat_level,
            c.threat_assessed_on,
            c.motivated,
            c.is_witness,
            c.social_services_eligible,
            c.notes,
        )
        existing_case = case_on_file((unit_id, c.external_ref))
        if existing_case is not None:
            if (person.existing or -1) != existing_case.person_id:
                add(
                    CASES,
                    c.line,
                    "person_code",
                    gettext(
                        "Ärendet med den externa referensen gäller en annan person. Rätta "
                        "referensen eller personen."
                    ),
                )
                continue
            meets = history_meets(c.history, [s for s, _ in existing_case.history])
            if meets is None:
                add(
                    CASES,
                    c.line,
                    "status_history",
                    gettext(
                        "Statushistoriken i filen stämmer inte med ärendets historik i systemet. "
                        "En ny import kan ändra datumen och lägga till nya steg, men inte byta "
                        "eller ta bort steg: rätta filen, eller ändra statusen på ärendets sida."
                    ),
                )
                continue
            dates = (c.opened_on, c.closed_on, c.closure_outcome)
            same = (
                facts == existing_case.facts
                and case_lists(c) == existing_case.lists
                and meets != LATER
                and all(
                    day == old
                    for (_, day), (_, old) in zip(c.history, existing_case.history, strict=False)
                )
                # The dates the case has moved past here are its own.
                and (
                    dates == existing_case.dates
                    if meets == SAME
                    else dates[0] == existing_case.dates[0]
                )
            )
            cases.append(
                CasePlan(
                    SKIP if same else UPDATE,
                    existing_case.id,
                    person,
                    municipality_id,
                    unit_id,
                    c,
                    facts,
                    existing_case,
                )
            )
            continue
        new_cases[(unit_id, c.external_ref)] = len(cases)
        cases.append(CasePlan(CREATE, None, person, municipality_id, unit_id, c, facts))

    # Offers: the person (or the case's person); a case of the user's units.
    new_case_refs: dict[str, list[int]] = {}
    seen_case_plans: set[tuple[int, str]] = set()
    for i, plan in enumerate(cases):
        # A case of this upload, new or already on file, is found by its reference.
        new_case_refs.setdefault(plan.row.external_ref, []).append(i)
        seen_case_plans.add((plan.unit_id, plan.row.external_ref))
    old_case_refs: dict[str, list[ExistingCase]] = {}
    for xc in lookups.cases_by_ref.values():
        old_case_refs.setdefault(xc.external_ref, []).append(xc)
    old_offer_refs: dict[str, list[ExistingOffer]] = {}
    for y in lookups.offers_by_ref.values():
        old_offer_refs.setdefault(y.external_ref, []).append(y)
    offers: list[OfferPlan] = []
    own_ids = frozenset(lookups.municipalities.values())
    seen_offers: dict[str, int] = {}
    for o in parsed.offers:
        if o.external_ref:
            if o.external_ref in seen_offers:
                add(
                    OFFERS,
                    o.line,
                    "external_ref",
                    gettext("Samma externa referens står redan på rad %(n)s.")
                    % {"n": seen_offers[o.external_ref]},
                )
                continue
            seen_offers[o.external_ref] = o.line
        if not o.valid:
            continue
        case: CaseRef | None = None
        case_person: tuple[PersonRef, int] | None = None
        if o.case_ref:
            news = new_case_refs.get(o.case_ref, [])
            olds = [
                x
                for x in old_case_refs.get(o.case_ref, [])
                if (x.unit_id, x.external_ref) not in seen_case_plans
            ]
            if len(news) + len(olds) != 1:
                add(
                    OFFERS,
                    o.line,
                    "case_ref",
                    gettext(
                        "Inget ärende i dina enheter eller i filen med ärenden har den externa "
                        "referensen."
                    )
                    if not news and not olds
                    else gettext(
                        "Flera ärenden har den externa referensen. Rätta referensen så att den "
                        "pekar ut ett ärende."
                    ),
                )
                continue
            if news:
                plan = cases[news[0]]
                case, case_person = CaseRef(new=news[0]), (plan.person, plan.municipality_id)
            else:
                old = olds[0]
                case, case_person = (
                    CaseRef(existing=old.id),
                    (PersonRef(existing=old.person_id), old.municipality_id),
                )
        if o.person_code or o.person_ref:
            found = person_for(OFFERS, o.line, o.person_code, o.person_ref, "")
            if found is None:
                continue
            if case_person is not None and found[0] != case_person[0]:
                add(
                    OFFERS,
                    o.line,
                    "person_code",
                    gettext(
                        "Personen är inte personen i ärendet. Rätta personen eller ärendets "
                        "referens."
                    ),
                )
                continue
        else:
            assert case_person is not None
            found = case_person
        person, home = found
        if case is None and home not in own_ids:
            add(
                OFFERS,
                o.line,
                "person_code",
                gettext("Personen hör till en kommun du inte arbetar med."),
            )
            continue
        provider_id = None
        if o.provider:
            provider_id = lookups.providers.get(tabular.fold(o.provider))
            if provider_id is None:
                add(
                    OFFERS,
                    o.line,
                    "provider",
                    gettext(
                        "Det finns ingen aktiv utförare med det namnet. Lägg upp utföraren först "
                        "eller lämna fältet tomt."
                    ),
                )
                continue
        offer_facts: tuple[object, ...] = (o.category, provider_id, o.cost, o.notes)
        existing_offer = next(
            (
                y
                for y in old_offer_refs.get(o.external_ref, [])
                if person.existing is None or y.person_id == person.existing
            ),
            None,
        )
        if existing_offer is not None:
            offers.append(
                OfferPlan(
                    SKIP if offer_facts == existing_offer.facts else UPDATE,
                    existing_offer.id,
                    person,
                    existing_offer.municipality_id,
                    case,
                    provider_id,
                    o,
                    offer_facts,
                )
            )
            continue
        offers.append(OfferPlan(CREATE, None, person, home, case, provider_id, o, offer_facts))

    problems = sort_problems(problems, parsed)
    if problems:
        return None, problems
    return Plan(people, cases, offers), []


def sort_problems(problems: list[Problem], parsed: ParsedUpload | None = None) -> list[Problem]:
    """In reading order: upload-level first, then file by file, line by line, column
    by column as the template lists them."""
    order = {name: i for i, name in enumerate(parsed.files.values())} if parsed else {}
    kinds = {name: kind for kind, name in parsed.files.items()} if parsed else {}

    def key(p: Problem) -> tuple[int, int, int, str, str]:
        columns = list(COLUMNS.get(kinds.get(p.file, ""), {}))
        column = columns.index(p.field) if p.field in columns else len(columns)
        return (order.get(p.file, -1), p.line, column, p.field, p.message)

    return sorted(set(problems), key=key)
