"""Languages: Swedish by default, English as the alternative.

The language of a request comes from the signed-in user's setting (kept in the
session), else from ``Accept-Language``, else Swedish. It lives in a context
variable, so templates and services translate with :func:`gettext` without
passing it around. Catalogues are Babel/gettext files under ``gvi/locale``;
Swedish is the source language, so a Swedish request needs no catalogue.

Dates, times and numbers are formatted the Swedish way and in Europe/Stockholm
whatever the language (users are Swedish public servants).
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal
from babel.numbers import format_percent as _format_percent
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from litestar.types import ASGIApp, Receive, Scope, Send
from markupsafe import Markup

from gvi.core.middleware import HTTPMiddleware

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
TIMEZONE = ZoneInfo("Europe/Stockholm")
FORMAT_LOCALE = "sv_SE"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("gvi_language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=len(LANGUAGES))
def _translations(language: str) -> _gettext.NullTranslations:
    """Compiled in memory from the .po files (``messages.po`` and any other, merged
    in name order, later files winning): no build step, no binary in the repo."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    for extra in sorted(po.parent.glob("*.po")):
        if extra == po:
            continue
        with extra.open("rb") as f:
            for message in read_po(f, locale=language):
                if message.id:
                    catalog[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str) -> str:
    return _translations(_current.get()).gettext(message)


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """``_()`` in templates, exactly as ``jinja2.ext.i18n``'s new-style gettext
    has it (the translation is markup when autoescaping, and always a format
    string: ``%(name)s`` takes the escaped variables, a literal percent sign is
    ``%%``), in one call where the extension makes three
    (``tests/web/test_i18n.py`` holds the two to the same output)."""
    text = gettext(message)
    rv = Markup(text) if eval_ctx.autoescape else text  # noqa: S704 (our own catalogue)
    return rv % variables


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (module-level
    labels and messages): translate it with :func:`gettext` where it is used."""
    return message


def pick_language(session_language: str | None, accept_language: str) -> str:
    """The user's own setting wins; then the browser's preference order."""
    if session_language in LANGUAGES:
        return session_language
    best: tuple[float, str] | None = None
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if best is None or q > best[0]:
            best = (q, lang)
    return best[1] if best else DEFAULT_LANGUAGE


class LanguageMiddleware(HTTPMiddleware):
    """Sets the request's language; runs after the session middleware."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        session = scope["state"].get("gvi_session")
        session_language = session.get("lang") if session is not None else None
        accept = ""
        for key, value in scope["headers"]:
            if key == b"accept-language":
                accept = value.decode("latin-1")
                break
        token = _current.set(pick_language(session_language, accept))
        try:
            await next_app(scope, receive, send)
        finally:
            _current.reset(token)


def _local(value: datetime) -> datetime:
    return value.astimezone(TIMEZONE) if value.tzinfo else value.replace(tzinfo=TIMEZONE)


def format_date(value: date | datetime | None, fmt: str = "short") -> str:
    """2024-03-09 (ISO is the Swedish short date)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = _local(value).date()
    return str(_format_date(value, format=fmt, locale=FORMAT_LOCALE))


def format_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """2024-03-09 18:30 in Europe/Stockholm."""
    if value is None:
        return "–"
    return str(_format_datetime(_local(value), format=fmt, tzinfo=TIMEZONE, locale=FORMAT_LOCALE))


def format_number(value: int | float | Decimal | None, digits: int | None = None) -> str:
    """12 345,5 — space for thousands and comma for decimals."""
    if value is None:
        return "–"
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return str(_format_decimal(value, format=fmt, locale=FORMAT_LOCALE))


def format_percent(value: float | None, digits: int = 1) -> str:
    """45,1 %"""
    if value is None:
        return "–"
    # A no-break space keeps "45,1 %" on one line.
    pattern = "#,##0." + "0" * digits + "\xa0%"
    return str(_format_percent(value, format=pattern, locale=FORMAT_LOCALE))
