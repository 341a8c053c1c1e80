"""Server-side sessions that rotate their id.

Litestar's session middleware keeps whatever id the browser sends, so a
planted cookie survives login (session fixation). Here the browser's id is
only ever used to *look up* a session; a session is written under an id this
server generated, a fresh one at every login and privilege change, and an id
the store does not know starts an empty session under a new id.

Data lives in a Litestar ``Store``: a FileStore under ``var/`` by default, a
RedisStore when ``GVI_REDIS_URL`` is set so several instances share sessions.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.stores.base import Store
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from gvi.core.middleware import HTTPMiddleware

_SCOPE_KEY = "gvi_session"
# Writing `seen` on every request would turn each read into a store write.
_SEEN_GRANULARITY_S = 30


@dataclass
class Session:
    """The request's session. Handlers change it through the methods below."""

    id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    modified: bool = False
    old_ids: list[str] = field(default_factory=list)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.modified = True

    def pop(self, key: str, default: Any = None) -> Any:
        self.modified = True
        return self.data.pop(key, default)

    def rotate(self) -> None:
        """Give the session a new id (login, second factor, privilege change)."""
        if self.id:
            self.old_ids.append(self.id)
        self.id = None
        self.modified = True

    def clear(self) -> None:
        """End the session: its stored data is deleted and the cookie expired."""
        self.rotate()
        self.data = {}

    def flash(self, message: str, category: str = "info") -> None:
        self.data.setdefault("flash", []).append([category, message])
        self.modified = True

    def take_flashes(self) -> list[list[str]]:
        flashes: list[list[str]] = self.data.pop("flash", [])
        if flashes:
            self.modified = True
        return flashes


def get_session(connection: ASGIConnection[Any, Any, Any, Any] | Scope) -> Session:
    scope = connection if isinstance(connection, dict) else connection.scope
    session: Session = scope["state"][_SCOPE_KEY]
    return session


@dataclass(frozen=True)
class SessionSettings:
    cookie_name: str
    secure: bool
    idle_seconds: int
    absolute_seconds: int


def session_settings(*, secure: bool, idle_minutes: int, max_hours: int) -> SessionSettings:
    # __Host- requires Secure, Path=/ and no Domain; without TLS (local http only)
    # browsers refuse such a cookie, so the prefix goes with the Secure flag.
    return SessionSettings(
        cookie_name="__Host-gvi" if secure else "gvi",
        secure=secure,
        idle_seconds=idle_minutes * 60,
        absolute_seconds=max_hours * 3600,
    )


class SessionMiddleware(HTTPMiddleware):
    def __init__(self, *, store: Store, settings: SessionSettings) -> None:
        self.store = store
        self.settings = settings

    async def _load(self, raw_id: str | None, now: float) -> Session:
        if not raw_id or len(raw_id) > 128:
            return Session()
        blob = await self.store.get(raw_id)
        if blob is None:
            # Unknown id: never adopt it.
            return Session()
        data: dict[str, Any] = msgspec.json.decode(blob)
        created = float(data.get("_created", 0))
        seen = float(data.get("_seen", 0))
        if (
            now - seen > self.settings.idle_seconds
            or now - created > self.settings.absolute_seconds
        ):
            await self.store.delete(raw_id)
            return Session()
        session = Session(id=raw_id, data=data)
        if now - seen > _SEEN_GRANULARITY_S:
            session["_seen"] = now
        return session

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        now = time.time()
        raw_id = _read_cookie(scope, self.settings.cookie_name)
        session = await self._load(raw_id, now)
        scope["state"][_SCOPE_KEY] = session

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                await self._persist(session, message, now)
            await send(message)

        await next_app(scope, receive, send_wrapper)

    async def _persist(self, session: Session, message: Message, now: float) -> None:
        for old in session.old_ids:
            await self.store.delete(old)
        session.old_ids.clear()
        headers = MutableScopeHeaders.from_message(message)
        if not session.data:
            if session.id:
                await self.store.delete(session.id)
            headers.add("Set-Cookie", self._cookie("", max_age=0))
            return
        if session.id is None:
            session.id = secrets.token_urlsafe(32)
        session.data.setdefault("_created", now)
        session.data["_seen"] = now
        await self.store.set(
            session.id, msgspec.json.encode(session.data), expires_in=self.settings.idle_seconds
        )
        headers.add("Set-Cookie", self._cookie(session.id, max_age=None))

    def _cookie(self, value: str, *, max_age: int | None) -> str:
        return Cookie(
            key=self.settings.cookie_name,
            value=value,
            path="/",
            secure=self.settings.secure,
            httponly=True,
            samesite="strict",
            max_age=max_age,
        ).to_header(header="")


def _read_cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None
