"""Reading and checking a group audit uploaded as three CSV files.

Pure: the standard library, :mod:`gvi.core.tabular` and :mod:`gvi.groups.forms`
only, no Litestar, no Piccolo, so it can be unit-tested and fuzzed on its own.
The service layer does the database work around it:

1. :func:`parse_upload` reads the files through :mod:`gvi.core.tabular` (CSV in
   UTF-8, UTF-16 or Windows-1252, or an XLSX workbook; comma, semicolon or tab;
   English or Swedish headers), checks the header and every field it can check
   without the database, and returns typed rows plus a :class:`Problem` for
   every bad one.
2. The caller looks up what the rows refer to (municipality codes, group names,
   person codes) within the user's scope and passes it in as :class:`Lookups`.
3. :func:`check_upload` resolves the references and returns a :class:`Plan`
   only when the whole upload is valid; otherwise every problem, by file, line
   and field, in the order a person reads the files.

Messages never echo a cell: a name or a personnummer typed into the wrong
column must not travel further than the file it came in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from gvi.core import tabular
from gvi.core.forms import read_date
from gvi.core.tabular import Problem
from gvi.core.text import text_problem
from gvi.groups import forms
from gvi.groups.forms import form_message
from gvi.i18n import gettext

__all__ = ["Problem", "check_upload", "parse_upload"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

GROUPS_FILE = "groups.csv"
MEMBERS_FILE = "members.csv"
RELATIONS_FILE = "relations.csv"
FILES = (GROUPS_FILE, MEMBERS_FILE, RELATIONS_FILE)

COLUMNS: dict[str, tuple[str, ...]] = {
    GROUPS_FILE: ("name", "municipality_code", "area", "status", "aliases", "notes"),
    MEMBERS_FILE: (
        "person_code",
        "group_name",
        "role",
        "confidence",
        "valid_from",
        "valid_to",
        "source",
        "review_by",
    ),
    RELATIONS_FILE: (
        "group_a",
        "group_b",
        "kind",
        "intensity",
        "confidence",
        "valid_from",
        "valid_to",
        "source",
        "review_by",
    ),
}
# Optional columns may be left out of the header altogether.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    GROUPS_FILE: ("name", "municipality_code"),
    MEMBERS_FILE: ("person_code", "group_name", "role", "confidence"),
    RELATIONS_FILE: ("group_a", "group_b", "kind", "intensity", "confidence"),
}
_WHOLE_FILE = tabular.WHOLE_FILE

# Swedish headers beside the English ones (matched without case or accents).
_SWEDISH: dict[str, tuple[str, ...]] = {
    "name": ("namn", "gruppnamn"),
    "municipality_code": ("kommunkod", "kommun_kod"),
    "area": ("område", "omrade"),
    "status": (),
    "aliases": ("alias", "smeknamn"),
    "notes": ("anteckningar", "anteckning", "noteringar"),
    "person_code": ("personkod", "kod"),
    "group_name": ("grupp", "gruppens namn"),
    "role": ("roll",),
    "confidence": ("säkerhet", "tillförlitlighet"),
    "valid_from": ("giltig från", "från", "fr.o.m."),
    "valid_to": ("giltig till", "till", "t.o.m."),
    "source": ("källa",),
    "review_by": ("granska senast", "granskas senast"),
    "group_a": ("grupp a", "grupp 1"),
    "group_b": ("grupp b", "grupp 2"),
    "kind": ("typ", "slag"),
    "intensity": ("intensitet", "styrka"),
}
COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    file: {column: _SWEDISH.get(column, ()) for column in columns}
    for file, columns in COLUMNS.items()
}


@dataclass(frozen=True)
class GroupRow:
    """A row of groups.csv. A row with problems (``valid`` False) keeps its name only,
    so duplicates and references are still checked against it."""

    line: int
    valid: bool
    name: str
    municipality_code: str
    area: str
    status: str
    aliases: tuple[str, ...]
    notes: str


@dataclass(frozen=True)
class MemberRow:
    line: int
    valid: bool
    person_code: str
    group_name: str
    role: str
    confidence: str
    valid_from: date | None
    valid_to: date | None
    source: str
    review_by: date | None


@dataclass(frozen=True)
class RelationRow:
    line: int
    valid: bool
    group_a: str
    group_b: str
    kind: str
    intensity: int
    confidence: str
    valid_from: date | None
    valid_to: date | None
    source: str
    review_by: date | None


@dataclass
class ParsedUpload:
    groups: list[GroupRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    relations: list[RelationRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Files that were sent, and how many data rows each had (bad ones included).
    rows: dict[str, int] = field(default_factory=dict)
    # The encoding each file was read in ("UTF-8", "Windows-1252", "XLSX", …).
    encodings: dict[str, str] = field(default_factory=dict)
    # Group names declared in groups.csv (casefolded), also from rows with other errors,
    # so a reference to them is not reported a second time.
    declared_groups: set[str] = field(default_factory=set)

    @property
    def person_codes(self) -> set[str]:
        return {m.person_code for m in self.members if m.valid}

    @property
    def municipality_codes(self) -> set[str]:
        return {g.municipality_code for g in self.groups if g.valid}


@dataclass(frozen=True)
class Lookups:
    """What the rows refer to, as the user may see it."""

    municipalities: Mapping[str, int]  # kommunkod → id, municipalities in the user's scope
    known_municipality_codes: frozenset[str]  # every kommunkod, to tell "unknown" from "not yours"
    existing_groups: Mapping[str, int]  # casefolded name → id, unarchived groups in scope
    taken_names: frozenset[str]  # casefolded names of every group: names are unique
    people: Mapping[str, int]  # person code → id, people in scope
    can_write_groups: bool
    can_write_members: bool
    can_write_relations: bool


@dataclass(frozen=True)
class GroupRef:
    """A group in the plan: a new one (index into ``Plan.groups``) or an existing id."""

    new: int | None = None
    existing: int | None = None


@dataclass(frozen=True)
class NewGroup:
    name: str
    municipality_id: int
    area: str
    status: str
    aliases: tuple[str, ...]
    notes: str


@dataclass(frozen=True)
class NewMembership:
    person_id: int
    group: GroupRef
    role: str
    confidence: str
    valid_from: date | None
    valid_to: date | None
    source: str
    review_by: date | None


@dataclass(frozen=True)
class NewRelation:
    group_a: GroupRef
    group_b: GroupRef
    kind: str
    intensity: int
    confidence: str
    valid_from: date | None
    valid_to: date | None
    source: str
    review_by: date | None


@dataclass(frozen=True)
class Plan:
    groups: list[NewGroup]
    memberships: list[NewMembership]
    relations: list[NewRelation]

    @property
    def alias_count(self) -> int:
        return sum(len(g.aliases) for g in self.groups)


# --- reading the files ---------------------------------------------------------------


class _Row:
    """One data row's cells by column name, and the problems found in it."""

    def __init__(self, file: str, line: int, cells: dict[str, str], problems: list[Problem]):
        self.file = file
        self.line = line
        self.cells = cells
        self.problems = problems
        self.bad = False

    def problem(self, column: str, message: str) -> None:
        self.bad = True
        self.problems.append(Problem(self.file, self.line, column, message))

    def clean(self, column: str, raw: str, *, free_text: bool) -> str:
        """*raw* if it holds no control characters (gvi.core.text), else "" and a problem."""
        problem = text_problem(raw, free_text=free_text)
        if problem is None:
            return raw
        self.problem(column, gettext(problem) % {"field": column})
        return ""

    def text(self, column: str, *, limit: int, message: str, required: str = "") -> str:
        # Tabs and line breaks inside a one-line cell become spaces, as before.
        raw = " ".join(self.cells.get(column, "").split())
        value = self.clean(column, raw, free_text=False)
        if value != raw:
            return value  # reported
        if not value and required:
            self.problem(column, required)
        elif len(value) > limit:
            self.problem(column, message)
        return value

    def free_text(self, column: str) -> str:
        # Line breaks in notes and sources are kept; only the ends are trimmed.
        value = self.clean(column, self.cells.get(column, "").strip(), free_text=True)
        if len(value) > forms.TEXT_MAX:
            self.problem(column, form_message("text_long"))
        return value

    def choice(self, column: str, words: dict[str, str], message: str, default: str = "") -> str:
        raw = self.cells.get(column, "").strip()
        if not raw and default:
            return default
        value = forms.word(raw, words)
        if value is None:
            self.problem(column, message)
            return ""
        return value

    def day(self, column: str) -> date | None:
        errors: dict[str, str] = {}
        value = read_date(self.cells.get(column, ""), column, errors, required=False)
        if errors:
            self.problem(column, form_message("date"))
        return value

    def dates(self) -> tuple[date | None, date | None, date | None]:
        valid_from, valid_to = self.day("valid_from"), self.day("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.problem("valid_to", form_message("dates_order"))
        return valid_from, valid_to, self.day("review_by")


def _read_file(file: str, data: bytes, parsed: ParsedUpload) -> Iterator[_Row]:
    """The data rows of one file (CSV or a workbook's first sheet), after the
    file-level checks; problems go to *parsed*."""
    problems = parsed.problems
    parsed.rows[file] = 0
    if len(data) > MAX_FILE_BYTES:
        problems.append(tabular.too_big(file, MAX_FILE_BYTES))
        return
    columns = COLUMN_ALIASES[file]
    read = tabular.records_of(file, data, tabular.alias_index(columns), problems)
    if read is None:
        return  # unreadable (reported)
    records, encoding = read
    parsed.encodings[file] = encoding
    table = tabular.read_table(
        file,
        records,
        columns,
        REQUIRED_COLUMNS[file],
        problems,
        encoding=encoding,
        max_rows=MAX_ROWS,
    )
    if not table.header:
        return  # empty, or a bad header (reported)
    parsed.rows[file] = table.count
    for line, cells in table.rows:
        yield _Row(file, line, cells, problems)


def _group_rows(data: bytes, parsed: ParsedUpload) -> None:
    for row in _read_file(GROUPS_FILE, data, parsed):
        name = row.text(
            "name",
            limit=forms.NAME_MAX,
            message=form_message("name_long"),
            required=form_message("name"),
        )
        if name:
            parsed.declared_groups.add(name.casefold())
        raw_code = row.cells.get("municipality_code", "").strip()
        # Excel drops the leading zero of 0123; kommunkoder always have four digits.
        code = (
            raw_code.zfill(4)
            if raw_code.isascii() and raw_code.isdigit() and len(raw_code) <= 4
            else ""
        )
        if not code:
            row.problem(
                "municipality_code",
                gettext("Ange kommunkoden med fyra siffror, till exempel 0123 (SCB:s kommunkod)."),
            )
        area = row.text("area", limit=forms.AREA_MAX, message=form_message("area_long"))
        status = row.choice("status", forms.STATUS_WORDS, form_message("status"), default="active")
        aliases = forms.split_aliases(row.cells.get("aliases", ""))
        if any(len(alias) > forms.ALIAS_MAX for alias in aliases):
            row.problem("aliases", form_message("alias_long"))
        notes = row.free_text("notes")
        if row.bad:
            parsed.groups.append(GroupRow(row.line, False, name, "", "", "", (), ""))
        else:
            parsed.groups.append(
                GroupRow(row.line, True, name, code, area, status, tuple(aliases), notes)
            )


def _member_rows(data: bytes, parsed: ParsedUpload) -> None:
    for row in _read_file(MEMBERS_FILE, data, parsed):
        raw_code = row.cells.get("person_code", "")
        code = forms.clean_code(raw_code)
        if not raw_code.strip():
            row.problem("person_code", gettext("Ange personens kod, till exempel P-7Q4K."))
        elif code is None:
            row.problem("person_code", form_message("person_code"))
        group = row.text(
            "group_name",
            limit=forms.NAME_MAX,
            message=form_message("name_long"),
            required=gettext("Ange gruppens namn."),
        )
        role = row.choice("role", forms.ROLE_WORDS, form_message("role"))
        confidence = row.choice("confidence", forms.CONFIDENCE_WORDS, form_message("confidence"))
        valid_from, valid_to, review_by = row.dates()
        source = row.free_text("source")
        if row.bad or code is None:
            parsed.members.append(
                MemberRow(row.line, False, "", group, "", "", None, None, "", None)
            )
        else:
            parsed.members.append(
                MemberRow(
                    row.line,
                    True,
                    code,
                    group,
                    role,
                    confidence,
                    valid_from,
                    valid_to,
                    source,
                    review_by,
                )
            )


def _relation_rows(data: bytes, parsed: ParsedUpload) -> None:
    for row in _read_file(RELATIONS_FILE, data, parsed):
        group_a = row.text(
            "group_a",
            limit=forms.NAME_MAX,
            message=form_message("name_long"),
            required=gettext("Ange den första gruppens namn."),
        )
        group_b = row.text(
            "group_b",
            limit=forms.NAME_MAX,
            message=form_message("name_long"),
            required=gettext("Ange den andra gruppens namn."),
        )
        if group_a and group_b and group_a.casefold() == group_b.casefold():
            row.problem("group_b", form_message("self_relation"))
        kind = row.choice("kind", forms.KIND_WORDS, form_message("kind"))
        intensity = 0
        raw = row.cells.get("intensity", "").strip()
        # isascii: "²" is a digit to str.isdigit() but not to int().
        if (
            raw.isascii()
            and raw.isdigit()
            and forms.INTENSITY_MIN <= int(raw) <= forms.INTENSITY_MAX
        ):
            intensity = int(raw)
        else:
            row.problem("intensity", form_message("intensity"))
        confidence = row.choice("confidence", forms.CONFIDENCE_WORDS, form_message("confidence"))
        valid_from, valid_to, review_by = row.dates()
        source = row.free_text("source")
        if row.bad:
            parsed.relations.append(
                RelationRow(row.line, False, group_a, group_b, "", 0, "", None, None, "", None)
            )
        else:
            parsed.relations.append(
                RelationRow(
                    row.line,
                    True,
                    group_a,
                    group_b,
                    kind,
                    intensity,
                    confidence,
                    valid_from,
                    valid_to,
                    source,
                    review_by,
                )
            )


def parse_upload(files: Mapping[str, bytes | None]) -> ParsedUpload:
    """Read the files that were sent (``None`` or missing: not sent)."""
    parsed = ParsedUpload()
    readers = {
        GROUPS_FILE: _group_rows,
        MEMBERS_FILE: _member_rows,
        RELATIONS_FILE: _relation_rows,
    }
    for file in FILES:
        data = files.get(file)
        if data is not None:
            readers[file](data, parsed)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(
            Problem(
                "",
                _WHOLE_FILE,
                "",
                gettext("Välj minst en fil: groups.csv, members.csv eller relations.csv."),
            )
        )
    return parsed


# --- checking what the rows refer to ------------------------------------------------


def _permission_problems(parsed: ParsedUpload, lookups: Lookups) -> list[Problem]:
    problems = []
    for file, allowed, message in (
        (
            GROUPS_FILE,
            lookups.can_write_groups,
            gettext("Din roll får inte lägga upp grupper. Be en samordnare importera groups.csv."),
        ),
        (
            MEMBERS_FILE,
            lookups.can_write_members,
            gettext("Din roll får inte registrera medlemskap. Be polisen importera members.csv."),
        ),
        (
            RELATIONS_FILE,
            lookups.can_write_relations,
            gettext("Din roll får inte registrera relationer. Be polisen importera relations.csv."),
        ),
    ):
        if parsed.rows.get(file) and not allowed:
            problems.append(Problem(file, _WHOLE_FILE, "", message))
    return problems


def check_upload(parsed: ParsedUpload, lookups: Lookups) -> tuple[Plan | None, list[Problem]]:
    """Every problem in the upload; a plan only when there are none."""
    problems = list(parsed.problems) + _permission_problems(parsed, lookups)

    def add(file: str, line: int, column: str, message: str) -> None:
        problems.append(Problem(file, line, column, message))

    # groups.csv: new names must be free, once each; municipalities in scope.
    new_groups: list[NewGroup] = []
    new_index: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for g in parsed.groups:
        key = g.name.casefold()
        if not key:
            continue  # a missing name is reported already
        if key in first_line:
            add(
                GROUPS_FILE,
                g.line,
                "name",
                gettext("Gruppen står redan på rad %(n)s i groups.csv. Ta bort den ena raden.")
                % {"n": first_line[key]},
            )
            continue
        first_line[key] = g.line
        if key in lookups.existing_groups:
            add(
                GROUPS_FILE,
                g.line,
                "name",
                gettext(
                    "Gruppen finns redan. Ta bort raden; members.csv och relations.csv kan "
                    "hänvisa till gruppen med dess namn ändå."
                ),
            )
            continue
        if key in lookups.taken_names:
            add(
                GROUPS_FILE,
                g.line,
                "name",
                gettext("Namnet är upptaget av en annan grupp. Välj ett annat."),
            )
            continue
        if not g.valid:
            continue
        municipality_id = lookups.municipalities.get(g.municipality_code)
        if municipality_id is None:
            if g.municipality_code in lookups.known_municipality_codes:
                message = gettext(
                    "Kommunen ingår inte i de kommuner du arbetar med. "
                    "Be en administratör om behörighet, eller ta bort raden."
                )
            else:
                message = gettext(
                    "Det finns ingen kommun med den koden. Kontrollera SCB:s kommunkod."
                )
            add(GROUPS_FILE, g.line, "municipality_code", message)
            continue
        new_index[key] = len(new_groups)
        new_groups.append(NewGroup(g.name, municipality_id, g.area, g.status, g.aliases, g.notes))

    def resolve(name: str, file: str, line: int, column: str) -> GroupRef | None:
        key = name.casefold()
        if key in new_index:
            return GroupRef(new=new_index[key])
        if key in lookups.existing_groups:
            return GroupRef(existing=lookups.existing_groups[key])
        if key not in parsed.declared_groups:
            # Declared in groups.csv but with its own problem: reported there already.
            add(
                file,
                line,
                column,
                gettext(
                    "Gruppen finns varken i groups.csv eller bland grupperna i dina kommuner. "
                    "Kontrollera stavningen."
                ),
            )
        return None

    memberships: list[NewMembership] = []
    seen_members: dict[tuple[str, str, date | None], int] = {}
    for m in parsed.members:
        group = resolve(m.group_name, MEMBERS_FILE, m.line, "group_name") if m.group_name else None
        if not m.valid:  # reported already
            continue
        person_id = lookups.people.get(m.person_code)
        if person_id is None:
            add(
                MEMBERS_FILE,
                m.line,
                "person_code",
                gettext(
                    "Ingen person med den koden finns i dina kommuner. Kontrollera koden, eller "
                    "lägg upp personen först."
                ),
            )
        member_key = (m.person_code, m.group_name.casefold(), m.valid_from)
        if member_key in seen_members:
            add(
                MEMBERS_FILE,
                m.line,
                "person_code",
                gettext("Samma person, grupp och startdatum står redan på rad %(n)s.")
                % {"n": seen_members[member_key]},
            )
            continue
        seen_members[member_key] = m.line
        if person_id is not None and group is not None:
            memberships.append(
                NewMembership(
                    person_id,
                    group,
                    m.role,
                    m.confidence,
                    m.valid_from,
                    m.valid_to,
                    m.source,
                    m.review_by,
                )
            )

    relations: list[NewRelation] = []
    seen_relations: dict[tuple[str, str, str, date | None], int] = {}
    for r in parsed.relations:
        a = resolve(r.group_a, RELATIONS_FILE, r.line, "group_a") if r.group_a else None
        b = resolve(r.group_b, RELATIONS_FILE, r.line, "group_b") if r.group_b else None
        if not r.valid:
            continue
        ends = [r.group_a.casefold(), r.group_b.casefold()]
        if r.kind not in forms.DIRECTED_KINDS:
            ends.sort()
        rkey = (ends[0], ends[1], r.kind, r.valid_from)
        if rkey in seen_relations:
            add(
                RELATIONS_FILE,
                r.line,
                "group_a",
                gettext("Samma relation med samma startdatum står redan på rad %(n)s.")
                % {"n": seen_relations[rkey]},
            )
            continue
        seen_relations[rkey] = r.line
        if a is not None and b is not None:
            relations.append(
                NewRelation(
                    a,
                    b,
                    r.kind,
                    r.intensity,
                    r.confidence,
                    r.valid_from,
                    r.valid_to,
                    r.source,
                    r.review_by,
                )
            )

    problems = sort_problems(problems)
    if problems:
        return None, problems
    return Plan(new_groups, memberships, relations), []


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """In reading order: upload-level first, then file by file, line by line, column
    by column as the header lists them."""
    order = {file: i for i, file in enumerate(FILES)}

    def key(p: Problem) -> tuple[int, int, int, str, str]:
        columns = COLUMNS.get(p.file, ())
        column = columns.index(p.field) if p.field in columns else len(columns)
        return (order.get(p.file, -1), p.line, column, p.field, p.message)

    return sorted(set(problems), key=key)
