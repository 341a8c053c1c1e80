"""API shapes for people. Identity fields appear only in ``IdentityOut``."""

from __future__ import annotations

import msgspec


class PersonOut(msgspec.Struct):
    id: int
    code: str
    municipality: str
    birth_year: int | None
    protected: bool


class PersonPage(msgspec.Struct):
    items: list[PersonOut]
    total: int
    page: int
    page_size: int


class IdentityOut(msgspec.Struct):
    name: str | None
    pin: str | None
    address: str | None
    phone: str | None


class BreakGlassIn(msgspec.Struct):
    reason: str


class BreakGlassOut(msgspec.Struct):
    expires_at: str


class PinSearchIn(msgspec.Struct):
    pin: str
