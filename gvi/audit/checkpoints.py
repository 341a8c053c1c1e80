"""Signed checkpoints of the audit trail, written outside the database.

A checkpoint says "the trail's committed head was row ``seq`` with hash ``hash``
at time ``at``", numbered ``n`` (1, 2, 3, … with no gaps) and signed with the
Ed25519 signing key (:mod:`gvi.audit.keys`). The application writes one

- at start-up when the trail has moved since the last one (the first start after
  the keyed-chain migration thereby anchors the legacy rows),
- every ``GVI_AUDIT_CHECKPOINT_EVERY`` events and at least every
  ``GVI_AUDIT_CHECKPOINT_MINUTES`` while events arrive (a background task that
  looks at the committed head every few seconds),
- at shutdown, and after each ``gvi`` command that wrote events.

The sink is a JSON-lines file (``<var>/audit-checkpoints.jsonl``, 0600, each line
fsync'd, appended under an exclusive ``flock`` so several workers keep ``n`` and
``seq`` in order), and, with ``GVI_AUDIT_CHECKPOINT_SYSLOG``, a copy of each line
to syslog so it leaves the machine. Only committed rows are checkpointed (the
head is read outside any transaction), so a rolled-back event never makes an
honest trail look truncated.

What they defend against, given to ``gvi audit verify``: a deleted tail (the
head is below a checkpoint), a history rewritten by someone holding the chain
key (the row at a checkpoint's seq has another hash), and a writer that ran
without checkpointing (rows older than the interval after the last one).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import json
import logging
import logging.handlers
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from gvi.audit.keys import AuditKeyError, SigningKey, get_signing_keys
from gvi.audit.tables import AuditEvent
from gvi.settings import Settings, get_settings

log = logging.getLogger("gvi.audit")

CHECKPOINT_VERSION = 1
_DOMAIN = b"gvi-audit-checkpoint\n"
_HEAD_SQL = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
POLL_SECONDS = 5.0
"""How often the writer looks at the committed head."""


@dataclass(frozen=True)
class Checkpoint:
    n: int
    seq: int
    hash: str
    at: datetime
    key_id: str
    reason: str
    sig: str = ""

    def signed_fields(self) -> dict[str, Any]:
        return {
            "v": CHECKPOINT_VERSION,
            "n": self.n,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "key_id": self.key_id,
            "reason": self.reason,
        }

    def message(self) -> bytes:
        text = json.dumps(self.signed_fields(), sort_keys=True, separators=(",", ":"))
        return _DOMAIN + text.encode("utf-8")

    def line(self) -> str:
        return json.dumps({**self.signed_fields(), "sig": self.sig}, sort_keys=True) + "\n"

    def signature_ok(self, keys: tuple[SigningKey, ...]) -> bool:
        key = next((k for k in keys if k.key_id == self.key_id), None)
        if key is None:
            return False
        try:
            key.public.verify(base64.b64decode(self.sig), self.message())
        except (InvalidSignature, ValueError):
            return False
        return True


class CheckpointError(ValueError):
    """A checkpoint line could not be read."""


def checkpoint_path(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.audit_checkpoint_file or settings.var_dir / "audit-checkpoints.jsonl"


def parse_line(text: str, number: int) -> Checkpoint:
    # A line copied from syslog carries a prefix before the JSON.
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
        if not isinstance(data, dict) or data.get("v") != CHECKPOINT_VERSION:
            raise CheckpointError(f"checkpoint line {number} is not a version-1 checkpoint")
        return Checkpoint(
            n=int(data["n"]),
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            at=datetime.fromisoformat(str(data["at"])),
            key_id=str(data["key_id"]),
            reason=str(data["reason"]),
            sig=str(data["sig"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"checkpoint line {number} is unreadable") from exc


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in *path*, in file order; [] when there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [
        parse_line(line, number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _last_line(handle: Any) -> str:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    chunk = min(size, 8192)
    handle.seek(size - chunk)
    lines = handle.read(chunk).decode("utf-8", errors="replace").splitlines()
    return next((line for line in reversed(lines) if line.strip()), "")


def _syslog(address: str, line: str) -> None:
    where: str | tuple[str, int]
    if address.startswith("/"):
        where = address
    else:
        host, _, port = address.rpartition(":")
        where = (host or "localhost", int(port or 514))
    handler = logging.handlers.SysLogHandler(
        address=where, facility=logging.handlers.SysLogHandler.LOG_AUTH
    )
    try:
        handler.emit(
            logging.LogRecord("gvi-audit", logging.INFO, "", 0, "gvi-audit: %s", (line,), None)
        )
    finally:
        handler.close()


_LOCK_WAIT_SECONDS = 30.0


async def _lock(fd: int) -> None:
    """An exclusive flock on the sink, waited for without blocking the event loop
    (another coroutine of this process may hold it while it reads the head)."""
    deadline = asyncio.get_running_loop().time() + _LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the audit checkpoint file stayed locked") from None
            await asyncio.sleep(0.01)


async def _committed_head() -> tuple[int, str] | None:
    # Outside any transaction: only committed rows (seq order is commit order,
    # the chain lock being held to the commit).
    engine = AuditEvent._meta.db
    if engine.current_transaction.get() is not None:
        raise RuntimeError("a checkpoint is written outside a transaction")
    rows = await AuditEvent.raw(_HEAD_SQL)
    return (int(rows[0]["seq"]), str(rows[0]["hash"])) if rows else None


async def write_checkpoint(
    reason: str,
    *,
    path: Path | None = None,
    settings: Settings | None = None,
    only_if_moved: bool = True,
    min_events: int = 1,
    min_age: timedelta | None = None,
) -> Checkpoint | None:
    """Checkpoint the committed head if it moved past the last checkpoint by at
    least *min_events* rows, or by any row when the last checkpoint is older than
    *min_age*. Returns the checkpoint written, or None."""
    settings = settings or get_settings()
    path = path or checkpoint_path(settings)
    key = get_signing_keys()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+b", buffering=0) as handle:
        await _lock(handle.fileno())
        try:
            last_text = _last_line(handle)
            last = parse_line(last_text, 0) if last_text else None
            head = await _committed_head()
            if head is None:
                return None
            now = datetime.now(tz=UTC)
            if last is not None and only_if_moved:
                moved = head[0] - last.seq
                old = min_age is not None and now - last.at >= min_age
                if moved <= 0 or (moved < min_events and not old):
                    return None
            unsigned = Checkpoint(
                n=(last.n + 1) if last else 1,
                seq=head[0],
                hash=head[1],
                at=now,
                key_id=key.key_id,
                reason=reason,
            )
            checkpoint = replace(unsigned, sig=key.sign(unsigned.message()))
            handle.write(checkpoint.line().encode("utf-8"))
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    if settings.audit_checkpoint_syslog:
        try:
            _syslog(settings.audit_checkpoint_syslog, checkpoint.line().strip())
        except OSError:
            # The file has it; verify reads the file. Say so loudly.
            log.exception("audit checkpoint %s not sent to syslog", checkpoint.n)
    return checkpoint


async def checkpoint_quietly(reason: str) -> None:
    """At shutdown and after a command: checkpoint if the head moved; without a
    signing key (development before `gvi init-key`), warn and carry on."""
    try:
        await write_checkpoint(reason)
    except AuditKeyError as exc:
        log.warning("no audit checkpoint written: %s", exc)


@contextlib.asynccontextmanager
async def checkpoint_lifespan(settings: Settings) -> AsyncIterator[None]:
    """The app's checkpoint writer: one at start-up, then every N events or M
    minutes while events arrive, and one at shutdown."""
    try:
        get_signing_keys()
    except AuditKeyError as exc:
        # Production refuses to start without the key (gvi.cli); here it is a warning.
        log.warning("audit checkpoints are off: %s", exc)
        yield
        return
    await write_checkpoint("startup", settings=settings)
    every = settings.audit_checkpoint_every
    # Half the interval, so that no row waits longer than the interval.
    age = timedelta(minutes=settings.audit_checkpoint_minutes) / 2

    async def loop() -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await write_checkpoint("events", settings=settings, min_events=every, min_age=age)
            except Exception:
                log.exception("audit checkpoint failed; retrying")

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await write_checkpoint("shutdown", settings=settings)
