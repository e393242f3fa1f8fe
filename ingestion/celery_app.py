"""The Celery application: sync jobs on Redis, run by `signpost worker`."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from celery import Celery, signals

from services.retention import MAINTENANCE_INTERVAL_S

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "signpost"
# Longer than the longest sync: with acks_late an unacknowledged task is only
# redelivered after this, so it must not fire while a worker is still busy.
VISIBILITY_TIMEOUT_S = 4 * 3600
MAX_RETRIES = 5

RuntimeFactory = Callable[[], Awaitable[Any]]
"""Builds the worker's Runtime inside the worker's event loop."""


async def runtime_from_environment() -> Any:
    """Build the worker's Runtime from the process settings (the `signpost worker` path)."""
    from signpost.runtime import Runtime
    from signpost.settings import get_settings

    return await Runtime.start(get_settings(), jobs=False, turns=False)


class WorkerState:
    """One event loop and one runtime per worker process (created after fork, on first use)."""

    def __init__(self, runtime_factory: RuntimeFactory) -> None:
        self.runtime_factory = runtime_factory
        self.pid: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runtime: Any = None
        self.lock = threading.Lock()

    def ensure(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        """Return this process's loop and runtime, building them on first use."""
        with self.lock:
            if self.pid != os.getpid():
                # Loop-bound pools must not cross a fork.
                self.pid = os.getpid()
                self.loop = asyncio.new_event_loop()
                self.runtime = None
            assert self.loop is not None
            if self.runtime is None:
                self.runtime = self.loop.run_until_complete(self.runtime_factory())
            return self.loop, self.runtime

    def close(self) -> None:
        """Close the runtime and the loop this process built (no-op when there are none)."""
        with self.lock:
            if self.pid != os.getpid() or self.loop is None:
                return
            try:
                if self.runtime is not None:
                    self.loop.run_until_complete(self.runtime.close())
            finally:
                self.runtime = None
                self.loop.close()
                self.loop = None
                self.pid = None


class SignpostCelery(Celery):
    """The Celery app plus the worker state its tasks run in."""

    worker_state: WorkerState


def create_celery(
    redis_url: str,
    *,
    queue: str = DEFAULT_QUEUE,
    runtime_factory: RuntimeFactory | None = None,
    retry_base_s: float = 5.0,
) -> SignpostCelery:
    """Return a configured Celery app on `redis_url`.

    Producers (the API's CeleryRunner) only need `redis_url` and `queue`. A worker also
    takes `runtime_factory` (default: settings from the environment) and the base of the
    exponential retry delay.
    """
    app = SignpostCelery("signpost", broker=redis_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    app.worker_state = WorkerState(runtime_factory or runtime_from_environment)

    def run_job_task(task: Any, job_id: str, resume_attempt: int | None = None) -> str | None:
        return _run_job_task(app, task, job_id, resume_attempt, retry_base_s)

    # shared=False: Celery otherwise adds a task to every app created later in the process,
    # and a second app (another queue or runtime) would run the first one's closure.
    app.task(
        name="signpost.run_job",
        bind=True,
        acks_late=True,
        max_retries=MAX_RETRIES,
        shared=False,
    )(run_job_task)

    def maintenance_task() -> dict[str, int]:
        from services.retention import run_maintenance

        loop, runtime = app.worker_state.ensure()
        return loop.run_until_complete(run_maintenance(runtime))

    app.task(name="signpost.maintenance", shared=False, ignore_result=True)(maintenance_task)
    app.conf.beat_schedule = {
        "signpost-maintenance": {
            "task": "signpost.maintenance",
            "schedule": MAINTENANCE_INTERVAL_S,
            "options": {"queue": queue},
        }
    }
    return app


def _run_job_task(
    app: SignpostCelery, task: Any, job_id: str, resume_attempt: int | None, retry_base_s: float
) -> str | None:
    """Run the job in this worker's event loop; retry transient errors with backoff."""
    from ingestion.jobs import RETRYABLE, JobInterrupted, give_up, run_job

    state = app.worker_state
    try:
        loop, runtime = state.ensure()
        return loop.run_until_complete(
            run_job(runtime.ingest_deps(), uuid.UUID(job_id), resume_attempt=resume_attempt)
        )
    except RETRYABLE as exc:
        cause = exc.__cause__ or exc
        if isinstance(exc, JobInterrupted):
            resume_attempt = exc.attempt
        if task.request.retries >= task.max_retries:
            if state.runtime is not None and state.loop is not None:
                state.loop.run_until_complete(
                    give_up(
                        state.runtime.ingest_deps(),
                        uuid.UUID(job_id),
                        f"gave up after {task.request.retries + 1} attempts: {cause}",
                    )
                )
            raise
        countdown = min(300.0, retry_base_s * 2**task.request.retries)
        log.warning("job %s: transient error (%s); retry in %.1fs", job_id, cause, countdown)
        raise task.retry(
            exc=cause,
            countdown=countdown,
            kwargs={"resume_attempt": resume_attempt},
        ) from exc


def worker_main(
    redis_url: str,
    *,
    concurrency: int = 1,
    loglevel: str = "INFO",
    queue: str = DEFAULT_QUEUE,
    beat: bool = True,
) -> None:
    """Run a worker in this process (`signpost worker`), with the periodic scheduler (beat)."""
    app = create_celery(redis_url, queue=queue)

    def close_runtime(**_: Any) -> None:
        app.worker_state.close()

    # Prefork children run the tasks; a solo worker runs them in the main process.
    signals.worker_process_shutdown.connect(close_runtime, weak=False)
    signals.worker_shutdown.connect(close_runtime, weak=False)
    args = [
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={concurrency}",
        "-Q",
        queue,
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        # Embedded beat: run it on one worker only (`signpost worker --no-beat` on the others).
        args += ["--beat", "--schedule", str(_beat_schedule_file())]
    app.worker_main(args)


def _beat_schedule_file() -> Any:
    from signpost.settings import get_settings

    path = get_settings().data_dir / "celerybeat-schedule"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
