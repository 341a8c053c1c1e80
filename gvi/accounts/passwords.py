"""Password hashing (argon2id), the password policy, and the unknown-user dummy check.

Owns everything that touches a cleartext password: hashing, verification,
rehash-on-login, and the rules a new password must meet (ASVS 5.0 V6.2):
length 12–128, not a common or context-specific password, not containing the
username, no composition rules (6.2.5).

Passwords are compared exactly as typed apart from Unicode NFC normalisation,
so "ö" typed as one code point (Windows) or as "o" + combining diaeresis
(macOS) is the same password. NFC only merges canonically equivalent
sequences, which look identical; compatibility folding (NFKC) would change what
the user typed (ASVS 6.2.8 forbids such modifications).

Hashing is CPU- and memory-bound (~0.1 s, 64 MiB). Async code calls the
``*_async`` variants, which run it in a worker thread behind a small
:class:`anyio.CapacityLimiter` so that a burst of logins can neither block the
event loop nor take more than ``_MAX_CONCURRENT_HASHES × 64 MiB`` of memory.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import anyio
import anyio.to_thread
from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from gvi.i18n import gettext
from gvi.settings import get_settings

log = logging.getLogger(__name__)

MIN_LENGTH = 12
MAX_LENGTH = 128

# RFC 9106's second recommended option ("low memory"): argon2id, 64 MiB, 3
# passes, 4 lanes; about 0.1 s here. That is well above the OWASP Password
# Storage Cheat Sheet minimum for argon2id (19 MiB, t=2, p=1): the user base is
# a few hundred staff who log in a few times a day, the throttle caps guessing,
# and an offline attack on a stolen table is the threat that matters (a leak
# can get people killed). Changing these makes needs_rehash() true for old
# hashes, so they are upgraded at the next login.
PRODUCTION_PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,  # 128-bit random salt per hash (ASVS asks ≥ 32 bits)
    hash_len=32,
    time_cost=3,
    memory_cost=64 * 1024,  # KiB
    parallelism=4,
)

# Tests lower the cost through configure_hasher(); this is the cheapest the
# library allows and must never reach production (configure_hasher refuses).
TEST_PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=8,
    parallelism=1,
)

# Each concurrent hash holds memory_cost KiB; this bounds the total per process.
_MAX_CONCURRENT_HASHES = 4


class WeakHashParameters(ValueError):
    """Hash parameters weaker than production were configured in production."""


def refuse_weak_parameters(params: Parameters, floor: Parameters) -> None:
    """Raise unless *params* are argon2id and at least *floor*, when running in production."""
    if params.type is not Type.ID:
        raise WeakHashParameters("only argon2id is allowed")
    if get_settings().is_production and (
        params.memory_cost < floor.memory_cost
        or params.time_cost < floor.time_cost
        or params.salt_len < floor.salt_len
        or params.hash_len < floor.hash_len
    ):
        raise WeakHashParameters("hash parameters below the production floor")


class _HasherSlot:
    """The process-wide hasher and a dummy hash made with the same parameters."""

    def __init__(self, params: Parameters) -> None:
        self.hasher = PasswordHasher.from_parameters(params)
        self._dummy: str | None = None

    @property
    def dummy_hash(self) -> str:
        # Made lazily so importing this module (every CLI command) costs nothing;
        # a race only means two threads each make one, which is harmless.
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(24))
        return self._dummy


_slot = _HasherSlot(PRODUCTION_PARAMETERS)
hash_limiter = anyio.CapacityLimiter(_MAX_CONCURRENT_HASHES)


def configure_hasher(params: Parameters | None = None) -> None:
    """Use *params* for new hashes (tests lower the cost); ``None`` restores production.

    Refused in production for anything weaker than :data:`PRODUCTION_PARAMETERS`.
    """
    global _slot
    params = params or PRODUCTION_PARAMETERS
    refuse_weak_parameters(params, PRODUCTION_PARAMETERS)
    _slot = _HasherSlot(params)


def get_hasher() -> PasswordHasher:
    return _slot.hasher


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    """An argon2id hash string (``$argon2id$v=19$m=…``) with a fresh random salt."""
    return _slot.hasher.hash(_normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True if *password* matches; False on mismatch or a malformed hash, never raises."""
    try:
        return _slot.hasher.verify(password_hash, _normalise(password))
    except VerificationError:
        return False
    except InvalidHashError:
        # A damaged or foreign row; the caller's "wrong password" answer is right.
        log.warning("a stored password hash is not a valid argon2 hash")
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters (or is unreadable): rehash at login."""
    try:
        return _slot.hasher.check_needs_rehash(password_hash)
    except ValueError:  # InvalidHashError is one
        return True


def verify_dummy(password: str = "") -> bool:
    """Do the work of one real verification and return False.

    For a username that does not exist: the answer then takes as long as a
    wrong password for a real account, so timing does not reveal which
    usernames exist (ASVS 6.3.8). The dummy hash has the current parameters.
    """
    with contextlib.suppress(VerificationError):
        _slot.hasher.verify(_slot.dummy_hash, _normalise(password))
    return False


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password, limiter=hash_limiter)


async def verify_password_async(password_hash: str, password: str) -> bool:
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=hash_limiter
    )


async def verify_dummy_async(password: str = "") -> bool:
    return await anyio.to_thread.run_sync(verify_dummy, password, limiter=hash_limiter)


# --- policy -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PasswordProblem:
    """One reason a new password is refused: a stable English key and the Swedish text."""

    code: str
    message_sv: str

    def __str__(self) -> str:
        return self.message_sv


TOO_SHORT = "password.too_short"
TOO_LONG = "password.too_long"
COMMON = "password.common"
TOO_SIMPLE = "password.too_simple"
CONTAINS_USERNAME = "password.contains_username"

# Fewer distinct characters than this ("aaaaaaaaaaaa", "abababababab") is not a password.
_MIN_DISTINCT = 5
# Below this length a username is a fragment of ordinary words; refusing every
# password containing "jo" or "li" would be noise, not protection.
_MIN_USERNAME_CHECK = 3

# Undo the usual substitutions so "P@ssw0rd" is recognised as "password".
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_L = str.maketrans({"1": "l"})
# What is stripped from both ends to find a password's core word. A second
# core keeps @ and $, which may be letters: "@dmin2024" → "@dmin" → "admin".
_EDGE_KEEP_SIGNS = "0123456789 !?.,;:-_*#+&%/()='\"<>"
_EDGE = _EDGE_KEEP_SIGNS + "@$"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list in ``gvi/data/common-passwords.txt``, NFC-normalised and case-folded."""
    text = resources.files("gvi").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        _fold(line)
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _variants(folded: str) -> set[str]:
    """The password and its "core" (leading and trailing digits, spaces and
    symbols stripped), each with and without leet substitutions:
    "Sommar2023!" → "sommar", "P@ssw0rd1234" → "password".
    """
    out = {folded, folded.replace(" ", "")}
    cores = {folded.strip(_EDGE), folded.strip(_EDGE_KEEP_SIGNS)}
    for core in cores:
        # A core of one or two characters ("a" from "a12345678901") is not a word.
        if len(core) >= 3:
            out |= {core, core.replace(" ", "")}
    for candidate in list(out):
        out.add(candidate.translate(_LEET))
        out.add(candidate.translate(_LEET_L).translate(_LEET))
    return out


def check_password_policy(
    password: str, *, username: str = "", context_words: tuple[str, ...] = ()
) -> list[PasswordProblem]:
    """The reasons *password* may not be set; an empty list means it is acceptable.

    *context_words* are further words that must not be the password's core
    (display name, municipality: ASVS 6.2.11); the fixed context list (the
    application's own name and vocabulary) is part of the common-password file.
    """
    password = _normalise(password)
    problems: list[PasswordProblem] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            PasswordProblem(
                TOO_SHORT,
                gettext("Lösenordet måste vara minst %(min_length)s tecken långt.")
                % {"min_length": MIN_LENGTH},
            )
        )
    if len(password) > MAX_LENGTH:
        problems.append(
            PasswordProblem(
                TOO_LONG,
                gettext("Lösenordet får vara högst %(max_length)s tecken långt.")
                % {"max_length": MAX_LENGTH},
            )
        )
    folded = _fold(password)
    variants = _variants(folded)
    blocked = common_passwords() | {_fold(w) for w in context_words if w.strip()}
    if variants & blocked:
        problems.append(
            PasswordProblem(
                COMMON,
                gettext(
                    "Lösenordet är för vanligt eller för lätt att gissa. Välj ett annat, "
                    "gärna flera ord som inte hör ihop."
                ),
            )
        )
    elif len(password) >= MIN_LENGTH and len(set(folded)) < _MIN_DISTINCT:
        problems.append(
            PasswordProblem(
                TOO_SIMPLE, gettext("Lösenordet består av för få olika tecken för att vara säkert.")
            )
        )
    name = _fold(username).strip()
    if len(name) >= _MIN_USERNAME_CHECK and name in folded:
        problems.append(
            PasswordProblem(
                CONTAINS_USERNAME, gettext("Lösenordet får inte innehålla ditt användarnamn.")
            )
        )
    return problems
