"""Retention: expire idle threads (transcripts, checkpoints) and old traces; leads are kept."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from store import conversations
from store import traces as traces_repo

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL_S = 3600


async def delete_threads(runtime: Any, thread_ids: Sequence[str]) -> int:
    """Delete threads: their checkpoints, transcript and conversation rows."""
    if not thread_ids:
        return 0
    saver = AsyncPostgresSaver(conn=runtime.db.pool)
    for thread_id in thread_ids:
        await saver.adelete_thread(thread_id)
    async with runtime.db.transaction() as conn:
        for thread_id in thread_ids:
            await conversations.delete_thread(conn, thread_id)
    return len(thread_ids)


async def prune_expired_threads(runtime: Any, *, idle_days: int | None = None) -> int:
    """Delete every thread idle for longer than the TTL; return how many were deleted."""
    days = idle_days if idle_days is not None else runtime.settings.thread_ttl_days
    total = 0
    while True:
        async with runtime.db.connection() as conn:
            batch = await conversations.expired_threads(conn, days, limit=200)
        if not batch:
            break
        total += await delete_threads(runtime, batch)
    if total:
        log.info("retention: pruned %d threads idle for more than %d days", total, days)
    return total


async def prune_old_traces(runtime: Any, *, older_than_days: int | None = None) -> int:
    """Delete every trace whose turn started longer ago than the retention; return how many."""
    days = older_than_days if older_than_days is not None else runtime.settings.trace_retention_days
    total = 0
    while True:
        async with runtime.db.connection() as conn:
            deleted = await traces_repo.prune_traces(conn, days, limit=500)
        total += deleted
        if deleted < 500:
            break
    if total:
        log.info("retention: pruned %d traces older than %d days", total, days)
    return total


async def run_maintenance(runtime: Any) -> dict[str, int]:
    """Run every periodic clean-up once (called hourly by beat or the in-process scheduler)."""
    return {
        "threads": await prune_expired_threads(runtime),
        "traces": await prune_old_traces(runtime),
    }


class MaintenanceLoop:
    """The in-process scheduler used when REDIS_URL is unset (Celery beat otherwise)."""

    def __init__(self, runtime: Any, interval_s: float = MAINTENANCE_INTERVAL_S) -> None:
        self.runtime = runtime
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop (first run after one interval)."""
        self._task = asyncio.create_task(self._loop(), name="signpost-maintenance")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await run_maintenance(self.runtime)
            except Exception:  # noqa: BLE001 - maintenance must never stop the service
                log.exception("maintenance failed")

    async def stop(self) -> None:
        """Stop the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
