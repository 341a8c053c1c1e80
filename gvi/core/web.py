"""Helpers the HTML and API faces share: template context, redirects, client info."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.response import Redirect, Template

from gvi.access.principal import Principal
from gvi.i18n import gettext
from gvi.security.sessions import get_session

K = TypeVar("K")


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return client[0] if client else ""


def user_agent(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.headers.get("user-agent", "")[:255]


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
