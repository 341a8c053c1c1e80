"""Writing the audit trail (architecture §5), and the ``gvi audit`` commands.

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

The hashing lives in :mod:`gvi.audit.chain`, the check of ``details`` in
:mod:`gvi.audit.details`, the walk of the chain in :mod:`gvi.audit.verify` and the
admins' views in :mod:`gvi.audit.queries`; their names are re-exported here, the
one import path the rest of the app uses.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gvi.access.principal import SYSTEM, Principal
from gvi.audit.chain import ENTRY_COLUMNS, canonical_json, entry_from_row
from gvi.audit.chain import GENESIS_HASH as GENESIS_HASH
from gvi.audit.chain import HASH_VERSION as HASH_VERSION
from gvi.audit.chain import KEYED_HASH_VERSION as KEYED_HASH_VERSION
from gvi.audit.chain import AuditEntry as AuditEntry
from gvi.audit.chain import chain_hash as chain_hash
from gvi.audit.chain import chain_parts as chain_parts
from gvi.audit.chain import counted_chain_parts as counted_chain_parts
from gvi.audit.checkpoints import checkpoint_path, read_checkpoints, write_checkpoint
from gvi.audit.details import AuditDetailsError as AuditDetailsError
from gvi.audit.details import clean_details
from gvi.audit.events import AuditAction
from gvi.audit.keys import AuditKeyError, get_chain_keys, get_signing_keys
from gvi.audit.queries import UnusualReading as UnusualReading
from gvi.audit.queries import unusual_reading as unusual_reading
from gvi.audit.queries import what_user_read as what_user_read
from gvi.audit.queries import who_accessed_person as who_accessed_person
from gvi.audit.tables import AuditEvent
from gvi.audit.verify import Anchor as Anchor
from gvi.audit.verify import Problem as Problem
from gvi.audit.verify import ProblemKind as ProblemKind
from gvi.audit.verify import VerifyResult as VerifyResult
from gvi.audit.verify import default_anchor_path as default_anchor_path
from gvi.audit.verify import read_anchor as read_anchor
from gvi.audit.verify import verify as verify
from gvi.audit.verify import write_anchor as write_anchor
from gvi.db import write_transaction

# The old names of the row reader, for the tamper tests.
_VERIFY_COLUMNS = ENTRY_COLUMNS
_entry = entry_from_row

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
        canonical_json(entry.details),
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
    if actor is not None and actor.token_id is not None:
        # A request made with an API token: the actor is the token's owner, and
        # the row names the token (gvi/tokens).
        details = {**(details or {}), "api_token": actor.token_id}
    ip_value = ip if ip is not None else (actor.ip if actor else "")
    agent_value = user_agent if user_agent is not None else (actor.user_agent if actor else "")
    return {
        "action": action,
        "actor": actor,
        "target_type": _fits("target_type", target_type, 32),
        "target_id": _fits("target_id", str(target_id), 64),
        "person_id": person_id,
        "details": clean_details(details),
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
        details=result.summary,
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
