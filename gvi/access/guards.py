"""The one guard: default deny, CSRF on unsafe methods, then the route's permission.

A route without ``opt={"permission": ...}`` is unreachable (and a test walks the
route table so none ships). A user without the permission gets the same 404 as
for a missing record, so probing tells nothing.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.i18n import gettext
from gvi.security.csrf import check_csrf

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
    permission = route_permission(handler)
    if permission is None:
        raise NotFoundException()
    await check_csrf(connection)
    if permission is Permission.public:
        return
    from gvi.accounts.services import load_principal

    principal = await load_principal(connection)
    if principal is None:
        raise NotAuthorizedException(detail=gettext("Logga in för att fortsätta."))
    if not principal.can(permission):
        raise NotFoundException()
    if any(isinstance(v, int) and abs(v) > MAX_ID for v in connection.path_params.values()):
        raise NotFoundException()
    connection.state.principal = principal


def current_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency: the principal the guard loaded (only on non-public routes)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthorizedException(detail=gettext("Logga in för att fortsätta."))
    return principal
