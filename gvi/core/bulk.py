"""Bulk inserts with explicit ids on the open transaction's own connection.

Piccolo's ``Table.insert(*rows)`` builds a query object per row: for the record
import's 70,000 rows that was 20 s of the 22 s (``make bench``). Here rows are
tuples in a named column order (every other column takes its default), written
with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) per chunk, the way
``seeds/national.py`` loads the national set (with this writer).

Ids are allocated here, above the table's current maximum and (PostgreSQL) its
sequence, which is moved past the block at once (sequences are not
transactional), so later inserts through the ORM do not collide. Call it only
inside :func:`gvi.db.write_transaction`: on SQLite the immediate transaction
keeps every other writer out while the block is chosen.

Every block can be reserved up front (:meth:`BulkWriter.reserve_blocks`), one
query per table instead of one per batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from typing import Any

from piccolo.columns import Boolean, Date, Timestamptz
from piccolo.columns.defaults.base import Default
from piccolo.table import Table

# Rows per statement; the writer reports progress after each (a bar that moves).
_CHUNK = 5_000

Written = Callable[[int], Awaitable[None]]  # told how many rows were just written

# A boolean as SQLite stores it (None stays None). The sqlite3 module binds an int at
# once but looks a bool up among the registered adapters first: for the import's
# 40,000 booleans that lookup cost more than converting them (``make bench``).
_SQLITE_BOOL = {True: 1, False: 0}


@lru_cache(maxsize=16_384)
def _date_text(value: Any) -> Any:
    """A date or time as Piccolo's SQLite adapters write it. Remembered (dates and
    times are immutable): an import writes the same few hundred days in several
    tables, each converted once per table otherwise."""
    from piccolo.engine.sqlite import convert_date_in, convert_datetime_in

    return convert_datetime_in(value) if isinstance(value, datetime) else convert_date_in(value)


class BulkWriter:
    def __init__(
        self, transaction: Any, written: Written | None = None, *, stamp: datetime | None = None
    ) -> None:
        self.connection = transaction.connection
        self.written = written
        self.postgres = transaction.engine.engine_type == "postgres"
        # ``created_at``/``updated_at`` of every row written (one moment for the load).
        self.stamp = stamp or datetime.now(tz=UTC)
        self._next: dict[str, int] = {}
        self._templates: dict[str, tuple[list[str], list[Any]]] = {}
        self._bases: dict[str, dict[str, Any]] = {}
        self._blocks: dict[str, list[int]] = {}  # table → [next id, ids left] reserved

    def _converted_defaults(self, table: type[Table]) -> dict[str, Any]:
        """The table's defaults by column, as written (dates as text on SQLite)."""
        name = table._meta.tablename
        if name not in self._bases:
            columns, defaults = self._template(table)
            base = dict(zip(columns, defaults, strict=True))
            if not self.postgres:
                for column, db_name in zip(table._meta.columns, columns, strict=True):
                    value = base[db_name]
                    if isinstance(column, Date | Timestamptz) and value is not None:
                        base[db_name] = _date_text(value)
                    elif isinstance(column, Boolean) and isinstance(value, bool):
                        base[db_name] = int(value)
            self._bases[name] = base
        return self._bases[name]

    async def _scalar(self, sql: str, *args: Any) -> Any:
        if self.postgres:
            return await self.connection.fetchval(sql, *args)
        rows = await self.connection.execute_fetchall(sql, args)
        return next(iter(rows[0].values()))  # Piccolo's connections return dict rows

    async def reserve(self, table: type[Table], n: int) -> int:
        """The first of ``n`` consecutive free ids for ``table``."""
        name = table._meta.tablename
        # Identifiers come from the table classes, never from input.
        highest = int(await self._scalar(f'SELECT COALESCE(MAX("id"), 0) FROM "{name}"'))  # noqa: S608
        start = max(highest + 1, self._next.get(name, 1))
        if self.postgres:
            seq = await self._scalar("SELECT pg_get_serial_sequence($1, 'id')", f'"{name}"')
            row = await self.connection.fetchrow(f"SELECT last_value, is_called FROM {seq}")  # noqa: S608
            start = max(start, row["last_value"] + (1 if row["is_called"] else 0))
            if n:
                await self.connection.execute("SELECT setval($1, $2, true)", seq, start + n - 1)
        self._next[name] = start + n
        return start

    def computed_defaults(self, table: type[Table]) -> list[str]:
        """The columns without a fixed default (computed, such as today, or none
        for a NOT NULL column): a writer that must be reproducible names them."""
        return [
            column._meta.db_column_name
            for column in table._meta.columns
            if column._meta.db_column_name not in ("created_at", "updated_at")
            and (
                isinstance(column.get_default_value(), Default)
                or (column.get_default_value() is None and not column._meta.null)
            )
        ]

    def _template(self, table: type[Table]) -> tuple[list[str], list[Any]]:
        name = table._meta.tablename
        if name not in self._templates:
            columns: list[str] = []
            defaults: list[Any] = []
            for column in table._meta.columns:
                db_name = column._meta.db_column_name
                columns.append(db_name)
                if db_name in ("created_at", "updated_at"):
                    defaults.append(self.stamp)
                    continue
                value = column.get_default_value()
                if isinstance(value, Default):
                    value = value.python()
                defaults.append(value.value if isinstance(value, Enum) else value)
            self._templates[name] = (columns, defaults)
        return self._templates[name]

    def _records(self, table: type[Table], rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as tuples in column order. Enum members become their values (only
        in columns with choices); on SQLite dates and times become the text Piccolo's
        adapters write, converted once per distinct value: the rows repeat a few
        stamps and days, and the adapter called per value cost more than the insert.

        Each row is laid over the defaults and read out in column order in C (a
        dict merge and an ``itemgetter``); only the coded and dated columns some row
        supplies are converted, column by column (the defaults were converted once)."""
        columns, _ = self._template(table)
        base = self._converted_defaults(table)
        getter = itemgetter(*columns)
        supplied: set[str] = set().union(*rows)
        meta = table._meta.columns
        coded = [i for i, c in enumerate(meta) if c._meta.choices and columns[i] in supplied]
        dated = (
            []
            if self.postgres
            else [
                i
                for i, c in enumerate(meta)
                if isinstance(c, Date | Timestamptz) and columns[i] in supplied
            ]
        )
        if len(columns) == 1:  # itemgetter of one name gives the value, not a tuple
            records = [(getter(base | row),) for row in rows]
        else:
            records = [getter(base | row) for row in rows]
        if not records or (not coded and not dated):
            return records
        # The few columns to convert, a whole column at a time (transposed and back in C).
        cols = list(zip(*records, strict=True))
        for i in coded:
            if any(issubclass(t, Enum) for t in set(map(type, cols[i]))):
                cols[i] = tuple(v.value if isinstance(v, Enum) else v for v in cols[i])
        for i in dated:
            texts = {v: _date_text(v) for v in set(cols[i]) if v is not None}
            cols[i] = tuple(map(texts.get, cols[i], cols[i]))  # None stays None
        return list(zip(*cols, strict=True))

    async def insert(self, table: type[Table], rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows that each name their ``id``; missing columns take defaults
        (the national seed's path)."""
        if not rows:
            return
        columns, _ = self._template(table)
        await self._write(table, columns, self._records(table, rows))

    async def add_rows(
        self, table: type[Table], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> range:
        """Insert ``rows``, tuples of the values of ``columns`` in that order, with
        fresh ids; every other column takes its default. The ids, in order.

        The import's path: no dict per row, and the rows are turned column-wise
        (in C) into what the database is sent (on SQLite, dates as text and
        booleans as integers, as they are stored)."""
        if not rows:
            return range(0)
        ids = await self._ids(table, len(rows))
        everything, _ = self._template(table)
        base = self._converted_defaults(table)
        rest = [c for c in everything if c != "id" and c not in columns]
        by_name = {c._meta.db_column_name: c for c in table._meta.columns}
        cols = list(zip(*rows, strict=True))
        for i, name in enumerate(columns):
            column = by_name[name]
            if column._meta.choices and any(issubclass(t, Enum) for t in set(map(type, cols[i]))):
                cols[i] = tuple(v.value if isinstance(v, Enum) else v for v in cols[i])
            if self.postgres:
                continue  # COPY takes dates and booleans as they are
            if isinstance(column, Date | Timestamptz):
                texts = {v: _date_text(v) for v in set(cols[i]) if v is not None}
                cols[i] = tuple(map(texts.get, cols[i], cols[i]))  # None stays None
            elif isinstance(column, Boolean):
                cols[i] = tuple(map(_SQLITE_BOOL.get, cols[i], cols[i]))  # None stays None
        # The defaults repeat without end: the ids (one per row) bound the zip.
        records = list(zip(ids, *cols, *(repeat(base[c]) for c in rest), strict=False))
        await self._write(table, ["id", *columns, *rest], records)
        return ids

    async def reserve_blocks(self, sizes: Mapping[type[Table], int]) -> None:
        """Reserve ``n`` ids for each table now, for the :meth:`add_rows` to come."""
        for table, n in sizes.items():
            if n:
                self._blocks[table._meta.tablename] = [await self.reserve(table, n), n]

    async def _ids(self, table: type[Table], n: int) -> range:
        block = self._blocks.get(table._meta.tablename)
        if block is not None and block[1] >= n:
            first = block[0]
            block[0], block[1] = first + n, block[1] - n
        else:
            first = await self.reserve(table, n)
        return range(first, first + n)

    async def _write(
        self, table: type[Table], columns: Sequence[str], records: list[tuple[Any, ...]]
    ) -> None:
        # Written in turn, not queued behind the caller's work: the SQLite thread
        # needs Python's lock to bind every row, and sharing it with a busy caller
        # made the whole import slower (``make bench``).
        name = table._meta.tablename
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        for start in range(0, len(records), _CHUNK):
            part = records[start : start + _CHUNK]
            if self.postgres:
                await self.connection.copy_records_to_table(
                    name, records=part, columns=list(columns)
                )
            else:
                await self.connection.executemany(
                    f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})',  # noqa: S608
                    part,
                )
            if self.written is not None:
                await self.written(len(part))
