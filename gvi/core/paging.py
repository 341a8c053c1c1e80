"""Page numbers of every list, pages and API alike.

A page number is an offset multiplied by the page size: unbounded, it overflows
the database's 64-bit offset (a 500 on ``?page=9223372036854775807``). One type
bounds it for every handler and documents the bound in the OpenAPI schema;
:func:`gvi.core.errors.validation_error` answers 400 with
:data:`PAGE_TOO_FAR` when it is exceeded.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar.params import QueryParameter

from gvi.i18n import N_

MAX_PAGE = 10_000
"""No list is browsed this far (10,000 pages of 50 are half a million rows); a
search narrows it."""

PAGE_PARAMETERS = frozenset({"page", "mpage", "rpage"})
"""The query parameters that are page numbers."""

PAGE_TOO_FAR = N_("Sidnumret får vara högst %(max)d. Sök eller filtrera för att hitta längre bak.")

PageNumber: TypeAlias = Annotated[
    int,
    QueryParameter(
        le=MAX_PAGE,
        description=f"Page number, from 1 (smaller values give page 1), at most {MAX_PAGE}.",
    ),
]
