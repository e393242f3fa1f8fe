"""Bucket links: which sources feed which capability bucket of a chatbot."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from signpost.protocol import BUCKETS
from store.db import Conn


async def get_bucket_links(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID
) -> dict[str, list[uuid.UUID]]:
    """Return bucket → ordered source ids (every bucket present, possibly empty)."""
    cur = await conn.execute(
        "SELECT bucket, source_id FROM bucket_links WHERE workspace_id = %s AND chatbot_id = %s "
        "ORDER BY bucket, position, source_id",
        (workspace_id, chatbot_id),
    )
    links: dict[str, list[uuid.UUID]] = {b: [] for b in BUCKETS}
    for row in await cur.fetchall():
        links[row["bucket"]].append(row["source_id"])
    return links


async def replace_bucket_links(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    links: Mapping[str, Sequence[uuid.UUID]],
) -> None:
    """Replace the given buckets' links; call inside a transaction."""
    for bucket, source_ids in links.items():
        await conn.execute(
            "DELETE FROM bucket_links WHERE workspace_id = %s AND chatbot_id = %s AND bucket = %s",
            (workspace_id, chatbot_id, bucket),
        )
        rows = [
            (workspace_id, chatbot_id, bucket, source_id, position)
            for position, source_id in enumerate(dict.fromkeys(source_ids))
        ]
        if rows:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO bucket_links (workspace_id, chatbot_id, bucket, source_id, position)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    rows,
                )


async def chatbots_linking(
    conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> list[uuid.UUID]:
    """Return the ids of the workspace's chatbots that link `source_id` in any bucket."""
    cur = await conn.execute(
        "SELECT DISTINCT chatbot_id FROM bucket_links WHERE workspace_id = %s AND source_id = %s",
        (workspace_id, source_id),
    )
    return [row["chatbot_id"] for row in await cur.fetchall()]
