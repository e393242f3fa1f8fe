"""What every bucket tool shares: its scope (workspace + the bucket's sources) and search."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from store import vectors
from store.vectors import ChunkHit
from tools.textmatch import QUESTION_WORDS, content_stems
from tracing.spans import hit_documents, search_inputs, traced


@dataclass(frozen=True)
class ToolScope:
    """Where a tool may look: one workspace, only the sources linked to its bucket."""

    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    source_ids: tuple[uuid.UUID, ...]
    db: Any
    space: Any
    chunk_table: str
    base_url: str
    extras: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def empty(self) -> bool:
        """Return True when no source is linked to the bucket."""
        return not self.source_ids

    @property
    def version_key(self) -> tuple[uuid.UUID, str] | None:
        """Return the key rows of this scope can be cached under (see tools/kb_cache.py)."""
        key = self.extras.get("version_key")
        return (self.workspace_id, key) if key else None


def keywords_for(query: str) -> str:
    """Return the OR keyword query for full-text search (question fillers left out)."""
    return vectors.keyword_query(query, QUESTION_WORDS)


@traced("hybrid_search", "retriever", inputs=search_inputs, outputs=hit_documents)
async def search(
    scope: ToolScope,
    query: str,
    vector: Sequence[float] | None,
    *,
    kinds: Sequence[str] | None = None,
    k: int = 12,
    candidates: int | None = None,
) -> list[ChunkHit]:
    """Hybrid-search the scope's chunks (dense + keyword, RRF); embeds the query if needed."""
    if scope.empty or not query.strip():
        return []
    if vector is None:
        vector = await scope.space.embeddings.aembed_query(query)
    async with scope.db.connection() as conn:
        return await vectors.hybrid_search(
            conn,
            scope.chunk_table,
            workspace_id=scope.workspace_id,
            source_ids=scope.source_ids,
            query_vector=vector,
            keywords=keywords_for(query),
            k=k,
            kinds=kinds,
            candidates=candidates or max(40, k),
        )


def query_stems(query: str) -> list[str]:
    """Return the query's topic stems."""
    return content_stems(query)
