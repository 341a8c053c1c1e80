"""Litestar's ``before_request`` for input hygiene (the rule: :mod:`gvi.core.text`).

Every query parameter, path parameter, form field and JSON string (keys too) is
checked before a handler decodes it, so no form or struct needs its own check;
a refusal is a 400 naming the field, answered by ``gvi.core.errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException

from gvi.core.text import is_free_text, text_problem
from gvi.i18n import gettext


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
