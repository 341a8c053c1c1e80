"""Field encryption for identities (AES-256-GCM) and the HMAC blind index.

Keys live outside the database: ``GVI_DATA_KEY`` (``id:base64[,id:base64...]``,
the first is active) or a key file in the same format, one key per line.
Every ciphertext names the key that made it, and its associated data binds it
to ``table.column.row`` so a ciphertext copied to another row or column does
not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import repeat
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gvi.settings import Settings, get_settings

_VERSION = b"\x01"
_NONCE_BYTES = 12


class KeyError_(Exception):
    """The data key is missing, malformed, or unknown for a ciphertext."""


def _parse_keys(text: str) -> list[tuple[str, bytes]]:
    keys: list[tuple[str, bytes]] = []
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, b64 = item.partition(":")
        if not sep:
            raise KeyError_("a data key must look like id:base64")
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise KeyError_(f"data key {key_id!r} must be 32 bytes")
        keys.append((key_id, key))
    if not keys:
        raise KeyError_("no data key configured")
    return keys


def new_key_line(key_id: str | None = None) -> str:
    key_id = key_id or "k" + secrets.token_hex(3)
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def key_file_path(settings: Settings) -> Path:
    return settings.data_key_file or settings.var_dir / "data.key"


def ensure_local_key_file(settings: Settings) -> Path:
    """For local use only (`make run`): create a key file with a fresh key if none exists."""
    path = key_file_path(settings)
    if not settings.data_key and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key_line("k1") + "\n")
    return path


@dataclass(frozen=True)
class KeySet:
    """Named 32-byte keys; the first is the one new data is sealed or signed with
    (the data keys here, the audit chain's keys in :mod:`gvi.audit.keys`)."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def active_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return next((k for i, k in self.keys if i == key_id), None)


@dataclass(frozen=True)
class Keyring(KeySet):
    def _key(self, key_id: str) -> bytes:
        key = self.key(key_id)
        if key is None:
            raise KeyError_(f"unknown data key id {key_id!r}")
        return key

    @cached_property
    def _index_key(self) -> bytes:
        # Derived from the *oldest* key so the blind index survives rotation
        # until that key is retired (rotation recomputes it then). A keyring is
        # immutable, so it is derived once per keyring, not once per value.
        return hmac.new(self.keys[-1][1], b"gvi blind index v1", hashlib.sha256).digest()

    @cached_property
    def _active_cipher(self) -> AESGCM:
        # Built once: an import encrypts tens of thousands of fields, and building
        # the cipher cost more than the encryption (``make bench``).
        return AESGCM(self._key(self.active_id))

    @cached_property
    def _active_prefix(self) -> bytes:
        kid = self.active_id.encode()
        return _VERSION + bytes([len(kid)]) + kid

    def encrypt(self, plaintext: str, aad: str) -> bytes:
        # A fresh random nonce for every value, always.
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._active_cipher.encrypt(nonce, plaintext.encode(), aad.encode())
        return self._active_prefix + nonce + sealed

    def encrypt_many(self, plaintexts: Sequence[str], aads: Sequence[str]) -> list[bytes]:
        """``encrypt(plaintext, aad)`` for each pair, in order: the same ciphertexts'
        format, each with its own fresh random nonce (the nonces are cut from one
        read of the system's random source instead of one read per value). The
        cells are encoded, sealed and framed by ``map`` (in C), not a loop per value."""
        if len(plaintexts) != len(aads):
            raise ValueError("one associated data per plaintext")
        randomness = os.urandom(_NONCE_BYTES * len(plaintexts))
        nonces = [randomness[i : i + _NONCE_BYTES] for i in range(0, len(randomness), _NONCE_BYTES)]
        sealed = map(
            self._active_cipher.encrypt,
            nonces,
            map(str.encode, plaintexts),
            map(str.encode, aads),
        )
        return list(map(b"".join, zip(repeat(self._active_prefix), nonces, sealed)))

    def decrypt(self, blob: bytes, aad: str) -> str:
        if not blob or blob[:1] != _VERSION:
            raise KeyError_("not a gvi ciphertext")
        n = blob[1]
        kid = blob[2 : 2 + n].decode()
        nonce = blob[2 + n : 2 + n + _NONCE_BYTES]
        sealed = blob[2 + n + _NONCE_BYTES :]
        return AESGCM(self._key(kid)).decrypt(nonce, sealed, aad.encode()).decode()

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return blob[2 : 2 + blob[1]].decode()

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(kid for kid, _ in self.keys)

    @property
    def index_key_id(self) -> str:
        """The key the blind index is derived from (the oldest); retiring it changes the index."""
        return self.keys[-1][0]

    @cached_property
    def _index_mac(self) -> _KeyedSha256:
        return _KeyedSha256(self._index_key)

    @cached_property
    def _digest_mac(self) -> _KeyedSha256:
        # Its own key, derived from the index key: a digest is never a blind index.
        return _KeyedSha256(
            hmac.new(self._index_key, b"gvi identity digest v1", hashlib.sha256).digest()
        )

    def identity_digest(self, values: Sequence[str]) -> str:
        """A keyed digest of an identity's fields (in order), so an import can tell
        whether the identity it is given is the one it wrote before without
        decrypting anything."""
        return self._digest_mac.hexdigest("\x1f".join(values).encode())

    def identity_digests(self, identities: Iterable[Sequence[str]]) -> list[str]:
        """:meth:`identity_digest` of each identity, in order."""
        return self._digest_mac.hexdigests("\x1f".join(values).encode() for values in identities)

    def blind_index(self, value: str) -> str:
        return self._index_mac.hexdigest(normalise_pin(value).encode())

    def blind_indexes(self, values: Iterable[str]) -> list[str]:
        """:meth:`blind_index` of each value, in order."""
        return self._index_mac.hexdigests(normalise_pin(value).encode() for value in values)


class _KeyedSha256:
    """HMAC-SHA-256 (RFC 2104) under one key, for many short messages: the keyed
    inner and outer states are hashed once and copied per message. The result is
    :func:`hmac.new`'s, bit for bit; OpenSSL 3 sets the key up again on every
    call of its one-shot HMAC, which cost ten times the hashing for an import's
    twenty thousand personnummer and identities (``make bench``)."""

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        if len(key) > block:
            key = hashlib.sha256(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(key.translate(hmac.trans_36))
        self._outer = hashlib.sha256(key.translate(hmac.trans_5C))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def hexdigests(self, messages: Iterable[bytes]) -> list[str]:
        """:meth:`hexdigest` of each message, in order, in one loop (an import's
        ten thousand personnummer: the call per message was a third of the work)."""
        keyed_inner, keyed_outer = self._inner, self._outer
        out = []
        for message in messages:
            inner = keyed_inner.copy()
            inner.update(message)
            outer = keyed_outer.copy()
            outer.update(inner.digest())
            out.append(outer.hexdigest())
        return out


def normalise_pin(value: str) -> str:
    """Personnummer to 12 digits without separators, so 19900101-1234 and 199001011234 match."""
    normal = unicodedata.normalize("NFKC", value)
    if normal.isascii():
        # The common case, in C: what remains once every ASCII non-digit is deleted.
        return normal.translate(_ASCII_NON_DIGITS)
    return "".join(ch for ch in normal if ch.isdigit())


_ASCII_NON_DIGITS = {i: None for i in range(128) if not chr(i).isdigit()}


def aad(table: str, column: str, row_id: int | str) -> str:
    return f"{table}.{column}.{row_id}"


def ciphertext_key_id(blob: bytes) -> str | None:
    """The key id a ciphertext names, or None if *blob* is not a well-formed gvi ciphertext."""
    if len(blob) < 2 or blob[:1] != _VERSION or len(blob) < 2 + blob[1] + _NONCE_BYTES:
        return None
    try:
        return blob[2 : 2 + blob[1]].decode()
    except UnicodeDecodeError:
        return None


def parse_keyring(text: str) -> Keyring:
    """A keyring from ``id:base64`` entries (comma or line separated); the first is active."""
    return Keyring(tuple(_parse_keys(text)))


def load_key_file(path: Path) -> Keyring:
    """The keyring in *path*, read now (no cache): key rotation passes an explicit file."""
    return parse_keyring(path.read_text())


def load_keyring(settings: Settings) -> Keyring:
    if settings.data_key:
        return Keyring(tuple(_parse_keys(settings.data_key)))
    path = key_file_path(settings)
    if not path.exists():
        raise KeyError_(
            f"no data key: set GVI_DATA_KEY or create {path} (`gvi init-key` writes one)"
        )
    return Keyring(tuple(_parse_keys(path.read_text())))


@lru_cache(maxsize=1)
def get_keyring() -> Keyring:
    return load_keyring(get_settings())
