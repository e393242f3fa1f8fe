"""Data sources: websites, sheets, custom text and documents of a workspace."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from store.db import Conn

_COLUMNS = (
    "id, workspace_id, type, name, config, status, counts, version, last_synced_at, "
    "last_error, created_at, updated_at, embedding_space"
)
EMPTY_COUNTS = {"pages": 0, "rows": 0, "chunks": 0, "documents": 0}


@dataclass(frozen=True, slots=True)
class DataSource:
    """A data source row."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    type: str
    name: str
    config: dict[str, Any]
    status: str
    counts: dict[str, int]
    version: str | None
    last_synced_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    embedding_space: str | None = None
    """The chunk table this source's vectors were written to (None before its first sync)."""


async def insert_source(
    conn: Conn,
    workspace_id: uuid.UUID,
    *,
    type: str,
    name: str,
    config: dict[str, Any],
    source_id: uuid.UUID | None = None,
) -> DataSource:
    """Insert a source in `pending` state."""
    cur = await conn.execute(
        f"INSERT INTO data_sources (id, workspace_id, type, name, config) "
        f"VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
        (source_id or uuid.uuid4(), workspace_id, type, name, Jsonb(config)),
    )
    row = await cur.fetchone()
    assert row is not None
    return DataSource(**row)


async def get_source(
    conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> DataSource | None:
    """Return the workspace's source or None."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM data_sources WHERE workspace_id = %s AND id = %s",
        (workspace_id, source_id),
    )
    row = await cur.fetchone()
    return DataSource(**row) if row else None


async def get_sources(
    conn: Conn, workspace_id: uuid.UUID, source_ids: Sequence[uuid.UUID]
) -> list[DataSource]:
    """Return the workspace's sources among `source_ids` (unknown ids are skipped)."""
    if not source_ids:
        return []
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM data_sources WHERE workspace_id = %s AND id = ANY(%s)",
        (workspace_id, list(source_ids)),
    )
    return [DataSource(**row) for row in await cur.fetchall()]


async def list_sources(
    conn: Conn, workspace_id: uuid.UUID, *, limit: int, offset: int, type: str | None = None
) -> tuple[list[DataSource], int]:
    """Return one page of the workspace's sources (newest first) and the total."""
    where = "workspace_id = %s" + (" AND type = %s" if type else "")
    params: list[Any] = [workspace_id, *([type] if type else [])]
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM data_sources WHERE {where} "
        "ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
        (*params, limit, offset),
    )
    rows = await cur.fetchall()
    cur = await conn.execute(f"SELECT count(*) AS n FROM data_sources WHERE {where}", params)
    total_row = await cur.fetchone()
    return [DataSource(**row) for row in rows], int(total_row["n"]) if total_row else 0


async def update_source_state(
    conn: Conn,
    workspace_id: uuid.UUID,
    source_id: uuid.UUID,
    *,
    status: str,
    counts: dict[str, int] | None = None,
    version: str | None = None,
    last_error: str | None = None,
    synced: bool = False,
) -> DataSource | None:
    """Record a sync outcome: status, counts, version, error and sync time."""
    cur = await conn.execute(
        f"""UPDATE data_sources SET
               status = %s,
               counts = COALESCE(%s, counts),
               version = COALESCE(%s, version),
               last_error = %s,
               last_synced_at = CASE WHEN %s THEN now() ELSE last_synced_at END,
               updated_at = now()
            WHERE workspace_id = %s AND id = %s RETURNING {_COLUMNS}""",
        (
            status,
            Jsonb(counts) if counts is not None else None,
            version,
            last_error,
            synced,
            workspace_id,
            source_id,
        ),
    )
    row = await cur.fetchone()
    return DataSource(**row) if row else None


async def update_source_config(
    conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID, config: dict[str, Any]
) -> DataSource | None:
    """Replace the source's config (e.g. after its files were stored)."""
    cur = await conn.execute(
        f"UPDATE data_sources SET config = %s, updated_at = now() "
        f"WHERE workspace_id = %s AND id = %s RETURNING {_COLUMNS}",
        (Jsonb(config), workspace_id, source_id),
    )
    row = await cur.fetchone()
    return DataSource(**row) if row else None


async def delete_source(conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID) -> bool:
    """Delete the source; its bucket links and indexed content go with it."""
    cur = await conn.execute(
        "DELETE FROM data_sources WHERE workspace_id = %s AND id = %s", (workspace_id, source_id)
    )
    return cur.rowcount > 0
