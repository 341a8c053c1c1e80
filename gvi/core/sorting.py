"""Sortable lists: the columns a list may be sorted by, read from ``?sort=``.

A list declares its keys once (``Sorts("-when", when=Incident.occurred_at, …)``);
``?sort=when`` sorts ascending, ``?sort=-when`` descending, and anything else
(an unknown key, a typo, a column that is not offered) falls back to the list's
default, so a hand-edited URL never reaches the query. Every order ends on the
row id, in the same direction, so pages never overlap or skip a row.

Pure: the columns are whatever the caller's query builder takes (Piccolo
columns in the services); this module only names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar


class Orderable(Protocol):
    def order_by(self, *columns: Any, ascending: bool = True) -> Self: ...


Q = TypeVar("Q", bound=Orderable)


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def param(self) -> str:
        """The value of ``?sort=`` that gives this order."""
        return f"-{self.key}" if self.descending else self.key


class Sorts:
    """The orders a list offers: key → column (or columns, compared in turn)."""

    def __init__(self, default: str, **keys: Any) -> None:
        self.keys: dict[str, Sequence[Any]] = {
            key: tuple(columns) if isinstance(columns, tuple | list) else (columns,)
            for key, columns in keys.items()
        }
        self.default = self._read(default)
        if self.default is None:
            raise ValueError(f"default sort {default!r} is not one of {sorted(self.keys)}")

    def _read(self, text: str) -> Sort | None:
        text = text.strip()
        descending = text.startswith("-")
        key = text[1:] if descending else text
        return Sort(key, descending) if key in self.keys else None

    def parse(self, text: str | None) -> Sort:
        """The order ``?sort=`` asks for, or the default."""
        found = self._read(text or "")
        return found if found is not None else self.default  # type: ignore[return-value]

    def apply(self, query: Q, sort: Sort | str | None, *, tiebreak: Any) -> Q:
        """*query* ordered by *sort*, then by *tiebreak* (the row id) the same way."""
        chosen = sort if isinstance(sort, Sort) else self.parse(sort)
        ascending = not chosen.descending
        for column in self.keys[chosen.key]:
            query = query.order_by(column, ascending=ascending)
        return query.order_by(tiebreak, ascending=ascending)
