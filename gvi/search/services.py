"""The search across records: each kind of record is asked through its own list
service (scoped in the query, audited as that list is), and only the kinds the
user's role may read are asked at all.

What is searched, and why only that: a person's code (``P-…``) and a case
reference (``AH-…``) are pseudonyms; group names, areas and aliases and call-in
titles and venues are not about a person. Names, personnummer and free text are
never searched (architecture §4.6): the term would have to match identities,
which are encrypted, and a typed name must not reach a query or the audit trail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.callins import services as callins
from gvi.core.paging import list_url
from gvi.defectors import services as cases
from gvi.groups import services as groups
from gvi.i18n import N_, gettext
from gvi.people import services as people

SHOWN = 10
"""Hits shown per kind of record; the list page behind "Visa alla" has the rest."""

MIN_LENGTH, MAX_LENGTH = 2, 100

TOO_SHORT = N_("Skriv minst två tecken.")
TOO_LONG = N_("Skriv högst 100 tecken.")


@dataclass(frozen=True)
class Hit:
    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hits: list[Hit]
    total: int
    more_url: str

    @property
    def more(self) -> bool:
        return self.total > len(self.hits)


@dataclass(frozen=True)
class Results:
    term: str
    sections: list[Section] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)


def clean_term(text: str) -> str:
    """The term, spaces collapsed; raises ValueError with a Swedish message."""
    term = " ".join(text.split())
    if len(term) < MIN_LENGTH:
        raise ValueError(gettext(TOO_SHORT))
    if len(term) > MAX_LENGTH:
        raise ValueError(gettext(TOO_LONG))
    return term


async def _people(principal: Principal, term: str) -> tuple[list[Hit], int]:
    rows, total = await people.list_people(principal, code_prefix=term, limit=SHOWN)
    return [Hit(r.code, r.municipality, f"/people/{r.id}") for r in rows], total


async def _cases(principal: Principal, term: str) -> tuple[list[Hit], int]:
    rows, total = await cases.list_cases(principal, search=term, limit=SHOWN)
    return [
        Hit(c.reference, f"{c.person_code} · {c.municipality}", f"/cases/{c.id}") for c in rows
    ], total


async def _groups(principal: Principal, term: str) -> tuple[list[Hit], int]:
    rows, total = await groups.list_groups(principal, search=term, limit=SHOWN)
    return [
        Hit(g.name, g.municipality + (f" · {g.area}" if g.area else ""), f"/groups/{g.id}")
        for g in rows
    ], total


async def _callins(principal: Principal, term: str) -> tuple[list[Hit], int]:
    rows, total = await callins.list_callins(principal, search=term, limit=SHOWN)
    return [Hit(m.title, f"{m.venue}, {m.municipality}", f"/callins/{m.id}") for m in rows], total


@dataclass(frozen=True)
class _Kind:
    key: str
    title: str  # msgid
    permission: Permission
    asked: str  # "code": for a person code (P-…) only; "text": never for one; "any"
    find: Callable[[Principal, str], Awaitable[tuple[list[Hit], int]]]
    list_path: str
    list_param: str
    upper: bool  # the list's filter is upper case (codes and references)


# In the order shown. Cases are asked for codes too: a case is found by its person's code.
_KINDS = (
    _Kind(
        "people", N_("Personer"), Permission.people_read, "code", _people, "/people", "code", True
    ),
    _Kind(
        "cases", N_("Avhopparärenden"), Permission.cases_read, "any", _cases, "/cases", "q", True
    ),
    _Kind("groups", N_("Grupper"), Permission.groups_read, "text", _groups, "/groups", "q", False),
    _Kind(
        "callins", N_("Call-ins"), Permission.callins_read, "text", _callins, "/callins", "q", False
    ),
)


async def search(principal: Principal, text: str) -> Results:
    """Everything the user may see that the term names, by kind of record."""
    term = clean_term(text)
    code_like = term.upper().startswith("P-")
    sections: list[Section] = []
    for kind in _KINDS:
        if not principal.can(kind.permission):
            continue
        if kind.asked != "any" and (kind.asked == "code") != code_like:
            continue
        hits, total = await kind.find(principal, term)
        shown = term.upper() if kind.upper else term
        more = list_url(kind.list_path, {kind.list_param: shown})
        sections.append(Section(kind.key, gettext(kind.title), hits, total, more))
    return Results(term, sections)
