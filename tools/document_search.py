"""Document referral backend: rank gated documents by title, summary, tags and content."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from store import kb
from tools import kb_cache
from tools.base import ToolScope, query_stems, search
from tools.textmatch import contains_sequence, content_stems, overlap, stem, tokens

# Words visitors use for "a document" in general: they say nothing about which one.
GENERIC_DOCUMENT_WORDS = frozenset(
    content_stems(
        "document documents pdf file files brochure brochures download copy send email attachment "
        "link doc docs paper report guide manual booklet leaflet sheet catalogue catalog"
    )
)


# Kinds of document, as visitors ask for them and as titles name them. A request for "a
# brochure" names no topic, but it does name a kind: the product portfolio, not the
# installation manual. General vocabulary for any business; phrases are adjacent words.
GENRES: dict[str, tuple[str, ...]] = {
    "overview": (
        "brochure", "catalogue", "catalog", "portfolio", "lookbook", "prospectus", "flyer",
        "leaflet", "product overview", "company profile", "product range", "line card",
        "sales deck", "product sheet", "one pager",
    ),
    "case_study": (
        "case study", "customer story", "success story", "client story", "project story",
        "reference project", "testimonial",
    ),
    "report": ("report", "whitepaper", "white paper", "research", "survey", "ebook", "e book"),
    "manual": (
        "manual", "handbook", "instructions", "user guide", "quick start", "quickstart",
        "installation guide", "install guide", "setup guide", "getting started", "datasheet",
        "data sheet", "spec sheet", "specification", "technical sheet",
    ),
    "terms": (
        "terms", "conditions", "warranty", "guarantee", "policy", "contract", "agreement",
        "charter", "sla", "service level",
    ),
    "pricing": ("price list", "pricelist", "rate card", "tariff sheet", "fee schedule"),
    "form": ("form", "application form", "order form", "registration form"),
}  # fmt: skip
_GENRE_PHRASES = [
    (genre, tuple(stem(w) for w in tokens(phrase)))
    for genre, phrases in GENRES.items()
    for phrase in phrases
]
GENRE_WEIGHT = 0.25
"""Fit a document gains when it is the kind of document asked for.

Only the choice among documents uses it, never the evidence that the visitor wants a
document at all: "what does the warranty cover?" names a kind of document too."""


@lru_cache(maxsize=4096)
def genres(text: str) -> frozenset[str]:
    """Return the kinds of document a request or title names ("case studies" → case_study)."""
    stems = [stem(w) for w in tokens(text)]
    return frozenset(genre for genre, phrase in _GENRE_PHRASES if contains_sequence(stems, phrase))


def is_generic_request(query: str) -> bool:
    """Return True when a request names neither a topic nor a kind ("send me the pdf")."""
    topic = [s for s in query_stems(query) if s not in GENERIC_DOCUMENT_WORDS]
    return not topic and not genres(query)


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
    genre_match: float = 0.0

    @property
    def fit(self) -> float:
        """Return the score plus the kind-of-document match: how documents are chosen."""
        return self.score + GENRE_WEIGHT * self.genre_match

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
            "genre_match": self.genre_match,
            "fit": round(self.fit, 4),
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
    asked_genres = genres(query)
    ranked = []
    for doc in catalog:
        title_stems = [t for t in content_stems(doc["title"]) if t not in GENERIC_DOCUMENT_WORDS]
        # How much of the request is the title, and how much of the title's head is asked for.
        name = 0.5 * overlap(q_stems, title_stems) + 0.5 * (
            overlap(title_stems[:3], q_stems) if title_stems else 0.0
        )
        described = overlap(q_stems, content_stems(doc["summary"] + " " + " ".join(doc["tags"])))
        similarity = sims.get(doc["id"], 0.0)
        genre = float(bool(asked_genres & genres(doc["title"] + " | " + " | ".join(doc["tags"]))))
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
                genre_match=genre,
            )
        )
    ranked.sort(key=lambda d: (-d.fit, -d.score, d.title))
    return ranked[:k]
