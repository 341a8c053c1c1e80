"""The audit trail's two keys, both kept outside the database.

- The **chain key** (``GVI_AUDIT_KEY``, ``id:base64[,id:base64...]``, the first
  active; or a key file, one ``id:base64`` per line, default ``<var>/audit.key``)
  keys the HMAC-SHA-256 every row carries. Each row names the key id it was
  made with, so a key can be rotated: put the new one first, keep the old ones
  for verification.
- The **signing key** (``GVI_AUDIT_SIGNING_KEY``, ``id:base64`` of a 32-byte
  Ed25519 seed; or ``<var>/audit-signing.key``) signs the checkpoints written
  outside the database (:mod:`gvi.audit.checkpoints`).

Someone who can write the database but holds neither key can neither forge a
row nor drop history unnoticed; someone holding the database *and* both keys
can rewrite everything after the last checkpoint that left their reach.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from gvi.security.crypto import KeySet, new_key_line
from gvi.settings import Settings, get_settings

_BLOCK = 64  # SHA-256's block size: HMAC pads the key to it


class AuditKeyError(Exception):
    """An audit key is missing or malformed."""


def _parse(text: str, what: str) -> list[tuple[str, bytes]]:
    keys: list[tuple[str, bytes]] = []
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, b64 = item.partition(":")
        if not sep or not key_id or len(key_id) > 32:
            raise AuditKeyError(f"{what} must look like id:base64 (an id of 1-32 characters)")
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise AuditKeyError(f"{what} {key_id!r} is not base64") from exc
        if len(key) != 32:
            raise AuditKeyError(f"{what} {key_id!r} must be 32 bytes")
        keys.append((key_id, key))
    if not keys:
        raise AuditKeyError(f"no {what} configured")
    return keys


@dataclass(frozen=True)
class ChainKeys(KeySet):
    """The HMAC keys of the chain; the first is the one new rows use."""

    def mac(self, key_id: str, text: str) -> str | None:
        """HMAC-SHA-256 of *text* as hex; None when *key_id* is not configured."""
        key = self.key(key_id)
        if key is None:
            return None
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def pads(self, key_id: str) -> tuple[bytes, bytes]:
        """``key ^ ipad`` and ``key ^ opad``: with them the database computes the
        same HMAC as ``sha256(outer || sha256(inner || text))`` with its built-in
        ``sha256()`` (no pgcrypto needed). They are as secret as the key: handed
        over per call as bind parameters, never stored."""
        key = self.key(key_id)
        if key is None:
            raise AuditKeyError(f"audit key {key_id!r} is not configured")
        padded = key.ljust(_BLOCK, b"\x00")
        return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def chain_key_path(settings: Settings) -> Path:
    return settings.audit_key_file or settings.var_dir / "audit.key"


def signing_key_path(settings: Settings) -> Path:
    return settings.audit_signing_key_file or settings.var_dir / "audit-signing.key"


def _read(value: str, path: Path, env: str) -> str:
    if value:
        return value
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuditKeyError(
            f"no audit key: set {env} or create {path} (`gvi init-key` writes one)"
        ) from None


def load_chain_keys(settings: Settings) -> ChainKeys:
    text = _read(settings.audit_key, chain_key_path(settings), "GVI_AUDIT_KEY")
    return ChainKeys(tuple(_parse(text, "audit key")))


def load_signing_keys(settings: Settings) -> tuple[SigningKey, ...]:
    """The checkpoint signing keys; the first signs, all verify (rotation: put the
    new key first and keep the old one while its checkpoints matter)."""
    text = _read(settings.audit_signing_key, signing_key_path(settings), "GVI_AUDIT_SIGNING_KEY")
    return tuple(
        SigningKey(key_id, Ed25519PrivateKey.from_private_bytes(seed))
        for key_id, seed in _parse(text, "audit signing key")
    )


@lru_cache(maxsize=1)
def get_chain_keys() -> ChainKeys:
    return load_chain_keys(get_settings())


@lru_cache(maxsize=1)
def get_signing_keys() -> tuple[SigningKey, ...]:
    return load_signing_keys(get_settings())


def _create(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def ensure_local_audit_keys(settings: Settings) -> list[Path]:
    """For local use (`gvi init-key`): create the key files that are neither
    configured nor present. Returns the files created."""
    created = []
    if not settings.audit_key and not chain_key_path(settings).exists():
        _create(chain_key_path(settings), new_key_line("a1"))
        created.append(chain_key_path(settings))
    if not settings.audit_signing_key and not signing_key_path(settings).exists():
        _create(signing_key_path(settings), new_key_line("s" + secrets.token_hex(2)))
        created.append(signing_key_path(settings))
    return created
