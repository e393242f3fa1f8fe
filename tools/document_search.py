"""Document referral backend: rank gated documents by title, summary, tags and content."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from store import kb
from tools import kb_cache
from tools.base import ToolScope, query_stems, search
from tools.textmatch import content_stems, overlap

# Words visitors use for "a document" in general: they say nothing about which one.
GENERIC_DOCUMENT_WORDS = frozenset(
    content_stems(
        "document documents pdf file files brochure brochures download copy send email attachment "
        "link doc docs paper report guide manual booklet leaflet sheet catalogue catalog"
    )
)


@dataclass
class RankedDocument:
    """A document of the doc_referral bucket and how well it fits the request."""

    id: uuid.UUID
    title: str
    summary: str
    tags: list[str]
    score: float
    name_match: float
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (never the file name: it must not reach the visitor)."""
        return {
            "document_id": str(self.id),
            "title": self.title,
            "summary": self.summary,
            "tags": self.tags,
            "score": round(self.score, 4),
            "name_match": round(self.name_match, 3),
            "similarity": round(self.similarity, 4),
        }


async def rank_documents(
    scope: ToolScope,
    query: str,
    vector: Sequence[float] | None,
    *,
    k: int = 3,
    hits: Sequence[Any] | None = None,
) -> list[RankedDocument]:
    """Rank the scope's ready documents for the request."""

    async def load() -> list[dict[str, Any]]:
        async with scope.db.connection() as conn:
            return await kb.document_catalog(conn, scope.workspace_id, scope.source_ids)

    catalog = await kb_cache.value(scope.version_key, "document_catalog", scope.source_ids, load)
    if not catalog:
        return []
    if hits is None:
        hits = await search(scope, query, vector, kinds=["document"], k=30)
    sims: dict[uuid.UUID, float] = {}
    for hit in hits:
        if hit.document_id is not None:
            sims[hit.document_id] = max(sims.get(hit.document_id, 0.0), hit.similarity or 0.0)
    q_stems = [s for s in query_stems(query) if s not in GENERIC_DOCUMENT_WORDS] or query_stems(
        query
    )
    ranked = []
    for doc in catalog:
        title_stems = [t for t in content_stems(doc["title"]) if t not in GENERIC_DOCUMENT_WORDS]
        # How much of the request is the title, and how much of the title's head is asked for.
        name = 0.5 * overlap(q_stems, title_stems) + 0.5 * (
            overlap(title_stems[:3], q_stems) if title_stems else 0.0
        )
        described = overlap(q_stems, content_stems(doc["summary"] + " " + " ".join(doc["tags"])))
        similarity = sims.get(doc["id"], 0.0)
        score = 0.55 * similarity + 0.45 * name + 0.15 * described
        ranked.append(
            RankedDocument(
                id=doc["id"],
                title=doc["title"],
                summary=doc["summary"],
                tags=list(doc["tags"]),
                score=score,
                name_match=name,
                similarity=similarity,
            )
        )
    ranked.sort(key=lambda d: (-d.score, d.title))
    return ranked[:k]
