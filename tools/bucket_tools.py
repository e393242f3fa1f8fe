"""The four bucket tools as LangChain tools; each searches only its bucket's sources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from langchain_core.tools import InjectedToolArg, tool

from tools import contact_search, document_search, faq, kb_cache, pages
from tools.base import ToolScope

Vector = Annotated[list[float] | None, InjectedToolArg]
Scope = Annotated[ToolScope, InjectedToolArg]
Prefetched = Annotated[dict[str, Any] | None, InjectedToolArg]


@tool
async def page_navigator(
    query: str,
    mode: Literal["links", "cards"],
    scope: Scope,
    vector: Vector = None,
    prefetched: Prefetched = None,
) -> dict[str, Any]:
    """Find the pages of the company's website that answer the visitor's question.

    Use mode="links" when the visitor looks for information or a page on the site
    (pricing, careers, policies, articles); use mode="cards" when they browse or compare
    products or services. Returns ranked pages (url, title, summary, matching passages)
    and, for cards, the product pages with thumbnails.
    """
    ranked = (prefetched or {}).get("pages")
    if ranked is None:
        found = await pages.rank_pages(scope, query, vector, mode=mode, k=6, products=4)
        ranked = [p.as_dict() for p in found]
    elif mode == "cards":
        ranked = sorted(
            ranked,
            key=lambda p: (
                -(p["score"] + (pages.CARDS_PRODUCT_BONUS if p["kind"] == "product" else 0))
            ),
        )
    ranked = await _with_full_text(scope, ranked, top=3)
    cards = pages.product_cards(ranked) if mode == "cards" else []
    return {"mode": mode, "pages": ranked, "cards": cards}


async def _with_full_text(
    scope: ToolScope, pages_: list[dict[str, Any]], *, top: int
) -> list[dict[str, Any]]:
    """Give the best pages all their passages (the answer may sit outside the matched chunk)."""
    import uuid

    from store import vectors

    ids = [uuid.UUID(p["id"]) for p in pages_[:top]]
    if not ids:
        return pages_
    chunks = await kb_cache.rows_by_id(
        scope.db,
        scope.version_key,
        "chunks",
        ids,
        lambda conn, missing: vectors.item_chunks(
            conn, scope.chunk_table, scope.workspace_id, missing
        ),
    )
    out = []
    for page in pages_:
        full = chunks.get(uuid.UUID(page["id"]))
        out.append({**page, "passages": full} if full else page)
    return out


@tool
async def contact_lookup(
    query: str, scope: Scope, vector: Vector = None, prefetched: Prefetched = None
) -> dict[str, Any]:
    """Find the people (or team mailboxes) to contact about the visitor's request.

    Matches names, roles, departments, regions (cities and countries map to sales
    regions) and spoken languages across every contact row, typo-tolerant.
    Returns ranked contacts with name, role, department, email and phone.
    """
    index = await contact_search.contact_index(scope)
    semantic = (prefetched or {}).get("contact_semantic")
    if semantic is None:
        semantic = await contact_search.semantic_scores(scope, query, vector)
    matches = index.search(query, k=5, semantic=semantic)
    return {
        "contacts": [contact_search.contact_dict(m) for m in matches],
        "confidence": round(index.confidence(query), 4),
    }


@tool
async def faq_retriever(
    query: str, scope: Scope, vector: Vector = None, prefetched: Prefetched = None
) -> dict[str, Any]:
    """Find support answers: FAQ entries, help pages and document passages, with sources.

    Use for how-to, troubleshooting, policy, warranty, delivery and billing questions.
    Passages from gated documents carry their title but no link.
    """
    passages = (prefetched or {}).get("passages")
    if passages is None:
        passages = [p.as_dict() for p in await faq.retrieve(scope, query, vector, k=4)]
    return {"passages": passages}


@tool
async def document_referral(
    query: str, scope: Scope, vector: Vector = None, prefetched: Prefetched = None
) -> dict[str, Any]:
    """Find the company's downloadable documents that match the request.

    Covers brochures, portfolios, case studies, whitepapers, manuals and reports.
    Returns ranked documents (id, title, summary). Links are never returned here:
    documents are released only after the visitor leaves their contact details.
    """
    documents = (prefetched or {}).get("documents")
    if documents is None:
        documents = [
            d.as_dict() for d in await document_search.rank_documents(scope, query, vector)
        ]
    return {"documents": documents, "generic": document_search.is_generic_request(query)}


BUCKET_TOOLS = {
    "page_navigator": page_navigator,
    "contact_lookup": contact_lookup,
    "faq_retriever": faq_retriever,
    "document_referral": document_referral,
}
