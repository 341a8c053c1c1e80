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
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
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
