"""A leaner base for the app's own middleware than Litestar's ``ASGIMiddleware``.

Litestar's base checks path patterns, opt keys and scope callbacks on every call
so that a middleware can be skipped per route; ours run on every HTTP request of
every route, and that check was a measurable part of a ``/healthz`` answer.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from gvi import i18n


class HTTPMiddleware:
    """Subclasses implement :meth:`handle`; other scope types pass straight through."""

    def __call__(self, app: ASGIApp) -> ASGIApp:
        handle = self.handle

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP:
                await handle(scope, receive, send, app)
            else:
                await app(scope, receive, send)

        return middleware

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raise NotImplementedError


class LanguageMiddleware(HTTPMiddleware):
    """Sets the request's language; runs after the session middleware."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        session = scope["state"].get("gvi_session")
        session_language = session.get("lang") if session is not None else None
        accept = ""
        for key, value in scope["headers"]:
            if key == b"accept-language":
                accept = value.decode("latin-1")
                break
        token = i18n.enter_language(i18n.pick_language(session_language, accept))
        try:
            await next_app(scope, receive, send)
        finally:
            i18n.leave_language(token)
