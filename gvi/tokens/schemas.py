"""JSON shapes of /api/v1/tokens, /api/v1/calendar-feeds and /api/v1/admin/service-accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from gvi.accounts.tables import Role
from gvi.tokens.services import MAX_DAYS, NAME_MAX


class TokenOut(msgspec.Struct):
    id: int
    kind: str
    name: str
    owner_id: int
    permissions: list[str]
    municipality_ids: list[int]
    whole_scope: bool
    status: str  # active, expired or revoked
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(msgspec.Struct):
    token: TokenOut
    # Shown this once: only its hash is kept.
    secret: str


class FeedCreatedOut(msgspec.Struct):
    feed: TokenOut
    # The address to subscribe to; shown this once.
    url: str


class TokenCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX)]
    permissions: Annotated[list[str], msgspec.Meta(min_length=1, max_length=64)]
    days: Annotated[int, msgspec.Meta(ge=1, le=MAX_DAYS)]
    municipality_ids: Annotated[list[int], msgspec.Meta(max_length=400)] = []


class FeedCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=NAME_MAX)] = ""


class ServiceAccountOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    municipality_ids: list[int]
    is_active: bool


class ServiceAccountCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=2, max_length=63)]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    role: Role
    unit_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    municipality_ids: Annotated[list[int], msgspec.Meta(max_length=400)] = []
