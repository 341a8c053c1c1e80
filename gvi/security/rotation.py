"""Data-key rotation that loses nothing (``gvi rotate-key``).

Three steps, each safe to interrupt and to run again:

1. **Add a key** (:func:`rotate`). A fresh key is prepended to the key file, so
   it becomes the active key for new writes (once the app is restarted: the app
   caches its keyring). With ``GVI_DATA_KEY`` the environment cannot be
   rewritten from here, so the new value is returned for the operator to set
   and nothing else happens.
2. **Re-encrypt** (:func:`reencrypt`, run by :func:`rotate`). Every
   ``person_identity`` ciphertext and every ``app_user.totp_secret_enc`` that is
   not under the active key is decrypted with its old key and sealed again with
   the active one, with the same associated data, in batches of ``batch_size``
   rows, each batch in its own write transaction. A row is judged by the key id
   embedded in each of its ciphertexts (and ``person_identity.key_id``), so rows
   already on the active key are skipped and a second run continues where the
   first stopped. A ciphertext that does not decrypt (for example one copied to
   another row) is never re-sealed: its row is left as it is and reported.
3. **Retire a key** (:func:`retire`). Refused while any row still names the key.
   The blind-index key is derived from the *oldest* key, so retiring the oldest
   changes every ``pin_index``: all of them are recomputed first, in the same
   kind of batched pass, with the keyring that will apply afterwards; only then
   is the key line removed from the key file (atomically, mode 0600).

Every step writes an audit event (``person:identity:write`` on target type
``data_key``: there is no dedicated rotation tag). The functions take an
explicit :class:`KeySource`, never the app's cached keyring, so they can be run
and tested against any key file.

Operational order: ``gvi rotate-key`` → restart every app instance →
``gvi rotate-key --new-key-id NEW`` (sweeps rows written with the old key in
between; adds no key) → ``gvi rotate-key --retire OLD`` → restart every app
instance → ``gvi rotate-key --reindex`` if instances wrote between the retire
and their restart.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import os
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from gvi.access.principal import SYSTEM, Principal
from gvi.accounts.tables import User
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import app_engine, write_transaction, writing
from gvi.people.tables import PersonIdentity
from gvi.security.crypto import (
    KeyError_,
    Keyring,
    aad,
    ciphertext_key_id,
    key_file_path,
    new_key_line,
    parse_keyring,
)
from gvi.settings import Settings

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called after every batch."""

DEFAULT_BATCH_SIZE = 500
IDENTITY_FIELDS = ("name", "pin", "address", "phone")
KEY_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}")
"""New key ids: they go into every ciphertext, ``person_identity.key_id`` (16
characters) and the audit trail, so letters, digits, ``_`` and ``-`` only."""

STAGE_IDENTITIES = "person_identity"
STAGE_TOTP = "app_user.totp_secret"
STAGE_INDEX = "person_identity.pin_index"

_AUDIT_AGENT = "gvi rotate-key"
_IDENTITY_COLUMNS = tuple(f"{f}_enc" for f in IDENTITY_FIELDS)


class RotationError(Exception):
    """Rotation cannot go on; the message says why and is safe to show (no personal data)."""


# --- where the keys live ---------------------------------------------------------


@dataclass(frozen=True)
class KeySource:
    """The data keys: a key file rotation may rewrite, or a ``GVI_DATA_KEY`` value
    it can only read (a new value is then returned for the operator to set)."""

    key_file: Path | None = None
    env_value: str | None = None

    def __post_init__(self) -> None:
        if (self.key_file is None) == (self.env_value is None):
            raise ValueError("a KeySource has either a key file or an env value")

    @classmethod
    def from_settings(cls, settings: Settings) -> KeySource:
        if settings.data_key:
            return cls(env_value=settings.data_key)
        return cls(key_file=key_file_path(settings))

    @property
    def describe(self) -> str:
        return str(self.key_file) if self.key_file is not None else "GVI_DATA_KEY"

    def load(self) -> Keyring:
        if self.key_file is not None and not self.key_file.exists():
            raise RotationError(f"no key file at {self.key_file}")
        try:
            if self.key_file is not None:
                keyring = parse_keyring(self.key_file.read_text())
            else:
                assert self.env_value is not None
                keyring = parse_keyring(self.env_value)
        except (KeyError_, ValueError) as exc:  # binascii.Error is a ValueError
            raise RotationError(f"the keys in {self.describe} do not parse: {exc}") from exc
        duplicates = [kid for kid, n in Counter(keyring.key_ids).items() if n > 1]
        if duplicates:
            raise RotationError(f"key id(s) {', '.join(duplicates)} appear more than once")
        return keyring


def env_value(keyring: Keyring) -> str:
    """The ``GVI_DATA_KEY`` value for *keyring* (``id:base64,...``, active first)."""
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in keyring.keys)


def without_key(keyring: Keyring, key_id: str) -> Keyring:
    return Keyring(tuple(k for k in keyring.keys if k[0] != key_id))


def check_key_id(key_id: str) -> str:
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise RotationError(
            f"a key id is 1-16 letters, digits, _ or -, starting with a letter (got {key_id!r})"
        )
    return key_id


def fresh_key_id(taken: tuple[str, ...] = ()) -> str:
    while True:
        candidate = "k" + secrets.token_hex(4)
        if candidate not in taken:
            return candidate


@contextmanager
def _key_file_lock(source: KeySource) -> Iterator[None]:
    """One rotation at a time per key file (an advisory lock on a sidecar file)."""
    if source.key_file is None:
        yield
        return
    lock_path = source.key_file.with_name(f".{source.key_file.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RotationError(f"another rotation holds {lock_path}") from exc
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_key_file(path: Path, text: str) -> None:
    """Replace *path* with *text* atomically (temp file, fsync, rename), mode 0600."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _checked_write(path: Path, text: str, expected: Keyring) -> None:
    """Write only a file that parses to exactly *expected*: a key must never vanish by accident."""
    try:
        parsed = parse_keyring(text)
    except KeyError_ as exc:
        raise RotationError(f"refusing to write a key file that does not parse: {exc}") from exc
    if parsed.keys != expected.keys:
        raise RotationError("refusing to write a key file with other keys than intended")
    write_key_file(path, text)


def prepend_key(path: Path, line: str) -> Keyring:
    """Put the key *line* (``id:base64``) first in *path*; returns the new keyring."""
    old_text = path.read_text()
    old = parse_keyring(old_text)
    new = parse_keyring(line)
    if new.active_id in old.key_ids:
        raise RotationError(f"key id {new.active_id!r} is already in {path}")
    expected = Keyring(new.keys + old.keys)
    _checked_write(path, line.strip() + "\n" + old_text, expected)
    return expected


def remove_key(path: Path, key_id: str) -> Keyring:
    """Drop *key_id* from *path*, keeping comments and the order of the others."""
    old_text = path.read_text()
    old = parse_keyring(old_text)
    if key_id not in old.key_ids:
        raise RotationError(f"key id {key_id!r} is not in {path}")
    out: list[str] = []
    for line in old_text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        items = [
            item
            for item in line.split(",")
            if item.strip().startswith("#") or item.partition(":")[0].strip() != key_id
        ]
        if any(item.strip() for item in items):
            out.append(",".join(items))
    expected = without_key(old, key_id)
    _checked_write(path, "\n".join(out) + "\n", expected)
    return expected


# --- what the database holds -----------------------------------------------------


@dataclass(frozen=True)
class KeyUsage:
    """Rows per key id, judged by the ciphertexts themselves (and ``key_id``)."""

    identities: dict[str, int]
    totp: dict[str, int]
    malformed: int = 0

    def rows_using(self, key_id: str) -> int:
        return self.identities.get(key_id, 0) + self.totp.get(key_id, 0)

    def rows_not_on(self, key_id: str, known: tuple[str, ...]) -> int:
        """Rows under a configured key other than *key_id* (a row under two keys counts twice)."""
        return sum(
            n
            for usage in (self.identities, self.totp)
            for kid, n in usage.items()
            if kid != key_id and kid in known
        )


def _is_postgres() -> bool:
    return bool(app_engine().engine_type == "postgres")


def _batch_transaction(dry_run: bool) -> Any:
    """A write transaction per batch; a dry run only reads, so it takes no write lock."""
    engine = app_engine()
    return engine.transaction() if dry_run else write_transaction(engine)


def _blob(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


async def _identity_batch(after_id: int, batch_size: int, *, lock: bool) -> list[dict[str, Any]]:
    pk = PersonIdentity._meta.primary_key
    query = (
        PersonIdentity.select(
            pk,
            PersonIdentity.person,
            PersonIdentity.key_id,
            PersonIdentity.pin_index,
            *(getattr(PersonIdentity, c) for c in _IDENTITY_COLUMNS),
        )
        .where(pk > after_id)
        .order_by(pk)
        .limit(batch_size)
    )
    if lock and _is_postgres():
        query = query.lock_rows()
    rows: list[dict[str, Any]] = await query
    return rows


async def _totp_batch(after_id: int, batch_size: int, *, lock: bool) -> list[dict[str, Any]]:
    pk = User._meta.primary_key
    query = (
        User.select(pk, User.totp_secret_enc)
        .where((pk > after_id) & User.totp_secret_enc.is_not_null())
        .order_by(pk)
        .limit(batch_size)
    )
    if lock and _is_postgres():
        query = query.lock_rows()
    rows: list[dict[str, Any]] = await query
    return rows


async def key_usage(batch_size: int = 2000) -> KeyUsage:
    """Count the rows that name each key id, reading every ciphertext's header."""
    identities: Counter[str] = Counter()
    totp: Counter[str] = Counter()
    malformed = 0
    last = 0
    while rows := await _identity_batch(last, batch_size, lock=False):
        for row in rows:
            kids = {row["key_id"]}
            for column in _IDENTITY_COLUMNS:
                blob = _blob(row[column])
                if blob is None:
                    continue
                kid = ciphertext_key_id(blob)
                if kid is None:
                    malformed += 1
                else:
                    kids.add(kid)
            identities.update(kids)
        last = rows[-1]["id"]
    last = 0
    while rows := await _totp_batch(last, batch_size, lock=False):
        for row in rows:
            kid = ciphertext_key_id(bytes(row["totp_secret_enc"]))
            if kid is None:
                malformed += 1
            else:
                totp[kid] += 1
        last = rows[-1]["id"]
    return KeyUsage(dict(identities), dict(totp), malformed)


# --- re-encryption ----------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """A ciphertext that did not decrypt; its row was left untouched. No plaintext here."""

    table: str
    row_id: int
    column: str
    reason: str  # "unknown_key", "integrity" (wrong row, column or key), "malformed"


@dataclass
class ReencryptResult:
    active_key_id: str
    dry_run: bool
    identities_scanned: int = 0
    identities_reencrypted: int = 0
    totp_scanned: int = 0
    totp_reencrypted: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Rows already wholly on the active key (or left alone after a failure)."""
        return (
            self.identities_scanned
            + self.totp_scanned
            - self.identities_reencrypted
            - self.totp_reencrypted
        )


async def _each_row(
    total: int,
    batch: Callable[..., Awaitable[list[dict[str, Any]]]],
    handle: Callable[[dict[str, Any]], Awaitable[None]],
    stage: str,
    *,
    batch_size: int,
    dry_run: bool,
    progress: Progress | None,
) -> int:
    """Walk a table in id order, *batch_size* rows per transaction (locked unless
    *dry_run*), calling *handle* on each row; reports progress per batch and
    returns how many rows it scanned."""
    scanned = 0
    last = 0
    while True:
        async with _batch_transaction(dry_run):
            rows = await batch(last, batch_size, lock=not dry_run)
            for row in rows:
                await handle(row)
        if not rows:
            return scanned
        last = rows[-1]["id"]
        scanned += len(rows)
        total = max(total, scanned)
        if progress:
            progress(stage, scanned, total)


def _reseal(keyring: Keyring, blob: bytes, associated: str) -> tuple[bytes | None, str | None]:
    """(new ciphertext under the active key, None) or (None, failure reason)."""
    try:
        plain = keyring.decrypt(blob, associated)
    except InvalidTag:
        return None, "integrity"
    except KeyError_:
        kid = ciphertext_key_id(blob)
        return None, "malformed" if kid is None else "unknown_key"
    except (UnicodeDecodeError, ValueError):
        return None, "malformed"
    return keyring.encrypt(plain, associated), None


async def _audit(operation: str, key_id: str, actor: Principal | None, **details: Any) -> None:
    await record(
        AuditAction.data_key_rotate,
        actor=actor,
        target_type="data_key",
        target_id=key_id,
        details={"operation": operation, **details},
        user_agent=_AUDIT_AGENT,
    )


async def reencrypt(
    keyring: Keyring,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Principal | None = SYSTEM,
) -> ReencryptResult:
    """Seal every identity and TOTP ciphertext not under ``keyring.active_id`` again under it.

    *keyring* must hold the old keys as well. Each batch is read and written in
    one write transaction (rows locked on PostgreSQL), so a concurrent edit is
    never overwritten with older content. ``updated_at`` and ``version`` are
    left alone: the content does not change. With *dry_run* every pending
    ciphertext is still decrypted (a check that the keys can read them) but
    nothing is written.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    active = keyring.active_id
    result = ReencryptResult(active_key_id=active, dry_run=dry_run)
    await _audit("reencrypt_start", active, actor, dry_run=dry_run)

    async def reseal_identity(row: dict[str, Any]) -> None:
        person_id = row["person"]
        blobs = {c: _blob(row[c]) for c in _IDENTITY_COLUMNS}
        if row["key_id"] == active and all(
            b is None or ciphertext_key_id(b) == active for b in blobs.values()
        ):
            return
        new: dict[str, bytes | None] = {}
        failed = False
        for field_name, column in zip(IDENTITY_FIELDS, _IDENTITY_COLUMNS, strict=True):
            blob = blobs[column]
            if blob is None or ciphertext_key_id(blob) == active:
                new[column] = blob
                continue
            sealed, reason = _reseal(keyring, blob, aad("person_identity", field_name, person_id))
            if reason is not None:
                result.failures.append(Failure("person_identity", row["id"], column, reason))
                failed = True
            new[column] = sealed
        if failed:
            return
        result.identities_reencrypted += 1
        if not dry_run:
            await PersonIdentity.raw(
                "UPDATE person_identity SET name_enc = {}, pin_enc = {}, "
                "address_enc = {}, phone_enc = {}, key_id = {} WHERE id = {}",
                *(new[c] for c in _IDENTITY_COLUMNS),
                active,
                row["id"],
            )

    async def reseal_totp(row: dict[str, Any]) -> None:
        blob = bytes(row["totp_secret_enc"])
        if ciphertext_key_id(blob) == active:
            return
        sealed, reason = _reseal(keyring, blob, aad("app_user", "totp_secret", row["id"]))
        if reason is not None:
            result.failures.append(Failure("app_user", row["id"], "totp_secret_enc", reason))
            return
        result.totp_reencrypted += 1
        if not dry_run:
            await User.raw(
                "UPDATE app_user SET totp_secret_enc = {} WHERE id = {}", sealed, row["id"]
            )

    walk = functools.partial(_each_row, batch_size=batch_size, dry_run=dry_run, progress=progress)
    result.identities_scanned = await walk(
        await PersonIdentity.count(), _identity_batch, reseal_identity, STAGE_IDENTITIES
    )
    result.totp_scanned = await walk(
        await User.count().where(User.totp_secret_enc.is_not_null()),
        _totp_batch,
        reseal_totp,
        STAGE_TOTP,
    )

    await _audit(
        "reencrypt",
        active,
        actor,
        dry_run=dry_run,
        identities=result.identities_reencrypted,
        totp_secrets=result.totp_reencrypted,
        skipped=result.skipped,
        failures=len(result.failures),
    )
    return result


# --- the blind index ----------------------------------------------------------------


@dataclass
class ReindexResult:
    index_key_id: str
    dry_run: bool
    scanned: int = 0
    updated: int = 0
    without_number: int = 0  # rows with no personnummer (no index to compute)


async def recompute_blind_index(
    reader: Keyring,
    target: Keyring,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ReindexResult:
    """Set every ``pin_index`` to ``target.blind_index(pin)``, decrypting with *reader*.

    Rows already right are skipped, so it can be run again. A personnummer that
    does not decrypt stops the pass (:class:`RotationError`): its index could
    not be recomputed, and retiring the key would make that person unfindable.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    result = ReindexResult(index_key_id=target.index_key_id, dry_run=dry_run)

    async def reindex_row(row: dict[str, Any]) -> None:
        blob = _blob(row["pin_enc"])
        if blob is None:
            result.without_number += 1
            return
        try:
            pin = reader.decrypt(blob, aad("person_identity", "pin", row["person"]))
        except (InvalidTag, KeyError_, ValueError) as exc:
            raise RotationError(
                f"person_identity row {row['id']}: the personnummer does not decrypt "
                f"({type(exc).__name__}); its index cannot be recomputed"
            ) from exc
        index = target.blind_index(pin)
        if index == row["pin_index"]:
            return
        result.updated += 1
        if not dry_run:
            await PersonIdentity.raw(
                "UPDATE person_identity SET pin_index = {} WHERE id = {}", index, row["id"]
            )

    result.scanned = await _each_row(
        await PersonIdentity.count(),
        _identity_batch,
        reindex_row,
        STAGE_INDEX,
        batch_size=batch_size,
        dry_run=dry_run,
        progress=progress,
    )
    return result


# --- the three steps ------------------------------------------------------------------


@dataclass
class RotateResult:
    active_key_id: str
    key_added: bool
    dry_run: bool
    # Set when the keys come from GVI_DATA_KEY: the operator must set this value
    # and restart; nothing was re-encrypted yet. It holds every key: a secret.
    new_env_value: str | None = None
    reencrypted: ReencryptResult | None = None


async def rotate(
    source: KeySource,
    *,
    new_key_id: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Principal | None = SYSTEM,
) -> RotateResult:
    """Add a key (unless resuming) and re-encrypt everything under it.

    * ``new_key_id`` names an absent key: it is made and put first.
    * ``new_key_id`` names the active key: nothing is added; the pass resumes
      (the idempotent form to re-run).
    * no ``new_key_id``: a rotation left unfinished (rows under an older
      configured key) is resumed; otherwise a new key with a random id is made.

    With ``GVI_DATA_KEY`` a new key cannot be installed from here: the result
    carries the value to set and nothing else is done.
    """
    with _key_file_lock(source):
        keyring = source.load()
        if new_key_id is not None:
            check_key_id(new_key_id)
            if new_key_id == keyring.active_id:
                add = False
            elif new_key_id in keyring.key_ids:
                raise RotationError(
                    f"key {new_key_id!r} is configured but not active; "
                    "name a new id, or the active one to resume"
                )
            else:
                add = True
        else:
            usage = await key_usage()
            add = usage.rows_not_on(keyring.active_id, keyring.key_ids) == 0
        if add:
            kid = new_key_id or fresh_key_id(keyring.key_ids)
            line = new_key_line(kid)
            grown = Keyring(parse_keyring(line).keys + keyring.keys)
            if source.key_file is None:
                if not dry_run:
                    await _audit("add_key_env", kid, actor, keys=len(grown.keys))
                    return RotateResult(
                        kid, key_added=True, dry_run=False, new_env_value=env_value(grown)
                    )
                keyring = grown  # dry run: check every ciphertext against the would-be keys
            elif dry_run:
                keyring = grown
            else:
                async with writing():
                    # The event commits only if the file was written.
                    await _audit("add_key", kid, actor, keys=len(grown.keys))
                    prepend_key(source.key_file, line)
                keyring = source.load()
                if keyring.active_id != kid:
                    raise RotationError("the key file did not take the new key first")
        result = await reencrypt(
            keyring, batch_size=batch_size, progress=progress, dry_run=dry_run, actor=actor
        )
        return RotateResult(keyring.active_id, key_added=add, dry_run=dry_run, reencrypted=result)


@dataclass
class RetireResult:
    retired_key_id: str
    active_key_id: str
    dry_run: bool
    index_changed: bool
    reindexed: ReindexResult | None
    removed_from_file: bool
    # With GVI_DATA_KEY: the value to set (without the retired key). A secret.
    new_env_value: str | None = None


async def _lock_tables() -> None:
    if _is_postgres():
        # Writers wait until the check and the key-file change are committed.
        await PersonIdentity.raw("LOCK TABLE person_identity, app_user IN SHARE MODE")


async def retire(
    source: KeySource,
    key_id: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Principal | None = SYSTEM,
) -> RetireResult:
    """Remove *key_id* once nothing uses it, recomputing the blind index first if it changes.

    Refused (:class:`RotationError`) for the active key, an unknown key, or while
    any ciphertext still names *key_id*. The last check, the audit event and
    the key-file write happen in one transaction (PostgreSQL: with the two
    tables locked against writers), so the event stands only if the file was
    written.
    """
    with _key_file_lock(source):
        keyring = source.load()
        if key_id not in keyring.key_ids:
            raise RotationError(f"key {key_id!r} is not configured in {source.describe}")
        if key_id == keyring.active_id:
            raise RotationError(
                f"key {key_id!r} is the active key; rotate to a new key before retiring it"
            )
        after = without_key(keyring, key_id)
        in_use = (await key_usage()).rows_using(key_id)
        if in_use:
            raise RotationError(
                f"{in_use} row(s) still use key {key_id!r}; run `gvi rotate-key "
                f"--new-key-id {keyring.active_id}` first (and fix any row it reports)"
            )
        index_changed = after.index_key_id != keyring.index_key_id
        reindexed = None
        if index_changed:
            reindexed = await recompute_blind_index(
                keyring, after, batch_size=batch_size, progress=progress, dry_run=dry_run
            )
        async with writing():
            await _lock_tables()
            in_use = (await key_usage()).rows_using(key_id)
            if in_use:
                raise RotationError(
                    f"{in_use} row(s) were written with key {key_id!r} during the pass; "
                    "run the rotation again"
                )
            await _audit(
                "retire",
                key_id,
                actor,
                dry_run=dry_run,
                active_key_id=keyring.active_id,
                blind_index_changed=index_changed,
                blind_index_updated=reindexed.updated if reindexed else 0,
            )
            removed = False
            if not dry_run and source.key_file is not None:
                remove_key(source.key_file, key_id)
                removed = True
        return RetireResult(
            retired_key_id=key_id,
            active_key_id=keyring.active_id,
            dry_run=dry_run,
            index_changed=index_changed,
            reindexed=reindexed,
            removed_from_file=removed,
            new_env_value=env_value(after) if source.key_file is None and not dry_run else None,
        )


async def reindex(
    source: KeySource,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    dry_run: bool = False,
    actor: Principal | None = SYSTEM,
) -> ReindexResult:
    """Recompute every ``pin_index`` with the configured keys (after a retire, once
    every app instance runs with the new keys: catches rows they indexed meanwhile)."""
    with _key_file_lock(source):
        keyring = source.load()
        result = await recompute_blind_index(
            keyring, keyring, batch_size=batch_size, progress=progress, dry_run=dry_run
        )
        await _audit(
            "reindex",
            keyring.index_key_id,
            actor,
            dry_run=dry_run,
            blind_index_updated=result.updated,
        )
        return result
