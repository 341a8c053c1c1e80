"""API tokens and calendar-feed addresses: one table, told apart by ``kind``.

Only a SHA-256 of the secret is stored: the secret has 256 bits of entropy, so a
slow hash would add nothing but cost on every request. ``lookup`` is the
public part of the token, for finding the row without comparing hashes.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Keyed


class TokenKind(StrEnum):
    api = "api"  # Authorization: Bearer on /api/v1
    feed = "feed"  # a calendar address: callins:read, the owner's current scope


class ApiToken(Keyed, Table, tablename="api_token"):
    owner = ForeignKey(User, on_delete=OnDelete.restrict)
    kind = Varchar(length=8, choices=TokenKind, default=TokenKind.api)
    name = Varchar(length=80, help_text="What the token is for, as its owner named it.")
    lookup = Varchar(length=16, unique=True, help_text="The token's public id part.")
    secret_hash = Varchar(length=64, secret=True, help_text="SHA-256 (hex) of the whole token.")
    permissions = Text(default="", help_text="Space-separated permissions, a subset of the role's.")
    municipalities = Text(
        default="", help_text="Space-separated municipality ids; '*': the owner's current scope."
    )
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True)
    last_used_at = Timestamptz(null=True, default=None)
