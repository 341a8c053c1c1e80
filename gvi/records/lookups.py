"""What an import's rows refer to, looked up within the user's scope: the second
step of :mod:`gvi.records.importer`'s three, feeding :func:`gvi.records.checks.check_upload`.

Every query is scoped in SQL (the user's units, the municipalities they reach);
references travel as one parameter, so ten thousand of them are one query.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from piccolo.columns.combination import WhereRaw

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserUnit
from gvi.core import tabular
from gvi.core.clock import local_day
from gvi.db import one_of
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseNeed,
    CaseStatusChange,
    DefectorCase,
    GrantApplication,
)
from gvi.municipalities.tables import Municipality, Unit, UnitMunicipality
from gvi.people.tables import Person, PersonIdentity
from gvi.records import checks, importer
from gvi.security.crypto import get_keyring
from gvi.support.tables import Provider, SupportOffer


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


async def _with_identities(
    people: Iterable[checks.ExistingPerson],
) -> dict[int, checks.ExistingPerson]:
    """The people by id, each knowing whether an identity is on file and the digest
    of the one an import last wrote (the ciphertexts are not read)."""
    by_id = {p.id: p for p in people}
    if not by_id:
        return by_id
    for r in await PersonIdentity.select(PersonIdentity.person, PersonIdentity.import_digest).where(
        one_of(PersonIdentity.person, by_id)
    ):
        by_id[r["person"]] = dataclasses.replace(
            by_id[r["person"]], has_identity=True, identity_digest=r["import_digest"]
        )
    return by_id


_GRANT_COLUMNS = ("applied_on", "amount_applied", "decision", "decided_on", "amount_granted")
_FOLLOW_UP_COLUMNS = (
    "phase",
    "follow_up_on",
    "housing",
    "occupation",
    "criminality",
    "substance_use",
    "safety",
)


def _money(value: Any) -> Any:
    return None if value is None else importer.parse_amount(str(value))


async def _case_records(
    cases: dict[tuple[int, str], checks.ExistingCase], rows: Mapping[int, Mapping[str, Any]]
) -> None:
    """Each found case with its history and dated lists, for a re-import to compare."""
    ids = [c.id for c in cases.values()]
    if not ids:
        return
    history: dict[int, list[tuple[str, date]]] = {i: [] for i in ids}
    history_ids: dict[int, list[int]] = {i: [] for i in ids}
    for r in (
        await CaseStatusChange.select(
            CaseStatusChange.id,
            CaseStatusChange.case,
            CaseStatusChange.to_status,
            CaseStatusChange.changed_at,
        )
        .where(one_of(CaseStatusChange.case, ids))
        .order_by(CaseStatusChange.changed_at, CaseStatusChange.id)
    ):
        history[r["case"]].append((r["to_status"], local_day(r["changed_at"])))
        history_ids[r["case"]].append(r["id"])
    lists: dict[int, tuple[set[tuple[object, ...]], ...]] = {
        i: (set(), set(), set(), set()) for i in ids
    }

    def grant(r: Mapping[str, Any]) -> tuple[object, ...]:
        return (
            r["applied_on"],
            _money(r["amount_applied"]),
            r["decision"],
            r["decided_on"],
            _money(r["amount_granted"]),
        )

    specs: list[
        tuple[Any, tuple[str, ...], Callable[[Mapping[str, Any]], tuple[object, ...]] | None]
    ] = [
        (CaseConsent, ("agency", "given_on", "withdrawn_on"), None),
        (CaseNeed, ("need", "assessed_on", "met_on"), None),
        (GrantApplication, _GRANT_COLUMNS, grant),
        (CaseFollowUp, _FOLLOW_UP_COLUMNS, None),
    ]
    for slot, (table, names, shape) in enumerate(specs):
        found = await table.select(
            table.case, *(table._meta.get_column_by_name(n) for n in names)
        ).where(one_of(table.case, ids) & table.archived_at.is_null())
        for r in found:
            lists[r["case"]][slot].add(shape(r) if shape else tuple(r[n] for n in names))
    for key, case in cases.items():
        row = rows[case.id]
        cases[key] = dataclasses.replace(
            case,
            dates=(row["opened_on"], row["closed_on"], row["closure_outcome"]),
            history=tuple(history[case.id]),
            history_ids=tuple(history_ids[case.id]),
            lists=tuple(frozenset(found) for found in lists[case.id]),
        )


async def lookups(principal: Principal, parsed: importer.ParsedUpload) -> checks.Lookups:
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
        DefectorCase.opened_on,
        DefectorCase.closed_on,
        DefectorCase.closure_outcome,
        *(DefectorCase._meta.get_column_by_name(n) for n in checks.CASE_FACTS),
    )
    case_rows: dict[int, Mapping[str, Any]] = {}
    for chunk in _batch(parsed.case_refs):
        for r in await DefectorCase.select(*case_columns).where(
            DefectorCase.unit.is_in(list(principal.unit_ids) or [-1])
            & DefectorCase.archived_at.is_null()
            & _text_one_of(DefectorCase.external_ref, chunk)
        ):
            case_rows[r["id"]] = r
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
    await _case_records(cases, case_rows)
    people = await _with_identities([*by_code.values(), *by_ref.values()])
    by_code = {k: people[p.id] for k, p in by_code.items()}
    by_ref = {k: people[p.id] for k, p in by_ref.items()}
    keyring = get_keyring()
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
        identity_digest=keyring.identity_digest,
    )
