"""Security headers on every response, with a fresh CSP nonce per request.

Templates read the nonce as ``csp_nonce`` (see :func:`csp_nonce`) and put it on
any ``<script>``/``<style>`` they need; nothing else may run.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar.datastructures import MutableScopeHeaders
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


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, *, hsts: bool = True) -> None:
        self.hsts = hsts

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        nonce = csp_nonce(scope)
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Content-Security-Policy"] = content_security_policy(nonce)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                if not is_static:
                    # Any page may carry person data; nothing dynamic is cached anywhere.
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        await next_app(scope, receive, send_with_headers)
