"""Page numbers of every list, pages and API alike.

A page number is an offset multiplied by the page size: unbounded, it overflows
the database's 64-bit offset (a 500 on ``?page=9223372036854775807``). One type
bounds it for every handler and documents the bound in the OpenAPI schema;
:func:`gvi.core.errors.validation_error` answers 400 with
:data:`PAGE_TOO_FAR` when it is exceeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict
from urllib.parse import urlencode

from gvi.i18n import N_

PAGE_SIZE = 50
"""Rows on one page of every list, pages and API alike."""

MAX_PAGE = 10_000
"""No list is browsed this far (10,000 pages of 50 are half a million rows); a
search narrows it."""

PAGE_PARAMETERS = frozenset({"page", "mpage", "rpage"})
"""The query parameters that are page numbers."""

SIZE_PARAMETERS = frozenset({"page_size"})
"""The query parameters that are page sizes."""

PAGE_TOO_FAR = N_("Sidnumret får vara högst %(max)d. Sök eller filtrera för att hitta längre bak.")


def pages_count(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages ``total`` rows fill; an empty list still has page 1."""
    return max(1, -(-total // size))


def page_offset(page: int, size: int = PAGE_SIZE) -> int:
    """The first row of ``page`` (numbers below 1 mean page 1)."""
    return (max(page, 1) - 1) * size


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and ``around`` on each
    side of the current one, in order; ``None`` stands for the pages left out."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


def list_url(path: str, params: Mapping[str, object], **changes: object) -> str:
    """``path`` with the list's filters, sort and page as its query string: the
    values in ``changes`` replace those in ``params``, empty ones are left out
    (a shared link carries only what was chosen), page 1 is the default."""
    merged = {**params, **changes}
    kept = [
        (key, str(value))
        for key, value in merged.items()
        if value not in (None, "") and not (key == "page" and value in (1, "1"))
    ]
    return f"{path}?{urlencode(kept)}" if kept else path


class Rows(TypedDict):
    """The keyword arguments of a list service for one page."""

    limit: int
    offset: int


def page_rows(page: int, size: int = PAGE_SIZE) -> Rows:
    """``limit`` and ``offset`` of a service's list for one page."""
    return {"limit": size, "offset": page_offset(page, size)}


MAX_PAGE_SIZE = 200
"""The most rows one API page may carry (``?page_size=``)."""

PAGE_SIZE_TOO_BIG = N_("Sidstorleken får vara 1–%(max)d.")


def page_links(path: str, query: list[tuple[str, str]], *, page: int, size: int, total: int) -> str:
    """The ``Link`` header of one page of a list (RFC 8288): first, prev, next and
    last, each the same query with only ``page`` (and ``page_size``) changed."""
    kept = [(k, v) for k, v in query if k not in ("page", "page_size")]
    last = pages_count(total, size)
    page = max(page, 1)
    wanted = {"first": 1, "last": last}
    if page > 1:
        wanted["prev"] = min(page - 1, last)
    if page < last:
        wanted["next"] = page + 1
    links = []
    for rel in ("first", "prev", "next", "last"):
        if rel in wanted:
            params = [*kept, ("page", str(wanted[rel])), ("page_size", str(size))]
            links.append(f'<{path}?{urlencode(params)}>; rel="{rel}"')
    return ", ".join(links)
