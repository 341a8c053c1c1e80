"""Security headers on every response, with a fresh CSP nonce per request.

Templates read the nonce as ``csp_nonce`` (see :func:`csp_nonce`) and put it on
any ``<script>``/``<style>`` they need; nothing else may run. The nonce is made
when a template first asks for it; a response that used none (JSON, most pages)
gets the same policy without a nonce, which allows no script or style element
from the page at all.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from gvi.core.middleware import HTTPMiddleware

_NONCE_KEY = "gvi_csp_nonce"


def csp_nonce(scope: Scope | Any) -> str:
    state = scope["state"] if isinstance(scope, dict) else scope.scope["state"]
    nonce: str | None = state.get(_NONCE_KEY)
    if nonce is None:
        nonce = state[_NONCE_KEY] = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str | None) -> str:
    allowed = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {allowed}",
            f"style-src {allowed}",
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
# (No "Pragma: no-cache": it only ever meant something to HTTP/1.0 caches.)
_NO_STORE: tuple[tuple[bytes, bytes], ...] = ((b"cache-control", b"no-store"),)


class SecurityHeadersMiddleware(HTTPMiddleware):
    def __init__(self, *, hsts: bool = True) -> None:
        self.hsts = hsts
        fixed = _FIXED + ((_HSTS,) if hsts else ())
        # Any page may carry person data; nothing dynamic is cached anywhere.
        # By "is static": static files keep the caching their handler chose.
        self._fixed = {True: fixed, False: fixed + _NO_STORE}
        self._names = {
            static: frozenset({_CSP, *(name for name, _ in headers)})
            for static, headers in self._fixed.items()
        }
        self._csp_without_nonce = (_CSP, content_security_policy(None).encode("latin-1"))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        static = scope["path"].startswith("/static/")
        fixed, names = self._fixed[static], self._names[static]
        state = scope["state"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # One pass over the raw list: each of our headers replaces any the
                # handler set (setting them one by one through MutableScopeHeaders
                # rescans the list each time, a third of a /healthz request).
                headers = [h for h in message.get("headers", ()) if h[0].lower() not in names]
                nonce = state.get(_NONCE_KEY)
                headers.append(
                    (_CSP, content_security_policy(nonce).encode("latin-1"))
                    if nonce
                    else self._csp_without_nonce
                )
                headers.extend(fixed)
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_with_headers)
