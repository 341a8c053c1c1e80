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
