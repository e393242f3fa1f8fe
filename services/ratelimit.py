"""Fixed-window rate limits for the public widget: in memory, or in Redis for several workers."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Protocol

from signpost.errors import RateLimited


class RateStore(Protocol):
    """Counts hits per key in fixed windows."""

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one hit; return (hits in the current window, seconds until it resets)."""
        ...


class MemoryRateStore:
    """Per-process counters (used when REDIS_URL is unset)."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one hit."""
        now = time.monotonic()
        async with self._lock:
            count, reset_at = self._counts.get(key, (0, now + window_s))
            if now >= reset_at:
                count, reset_at = 0, now + window_s
            count += 1
            self._counts[key] = (count, reset_at)
            if len(self._counts) > 100_000:  # drop expired windows now and then
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return count, max(1, math.ceil(reset_at - now))


class RedisRateStore:
    """Counters shared by every API process through Redis."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url)

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one hit (INCR + EXPIRE on the window's key)."""
        bucket = int(time.time() // window_s)
        name = f"signpost:rl:{key}:{bucket}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_s + 1)
            count, _ = await pipe.execute()
        reset = window_s - int(time.time() % window_s)
        return int(count), max(1, reset)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


class RateLimiter:
    """Limits per visitor (IP + thread) and per chatbot."""

    def __init__(self, store: RateStore, *, visitor: tuple[int, int], bot: tuple[int, int]) -> None:
        self.store = store
        self.visitor = visitor
        self.bot = bot

    async def check(self, *, chatbot_id: str, ip: str, thread_id: str | None) -> None:
        """Raise RateLimited (429 + Retry-After) when a limit is exceeded."""
        limit, window = self.bot
        count, reset = await self.store.hit(f"bot:{chatbot_id}", window)
        if count > limit:
            raise RateLimited(
                f"this chatbot is receiving too many messages; try again in {reset} s",
                retry_after=reset,
            )
        limit, window = self.visitor
        count, reset = await self.store.hit(f"visitor:{chatbot_id}:{ip}:{thread_id or '-'}", window)
        if count > limit:
            raise RateLimited(
                f"you are sending messages too quickly; try again in {reset} s", retry_after=reset
            )
