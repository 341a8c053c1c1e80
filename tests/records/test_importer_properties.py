"""Properties of the record reader and checker: whatever the cells hold, reading
never fails and no problem quotes a cell (a name typed into the wrong column
must not travel further than the file)."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from gvi.records import importer
from gvi.records.columns import COLUMNS, KINDS

MARK = "Qz"  # in every cell; never in a message (no message has this letter pair)
cell = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=12,
).map(lambda text: MARK + text)


@st.composite
def upload(draw: st.DrawFn) -> dict[str, tuple[str, bytes] | None]:
    files: dict[str, tuple[str, bytes] | None] = {}
    for kind in KINDS:
        columns = list(COLUMNS[kind])
        headed = draw(st.booleans())
        rows = draw(st.lists(st.lists(cell, min_size=1, max_size=len(columns) + 2), max_size=4))
        out = io.StringIO()
        writer = csv.writer(out)
        if headed:
            writer.writerow(columns)
        writer.writerows(rows)
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
        files[kind] = (kind, out.getvalue().encode(encoding, errors="replace"))
    return files


@settings(max_examples=60, deadline=None)
@given(upload())
def test_reading_never_fails_and_never_quotes_a_cell(
    files: dict[str, tuple[str, bytes] | None],
) -> None:
    parsed = importer.parse_upload(files, today=date(2026, 12, 1))
    for problem in parsed.problems:
        assert MARK not in problem.message
        assert MARK not in problem.field
        assert MARK.casefold() not in problem.field


word = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    max_size=6,
)
space = st.sampled_from(["", " ", "\u00a0", "\u2003", "\u3000"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(space, word, space), min_size=1, max_size=12))
def test_a_row_reads_its_cells_stripped_whether_or_not_the_file_needs_it(
    parts: list[tuple[str, str, str]],
) -> None:
    # file_state lets a file whose cells hold no edge whitespace skip the per-row
    # strip: a row must read the same cells either way.
    from gvi.records.cells import Cells, file_state

    columns = [f"c{i}" for i in range(len(parts))]
    cells = {c: a + w + b for c, (a, w, b) in zip(columns, parts, strict=True)}
    blank = dict.fromkeys([*columns, "other"], "")
    clean, stripped = file_state([(2, cells)])
    assert stripped == (clean and all(v == v.strip() for v in cells.values()))
    fast = Cells("f", 2, cells, [], blank, clean=clean, stripped=stripped)
    slow = Cells("f", 2, cells, [], blank)
    for column in [*columns, "other"]:
        assert fast.raw(column) == slow.raw(column) == cells.get(column, "").strip()


# Good and bad list cells, so rows of one file repeat some of each.
list_cells = st.sampled_from(
    [
        "",
        "police:2024-02-01",
        "police:2024-02-01; school:2024-03-01/2024-06-01",
        "police:2099-01-01",  # in the future
        "polis:2024-02-01",  # the Swedish label
        "nobody:2024-02-01",  # no such agency
        "police:2024-05-01/2024-04-01",  # withdrawn before given
    ]
)
need_cells = st.sampled_from(["", "housing:2024-01-15", "housing:2024-01-15/2024-06-01", "x:1"])
history_cells = st.sampled_from(
    [
        "contact:2024-01-10",
        "contact:2024-01-10; motivation_assessment:2024-02-01",
        "contact:2024-01-10; closed:2024-01-01",  # out of order
        "motivation_assessment:2024-01-10",  # does not begin with contact
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(history_cells, list_cells, need_cells), min_size=1, max_size=8))
def test_a_repeated_list_cell_reads_as_it_does_alone(
    rows: list[tuple[str, str, str]],
) -> None:
    # List cells are remembered by their text over one file (cells.Remembered):
    # each row must read, and be reported, exactly as it would in a file of its own.
    header = (
        "external_ref,person_ref,unit,caseworker,opened_on,status_history,referral_source,"
        "consents,needs"
    )

    def file(lines: list[str]) -> dict[str, tuple[str, bytes] | None]:
        text = "\n".join([header, *lines]) + "\n"
        return {"people": None, "cases": ("arenden.csv", text.encode()), "offers": None}

    def line(i: int, history: str, consents: str, needs: str) -> str:
        return f'A{i},P{i},Enheten,hand,2024-01-10,"{history}",police,"{consents}","{needs}"'

    day = date(2026, 12, 1)
    together = importer.parse_upload(file([line(i, *row) for i, row in enumerate(rows)]), today=day)
    for i, row in enumerate(rows):
        alone = importer.parse_upload(file([line(i, *row)]), today=day)
        assert together.cases[i]._replace(line=2) == alone.cases[0]
        mine = [(p.field, p.message) for p in together.problems if p.line == i + 2]
        assert mine == [(p.field, p.message) for p in alone.problems]
