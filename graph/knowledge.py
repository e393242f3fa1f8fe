"""What nodes need about the bot's knowledge: tool scopes per bucket, probes, name catalog."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graph.context import Context
from graph.state import BotConfig
from store import kb
from tools import contact_search, document_search, faq, kb_cache, pages
from tools.base import ToolScope, search

PROBE_HITS = 120
"""Chunks one probe search returns across all buckets (dense and keyword candidates each)."""

BUCKET_OF_TOOL = {
    "page_navigator": "guidance",
    "contact_lookup": "contact",
    "faq_retriever": "support",
    "document_referral": "doc_referral",
}


def scope_for(ctx: Context, bot: BotConfig, bucket: str) -> ToolScope:
    """Return the tool scope of a bucket: this workspace, only the sources linked to it."""
    return ToolScope(
        workspace_id=ctx.workspace_id,
        chatbot_id=ctx.chatbot_id,
        source_ids=tuple(uuid.UUID(s) for s in bot["buckets"].get(bucket, [])),
        db=ctx.services.db,
        space=ctx.services.space,
        chunk_table=ctx.services.chunk_table,
        base_url=ctx.services.base_url,
        extras={"version_key": bot["sources_key"]},
    )


async def probe(
    ctx: Context, bot: BotConfig, query: str, vector: Sequence[float]
) -> dict[str, Any]:
    """Search every bucket at once; the classifier reads the confidence, tools reuse results.

    One hybrid search over all the bot's sources (one index traversal instead of four),
    split by bucket afterwards: each bucket only ever sees hits from its own sources.
    """
    scopes = {b: scope_for(ctx, bot, b) for b in ("guidance", "support", "doc_referral", "contact")}
    all_sources = tuple(dict.fromkeys(s for scope in scopes.values() for s in scope.source_ids))
    union = ToolScope(
        workspace_id=ctx.workspace_id,
        chatbot_id=ctx.chatbot_id,
        source_ids=all_sources,
        db=ctx.services.db,
        space=ctx.services.space,
        chunk_table=ctx.services.chunk_table,
        base_url=ctx.services.base_url,
    )
    hits = await search(union, query, vector, k=PROBE_HITS)

    def of(bucket: str, kinds: Sequence[str]) -> list[Any]:
        allowed = set(scopes[bucket].source_ids)
        return [h for h in hits if h.source_id in allowed and h.kind in kinds]

    async def pages_probe() -> list[dict[str, Any]]:
        found = await pages.rank_pages(
            scopes["guidance"], query, vector, k=6, products=4, hits=of("guidance", ("page",))
        )
        return [p.as_dict() for p in found]

    async def passages_probe() -> list[dict[str, Any]]:
        found = await faq.retrieve(
            scopes["support"], query, vector, k=4, hits=of("support", faq.SUPPORT_KINDS)
        )
        return [p.as_dict() for p in found]

    async def documents_probe() -> list[dict[str, Any]]:
        found = await document_search.rank_documents(
            scopes["doc_referral"], query, vector, hits=of("doc_referral", ("document",))
        )
        return [d.as_dict() for d in found]

    async def contacts_probe() -> tuple[float, dict[str, float]]:
        scope = scopes["contact"]
        if scope.empty:
            return 0.0, {}
        index = await contact_search.contact_index(scope)
        semantic = await contact_search.semantic_scores(
            scope, query, vector, hits=of("contact", ("contact",))
        )
        return index.confidence(query), semantic

    found_pages, passages, documents, (contact_conf, semantic) = await asyncio.gather(
        pages_probe(), passages_probe(), documents_probe(), contacts_probe()
    )
    return {
        "pages": found_pages,
        "passages": passages,
        "documents": documents,
        "contact_confidence": contact_conf,
        "contact_semantic": semantic,
    }


async def vocabulary_coverage(ctx: Context, bot: BotConfig, message: str) -> float:
    """Return the share of the message's topic words that occur anywhere in the bot's sources.

    Questions about the business reuse its vocabulary; off-topic ones ("snow this
    weekend", "tacos") bring words the knowledge base has never seen.
    """
    from ingestion.text import STOPWORDS
    from store import vectors
    from tools.document_search import GENERIC_DOCUMENT_WORDS
    from tools.textmatch import QUESTION_WORDS, stem, tokens

    # Words that name a kind of request ("brochure", "pdf") say nothing about the topic.
    words = [
        w
        for w in tokens(message)
        if w not in QUESTION_WORDS
        and w not in STOPWORDS
        and len(w) > 2
        and not w.isdigit()
        and stem(w) not in GENERIC_DOCUMENT_WORDS
    ]
    if not words:
        return 1.0
    source_ids = list({uuid.UUID(s) for ids in bot["buckets"].values() for s in ids})
    known = await kb_cache.rows_by_id(
        ctx.services.db,
        (ctx.workspace_id, bot["sources_key"]),
        "term",
        vectors.searchable_terms(words),
        lambda conn, terms: vectors.known_terms(
            conn,
            ctx.services.chunk_table,
            workspace_id=ctx.workspace_id,
            source_ids=source_ids,
            terms=terms,
        ),
    )
    if not known:
        return 1.0
    return sum(known.values()) / len(known)


@dataclass(frozen=True)
class Catalog:
    """Names of the bot's pages, products and documents (to tell new subjects from follow-ups)."""

    product_titles: tuple[str, ...]
    page_titles: tuple[str, ...]
    document_titles: tuple[str, ...]
    referral_titles: tuple[str, ...]
    """Titles of the documents the bot may send (its doc_referral bucket)."""
    document_files: tuple[str, ...]
    """File names and storage keys of every document (the output guard blocks them)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Return every name a visitor might use to start a new subject."""
        return self.product_titles + self.document_titles


async def catalog(ctx: Context, bot: BotConfig) -> Catalog:
    """Return the bot's catalog (cached per set of source versions)."""

    async def build() -> Catalog:
        guidance = [uuid.UUID(s) for s in bot["buckets"].get("guidance", [])]
        referral = {uuid.UUID(s) for s in bot["buckets"].get("doc_referral", [])}
        doc_sources = list(referral) + [
            uuid.UUID(s) for s in bot["buckets"].get("support", []) if uuid.UUID(s) not in referral
        ]
        async with ctx.services.db.connection() as conn:
            page_rows = await kb.page_catalog(conn, ctx.workspace_id, guidance)
            doc_rows = await kb.document_catalog(conn, ctx.workspace_id, doc_sources)
            files = await kb.document_file_names(conn, ctx.workspace_id, doc_sources)
        return Catalog(
            product_titles=tuple(r["title"] for r in page_rows if r["kind"] == "product"),
            page_titles=tuple(r["title"] for r in page_rows),
            document_titles=tuple(r["title"] for r in doc_rows),
            referral_titles=tuple(r["title"] for r in doc_rows if r["source_id"] in referral),
            document_files=tuple(sorted({f for f in files if f})),
        )

    version = (ctx.workspace_id, bot["sources_key"])
    return await kb_cache.value(version, "catalog", ctx.chatbot_id, build)
