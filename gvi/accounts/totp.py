"""The second factor: TOTP (RFC 6238) and single-use recovery codes.

Owns TOTP secrets (made with a CSPRNG, sealed with the data keyring and bound
to their user row), code verification that refuses any time step at or before
the last one used (ASVS 6.5.1: a code works once), and recovery codes: made
here, shown once, stored only as argon2id hashes, each usable once.

The DB functions (:func:`use_totp_code`, :func:`store_recovery_codes`,
:func:`use_recovery_code`) make "once" hold under concurrency too: the row is
updated only if it is still unused, so of two requests racing with the same
code exactly one wins.

Recovery codes are 12 characters of Crockford base32 (60 random bits), shown
as ``xxxx-xxxx-xxxx``. A keyed fast hash would be enough for 60 random bits
online, but ASVS 6.5.2 asks that lookup secrets under 112 bits be stored with a
salted password hash, so they are argon2id — with lighter parameters than
passwords (the OWASP minimum), because one check may try all ten of a user's
codes.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import anyio.to_thread
import pyotp
from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from gvi.accounts.passwords import hash_limiter, refuse_weak_parameters
from gvi.accounts.tables import RecoveryCode, User
from gvi.core.columns import utcnow
from gvi.db import write_transaction
from gvi.security.crypto import aad, get_keyring

ISSUER = "GVI-stöd"
TOTP_DIGITS = 6
TOTP_INTERVAL = 30
# One step either side tolerates 30 s of clock drift or a slow typist; more
# would multiply the codes an attacker can hit per guess.
DEFAULT_VALID_WINDOW = 1
MAX_VALID_WINDOW = 2

RECOVERY_CODE_COUNT = 10
# Crockford base32: no i, l, o, u. What users misread is folded back on input.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_LEN = 4
_RECOVERY_LEN = RECOVERY_GROUPS * RECOVERY_GROUP_LEN  # 12 × 5 bits = 60 bits
_RECOVERY_FOLD = str.maketrans({"o": "0", "i": "1", "l": "1"})
_RECOVERY_SEPARATORS = str.maketrans("", "", " -_\u2010\u2011\u2012\u2013\u2014\u00a0\t")

# The OWASP Password Storage Cheat Sheet minimum for argon2id (19 MiB, t=2,
# p=1; ~20 ms). The secret is 60 random bits, so the cost only has to make an
# offline search of a stolen table hopeless, not protect a weak human choice.
RECOVERY_CODE_PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,  # KiB
    parallelism=1,
)

_recovery_hasher = PasswordHasher.from_parameters(RECOVERY_CODE_PARAMETERS)

# Piccolo adds ``id`` at class creation, which mypy cannot see.
_user_pk = User._meta.primary_key
_code_pk = RecoveryCode._meta.primary_key


def configure_recovery_hasher(params: Parameters | None = None) -> None:
    """Use *params* for new recovery-code hashes (tests lower the cost); ``None`` restores."""
    global _recovery_hasher
    params = params or RECOVERY_CODE_PARAMETERS
    refuse_weak_parameters(params, RECOVERY_CODE_PARAMETERS)
    _recovery_hasher = PasswordHasher.from_parameters(params)


# --- TOTP -------------------------------------------------------------------


def new_secret() -> str:
    """A fresh base32 TOTP secret: 160 bits (RFC 4226's recommendation) from a CSPRNG.

    pyotp draws from :class:`secrets.SystemRandom` (ASVS 6.5.3).
    """
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI for the authenticator app's QR code.

    It carries the secret: render it to the enrolling user only, never log it.
    """
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    return totp.provisioning_uri(name=username, issuer_name=issuer)


def _clean_code(code: str) -> str | None:
    # Authenticator apps show "123 456"; users paste with spaces.
    cleaned = "".join(code.split())
    if len(cleaned) != TOTP_DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
        return None
    return cleaned


def verify_totp(
    secret: str,
    code: str,
    last_used_step: int | None,
    *,
    now: float | datetime | None = None,
    valid_window: int = DEFAULT_VALID_WINDOW,
) -> int | None:
    """The time step *code* belongs to, or None if it is wrong or already used.

    A step at or before *last_used_step* is refused, so a code (and every older
    one) works once; the caller stores the returned step as the new
    ``totp_last_step`` — :func:`use_totp_code` does both atomically.
    """
    if not 0 <= valid_window <= MAX_VALID_WINDOW:
        raise ValueError(f"valid_window must be between 0 and {MAX_VALID_WINDOW}")
    cleaned = _clean_code(code)
    if cleaned is None:
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    current = totp.timecode(time.time() if now is None else now)
    matched: int | None = None
    # Every step in the window is computed and compared, matched or not, so the
    # time taken does not depend on which step (if any) matched.
    for step in range(current - valid_window, current + valid_window + 1):
        fresh = last_used_step is None or step > last_used_step
        if hmac.compare_digest(totp.generate_otp(step), cleaned) and fresh and matched is None:
            matched = step
    return matched


def seal_secret(secret: str, user_id: int) -> bytes:
    """Encrypt a TOTP secret for ``app_user.totp_secret_enc`` of *user_id*."""
    return get_keyring().encrypt(secret, aad("app_user", "totp_secret", user_id))


def open_secret(sealed: bytes, user_id: int) -> str:
    """Decrypt ``app_user.totp_secret_enc``; fails if the blob belongs to another row."""
    return get_keyring().decrypt(sealed, aad("app_user", "totp_secret", user_id))


async def use_totp_code(
    user_id: int,
    code: str,
    *,
    now: float | datetime | None = None,
    valid_window: int = DEFAULT_VALID_WINDOW,
) -> bool:
    """Check *code* against the user's TOTP secret and spend it.

    True only if the code is right, newer than the last one used, and this call
    is the one that recorded its step (a conditional update: two requests with
    the same code cannot both succeed). False if the user has no TOTP. A sealed
    secret that does not belong to this row (copied from another) raises
    :class:`cryptography.exceptions.InvalidTag`: an integrity incident, not a wrong code.
    """
    row = (
        await User.select(User.totp_secret_enc, User.totp_last_step)
        .where(_user_pk == user_id)
        .first()
    )
    if row is None or row["totp_secret_enc"] is None:
        return False
    secret = open_secret(bytes(row["totp_secret_enc"]), user_id)
    step = verify_totp(secret, code, row["totp_last_step"], now=now, valid_window=valid_window)
    if step is None:
        return False
    spent = (
        await User.update({User.totp_last_step: step})
        .where(
            (_user_pk == user_id) & (User.totp_last_step.is_null() | (User.totp_last_step < step))
        )
        .returning(_user_pk)
    )
    return bool(spent)


# --- recovery codes -----------------------------------------------------------


def generate_recovery_codes(n: int = RECOVERY_CODE_COUNT) -> list[str]:
    """*n* distinct codes like ``7kq2-m9xd-4hzt`` (60 bits each, from :mod:`secrets`)."""
    codes: list[str] = []
    while len(codes) < n:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_LEN))
        code = "-".join(
            raw[i : i + RECOVERY_GROUP_LEN] for i in range(0, _RECOVERY_LEN, RECOVERY_GROUP_LEN)
        )
        if code not in codes:
            codes.append(code)
    return codes


def normalise_recovery_code(code: str) -> str | None:
    """The 12 significant characters, or None if *code* cannot be a recovery code.

    Case, spaces and dashes do not matter; o/i/l are read as 0/1/1.
    """
    cleaned = code.translate(_RECOVERY_SEPARATORS).lower().translate(_RECOVERY_FOLD)
    if len(cleaned) != _RECOVERY_LEN or any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_recovery_code(code: str) -> str:
    """An argon2id hash of the normalised code; ValueError if it is not a recovery code."""
    cleaned = normalise_recovery_code(code)
    if cleaned is None:
        raise ValueError("not a recovery code")
    return _recovery_hasher.hash(cleaned)


def verify_recovery_code(code: str, code_hash: str) -> bool:
    """True if *code* (in any case, with or without dashes) matches *code_hash*; never raises."""
    cleaned = normalise_recovery_code(code)
    if cleaned is None:
        return False
    try:
        return _recovery_hasher.verify(code_hash, cleaned)
    except (VerificationError, InvalidHashError):
        return False


async def store_recovery_codes(user_id: int, codes: Sequence[str]) -> None:
    """Replace the user's unused recovery codes with *codes* (hashed); used ones stay as history."""
    hashes = await anyio.to_thread.run_sync(
        lambda: [hash_recovery_code(code) for code in codes], limiter=hash_limiter
    )
    async with write_transaction(RecoveryCode._meta.db):
        await RecoveryCode.delete().where(
            (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
        )
        if hashes:
            await RecoveryCode.insert(
                *(RecoveryCode(user=user_id, code_hash=code_hash) for code_hash in hashes)
            )


async def count_unused_recovery_codes(user_id: int) -> int:
    count: int = await RecoveryCode.count().where(
        (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
    )
    return count


def _matching_id(code: str, rows: list[dict[str, Any]]) -> int | None:
    for row in rows:
        if verify_recovery_code(code, row["code_hash"]):
            return int(row["id"])
    return None


async def use_recovery_code(user_id: int, code: str) -> bool:
    """Spend one of the user's unused recovery codes; True if *code* was one of them.

    The code is marked used only if it is still unused at the moment of the
    update, so a code works exactly once even when two requests race.
    """
    if normalise_recovery_code(code) is None:
        return False
    rows = await RecoveryCode.select(_code_pk, RecoveryCode.code_hash).where(
        (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
    )
    match = await anyio.to_thread.run_sync(_matching_id, code, rows, limiter=hash_limiter)
    if match is None:
        return False
    spent = (
        await RecoveryCode.update({RecoveryCode.used_at: utcnow()})
        .where((_code_pk == match) & RecoveryCode.used_at.is_null())
        .returning(_code_pk)
    )
    return bool(spent)
