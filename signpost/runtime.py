"""The process's long-lived components, built once at start-up and shared by every surface."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ingestion.embeddings import EmbeddingSpace, build_embedding_space
from ingestion.jobs import JobRunner, make_runner
from ingestion.sync import IngestDeps
from signpost.settings import Settings
from store import vectors
from store.db import Database
from store.files import FileStore, LocalFileStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Settings, database, file storage, embeddings and jobs — shared by API, CLI, workers, evals."""

    settings: Settings
    db: Database
    files: FileStore
    space: EmbeddingSpace
    chunk_table: str
    jobs: JobRunner | None = None
    turns: Any = None
    """services.turns.TurnEngine: the compiled turn graph and its checkpointers."""
    maintenance: Any = None
    """services.retention.MaintenanceLoop when jobs run in-process."""
    limiter: Any = None
    """services.ratelimit.RateLimiter for the public widget."""
    traces: Any = None
    """tracing.TraceWriter: writes turn traces in the background (None when tracing is off)."""
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        dsn: str | None = None,
        jobs: bool = True,
        turns: bool = True,
    ) -> Runtime:
        """Open the database, apply migrations, wire storage, embeddings, turns and jobs.

        Workers and CLI commands that never run a chat turn pass `turns=False`.
        """
        db = await Database.open(settings, dsn=dsn)
        try:
            space = build_embedding_space(settings)
            async with db.connection() as conn:
                table = await vectors.ensure_chunk_table(
                    conn, db.dsn, space.model_id, space.dimension
                )
        except BaseException:
            await db.close()
            raise
        files = LocalFileStore(settings.data_dir / "files")
        runtime = cls(settings=settings, db=db, files=files, space=space, chunk_table=table)
        try:
            from services.ratelimit import MemoryRateStore, RateLimiter, RedisRateStore
            from services.turns import TurnEngine
            from signpost.settings import parse_rate

            store = RedisRateStore(settings.redis_url) if settings.redis_url else MemoryRateStore()
            runtime.limiter = RateLimiter(
                store,
                visitor=parse_rate(settings.rate_limit_visitor),
                bot=parse_rate(settings.rate_limit_bot),
            )

            if turns and settings.tracing:
                from tracing import build_writer

                runtime.traces = build_writer(settings, db)
                runtime.traces.start()
            if turns:
                runtime.turns = TurnEngine(runtime)
                await runtime.turns.start()
            if jobs:
                runtime.jobs = make_runner(settings, runtime.ingest_deps)
                await runtime.jobs.start()
                await runtime.resync_stale_sources()
                if not settings.redis_url:
                    # Without Redis there is no Celery beat: retention runs in-process.
                    from services.retention import MaintenanceLoop

                    runtime.maintenance = MaintenanceLoop(runtime)
                    runtime.maintenance.start()
        except BaseException:
            await db.close()
            raise
        return runtime

    async def resync_stale_sources(self) -> int:
        """Queue a sync for every source embedded by another model or index version."""
        from ingestion.sync import space_tag
        from store import jobs as jobs_repo

        async with self.db.connection() as conn:
            cur = await conn.execute(
                "SELECT workspace_id, id FROM data_sources "
                "WHERE embedding_space IS NOT NULL AND embedding_space <> %s",
                (space_tag(self.chunk_table),),
            )
            stale = await cur.fetchall()
            for row in stale:
                job, created = await jobs_repo.enqueue_sync(conn, row["workspace_id"], row["id"])
                if created and self.jobs is not None:
                    await self.jobs.submit(job.id)
        if stale:
            log.info("re-embedding %d source(s) written with another model or index", len(stale))
        return len(stale)

    def ingest_deps(self) -> IngestDeps:
        """Return what a sync job needs."""
        return IngestDeps(
            db=self.db,
            files=self.files,
            space=self.space,
            table=self.chunk_table,
            settings=self.settings,
        )

    @property
    def base_url(self) -> str:
        """Return the public base URL of this service."""
        return self.settings.base_url

    async def close(self) -> None:
        """Release everything start() opened."""
        if self.turns is not None:
            await self.turns.close()
        if self.traces is not None:
            await self.traces.stop()  # write what the last turns traced
        if self.maintenance is not None:
            await self.maintenance.stop()
        if self.jobs is not None:
            await self.jobs.stop()
        if self.limiter is not None and hasattr(self.limiter.store, "close"):
            await self.limiter.store.close()
        await self.db.close()
