"""Parameter types the handlers share: page numbers (the HTTP face of
:mod:`gvi.core.paging`), and short names for the two parameters nearly every
handler takes, so a signature fits on one line."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from gvi.access.principal import Principal
from gvi.core.paging import MAX_PAGE, MAX_PAGE_SIZE

AnyRequest: TypeAlias = Request[Any, Any, Any]
"""The request, whatever its user, auth and state types."""

Signed: TypeAlias = NamedDependency[Principal]
"""The signed-in principal, injected by name (``principal: Signed``)."""

PageNumber: TypeAlias = Annotated[
    int,
    QueryParameter(
        le=MAX_PAGE,
        description=f"Page number, from 1 (smaller values give page 1), at most {MAX_PAGE}.",
    ),
]

PageSize: TypeAlias = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default 50). The Link header "
        "names the first, previous, next and last page.",
    ),
]
