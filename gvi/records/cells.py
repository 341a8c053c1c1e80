"""Reading one cell of an import: the rules every reader of
:mod:`gvi.records.importer` applies to a cell (control characters, lengths,
coded values, dates, amounts, person codes, kommunkoder) and to the list cells
(status history, consents, needs, grants, follow-ups).

Pure (the standard library and :mod:`gvi.core`); no message ever quotes a cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Generic, TypeVar

from gvi.core import tabular
from gvi.core.tabular import Problem
from gvi.core.text import FREE_TEXT_FIELDS, all_clean, text_problem
from gvi.i18n import N_, gettext
from gvi.records.columns import _NO, _W, _YES, REF_MAX, TEXT_MAX
from gvi.records.rows import FollowUp, Grant

T = TypeVar("T")

# Lists may put one item on each line (README: Import).
MULTI_LINE_COLUMNS = frozenset({"status_history", "consents", "needs", "grants", "follow_ups"})


# Whitespace right after a NUL (``\s`` is what ``str.strip()`` removes). In the cells of
# a file joined by NUL (which no clean cell holds), searched forwards and backwards, it
# finds a cell that begins or ends with whitespace; a literal first, so the search is fast.
_SPACE_AFTER_NUL = re.compile(r"\x00\s")


def file_state(rows: Iterable[tuple[int, dict[str, str]]]) -> tuple[bool, bool]:
    """Whether no cell of the file holds anything :func:`text_problem` would
    refuse, even in a one-line field (one search over the whole file, so that in
    the usual file no row needs its own: :class:`Cells` searches a row otherwise),
    and whether, besides, every cell is stripped already (no leading or trailing
    whitespace): then no row strips its cells one by one."""
    values = list(chain.from_iterable(map(dict.values, map(itemgetter(1), rows))))
    if not all_clean(values):
        return False, False
    joined = "\x00" + "\x00".join(values) + "\x00"
    search = _SPACE_AFTER_NUL.search
    return True, search(joined) is None and search(joined[::-1]) is None


class Cells:
    """One data row's cells by column, and the problems found in it.

    ``blank`` maps every column of the kind to "": a reader asks for each of its
    columns (some thirty for a case), most of them absent from a given file."""

    __slots__ = ("_refused", "bad", "cells", "file", "line", "problems", "raw")

    def __init__(
        self,
        file: str,
        line: int,
        cells: dict[str, str],
        problems: list[Problem],
        blank: dict[str, str],
        *,
        clean: bool = False,
        stripped: bool = False,
    ) -> None:
        self.file = file
        self.line = line
        self.cells = cells
        self.problems = problems
        self.bad = False
        self._refused: set[str] = set()
        self.raw: Callable[[str], str]
        # Most rows hold no control character, tab or line break in any cell: one
        # search over the row, then each cell is asked about only when one is found.
        if stripped:
            # A clean file whose cells have no space to strip (file_state): the row
            # laid over the blanks, in C.
            self.raw = (blank | cells).__getitem__
        elif clean or all_clean(cells.values()):
            # Such a row's cells are stripped once, and each is read with one
            # dictionary lookup in C (the reader asks 340,000 times for 10,000 cases).
            full = blank.copy()
            full.update(zip(cells, map(str.strip, cells.values()), strict=True))
            self.raw = full.__getitem__
        else:
            self.raw = self._checked

    def problem(self, column: str, message: str) -> None:
        self.bad = True
        self.problems.append(Problem(self.file, self.line, column, message))

    def _checked(self, column: str) -> str:
        """The cell, or "" (and one problem) when it holds control characters
        (gvi.core.text: the rule of every form field); line breaks only in free
        text and in lists, which may put an item on each line."""
        value = self.cells.get(column, "").strip()
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
        value = words.get(raw) or lookup(words, raw)  # as in read_history
        if value is None:
            self.problem(column, choice_message(words))
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


def lookup(words: Mapping[str, str], raw: str) -> str | None:
    """The code for a typed value: most are typed as the code or the label, so the
    full fold (accents, spaces) is the last resort."""
    found = words.get(raw) or words.get(raw.strip().casefold())
    return found if found is not None else words.get(tabular.fold(raw))


def choice_message(words: Mapping[str, str]) -> str:
    codes = sorted(set(words.values()))
    return (
        gettext("Okänt värde. Tillåtna värden är: ")
        + ", ".join(codes)
        + gettext(" (eller deras svenska benämningar i mallen).")
    )


@lru_cache(maxsize=16_384)
def parse_day(text: str) -> date | None:
    # Remembered: an import repeats a few thousand days in tens of thousands of cells.
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


def municipality_code(row: Cells, *, required: bool) -> str:
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


def read_items(row: Cells, column: str) -> list[list[str]]:
    """``a:b/c; d:e`` → [["a", "b", "c"], ["d", "e"]]; empty items are dropped."""
    text = row.raw(column)
    if not text:
        return []
    if "\n" in text:
        text = text.replace("\n", ";")
    out = []
    for item in text.split(";"):
        head, sep, rest = item.partition(":")
        if not sep:
            head = head.strip()
            if head:  # an empty item ("a:1;;b:2", a trailing ";") is dropped
                out.append([head])
        elif "/" in rest:
            out.append([head.strip(), *map(str.strip, rest.split("/"))])
        else:
            out.append([head.strip(), rest.strip()])  # the usual "key:date"
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


def list_problem(row: Cells, column: str, why: str = "") -> None:
    row.problem(column, (why + " " if why else "") + gettext(_LIST_HELP[column]))


class Remembered(Generic[T]):
    """A list cell's reader, remembered by the cell's text over the rows of one file:
    the same consents, needs and histories recur row after row, and reading one
    (splitting, looking up each code, parsing each day) costs more than looking
    it up (as pandas' ``to_datetime(cache=True)`` does for repeated dates).

    ``Remembered(column, read)(row, *args)`` is ``read(row, *args)`` for a reader
    of *column* whose other arguments are the same on every row of the file.
    Only a reading that found no problem is remembered, so a bad cell is read
    (and reported) on each of its rows. The reading is a tuple, the same one for
    every row with that text (nothing copied per row: it is never changed)."""

    __slots__ = ("_column", "_read", "_seen")

    def __init__(self, column: str, read: Callable[..., list[T]]) -> None:
        self._column, self._read = column, read
        self._seen: dict[str, tuple[T, ...]] = {}

    def __call__(self, row: Cells, *args: object) -> tuple[T, ...]:
        text = row.raw(self._column)
        seen = self._seen.get(text) if text else None
        if seen is not None:
            return seen
        before = len(row.problems)
        out = tuple(self._read(row, *args))
        if text and len(row.problems) == before:
            self._seen[text] = out
        return out


def read_history(
    row: Cells,
    words: Mapping[str, str],
    today: date,
    steps: dict[str, tuple[str, date]] | None = None,
) -> list[tuple[str, date]]:
    """The status history ``status:date; …`` as (status, day), oldest first.

    *steps*, kept by the caller over the rows of one file, remembers each valid
    step by its text (``contact:2024-01-10``): a file's histories are mostly
    distinct, but their steps recur (a few hundred days), so a history whose
    every step is remembered and in order is read with a split and a lookup per
    step. Anything else (a new step, an empty item, a step out of order, a list
    on several lines) is read in full below, problems and all, and its valid
    steps are remembered."""
    if steps is not None:
        text = row.raw("status_history")
        out: list[tuple[str, date]] = []
        for item in text.split(";") if text and "\n" not in text else ():
            step = steps.get(item)
            if step is None or (out and step[1] < out[-1][1]):
                break
            out.append(step)
        else:
            if out:
                return out
    out = []
    for parts in read_items(row, "status_history"):
        # The code as typed first, in C; the rest of lookup() only when it is not.
        status = words.get(parts[0]) or lookup(words, parts[0])
        when = parse_day(parts[1]) if len(parts) == 2 else None
        if status is None or when is None:
            list_problem(row, "status_history", choice_message(words) if status is None else "")
            return []
        if when > today:
            list_problem(row, "status_history", gettext("Datumet kan inte ligga i framtiden."))
            return []
        if out and when < out[-1][1]:
            list_problem(
                row, "status_history", gettext("Statusarna ska stå i tidsordning, äldst först.")
            )
            return []
        out.append((status, when))
    if steps is not None and out:
        _remember_steps(row.raw("status_history"), words, today, steps)
    return out


def _remember_steps(
    text: str, words: Mapping[str, str], today: date, steps: dict[str, tuple[str, date]]
) -> None:
    """Each item of a history read without a problem, as :func:`read_history` reads
    it, by its text: one ``status:date`` (no further values), the status known,
    the day neither malformed nor in the future."""
    if "\n" in text:
        return  # a list on several lines: its items are not the text between ";"
    for item in text.split(";"):
        head, sep, rest = item.partition(":")
        if not sep or "/" in rest:
            continue
        status = words.get(head.strip()) or lookup(words, head.strip())
        when = parse_day(rest.strip())
        if status is not None and when is not None and when <= today:
            steps[item] = (status, when)


def read_dated(
    row: Cells,
    column: str,
    words: Mapping[str, str],
    today: date,
    make: Callable[[str, date, date | None], T],
) -> list[T]:
    """The items of a dated list, each as ``make(key, first, second)`` (the row
    type itself: no tuple built and copied per item)."""
    out: list[T] = []
    for parts in read_items(row, column):
        key = words.get(parts[0]) or lookup(words, parts[0])  # as in read_history
        first = parse_day(parts[1]) if len(parts) >= 2 else None
        second = parse_day(parts[2]) if len(parts) == 3 and parts[2] else None
        if (
            key is None
            or first is None
            or len(parts) > 3
            or (len(parts) == 3 and parts[2] and second is None)
        ):
            list_problem(row, column, choice_message(words) if key is None else "")
            return []
        if first > today or (second and second > today):
            list_problem(row, column, gettext("Datumet kan inte ligga i framtiden."))
            return []
        if second and second < first:
            list_problem(row, column, gettext("Det andra datumet kan inte ligga före det första."))
            return []
        out.append(make(key, first, second))
    return out


def read_grants(row: Cells, today: date) -> list[Grant]:
    out = []
    for parts in read_items(row, "grants"):
        # "2024-03-01/150000/…" has no "key:" head: the date is the head.
        fields = "/".join(parts).split("/")
        applied = parse_day(fields[0])
        amount = parse_amount(fields[1]) if len(fields) > 1 else None
        decision = lookup(_W["decision"], (fields[2])) if len(fields) > 2 else "pending"
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
            list_problem(row, "grants")
            return []
        if applied > today or (decided and (decided > today or decided < applied)):
            list_problem(
                row,
                "grants",
                gettext("Kontrollera datumen: inte i framtiden och beslutet inte före ansökan."),
            )
            return []
        out.append(Grant(applied, amount, decision, decided, granted))
    return out


def read_follow_ups(row: Cells, today: date) -> list[FollowUp]:
    out = []
    for parts in read_items(row, "follow_ups"):
        phase = lookup(_W["phase"], (parts[0]))
        on = parse_day(parts[1]) if len(parts) >= 2 else None
        levels = [lookup(_W["level"], (p)) for p in parts[2:]]
        if phase is None or on is None or len(levels) > 5 or None in levels:
            list_problem(row, "follow_ups")
            return []
        if on > today:
            list_problem(row, "follow_ups", gettext("Datumet kan inte ligga i framtiden."))
            return []
        padded = [lv for lv in levels if lv is not None] + ["unknown"] * (5 - len(levels))
        out.append(FollowUp(phase, on, (padded[0], padded[1], padded[2], padded[3], padded[4])))
    return out
