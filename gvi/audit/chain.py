"""The audit chain's hashing: what a row's ``hash`` is computed over, exactly.

A row's hash is an HMAC-SHA-256 under the audit key it names (plain SHA-256 for
rows written before the keyed chain) over the canonical JSON of its content and
the previous row's hash. Every writer (Python on SQLite, ``gvi_audit_append`` on
PostgreSQL) and :func:`gvi.audit.verify.verify` hash the same bytes: change
nothing here without a new hash version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from gvi.audit.keys import ChainKeys, get_chain_keys
from gvi.audit.tables import AuditEvent

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first row."""

HASH_VERSION = 1
"""Part of every hashed payload, so the serialisation can change without ambiguity.
Version 1: plain SHA-256, no key (rows written before the keyed chain)."""

KEYED_HASH_VERSION = 2
"""Version 2: HMAC-SHA-256 under the audit key the row names in ``key_id``."""


@dataclass(frozen=True)
class AuditEntry:
    """One row of the trail as the services hand it out."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_username: str
    # Plain text, not AuditAction: old rows may carry tags this code no longer knows.
    action: str
    target_type: str
    target_id: str
    person_id: int | None
    details: dict[str, Any]
    ip: str
    user_agent: str
    prev_hash: str
    hash: str
    # The audit key the hash is an HMAC under; None: a legacy plain SHA-256 row.
    key_id: str | None = None


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def iso_utc(moment: datetime) -> str:
    # Fixed precision: SQLite stores "…:05+00:00" when microseconds are zero.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _payload(entry: AuditEntry) -> dict[str, Any]:
    keyed: dict[str, Any] = (
        {"v": HASH_VERSION}
        if entry.key_id is None
        else {"v": KEYED_HASH_VERSION, "key_id": entry.key_id}
    )
    return {
        **keyed,
        "seq": entry.seq,
        "occurred_at": iso_utc(entry.occurred_at),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "person_id": entry.person_id,
        "details": entry.details,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "prev_hash": entry.prev_hash,
    }


def chain_hash(entry: AuditEntry, keys: ChainKeys | None = None) -> str:
    """The hash a row must carry: HMAC-SHA-256 under the audit key ``entry.key_id``
    (from *keys*, default the configured ones) over its content and the previous
    hash; for a legacy row (no key id) plain SHA-256. "" when the key is unknown."""
    text = canonical_json(_payload(entry))
    if entry.key_id is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (keys or get_chain_keys()).mac(entry.key_id, text) or ""


def _item(key: str, value: Any) -> str:
    return f"{canonical_json(key)}:{canonical_json(value)}"


def _chain_frame(entry: AuditEntry) -> tuple[str, str, str, str]:
    """The hashed text of *entry* around its details and its two chain fields:
    ``b1 + details + b2 + prev_hash + middle + str(seq) + after`` is exactly the
    canonical JSON :func:`chain_hash` hashes, ``details`` being the canonical JSON
    of ``entry.details``. The keys are sorted: ``details`` comes before
    ``prev_hash``, and nothing sorts between ``prev_hash`` and ``seq``."""
    payload = _payload(entry)
    del payload["details"], payload["prev_hash"], payload["seq"]
    keys = sorted(payload)
    head = [k for k in keys if k < "details"]
    between = [k for k in keys if "details" < k < "prev_hash"]
    tail = [k for k in keys if k > "seq"]
    assert len(head) + len(between) + len(tail) == len(keys), (
        "a key sorts between prev_hash and seq"
    )
    b1 = "{" + "".join(_item(k, payload[k]) + "," for k in head) + '"details":'
    b2 = "".join("," + _item(k, payload[k]) for k in between) + ',"prev_hash":"'
    after = "".join("," + _item(k, payload[k]) for k in tail) + "}"
    return b1, b2, '","seq":', after


def chain_parts(entry: AuditEntry) -> tuple[str, str, str]:
    """The hashed text of *entry* around its two chain fields, for a writer that
    learns them only under the chain lock (the database, see ``_append``):
    ``before + prev_hash + middle + str(seq) + after`` is exactly the canonical
    JSON :func:`chain_hash` hashes."""
    b1, b2, middle, after = _chain_frame(entry)
    return b1 + canonical_json(entry.details) + b2, middle, after


def _object_around(value: dict[str, Any], key: str) -> tuple[str, str]:
    """The canonical JSON of *value* with *key* set, in two parts around that key's
    value (any value of *key* in *value* is left out)."""
    keys = sorted(k for k in value if k != key)
    before = "{" + "".join(_item(k, value[k]) + "," for k in keys if k < key)
    after = "".join("," + _item(k, value[k]) for k in keys if k > key) + "}"
    return before + canonical_json(key) + ":", after


def counted_chain_parts(entry: AuditEntry, count_key: str) -> tuple[str, str, str, str, str, str]:
    """For an event whose ``details[count_key]`` is a count only the database
    knows when it writes the row (a read and its audit event in one statement,
    see :func:`counted_append_sql`): with ``n`` that count as decimal digits,
    ``a + n + b + prev_hash + middle + str(seq) + after`` is the text
    :func:`chain_hash` hashes and ``details_a + n + details_b`` the stored
    details, both for *entry* with ``details[count_key] = n``. Returns
    ``(a, b, middle, after, details_a, details_b)``."""
    b1, b2, middle, after = _chain_frame(entry)
    details_a, details_b = _object_around(entry.details, count_key)
    return b1 + details_a, details_b + b2, middle, after, details_a, details_b


_ROW_FIELDS = tuple(f.name for f in fields(AuditEntry) if f.name != "details")

ENTRY_COLUMNS = tuple(getattr(AuditEvent, f.name) for f in fields(AuditEntry))
"""The columns a select reads to make :class:`AuditEntry` rows of (same names)."""


def entry_from_row(row: dict[str, Any]) -> AuditEntry:
    """An entry from a row selected with :data:`ENTRY_COLUMNS` (the names match)."""
    details = row["details"]
    if isinstance(details, str):
        details = json.loads(details)
    return AuditEntry(details=details, **{name: row[name] for name in _ROW_FIELDS})
