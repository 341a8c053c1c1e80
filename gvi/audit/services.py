"""Writing, checking and reading the audit trail (DESIGN §4, §7).

``record`` appends one chained row in the caller's transaction: its ``hash`` is
an HMAC-SHA-256 under the audit key (:mod:`gvi.audit.keys`, kept outside the
database) over its content and the previous row's hash. ``verify`` walks the
chain and reports edited rows, missing rows and a rewritten history, and
checks the signed checkpoints (:mod:`gvi.audit.checkpoints`) written outside
the database: someone who can write the database but holds neither key can
neither recompute the chain nor cut its tail unseen. ``who_accessed_person``,
``what_user_read`` and ``unusual_reading`` are the views admins use. The
database refuses UPDATE and DELETE on ``audit_event`` (a trigger, see the
"audit trail is append-only" migration); the HMACs and checkpoints are what
show that someone with the power to bypass the trigger used it.

Rows written before the keyed chain carry a plain SHA-256 hash and no key id;
they are accepted only as a prefix of the trail up to a signed checkpoint
(migration 2026-12-01T12:00). ``verify_command`` also keeps the older local
anchor, the last verified ``(seq, hash)`` in ``<var>/audit.anchor``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from gvi.access.principal import SYSTEM, Principal
from gvi.audit.checkpoints import Checkpoint, checkpoint_path, read_checkpoints, write_checkpoint
from gvi.audit.events import READ_ACTIONS, AuditAction
from gvi.audit.keys import AuditKeyError, ChainKeys, SigningKey, get_chain_keys, get_signing_keys
from gvi.audit.tables import AuditEvent
from gvi.db import write_transaction
from gvi.settings import get_settings

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first row."""

HASH_VERSION = 1
"""Part of every hashed payload, so the serialisation can change without ambiguity.
Version 1: plain SHA-256, no key (rows written before the keyed chain)."""

KEYED_HASH_VERSION = 2
"""Version 2: HMAC-SHA-256 under the audit key the row names in ``key_id``."""

# Every writer must take the same key, whatever process it runs in; the value only
# has to be unique among the advisory locks this database uses ("gvi_audt").
_PG_CHAIN_LOCK = 0x6776695F61756474
_HEAD_SQL = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_COLUMNS = (
    "occurred_at, actor_id, actor_username, action, target_type, target_id, person_id, "
    "details, ip, user_agent"
)
_PG_APPEND_SQL = "SELECT * FROM gvi_audit_append(" + ", ".join(["{}"] * 17) + ")"  # noqa: S608
_SQLITE_INSERT_SQL = (
    f"INSERT INTO audit_event (seq, {_COLUMNS}, key_id, prev_hash, hash) "  # noqa: S608
    "VALUES (" + ", ".join(["{}"] * 14) + ")"
)

_MAX_DETAIL_STRING = 64
# Strings are machine tokens: no spaces (free text), no "@" (e-mail addresses).
_TOKEN = re.compile(r"[A-Za-z0-9_.:/+-]*")
_MAX_DETAILS_CHARS = 2048
_MAX_DETAILS_DEPTH = 3

# Key words that announce identity or free text; details carry ids and counts only.
# ("reason" is allowed: auth events use it for tokens such as "throttled"; the
# token rule on values keeps a break-the-glass reason out.)
_FORBIDDEN_KEY_WORDS = frozenset(
    {
        "name",
        "names",
        "firstname",
        "lastname",
        "fullname",
        "displayname",
        "username",
        "personnummer",
        "samordningsnummer",
        "pnr",
        "pin",
        "ssn",
        "address",
        "phone",
        "email",
        "mail",
        "note",
        "notes",
        "summary",
        "comment",
        "comments",
    }
)

# Personnummer or samordningsnummer (day + 60), with or without century and separator.
_PERSONAL_NUMBER = re.compile(
    r"\b(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]|[6-8]\d|9[01])[-+]?\d{4}\b"
)


class AuditDetailsError(ValueError):
    """``details`` looked like it carried personal data or free text."""


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


def _canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _iso_utc(moment: datetime) -> str:
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
        "occurred_at": _iso_utc(entry.occurred_at),
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
    text = _canonical_json(_payload(entry))
    if entry.key_id is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (keys or get_chain_keys()).mac(entry.key_id, text) or ""


def _item(key: str, value: Any) -> str:
    return f"{_canonical_json(key)}:{_canonical_json(value)}"


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
    return b1 + _canonical_json(entry.details) + b2, middle, after


def _object_around(value: dict[str, Any], key: str) -> tuple[str, str]:
    """The canonical JSON of *value* with *key* set, in two parts around that key's
    value (any value of *key* in *value* is left out)."""
    keys = sorted(k for k in value if k != key)
    before = "{" + "".join(_item(k, value[k]) + "," for k in keys if k < key)
    after = "".join("," + _item(k, value[k]) for k in keys if k > key) + "}"
    return before + _canonical_json(key) + ":", after


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


def _check_details(value: Any, depth: int = 0) -> None:
    if depth > _MAX_DETAILS_DEPTH:
        raise AuditDetailsError("audit details nest too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if _PERSONAL_NUMBER.search(str(value)):
            raise AuditDetailsError("audit details hold what looks like a personal number")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditDetailsError("audit details hold a non-finite number")
        return
    if isinstance(value, str):
        if len(value) > _MAX_DETAIL_STRING or not _TOKEN.fullmatch(value):
            raise AuditDetailsError(
                f"audit detail strings are tokens (letters, digits, _ . : / + -) "
                f"of at most {_MAX_DETAIL_STRING} characters"
            )
        if _PERSONAL_NUMBER.search(value):
            raise AuditDetailsError("audit details hold what looks like a personal number")
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_details(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditDetailsError("audit detail keys must be strings")
            words = re.split(r"[^a-z0-9]+", key.lower())
            if _FORBIDDEN_KEY_WORDS.intersection(words):
                raise AuditDetailsError(
                    f"audit details may not have a key {key!r}: ids and counts only"
                )
            _check_details(item, depth + 1)
        return
    raise AuditDetailsError(f"audit details cannot hold a {type(value).__name__}")


def _clean_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Checked and normalised through JSON, so what is hashed is what is stored."""
    if not details:
        return {}
    _check_details(details)
    text = _canonical_json(details)
    if len(text) > _MAX_DETAILS_CHARS:
        raise AuditDetailsError(f"audit details exceed {_MAX_DETAILS_CHARS} characters")
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned


def _fits(field: str, value: str, length: int) -> str:
    if len(value) > length:
        raise ValueError(f"audit {field} is longer than {length} characters")
    return value


def _draft(
    *,
    action: AuditAction,
    actor: Principal | None,
    target_type: str,
    target_id: str,
    person_id: int | None,
    details: dict[str, Any],
    ip: str,
    user_agent: str,
) -> AuditEntry:
    """The event as it will be written, before the chain gives it a place."""
    return AuditEntry(
        seq=0,
        occurred_at=datetime.now(tz=UTC),
        actor_id=actor.user_id if actor else None,
        actor_username=actor.username if actor else "",
        action=str(action),
        target_type=target_type,
        target_id=target_id,
        person_id=person_id,
        details=details,
        ip=ip,
        user_agent=user_agent,
        prev_hash="",
        hash="",
        key_id=get_chain_keys().active_id,
    )


async def _append(draft: AuditEntry) -> AuditEntry:
    """Append *draft* under the chain lock; the caller provides the transaction."""
    if AuditEvent._meta.db.engine_type == "postgres":
        # One round trip: the function takes the chain lock (held to the end of the
        # transaction, so the next writer reads our row as the last one), reads the
        # last row, hashes and inserts (migration 2026-11-22T18:00).
        before, middle, after = chain_parts(draft)
        rows = await AuditEvent.raw(
            _PG_APPEND_SQL,
            _PG_CHAIN_LOCK,
            before,
            middle,
            after,
            *_columns(draft),
            *_key_args(draft),
        )
        chained = rows[0]
        return replace(
            draft,
            seq=chained["new_seq"],
            prev_hash=chained["new_prev_hash"],
            hash=chained["new_hash"],
        )
    # SQLite: the immediate transaction already serialises writers.
    heads = await AuditEvent.raw(_HEAD_SQL)
    last = heads[0] if heads else None
    entry = replace(
        draft,
        seq=(last["seq"] + 1) if last else 1,
        prev_hash=last["hash"] if last else GENESIS_HASH,
    )
    entry = replace(entry, hash=chain_hash(entry))
    await AuditEvent.raw(
        _SQLITE_INSERT_SQL,
        entry.seq,
        *_columns(entry),
        entry.key_id,
        entry.prev_hash,
        entry.hash,
    )
    return entry


def _key_args(draft: AuditEntry) -> tuple[str, bytes, bytes]:
    """The last three arguments of ``gvi_audit_append``: the key id and its HMAC pads."""
    assert draft.key_id is not None
    inner, outer = get_chain_keys().pads(draft.key_id)
    return draft.key_id, inner, outer


def _columns(entry: AuditEntry) -> tuple[Any, ...]:
    """The row's own columns, in the order of ``_COLUMNS``."""
    return (
        entry.occurred_at,
        entry.actor_id,
        entry.actor_username,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.person_id,
        _canonical_json(entry.details),
        entry.ip,
        entry.user_agent,
    )


def _fields(
    action: AuditAction,
    *,
    actor: Principal | None,
    target_type: str,
    target_id: str | int,
    person_id: int | None,
    details: dict[str, Any] | None,
    ip: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    """What :func:`record` writes, checked (see there)."""
    ip_value = ip if ip is not None else (actor.ip if actor else "")
    agent_value = user_agent if user_agent is not None else (actor.user_agent if actor else "")
    return {
        "action": action,
        "actor": actor,
        "target_type": _fits("target_type", target_type, 32),
        "target_id": _fits("target_id", str(target_id), 64),
        "person_id": person_id,
        "details": _clean_details(details),
        # Client-supplied, so clipped rather than refused.
        "ip": ip_value[:64],
        "user_agent": agent_value[:255],
    }


async def record(
    action: AuditAction,
    *,
    actor: Principal | None,
    target_type: str = "",
    target_id: str | int = "",
    person_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> AuditEntry:
    """Append one event to the trail and return it.

    Runs in the caller's Piccolo transaction when one is active, so the event and
    the work it describes commit or roll back together: let an exception from
    here propagate, never swallow it. Open that transaction with
    :func:`gvi.db.write_transaction` (on SQLite a deferred transaction that has
    already read can fail to upgrade to a writer). Without a transaction the
    event gets its own. On PostgreSQL the chain lock is then held until the
    caller commits, so keep audited transactions short.

    ``actor`` is None only for events without a signed-in user (a failed login
    for an unknown account); ``ip`` and ``user_agent`` then come from the
    arguments, otherwise from the principal unless given.

    ``details`` carries ids, counts, booleans and short machine tokens only:
    never names, personal identity numbers, addresses, phone numbers or free
    text (a break-the-glass reason lives in its own table; the event points at
    its id). The trail cannot be corrected, so what goes in stays. Keys such as
    ``name`` or ``phone``, strings with spaces or ``@``, and values shaped like a
    personnummer are refused with :class:`AuditDetailsError`; that check is a
    safety net (a lone first name still passes it), not permission to pass
    anything else. Times go in as ISO strings: a 10-digit epoch can look like a
    personnummer and be refused.
    """
    fields = _fields(
        action,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        person_id=person_id,
        details=details,
        ip=ip,
        user_agent=user_agent,
    )
    engine = AuditEvent._meta.db
    if engine.current_transaction.get() is not None:
        return await _append(_draft(**fields))
    async with write_transaction(engine):
        return await _append(_draft(**fields))


_COUNTED_APPEND_ARGS = 19


def counted_append_sql(first: int, count: str) -> str:
    """A call of ``gvi_audit_append`` (PostgreSQL) for a statement that reads and
    writes its audit event at once, one round trip and one transaction: the
    event's details hold the count the SQL expression *count* computes (rows
    shown, say), which the caller can not know before the statement runs. Its
    arguments are the statement's parameters ``$first`` onwards, in the order
    :func:`counted_append_args` returns them. The function takes the chain lock:
    make the call depend on every expensive part of the statement (pass it
    their results), so the lock is taken after them and held only to the
    commit."""
    p = [f"${first + i}" for i in range(_COUNTED_APPEND_ARGS)]
    n = f"({count})::text"
    return (
        f"gvi_audit_append({p[0]}, {p[1]} || {n} || {p[2]}, {p[3]}, {p[4]}, {p[5]}, {p[6]}, "
        f"{p[7]}, {p[8]}, {p[9]}, {p[10]}, {p[11]}, ({p[12]} || {n} || {p[13]})::json, "
        f"{p[14]}, {p[15]}, {p[16]}, {p[17]}, {p[18]})"
    )


def counted_append_args(
    action: AuditAction,
    *,
    actor: Principal | None,
    count_key: str,
    target_type: str = "",
    target_id: str | int = "",
    person_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    """The parameters of :func:`counted_append_sql` for one event, checked as
    :func:`record` checks them; ``details[count_key]`` is the count."""
    fields = _fields(
        action,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        person_id=person_id,
        details={**(details or {}), count_key: 0},
        ip=None,
        user_agent=None,
    )
    draft = _draft(**fields)
    a, b, middle, after, details_a, details_b = counted_chain_parts(draft, count_key)
    own = _columns(draft)
    # _columns: occurred_at … person_id, details, ip, user_agent; the details go in
    # as two parts around the count.
    return (
        _PG_CHAIN_LOCK,
        a,
        b,
        middle,
        after,
        *own[:7],
        details_a,
        details_b,
        *own[8:],
        *_key_args(draft),
    )


# --- verification -------------------------------------------------------------


class ProblemKind(StrEnum):
    gap = "gap"  # rows are missing: deleted
    edited = "edited"  # a row no longer matches its HMAC: edited, or rewritten without the key
    broken_link = "broken_link"  # a row's prev_hash is not the previous row's hash
    anchor_mismatch = "anchor_mismatch"  # the anchored row now has another hash
    truncated = "truncated"  # the trail ends before the anchored (checkpointed) row
    unknown_key = "unknown_key"  # a row names an audit key that is not configured
    legacy_after_keyed = "legacy_after_keyed"  # an unkeyed (SHA-256) row after keyed ones
    legacy_unanchored = "legacy_unanchored"  # unkeyed rows no signed checkpoint covers
    checkpoint_signature = "checkpoint_signature"  # a checkpoint's signature does not verify
    checkpoint_mismatch = "checkpoint_mismatch"  # the checkpointed row now has another hash
    checkpoint_missing = "checkpoint_missing"  # checkpoint numbers or seqs not continuous
    checkpoint_gap = "checkpoint_gap"  # events that no timely checkpoint covers


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class Anchor:
    """A ``(seq, hash)`` seen in a verified trail, kept outside the database."""

    seq: int
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_seq: int
    head_hash: str
    problems: tuple[Problem, ...]
    checkpoints: int = 0
    # Not failures: events that waited longer than the interval for a checkpoint
    # that did come (the app was down or crashed); worth a look, not an alarm.
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken_seq(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)


GAP_GRACE = timedelta(minutes=1)
"""Slack on the checkpoint interval: the writer's poll and clocks that differ a little."""


def _check_checkpoints(
    checkpoints: Sequence[Checkpoint], signing_keys: tuple[SigningKey, ...]
) -> tuple[list[Checkpoint], list[Problem]]:
    """The checkpoints whose signatures verify, and what is wrong with the rest."""
    problems: list[Problem] = []
    valid: list[Checkpoint] = []
    for cp in checkpoints:
        if not cp.signature_ok(signing_keys):
            problems.append(
                Problem(
                    cp.seq,
                    ProblemKind.checkpoint_signature,
                    f"checkpoint {cp.n} (seq {cp.seq}) is not signed by a configured "
                    f"signing key (key id {cp.key_id!r}): forged or altered",
                )
            )
            continue
        if valid:
            prev = valid[-1]
            if cp.n != prev.n + 1:
                problems.append(
                    Problem(
                        cp.seq,
                        ProblemKind.checkpoint_missing,
                        f"checkpoint {cp.n} (seq {cp.seq}) follows checkpoint {prev.n}: "
                        "checkpoints were removed",
                    )
                )
            if cp.seq < prev.seq:
                problems.append(
                    Problem(
                        cp.seq,
                        ProblemKind.checkpoint_missing,
                        f"checkpoint {cp.n} names seq {cp.seq}, below checkpoint {prev.n}'s "
                        f"seq {prev.seq}: the trail was cut and regrown",
                    )
                )
        valid.append(cp)
    return valid, problems


_VERIFY_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_id,
    AuditEvent.actor_username,
    AuditEvent.action,
    AuditEvent.target_type,
    AuditEvent.target_id,
    AuditEvent.person_id,
    AuditEvent.details,
    AuditEvent.ip,
    AuditEvent.user_agent,
    AuditEvent.key_id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def _entry(row: dict[str, Any]) -> AuditEntry:
    details = row["details"]
    if isinstance(details, str):
        details = json.loads(details)
    return AuditEntry(
        seq=row["seq"],
        occurred_at=row["occurred_at"],
        actor_id=row["actor_id"],
        actor_username=row["actor_username"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        person_id=row["person_id"],
        details=details,
        ip=row["ip"],
        user_agent=row["user_agent"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        key_id=row["key_id"],
    )


async def verify(
    *,
    from_seq: int = 1,
    anchor: Anchor | None = None,
    batch_size: int = 1000,
    checkpoints: Sequence[Checkpoint] | None = None,
    keys: ChainKeys | None = None,
    signing_keys: tuple[SigningKey, ...] | None = None,
    checkpoint_minutes: int | None = None,
    now: datetime | None = None,
) -> VerifyResult:
    """Walk the chain in ``seq`` order, ``batch_size`` rows at a time, checking
    every row's HMAC (plain SHA-256 for legacy rows) and link.

    ``from_seq`` > 1 checks only the tail from there, trusting the row before it.
    ``anchor`` (from an earlier verified run) and ``checkpoints`` (signed, from the
    sink outside the database) also catch a deleted tail and a history
    recomputed by someone holding the chain key; with ``checkpoints`` (even
    empty) rows no timely checkpoint covers are reported, and legacy rows are
    accepted only up to a signed checkpoint.
    """
    if from_seq < 1 or batch_size < 1:
        raise ValueError("from_seq and batch_size must be positive")
    keys = keys or get_chain_keys()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    valid: list[Checkpoint] = []
    if checkpoints is not None:
        valid, cp_problems = _check_checkpoints(
            checkpoints, signing_keys if signing_keys is not None else get_signing_keys()
        )
        problems.extend(cp_problems)
    interval = timedelta(minutes=checkpoint_minutes or get_settings().audit_checkpoint_minutes)
    allowed = interval + GAP_GRACE
    moment = now or datetime.now(tz=UTC)
    by_seq: dict[int, list[Checkpoint]] = {}
    for cp in valid:
        by_seq.setdefault(cp.seq, []).append(cp)
    # The checkpoints in seq order, for "which checkpoint first covered this row".
    covering = sorted(valid, key=lambda cp: (cp.seq, cp.at))
    first_cp_seq = covering[0].seq if covering else None
    cover_at = 0
    gap_reported_for: int | None = -1  # the covering checkpoint's index, or None: the tail

    prev_hash: str | None = GENESIS_HASH
    if from_seq > 1:
        before = (
            await AuditEvent.select(AuditEvent.hash).where(AuditEvent.seq == from_seq - 1).first()
        )
        # Without the row before, the first link cannot be checked (the gap still is).
        prev_hash = before["hash"] if before else None
    expected_seq = from_seq
    head_hash = prev_hash or ""
    checked = 0
    seen_keyed = False
    last_legacy: int | None = None
    while True:
        rows = (
            await AuditEvent.select(*_VERIFY_COLUMNS)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        )
        if not rows:
            break
        for row in rows:
            entry = _entry(row)
            if entry.seq != expected_seq:
                missing = f"{expected_seq}" + (
                    f"..{entry.seq - 1}" if entry.seq - 1 > expected_seq else ""
                )
                problems.append(
                    Problem(expected_seq, ProblemKind.gap, f"seq {missing} missing (deleted)")
                )
            elif prev_hash is not None and entry.prev_hash != prev_hash:
                problems.append(
                    Problem(
                        entry.seq,
                        ProblemKind.broken_link,
                        f"seq {entry.seq} does not follow the hash of seq {entry.seq - 1}",
                    )
                )
            if entry.key_id is None:
                if seen_keyed:
                    problems.append(
                        Problem(
                            entry.seq,
                            ProblemKind.legacy_after_keyed,
                            f"seq {entry.seq} has no audit key but follows keyed rows: forged",
                        )
                    )
                last_legacy = entry.seq
            else:
                seen_keyed = True
            if entry.key_id is not None and keys.key(entry.key_id) is None:
                problems.append(
                    Problem(
                        entry.seq,
                        ProblemKind.unknown_key,
                        f"seq {entry.seq} names audit key {entry.key_id!r}, which is not "
                        "configured (GVI_AUDIT_KEY): cannot be verified",
                    )
                )
            elif chain_hash(entry, keys) != entry.hash:
                problems.append(
                    Problem(
                        entry.seq,
                        ProblemKind.edited,
                        f"seq {entry.seq} does not match its HMAC: edited, or rewritten "
                        "without the audit key",
                    )
                )
            if anchor is not None and entry.seq == anchor.seq and entry.hash != anchor.hash:
                problems.append(
                    Problem(
                        entry.seq,
                        ProblemKind.anchor_mismatch,
                        f"seq {entry.seq} differs from the anchor: history was rewritten",
                    )
                )
            for cp in by_seq.get(entry.seq, ()):
                if entry.hash != cp.hash:
                    problems.append(
                        Problem(
                            entry.seq,
                            ProblemKind.checkpoint_mismatch,
                            f"seq {entry.seq} differs from signed checkpoint {cp.n}: "
                            "history was rewritten",
                        )
                    )
            if checkpoints is not None and (first_cp_seq is None or entry.seq > first_cp_seq):
                while cover_at < len(covering) and covering[cover_at].seq < entry.seq:
                    cover_at += 1
                cover = covering[cover_at] if cover_at < len(covering) else None
                key = cover_at if cover is not None else None
                waited = (cover.at if cover else moment) - entry.occurred_at
                if waited > allowed and gap_reported_for != key:
                    gap_reported_for = key
                    where = (
                        f"the next signed checkpoint ({cover.n}) came {waited} later"
                        if cover
                        else f"no signed checkpoint covers it after {waited}"
                    )
                    # Unwitnessed now: a failure. Witnessed late (a crash, an app
                    # that was down): a warning, or every later verify would fail.
                    (problems if cover is None else warnings).append(
                        Problem(
                            entry.seq,
                            ProblemKind.checkpoint_gap,
                            f"seq {entry.seq} was written at "
                            f"{_iso_utc(entry.occurred_at)} but {where} (interval "
                            f"{interval}): checkpoints were stopped or removed",
                        )
                    )
            prev_hash = head_hash = entry.hash
            expected_seq = entry.seq + 1
            checked += 1
    head_seq = expected_seq - 1
    if anchor is not None and anchor.seq > head_seq:
        problems.append(
            Problem(
                head_seq + 1,
                ProblemKind.truncated,
                f"the trail ends at seq {head_seq} but the anchor saw seq {anchor.seq}",
            )
        )
    if covering and covering[-1].seq > head_seq:
        problems.append(
            Problem(
                head_seq + 1,
                ProblemKind.truncated,
                f"the trail ends at seq {head_seq} but signed checkpoint {covering[-1].n} "
                f"saw seq {covering[-1].seq}: seq {head_seq + 1}..{covering[-1].seq} deleted",
            )
        )
    if checkpoints is not None and last_legacy is not None:
        covered = covering[-1].seq if covering else 0
        if covered < last_legacy:
            problems.append(
                Problem(
                    covered + 1,
                    ProblemKind.legacy_unanchored,
                    f"seq {covered + 1}..{last_legacy} carry plain SHA-256 hashes (before the "
                    "keyed chain) and no signed checkpoint covers them: run "
                    "`gvi audit checkpoint` on a trail you trust",
                )
            )
    problems.sort(key=lambda p: p.seq)
    return VerifyResult(
        checked=checked,
        head_seq=head_seq,
        head_hash=head_hash,
        problems=tuple(problems),
        checkpoints=len(valid),
        warnings=tuple(warnings),
    )


def default_anchor_path() -> Path:
    return get_settings().var_dir / "audit.anchor"


def read_anchor(path: Path) -> Anchor | None:
    """The stored anchor, None when there is none yet; ValueError when unreadable."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        anchor = Anchor(seq=int(data["seq"]), hash=str(data["hash"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"audit anchor {path} is unreadable") from exc
    if anchor.seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", anchor.hash):
        raise ValueError(f"audit anchor {path} is unreadable")
    return anchor


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Replace the anchor atomically: a crash leaves the old one or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_canonical_json({"seq": anchor.seq, "hash": anchor.hash}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


async def verify_command(
    anchor_path: Path | None = None, checkpoint_file: Path | None = None
) -> int:
    """``gvi audit verify``: check every HMAC and link of the trail, the signed
    checkpoints (and the local anchor), print a summary naming the seq of each
    problem, record that the check ran, and, when all is well, move the anchor
    on and write a checkpoint.

    Returns the exit code: 0 intact, 1 tampered (or a key, the anchor or a
    checkpoint is missing or unreadable).
    """
    path = anchor_path or default_anchor_path()
    cp_path = checkpoint_file or checkpoint_path()
    try:
        anchor = read_anchor(path)
        checkpoints = read_checkpoints(cp_path)
        keys = get_chain_keys()
        signing_keys = get_signing_keys()
    except (ValueError, AuditKeyError) as exc:
        print(f"audit trail NOT VERIFIED: {exc}; investigate before removing it", file=sys.stderr)
        return 1
    result = await verify(
        anchor=anchor, checkpoints=checkpoints, keys=keys, signing_keys=signing_keys
    )
    if result.ok:
        print(
            f"audit trail intact: {result.checked} events, head seq {result.head_seq} "
            f"({result.head_hash[:16]}…), {result.checkpoints} signed checkpoint(s) in {cp_path}"
        )
        if anchor is None:
            print(f"no anchor yet; wrote {path}")
        for warning in result.warnings[:50]:
            print(f"  warning: {warning.kind} at seq {warning.seq}: {warning.message}")
    else:
        print(
            f"audit trail TAMPERED: {len(result.problems)} problem(s), "
            f"first at seq {result.first_broken_seq}",
            file=sys.stderr,
        )
        for problem in result.problems[:50]:
            print(f"  {problem.kind} at seq {problem.seq}: {problem.message}", file=sys.stderr)
        if len(result.problems) > 50:
            print(f"  … and {len(result.problems) - 50} more", file=sys.stderr)
    await record(
        AuditAction.audit_verify,
        actor=SYSTEM,
        details={
            "ok": result.ok,
            "checked": result.checked,
            "problems": len(result.problems),
            "first_broken_seq": result.first_broken_seq,
        },
    )
    if result.ok:
        write_anchor(path, Anchor(seq=result.head_seq, hash=result.head_hash))
        await write_checkpoint("verify", path=cp_path)
        return 0
    return 1


async def checkpoint_command(checkpoint_file: Path | None = None) -> int:
    """``gvi audit checkpoint``: verify the chain's HMACs and links (not the
    checkpoints), then sign the head whatever the last checkpoint says. Used once
    after the keyed-chain migration on a trail you trust, or after investigating
    a reported gap."""
    result = await verify()
    if not result.ok:
        print(
            f"not checkpointed: the chain has {len(result.problems)} problem(s), first at "
            f"seq {result.first_broken_seq}; run `gvi audit verify`",
            file=sys.stderr,
        )
        return 1
    cp = await write_checkpoint("command", path=checkpoint_file, only_if_moved=False)
    if cp is None:
        print("the trail is empty: nothing to checkpoint")
    else:
        print(f"checkpoint {cp.n}: seq {cp.seq} ({cp.hash[:16]}…) signed with {cp.key_id}")
    return 0


# --- views ----------------------------------------------------------------------


async def who_accessed_person(person_id: int, *, limit: int = 200) -> list[AuditEntry]:
    """Every event naming the person, reads and writes, newest first."""
    rows = (
        await AuditEvent.select(*_VERIFY_COLUMNS)
        .where(AuditEvent.person_id == person_id)
        .order_by(AuditEvent.seq, ascending=False)
        .limit(limit)
    )
    return [_entry(row) for row in rows]


async def what_user_read(
    user_id: int, *, since: datetime | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The user's reads of person-level data (``READ_ACTIONS``), newest first."""
    query = AuditEvent.select(*_VERIFY_COLUMNS).where(
        (AuditEvent.actor_id == user_id) & AuditEvent.action.is_in(sorted(READ_ACTIONS))
    )
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since.astimezone(UTC))
    rows = await query.order_by(AuditEvent.seq, ascending=False).limit(limit)
    return [_entry(row) for row in rows]


@dataclass(frozen=True)
class UnusualReading:
    actor_id: int
    actor_username: str
    hour: datetime  # start of the clock hour, UTC
    persons: int  # distinct persons read in that hour


async def unusual_reading(
    threshold: int = 50, *, since: datetime | None = None
) -> list[UnusualReading]:
    """Users who read more than ``threshold`` distinct persons within one clock
    hour (UTC), most persons first. Counted in the database, per actor and hour."""
    engine = AuditEvent._meta.db
    if engine.engine_type == "postgres":
        hour = "date_trunc('hour', occurred_at AT TIME ZONE 'UTC')"
    else:
        # Piccolo stores timestamptz as "YYYY-MM-DD HH:MM:SS.ffffff+00:00"; SQLite reads that.
        hour = "strftime('%Y-%m-%d %H:00:00', occurred_at)"
    actions = sorted(READ_ACTIONS)
    args: list[Any] = list(actions)
    since_clause = ""
    if since is not None:
        since_clause = "AND occurred_at >= {}"
        args.append(since.astimezone(UTC))
    args.append(threshold)
    # Only fixed text is formatted in; every value is a bound parameter.
    sql = (
        "SELECT actor_id, MAX(actor_username) AS actor_username, "  # noqa: S608
        f"{hour} AS hour, COUNT(DISTINCT person_id) AS persons "
        "FROM audit_event "
        f"WHERE action IN ({', '.join('{}' for _ in actions)}) "
        "AND person_id IS NOT NULL AND actor_id IS NOT NULL "
        f"{since_clause} "
        f"GROUP BY actor_id, {hour} "
        "HAVING COUNT(DISTINCT person_id) > {} "
        "ORDER BY persons DESC, hour, actor_id"
    )
    rows = await AuditEvent.raw(sql, *args)
    result = []
    for row in rows:
        bucket = row["hour"]
        if isinstance(bucket, str):
            bucket = datetime.fromisoformat(bucket)
        result.append(
            UnusualReading(
                actor_id=row["actor_id"],
                actor_username=row["actor_username"],
                hour=bucket.replace(tzinfo=UTC),
                persons=row["persons"],
            )
        )
    return result
