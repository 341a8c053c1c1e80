"""AuditEvent: one row per read, list, export or write of person-level data,
and per security event. Each row's hash is an HMAC (under a key outside the
database) over its content and the previous row's hash, so an edited or deleted
row breaks the chain and cannot be recomputed without the key."""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, Integer, Timestamptz, Varchar
from piccolo.table import Table

from gvi.core.columns import Keyed


class AuditEvent(Keyed, Table, tablename="audit_event"):
    # No foreign keys: the trail must outlive anything it mentions.
    seq = BigInt(unique=True, help_text="Gap-free position in the chain.")
    occurred_at = Timestamptz()
    actor_id = Integer(null=True, default=None)
    actor_username = Varchar(length=64, default="")
    action = Varchar(length=64, index=True, help_text="A tag such as person:identity:read.")
    target_type = Varchar(length=32, default="")
    target_id = Varchar(length=64, default="")
    person_id = Integer(null=True, default=None, index=True)
    details = JSON(default="{}")
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=255, default="")
    key_id = Varchar(
        length=32,
        null=True,
        default=None,
        help_text="The audit key the hash is an HMAC under; NULL: a plain SHA-256 legacy row.",
    )
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64, unique=True)
