"""CSRF defence for every unsafe request: a per-session token and an Origin check.

The token lives in the server-side session; forms carry it as ``csrf_token``
and scripts as the ``X-CSRF-Token`` header. The Origin (or Referer) must name
this site when the browser sends one, and cross-site fetches are refused.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection, Request
from litestar.exceptions import PermissionDeniedException

from gvi.i18n import gettext
from gvi.security.sessions import get_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The session's token, created on first use (templates call this). Pages
    rendered before any middleware ran (a 404 for an unknown path) have no
    session: their forms get no token and would be refused, which is right."""
    try:
        session = get_session(connection)
    except KeyError:
        return ""
    token: str | None = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


class CSRFError(PermissionDeniedException):
    pass


def _same_origin(value: str, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    # Scheme, host and port: http://host is another origin than https://host (a
    # page on plain http could otherwise post into the https site). Behind a TLS
    # proxy the scheme is the proxy's X-Forwarded-Proto (GVI_TRUSTED_PROXIES).
    parts = urlsplit(value)
    host = connection.headers.get("host", "")
    scheme = str(connection.scope.get("scheme", ""))
    return bool(parts.netloc) and parts.netloc == host and parts.scheme.lower() == scheme


async def check_csrf(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return
    headers = connection.headers
    if headers.get("sec-fetch-site") == "cross-site":
        raise CSRFError(detail=gettext("Begäran kom från en annan webbplats och stoppades."))
    origin = headers.get("origin")
    if origin is not None and origin != "null":
        if not _same_origin(origin, connection):
            raise CSRFError(detail=gettext("Begäran kom från en annan webbplats och stoppades."))
    elif (referer := headers.get("referer")) and not _same_origin(referer, connection):
        raise CSRFError(detail=gettext("Begäran kom från en annan webbplats och stoppades."))
    expected = get_session(connection).get("csrf")
    sent = headers.get(HEADER)
    if sent is None:
        request: Request[Any, Any, Any] = Request(connection.scope, receive=connection.receive)
        content_type = request.content_type[0]
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = (await request.form()).get(FORM_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise CSRFError(
            detail=(
                gettext(
                    "Formuläret har gått ut eller saknar säkerhetstoken. "
                    "Ladda om sidan och försök igen."
                )
            )
        )
