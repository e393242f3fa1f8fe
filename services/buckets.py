"""Link sources to a chatbot's four capability buckets, enforcing the type rules."""

from __future__ import annotations

import uuid
from typing import Any

from signpost.errors import NotFound, ValidationFailed
from signpost.protocol import BUCKET_ACCEPTS, BUCKETS
from store import buckets as repo
from store import sources as sources_repo
from store.db import Conn


def parse_bucket_body(body: Any) -> dict[str, list[uuid.UUID]]:
    """Validate a bucket mapping body; every bucket is present in the result."""
    if not isinstance(body, dict):
        raise ValidationFailed(
            "the body must be an object mapping bucket names to lists of source ids",
            details=[{"field": "body", "message": f"got {type(body).__name__}"}],
        )
    problems: list[dict[str, str]] = []
    links: dict[str, list[uuid.UUID]] = {b: [] for b in BUCKETS}
    for bucket, ids in body.items():
        if bucket not in BUCKETS:
            problems.append(
                {"field": bucket, "message": f"unknown bucket; buckets are {', '.join(BUCKETS)}"}
            )
            continue
        if not isinstance(ids, list):
            problems.append({"field": bucket, "message": "must be a list of source ids"})
            continue
        for raw in ids:
            try:
                links[bucket].append(uuid.UUID(str(raw)) if isinstance(raw, str) else _bad(raw))
            except ValueError:
                problems.append({"field": bucket, "message": f"{raw!r} is not a source id"})
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p['field']}: {p['message']}" for p in problems), details=problems
        )
    return links


def _bad(raw: Any) -> uuid.UUID:
    raise ValueError(raw)


async def set_buckets(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, links: dict[str, list[uuid.UUID]]
) -> dict[str, list[uuid.UUID]]:
    """Replace all four buckets atomically; nothing is saved if any link is refused."""
    wanted = {sid for ids in links.values() for sid in ids}
    found = {s.id: s for s in await sources_repo.get_sources(conn, workspace_id, list(wanted))}
    missing = sorted(str(sid) for sid in wanted - found.keys())
    if missing:
        raise NotFound(
            f"source(s) not found in this workspace: {', '.join(missing)}",
            details=[{"source_id": sid} for sid in missing],
        )
    problems = []
    for bucket, ids in links.items():
        accepted = BUCKET_ACCEPTS[bucket]  # type: ignore[index]
        for sid in ids:
            if found[sid].type not in accepted:
                problems.append(
                    {
                        "bucket": bucket,
                        "source_id": str(sid),
                        "message": f"{bucket} accepts {', '.join(accepted)} sources; "
                        f"{found[sid].name!r} is a {found[sid].type} source",
                    }
                )
    if problems:
        raise ValidationFailed("; ".join(p["message"] for p in problems), details=problems)
    async with conn.transaction():
        await repo.replace_bucket_links(conn, workspace_id, chatbot_id, links)
    return await repo.get_bucket_links(conn, workspace_id, chatbot_id)
