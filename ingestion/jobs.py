"""Run background jobs (source syncs, lead deliveries).

Celery on Redis when REDIS_URL is set, in-process asyncio tasks otherwise.

Both paths call the same `run_job`. A job is claimed once (queued → running), reports
progress and per-item errors, heartbeats while it runs, and ends succeeded or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from ingestion.sync import TRANSIENT_ERRORS, IngestDeps, record_outcome, sync_source
from store import jobs as jobs_repo
from store import sources as sources_repo

__all__ = [
    "RETRYABLE",
    "TRANSIENT_ERRORS",
    "CeleryRunner",
    "InProcessRunner",
    "JobInterrupted",
    "JobRunner",
    "give_up",
    "make_runner",
    "run_job",
]

log = logging.getLogger(__name__)


class JobInterrupted(Exception):
    """A claimed job stopped on a transient error; retry it with `resume_attempt=attempt`.

    The job was put back in the queue when the database allowed it. When it did not,
    the job is still marked running under this attempt, and only a retry naming the
    attempt may take it over (a stray second delivery may not).
    """

    def __init__(self, job_id: uuid.UUID, attempt: int) -> None:
        super().__init__(f"job {job_id} attempt {attempt} was interrupted")
        self.job_id = job_id
        self.attempt = attempt


RETRYABLE: tuple[type[BaseException], ...] = (JobInterrupted, *TRANSIENT_ERRORS)
"""What a runner retries: an interrupted job, or a blink before the job was claimed."""


class JobRunner(Protocol):
    """Something that runs queued jobs in the background."""

    async def submit(self, job_id: uuid.UUID) -> None:
        """Arrange for the job to run."""
        ...

    async def start(self) -> None:
        """Start (and resume jobs a previous process left unfinished)."""
        ...

    async def stop(self) -> None:
        """Stop, letting the current job finish or be picked up again later."""
        ...


async def run_job(
    deps: IngestDeps, job_id: uuid.UUID, *, resume_attempt: int | None = None
) -> str | None:
    """Run one job to completion; return its final status (None if someone else has it).

    Raises JobInterrupted after a transient error once the job was claimed, and a
    TRANSIENT_ERRORS exception when the job could not even be claimed.
    """
    async with deps.db.connection() as conn:
        job = await jobs_repo.claim(conn, job_id, resume_attempt=resume_attempt)
    if job is None:
        return None
    try:
        return await _run_claimed(deps, job)
    except TRANSIENT_ERRORS as exc:
        log.warning("job %s: transient error (%s); putting it back in the queue", job.id, exc)
        await _requeue_quietly(deps, job)
        raise JobInterrupted(job.id, job.attempts) from exc


async def _run_claimed(deps: IngestDeps, job: jobs_repo.Job) -> str:
    if job.kind == "lead_sink":
        from services.lead_sink import deliver

        return await deliver(deps.db, deps.settings, job)
    if job.kind != "sync" or job.source_id is None:
        async with deps.db.connection() as conn:
            await jobs_repo.finish(
                conn,
                job.id,
                status="failed",
                errors_=[{"item": "", "message": f"unknown job kind {job.kind!r}"}],
                result=None,
            )
        return "failed"
    async with deps.db.connection() as conn:
        source = await sources_repo.get_source(conn, job.workspace_id, job.source_id)
        if source is None:
            await jobs_repo.finish(
                conn,
                job.id,
                status="failed",
                errors_=[{"item": "", "message": "the source was deleted"}],
                result=None,
            )
            return "failed"
        await sources_repo.update_source_state(
            conn,
            source.workspace_id,
            source.id,
            status="syncing",
            last_error=source.last_error,
        )

    async def report(done: int, total: int) -> None:
        async with deps.db.connection() as conn:
            await jobs_repo.progress(conn, job.id, done, total)

    beat = asyncio.create_task(_heartbeat(deps, job.id))
    try:
        outcome = await sync_source(deps, source, report)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        log.exception("job %s failed", job.id)
        async with deps.db.connection() as conn:
            await sources_repo.update_source_state(
                conn, source.workspace_id, source.id, status="failed", last_error=str(exc)
            )
            await jobs_repo.finish(
                conn,
                job.id,
                status="failed",
                errors_=[{"item": "", "message": str(exc)}],
                result=None,
            )
        return "failed"
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
    await record_outcome(deps, source, outcome)
    status = "failed" if outcome.fatal else "succeeded"
    errors = list(outcome.errors)
    if outcome.fatal and not any(e["message"] == outcome.fatal for e in errors):
        errors.insert(0, {"item": "", "message": outcome.fatal})
    async with deps.db.connection() as conn:
        await jobs_repo.finish(
            conn,
            job.id,
            status=status,
            errors_=errors,
            result={"counts": outcome.counts, "version": outcome.version, **outcome.stats()},
        )
    log.info("job %s %s: %s", job.id, status, outcome.stats())
    return status


async def _requeue_quietly(deps: IngestDeps, job: jobs_repo.Job) -> None:
    """Put the job back in the queue, if the database lets us; its source stays `syncing`.

    Connections that died with the blink are dropped first, so this usually succeeds.
    When it does not, the retry resumes the job by its attempt number instead.
    """
    try:
        await deps.db.pool.check()
        async with deps.db.connection() as conn:
            await jobs_repo.requeue(conn, job.id)
    except Exception as exc:  # noqa: BLE001 - the retry takes the job over by its attempt
        log.warning("job %s: could not put it back in the queue (%s)", job.id, exc)


async def give_up(deps: IngestDeps, job_id: uuid.UUID, message: str) -> None:
    """Mark a job failed after its last retry (best effort: the database may still be away)."""
    try:
        async with deps.db.connection() as conn:
            job = await jobs_repo.get_job_unscoped(conn, job_id)
            if job is None or job.status not in ("queued", "running"):
                return
            await jobs_repo.finish(
                conn,
                job.id,
                status="failed",
                errors_=[{"item": "", "message": message}],
                result=None,
            )
            if job.source_id is not None:
                await sources_repo.update_source_state(
                    conn, job.workspace_id, job.source_id, status="failed", last_error=message
                )
    except Exception as exc:  # noqa: BLE001 - nothing more can be done now
        log.error("job %s: could not record that it gave up (%s)", job_id, exc)


async def _heartbeat(deps: IngestDeps, job_id: uuid.UUID, every: float = 20.0) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            async with deps.db.connection() as conn:
                await jobs_repo.heartbeat(conn, job_id)
        except Exception:  # noqa: BLE001 - a missed heartbeat is not worth failing the job
            log.warning("heartbeat for job %s failed", job_id)


class InProcessRunner:
    """Runs jobs as asyncio tasks in this process, one at a time, with retries.

    Several processes may share one database (`signpost serve` and a CLI sync): a job is
    claimed by exactly one of them, and a running job is only taken over once its
    heartbeat stopped. A periodic sweep picks up jobs queued by processes without a runner.
    """

    def __init__(
        self,
        deps_factory: Callable[[], IngestDeps],
        *,
        retries: int = 3,
        sweep_every_s: float = 60.0,
    ) -> None:
        self._deps_factory = deps_factory
        self._queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
        self._queued: set[uuid.UUID] = set()
        self._current: uuid.UUID | None = None
        self._worker: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._retries = retries
        self._sweep_every_s = sweep_every_s
        self.idle = asyncio.Event()
        self.idle.set()

    async def start(self) -> None:
        """Start the worker task and resume unfinished jobs no live process is running."""
        await self._resume()
        self._worker = asyncio.create_task(self._work(), name="signpost-jobs")
        self._sweeper = asyncio.create_task(self._sweep(), name="signpost-jobs-sweep")

    async def _resume(self) -> None:
        async with self._deps_factory().db.connection() as conn:
            await jobs_repo.reset_running(conn)
            unfinished = await jobs_repo.stale_jobs(conn)
        for job_id in unfinished:
            # A job another process is running is not claimed here, so this is safe.
            await self.submit(job_id)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_every_s)
            try:
                await self._resume()
            except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                log.warning("job sweep failed: %s", exc)

    async def submit(self, job_id: uuid.UUID) -> None:
        """Queue the job (once: a job already waiting or running here is not queued again)."""
        if job_id in self._queued or job_id == self._current:
            return
        self._queued.add(job_id)
        self.idle.clear()
        await self._queue.put(job_id)

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._queued.discard(job_id)
            self._current = job_id
            try:
                await self._run_with_retries(job_id)
            except Exception:  # noqa: BLE001 - the worker must survive any job
                log.exception("job %s crashed", job_id)
            finally:
                self._current = None
                self._queue.task_done()
                if self._queue.empty():
                    self.idle.set()

    async def _run_with_retries(self, job_id: uuid.UUID) -> None:
        resume: int | None = None
        for attempt in range(self._retries + 1):
            try:
                await run_job(self._deps_factory(), job_id, resume_attempt=resume)
                return
            except RETRYABLE as exc:
                if isinstance(exc, JobInterrupted):
                    resume = exc.attempt
                if attempt == self._retries:
                    cause = exc.__cause__ or exc
                    await give_up(
                        self._deps_factory(),
                        job_id,
                        f"gave up after {attempt + 1} attempts: {cause}",
                    )
                    raise
                delay = min(30.0, 2.0**attempt)
                log.warning("job %s: transient error (%s); retrying in %.0fs", job_id, exc, delay)
                await asyncio.sleep(delay)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until every submitted job has finished."""
        await asyncio.wait_for(self.idle.wait(), timeout)

    async def stop(self) -> None:
        """Cancel the worker; the interrupted job goes back in the queue for the next start."""
        interrupted = self._current
        for task in (self._sweeper, self._worker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._worker = None
        if interrupted is not None:
            try:
                async with self._deps_factory().db.connection() as conn:
                    await jobs_repo.requeue(conn, interrupted)
            except Exception as exc:  # noqa: BLE001 - it is taken over once its heartbeat is stale
                log.warning("job %s: could not put it back in the queue (%s)", interrupted, exc)


class CeleryRunner:
    """Sends jobs to Celery workers on Redis (`signpost worker`)."""

    def __init__(
        self, redis_url: str, deps_factory: Callable[[], IngestDeps], *, queue: str | None = None
    ) -> None:
        from ingestion.celery_app import DEFAULT_QUEUE, create_celery

        self.app = create_celery(redis_url, queue=queue or DEFAULT_QUEUE)
        self._deps_factory = deps_factory

    async def start(self) -> None:
        """Publish jobs queued while no worker was told (e.g. by the demo seed)."""
        async with self._deps_factory().db.connection() as conn:
            queued = await jobs_repo.stale_jobs(conn)
        for job_id in queued:
            # A job already being run is not claimed twice, so republishing is safe.
            await self.submit(job_id)

    async def submit(self, job_id: uuid.UUID) -> None:
        """Publish the job to the queue."""
        await asyncio.to_thread(
            self.app.send_task, "signpost.run_job", args=[str(job_id)], task_id=str(job_id)
        )

    async def stop(self) -> None:
        """Nothing to stop."""


def make_runner(settings: Any, deps_factory: Callable[[], IngestDeps]) -> JobRunner:
    """Return the Celery runner when REDIS_URL is set, else the in-process one."""
    if settings.redis_url:
        return CeleryRunner(settings.redis_url, deps_factory)
    return InProcessRunner(deps_factory)
