"""The Celery application: sync jobs on Redis, run by `signpost worker`."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from typing import Any

from celery import Celery

log = logging.getLogger(__name__)

# Longer than the longest sync: with acks_late an unacknowledged task is only
# redelivered after this, so it must not fire while a worker is still busy.
VISIBILITY_TIMEOUT_S = 4 * 3600


def create_celery(redis_url: str) -> Celery:
    """Return a configured Celery app on `redis_url`."""
    app = Celery("signpost", broker=redis_url, include=["ingestion.celery_app"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="signpost",
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    app.task(
        name="signpost.run_job",
        bind=True,
        acks_late=True,
        max_retries=5,
    )(run_job_task)
    return app


class _WorkerState:
    """One event loop and one runtime per worker process (created after fork)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runtime: Any = None
        self.lock = threading.Lock()

    def ensure(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        with self.lock:
            if self.pid != os.getpid():
                # Loop-bound pools must not cross a fork.
                self.pid = os.getpid()
                self.loop = asyncio.new_event_loop()
                self.runtime = None
            assert self.loop is not None
            if self.runtime is None:
                from signpost.runtime import Runtime
                from signpost.settings import get_settings

                self.runtime = self.loop.run_until_complete(
                    Runtime.start(get_settings(), jobs=False)
                )
            return self.loop, self.runtime


_state = _WorkerState()


def run_job_task(task: Any, job_id: str) -> str | None:
    """Celery entry point: run the job in this worker's event loop, retrying blips."""
    from ingestion.jobs import TRANSIENT_ERRORS, run_job

    loop, runtime = _state.ensure()
    try:
        return loop.run_until_complete(run_job(runtime.ingest_deps(), uuid.UUID(job_id)))
    except TRANSIENT_ERRORS as exc:
        countdown = min(300, 5 * 2 ** task.request.retries)
        log.warning("job %s: transient error (%s); retry in %ss", job_id, exc, countdown)
        raise task.retry(exc=exc, countdown=countdown) from exc


def worker_main(redis_url: str, *, concurrency: int = 1, loglevel: str = "INFO") -> None:
    """Run a worker in this process (`signpost worker`)."""
    app = create_celery(redis_url)
    app.worker_main(
        ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "-Q", "signpost",
         "--without-gossip", "--without-mingle"]
    )
