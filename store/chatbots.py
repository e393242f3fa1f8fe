"""Chatbots: configuration of one bot in one workspace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from store.db import Conn

_COLUMNS = (
    "id, workspace_id, name, greeting, suggested_questions, ui, allowed_origins, lead_fields, "
    "status, public_key, icon_key, kb_version, settings, created_at, updated_at"
)
_JSON_COLUMNS = {"suggested_questions", "ui", "allowed_origins", "lead_fields", "settings"}
_UPDATABLE = {
    "name",
    "greeting",
    "suggested_questions",
    "ui",
    "allowed_origins",
    "lead_fields",
    "status",
    "icon_key",
    "kb_version",
    "settings",
}


@dataclass(frozen=True, slots=True)
class Chatbot:
    """A chatbot row."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    greeting: str
    suggested_questions: list[str]
    ui: dict[str, Any]
    allowed_origins: list[str]
    lead_fields: list[dict[str, Any]]
    status: str
    public_key: str
    icon_key: str | None
    kb_version: str | None
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _value(column: str, value: Any) -> Any:
    return Jsonb(value) if column in _JSON_COLUMNS else value


async def insert_chatbot(conn: Conn, workspace_id: uuid.UUID, values: dict[str, Any]) -> Chatbot:
    """Insert a chatbot; `values` holds every column but ids and timestamps."""
    columns = ["id", "workspace_id", *values]
    params = [uuid.uuid4(), workspace_id, *(_value(c, v) for c, v in values.items())]
    query = sql.SQL("INSERT INTO chatbots ({}) VALUES ({}) RETURNING {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        sql.SQL(_COLUMNS),
    )
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    return Chatbot(**row)


async def get_chatbot(conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID) -> Chatbot | None:
    """Return the workspace's chatbot or None."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM chatbots WHERE workspace_id = %s AND id = %s",
        (workspace_id, chatbot_id),
    )
    row = await cur.fetchone()
    return Chatbot(**row) if row else None


async def get_chatbot_by_public_key(conn: Conn, public_key: str) -> Chatbot | None:
    """Return the chatbot a widget key names (the key itself scopes the workspace)."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM chatbots WHERE public_key = %s", (public_key,)
    )
    row = await cur.fetchone()
    return Chatbot(**row) if row else None


async def get_chatbot_by_icon(conn: Conn, icon_key: str) -> Chatbot | None:
    """Return the chatbot whose icon is stored under `icon_key`."""
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM chatbots WHERE icon_key = %s", (icon_key,))
    row = await cur.fetchone()
    return Chatbot(**row) if row else None


async def list_chatbots(
    conn: Conn, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Chatbot], int]:
    """Return one page of the workspace's chatbots (newest first) and the total."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS}, count(*) OVER () AS total FROM chatbots WHERE workspace_id = %s "
        "ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
        (workspace_id, limit, offset),
    )
    rows = await cur.fetchall()
    total = rows[0]["total"] if rows else await _count(conn, workspace_id)
    return [Chatbot(**{k: v for k, v in r.items() if k != "total"}) for r in rows], total


async def _count(conn: Conn, workspace_id: uuid.UUID) -> int:
    cur = await conn.execute(
        "SELECT count(*) AS n FROM chatbots WHERE workspace_id = %s", (workspace_id,)
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def update_chatbot(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, changes: dict[str, Any]
) -> Chatbot | None:
    """Apply `changes` (column → value) and return the updated row, or None if absent."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if not changes:
        return await get_chatbot(conn, workspace_id, chatbot_id)
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder()) for c in changes
    )
    query = sql.SQL(
        "UPDATE chatbots SET {}, updated_at = now() WHERE workspace_id = %s AND id = %s "
        "RETURNING {}"
    ).format(assignments, sql.SQL(_COLUMNS))
    params = [*(_value(c, v) for c, v in changes.items()), workspace_id, chatbot_id]
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return Chatbot(**row) if row else None


async def delete_chatbot(conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID) -> bool:
    """Delete the chatbot (its bucket links go with it)."""
    cur = await conn.execute(
        "DELETE FROM chatbots WHERE workspace_id = %s AND id = %s", (workspace_id, chatbot_id)
    )
    return cur.rowcount > 0


async def bot_context(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID
) -> dict[str, Any] | None:
    """Return what a turn needs of a chatbot: config, bucket → source ids, source versions."""
    cur = await conn.execute(
        """SELECT c.name, c.greeting, c.status, c.lead_fields, c.kb_version,
                  coalesce(json_agg(json_build_object(
                      'bucket', l.bucket, 'source_id', l.source_id, 'version', s.version))
                      FILTER (WHERE l.source_id IS NOT NULL), '[]') AS links
           FROM chatbots c
           LEFT JOIN bucket_links l ON l.chatbot_id = c.id AND l.workspace_id = c.workspace_id
           LEFT JOIN data_sources s ON s.id = l.source_id AND s.workspace_id = c.workspace_id
           WHERE c.workspace_id = %s AND c.id = %s
           GROUP BY c.id""",
        (workspace_id, chatbot_id),
    )
    return await cur.fetchone()
