"""Input hygiene: no control characters in any text the app accepts.

Control characters (C0 but tab and line breaks, DEL, C1), lone surrogates and
the non-characters U+FFFE/U+FFFF are invalid in XML 1.0 and meaningless in a
name: a group called ``"A\\x01"`` made the GraphML and GEXF exports not
well-formed. Tab and line breaks are allowed only in free-text fields
(:data:`FREE_TEXT_FIELDS`: notes, sources, reasons, …); every other field is
one line.

Two places apply the rule for the whole app: :func:`refuse_control_characters`
(Litestar's ``before_request``: every query parameter, form field and JSON
string, keys included, before any handler decodes them) and the spreadsheet
import's cell reading (``gvi.groups.importer``). Exports of rows written
before the rule strip what XML cannot hold (:func:`strip_for_xml`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException

from gvi.i18n import N_, gettext

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


def is_free_text(field: str) -> bool:
    return field.rsplit(".", 1)[-1] in FREE_TEXT_FIELDS


def strip_for_xml(value: str) -> str:
    """*value* without what XML 1.0 cannot hold (rows stored before the rule)."""
    return _NOT_IN_FREE_TEXT.sub("", value)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str, bool]]:
    """(field, text, free text?) of every string in a decoded JSON body, keys too."""
    if isinstance(value, str):
        yield path, value, is_free_text(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                inner = f"{path}.{key}" if path else key
                yield inner, key, False
                yield from _strings(item, inner)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, path)


def _fields(pairs: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, str, bool]]:
    for key, value in pairs:
        yield key, key, False
        if isinstance(value, str):
            yield key, value, is_free_text(key)


class ControlCharactersRefused(ValidationException):
    """A text field held a control character (or a line break in a one-line field)."""


def _check(items: Iterator[tuple[str, str, bool]]) -> None:
    for field, value, free_text in items:
        problem = text_problem(value, free_text=free_text)
        if problem is not None:
            name = field.rsplit(".", 1)[-1]
            message = gettext(problem) % {"field": name}
            raise ControlCharactersRefused(
                detail=message, extra=[{"key": field, "message": message}]
            )


async def refuse_control_characters(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the app: refuse a request whose text carries control
    characters, naming the field (400, answered by ``gvi.core.errors``)."""
    # Query parameters are one line each, whatever their name (search boxes, filters).
    _check(
        (key, text, False)
        for key, values in request.query_params.dict().items()
        for value in values
        for text in (key, value)
    )
    _check(_fields(iter(request.path_params.items())))
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = await request.json()
        except Exception:
            return
        _check(_strings(body, ""))
    elif content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
        form = await request.form()
        _check(_fields((key, value) for key, values in form.dict().items() for value in values))
