"""People: pseudonymous records, encrypted identities, break-the-glass.

Scoping is in every query (the user's municipalities, and the people of the
cases a caseworker's units hold), reads of person data
write their audit row in the same transaction, and a person under protected
personal data needs an active break-the-glass grant before identity is shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.access.tables import Alert, BreakGlass
from gvi.audit.events import AuditAction
from gvi.audit.services import counted_append_args, counted_append_sql, record
from gvi.core import clock
from gvi.core.failures import NotVisible, Refused
from gvi.core.sorting import Sort, Sorts
from gvi.db import ids_clause, ids_param, one_of, pg_fetch, write_transaction
from gvi.i18n import gettext
from gvi.municipalities.tables import Municipality
from gvi.people.tables import Person, PersonIdentity, Protection
from gvi.security.crypto import aad, get_keyring

BREAK_GLASS_MINUTES = 30
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone
IDENTITY_FIELDS = ("name", "pin", "address", "phone")


class PersonError(Refused):
    """A problem a person can act on (400); safe to show."""


@dataclass(frozen=True)
class PersonSummary:
    id: int
    code: str
    municipality: str
    birth_year: int | None
    protected: bool


@dataclass(frozen=True)
class Identity:
    name: str | None
    pin: str | None
    address: str | None
    phone: str | None


def _scope(principal: Principal) -> Any:
    """People of the user's municipalities, and for social services also the person
    of each case they may see (a case transferred to a unit serving other
    municipalities keeps its person's home municipality)."""
    where: Any = one_of(Person.home_municipality, principal.municipality_ids)
    if principal.can(Permission.cases_read):
        # Imported here: the defector services import people's tables, never this module.
        from gvi.defectors.services.common import visible_case_persons

        where = where | Person.id.is_in(visible_case_persons(principal))
    return where & Person.archived_at.is_null()


def new_code() -> str:
    return "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))


def _summary(row: dict[str, Any], principal: Principal) -> PersonSummary:
    protected = row["protection"] != Protection.none
    return PersonSummary(
        id=row["id"],
        code=row["code"],
        municipality=row["home_municipality.name"],
        # A protected person's birth year narrows who they are; hide it.
        birth_year=None if protected else row["birth_year"],
        protected=protected,
    )


PEOPLE_SORTS = Sorts(
    "code",
    code=("p.code",),
    municipality=("m.name", "p.code"),
    # A protected person's birth year is hidden on the page; sorting by it would
    # tell it by the row's place, so it sorts as unknown.
    birth_year=("CASE WHEN p.protection = 'none' THEN p.birth_year END", "p.code"),
)
"""The orders of the people list (``?sort=``): SQL terms of our own, never input."""


def _all_sorts() -> list[Sort]:
    return [Sort(key, down) for key in PEOPLE_SORTS.keys for down in (False, True)]


def _order(sort: str) -> str:
    chosen = PEOPLE_SORTS.parse(sort)
    suffix = " DESC" if chosen.descending else ""
    return ", ".join(term + suffix for term in PEOPLE_SORTS.keys[chosen.key])


def _list_sql(engine_type: str, *, prefix: bool, sort: str = "code") -> tuple[str, str]:
    """The list's two queries (rows, total), scoped by the user's municipalities as
    one parameter (as :func:`gvi.db.one_of`). Written out: the people list is the
    busiest read there is, and building it through the query builder cost as much
    as running it (``make bench``)."""
    where = ids_clause(engine_type, "p.home_municipality") + " AND p.archived_at IS NULL"
    if prefix:
        where += " AND p.code LIKE {} ESCAPE '\\'"
    # Fixed text only: every value is a parameter.
    rows = (
        'SELECT p.id, p.code, p.birth_year, p.protection, m.name AS "home_municipality.name" '  # noqa: S608
        "FROM person p LEFT JOIN municipality m ON m.id = p.home_municipality "
        f"WHERE {where} ORDER BY {_order(sort)} LIMIT {{}} OFFSET {{}}"
    )
    return rows, f"SELECT COUNT(*) AS n FROM person p WHERE {where}"  # noqa: S608


_LIST_SQL = {
    (engine, prefix, sort.param): _list_sql(engine, prefix=prefix, sort=sort.param)
    for engine in ("postgres", "sqlite")
    for prefix in (False, True)
    for sort in _all_sorts()
}


def _pg_list_sql(*, prefix: bool, sort: str = "code") -> str:
    """PostgreSQL: the page, its total and its audit event in one statement (one
    round trip, one transaction: the read and its audit row commit together or
    not at all). Parameters: the scope, the code prefix when searching, limit,
    offset, then :func:`gvi.audit.services.counted_append_args`. Rows come back
    in code order with the total on each; a page past the end comes back as one
    row whose person columns are NULL."""
    where = "p.home_municipality = ANY($1) AND p.archived_at IS NULL"
    if prefix:
        where += " AND p.code LIKE $2 ESCAPE '\\'"
    n = 3 if prefix else 2
    # The audit call takes the chain lock: it is given the counts (computed
    # together in one row, the page first), so the lock comes after the reads and
    # is held only to the commit.
    audit = counted_append_sql(n + 2, "counts.shown")
    # The page's own order again outside (the join keeps no order); by code it is
    # the plain column, else the page numbers its rows.
    order = _order(sort)
    if PEOPLE_SORTS.parse(sort) == PEOPLE_SORTS.default:
        position, outer = "", "page.code"
    else:
        position, outer = f", row_number() OVER (ORDER BY {order}) AS position", "page.position"
    return f"""
WITH page AS MATERIALIZED (
    SELECT p.id, p.code, p.birth_year, p.protection, m.name AS "home_municipality.name"{position}
    FROM person p LEFT JOIN municipality m ON m.id = p.home_municipality
    WHERE {where} ORDER BY {order} LIMIT ${n} OFFSET ${n + 1}
), counts AS MATERIALIZED (
    SELECT (SELECT COUNT(*) FROM page) AS shown,
           (SELECT COUNT(*) FROM person p WHERE {where}) AS total
), audited AS MATERIALIZED (
    SELECT a.new_seq FROM counts CROSS JOIN LATERAL {audit} AS a
)
SELECT counts.total, page.*
FROM counts CROSS JOIN audited LEFT JOIN page ON true
ORDER BY {outer}"""  # noqa: S608 (fixed text only: every value is a parameter)


_PG_LIST_SQL = {
    (prefix, sort.param): _pg_list_sql(prefix=prefix, sort=sort.param)
    for prefix in (False, True)
    for sort in _all_sorts()
}


async def list_people(
    principal: Principal,
    *,
    code_prefix: str = "",
    sort: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PersonSummary], int]:
    """People of the user's municipalities, by code unless *sort* says otherwise."""
    require(principal, Permission.people_read)
    engine = Person._meta.db
    scope: list[Any] = [ids_param(engine.engine_type, principal.municipality_ids)]
    # Codes are upper case; a typed % or _ is a character, not a wildcard.
    prefix = code_prefix.strip().upper()
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        scope.append(escaped + "%")
    if isinstance(engine, PostgresEngine):
        audit = counted_append_args(
            AuditAction.person_list,
            actor=principal,
            target_type="person",
            details={"offset": offset},
            count_key="count",
        )
        sql = _PG_LIST_SQL[(bool(prefix), PEOPLE_SORTS.parse(sort).param)]
        found = await pg_fetch(engine, sql, *scope, limit, offset, *audit)
        rows = [r for r in found if r["id"] is not None]
        return [_summary(r, principal) for r in rows], int(found[0]["total"])
    rows_sql, total_sql = _LIST_SQL[
        (engine.engine_type, bool(prefix), PEOPLE_SORTS.parse(sort).param)
    ]
    async with write_transaction(engine):
        rows = await Person.raw(rows_sql, *scope, limit, offset)
        total = int((await Person.raw(total_sql, *scope))[0]["n"])
        await record(
            AuditAction.person_list,
            actor=principal,
            target_type="person",
            details={"count": len(rows), "offset": offset},
        )
    return [_summary(r, principal) for r in rows], total


async def get_person(principal: Principal, person_id: int) -> PersonSummary:
    require(principal, Permission.people_read)
    async with write_transaction(Person._meta.db):
        row = (
            await Person.select(
                Person.id,
                Person.code,
                Person.birth_year,
                Person.protection,
                Person.home_municipality.name,
            )
            .where(_scope(principal) & (Person.id == person_id))
            .first()
        )
        if row is None:
            raise NotVisible()
        await record(
            AuditAction.person_read,
            actor=principal,
            target_type="person",
            target_id=person_id,
            person_id=person_id,
        )
    return _summary(row, principal)


async def _active_break_glass(principal: Principal, person_id: int) -> bool:
    return bool(
        await BreakGlass.exists().where(
            (BreakGlass.user == principal.user_id)
            & (BreakGlass.person == person_id)
            & (BreakGlass.expires_at > clock.now())
        )
    )


async def read_identity(principal: Principal, person_id: int) -> Identity:
    """Decrypt a person's identity. Audited in the same transaction: if the audit
    row cannot be written, nothing is returned."""
    require(principal, Permission.identity_read)
    async with write_transaction(Person._meta.db):
        person = (
            await Person.select(Person.id, Person.protection)
            .where(_scope(principal) & (Person.id == person_id))
            .first()
        )
        if person is None:
            raise NotVisible()
        protected = person["protection"] != Protection.none
        if protected and not await _active_break_glass(principal, person_id):
            raise BreakGlassRequired()
        row = await PersonIdentity.objects().where(PersonIdentity.person == person_id).first()
        await record(
            AuditAction.break_glass_read if protected else AuditAction.person_identity_read,
            actor=principal,
            target_type="person",
            target_id=person_id,
            person_id=person_id,
        )
    if row is None:
        return Identity(None, None, None, None)
    keyring = get_keyring()

    def dec(field: str) -> str | None:
        blob = getattr(row, f"{field}_enc")
        return keyring.decrypt(blob, aad("person_identity", field, person_id)) if blob else None

    return Identity(*(dec(f) for f in IDENTITY_FIELDS))


class BreakGlassRequired(Exception):
    """The person is under protected personal data: a reasoned, time-boxed grant is needed."""


async def break_glass(principal: Principal, person_id: int, reason: str) -> datetime:
    """Grant this user time-boxed access to a protected person's identity; admins are alerted."""
    require(principal, Permission.identity_read)
    reason = reason.strip()
    if len(reason) < 15:
        raise PersonError(
            gettext("Skriv ett skäl på minst 15 tecken: varför behöver du uppgifterna nu?")
        )
    now = clock.now()
    expires = now + timedelta(minutes=BREAK_GLASS_MINUTES)
    async with write_transaction(Person._meta.db):
        exists = await Person.exists().where(_scope(principal) & (Person.id == person_id))
        if not exists:
            raise NotVisible()
        grant = BreakGlass(
            user=principal.user_id,
            person=person_id,
            reason=reason,
            granted_at=now,
            expires_at=expires,
        )
        await grant.save()
        await Alert(
            kind=Alert.Kind.break_glass,
            raised_at=now,
            subject_user=principal.user_id,
            details={"person_id": person_id, "grant_id": grant.id, "minutes": BREAK_GLASS_MINUTES},
        ).save()
        await record(
            AuditAction.break_glass_grant,
            actor=principal,
            target_type="person",
            target_id=person_id,
            person_id=person_id,
            details={"grant_id": grant.id, "minutes": BREAK_GLASS_MINUTES},
        )
    return expires


async def find_by_pin(principal: Principal, pin: str) -> PersonSummary | None:
    """Exact lookup by personnummer through the blind index; the number is never stored plain."""
    require(principal, Permission.identity_read)
    index = get_keyring().blind_index(pin)
    async with write_transaction(Person._meta.db):
        row = (
            await Person.select(
                Person.id,
                Person.code,
                Person.birth_year,
                Person.protection,
                Person.home_municipality.name,
            )
            .where(
                _scope(principal)
                & Person.id.is_in(
                    PersonIdentity.select(PersonIdentity.person).where(
                        PersonIdentity.pin_index == index
                    )
                )
            )
            .first()
        )
        await record(
            AuditAction.person_identity_search,
            actor=principal,
            target_type="person",
            target_id=row["id"] if row else "",
            person_id=row["id"] if row else None,
            details={"found": row is not None},
        )
    return _summary(row, principal) if row else None


async def create_person(
    principal: Principal,
    *,
    municipality_id: int,
    birth_year: int | None = None,
    protection: Protection = Protection.none,
    identity: Identity | None = None,
    code: str | None = None,
) -> Person:
    require(principal, Permission.people_write)
    if municipality_id not in principal.municipality_ids:
        raise NotVisible()
    keyring = get_keyring()
    async with write_transaction(Person._meta.db):
        if not await Municipality.exists().where(Municipality.id == municipality_id):
            raise NotVisible()
        for _ in range(20):
            candidate = code or new_code()
            if not await Person.exists().where(Person.code == candidate):
                break
            if code:
                raise PersonError(gettext("Koden finns redan."))
        else:
            raise PersonError(gettext("Kunde inte skapa en ledig kod; försök igen."))
        person = Person(
            code=candidate,
            home_municipality=municipality_id,
            birth_year=birth_year,
            protection=protection.value,
        )
        await person.save()
        if identity is not None:
            values: dict[str, Any] = {"person": person.id, "key_id": keyring.active_id}
            for field in IDENTITY_FIELDS:
                plain = getattr(identity, field)
                values[f"{field}_enc"] = (
                    keyring.encrypt(plain, aad("person_identity", field, person.id))
                    if plain
                    else None
                )
            values["pin_index"] = keyring.blind_index(identity.pin) if identity.pin else None
            await PersonIdentity(**values).save()
        await record(
            AuditAction.person_create,
            actor=principal,
            target_type="person",
            target_id=person.id,
            person_id=person.id,
            details={"identity": identity is not None},
        )
    return person
