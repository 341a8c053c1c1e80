"""The JSON shapes of the record import API."""

from __future__ import annotations

import msgspec


class RecordProblemOut(msgspec.Struct):
    file: str
    line: int  # 0: the file as a whole
    field: str  # the column's canonical (English) name, or empty
    message: str


class ActionCountsOut(msgspec.Struct):
    create: int
    update: int
    skip: int


class RecordImportOut(msgspec.Struct):
    """``written``: whether anything was saved (only a valid upload without dry run).
    ``counts`` per kind (people, cases, offers): rows to create, update, skip."""

    dry_run: bool
    valid: bool
    written: bool
    counts: dict[str, ActionCountsOut]
    rows: dict[str, int]
    encodings: dict[str, str]
    problems: list[RecordProblemOut]


class ImportJobOut(msgspec.Struct):
    """A background import. ``progress`` 0–100; ``result`` when done."""

    id: int
    status: str
    status_label: str
    dry_run: bool
    progress: int
    message: str
    done: bool
    result: RecordImportOut | None = None
