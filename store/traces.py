"""Traces: run trees of turns (LangSmith field names) and each workspace's trace policy."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from store.db import Conn

RUN_COLUMNS = (
    "id",
    "trace_id",
    "parent_run_id",
    "dotted_order",
    "workspace_id",
    "chatbot_id",
    "thread_id",
    "turn_id",
    "mode",
    "name",
    "run_type",
    "status",
    "error",
    "start_time",
    "end_time",
    "first_token_time",
    "inputs",
    "outputs",
    "events",
    "tags",
    "extra",
    "model",
    "provider",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "intent",
    "tool",
)
_JSON = frozenset({"inputs", "outputs", "events", "extra"})
_INSERT = (
    f"INSERT INTO trace_runs ({', '.join(RUN_COLUMNS)}) VALUES ("
    + ", ".join("%s::jsonb" if c in _JSON else "%s" for c in RUN_COLUMNS)
    + ") ON CONFLICT (id) DO NOTHING"
)
_SUMMARY = """id, trace_id, parent_run_id, dotted_order, workspace_id, chatbot_id, thread_id,
    turn_id, mode, name, run_type, status, error, start_time, end_time, first_token_time,
    tags, model, provider, prompt_tokens, completion_tokens, total_tokens, intent, tool,
    (EXTRACT(EPOCH FROM (end_time - start_time)) * 1000)::double precision AS latency_ms"""


async def insert_runs(conn: Conn, rows: Sequence[Sequence[Any]]) -> None:
    """Insert runs (tuples in RUN_COLUMNS order, JSON columns as JSON text); repeats are ignored."""
    async with conn.cursor() as cur:
        await cur.executemany(_INSERT, rows)


async def pii_policies(conn: Conn, workspace_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Return workspace id → whether its traces may keep lead personal data."""
    cur = await conn.execute(
        "SELECT id, trace_pii FROM workspaces WHERE id = ANY(%s)", (list(workspace_ids),)
    )
    return {row["id"]: row["trace_pii"] for row in await cur.fetchall()}


async def set_trace_pii(conn: Conn, workspace_id: uuid.UUID, allowed: bool) -> None:
    """Opt the workspace in (or out) of keeping lead personal data in traces."""
    await conn.execute(
        "UPDATE workspaces SET trace_pii = %s WHERE id = %s", (allowed, workspace_id)
    )


async def list_roots(
    conn: Conn,
    workspace_id: uuid.UUID,
    *,
    chatbot_id: uuid.UUID | None = None,
    thread_id: str | None = None,
    mode: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Return the root runs (one per turn) matching the filters, newest first, and the total."""
    where = ["workspace_id = %s", "parent_run_id IS NULL"]
    params: list[Any] = [workspace_id]
    for column, value in (
        ("chatbot_id", chatbot_id),
        ("thread_id", thread_id),
        ("mode", mode),
        ("status", status),
    ):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if since is not None:
        where.append("start_time >= %s")
        params.append(since)
    clause = " AND ".join(where)
    cur = await conn.execute(
        f"SELECT {_SUMMARY}, inputs->>'message' AS message FROM trace_runs WHERE {clause} "
        "ORDER BY start_time DESC, id LIMIT %s OFFSET %s",
        (*params, limit, offset),
    )
    rows = await cur.fetchall()
    cur = await conn.execute(f"SELECT count(*) AS n FROM trace_runs WHERE {clause}", params)
    total = await cur.fetchone()
    return list(rows), int(total["n"]) if total else 0


async def trace_runs(
    conn: Conn, workspace_id: uuid.UUID, trace_id: uuid.UUID, *, payloads: bool = False
) -> list[dict[str, Any]]:
    """Return one trace's runs in execution order (dotted order); [] if not this workspace's."""
    columns = _SUMMARY + (", inputs, outputs, events, extra" if payloads else ", events, extra")
    cur = await conn.execute(
        f"SELECT {columns} FROM trace_runs WHERE trace_id = %s AND workspace_id = %s "
        "ORDER BY dotted_order",
        (trace_id, workspace_id),
    )
    return list(await cur.fetchall())


async def get_run(
    conn: Conn, workspace_id: uuid.UUID, trace_id: uuid.UUID, run_id: uuid.UUID
) -> dict[str, Any] | None:
    """Return one run with its full inputs and outputs, or None."""
    cur = await conn.execute(
        f"SELECT {_SUMMARY}, inputs, outputs, events, extra FROM trace_runs "
        "WHERE id = %s AND trace_id = %s AND workspace_id = %s",
        (run_id, trace_id, workspace_id),
    )
    return await cur.fetchone()


async def run_payloads(
    conn: Conn, workspace_id: uuid.UUID, trace_id: uuid.UUID, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Return run id → {inputs, outputs} for some runs of one trace."""
    cur = await conn.execute(
        "SELECT id, inputs, outputs FROM trace_runs WHERE trace_id = %s AND workspace_id = %s "
        "AND id = ANY(%s)",
        (trace_id, workspace_id, list(run_ids)),
    )
    return {
        row["id"]: {"inputs": row["inputs"], "outputs": row["outputs"]}
        for row in await cur.fetchall()
    }


async def child_run_ids(
    conn: Conn, workspace_id: uuid.UUID, trace_id: uuid.UUID, run_id: uuid.UUID
) -> list[uuid.UUID]:
    """Return the ids of a run's direct children, in execution order."""
    cur = await conn.execute(
        "SELECT id FROM trace_runs WHERE trace_id = %s AND parent_run_id = %s "
        "AND workspace_id = %s ORDER BY dotted_order",
        (trace_id, run_id, workspace_id),
    )
    return [row["id"] for row in await cur.fetchall()]


async def prune_traces(conn: Conn, older_than_days: int, *, limit: int = 500) -> int:
    """Delete up to `limit` whole traces whose root started before the cut-off; return how many."""
    cur = await conn.execute(
        """WITH old AS (
               SELECT trace_id FROM trace_runs
               WHERE parent_run_id IS NULL AND start_time < now() - make_interval(days => %s)
               LIMIT %s)
           DELETE FROM trace_runs r USING old WHERE r.trace_id = old.trace_id
           RETURNING r.parent_run_id IS NULL AS root""",
        (older_than_days, limit),
    )
    return sum(1 for row in await cur.fetchall() if row["root"])
