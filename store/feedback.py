"""Feedback on turns (LangSmith-shaped: key, score, comment)."""

from __future__ import annotations

import uuid
from typing import Any

from store.db import Conn


async def turn_of(conn: Conn, chatbot_id: uuid.UUID, turn_id: str) -> dict[str, Any] | None:
    """Return the assistant message of a turn of this chatbot (thread, trace), or None."""
    cur = await conn.execute(
        """SELECT m.thread_id, m.trace_id, c.workspace_id FROM messages m
           JOIN conversations c ON c.thread_id = m.thread_id
           WHERE m.turn_id = %s AND m.role = 'assistant' AND c.chatbot_id = %s""",
        (turn_id, chatbot_id),
    )
    return await cur.fetchone()


async def upsert_feedback(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    *,
    thread_id: str,
    turn_id: str,
    trace_id: str | None,
    score: int,
    comment: str | None,
    key: str = "user_score",
) -> uuid.UUID:
    """Store (or change) the feedback of a turn; a visitor may change their mind."""
    cur = await conn.execute(
        """INSERT INTO feedback (id, workspace_id, chatbot_id, thread_id, turn_id, trace_id, key,
                                 score, comment)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (turn_id, key) DO UPDATE SET score = EXCLUDED.score,
               comment = EXCLUDED.comment, updated_at = now()
           RETURNING id""",
        (uuid.uuid4(), workspace_id, chatbot_id, thread_id, turn_id, trace_id, key, score, comment),
    )
    row = await cur.fetchone()
    assert row is not None
    return row["id"]  # type: ignore[no-any-return]


async def feedback_for_traces(
    conn: Conn, workspace_id: uuid.UUID, trace_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Return trace id → its feedback items."""
    if not trace_ids:
        return {}
    cur = await conn.execute(
        """SELECT trace_id, key, score, comment, created_at FROM feedback
           WHERE workspace_id = %s AND trace_id = ANY(%s) ORDER BY created_at""",
        (workspace_id, trace_ids),
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in await cur.fetchall():
        out.setdefault(row["trace_id"], []).append(
            {
                "key": row["key"],
                "score": row["score"],
                "comment": row["comment"],
                "created_at": row["created_at"].isoformat(),
            }
        )
    return out
