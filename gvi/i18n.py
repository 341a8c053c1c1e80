"""Languages: Swedish by default, English as the alternative.

The language of a request comes from the signed-in user's setting (kept in the
session), else from ``Accept-Language``, else Swedish. It lives in a context
variable, so templates and services translate with :func:`gettext` without
passing it around. Catalogues are Babel/gettext files under ``gvi/locale``;
Swedish is the source language, so a Swedish request needs no catalogue.

Numbers, percentages and dates are formatted by Babel for the request's
language (``sv_SE``: "12 345,5", "45,1 %", "2024-03-09"; ``en_GB`` for English),
times always in Europe/Stockholm. Templates use the ``num``, ``pct`` and
``date`` filters (``number`` and ``percent`` are the older names of the first
two); charts take :func:`number_separators` for plotly's ``layout.separators``.
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar, Token
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal
from babel.numbers import format_percent as _format_percent
from babel.numbers import get_decimal_symbol, get_group_symbol
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from gvi.core import clock

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
TIMEZONE = clock.STOCKHOLM
FORMAT_LOCALE = "sv_SE"
FORMAT_LOCALES = {"sv": FORMAT_LOCALE, "en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("gvi_language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=len(LANGUAGES))
def _translations(language: str) -> _gettext.NullTranslations:
    """Compiled in memory from the .po files: no build step, no binary in the repo.
    Every ``*.po`` in the language's folder is merged (messages.po first), so a domain
    may keep its own file."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    files = sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))
    if language == DEFAULT_LANGUAGE or not files:
        return _gettext.NullTranslations()
    catalogs = []
    for po in files:
        with po.open("rb") as f:
            catalogs.append(read_po(f, locale=language))
    catalog = catalogs[0]
    for part in catalogs[1:]:
        for message in part:
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
    (``tests/i18n/test_i18n.py`` holds the two to the same output)."""
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


def enter_language(language: str) -> Token[str]:
    """Set the language for the work that follows (a request); undo with :func:`leave_language`."""
    return _current.set(language)


def leave_language(token: Token[str]) -> None:
    _current.reset(token)


def format_locale() -> str:
    """The Babel locale of the request's language."""
    return FORMAT_LOCALES.get(_current.get(), FORMAT_LOCALE)


def number_separators() -> str:
    """Plotly's ``layout.separators`` for the request's language: the decimal
    mark, then the thousands separator (Swedish ",\xa0": "12 345,5")."""
    loc = format_locale()
    return get_decimal_symbol(loc) + get_group_symbol(loc)


def _local(value: datetime) -> datetime:
    return value.astimezone(TIMEZONE) if value.tzinfo else value.replace(tzinfo=TIMEZONE)


def format_date(value: date | datetime | None, fmt: str = "short") -> str:
    """2024-03-09 (ISO is the Swedish short date; English reads 09/03/2024)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = _local(value).date()
    return str(_format_date(value, format=fmt, locale=format_locale()))


def format_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """2024-03-09 18:30 in Europe/Stockholm."""
    if value is None:
        return "–"
    return str(_format_datetime(_local(value), format=fmt, tzinfo=TIMEZONE, locale=format_locale()))


def format_number(value: int | float | Decimal | None, digits: int | None = None) -> str:
    """12 345,5 — space for thousands and comma for decimals (12,345.5 in English)."""
    if value is None:
        return "–"
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return str(_format_decimal(value, format=fmt, locale=format_locale()))


def format_percent(value: float | None, digits: int = 1) -> str:
    """45,1 % (45.1 % in English)."""
    if value is None:
        return "–"
    # A no-break space keeps "45,1 %" on one line.
    pattern = "#,##0." + "0" * digits + "\xa0%"
    return str(_format_percent(value, format=pattern, locale=format_locale()))
