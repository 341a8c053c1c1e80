"""Reading and checking an import of people, defector cases and support offers.

Pure: the standard library, :mod:`gvi.core.tabular` and the domains' pure rule
modules (labels, status transitions); no Litestar, no Piccolo. It works the way
the group-audit import does (:mod:`gvi.groups.importer`):

1. :func:`parse_upload` reads the files (one file per kind, or one workbook with
   a sheet per kind) and checks every cell it can check without the database,
   returning typed rows and a :class:`Problem` for every bad one;
2. the service looks up what the rows refer to, within the user's scope, and
   passes it in as :class:`gvi.records.checks.Lookups`;
3. :func:`gvi.records.checks.check_upload` resolves the references and returns
   a plan (what to create, update or skip) only when the whole upload is valid.

The columns and the words coded cells may use are in :mod:`gvi.records.columns`.

Identity cells (name, personnummer, address, phone) are carried to the plan to
be encrypted; no message ever quotes any cell.

Multi-valued cells are lists separated by ``;``, each item ``key:date`` with
further values after ``/``::

    status_history  contact:2024-01-10; motivation_assessment:2024-01-20
    consents        police:2024-02-01; school:2024-02-01/2024-06-01   (given/withdrawn)
    needs           housing:2024-01-15; debt:2024-01-20/2024-06-01    (assessed/met)
    grants          2024-03-01/150000/granted/2024-04-01/120000      (applied/amount/decision/…)
    follow_ups      before:2024-01-10/poor/poor/poor/unknown/partly   (housing/occupation/…)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from gvi.core import tabular
from gvi.core.tabular import Problem
from gvi.core.text import FREE_TEXT_FIELDS, all_clean, text_problem
from gvi.defectors import transitions as case_rules
from gvi.i18n import N_, gettext
from gvi.records.columns import (
    _NO,
    _W,
    _YES,
    AGENCY_LABELS,
    CASE_STATUS_LABELS,
    CASES,
    CATEGORY_LABELS,
    CODED,
    COLUMNS,
    CONTEXT_LABELS,
    DECISION_LABELS,
    ENVIRONMENT_LABELS,
    IDENTITY_COLUMNS,
    IDENTITY_MAX,
    KIND_LABELS,
    KINDS,
    LEVEL_LABELS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NEED_LABELS,
    OFFER_STATUS_LABELS,
    OFFERS,
    OUTCOME_LABELS,
    PEOPLE,
    PHASE_LABELS,
    PROTECTION_LABELS,
    REF_MAX,
    REFERRAL_LABELS,
    REQUIRED,
    SHEET_NAMES,
    TEXT_MAX,
    THREAT_LABELS,
    YES_NO_COLUMNS,
)
from gvi.support import transitions as offer_rules

__all__ = [
    "AGENCY_LABELS",
    "CASES",
    "CASE_STATUS_LABELS",
    "CATEGORY_LABELS",
    "CODED",
    "COLUMNS",
    "CONTEXT_LABELS",
    "DECISION_LABELS",
    "ENVIRONMENT_LABELS",
    "IDENTITY_COLUMNS",
    "IDENTITY_MAX",
    "KINDS",
    "KIND_LABELS",
    "LEVEL_LABELS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "NEED_LABELS",
    "OFFERS",
    "OFFER_STATUS_LABELS",
    "OUTCOME_LABELS",
    "PEOPLE",
    "PHASE_LABELS",
    "PROTECTION_LABELS",
    "REFERRAL_LABELS",
    "REF_MAX",
    "REQUIRED",
    "SHEET_NAMES",
    "TEXT_MAX",
    "THREAT_LABELS",
    "YES_NO_COLUMNS",
    "Problem",
    "parse_upload",
]


# --- rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    line: int
    valid: bool
    external_ref: str
    code: str
    municipality_code: str
    birth_year: int | None = None
    protection: str = "none"
    identity: tuple[str, str, str, str] | None = None  # name, pin, address, phone
    notes: str = ""


@dataclass(frozen=True)
class Consent:
    agency: str
    given_on: date
    withdrawn_on: date | None


@dataclass(frozen=True)
class Need:
    need: str
    assessed_on: date
    met_on: date | None


@dataclass(frozen=True)
class Grant:
    applied_on: date
    amount_applied: Decimal
    decision: str
    decided_on: date | None
    amount_granted: Decimal | None


@dataclass(frozen=True)
class FollowUp:
    phase: str
    on: date
    levels: tuple[str, str, str, str, str]  # housing, occupation, criminality, substance, safety


@dataclass(frozen=True)
class CaseRow:
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


@dataclass(frozen=True)
class OfferRow:
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


# Lists may put one item on each line (README: Import).
MULTI_LINE_COLUMNS = frozenset({"status_history", "consents", "needs", "grants", "follow_ups"})


class _Row:
    """One data row's cells by column, and the problems found in it."""

    def __init__(self, file: str, line: int, cells: dict[str, str], problems: list[Problem]):
        self.file = file
        self.line = line
        self.cells = cells
        self.problems = problems
        self.bad = False
        self._refused: set[str] = set()
        # Most rows hold no control character, tab or line break in any cell: one
        # search over the row, then each cell is asked about only when one is found.
        self._clean = all_clean(cells.values())

    def problem(self, column: str, message: str) -> None:
        self.bad = True
        self.problems.append(Problem(self.file, self.line, column, message))

    def raw(self, column: str) -> str:
        """The cell, or "" (and one problem) when it holds control characters
        (gvi.core.text: the rule of every form field); line breaks only in free
        text and in lists, which may put an item on each line."""
        value = self.cells.get(column, "").strip()
        if self._clean:
            return value
        if not value or column in self._refused:
            return "" if column in self._refused else value
        free_text = column in FREE_TEXT_FIELDS or column in MULTI_LINE_COLUMNS
        problem = text_problem(value, free_text=free_text)
        if problem is None:
            return value
        self._refused.add(column)
        self.problem(column, gettext(problem) % {"field": column})
        return ""

    def text(self, column: str, limit: int = TEXT_MAX) -> str:
        value = self.raw(column)
        if len(value) > limit:
            self.problem(column, gettext("Texten är för lång: högst %(n)s tecken.") % {"n": limit})
            return ""
        return value

    def ref(self, column: str, *, required: bool = False) -> str:
        value = " ".join(self.raw(column).split())
        if not value and required:
            self.problem(
                column,
                gettext(
                    "Ange en extern referens (till exempel ärendenumret i det gamla systemet): "
                    "den gör att samma fil kan laddas upp igen utan dubbletter."
                ),
            )
        elif len(value) > REF_MAX:
            self.problem(column, gettext("Referensen är för lång: högst 64 tecken."))
            return ""
        return value

    def choice(self, column: str, words: Mapping[str, str], default: str = "") -> str:
        raw = self.raw(column)
        if not raw:
            if not default:
                self.problem(
                    column, gettext("Fältet måste fyllas i. Välj ett av värdena i mallen.")
                )
            return default
        value = _lookup(words, (raw))
        if value is None:
            self.problem(column, _choice_message(words))
            return default
        return value

    def optional_choice(self, column: str, words: Mapping[str, str]) -> str | None:
        return self.choice(column, words, default="-") if self.raw(column) else None

    def day(self, column: str, *, required: bool = False, today: date) -> date | None:
        raw = self.raw(column)
        if not raw:
            if required:
                self.problem(column, gettext("Ange ett datum som ÅÅÅÅ-MM-DD."))
            return None
        value = parse_day(raw)
        if value is None:
            self.problem(column, gettext("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2024-03-15."))
        elif value > today:
            self.problem(column, gettext("Datumet kan inte ligga i framtiden."))
            return None
        return value

    def yes_no(self, column: str) -> bool | None:
        raw = self.raw(column).casefold()
        if not raw:
            return None
        if raw in _YES:
            return True
        if raw in _NO:
            return False
        self.problem(column, gettext("Skriv ja eller nej (eller lämna tomt)."))
        return None

    def person_code(self, column: str) -> str:
        raw = self.raw(column)
        if not raw:
            return ""
        code = normalise_code(raw)
        if code is None:
            self.problem(
                column,
                gettext(
                    "Personkoden ska se ut som P-7Q4K: P, bindestreck och 2–12 siffror eller "
                    "versaler A–Z."
                ),
            )
            return ""
        return code

    def amount(self, column: str) -> Decimal | None:
        raw = self.raw(column)
        if not raw:
            return None
        value = parse_amount(raw)
        if value is None or value < 0:
            self.problem(
                column, gettext("Skriv ett belopp i kronor, till exempel 12500 eller 12 500,50.")
            )
        return value


def _lookup(words: Mapping[str, str], raw: str) -> str | None:
    """The code for a typed value: most are typed as the code or the label, so the
    full fold (accents, spaces) is the last resort."""
    found = words.get(raw) or words.get(raw.strip().casefold())
    return found if found is not None else words.get(tabular.fold(raw))


def _choice_message(words: Mapping[str, str]) -> str:
    codes = sorted(set(words.values()))
    return (
        gettext("Okänt värde. Tillåtna värden är: ")
        + ", ".join(codes)
        + gettext(" (eller deras svenska benämningar i mallen).")
    )


def parse_day(text: str) -> date | None:
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def parse_amount(text: str) -> Decimal | None:
    cleaned = "".join(text.replace("kr", "").split()).replace("\u00a0", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() else None


def normalise_code(text: str) -> str | None:
    """ "p-7q4k " → "P-7Q4K"; None if it is not a person code."""
    code = "".join(text.split()).upper()
    if code.startswith("P") and not code.startswith("P-"):
        code = "P-" + code[1:]
    body = code[2:]
    if code.startswith("P-") and 2 <= len(body) <= 12 and body.isascii() and body.isalnum():
        return code
    return None


def _municipality_code(row: _Row, *, required: bool) -> str:
    raw = row.raw("municipality_code")
    if not raw:
        if required:
            row.problem(
                "municipality_code",
                gettext("Ange kommunkoden med fyra siffror, till exempel 0123 (SCB:s kommunkod)."),
            )
        return ""
    # Excel drops the leading zero of 0123; kommunkoder always have four digits.
    if raw.isascii() and raw.isdigit() and len(raw) <= 4:
        return raw.zfill(4)
    row.problem(
        "municipality_code",
        gettext("Ange kommunkoden med fyra siffror, till exempel 0123 (SCB:s kommunkod)."),
    )
    return ""


def _items(row: _Row, column: str) -> list[list[str]]:
    """``a:b/c; d:e`` → [["a", "b", "c"], ["d", "e"]]; empty items are dropped."""
    text = row.raw(column)
    if not text:
        return []
    out = []
    for item in text.replace("\n", ";").split(";"):
        item = item.strip()
        if not item:
            continue
        head, sep, rest = item.partition(":")
        out.append([head.strip(), *[p.strip() for p in rest.split("/")]] if sep else [head.strip()])
    return out


_LIST_HELP = {
    "status_history": N_(
        "Skriv status:datum med semikolon emellan, till exempel "
        "contact:2024-01-10; consent:2024-02-01."
    ),
    "consents": N_(
        "Skriv myndighet:datum (och /återkallat-datum) med semikolon emellan, till "
        "exempel police:2024-02-01; school:2024-02-01/2024-06-01."
    ),
    "needs": N_(
        "Skriv behov:datum (och /tillgodosett-datum) med semikolon emellan, till exempel "
        "housing:2024-01-15; debt:2024-01-20/2024-06-01."
    ),
    "grants": N_(
        "Skriv ansökningsdatum/belopp/beslut/beslutsdatum/beviljat belopp, till exempel "
        "2024-03-01/150000/granted/2024-04-01/120000; flera med semikolon emellan."
    ),
    "follow_ups": N_(
        "Skriv fas:datum/boende/sysselsättning/kriminalitet/missbruk/säkerhet, till "
        "exempel before:2024-01-10/poor/poor/poor/unknown/partly."
    ),
}


def _list_problem(row: _Row, column: str, why: str = "") -> None:
    row.problem(column, (why + " " if why else "") + gettext(_LIST_HELP[column]))


def _history(row: _Row, words: Mapping[str, str], today: date) -> list[tuple[str, date]]:
    out: list[tuple[str, date]] = []
    for parts in _items(row, "status_history"):
        status = _lookup(words, (parts[0]))
        when = parse_day(parts[1]) if len(parts) == 2 else None
        if status is None or when is None:
            _list_problem(row, "status_history", _choice_message(words) if status is None else "")
            return []
        if when > today:
            _list_problem(row, "status_history", gettext("Datumet kan inte ligga i framtiden."))
            return []
        if out and when < out[-1][1]:
            _list_problem(
                row, "status_history", gettext("Statusarna ska stå i tidsordning, äldst först.")
            )
            return []
        out.append((status, when))
    return out


def _dated(
    row: _Row, column: str, words: Mapping[str, str], today: date
) -> list[tuple[str, date, date | None]]:
    out = []
    for parts in _items(row, column):
        key = _lookup(words, (parts[0]))
        first = parse_day(parts[1]) if len(parts) >= 2 else None
        second = parse_day(parts[2]) if len(parts) == 3 and parts[2] else None
        if (
            key is None
            or first is None
            or len(parts) > 3
            or (len(parts) == 3 and parts[2] and second is None)
        ):
            _list_problem(row, column, _choice_message(words) if key is None else "")
            return []
        if first > today or (second and second > today):
            _list_problem(row, column, gettext("Datumet kan inte ligga i framtiden."))
            return []
        if second and second < first:
            _list_problem(row, column, gettext("Det andra datumet kan inte ligga före det första."))
            return []
        out.append((key, first, second))
    return out


def _grants(row: _Row, today: date) -> list[Grant]:
    out = []
    for parts in _items(row, "grants"):
        # "2024-03-01/150000/…" has no "key:" head: the date is the head.
        fields = "/".join(parts).split("/")
        applied = parse_day(fields[0])
        amount = parse_amount(fields[1]) if len(fields) > 1 else None
        decision = _lookup(_W["decision"], (fields[2])) if len(fields) > 2 else "pending"
        decided = parse_day(fields[3]) if len(fields) > 3 else None
        granted = parse_amount(fields[4]) if len(fields) > 4 and fields[4] else None
        if (
            applied is None
            or amount is None
            or amount <= 0
            or decision is None
            or len(fields) > 5
            or (len(fields) > 3 and decided is None)
            or (decision != "pending" and decided is None)
            or (decision == "granted" and (granted is None or granted <= 0 or granted > amount))
            or (decision != "granted" and granted is not None)
        ):
            _list_problem(row, "grants")
            return []
        if applied > today or (decided and (decided > today or decided < applied)):
            _list_problem(
                row,
                "grants",
                gettext("Kontrollera datumen: inte i framtiden och beslutet inte före ansökan."),
            )
            return []
        out.append(Grant(applied, amount, decision, decided, granted))
    return out


def _follow_ups(row: _Row, today: date) -> list[FollowUp]:
    out = []
    for parts in _items(row, "follow_ups"):
        phase = _lookup(_W["phase"], (parts[0]))
        on = parse_day(parts[1]) if len(parts) >= 2 else None
        levels = [_lookup(_W["level"], (p)) for p in parts[2:]]
        if phase is None or on is None or len(levels) > 5 or None in levels:
            _list_problem(row, "follow_ups")
            return []
        if on > today:
            _list_problem(row, "follow_ups", gettext("Datumet kan inte ligga i framtiden."))
            return []
        padded = [lv for lv in levels if lv is not None] + ["unknown"] * (5 - len(levels))
        out.append(FollowUp(phase, on, (padded[0], padded[1], padded[2], padded[3], padded[4])))
    return out


# --- reading the files ---------------------------------------------------------------


_ASCII_NON_DIGITS = {i: None for i in range(128) if not chr(i).isdigit()}
_PIN_CHARACTERS = {ord(ch): None for ch in "0123456789-+ "}


def _person_rows(
    file: str, rows: list[tuple[int, dict[str, str]]], parsed: ParsedUpload, today: date
) -> None:
    for line, cells in rows:
        row = _Row(file, line, cells, parsed.problems)
        ref = row.ref("external_ref")
        code = row.person_code("code")
        if not ref and not row.raw("code"):
            row.problem(
                "external_ref",
                gettext(
                    "Ange personens kod eller en extern referens, så att samma fil kan laddas upp "
                    "igen utan att personen läggs upp två gånger."
                ),
            )
        municipality = _municipality_code(row, required=True)
        birth_year = None
        raw_year = row.raw("birth_year")
        if raw_year:
            if raw_year.isascii() and raw_year.isdigit() and 1900 <= int(raw_year) <= today.year:
                birth_year = int(raw_year)
            else:
                row.problem(
                    "birth_year", gettext("Skriv födelseåret med fyra siffror, till exempel 2004.")
                )
        protection = row.choice("protection", _W["protection"], default="none")
        identity_cells = []
        for column in IDENTITY_COLUMNS:
            value = " ".join(row.raw(column).split())
            if len(value) > IDENTITY_MAX:
                row.problem(
                    column, gettext("Texten är för lång: högst %(n)s tecken.") % {"n": IDENTITY_MAX}
                )
            identity_cells.append(value)
        pin = identity_cells[1]
        if pin.isascii():
            # The same test in C: the digits, and what is neither a digit nor "-+ ".
            digits = pin.translate(_ASCII_NON_DIGITS)
            stray = bool(pin.translate(_PIN_CHARACTERS))
        else:
            digits = "".join(ch for ch in pin if ch.isdigit())
            stray = any(not (ch.isdigit() or ch in "-+ ") for ch in pin)
        if pin and (len(digits) not in (10, 12) or stray):
            row.problem("pin", gettext("Skriv personnumret som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."))
        identity = (
            (identity_cells[0], identity_cells[1], identity_cells[2], identity_cells[3])
            if any(identity_cells)
            else None
        )
        notes = row.text("notes")
        parsed.people.append(
            PersonRow(line, False, ref, code, municipality)
            if row.bad
            else PersonRow(
                line, True, ref, code, municipality, birth_year, protection, identity, notes
            )
        )


# The case page's gates (gvi.defectors.transitions.gate) hold for a history read from
# a spreadsheet too: a step out of Samtycke, Riskbedömning or Utredning needs what the
# page would ask for, on the row, by the day of the step.
_GATE_HINTS = {
    case_rules.CONSENT_GATE: N_(
        "Statushistoriken lämnar Samtycke utan ett samtycke som gäller den dagen: "
        "fyll i Samtycken (till exempel police:2024-02-01) med ett datum före steget."
    ),
    case_rules.THREAT_GATE: N_(
        "Statushistoriken lämnar Riskbedömning utan en hotbildsbedömning: fyll i Hotnivå "
        "och Hot bedömt (ett datum före steget)."
    ),
    case_rules.ELIGIBILITY_GATE: N_(
        "Statushistoriken lämnar Utredning och beslut utan socialtjänstens beslut: fyll i "
        "Socialtjänstens bedömning (ja eller nej)."
    ),
}


def _check_gates(
    row: _Row,
    history: list[tuple[str, date]],
    consents: list[Consent],
    threat: str,
    threat_on: date | None,
    eligible: bool | None,
) -> None:
    for (before, _), (after, on) in pairwise(history):
        facts = case_rules.CaseFacts(
            consent_in_force=any(
                c.given_on <= on and (c.withdrawn_on is None or c.withdrawn_on > on)
                for c in consents
            ),
            threat_level=threat,
            threat_assessed_on=threat_on if threat_on is not None and threat_on <= on else None,
            social_services_eligible=eligible,
        )
        key = case_rules.gate(before, after, facts)
        if key is not None:
            row.problem("status_history", gettext(_GATE_HINTS[key]))
            return


def _case_rows(
    file: str, rows: list[tuple[int, dict[str, str]]], parsed: ParsedUpload, today: date
) -> None:
    for line, cells in rows:
        row = _Row(file, line, cells, parsed.problems)
        ref = row.ref("external_ref", required=True)
        person_code = row.person_code("person_code")
        person_ref = row.ref("person_ref")
        if not row.raw("person_code") and not person_ref:
            row.problem(
                "person_code",
                gettext(
                    "Ange personens kod (till exempel P-7Q4K) eller personens externa referens."
                ),
            )
        municipality = _municipality_code(row, required=False)
        unit = " ".join(row.raw("unit").split())
        if not unit:
            row.problem(
                "unit", gettext("Ange den ansvariga enhetens namn, som det står i systemet.")
            )
        caseworker = row.raw("caseworker")
        opened = row.day("opened_on", required=True, today=today)
        closed = row.day("closed_on", today=today)
        outcome = row.optional_choice("closure_outcome", _W["outcome"])
        history = _history(row, _W["case_status"], today)
        if opened and not history and not row.raw("status_history"):
            history = [(case_rules.CONTACT, opened)]
        if history and not row.bad:
            if history[0][0] != case_rules.CONTACT:
                _list_problem(
                    row, "status_history", gettext("Historiken börjar med contact (kontakt).")
                )
            elif opened and history[0][1] != opened:
                _list_problem(
                    row,
                    "status_history",
                    gettext("Första statusen (contact) har samma datum som öppnat."),
                )
            if closed and history[-1][0] != case_rules.CLOSED:
                history.append((case_rules.CLOSED, closed))
            for (before, _), (after, _) in pairwise(history):
                # The allowed moves first: refusal() words its answer even when it allows.
                ok = after in case_rules.ALLOWED.get(before, ()) and after != case_rules.CLOSED
                why = None if ok else case_rules.refusal(before, after, outcome)
                if why is not None:
                    row.problem("status_history", why)
                    break
            if history[-1][0] == case_rules.CLOSED:
                if closed and closed != history[-1][1]:
                    row.problem(
                        "closed_on",
                        gettext(
                            "Stängt-datumet ska vara samma som datumet för closed i "
                            "statushistoriken."
                        ),
                    )
                closed = history[-1][1]
            elif outcome:
                row.problem(
                    "closure_outcome", gettext("Utfall anges bara för ett avslutat ärende.")
                )
        if opened and closed and closed < opened:
            row.problem("closed_on", gettext("Ärendet kan inte stängas före det öppnades."))
        referral = row.choice("referral_source", _W["referral"])
        environment = row.choice("environment", _W["environment"], default="criminal_network")
        is_child = row.yes_no("is_child")
        threat = row.choice("threat_level", _W["threat"], default="unknown")
        threat_on = row.day("threat_assessed_on", today=today)
        motivated = row.yes_no("motivated")
        witness = row.yes_no("is_witness")
        eligible = row.yes_no("social_services_eligible")
        consents = [Consent(*c) for c in _dated(row, "consents", _W["agency"], today)]
        needs = [Need(*n) for n in _dated(row, "needs", _W["need"], today)]
        grants = _grants(row, today)
        follow_ups = _follow_ups(row, today)
        if history and not row.bad:
            _check_gates(row, history, consents, threat, threat_on or opened, eligible)
        if opened and any(f.on < opened for f in follow_ups):
            row.problem("follow_ups", gettext("Uppföljningen kan inte ligga före ärendets start."))
        notes = row.text("notes")
        if row.bad or opened is None:
            parsed.cases.append(CaseRow(line, False, ref, person_code, person_ref))
            continue
        parsed.cases.append(
            CaseRow(
                line,
                True,
                ref,
                person_code,
                person_ref,
                municipality,
                unit,
                caseworker,
                opened,
                closed,
                outcome if history[-1][0] == case_rules.CLOSED else None,
                tuple(history),
                referral,
                environment,
                bool(is_child),
                threat,
                threat_on if threat_on or threat == "unknown" else opened,
                motivated,
                bool(witness),
                eligible,
                tuple(consents),
                tuple(needs),
                tuple(grants),
                tuple(follow_ups),
                notes,
            )
        )


def _offer_rows(
    file: str, rows: list[tuple[int, dict[str, str]]], parsed: ParsedUpload, today: date
) -> None:
    for line, cells in rows:
        row = _Row(file, line, cells, parsed.problems)
        ref = row.ref("external_ref", required=True)
        person_code = row.person_code("person_code")
        person_ref = row.ref("person_ref")
        case_ref = row.ref("case_ref")
        if not row.raw("person_code") and not person_ref and not case_ref:
            row.problem(
                "person_code",
                gettext(
                    "Ange personens kod, personens externa referens eller ärendets externa "
                    "referens."
                ),
            )
        category = row.choice("category", _W["category"])
        provider = " ".join(row.raw("provider").split())
        context = row.choice("context", _W["context"])
        if context == "defector_case" and not case_ref:
            row.problem(
                "case_ref",
                gettext("Ett erbjudande i ett avhopparärende anger ärendets externa referens."),
            )
        if case_ref and context and context != "defector_case":
            row.problem(
                "context",
                gettext(
                    "Ett erbjudande som hör till ett ärende har sammanhanget defector_case "
                    "(avhopparärende)."
                ),
            )
        history = _history(row, _W["offer_status"], today)
        if not history and not row.bad:
            _list_problem(row, "status_history")
        elif history:
            if history[0][0] != offer_rules.OFFERED:
                _list_problem(
                    row, "status_history", gettext("Historiken börjar med offered (erbjuden).")
                )
            for (before, _), (after, _) in pairwise(history):
                ok = after in offer_rules.ALLOWED.get(before, ())
                why = None if ok else offer_rules.refusal(before, after)
                if why is not None:
                    row.problem("status_history", why)
                    break
        cost = row.amount("cost")
        notes = row.text("notes")
        if row.bad:
            parsed.offers.append(OfferRow(line, False, ref, person_code, person_ref, case_ref))
            continue
        parsed.offers.append(
            OfferRow(
                line,
                True,
                ref,
                person_code,
                person_ref,
                case_ref,
                category,
                provider,
                context,
                tuple(history),
                cost,
                notes,
            )
        )


_READERS = {PEOPLE: _person_rows, CASES: _case_rows, OFFERS: _offer_rows}


def _sheet_kind(name: str) -> str | None:
    folded = tabular.fold(name)
    for kind, names in SHEET_NAMES.items():
        if folded in {tabular.fold(n) for n in names}:
            return kind
    return None


def parse_upload(files: Mapping[str, tuple[str, bytes] | None], *, today: date) -> ParsedUpload:
    """Read what was sent: ``{kind: (file name, bytes)}`` (None: not sent), and
    ``"workbook"`` for one XLSX with a sheet per kind."""
    parsed = ParsedUpload()
    sources: dict[str, tuple[str, list[tuple[int, list[str]]], str]] = {}
    workbook = files.get("workbook")
    if workbook is not None:
        name, data = workbook
        if len(data) > MAX_FILE_BYTES:
            parsed.problems.append(tabular.too_big(name, MAX_FILE_BYTES))
        elif not tabular.is_workbook(data):
            parsed.problems.append(
                Problem(
                    name,
                    0,
                    "",
                    gettext(
                        "Arbetsboken ska vara en Excel-fil (.xlsx) med ett blad per slag: "
                        "Personer, Ärenden, Erbjudanden."
                    ),
                )
            )
        else:
            sheets = tabular.workbook_sheets(data)
            if sheets is None:
                parsed.problems.append(tabular.not_a_workbook(name))
            else:
                for title, cells in sheets.items():
                    kind = _sheet_kind(title)
                    if kind is None:
                        continue  # instructions, lists of values: not data
                    sources[kind] = (
                        f"{name} ({title})",
                        [(i, r) for i, r in enumerate(cells, 1)],
                        "XLSX",
                    )
                if not sources:
                    parsed.problems.append(
                        Problem(
                            name,
                            0,
                            "",
                            gettext(
                                "Arbetsboken har inget blad som heter Personer, Ärenden eller "
                                "Erbjudanden (eller people, cases, offers)."
                            ),
                        )
                    )
    for kind in KINDS:
        sent = files.get(kind)
        if sent is None:
            continue
        name, data = sent
        if len(data) > MAX_FILE_BYTES:
            parsed.problems.append(tabular.too_big(name, MAX_FILE_BYTES))
            continue
        read = tabular.records_of(name, data, tabular.alias_index(COLUMNS[kind]), parsed.problems)
        if read is not None:
            sources[kind] = (name, read[0], read[1])
    for kind in KINDS:
        if kind not in sources:
            continue
        name, records, encoding = sources[kind]
        parsed.files[kind] = name
        parsed.encodings[kind] = encoding
        table = tabular.read_table(
            name,
            records,
            COLUMNS[kind],
            REQUIRED[kind],
            parsed.problems,
            encoding=encoding,
            max_rows=MAX_ROWS,
            echo_unknown=False,
        )
        parsed.rows[kind] = table.count
        if table.header:
            _READERS[kind](name, table.rows, parsed, today)
    if not sources and not parsed.problems:
        parsed.problems.append(
            Problem(
                "",
                0,
                "",
                gettext(
                    "Välj minst en fil: personer, ärenden eller erbjudanden, eller en arbetsbok "
                    "med ett blad per slag."
                ),
            )
        )
    return parsed
