"""Helpers the HTML and API faces share: template context, redirects, client info."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.response import Redirect, Template

from gvi.access.principal import Principal
from gvi.core.failures import FormErrors, Refused, VersionConflict
from gvi.core.forms import CONFIRM_MESSAGE, form_to
from gvi.core.operations import LABELS, TEMPLATE_HELPERS
from gvi.core.paging import pages_count
from gvi.i18n import gettext
from gvi.security.sessions import get_session
from gvi.settings import Settings, get_settings

K = TypeVar("K")
R = TypeVar("R")


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return client[0] if client else ""


def user_agent(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.headers.get("user-agent", "")[:255]


def app_settings(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    """The settings the app was built with (``create_app(settings)``), else the environment's."""
    settings = getattr(connection.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def wants_json(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.scope["path"].startswith("/api/")


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    """Render a page; the base layout reads principal and flash messages from the context."""
    ctx: dict[str, Any] = {
        "principal": getattr(request.state, "principal", None),
        "flashes": get_session(request).take_flashes(),
    }
    ctx.update(context or {})
    return Template(template_name=template, context=ctx, status_code=status_code)


def translated(labels: Mapping[K, Any]) -> dict[K, Any]:
    """A label table (values marked with ``N_``; nested tables too) in the
    request's language, for a template that shows the labels as they are."""
    return {
        key: translated(value) if isinstance(value, Mapping) else gettext(value)
        for key, value in labels.items()
    }


def redirect_with_flash(
    request: Request[Any, Any, Any], to: str, message: str, category: str = "success"
) -> Redirect:
    """POST → redirect → GET with a flash message."""
    get_session(request).flash(message, category)
    return Redirect(path=to, status_code=303)


def principal_of(request: Request[Any, Any, Any]) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


def refusal_status(exc: Refused) -> int:
    """The status a re-rendered form answers with: 409 for a conflict, else 400."""
    return 409 if isinstance(exc, VersionConflict) else 400


def refusal_view(exc: Refused, prefix: str = "") -> dict[str, Any]:
    """A refusal as the keyword arguments of a page that re-renders its form:
    ``errors`` per field (named ``prefix`` + field, for one form among several on a
    page) or the ``error`` message, and the ``status_code`` (409 for a conflict)."""
    if isinstance(exc, FormErrors):
        errors = {f"{prefix}{key}": message for key, message in exc.errors.items()}
        return {"errors": errors, "error": None, "status_code": refusal_status(exc)}
    return {"errors": {}, "error": str(exc), "status_code": refusal_status(exc)}


def unconfirmed(field: str) -> dict[str, Any]:
    """The keyword arguments of a page re-rendered because the confirmation box of
    ``field`` was not ticked (400, the message at ``field.confirm``)."""
    return {"errors": {f"{field}.confirm": gettext(CONFIRM_MESSAGE)}, "status_code": 400}


async def submit(
    request: Request[Any, Any, Any],
    action: Awaitable[R],
    *,
    rerender: Callable[[Refused, int], Template | Awaitable[Template]],
    to: str | Callable[[R], str | Awaitable[str]],
    flash: str | Callable[[R], str],
) -> Template | Redirect:
    """The one edit/create pattern of the pages: run the service; a refusal
    re-renders the form (what was typed kept, 400, or 409 for a conflict; the
    re-render may read the database); success redirects with a flash message
    (POST → redirect → GET)."""
    try:
        result = await action
    except Refused as exc:
        shown = rerender(exc, refusal_status(exc))
        page_again: Template = await shown if inspect.isawaitable(shown) else shown
        return page_again
    target = to(result) if callable(to) else to
    if inspect.isawaitable(target):
        target = await target
    message = flash(result) if callable(flash) else flash
    return redirect_with_flash(request, str(target), message)


S = TypeVar("S", bound=msgspec.Struct)


async def submit_form(
    request: Request[Any, Any, Any],
    target: type[S],
    data: Mapping[str, Any],
    action: Callable[[S], Awaitable[R]],
    *,
    page: Callable[..., Awaitable[Template]],
    form_as: str,
    prefix: str = "",
    to: str | Callable[[R], str | Awaitable[str]],
    flash: str,
) -> Template | Redirect:
    """:func:`submit` of a page form: *data* read into *target* (the form's
    problems are refusals too) and handed to *action*. A refusal shows *page*
    again with what was typed as ``form_as`` and the errors keyed ``prefix`` +
    field (one form among several on a page)."""

    async def run() -> R:
        return await action(form_to(target, data))

    async def again(exc: Refused, _status: int) -> Template:
        return await page(**{form_as: data}, **refusal_view(exc, prefix))

    return await submit(request, run(), rerender=again, to=to, flash=flash)


def ops_page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    """A page of the operations (incidents, call-ins, notifications, enforcement,
    tasks): their vocabulary (labels, local time) in its context."""
    return page(
        request,
        template,
        {**TEMPLATE_HELPERS, "labels": translated(LABELS), **(context or {})},
        status_code=status_code,
    )


def ops_list(
    request: Request[Any, Any, Any],
    template: str,
    items: str,
    rows: list[Any],
    total: int,
    page_no: int,
    context: dict[str, Any],
    *,
    filters: Mapping[str, Any] | None = None,
    sort: str = "",
    status_code: int = 200,
) -> Template:
    """One page of an operations list: the rows under ``items``, the total and the
    page numbers, the list's rights in ``context``; its ``filters`` and ``sort``
    (the ``?sort=`` in force) go in as themselves and together as ``params``,
    which the pager and the sortable headers carry in their links
    (templates/_lists.html)."""
    shown = dict(filters or {})
    return ops_page(
        request,
        template,
        {
            items: rows,
            "total": total,
            "page": page_no,
            "pages": pages_count(total),
            **shown,
            "params": {**shown, "sort": sort},
            **context,
        },
        status_code=status_code,
    )
