"""The one gate: default deny, CSRF on unsafe methods, then the route's permission.

A route without ``opt={"permission": ...}`` is unreachable (and a test walks the
route table so none ships). A user without the permission gets the same 404 as
for a missing record, so probing tells nothing.

The gate runs as the innermost middleware of every route (:class:`AccessMiddleware`)
rather than as a Litestar guard: the router has already chosen the handler and
parsed the path parameters, and a guard would cost a copy of the route handler
on every request (about a third of a ``/healthz`` call). Its refusals are turned
into responses inside the middleware stack, so the error pages carry the
security headers and the session is saved like any other answer.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware._internal.exceptions.middleware import ExceptionHandlerMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.i18n import gettext
from gvi.security.csrf import SAFE_METHODS, check_csrf

PERMISSION_KEY = "permission"
# Row ids are 32-bit serials on PostgreSQL: a larger path id names no row, and the
# drivers would fail on it (SQLite above 2**63) instead of finding nothing.
MAX_ID = 2**31 - 1


def route_permission(handler: BaseRouteHandler) -> Permission | None:
    value = handler.opt.get(PERMISSION_KEY)
    return value if isinstance(value, Permission) else None


async def require_permission(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Let the request through to *handler* or raise (404 for anything refused,
    401 when nobody is signed in, 403 for a failed CSRF check)."""
    permission = route_permission(handler)
    if permission is None:
        raise NotFoundException()
    from gvi.tokens.bearer import bearer_principal, bearer_secret

    secret = bearer_secret(connection)
    if secret is not None:
        # An API token (gvi/tokens/bearer.py): /api/v1 only, no CSRF, no session.
        principal = await bearer_principal(connection, handler.opt, secret)
    else:
        await check_csrf(connection)
        if permission is Permission.public:
            return
        from gvi.access.loading import load_principal

        loaded = await load_principal(connection)
        if loaded is None:
            raise NotAuthorizedException(detail=gettext("Logga in för att fortsätta."))
        principal = loaded
    if not principal.can(permission):
        raise NotFoundException()
    if any(isinstance(v, int) and abs(v) > MAX_ID for v in connection.path_params.values()):
        raise NotFoundException()
    connection.state.principal = principal


class AccessMiddleware:
    """:func:`require_permission` for the handler the router chose, before it runs.

    Listed last among the app's middleware, so it runs after the session and the
    language are known and wraps nothing but the route itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            handler is not None
            and handler.opt.get(PERMISSION_KEY) is Permission.public
            and scope.get("method") in SAFE_METHODS
        ):  # a public page read: nothing to check
            await self.app(scope, receive, send)
            return
        try:
            if handler is None:  # not routed: nothing to let through
                raise NotFoundException()
            await require_permission(ASGIConnection(scope, receive, send), handler)
        except Exception as exc:
            # A refusal becomes its response here, inside the other middleware, so
            # the error page carries the security headers and the session is saved.
            await _REFUSALS.handle_request_exception(
                litestar_app=scope["litestar_app"], scope=scope, receive=receive, send=send, exc=exc
            )
            return
        await self.app(scope, receive, send)


# Renders a refusal with the app's exception handlers (the route's, as resolved by
# the router for this request), exactly as for an exception raised by a handler.
_REFUSALS = ExceptionHandlerMiddleware(app=None, debug=None)  # type: ignore[arg-type]


def current_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency: the principal the gate loaded (only on non-public routes)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthorizedException(detail=gettext("Logga in för att fortsätta."))
    return principal
