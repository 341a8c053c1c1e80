"""Security headers on every response, with a fresh CSP nonce per request.

Templates read the nonce as ``csp_nonce`` (see :func:`csp_nonce`) and put it on
any ``<script>``/``<style>`` they need; nothing else may run.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_NONCE_KEY = "gvi_csp_nonce"


def csp_nonce(scope: Scope | Any) -> str:
    state = scope["state"] if isinstance(scope, dict) else scope.scope["state"]
    nonce: str = state.setdefault(_NONCE_KEY, secrets.token_urlsafe(18))
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


_CSP = b"content-security-policy"
_FIXED: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_NO_STORE: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
)


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, *, hsts: bool = True) -> None:
        self.hsts = hsts
        self._fixed = _FIXED + ((_HSTS,) if hsts else ())

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        nonce = csp_nonce(scope)
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Any page may carry person data; nothing dynamic is cached anywhere.
                fixed = self._fixed + (() if is_static else _NO_STORE)
                names = {_CSP, *(name for name, _ in fixed)}
                # One pass over the raw list: each of our headers replaces any the
                # handler set (setting them one by one through MutableScopeHeaders
                # rescans the list each time, a third of a /healthz request).
                headers = [h for h in message.get("headers", ()) if h[0].lower() not in names]
                headers.append((_CSP, content_security_policy(nonce).encode("latin-1")))
                headers.extend(fixed)
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_with_headers)
