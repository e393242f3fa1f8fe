"""Background jobs: state, progress and per-item errors, observable through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import errors
from psycopg.types.json import Jsonb

from store.db import Conn

STALE_AFTER_S = 120
"""A running job whose heartbeat is older than this lost its worker and may be taken over."""

_COLUMNS = (
    "id, workspace_id, source_id, kind, status, progress_done, progress_total, errors, result, "
    "attempts, created_at, started_at, finished_at, updated_at, lead_id"
)


@dataclass(frozen=True, slots=True)
class Job:
    """A job row."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    source_id: uuid.UUID | None
    kind: str
    status: str
    progress_done: int
    progress_total: int
    errors: list[dict[str, Any]]
    result: dict[str, Any] | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    lead_id: uuid.UUID | None = None


async def enqueue_sync(
    conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> tuple[Job, bool]:
    """Create a queued sync job, or return the source's live one; the flag says if new."""
    try:
        async with conn.transaction():
            cur = await conn.execute(
                f"INSERT INTO jobs (id, workspace_id, source_id, kind) VALUES (%s, %s, %s, 'sync') "
                f"RETURNING {_COLUMNS}",
                (uuid.uuid4(), workspace_id, source_id),
            )
            row = await cur.fetchone()
            assert row is not None
            return Job(**row), True
    except errors.UniqueViolation:
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE source_id = %s AND kind = 'sync' "
            "AND status IN ('queued', 'running')",
            (source_id,),
        )
        row = await cur.fetchone()
        if row is None:  # finished between the two statements: try once more
            return await enqueue_sync(conn, workspace_id, source_id)
        return Job(**row), False


async def enqueue_lead_sink(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, lead_id: uuid.UUID
) -> uuid.UUID | None:
    """Queue the delivery of a new lead to the chatbot's sheet, if it has one; return the job.

    None when the chatbot has no lead sheet or the lead was already queued once.
    """
    cur = await conn.execute(
        """INSERT INTO jobs (id, workspace_id, kind, lead_id)
           SELECT %s, c.workspace_id, 'lead_sink', %s FROM chatbots c
           WHERE c.workspace_id = %s AND c.id = %s
             AND jsonb_typeof(c.settings -> 'lead_sheet') = 'object'
           ON CONFLICT (lead_id) WHERE kind = 'lead_sink' DO NOTHING
           RETURNING id""",
        (uuid.uuid4(), lead_id, workspace_id, chatbot_id),
    )
    row = await cur.fetchone()
    return row["id"] if row else None


async def get_job(conn: Conn, workspace_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    """Return the workspace's job or None."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE workspace_id = %s AND id = %s", (workspace_id, job_id)
    )
    row = await cur.fetchone()
    return Job(**row) if row else None


async def get_job_unscoped(conn: Conn, job_id: uuid.UUID) -> Job | None:
    """Return a job by id for a worker (the job row carries its workspace)."""
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = %s", (job_id,))
    row = await cur.fetchone()
    return Job(**row) if row else None


async def claim(conn: Conn, job_id: uuid.UUID, *, resume_attempt: int | None = None) -> Job | None:
    """Mark a queued job running (once); None when another worker has it or it is done.

    `resume_attempt` lets a retry take over its own interrupted attempt, which is still
    marked running when the job could not be put back in the queue.
    """
    cur = await conn.execute(
        f"""UPDATE jobs SET status = 'running', started_at = now(), updated_at = now(),
                  attempts = attempts + 1, progress_done = 0, errors = '[]'
            WHERE id = %s AND (status = 'queued'
                  OR (status = 'running' AND attempts = %s)
                  -- a worker that died mid-job stops heartbeating; its redelivery takes over
                  OR (status = 'running' AND updated_at < now() - make_interval(secs => %s)))
            RETURNING {_COLUMNS}""",
        (job_id, resume_attempt, STALE_AFTER_S),
    )
    row = await cur.fetchone()
    return Job(**row) if row else None


async def requeue(conn: Conn, job_id: uuid.UUID) -> None:
    """Put a running job back in the queue (a transient failure will be retried)."""
    await conn.execute(
        "UPDATE jobs SET status = 'queued', updated_at = now() WHERE id = %s AND status = 'running'",
        (job_id,),
    )


async def heartbeat(conn: Conn, job_id: uuid.UUID) -> None:
    """Show the job is alive (a running job without heartbeats can be taken over)."""
    await conn.execute("UPDATE jobs SET updated_at = now() WHERE id = %s", (job_id,))


async def progress(conn: Conn, job_id: uuid.UUID, done: int, total: int) -> None:
    """Record progress."""
    await conn.execute(
        "UPDATE jobs SET progress_done = %s, progress_total = %s, updated_at = now() WHERE id = %s",
        (done, total, job_id),
    )


async def finish(
    conn: Conn,
    job_id: uuid.UUID,
    *,
    status: str,
    errors_: list[dict[str, Any]],
    result: dict[str, Any] | None,
) -> None:
    """Record the outcome."""
    await conn.execute(
        """UPDATE jobs SET status = %s, errors = %s, result = %s, finished_at = now(),
                  updated_at = now() WHERE id = %s""",
        (status, Jsonb(errors_), Jsonb(result) if result is not None else None, job_id),
    )


async def stale_jobs(conn: Conn) -> list[uuid.UUID]:
    """Return queued or running jobs (to resume after an in-process restart)."""
    cur = await conn.execute(
        "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at"
    )
    return [row["id"] for row in await cur.fetchall()]


async def reset_running(conn: Conn) -> None:
    """Put jobs a dead process left 'running' back in the queue.

    Only jobs whose heartbeat stopped: a job another live process (`signpost serve`, a CLI
    sync) is running keeps running there.
    """
    await conn.execute(
        "UPDATE jobs SET status = 'queued', updated_at = now() "
        "WHERE status = 'running' AND updated_at < now() - make_interval(secs => %s)",
        (STALE_AFTER_S,),
    )
