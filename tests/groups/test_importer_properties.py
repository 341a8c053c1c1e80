"""Properties of the group-audit CSV importer, found by hypothesis.

The pure layer (:func:`importer.parse_upload`, :func:`importer.check_upload`):

- any bytes, and any text behind a real header, give problems, never an exception;
  a parsed row is valid exactly when no problem names its line;
- rows built from the documented format (README, "Import and export formats") and
  written with Python's csv module, comma, semicolon or tab, with or without a BOM,
  LF or CRLF, columns in any order and optional ones left out, come back as the
  same rows on the lines they were written on;
- one bad field in an otherwise good file gives problems naming exactly that
  file, line and field, and no plan;
- no message echoes a cell (the importer's docstring: a name or a personnummer in
  the wrong column must not travel further than the file it came in).

And through the real service and database: an upload with one bad row writes
nothing, and the same upload without it writes every row.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy as Strategy

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.groups import forms, services
from gvi.groups.importer import (
    COLUMNS,
    FILES,
    GROUPS_FILE,
    MEMBERS_FILE,
    RELATIONS_FILE,
    REQUIRED_COLUMNS,
    GroupRow,
    Lookups,
    MemberRow,
    ParsedUpload,
    Problem,
    RelationRow,
    check_upload,
    parse_upload,
)
from tests.groups.support import World, build_world, counts

PURE = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
# Every example goes through the service and the database: few of them.
WITH_DB = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the documented format as strategies ------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzåäöABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖéüß0123456789"
TEXT = LETTERS + " '\"-.,;:/&()!?#🙂"


def _canonical(value: str) -> str:
    return " ".join(value.split())


# Names, areas and aliases as the importer keeps them: single spaces, no ends.
names: Strategy[str] = st.text(TEXT, min_size=1, max_size=24).map(_canonical).filter(bool)
aliases: Strategy[str] = (
    st.text(TEXT.replace(";", ""), min_size=1, max_size=16).map(_canonical).filter(bool)
)
# Notes and sources keep their line breaks; only the ends are trimmed.
free_text: Strategy[str] = st.text(TEXT + "\n", max_size=40).map(str.strip)
person_codes: Strategy[str] = st.from_regex(r"P-[0-9A-Z]{2,12}", fullmatch=True)
kommunkoder: Strategy[str] = st.from_regex(r"[0-9]{4}", fullmatch=True)
days: Strategy[date] = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
padding: Strategy[str] = st.sampled_from(["", " ", "  "])
spellings: Strategy[Callable[[str], str]] = st.sampled_from([str, str.upper, str.lower, str.title])


def _spelled(labels: Mapping[str, str], extra: Mapping[str, str] | None = None) -> Strategy[Any]:
    """(what is written, the stored value): the value or its Swedish label, in any case."""
    pairs = [(v, v) for v in labels] + [(label, v) for v, label in labels.items()]
    pairs += list((extra or {}).items())
    return st.tuples(st.sampled_from(pairs), spellings, padding).map(
        lambda t: (t[2] + t[1](t[0][0]) + t[2], t[0][1])
    )


statuses = _spelled(forms.STATUS_LABELS)
roles = _spelled(forms.ROLE_LABELS, {"associerad": "associate"})
confidences = _spelled(forms.CONFIDENCE_LABELS)
kinds = _spelled(forms.KIND_LABELS, {"utbrytargrupp": "splinter_of", "undergrupp": "subgroup_of"})

# A column left out of the header, or left empty, reads as this.
DEFAULTS: dict[str, Any] = {
    "area": "",
    "status": "active",
    "aliases": (),
    "notes": "",
    "valid_from": None,
    "valid_to": None,
    "review_by": None,
    "source": "",
}
ROW_TYPES: dict[str, Any] = {
    GROUPS_FILE: GroupRow,
    MEMBERS_FILE: MemberRow,
    RELATIONS_FILE: RelationRow,
}


@dataclass(frozen=True)
class Row:
    """What is written in each column, and what the importer must make of it."""

    cells: dict[str, str]
    expected: dict[str, Any]


# Strategies are built once, here: building them inside a draw is what makes a
# hypothesis test slow.
maybe_days = st.none() | days
written_days = st.tuples(padding, padding)


@st.composite
def _claim_dates(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, Any]]:
    valid_from, valid_to = draw(maybe_days), draw(maybe_days)
    if valid_from and valid_to and valid_to < valid_from:
        valid_from, valid_to = valid_to, valid_from
    values = {"valid_from": valid_from, "valid_to": valid_to, "review_by": draw(maybe_days)}
    cells = {}
    for column, day in values.items():
        before, after = draw(written_days)
        cells[column] = "" if day is None else before + day.isoformat() + after
    return cells, values


claim_dates = _claim_dates()
areas = st.just("") | names
maybe_statuses = st.none() | statuses
alias_lists = st.lists(aliases, max_size=3, unique_by=str.casefold)
alias_separators = st.sampled_from([";", "; ", " ;"])
code_spellings = st.sampled_from(["plain", "excel", "padded"])
lower_case = st.booleans()
intensities = st.integers(forms.INTENSITY_MIN, forms.INTENSITY_MAX)


@st.composite
def group_rows(
    draw: st.DrawFn, name: Strategy[str] = names, code: Strategy[str] = kommunkoder
) -> Row:
    group_name, kommunkod = draw(name), draw(code)
    # Excel drops the leading zeros of 0123.
    written_code = {"plain": kommunkod, "excel": str(int(kommunkod)), "padded": f" {kommunkod} "}[
        draw(code_spellings)
    ]
    area = draw(areas)
    status = draw(maybe_statuses)
    alias_list = draw(alias_lists)
    separator = draw(alias_separators)
    notes = draw(free_text)
    cells = {
        "name": draw(padding) + group_name + draw(padding),
        "municipality_code": written_code,
        "area": area,
        "status": status[0] if status else "",
        "aliases": separator.join(alias_list),
        "notes": notes,
    }
    expected = {
        "name": group_name,
        "municipality_code": kommunkod,
        "area": area,
        "status": status[1] if status else "active",
        "aliases": tuple(alias_list),
        "notes": notes,
    }
    return Row(cells, expected)


@st.composite
def member_rows(
    draw: st.DrawFn, code: Strategy[str] = person_codes, group: Strategy[str] = names
) -> Row:
    person_code, group_name = draw(code), draw(group)
    role, confidence = draw(roles), draw(confidences)
    date_cells, date_values = draw(claim_dates)
    source = draw(free_text)
    cells = {
        "person_code": person_code.lower() if draw(lower_case) else person_code,
        "group_name": draw(padding) + group_name,
        "role": role[0],
        "confidence": confidence[0],
        "source": source,
        **date_cells,
    }
    expected = {
        "person_code": person_code,
        "group_name": group_name,
        "role": role[1],
        "confidence": confidence[1],
        "source": source,
        **date_values,
    }
    return Row(cells, expected)


@st.composite
def relation_rows(draw: st.DrawFn) -> Row:
    group_a, group_b = draw(names), draw(names)
    if group_b.casefold() == group_a.casefold():
        group_b += " B"
    kind, confidence = draw(kinds), draw(confidences)
    intensity = draw(intensities)
    date_cells, date_values = draw(claim_dates)
    source = draw(free_text)
    cells = {
        "group_a": group_a,
        "group_b": group_b + draw(padding),
        "kind": kind[0],
        "intensity": draw(padding) + str(intensity),
        "confidence": confidence[0],
        "source": source,
        **date_cells,
    }
    expected = {
        "group_a": group_a,
        "group_b": group_b,
        "kind": kind[1],
        "intensity": intensity,
        "confidence": confidence[1],
        "source": source,
        **date_values,
    }
    return Row(cells, expected)


def _group_key(row: Row) -> object:
    return row.expected["name"].casefold()


def _member_key(row: Row) -> object:
    e = row.expected
    return (e["person_code"], e["group_name"].casefold(), e["valid_from"])


def _relation_key(row: Row) -> object:
    e = row.expected
    return (*sorted((e["group_a"].casefold(), e["group_b"].casefold())), e["kind"], e["valid_from"])


# Rows that check_upload accepts together: no duplicates inside the upload.
ROWS: dict[str, Strategy[list[Row]]] = {
    GROUPS_FILE: st.lists(group_rows(), min_size=1, max_size=5, unique_by=_group_key),
    MEMBERS_FILE: st.lists(member_rows(), min_size=1, max_size=5, unique_by=_member_key),
    RELATIONS_FILE: st.lists(relation_rows(), min_size=1, max_size=5, unique_by=_relation_key),
}


@dataclass(frozen=True)
class Layout:
    delimiter: str
    eol: str
    bom: bool
    header_case: Callable[[str], str]


# README: comma or semicolon (Excel), with or without BOM; the code also reads tabs.
layouts: Strategy[Layout] = st.builds(
    Layout,
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.sampled_from([str, str.upper, str.title]),
)


@st.composite
def _header(draw: st.DrawFn, file: str, full: bool) -> list[str]:
    optional = [c for c in COLUMNS[file] if c not in REQUIRED_COLUMNS[file]]
    kept = optional if full else draw(st.lists(st.sampled_from(optional), unique=True))
    return list(draw(st.permutations([*REQUIRED_COLUMNS[file], *kept])))


# The required columns and some optional ones, or every column, in any order.
HEADERS = {file: _header(file, False) for file in FILES}
FULL_HEADERS = {file: _header(file, True) for file in FILES}


def write(file: str, header: list[str], rows: list[Row], layout: Layout) -> tuple[bytes, list[Any]]:
    """The file as Python's csv module writes it, and the rows the importer must read
    from it (on the line each record starts on; quoted line breaks move the next)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator=layout.eol)
    writer.writerow([layout.header_case(c) for c in header])
    expected = []
    line = 2
    for row in rows:
        written = [row.cells[c] for c in header]
        writer.writerow(written)
        if row.expected:  # a row built to be wrong has nothing to expect
            values = {c: row.expected[c] if c in header else DEFAULTS[c] for c in COLUMNS[file]}
            expected.append(ROW_TYPES[file](line, True, **values))
        line += 1 + sum(cell.count("\n") for cell in written)
    data = out.getvalue().encode()
    return (codecs.BOM_UTF8 + data if layout.bom else data), expected


def parsed_rows(parsed: ParsedUpload, file: str) -> list[Any]:
    return {
        GROUPS_FILE: parsed.groups,
        MEMBERS_FILE: parsed.members,
        RELATIONS_FILE: parsed.relations,
    }[file]  # type: ignore[return-value]


def lookups_for(rows: list[Row]) -> Lookups:
    """Lookups under which every reference in the rows resolves."""
    codes = {r.expected["municipality_code"] for r in rows if "municipality_code" in r.expected}
    people = {r.expected["person_code"] for r in rows if "person_code" in r.expected}
    referenced = {
        r.expected[c].casefold()
        for r in rows
        for c in ("group_name", "group_a", "group_b")
        if c in r.expected
    }
    return Lookups(
        municipalities={code: i for i, code in enumerate(sorted(codes), 1)},
        known_municipality_codes=frozenset(codes),
        existing_groups={name: i for i, name in enumerate(sorted(referenced), 1)},
        taken_names=frozenset(referenced),
        people={code: i for i, code in enumerate(sorted(people), 1)},
        can_write_groups=True,
        can_write_members=True,
        can_write_relations=True,
    )


def where(problems: list[Problem]) -> set[tuple[str, int, str]]:
    return {(p.file, p.line, p.field) for p in problems}


# --- one bad field ----------------------------------------------------------------------

Cells = dict[str, str]
Breaker = Callable[[st.DrawFn, Cells], Cells]

BAD_DATES = st.sampled_from(
    ["2024-1-1", "1/2/2024", "2024-13-01", "2024-02-30", "20240101", "igår", "2024-01-01T10:00"]
)
BAD_INTENSITIES = st.one_of(
    st.sampled_from(["", "tre", "3.5", "-1", "+3", "²", "3 4"]),
    st.integers().filter(lambda i: not forms.INTENSITY_MIN <= i <= forms.INTENSITY_MAX).map(str),
)
BAD_CODES = st.one_of(
    st.just(""),
    st.from_regex(r"[0-9]{5,8}", fullmatch=True),
    st.sampled_from(["01-23", "Järfälla", "0x12", "²³", "12 3"]),
)
BAD_PERSON_CODES = st.one_of(
    st.just(""),
    st.from_regex(r"(19|20)[0-9]{6}-[0-9]{4}", fullmatch=True),  # a personnummer
    st.sampled_from(["Kalle Karlsson", "P-", "P-A", "P_AB12", "PAB12", "P-ÅÄÖ1", "P-AB-12"]),
)


def _bad_word(words: Mapping[str, str]) -> Strategy[str]:
    return st.text(TEXT, min_size=1, max_size=12).filter(
        lambda s: bool(s.strip()) and s.strip().casefold() not in words
    )


def _set(column: str, values: Strategy[str]) -> Breaker:
    return lambda draw, cells: {**cells, column: draw(values)}


def _too_long(column: str, limit: int) -> Breaker:
    return lambda draw, cells: {**cells, column: "Å" * (limit + 1 + draw(st.integers(0, 5)))}


def _ends_before_it_starts(draw: st.DrawFn, cells: Cells) -> Cells:
    start = draw(st.dates(min_value=date(1901, 1, 1), max_value=date(2100, 1, 1)))
    end = start - timedelta(days=draw(st.integers(1, 400)))
    return {**cells, "valid_from": start.isoformat(), "valid_to": end.isoformat()}


def _to_itself(draw: st.DrawFn, cells: Cells) -> Cells:
    return {**cells, "group_b": draw(spellings)(cells["group_a"])}


_CLAIM_BREAKERS: list[tuple[str, Breaker]] = [
    ("valid_from", _set("valid_from", BAD_DATES)),
    ("valid_to", _set("valid_to", BAD_DATES)),
    ("review_by", _set("review_by", BAD_DATES)),
    ("valid_to", _ends_before_it_starts),
    ("source", _too_long("source", forms.TEXT_MAX)),
    ("confidence", _set("confidence", _bad_word(forms.CONFIDENCE_WORDS))),
]
BREAKERS: dict[str, list[tuple[str, Breaker]]] = {
    GROUPS_FILE: [
        ("name", _set("name", st.sampled_from(["", "   "]))),
        ("name", _too_long("name", forms.NAME_MAX)),
        ("municipality_code", _set("municipality_code", BAD_CODES)),
        ("area", _too_long("area", forms.AREA_MAX)),
        ("status", _set("status", _bad_word(forms.STATUS_WORDS))),
        ("aliases", lambda draw, cells: {**cells, "aliases": "Kort;" + "Å" * 121}),
        ("notes", _too_long("notes", forms.TEXT_MAX)),
    ],
    MEMBERS_FILE: [
        ("person_code", _set("person_code", BAD_PERSON_CODES)),
        ("group_name", _set("group_name", st.sampled_from(["", " "]))),
        ("group_name", _too_long("group_name", forms.NAME_MAX)),
        ("role", _set("role", _bad_word(forms.ROLE_WORDS))),
        *_CLAIM_BREAKERS,
    ],
    RELATIONS_FILE: [
        ("group_a", _set("group_a", st.just(""))),
        ("group_b", _set("group_b", st.just(" "))),
        ("group_b", _to_itself),
        ("kind", _set("kind", _bad_word(forms.KIND_WORDS))),
        ("intensity", _set("intensity", BAD_INTENSITIES)),
        *_CLAIM_BREAKERS,
    ],
}


BREAKER_CHOICES = {file: st.sampled_from(breakers) for file, breakers in BREAKERS.items()}


@st.composite
def broken_files(draw: st.DrawFn, file: str, rows: list[Row]) -> tuple[bytes, bytes, int, str]:
    """A good file and the same file with one field of one row broken: (good, bad,
    line of the broken row, the broken field)."""
    header = draw(FULL_HEADERS[file])
    layout = draw(layouts)
    good, expected = write(file, header, rows, layout)
    index = draw(st.integers(0, len(rows) - 1))
    field, breaker = draw(BREAKER_CHOICES[file])
    broken = Row(breaker(draw, rows[index].cells), rows[index].expected)
    # A breaker may drop line breaks from a cell: the lines of later rows may move,
    # never the line the broken row starts on.
    bad, _ = write(file, header, [*rows[:index], broken, *rows[index + 1 :]], layout)
    return good, bad, expected[index].line, field


# --- the pure layer ---------------------------------------------------------------------

ANY_LOOKUPS = Lookups(
    municipalities={"0123": 1},
    known_municipality_codes=frozenset({"0123", "0180"}),
    existing_groups={"befintliga": 1},
    taken_names=frozenset({"befintliga"}),
    people={"P-AAAA": 1},
    can_write_groups=True,
    can_write_members=True,
    can_write_relations=True,
)


def assert_well_formed(files: Mapping[str, bytes | None], parsed: ParsedUpload) -> None:
    """Problems point into the files that were sent, with a sentence to act on, and a
    parsed row is valid exactly when no problem names its line."""
    for p in parsed.problems:
        assert p.file in FILES or (p.file == "" and not any(v is not None for v in files.values()))
        data = files.get(p.file) or b""
        assert 0 <= p.line <= data.count(b"\n") + data.count(b"\r") + 1
        assert p.field == "" or p.field in COLUMNS[p.file] or p.message.startswith("Okänd kolumn")
        assert p.message.endswith("."), p
    for file in FILES:
        lines_with_problems = {p.line for p in parsed.problems if p.file == file}
        for row in parsed_rows(parsed, file):
            assert row.valid is (row.line not in lines_with_problems), (file, row)
        assert len(parsed_rows(parsed, file)) <= parsed.rows.get(file, 0)
    plan, problems = check_upload(parsed, ANY_LOOKUPS)
    assert (plan is None) is bool(problems)


@settings(PURE, max_examples=300)
@given(st.dictionaries(st.sampled_from(FILES), st.binary(max_size=300) | st.none()))
def test_any_bytes_give_problems_not_exceptions(files: dict[str, bytes | None]) -> None:
    parsed = parse_upload(files)
    assert_well_formed(files, parsed)
    assert set(parsed.rows) == {file for file, data in files.items() if data is not None}
    if not parsed.rows:  # nothing sent: one problem that says so
        assert [(p.file, p.line) for p in parsed.problems] == [("", 0)]


# Everything that has ever tripped a CSV reader: quotes, delimiters, line breaks of
# every kind, NUL, byte order marks mid-file, digits that are not ASCII digits.
WEIRD = TEXT + '"\r\n\t\x00\ufeff\u2028\u0085²³١٣ 　'


@settings(PURE, max_examples=200)
@given(
    st.sampled_from(FILES),
    layouts,
    st.lists(st.lists(st.text(WEIRD, max_size=12), max_size=12), max_size=6),
)
def test_any_text_behind_a_real_header_gives_problems_not_exceptions(
    file: str, layout: Layout, rows: list[list[str]]
) -> None:
    lines = [layout.delimiter.join(COLUMNS[file])]
    lines += [layout.delimiter.join(cells) for cells in rows]  # not quoted: anything goes
    data = layout.eol.join(lines).encode()
    files = {file: codecs.BOM_UTF8 + data if layout.bom else data}
    parsed = parse_upload(files)
    assert_well_formed(files, parsed)


@settings(PURE, max_examples=75)
@given(st.data())
def test_rows_written_by_the_csv_module_read_back_the_same(data: st.DataObject) -> None:
    sent = data.draw(st.lists(st.sampled_from(FILES), min_size=1, unique=True))
    files: dict[str, bytes | None] = {}
    expected: dict[str, list[Any]] = {}
    for file in sent:
        rows = data.draw(ROWS[file])
        header = data.draw(HEADERS[file])
        files[file], expected[file] = write(file, header, rows, data.draw(layouts))
    parsed = parse_upload(files)
    assert parsed.problems == []
    assert parsed.rows == {file: len(expected[file]) for file in sent}
    for file in FILES:
        assert parsed_rows(parsed, file) == expected.get(file, [])


@PURE
@given(st.data())
def test_one_bad_field_is_reported_at_its_file_line_and_field_and_nothing_is_planned(
    data: st.DataObject,
) -> None:
    file = data.draw(st.sampled_from(FILES))
    rows = data.draw(ROWS[file])
    good, bad, line, field = data.draw(broken_files(file, rows))
    lookups = lookups_for(rows)

    plan, problems = check_upload(parse_upload({file: good}), lookups)
    assert problems == []
    assert plan is not None

    parsed = parse_upload({file: bad})
    assert where(parsed.problems) == {(file, line, field)}
    assert [r.line for r in parsed_rows(parsed, file) if not r.valid] == [line]
    plan, problems = check_upload(parsed, lookups)
    assert plan is None
    assert where(problems) == {(file, line, field)}


# Markers that stand for personal data: a personnummer or a full name.
secrets: Strategy[str] = st.one_of(
    st.from_regex(r"(19|20)[0-9]{6}-[0-9]{4}", fullmatch=True),
    st.from_regex(r"[A-ZÅÄÖ][a-zåäö]{3,8} [A-ZÅÄÖ][a-zåäö]{3,8}sson", fullmatch=True),
)


@settings(PURE, max_examples=50)
@given(st.data())
def test_no_message_echoes_a_cell(data: st.DataObject) -> None:
    """Every cell of one row holds a secret (once repeated past every length limit);
    whatever the rows do wrong, no problem carries a secret along."""
    file = data.draw(st.sampled_from(FILES))
    rows = data.draw(ROWS[file])
    header = data.draw(FULL_HEADERS[file])
    secret = {c: data.draw(secrets) for c in header}
    cells = dict(secret)
    long_column = data.draw(st.sampled_from(header))
    cells[long_column] = " ".join([secret[long_column]] * 400)
    index = data.draw(st.integers(0, len(rows)))
    raw, _ = write(file, header, [*rows[:index], Row(cells, {}), *rows[index:]], data.draw(layouts))
    parsed = parse_upload({file: raw})
    _, problems = check_upload(parsed, lookups_for(rows))
    assert problems  # the secret row is wrong somewhere
    for p in problems:
        for value in secret.values():
            assert value not in p.message, (p, value)
            assert value not in p.field, (p, value)


# --- through the service and the database -----------------------------------------------

_serial = itertools.count()


@pytest.fixture
async def world(db: None) -> World:
    return await build_world()


@WITH_DB
@given(data=st.data())
async def test_an_upload_with_one_bad_row_writes_nothing(world: World, data: st.DataObject) -> None:
    n = next(_serial)
    role = data.draw(st.sampled_from(["coordinator", "police"]))
    principal = Principal(
        user_id=world.user_ids[role],
        username=f"g-{role}",
        role=Role(role),
        municipality_ids=frozenset({world.own}),
    )
    if role == "coordinator":
        file = GROUPS_FILE
        fresh_names = names.map(lambda s: f"H{n} {s}")  # new in every example
        rows = data.draw(
            st.lists(
                group_rows(name=fresh_names, code=st.just("0123")),
                min_size=1,
                max_size=4,
                unique_by=_group_key,
            )
        )
    else:
        file = MEMBERS_FILE
        member = member_rows(
            code=st.just(world.person_own_code),
            group=st.sampled_from(["Egengänget", "Rivalerna"]),
        )
        rows = data.draw(st.lists(member, min_size=1, max_size=4, unique_by=_member_key))
    good, bad, line, field = data.draw(broken_files(file, rows))

    before = await counts()
    result = await services.import_group_audit(principal, {file: bad}, dry_run=False)
    assert (result.written, result.ok) == (False, False)
    assert (file, line, field) in where(result.problems)
    assert await counts() == before

    # The same upload without the bad row is written whole: the check above could fail.
    result = await services.import_group_audit(principal, {file: good}, dry_run=False)
    assert (result.written, result.problems) == (True, [])
    after = await counts()
    if file == GROUPS_FILE:
        assert after["groups"] == before["groups"] + len(rows)
        assert after["aliases"] == before["aliases"] + sum(len(r.expected["aliases"]) for r in rows)
    else:
        assert after["memberships"] == before["memberships"] + len(rows)
