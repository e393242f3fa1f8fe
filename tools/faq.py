"""FAQ retriever backend: support passages from Q/A entries, pages and documents, with citations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from store import kb
from tools import kb_cache
from tools.base import ToolScope, query_stems, search
from tools.textmatch import codes, content_stems, overlap

CODE_BONUS = 0.25
"""A passage containing the identifier the visitor quotes (an error code, a model number)."""


@dataclass
class Passage:
    """A support passage and where it came from."""

    text: str
    title: str
    url: str | None
    source_id: uuid.UUID
    kind: str
    """qa | text | page | document"""
    score: float
    similarity: float
    question: str | None = None
    document_id: uuid.UUID | None = None
    section: str = ""
    page_number: int | None = None

    def citation(self) -> dict[str, Any]:
        """Return the protocol citation; documents never carry a URL here (they are gated)."""
        snippet = self.text if len(self.text) <= 240 else self.text[:237].rsplit(" ", 1)[0] + "…"
        return {
            "source_id": str(self.source_id),
            "title": self.title,
            "url": None if self.kind == "document" else self.url,
            "snippet": snippet,
        }

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "text": self.text,
            "title": self.title,
            "url": None if self.kind == "document" else self.url,
            "source_id": str(self.source_id),
            "kind": self.kind,
            "score": round(self.score, 4),
            "similarity": round(self.similarity, 4),
            "question": self.question,
            "document_id": str(self.document_id) if self.document_id else None,
            "section": self.section,
            "page_number": self.page_number,
        }


SUPPORT_KINDS = ("qa", "text", "page", "document")


async def retrieve(
    scope: ToolScope,
    query: str,
    vector: Sequence[float] | None,
    *,
    k: int = 4,
    hits: Sequence[Any] | None = None,
) -> list[Passage]:
    """Return the best support passages for the query (Q/A answers whole, chunks otherwise)."""
    if hits is None:
        hits = await search(scope, query, vector, kinds=list(SUPPORT_KINDS), k=24)
    if not hits:
        return []
    qa_ids = [h.item_id for h in hits if h.kind == "qa"]
    entries = await kb_cache.rows_by_id(
        scope.db,
        scope.version_key,
        "qa",
        qa_ids,
        lambda conn, ids: kb.entries_by_ids(conn, scope.workspace_id, ids),
    )
    q_stems = query_stems(query)
    q_codes = codes(query)
    passages: dict[tuple[Any, ...], Passage] = {}
    for hit in hits:
        similarity = hit.similarity or 0.0
        keyword = min(0.08, hit.keyword_rank or 0.0)
        if hit.kind == "qa" and hit.item_id in entries:
            entry = entries[hit.item_id]
            question = entry["question"] or ""
            # A visitor's question matching the FAQ's question is the strongest evidence.
            match = overlap(q_stems, content_stems(question))
            score = similarity + 0.25 * match + keyword + 0.03
            if q_codes & codes(question + " " + entry["answer"]):
                score += CODE_BONUS
            key: tuple[Any, ...] = ("qa", hit.item_id)
            passage = Passage(
                text=entry["answer"],
                title=question,
                url=None,
                source_id=hit.source_id,
                kind="qa",
                score=score,
                similarity=similarity,
                question=question,
                section=entry["category"] or "",
            )
        else:
            score = similarity + keyword + 0.1 * overlap(q_stems, content_stems(hit.section))
            if q_codes & codes(hit.content):
                # Pages quote model codes everywhere; only an FAQ entry is *about* its code.
                score += CODE_BONUS / 2.5
            key = (hit.kind, hit.item_id, hit.id)
            passage = Passage(
                text=hit.content,
                title=hit.title,
                url=hit.url,
                source_id=hit.source_id,
                kind=hit.kind,
                score=score,
                similarity=similarity,
                document_id=hit.document_id,
                section=hit.section,
                page_number=hit.page_number,
            )
        if key not in passages or passages[key].score < passage.score:
            passages[key] = passage
    ranked = sorted(passages.values(), key=lambda p: (-p.score, p.title))
    return ranked[:k]
