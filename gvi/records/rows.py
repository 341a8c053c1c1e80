"""The typed rows an import reads: what :mod:`gvi.records.importer` gives
:mod:`gvi.records.checks` once every cell has been read and checked.

Pure (the standard library only). Plain named tuples, not dataclasses: an import
of 10,000 cases builds tens of thousands of them, and a frozen dataclass sets
each field through ``object.__setattr__`` (``make bench``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from gvi.core.tabular import Problem
from gvi.records.columns import CASES, PEOPLE


class PersonRow(NamedTuple):
    line: int
    valid: bool
    external_ref: str
    code: str
    municipality_code: str
    birth_year: int | None = None
    protection: str = "none"
    identity: tuple[str, str, str, str] | None = None  # name, pin, address, phone
    notes: str = ""


class Consent(NamedTuple):
    agency: str
    given_on: date
    withdrawn_on: date | None


class Need(NamedTuple):
    need: str
    assessed_on: date
    met_on: date | None


class Grant(NamedTuple):
    applied_on: date
    amount_applied: Decimal
    decision: str
    decided_on: date | None
    amount_granted: Decimal | None


class FollowUp(NamedTuple):
    phase: str
    on: date
    levels: tuple[str, str, str, str, str]  # housing, occupation, criminality, substance, safety


class CaseRow(NamedTuple):
    line: int
    valid: bool
    external_ref: str
    person_code: str = ""
    person_ref: str = ""
    municipality_code: str = ""
    unit: str = ""
    caseworker: str = ""
    opened_on: date | None = None
    closed_on: date | None = None
    closure_outcome: str | None = None
    history: tuple[tuple[str, date], ...] = ()
    referral_source: str = ""
    environment: str = "criminal_network"
    is_child: bool = False
    threat_level: str = "unknown"
    threat_assessed_on: date | None = None
    motivated: bool | None = None
    is_witness: bool = False
    social_services_eligible: bool | None = None
    consents: tuple[Consent, ...] = ()
    needs: tuple[Need, ...] = ()
    grants: tuple[Grant, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    notes: str = ""


class OfferRow(NamedTuple):
    line: int
    valid: bool
    external_ref: str
    person_code: str = ""
    person_ref: str = ""
    case_ref: str = ""
    category: str = ""
    provider: str = ""
    context: str = ""
    history: tuple[tuple[str, date], ...] = ()
    cost: Decimal | None = None
    notes: str = ""


@dataclass
class ParsedUpload:
    people: list[PersonRow] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)
    offers: list[OfferRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # kind → data rows (bad ones too)
    encodings: dict[str, str] = field(default_factory=dict)  # kind → "UTF-8", "XLSX", …
    files: dict[str, str] = field(default_factory=dict)  # kind → the name problems use

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def refs(self, kind: str) -> set[str]:
        rows: Sequence[PersonRow | CaseRow | OfferRow] = (
            self.people if kind == PEOPLE else self.cases if kind == CASES else self.offers
        )
        return {r.external_ref for r in rows if r.external_ref}

    @property
    def person_codes(self) -> set[str]:
        codes = {p.code for p in self.people if p.code}
        codes |= {c.person_code for c in self.cases if c.person_code}
        return codes | {o.person_code for o in self.offers if o.person_code}

    @property
    def person_refs(self) -> set[str]:
        refs = self.refs(PEOPLE) | {c.person_ref for c in self.cases if c.person_ref}
        return refs | {o.person_ref for o in self.offers if o.person_ref}

    @property
    def case_refs(self) -> set[str]:
        return self.refs(CASES) | {o.case_ref for o in self.offers if o.case_ref}
