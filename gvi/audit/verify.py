"""Checking the audit trail: every row's HMAC and link, the signed checkpoints
written outside the database (:mod:`gvi.audit.checkpoints`) and the local anchor
(the last verified ``(seq, hash)`` in ``<var>/audit.anchor``). Someone who can
write the database but holds neither key can neither recompute the chain nor cut
its tail unseen."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from gvi.audit.chain import (
    ENTRY_COLUMNS,
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    entry_from_row,
    iso_utc,
)
from gvi.audit.checkpoints import Checkpoint
from gvi.audit.keys import ChainKeys, SigningKey, get_chain_keys, get_signing_keys
from gvi.audit.tables import AuditEvent
from gvi.settings import get_settings


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

    @property
    def summary(self) -> dict[str, Any]:
        """What the audit event of a check records (counts and a seq, nothing else)."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "problems": len(self.problems),
            "first_broken_seq": self.first_broken_seq,
        }


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
            await AuditEvent.select(*ENTRY_COLUMNS)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        )
        if not rows:
            break
        for row in rows:
            entry = entry_from_row(row)
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
                            f"{iso_utc(entry.occurred_at)} but {where} (interval "
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
        handle.write(canonical_json({"seq": anchor.seq, "hash": anchor.hash}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
