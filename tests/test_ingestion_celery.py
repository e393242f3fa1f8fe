"""Sync jobs on Celery: a real worker on the machine's Redis runs them against the test database."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from psycopg import sql

from ingestion.celery_app import VISIBILITY_TIMEOUT_S, SignpostCelery, create_celery
from ingestion.jobs import CeleryRunner
from signpost.settings import Settings
from tests.test_ingestion_api import (
    DEMO,
    ROOT,
    create_local_site,
    get_source,
    wait_for_job,
)

REDIS_URL = os.environ.get("SIGNPOST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKER_APP_NAME = "signpost-celery-test-worker"
COMPANY_B_SITE = ROOT / "tests" / "fixtures" / "company_b" / "site"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); Celery tests need it")


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    """Return a queue name of this run's own, and delete it from Redis afterwards."""
    _redis_or_skip()
    import redis

    name = f"signpost-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


@pytest.fixture(scope="module")
def worker_app(queue: str, settings: Settings, db_dsn: str) -> SignpostCelery:
    """A worker app whose runtime uses this module's database and data dir."""
    from signpost.runtime import Runtime

    worker_settings = settings.model_copy(update={"db_pool_min": 1, "db_pool_max": 3})
    # Tagged, so a test can cut exactly the worker's connections.
    dsn = f"{db_dsn}{'&' if '?' in db_dsn else '?'}application_name={WORKER_APP_NAME}"

    async def runtime_factory() -> Any:
        return await Runtime.start(worker_settings, dsn=dsn, jobs=False)

    app = create_celery(REDIS_URL, queue=queue, runtime_factory=runtime_factory, retry_base_s=0.2)
    app.conf.worker_enable_remote_control = False  # no pidbox keys left behind in Redis
    return app


@pytest.fixture(scope="module")
async def worker(worker_app: SignpostCelery) -> AsyncIterator[Any]:
    """Run a solo-pool worker in a thread for this module; close its runtime afterwards."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        worker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as running:
        yield running
    await asyncio.to_thread(worker_app.worker_state.close)


@pytest.fixture(scope="module")
async def celery_runtime(runtime: Any, queue: str, worker: Any) -> AsyncIterator[Any]:
    """The module's runtime with its job runner swapped for Celery, as REDIS_URL would."""
    in_process = runtime.jobs
    await in_process.stop()
    runtime.jobs = CeleryRunner(REDIS_URL, runtime.ingest_deps, queue=queue)
    await runtime.jobs.start()
    yield runtime
    await runtime.jobs.stop()
    runtime.jobs = in_process


def test_celery_app_acks_late_and_redelivers_only_after_the_longest_sync():
    app = create_celery(REDIS_URL)
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == VISIBILITY_TIMEOUT_S
    assert VISIBILITY_TIMEOUT_S >= 2 * 3600  # well above the longest sync
    assert conf.task_default_queue == "signpost"
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    task = app.tasks["signpost.run_job"]
    assert task.acks_late is True and task.max_retries >= 3


async def test_a_sync_submitted_through_the_api_runs_on_the_celery_worker(
    celery_runtime, client, ws
):
    resp = await client.post(
        "/api/v1/sources",
        headers=ws.headers,
        json={"type": "custom", "name": "FAQ", "text": (DEMO / "faq.md").read_text()},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    job = await wait_for_job(client, ws.headers, body["job_id"], timeout=60)
    assert job["status"] == "succeeded", job["errors"]
    assert job["attempts"] == 1 and job["errors"] == []
    source = await get_source(client, ws.headers, body["id"])
    assert source["status"] == "ready"
    assert source["counts"]["chunks"] == job["result"]["chunks_embedded"] > 0

    # Published again (as a restarted API does for live jobs): the finished job is not re-run.
    await celery_runtime.jobs.submit(uuid.UUID(body["job_id"]))
    again = await _sync(client, ws, body["id"])  # queued behind the duplicate, on one worker
    assert again["status"] == "succeeded" and again["result"]["unchanged"] > 0
    first = (await client.get(f"/api/v1/jobs/{body['job_id']}", headers=ws.headers)).json()
    assert first["attempts"] == 1 and first["finished_at"] == job["finished_at"]


async def _sync(client: Any, ws: Any, source_id: str) -> dict[str, Any]:
    resp = await client.post(f"/api/v1/sources/{source_id}/sync", headers=ws.headers)
    assert resp.status_code == 202, resp.text
    return await wait_for_job(client, ws.headers, resp.json()["job_id"], timeout=60)


async def _cut_worker_connections(runtime: Any) -> int:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (WORKER_APP_NAME,),
        )
        row = await cur.fetchone()
        return int(row["n"])


async def test_a_database_blink_mid_sync_is_retried_and_the_job_still_succeeds(
    celery_runtime, client, ws
):
    source_id = await create_local_site(celery_runtime, ws.id, COMPANY_B_SITE, "Fernbrook site")
    resp = await client.post(f"/api/v1/sources/{source_id}/sync", headers=ws.headers)
    job_id = resp.json()["job_id"]
    deadline = time.monotonic() + 60
    while True:  # wait until the worker is inside the sync
        job = (await client.get(f"/api/v1/jobs/{job_id}", headers=ws.headers)).json()
        if job["status"] == "running" and job["progress"]["done"] > 0:
            break
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, "the worker never started the job"
        await asyncio.sleep(0.01)

    # Cut the worker's connections until its first attempt stops (a connection the pool
    # opens just after a cut would otherwise let the attempt carry on).
    cuts = 0
    while job["status"] == "running" and job["attempts"] == 1:
        cuts += await _cut_worker_connections(celery_runtime)
        await asyncio.sleep(0.1)
        job = (await client.get(f"/api/v1/jobs/{job_id}", headers=ws.headers)).json()
    assert cuts >= 1

    job = await wait_for_job(client, ws.headers, job_id, timeout=60)
    assert job["status"] == "succeeded", job["errors"]
    assert job["attempts"] >= 2, "the interrupted attempt was retried"
    assert job["errors"] == []
    source = await get_source(client, ws.headers, source_id)
    assert source["status"] == "ready" and source["last_error"] is None
    html = [p for p in COMPANY_B_SITE.rglob("*.html")]
    assert source["counts"]["pages"] == len(html)
    # Nothing was written twice or left half-written: every chunk belongs to a stored page
    # and every page has its chunks.
    async with celery_runtime.db.connection() as conn:
        cur = await conn.execute(
            sql.SQL(
                "SELECT (SELECT count(*) FROM {t} c WHERE c.source_id = %(s)s AND NOT EXISTS "
                "(SELECT 1 FROM kb_pages p WHERE p.id = c.item_id)) AS orphans, "
                "(SELECT count(*) FROM kb_pages p WHERE p.source_id = %(s)s AND NOT EXISTS "
                "(SELECT 1 FROM {t} c WHERE c.item_id = p.id)) AS bare"
            ).format(t=sql.Identifier(celery_runtime.chunk_table)),
            {"s": uuid.UUID(source_id)},
        )
        row = await cur.fetchone()
    assert row == {"orphans": 0, "bare": 0}
    # A clean re-sync finds everything in place.
    again = await _sync(client, ws, source_id)
    assert again["result"]["unchanged"] == len(html) and again["result"]["chunks_embedded"] == 0
