"""Requests per minute per API token (and per calendar feed), in a Litestar Store.

A token bucket in its GCRA form: the bucket holds ``limit`` requests and refills
at ``limit`` per minute, so a client may burst up to the limit and then keeps
the rate, with no window edge at which twice the limit gets through. The state
is one number per token, its "theoretical arrival time". With ``GVI_REDIS_URL``
the store is Redis and the check one Lua script (atomic across instances);
otherwise the app's process-local store, updated under one lock, as the login
throttle does (gvi/accounts/throttle.py). A token id is no personal data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

PERIOD_SECONDS = 60.0
_LOCAL_LOCK = anyio.Lock()
_PREFIX = "api-rate"
# KEYS[1]: the token's key. ARGV: now, the interval between requests, the burst
# (period). Returns 0 when admitted, else the seconds to wait (as a string).
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local wait = tat + interval - now - burst
if wait > 0 then return tostring(wait) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'EX', math.ceil(burst) + 1)
return '0'
"""


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


class TokenRateLimiter:
    def __init__(self, store: Store, *, limit: int, now: Callable[[], float] = time.time) -> None:
        self._store = store
        self.limit = max(1, limit)
        self._now = now

    async def hit(self, token_id: int) -> RateDecision:
        """Count one request of *token_id*, or refuse it with the seconds to wait."""
        now = self._now()
        interval = PERIOD_SECONDS / self.limit
        key = f"{_PREFIX}:{token_id}"
        if isinstance(self._store, RedisStore):
            # RedisStore has no atomic update; its client and key prefix are
            # private but the only way to one (as in the login throttle).
            redis: Any = self._store._redis
            raw = await redis.eval(
                _GCRA,
                1,
                self._store._make_key(key),
                repr(now),
                repr(interval),
                repr(PERIOD_SECONDS),
            )
            wait = float(raw.decode() if isinstance(raw, bytes) else raw)
        else:
            async with _LOCAL_LOCK:
                stored = await self._store.get(key)
                tat = max(float(stored) if stored else now, now)
                wait = tat + interval - now - PERIOD_SECONDS
                if wait <= 0:
                    await self._store.set(
                        key,
                        repr(tat + interval).encode(),
                        expires_in=math.ceil(PERIOD_SECONDS) + 1,
                    )
        if wait <= 0:
            return RateDecision(True)
        return RateDecision(False, max(1, math.ceil(wait)))
