"""Bulk actions: ticked rows, one submit (issue 21 part 3).

A list page puts a checkbox on each row (``name="selected"``, the row's id, or
``id:version`` where the record is versioned) and one submit button. The
controller reads the ticks with :func:`read_selection` and hands each to the
feature's existing per-record service function through
:func:`each_in_one_transaction`: the same checks, scoping and audit row per
record as one at a time, and all of them or none (a record that is not visible
or changed meanwhile rolls the whole batch back with the service's own error).
The services open :func:`gvi.db.write_transaction` themselves; inside the batch's
transaction theirs joins it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import msgspec

from gvi.core.failures import FormErrors
from gvi.db import writing
from gvi.i18n import N_, gettext

T = TypeVar("T")
R = TypeVar("R")

# A page shows at most 50 rows; a batch larger than a few pages is not a click.
MAX_SELECTED = 200
SELECTED = "selected"

NOTHING_SELECTED = N_("Kryssa i minst en rad först.")
TOO_MANY = N_("Välj högst %(max)s rader åt gången.")
BAD_SELECTION = N_("Urvalet går inte att läsa. Ladda om sidan och försök igen.")


class SelectionForm(msgspec.Struct):
    """A bulk form's body: the ticked boxes (one string when one is ticked)."""

    selected: list[str] | str = []


def ticked(form: SelectionForm) -> list[str]:
    """The ticked boxes' values as a list."""
    return [form.selected] if isinstance(form.selected, str) else list(form.selected)


def _number(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or not 0 < int(text) < 2**53:
        return None
    return int(text)


def read_selection_versions(values: list[str] | str, key: str = SELECTED) -> list[tuple[int, int]]:
    """Ticked ``id:version`` boxes (one string when one is ticked), in page order,
    each id once; :class:`FormErrors` under ``key`` when none is ticked, too many
    are or one is not ours."""
    items = [values] if isinstance(values, str) else values
    found: dict[int, int] = {}
    for item in items:
        if not item.strip():
            continue
        ident, _, version = item.partition(":")
        number, v = _number(ident), _number(version) if version else 0
        if number is None or v is None:
            raise FormErrors({key: gettext(BAD_SELECTION)})
        found.setdefault(number, v)
    if not found:
        raise FormErrors({key: gettext(NOTHING_SELECTED)})
    if len(found) > MAX_SELECTED:
        raise FormErrors({key: gettext(TOO_MANY) % {"max": MAX_SELECTED}})
    return list(found.items())


def read_selection(values: list[str] | str, key: str = SELECTED) -> list[int]:
    """Ticked id boxes, as :func:`read_selection_versions` reads them."""
    return [ident for ident, _version in read_selection_versions(values, key)]


async def each_in_one_transaction(items: Iterable[T], act: Callable[[T], Awaitable[R]]) -> list[R]:
    """``act`` (an existing per-record service call) for each item, in order, in
    one write transaction: what it returns for each, or its exception and nothing
    written."""
    async with writing():
        return [await act(item) for item in items]
