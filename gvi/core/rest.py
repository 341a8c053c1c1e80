"""The REST conventions of ``/api/v1``, built once for every API controller.

* **ETag / If-Match.** Every editable record carries ``version``; its ETag is
  ``"<version>"``. ``GET /{id}`` answers with it, and ``PATCH /{id}`` (an update)
  and ``DELETE /{id}`` (archiving: the row stays, marked archived) need it back in
  ``If-Match``: without it 428, malformed 400, and when the record has changed since
  412 (the service's own version check, in the write's transaction, decides; see
  :func:`gvi.core.errors.refused`). The older actions that still take ``version`` in
  the body (``…/confirm``, ``…/end``) answer a stale version with 409.
* **201 Created** carries ``Location``, the record's own URL, and its ETag.
* **Lists** take ``page`` and ``page_size`` (1–200, default 50) and answer with a
  ``Link`` header (first, prev, next, last).
* **Filters** naming an unknown value are refused (400, the value named), not
  ignored: :func:`known_values`.

Errors are ``application/problem+json`` (RFC 9457) in the request's language,
written by :mod:`gvi.core.errors`; :mod:`gvi.core.openapi` documents all of this
on every operation.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias, TypeVar

import msgspec
from litestar import Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import HeaderParameter

from gvi.core.failures import FormErrors
from gvi.core.paging import PAGE_SIZE, Rows, page_links, page_offset, page_rows
from gvi.core.params import AnyRequest, PageNumber, PageSize
from gvi.i18n import N_, gettext

IF_MATCH_MISSING = N_(
    "Ange versionen du läste i huvudet If-Match (värdet av ETag från GET), så att ingen "
    "annans ändring skrivs över."
)
IF_MATCH_MALFORMED = N_('If-Match ska vara en ETag från GET, till exempel "3".')
UNKNOWN_VALUE = N_("Okänt värde %(value)s. Tillåtna värden: %(allowed)s.")

IfMatch: TypeAlias = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        description='The ETag of the record as read (e.g. "3"). Required: without it 428; '
        "when the record has changed since, 412.",
    ),
]

_ETAG = re.compile(r'\s*(?:W/)?"(\d{1,18})"\s*')


T = TypeVar("T")


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(value: str | None) -> int:
    """The version an ``If-Match`` header names: 428 when there is none, 400 when
    it is no ETag of ours."""
    if value is None or not value.strip():
        raise HTTPException(status_code=428, detail=gettext(IF_MATCH_MISSING))
    found = _ETAG.fullmatch(value)
    if found is None:
        raise FormErrors({"If-Match": gettext(IF_MATCH_MALFORMED)})
    return int(found.group(1))


def tagged(
    body: T,
    *,
    version: int | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[T]:
    """``body`` with the ETag of *version* (by default its own, if it has one)."""
    version = getattr(body, "version", None) if version is None else version
    tags = {"ETag": etag(version)} if isinstance(version, int) else {}
    return Response(body, status_code=status_code, headers={**tags, **(headers or {})})


def created(collection: str, body: T) -> Response[T]:
    """201 with the new record's URL in ``Location`` (*collection*, the path of
    the controller posted to, and the record's ``id``) and its ETag."""
    record: Any = body
    location = f"{collection.rstrip('/')}/{record.id}"
    return tagged(body, status_code=201, headers={"Location": location})


Update = Callable[[Any, int, int, Any], Awaitable[object]]
"""A service's update: ``(principal, id, version, changes)``."""


def expected_version(if_match: IfMatch = None) -> int:
    """The ``expected`` dependency (gvi/app.py) of PATCH and DELETE: the version
    ``If-Match`` names, or 428/400 before the handler runs."""
    return if_match_version(if_match)


Expected: TypeAlias = NamedDependency[int]
"""The version the client read (``expected: rest.Expected``)."""


async def patched(
    update: Update,
    read: Callable[[Any, int], Awaitable[T]],
    principal: Any,
    record_id: int,
    version: int,
    changes: Any,
) -> Response[T]:
    """A conditional update: *update* with the *version* of If-Match (the service
    refuses a stale one: 412), then *read* the record as it now is, with its ETag."""
    await update(principal, record_id, version, changes)
    return tagged(await read(principal, record_id))


def body_versioned(update: Callable[[Any, int, Any], Awaitable[object]], target: Any) -> Update:
    """An :data:`Update` from a service that reads the version from its input
    struct (*target*, the PATCH body's struct plus ``version``)."""

    def call(principal: Any, record_id: int, version: int, changes: Any) -> Awaitable[object]:
        return update(principal, record_id, with_version(target, changes, version))

    return call


@dataclass(frozen=True)
class Window:
    """The page a list request asked for (``page``, ``page_size``) and where it
    was asked, for the ``Link`` header. Injected as ``window`` (gvi/app.py)."""

    page: int
    size: int
    path: str
    query: tuple[tuple[str, str], ...]

    @property
    def offset(self) -> int:
        return page_offset(self.page, self.size)

    @property
    def rows(self) -> Rows:
        """``limit`` and ``offset`` of a service's list for this window."""
        return page_rows(self.page, self.size)

    def answer(self, body: T) -> Response[T]:
        """One page of the list (a struct with ``total``), with its ``Link`` header."""
        page: Any = body
        links = page_links(
            self.path, list(self.query), page=self.page, size=self.size, total=page.total
        )
        return Response(body, headers={"Link": links})

    def page_of(self, page_type: Callable[..., T], items: list[Any], total: int) -> Response[T]:
        """``page_type`` (a struct of items, total, page, page_size) for this window."""
        return self.answer(page_type(items=items, total=total, page=self.page, page_size=self.size))


def page_window(
    request: AnyRequest, page: PageNumber = 1, page_size: PageSize = PAGE_SIZE
) -> Window:
    return Window(
        page=max(page, 1),
        size=page_size,
        path=request.url.path,
        query=tuple(request.query_params.multi_items()),
    )


def known_values(
    values: Iterable[str] | None, allowed: Collection[str], field: str
) -> list[str] | None:
    """A filter's values, each one of *allowed*; the first that is not is named in
    a 400 (a filter value is a code from a fixed list, never personal data, and is
    cut short all the same)."""
    if values is None:
        return None
    chosen = list(values)
    for value in chosen:
        if value not in allowed:
            shown = value if len(value) <= 40 and value.isprintable() else value[:40] + "…"
            raise FormErrors(
                {
                    field: gettext(UNKNOWN_VALUE)
                    % {"value": repr(shown), "allowed": ", ".join(sorted(allowed))}
                }
            )
    return chosen


def known_value(value: str, allowed: Collection[str], field: str) -> str:
    """A filter of one value: ``""`` (no filter) or one of *allowed* (else 400)."""
    if value:
        known_values([value], allowed, field)
    return value


ETAG_HEADERS = [
    ResponseHeader(
        name="ETag",
        description='The record\'s version, e.g. "3": send it back in If-Match.',
        documentation_only=True,
    )
]
CREATED_HEADERS = [
    *ETAG_HEADERS,
    ResponseHeader(name="Location", description="The new record's URL.", documentation_only=True),
]
LIST_HEADERS = [
    ResponseHeader(
        name="Link",
        description="The first, prev, next and last page (RFC 8288), e.g. "
        '</api/v1/groups?page=2&page_size=50>; rel="next".',
        documentation_only=True,
    )
]


# The route decorators of the conventions, with the headers they answer with
# documented: every API controller declares its routes through these.


def listing(path: str, **kwargs: Any) -> get:
    """``GET`` of a list: takes ``window`` (page, page_size), answers with Link."""
    return get(path, response_headers=LIST_HEADERS, **kwargs)


def show(path: str, **kwargs: Any) -> get:
    """``GET /{id}``: answers with the ETag."""
    return get(path, response_headers=ETAG_HEADERS, **kwargs)


def create(path: str, **kwargs: Any) -> post:
    """``POST`` to a collection: 201 with Location and ETag."""
    return post(path, response_headers=CREATED_HEADERS, **kwargs)


def update(path: str, **kwargs: Any) -> patch:
    """``PATCH /{id}`` with If-Match: answers the record with its new ETag."""
    return patch(path, response_headers=ETAG_HEADERS, **kwargs)


def archive(path: str, **kwargs: Any) -> delete:
    """``DELETE /{id}`` with If-Match: archives (the row stays); 204."""
    return delete(path, **kwargs)


S = TypeVar("S")


def with_version(target: Callable[..., S], changes: Any, version: int) -> S:
    """A service's versioned input (*target*, a struct with ``version``) from a
    PATCH body without one (*changes*, a struct) and the version of If-Match."""
    return target(version=version, **msgspec.structs.asdict(changes))
