"""Login throttling: account lockout, unknown names counted alike, per-IP blocks,
expiry, escalation, reservations under concurrency, and keys free of personal data.

Every test runs against a MemoryStore and a FileStore, and a real Redis too when
``GVI_TEST_REDIS_URL`` is set (e.g. ``redis://127.0.0.1:6379/15``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from gvi.accounts.throttle import (
    LoginThrottle,
    ThrottleDecision,
    ThrottlePolicy,
    normalise_ip,
    normalise_username,
)

REDIS_URL = os.environ.get("GVI_TEST_REDIS_URL", "")
IP = "198.51.100.7"
MINUTE = 60.0


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class RecordingStore(MemoryStore):
    """A MemoryStore that remembers every key and value written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[tuple[str, bytes]] = []

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        self.written.append((key, value.encode() if isinstance(value, str) else value))
        await super().set(key, value, expires_in)


@pytest.fixture(params=["memory", "file", "redis"] if REDIS_URL else ["memory", "file"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield RecordingStore()
        return
    if request.param == "file":
        yield FileStore(tmp_path / "throttle")
        return
    redis_store = RedisStore.with_client(REDIS_URL, namespace=f"gvitest{secrets.token_hex(4)}")
    async with redis_store:
        yield redis_store
        await redis_store.delete_all()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(store: Store, clock: Clock) -> LoginThrottle:
    return LoginThrottle(store, now=clock, key_secret=b"test-secret")


async def attempt(throttle: LoginThrottle, username: str, ip: str = IP) -> ThrottleDecision:
    """One failed login as a handler does it: check, then record the failure."""
    decision = await throttle.check(username, ip)
    if not decision.allowed:
        return decision
    return await throttle.record_failure(username, ip)


# --- account lockout -----------------------------------------------------------------


async def test_fifth_failure_locks_the_account_for_15_minutes(throttle: LoginThrottle) -> None:
    for _ in range(4):
        after = await attempt(throttle, "anna")
        assert after.allowed
        assert not after.locked_now
    fifth = await attempt(throttle, "anna")
    assert fifth == ThrottleDecision(False, 15 * 60, "account", account_locked_now=True)
    assert fifth.locked_now
    refused = await throttle.check("anna", IP)
    assert refused == ThrottleDecision(False, 15 * 60, "account")
    # Another account from the same address is not affected.
    assert (await throttle.check("bertil", IP)).allowed


async def test_a_correct_password_during_the_lock_is_still_refused(
    throttle: LoginThrottle, clock: Clock
) -> None:
    for _ in range(5):
        await attempt(throttle, "anna")
    clock.advance(14 * MINUTE)
    decision = await throttle.check("anna", IP)
    assert not decision.allowed
    assert decision.retry_after_seconds == 60


async def test_unknown_usernames_are_counted_exactly_like_real_ones(
    throttle: LoginThrottle,
) -> None:
    # The throttle never asks whether an account exists: the same sequence of
    # answers for a real name and a made-up one (different addresses, so the
    # IP counter does not mix them).
    real = [await attempt(throttle, "anna.svensson", "192.0.2.1") for _ in range(7)]
    made_up = [await attempt(throttle, "finns-inte-alls", "192.0.2.2") for _ in range(7)]
    assert real == made_up
    assert [d.allowed for d in real] == [True] * 4 + [False] * 3


async def test_usernames_are_counted_case_insensitively(throttle: LoginThrottle) -> None:
    for name in ("Anna", "anna", " ANNA ", "anna", "Ａｎｎａ"):
        await attempt(throttle, name)
    assert not (await throttle.check("anna", IP)).allowed
    assert normalise_username(" Ａｎｎａ ") == "anna"


async def test_lock_expires(throttle: LoginThrottle, clock: Clock) -> None:
    for _ in range(5):
        await attempt(throttle, "anna")
    clock.advance(15 * MINUTE + 1)
    assert (await throttle.check("anna", IP, reserve=False)).allowed
    # A fresh window: four more failures do not lock again.
    for _ in range(4):
        assert (await attempt(throttle, "anna")).allowed


async def test_failures_outside_the_window_are_forgotten(
    throttle: LoginThrottle, clock: Clock
) -> None:
    for _ in range(4):
        await attempt(throttle, "anna")
    clock.advance(15 * MINUTE + 1)
    for _ in range(4):
        assert (await attempt(throttle, "anna")).allowed
    clock.advance(5 * MINUTE)
    # The window slides: 4 within the last 15 minutes, so the 5th locks.
    assert (await attempt(throttle, "anna")).account_locked_now


async def test_repeated_lockouts_double_up_to_a_day(throttle: LoginThrottle, clock: Clock) -> None:
    durations = []
    for _ in range(9):
        for _ in range(4):
            await attempt(throttle, "anna")
        locked = await attempt(throttle, "anna")
        assert locked.account_locked_now
        durations.append(locked.retry_after_seconds)
        clock.advance(locked.retry_after_seconds + 1)
    minutes = [d // 60 for d in durations]
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


async def test_escalation_is_forgotten_after_a_quiet_day(
    throttle: LoginThrottle, clock: Clock
) -> None:
    for _ in range(2):
        for _ in range(5):
            last = await attempt(throttle, "anna")
        clock.advance(last.retry_after_seconds + 1)
    assert last.retry_after_seconds == 30 * 60
    clock.advance(24 * 60 * MINUTE + 1)
    for _ in range(5):
        last = await attempt(throttle, "anna")
    assert last.retry_after_seconds == 15 * 60


async def test_success_resets_the_account_counter_not_the_ip(store: Store, clock: Clock) -> None:
    throttle = LoginThrottle(
        store, now=clock, policy=ThrottlePolicy(ip_threshold=8), key_secret=b"k"
    )
    for _ in range(4):
        await attempt(throttle, "anna")
    assert (await throttle.check("anna", IP)).allowed
    await throttle.record_success("anna", IP)
    for _ in range(3):
        assert (await attempt(throttle, "anna")).allowed  # 4 + 3 = 7 IP failures
    after = await attempt(throttle, "bertil")  # the 8th from this address
    assert after.ip_blocked_now
    assert after.reason == "ip"


async def test_admin_unlock(throttle: LoginThrottle) -> None:
    for _ in range(5):
        await attempt(throttle, "anna", "192.0.2.9")
    await throttle.unlock_account("anna")
    assert (await throttle.check("anna", "192.0.2.9")).allowed


# --- per IP --------------------------------------------------------------------------


async def test_31st_failure_from_an_address_blocks_it(
    throttle: LoginThrottle, clock: Clock
) -> None:
    # Spraying: one guess each at many names, so no account locks.
    for n in range(30):
        after = await attempt(throttle, f"user{n}")
        assert after.allowed, n
    blocked = await attempt(throttle, "user30")
    assert blocked == ThrottleDecision(False, 15 * 60, "ip", ip_blocked_now=True)
    assert (await throttle.check("someone-new", IP)) == ThrottleDecision(False, 15 * 60, "ip")
    assert (await throttle.check("someone-new", "198.51.100.8")).allowed
    clock.advance(15 * MINUTE + 1)
    assert (await throttle.check("someone-new", IP)).allowed


async def test_an_ipv6_client_is_counted_per_64(throttle: LoginThrottle) -> None:
    for n in range(31):
        await attempt(throttle, f"user{n}", f"2001:db8:1:2::{n + 1:x}")
    assert not (await throttle.check("x", "2001:db8:1:2:ffff::1")).allowed
    assert (await throttle.check("x", "2001:db8:1:3::1")).allowed
    assert normalise_ip("::ffff:192.0.2.1") == "192.0.2.1"
    assert normalise_ip("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert normalise_ip("testclient") == "testclient"


# --- concurrency -------------------------------------------------------------------


async def test_a_burst_of_parallel_guesses_gets_only_five_through(
    throttle: LoginThrottle,
) -> None:
    checks = await asyncio.gather(*(throttle.check("anna", IP) for _ in range(20)))
    admitted = [d for d in checks if d.allowed]
    assert len(admitted) == 5
    assert all(d.reason == "account" for d in checks if not d.allowed)
    outcomes = await asyncio.gather(*(throttle.record_failure("anna", IP) for _ in admitted))
    assert sum(o.account_locked_now for o in outcomes) == 1  # one lockout, one audit row
    assert not (await throttle.check("anna", IP)).allowed


async def test_an_unsettled_reservation_expires(throttle: LoginThrottle, clock: Clock) -> None:
    for _ in range(5):
        assert (await throttle.check("anna", IP)).allowed  # the requests then died
    assert not (await throttle.check("anna", IP)).allowed
    clock.advance(61)
    assert (await throttle.check("anna", IP)).allowed


async def test_release_settles_without_counting(throttle: LoginThrottle) -> None:
    for _ in range(4):
        await attempt(throttle, "anna")
    # Password right, second factor still to come: the failures stay.
    assert (await throttle.check("anna", IP)).allowed
    await throttle.release("anna", IP)
    # The second factor is wrong: that is the 5th failure.
    assert (await throttle.check("anna", IP)).allowed
    assert (await throttle.record_failure("anna", IP)).account_locked_now


async def test_released_reservations_do_not_pile_up(throttle: LoginThrottle) -> None:
    for _ in range(20):
        assert (await throttle.check("anna", IP)).allowed
        await throttle.release("anna", IP)


async def test_looking_does_not_reserve(throttle: LoginThrottle) -> None:
    for _ in range(10):
        assert (await throttle.check("anna", IP, reserve=False)).allowed


async def test_two_throttles_on_one_store_share_the_limits(store: Store, clock: Clock) -> None:
    # Two app instances on one Redis, or throttles made per request on one MemoryStore.
    first = LoginThrottle(store, now=clock, key_secret=b"k")
    second = LoginThrottle(store, now=clock, key_secret=b"k")
    checks = await asyncio.gather(*(t.check("anna", IP) for t in [first, second] * 10))
    assert sum(d.allowed for d in checks) == 5
    outcomes = await asyncio.gather(*(t.record_failure("anna", IP) for t in [first, second] * 5))
    assert [o.account_locked_now for o in outcomes].count(True) == 1
    assert not (await first.check("anna", IP)).allowed
    assert not (await second.check("anna", IP)).allowed


# --- no personal data in the store ---------------------------------------------------


async def test_keys_and_values_carry_no_username_or_address(store: Store, clock: Clock) -> None:
    throttle = LoginThrottle(store, now=clock, key_secret=b"test-secret")
    for _ in range(5):
        await attempt(throttle, "Anna.Svensson", "203.0.113.77")
    key = throttle.account_key("Anna.Svensson")
    assert await store.exists(key)
    assert await store.exists(throttle.ip_key("203.0.113.77"))
    if isinstance(store, RecordingStore):
        written = store.written
        assert written
    else:
        raw = await store.get(key)
        assert raw is not None
        written = [(key, raw), (throttle.ip_key("203.0.113.77"), b"")]
    for k, value in written:
        for secret_text in ("anna", "svensson", "203.0.113", "203-0-113"):
            assert secret_text not in k.lower()
            assert secret_text.encode() not in value.lower()
    # A different secret gives different keys: names cannot be found by hashing a list of them.
    other = LoginThrottle(store, now=clock, key_secret=b"another-secret")
    assert other.account_key("Anna.Svensson") != key
    assert "Anna" not in key
    assert key.startswith("login-throttle:account:")


async def test_store_entries_expire(store: Store, clock: Clock) -> None:
    throttle = LoginThrottle(store, now=clock, key_secret=b"k")
    await attempt(throttle, "anna")
    ttl = await store.expires_in(throttle.account_key("anna"))
    assert ttl is not None
    assert 0 < ttl <= 15 * 60 + 60 + 1
    for _ in range(4):
        await attempt(throttle, "anna")
    ttl = await store.expires_in(throttle.account_key("anna"))
    # The lock and a day's memory of it for escalation.
    assert ttl is not None
    assert 24 * 3600 < ttl <= 24 * 3600 + 15 * 60 + 61
