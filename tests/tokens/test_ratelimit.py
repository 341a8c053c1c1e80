"""The per-token rate limit: a burst up to the limit, then the rate, no window edge;
the same in memory and in Redis (shared by instances)."""

from __future__ import annotations

import os

import pytest
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from gvi.tokens.ratelimit import TokenRateLimiter

REDIS_URL = os.environ.get("GVI_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and os.environ.get("CI") != "true",
    reason="set GVI_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run",
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def _check(store: Store) -> None:
    clock = Clock()
    limiter = TokenRateLimiter(store, limit=6, now=clock)  # one per 10 s, burst 6
    assert [(await limiter.hit(1)).allowed for _ in range(6)] == [True] * 6
    refused = await limiter.hit(1)
    assert not refused.allowed
    assert refused.retry_after_seconds == 10
    assert (await limiter.hit(2)).allowed  # per token
    clock.now += 10  # one request's worth refilled, across any minute boundary
    assert (await limiter.hit(1)).allowed
    assert not (await limiter.hit(1)).allowed
    clock.now += 60  # a full bucket again, not more
    assert [(await limiter.hit(1)).allowed for _ in range(7)] == [True] * 6 + [False]
    # Another instance sharing the store sees the same bucket.
    other = TokenRateLimiter(store, limit=6, now=clock)
    assert not (await other.hit(1)).allowed


async def test_the_limit_in_memory() -> None:
    await _check(MemoryStore())


@needs_redis
async def test_the_limit_in_redis() -> None:
    assert REDIS_URL, "CI must provide GVI_TEST_REDIS_URL"
    store = RedisStore.with_client(url=REDIS_URL, namespace="gvi-test-rate")
    await store.delete_all()
    try:
        await _check(store)
    finally:
        await store.delete_all()
        await store._redis.aclose()
