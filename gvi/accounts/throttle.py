"""Login throttling and lockout, kept in a Litestar :class:`~litestar.stores.base.Store`.

Two counters guard every login (ASVS 6.3.1):

* per account — by normalised username, counted whether or not the account
  exists, so neither the answer nor its timing tells an attacker which
  usernames are real. The 5th failure within 15 minutes locks the name for
  15 minutes; each further lockout within a day doubles that, up to 24 hours.
* per client IP — the 31st failure within 15 minutes blocks the address for
  15 minutes (IPv6 is counted per /64, the block one subscriber gets).

The store is a MemoryStore for one process and a RedisStore when several
instances run, so the limits hold across instances. Store keys carry an HMAC of
the username or address, never the value itself: the throttle puts no personal
data in Redis. Time comes from the injected ``now``; the store's own expiry is
only garbage collection.

Use::

    decision = await throttle.check(username, ip)      # before verifying
    if not decision.allowed: refuse (429, generic message)
    ... verify password / second factor ...
    await throttle.record_success(username, ip)        # signed in; or
    decision = await throttle.record_failure(username, ip)
    if decision.locked_now: audit "auth:lockout"
    # or, password right but a second factor to come (never record_success yet):
    await throttle.release(username, ip)

Concurrency. Without care, a burst of parallel guesses would all pass
``check`` before any failure is recorded. So ``check`` reserves the attempt:
in-flight attempts count against the limit until ``record_failure``,
``record_success`` or ``release`` settles them (or ``policy.reservation_seconds`` pass, for a
request that died). Call ``check`` once per attempt, right before verifying,
and settle it; ``check(..., reserve=False)`` only looks. Of 20 parallel guesses
at one account, 5 are verified and exactly one failure reports the lockout.

Every change is a read-modify-write of one key, made atomic:

* RedisStore — WATCH/MULTI/EXEC on the key (optimistic, retried), so it holds
  across processes and hosts;
* any other store — one :class:`anyio.Lock` for the process. That is complete
  for a MemoryStore (which is per process anyway), and for a FileStore used by
  one process. A FileStore shared by several processes (``--workers`` without
  Redis) can lose updates between them: a few extra guesses may get through,
  nobody is locked wrongly. Use Redis for more than one process.

The account and the IP are two keys, so a check is not one atomic step across
both: when the IP refuses, the account's reservation is released just after.
Store errors (Redis down) propagate, and :class:`ThrottleContention` is raised
if a Redis key keeps changing under us; the login handler must then refuse.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import anyio
import msgspec
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.exceptions import WatchError

Reason = Literal["account", "ip"]
T = TypeVar("T")

_KEY_PREFIX = "login-throttle"
# Serialises read-modify-write on non-Redis stores. Module-wide rather than per
# LoginThrottle, so throttles made per request still exclude each other; the
# critical section is a few microseconds (MemoryStore) or one small file (FileStore).
_LOCAL_LOCK = anyio.Lock()
_CAS_ATTEMPTS = 50


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Thresholds: the failure that reaches a threshold within its window locks."""

    account_threshold: int = 5
    account_window_seconds: int = 15 * 60
    account_lock_seconds: int = 15 * 60
    account_lock_max_seconds: int = 24 * 60 * 60
    # A lockout is remembered this long after it ends; the next one then lasts twice as long.
    account_escalation_memory_seconds: int = 24 * 60 * 60
    ip_threshold: int = 31  # "more than 30 failures"
    ip_window_seconds: int = 15 * 60
    ip_block_seconds: int = 15 * 60
    # How long an unsettled check() keeps its place (a request that crashed).
    reservation_seconds: int = 60


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    """Whether a login attempt may go ahead now.

    From :meth:`LoginThrottle.record_failure`: whether the next one may, and
    whether this failure is the one that started a lock or block.
    """

    allowed: bool
    retry_after_seconds: int = 0
    reason: Reason | None = None
    account_locked_now: bool = False
    ip_blocked_now: bool = False

    @property
    def locked_now(self) -> bool:
        """This failure started an account lock or an IP block (audit "auth:lockout")."""
        return self.account_locked_now or self.ip_blocked_now


ALLOWED = ThrottleDecision(allowed=True)


@dataclass(frozen=True, slots=True)
class _Rule:
    threshold: int
    window: int
    lock_seconds: int
    escalate: bool


class _Counter(msgspec.Struct, omit_defaults=True):
    """One account's or one address's state; times are ``now()`` seconds."""

    failures: list[float] = msgspec.field(default_factory=list)
    pending: list[float] = msgspec.field(default_factory=list)
    locked_until: float = 0.0
    lockouts: int = 0
    lockouts_remembered_until: float = 0.0


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Counter)


def normalise_username(username: str) -> str:
    """The form a username is counted under: "Anna " and "anna" share a counter."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def normalise_ip(ip: str) -> str:
    """IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 as its /64 network."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()  # not an address (a test client); count it verbatim
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class LoginThrottle:
    """Failure counters and locks per account and per client IP (see the module doc)."""

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], float] = time.time,
        policy: ThrottlePolicy | None = None,
        key_secret: bytes = b"",
    ) -> None:
        """*key_secret* keys the HMAC that names store keys; pass the app's secret
        so a key cannot be matched to a username by hashing a list of names.
        Every instance sharing a store must use the same secret."""
        self._store = store
        self._now = now
        self.policy = policy or ThrottlePolicy()
        self._key_secret = key_secret
        p = self.policy
        self._account = _Rule(
            p.account_threshold, p.account_window_seconds, p.account_lock_seconds, escalate=True
        )
        self._ip = _Rule(p.ip_threshold, p.ip_window_seconds, p.ip_block_seconds, escalate=False)

    # --- keys -----------------------------------------------------------------

    def _key(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key_secret, f"{kind}\0{value}".encode(), hashlib.sha256)
        return f"{_KEY_PREFIX}:{kind}:{digest.hexdigest()}"

    def account_key(self, username: str) -> str:
        return self._key("account", normalise_username(username))

    def ip_key(self, ip: str) -> str:
        return self._key("ip", normalise_ip(ip))

    # --- public API -------------------------------------------------------------

    async def check(self, username: str, ip: str, *, reserve: bool = True) -> ThrottleDecision:
        """May this attempt go ahead? With *reserve*, it counts as in flight until settled."""
        now = self._now()
        account_key, ip_key = self.account_key(username), self.ip_key(ip)
        wait = await self._update(
            account_key, now, lambda c: self._admit(c, self._account, now, reserve)
        )
        if wait is not None:
            return ThrottleDecision(False, wait, "account")
        wait = await self._update(ip_key, now, lambda c: self._admit(c, self._ip, now, reserve))
        if wait is not None:
            if reserve:
                await self._update(account_key, now, lambda c: self._settle(c, self._account, now))
            return ThrottleDecision(False, wait, "ip")
        return ALLOWED

    async def record_failure(self, username: str, ip: str) -> ThrottleDecision:
        """Count a failed attempt: the decision for the next one, and what this one locked."""
        now = self._now()
        account_wait, account_locked_now = await self._update(
            self.account_key(username), now, lambda c: self._fail(c, self._account, now)
        )
        ip_wait, ip_blocked_now = await self._update(
            self.ip_key(ip), now, lambda c: self._fail(c, self._ip, now)
        )
        if not (account_wait or ip_wait):
            return ALLOWED
        reason: Reason = "account" if account_wait >= ip_wait else "ip"
        return ThrottleDecision(
            False, max(account_wait, ip_wait), reason, account_locked_now, ip_blocked_now
        )

    async def record_success(self, username: str, ip: str) -> None:
        """Clear the account's failures (not its lockout history); settle the IP's reservation.

        The IP's failures stay: one good login from an address does not excuse
        the guesses before it, and people behind one NAT share it.
        """
        now = self._now()
        await self._update(
            self.account_key(username),
            now,
            lambda c: self._settle(c, self._account, now, clear=True),
        )
        await self._update(self.ip_key(ip), now, lambda c: self._settle(c, self._ip, now))

    async def release(self, username: str, ip: str) -> None:
        """Settle a reservation as neither failure nor success.

        For an attempt that ended undecided: the password was right but the
        second factor is still to come (``record_success`` would clear the
        failures before the second factor is proven, letting someone who has
        the password guess codes for ever), or the form was invalid.
        """
        now = self._now()
        await self._update(
            self.account_key(username), now, lambda c: self._settle(c, self._account, now)
        )
        await self._update(self.ip_key(ip), now, lambda c: self._settle(c, self._ip, now))

    async def unlock_account(self, username: str) -> None:
        """Forget the account's failures, lock and history (an administrator's unlock)."""
        await self._store.delete(self.account_key(username))

    # --- state transitions: pure functions of (counter, now), run inside _update

    def _prune(self, c: _Counter, rule: _Rule, now: float) -> None:
        # No upper bound: another instance's clock may run a little ahead.
        c.failures = [t for t in c.failures if t > now - rule.window]
        c.pending = [t for t in c.pending if t > now - self.policy.reservation_seconds]
        if c.lockouts_remembered_until <= now:
            c.lockouts = 0

    def _admit(
        self, c: _Counter, rule: _Rule, now: float, reserve: bool
    ) -> tuple[_Counter, int | None]:
        """None if the attempt may go ahead (reserving its place), else seconds to wait."""
        self._prune(c, rule, now)
        if c.locked_until > now:
            return c, _seconds(c.locked_until - now)
        if len(c.failures) + len(c.pending) >= rule.threshold:
            # Not locked, but the attempts in flight would reach the threshold
            # if they all failed: wait for them to settle.
            return c, 1
        if reserve:
            c.pending.append(now)
        return c, None

    def _settle(
        self, c: _Counter, rule: _Rule, now: float, *, clear: bool = False
    ) -> tuple[_Counter, None]:
        self._prune(c, rule, now)
        if c.pending:
            c.pending.pop(0)
        if clear:
            c.failures = []
        return c, None

    def _fail(self, c: _Counter, rule: _Rule, now: float) -> tuple[_Counter, tuple[int, bool]]:
        """Count a failure; (seconds locked, whether this failure started the lock)."""
        self._settle(c, rule, now)
        if c.locked_until > now:
            # A guess that was in flight when the lock began: it neither counts
            # nor extends the lock (or an attacker could hold it for ever).
            return c, (_seconds(c.locked_until - now), False)
        c.failures.append(now)
        if len(c.failures) < rule.threshold:
            return c, (0, False)
        duration = rule.lock_seconds
        if rule.escalate:
            duration = min(duration * 2**c.lockouts, self.policy.account_lock_max_seconds)
            c.lockouts += 1
            c.lockouts_remembered_until = (
                now + duration + self.policy.account_escalation_memory_seconds
            )
        c.locked_until = now + duration
        c.failures = []
        return c, (duration, True)

    # --- storage --------------------------------------------------------------

    def _ttl(self, c: _Counter, now: float) -> int | None:
        """Seconds the store must keep *c*, or None if it holds nothing worth keeping."""
        p = self.policy
        window = max(p.account_window_seconds, p.ip_window_seconds)
        horizon = max(
            [c.locked_until, c.lockouts_remembered_until]
            + [t + window for t in c.failures]
            + [t + p.reservation_seconds for t in c.pending]
        )
        if horizon <= now:
            return None
        return math.ceil(horizon - now) + 60  # slack for clock skew between instances

    def _encode(self, c: _Counter, now: float) -> tuple[bytes | None, int | None]:
        ttl = self._ttl(c, now)
        return (None, None) if ttl is None else (_encoder.encode(c), ttl)

    async def _update(
        self, key: str, now: float, change: Callable[[_Counter], tuple[_Counter, T]]
    ) -> T:
        if isinstance(self._store, RedisStore):
            return await self._update_redis(self._store, key, change, now)
        async with _LOCAL_LOCK:
            raw = await self._store.get(key)
            counter, result = change(_decode(raw))
            data, ttl = self._encode(counter, now)
            if data is None:
                if raw is not None:
                    await self._store.delete(key)
            elif data != raw:
                await self._store.set(key, data, expires_in=ttl)
            return result

    async def _update_redis(
        self,
        store: RedisStore,
        key: str,
        change: Callable[[_Counter], tuple[_Counter, T]],
        now: float,
    ) -> T:
        # RedisStore has no compare-and-set; its client and key prefix are
        # private, but they are the only way to an atomic update across
        # instances. Pinned by the tests against a real Redis.
        redis: Any = store._redis
        full_key = store._make_key(key)
        for _ in range(_CAS_ATTEMPTS):
            async with redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(full_key)
                    raw = await pipe.get(full_key)
                    counter, result = change(_decode(raw))
                    data, ttl = self._encode(counter, now)
                    if data == raw:
                        await pipe.unwatch()
                        return result
                    pipe.multi()
                    if data is None:
                        pipe.delete(full_key)
                    else:
                        pipe.set(full_key, data, ex=ttl)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise ThrottleContention(f"could not update {key} after {_CAS_ATTEMPTS} attempts")


class ThrottleContention(RuntimeError):
    """A key kept changing under us; the caller should refuse the attempt."""


def _decode(raw: bytes | None) -> _Counter:
    if raw is None:
        return _Counter()
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError:
        # A value from an older format: start afresh rather than fail every login.
        return _Counter()


def _seconds(delta: float) -> int:
    return max(1, math.ceil(delta))
