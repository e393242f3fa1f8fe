"""Page navigator backend: rank a website's pages for a question; links or product cards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from store import kb
from tools import kb_cache
from tools.base import ToolScope, query_stems, search
from tools.textmatch import content_stems, overlap, tokens

NavigationMode = Literal["links", "cards"]
CARDS_PRODUCT_BONUS = 0.06
"""Score a product page gains when the visitor browses (cards mode)."""


@dataclass
class RankedPage:
    """A page with its relevance and the passages that matched."""

    id: uuid.UUID
    url: str
    title: str
    kind: str
    summary: str
    description: str
    thumbnail_url: str | None
    price: str | None
    score: float
    similarity: float
    title_match: float
    passages: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "id": str(self.id),
            "url": self.url,
            "title": self.title,
            "kind": self.kind,
            "summary": self.summary,
            "description": self.description,
            "thumbnail_url": self.thumbnail_url,
            "price": self.price,
            "score": round(self.score, 4),
            "similarity": round(self.similarity, 4),
            "title_match": round(self.title_match, 3),
            "passages": self.passages,
        }


def _slug_words(url: str) -> list[str]:
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    return tokens(path.replace("-", " ").replace("_", " ").replace("/", " "))


def title_match(q_stems: Sequence[str], title: str, url: str) -> float:
    """Return how much of the page's name (title and URL slug) the question mentions."""
    name_stems = content_stems(title + " " + " ".join(_slug_words(url)))
    if not q_stems or not name_stems:
        return 0.0
    # Share of the question found in the name, and of the name's head found in the question.
    forward = overlap(q_stems, name_stems)
    head = content_stems(title)[:3]
    backward = overlap(head, q_stems) if head else 0.0
    return 0.5 * forward + 0.5 * backward


async def rank_pages(
    scope: ToolScope,
    query: str,
    vector: Sequence[float] | None,
    *,
    mode: NavigationMode = "links",
    k: int = 5,
    products: int = 0,
    hits: Sequence[Any] | None = None,
) -> list[RankedPage]:
    """Rank the scope's pages for the query: chunk search aggregated per page, plus name match.

    Returns the best `k` pages, then, when fewer than `products` of them are product
    pages, the next best product pages up to that number: "do you sell batteries" should
    show every battery as a card even when articles about batteries outrank some of them.
    """
    if hits is None:
        hits = await search(scope, query, vector, kinds=["page"], k=40)
    if not hits:
        return []
    best: dict[uuid.UUID, list[Any]] = {}
    for hit in hits:
        best.setdefault(hit.item_id, []).append(hit)
    rows = await kb_cache.rows_by_id(
        scope.db,
        scope.version_key,
        "page",
        list(best),
        lambda conn, ids: kb.pages_by_ids(conn, scope.workspace_id, ids),
    )
    q_stems = query_stems(query)
    ranked = []
    for item_id, page_hits in best.items():
        row = rows.get(item_id)
        if row is None:
            continue
        sims = sorted((h.similarity or 0.0 for h in page_hits), reverse=True)
        similarity = sims[0] + 0.15 * (sims[1] if len(sims) > 1 else 0.0)
        keyword = max((h.keyword_rank or 0.0) for h in page_hits)
        name = title_match(q_stems, row["title"], row["url"])
        score = similarity + 0.35 * name + min(0.08, keyword)
        if mode == "cards" and row["kind"] == "product":
            score += CARDS_PRODUCT_BONUS
        ranked.append(
            RankedPage(
                id=item_id,
                url=row["url"],
                title=row["title"],
                kind=row["kind"],
                summary=row["summary"],
                description=row["description"],
                thumbnail_url=row["thumbnail_url"],
                price=row["price"],
                score=score,
                similarity=sims[0],
                title_match=name,
                passages=[
                    {"text": h.content, "section": h.section, "similarity": h.similarity}
                    for h in sorted(page_hits, key=lambda h: -(h.similarity or 0))[:3]
                ],
            )
        )
    ranked.sort(key=lambda p: (-p.score, p.url))
    top = ranked[:k]
    wanted = products - sum(p.kind == "product" for p in top)
    if wanted > 0:
        # Only ever shown as cards: their passages would only weigh down state and traces.
        extra = [p for p in ranked[k:] if p.kind == "product"][:wanted]
        top += [replace(p, passages=[]) for p in extra]
    return top


CARD_MARGIN = 0.12
"""Product pages within this score of the best product get a card too."""


def product_cards(pages: Sequence[dict[str, Any]], *, limit: int = 4) -> list[dict[str, Any]]:
    """Return the product pages worth a card: close to the best product in score or meaning.

    The score adds name matches, so one word of a title ("pets" in "Exotic Pet Care") can
    lift a product far above equally relevant ones; their similarity still shows them.
    """
    products = [p for p in pages if p["kind"] == "product"]
    if not products:
        return []
    top = products[0]["score"]
    closest = max(p["similarity"] for p in products)
    return [
        p
        for p in products
        if p["score"] >= top - CARD_MARGIN or p["similarity"] >= closest - CARD_MARGIN
    ][:limit]
