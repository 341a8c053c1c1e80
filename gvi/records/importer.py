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

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import pairwise

from gvi.core import tabular
from gvi.core.tabular import Problem
from gvi.defectors import transitions as case_rules
from gvi.i18n import N_, gettext
from gvi.records.cells import (
    Cells,
    Remembered,
    file_state,
    list_problem,
    municipality_code,
    normalise_code,
    parse_amount,
    parse_day,
    read_dated,
    read_follow_ups,
    read_grants,
    read_history,
)
from gvi.records.columns import (
    _W,
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
from gvi.records.rows import (
    CaseRow,
    Consent,
    FollowUp,
    Grant,
    Need,
    OfferRow,
    ParsedUpload,
    PersonRow,
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
    "CaseRow",
    "Consent",
    "FollowUp",
    "Grant",
    "Need",
    "OfferRow",
    "ParsedUpload",
    "PersonRow",
    "Problem",
    "normalise_code",
    "parse_amount",
    "parse_day",
    "parse_upload",
]


# --- reading the files ---------------------------------------------------------------


_ASCII_NON_DIGITS = {i: None for i in range(128) if not chr(i).isdigit()}
_PIN_CHARACTERS = {ord(ch): None for ch in "0123456789-+ "}


def _person_rows(
    file: str,
    rows: list[tuple[int, dict[str, str]]],
    parsed: ParsedUpload,
    today: date,
    header: Iterable[str],
) -> None:
    blank, (clean, stripped) = dict.fromkeys(COLUMNS[PEOPLE], ""), file_state(rows)
    has = frozenset(header).__contains__  # as in _case_rows
    for line, cells in rows:
        row = Cells(file, line, cells, parsed.problems, blank, clean=clean, stripped=stripped)
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
        municipality = municipality_code(row, required=True)
        birth_year = None
        raw_year = row.raw("birth_year")
        if raw_year:
            if raw_year.isascii() and raw_year.isdigit() and 1900 <= int(raw_year) <= today.year:
                birth_year = int(raw_year)
            else:
                row.problem(
                    "birth_year", gettext("Skriv födelseåret med fyra siffror, till exempel 2004.")
                )
        protection = (
            row.choice("protection", _W["protection"], default="none")
            if has("protection")
            else "none"
        )
        identity_cells = [" ".join(row.raw(column).split()) for column in IDENTITY_COLUMNS]
        if max(map(len, identity_cells)) > IDENTITY_MAX:
            for column, value in zip(IDENTITY_COLUMNS, identity_cells, strict=True):
                if len(value) > IDENTITY_MAX:
                    row.problem(
                        column,
                        gettext("Texten är för lång: högst %(n)s tecken.") % {"n": IDENTITY_MAX},
                    )
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
        notes = row.text("notes") if has("notes") else ""
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
    row: Cells,
    history: list[tuple[str, date]],
    consents: Sequence[Consent],
    threat: str,
    threat_on: date | None,
    eligible: bool | None,
) -> None:
    for (before, _), (after, on) in pairwise(history):
        if before not in case_rules.GATES:
            continue  # only a step out of a gated status is gated: no facts to weigh
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
    file: str,
    rows: list[tuple[int, dict[str, str]]],
    parsed: ParsedUpload,
    today: date,
    header: Iterable[str],
) -> None:
    blank, (clean, stripped) = dict.fromkeys(COLUMNS[CASES], ""), file_state(rows)
    # A column the file does not have is empty on every row: its optional reader
    # is not asked (a case has some thirty columns; most files carry a third).
    has = frozenset(header).__contains__
    steps: dict[str, tuple[str, date]] = {}  # read_history's, over this file
    consents_of = Remembered("consents", read_dated)
    needs_of = Remembered("needs", read_dated)
    for line, cells in rows:
        row = Cells(file, line, cells, parsed.problems, blank, clean=clean, stripped=stripped)
        ref = row.ref("external_ref", required=True)
        person_code = row.person_code("person_code") if has("person_code") else ""
        person_ref = row.ref("person_ref")
        if not row.raw("person_code") and not person_ref:
            row.problem(
                "person_code",
                gettext(
                    "Ange personens kod (till exempel P-7Q4K) eller personens externa referens."
                ),
            )
        municipality = municipality_code(row, required=False) if has("municipality_code") else ""
        unit = " ".join(row.raw("unit").split())
        if not unit:
            row.problem(
                "unit", gettext("Ange den ansvariga enhetens namn, som det står i systemet.")
            )
        caseworker = row.raw("caseworker")
        opened = row.day("opened_on", required=True, today=today)
        closed = row.day("closed_on", today=today) if has("closed_on") else None
        outcome = (
            row.optional_choice("closure_outcome", _W["outcome"])
            if has("closure_outcome")
            else None
        )
        history = read_history(row, _W["case_status"], today, steps)
        if opened and not history and not row.raw("status_history"):
            history = [(case_rules.CONTACT, opened)]
        if history and not row.bad:
            if history[0][0] != case_rules.CONTACT:
                list_problem(
                    row, "status_history", gettext("Historiken börjar med contact (kontakt).")
                )
            elif opened and history[0][1] != opened:
                list_problem(
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
        environment = (
            row.choice("environment", _W["environment"], default="criminal_network")
            if has("environment")
            else "criminal_network"
        )
        is_child = row.yes_no("is_child") if has("is_child") else None
        threat = row.choice("threat_level", _W["threat"], default="unknown")
        threat_on = (
            row.day("threat_assessed_on", today=today) if has("threat_assessed_on") else None
        )
        motivated = row.yes_no("motivated") if has("motivated") else None
        witness = row.yes_no("is_witness") if has("is_witness") else None
        eligible = (
            row.yes_no("social_services_eligible") if has("social_services_eligible") else None
        )
        consents = consents_of(row, "consents", _W["agency"], today, Consent)
        needs = needs_of(row, "needs", _W["need"], today, Need)
        grants = read_grants(row, today) if has("grants") else []
        follow_ups = read_follow_ups(row, today) if has("follow_ups") else []
        if history and not row.bad:
            _check_gates(row, history, consents, threat, threat_on or opened, eligible)
        if opened and follow_ups and any(f.on < opened for f in follow_ups):
            row.problem("follow_ups", gettext("Uppföljningen kan inte ligga före ärendets start."))
        notes = row.text("notes") if has("notes") else ""
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
                consents,
                needs,
                tuple(grants),
                tuple(follow_ups),
                notes,
            )
        )


def _offer_rows(
    file: str,
    rows: list[tuple[int, dict[str, str]]],
    parsed: ParsedUpload,
    today: date,
    header: Iterable[str],
) -> None:
    blank, (clean, stripped) = dict.fromkeys(COLUMNS[OFFERS], ""), file_state(rows)
    steps: dict[str, tuple[str, date]] = {}  # read_history's, over this file
    for line, cells in rows:
        row = Cells(file, line, cells, parsed.problems, blank, clean=clean, stripped=stripped)
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
        history = read_history(row, _W["offer_status"], today, steps)
        if not history and not row.bad:
            list_problem(row, "status_history")
        elif history:
            if history[0][0] != offer_rules.OFFERED:
                list_problem(
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
            _READERS[kind](name, table.rows, parsed, today, table.header)
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
