"""Input hygiene: no control characters in any text the app accepts.

Control characters (C0 but tab and line breaks, DEL, C1), lone surrogates and
the non-characters U+FFFE/U+FFFF are invalid in XML 1.0 and meaningless in a
name: a group called ``"A\\x01"`` made the GraphML and GEXF exports not
well-formed. Tab and line breaks are allowed only in free-text fields
(:data:`FREE_TEXT_FIELDS`: notes, sources, reasons, …); every other field is
one line.

Two places apply the rule for the whole app: ``gvi.core.hygiene`` (Litestar's
``before_request``: every query parameter, form field and JSON string, keys
included, before any handler decodes them) and the spreadsheet import's cell
reading (``gvi.groups.importer``). Exports of rows written
before the rule strip what XML cannot hold (:func:`strip_for_xml`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gvi.i18n import N_

# Free-text fields (textareas; Text columns): tab and line breaks are allowed.
FREE_TEXT_FIELDS = frozenset(
    {
        "notes",
        "note",
        "review_notes",
        "source",
        "reason",
        "override_reason",
        "summary",
        "message",
        "text",
        "offer_made",
        "motive",
        "place",
        "services",
        "what",
        "description",
        "promises",  # one promise per line
    }
)

_NEVER = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
_NOT_IN_FREE_TEXT = re.compile(f"[{_NEVER}]")
_NOT_ON_ONE_LINE = re.compile(f"[{_NEVER}\t\n\r]")

CONTROL_CHARACTERS = N_(
    "Fältet %(field)s innehåller osynliga styrtecken (ofta från inklistrad text). "
    "Skriv in texten igen utan dem."
)
LINE_BREAKS = N_("Fältet %(field)s ska vara en rad: ta bort radbrytningar och tabbar.")


def text_problem(value: str, *, free_text: bool) -> str | None:
    """The message key for *value* (:data:`CONTROL_CHARACTERS` or
    :data:`LINE_BREAKS`), or None when it is clean."""
    if _NOT_IN_FREE_TEXT.search(value):
        return CONTROL_CHARACTERS
    if not free_text and _NOT_ON_ONE_LINE.search(value):
        return LINE_BREAKS
    return None


def all_clean(values: Iterable[str]) -> bool:
    """True when none of *values* has anything :func:`text_problem` would refuse,
    even in a one-line field: one search over them all, so a reader of many cells
    asks :func:`text_problem` only about the rows where something is found.

    A printable text (``str.isprintable``, in C, twice as fast as the search) has
    none: every character refused here is a control character, a surrogate or a
    non-character, none of them printable."""
    joined = "".join(values)
    return joined.isprintable() or _NOT_ON_ONE_LINE.search(joined) is None


def is_free_text(field: str) -> bool:
    return field.rsplit(".", 1)[-1] in FREE_TEXT_FIELDS


def strip_for_xml(value: str) -> str:
    """*value* without what XML 1.0 cannot hold (rows stored before the rule)."""
    return _NOT_IN_FREE_TEXT.sub("", value)
