"""Conversations and messages: the durable transcript of every thread."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from store.db import Conn


async def thread_owner(conn: Conn, thread_id: str) -> dict[str, Any] | None:
    """Return the workspace, chatbot and mode a thread belongs to (None if unknown)."""
    cur = await conn.execute(
        "SELECT workspace_id, chatbot_id, mode, last_activity_at FROM conversations "
        "WHERE thread_id = %s",
        (thread_id,),
    )
    return await cur.fetchone()


async def open_thread(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, thread_id: str, mode: str
) -> None:
    """Create the conversation row if it does not exist yet."""
    await conn.execute(
        """INSERT INTO conversations (thread_id, workspace_id, chatbot_id, mode)
           VALUES (%s, %s, %s, %s) ON CONFLICT (thread_id) DO NOTHING""",
        (thread_id, workspace_id, chatbot_id, mode),
    )


async def append_message(
    conn: Conn,
    workspace_id: uuid.UUID,
    thread_id: str,
    *,
    role: str,
    turn_id: str,
    content: str,
    lead_input: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
    intent: str | None = None,
    tool: str | None = None,
    citations: list[dict[str, Any]] | None = None,
    trace_id: str | None = None,
    latency_ms: float | None = None,
) -> int:
    """Append a message at the thread's next position; return that position.

    One statement: the conversation's counter and activity time move with the insert.
    """
    cur = await conn.execute(
        """WITH slot AS (
               UPDATE conversations SET message_count = message_count + 1,
                                        last_activity_at = now()
               WHERE thread_id = %s AND workspace_id = %s RETURNING message_count)
           INSERT INTO messages (id, thread_id, workspace_id, position, role, turn_id, content,
                                 lead_input, output, intent, tool, citations, trace_id, latency_ms)
           SELECT %s, %s, %s, slot.message_count, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s
           FROM slot RETURNING position""",
        (
            thread_id,
            workspace_id,
            uuid.uuid4(),
            thread_id,
            workspace_id,
            role,
            turn_id,
            content,
            Jsonb(lead_input) if lead_input is not None else None,
            Jsonb(output) if output is not None else None,
            intent,
            tool,
            Jsonb(citations or []),
            trace_id,
            latency_ms,
        ),
    )
    row = await cur.fetchone()
    if row is None:
        raise LookupError(f"thread {thread_id} does not exist")
    return int(row["position"])


async def list_messages(
    conn: Conn, workspace_id: uuid.UUID, thread_id: str, *, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """Return the thread's messages in chronological order."""
    cur = await conn.execute(
        """SELECT position, role, turn_id, content, lead_input, output, intent, tool, citations,
                  trace_id, latency_ms, created_at
           FROM messages WHERE workspace_id = %s AND thread_id = %s
           ORDER BY position LIMIT %s OFFSET %s""",
        (workspace_id, thread_id, limit, offset),
    )
    return list(await cur.fetchall())


async def list_conversations(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    mode: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of a chatbot's conversations (most recent activity first) and the total."""
    where = ["workspace_id = %s", "chatbot_id = %s"]
    params: list[Any] = [workspace_id, chatbot_id]
    if mode:
        where.append("mode = %s")
        params.append(mode)
    if since:
        where.append("last_activity_at >= %s")
        params.append(since)
    if until:
        where.append("last_activity_at < %s")
        params.append(until)
    clause = " AND ".join(where)
    cur = await conn.execute(
        f"""SELECT thread_id, mode, message_count, created_at, last_activity_at,
                   (SELECT content FROM messages m WHERE m.thread_id = c.thread_id AND m.role = 'user'
                    ORDER BY position LIMIT 1) AS first_message
            FROM conversations c WHERE {clause}
            ORDER BY last_activity_at DESC, thread_id LIMIT %s OFFSET %s""",
        (*params, limit, offset),
    )
    rows = list(await cur.fetchall())
    cur = await conn.execute(f"SELECT count(*) AS n FROM conversations WHERE {clause}", params)
    total = await cur.fetchone()
    return rows, int(total["n"]) if total else 0


async def expired_threads(conn: Conn, idle_days: int, limit: int = 500) -> list[str]:
    """Return threads idle for longer than `idle_days` (oldest first)."""
    cur = await conn.execute(
        """SELECT thread_id FROM conversations
           WHERE last_activity_at < now() - make_interval(days => %s)
           ORDER BY last_activity_at LIMIT %s""",
        (idle_days, limit),
    )
    return [row["thread_id"] for row in await cur.fetchall()]


async def delete_thread(conn: Conn, thread_id: str) -> None:
    """Delete a conversation and its messages (leads are kept)."""
    await conn.execute("DELETE FROM conversations WHERE thread_id = %s", (thread_id,))
