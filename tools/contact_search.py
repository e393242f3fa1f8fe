"""Contact lookup backend: every contact row of the bucket, ranked field-aware and fuzzy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from store import kb
from tools import kb_cache
from tools.base import ToolScope, search
from tools.contacts import ContactCandidate, ContactIndex


def _candidate(row: dict[str, Any]) -> ContactCandidate:
    return ContactCandidate(
        id=str(row["id"]),
        name=row["name"],
        role=row["role"],
        department=row["department"],
        region=row["region"],
        email=row["email"],
        phone=row["phone"],
        languages=list(row["languages"] or []),
        fields=dict(row["fields"] or {}),
    )


async def contact_index(scope: ToolScope) -> ContactIndex:
    """Return the index over all contacts of the scope (cached per KB version)."""

    async def build() -> ContactIndex:
        async with scope.db.connection() as conn:
            rows = await kb.contact_rows(conn, scope.workspace_id, scope.source_ids)
        # Building the index is CPU work (≈0.2 s per 500 rows): keep it off the event loop.
        return await asyncio.to_thread(ContactIndex, [_candidate(r) for r in rows])

    return await kb_cache.value(scope.version_key, "contact_index", scope.source_ids, build)


async def semantic_scores(
    scope: ToolScope,
    query: str,
    vector: Sequence[float] | None,
    hits: Sequence[Any] | None = None,
) -> dict[str, float]:
    """Return contact id → cosine similarity of its description to the query."""
    if hits is None:
        hits = await search(scope, query, vector, kinds=["contact"], k=20)
    return {str(h.item_id): h.similarity or 0.0 for h in hits if h.similarity is not None}


def contact_dict(match: Any) -> dict[str, Any]:
    """Return a protocol Contact dict (plus the score and what matched, for traces)."""
    c = match.contact
    known = {c.name, c.role, c.department, c.email, c.phone}
    extra = {k: v for k, v in c.fields.items() if v and v not in known}
    return {
        "name": c.name or c.email or "Contact",
        "role": c.role,
        "department": c.department,
        "email": c.email,
        "phone": c.phone,
        "extra": extra,
        "_score": round(match.score, 4),
        "_matched": match.matched,
        "_region": c.region,
    }
