"""``Authorization: Bearer <token>`` on ``/api/v1``: the HTTP side of API tokens.

Called by the one gate (gvi/access/guards.py) when a request carries the
header. A bearer request needs no CSRF token: a browser never adds an
Authorization header on its own, and no cross-site script can (the app allows
no CORS), so there is no ambient credential to forge with. The session cookie,
if one came along, is ignored. Tokens open no pages: anything outside
``/api/v1`` is a 404, as is a route marked ``opt={"session_only": True}``
(managing tokens: a token that could mint tokens could outlive its expiry).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotFoundException, TooManyRequestsException

from gvi.access.principal import Principal
from gvi.core.web import app_settings, client_ip, user_agent
from gvi.i18n import gettext
from gvi.tokens import services
from gvi.tokens.ratelimit import TokenRateLimiter
from gvi.tokens.tables import TokenKind

API_PREFIX = "/api/v1/"
SESSION_ONLY = "session_only"


class TokenRefused(HTTPException):
    """401 for a token that is unknown, expired, revoked or whose owner cannot act."""

    status_code = 401


def bearer_secret(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None without one."""
    value = connection.headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def rate_limiter(connection: ASGIConnection[Any, Any, Any, Any]) -> TokenRateLimiter:
    return TokenRateLimiter(
        connection.app.stores.get("throttle"), limit=app_settings(connection).api_rate_limit
    )


async def enforce_rate(connection: ASGIConnection[Any, Any, Any, Any], token_id: int) -> None:
    decision = await rate_limiter(connection).hit(token_id)
    if not decision.allowed:
        raise TooManyRequestsException(
            detail=gettext(
                "För många anrop med den här nyckeln. Vänta %(seconds)s sekunder och försök igen."
            )
            % {"seconds": decision.retry_after_seconds},
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )


async def bearer_principal(
    connection: ASGIConnection[Any, Any, Any, Any], handler_opt: dict[str, Any], secret: str
) -> Principal:
    """The principal of a bearer request, or the refusal (404, 401, 429)."""
    if not connection.scope["path"].startswith(API_PREFIX) or handler_opt.get(SESSION_ONLY):
        raise NotFoundException()
    principal = await services.authenticate(
        secret, TokenKind.api, ip=client_ip(connection), user_agent=user_agent(connection)
    )
    if principal is None:
        raise TokenRefused(
            detail=gettext(
                "API-nyckeln gäller inte: den är okänd, har gått ut eller återkallats, "
                "eller så kan kontot inte längre användas. Skapa en ny nyckel."
            ),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    assert principal.token_id is not None
    await enforce_rate(connection, principal.token_id)
    return principal
