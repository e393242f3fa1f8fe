"""Chunk tables: one PGVectorStore-format table per embedding space, hybrid search over it.

Tables are created through langchain-postgres (`PGEngine.ainit_vectorstore_table` +
an HNSW index), so any PGVectorStore can read them. Writes and searches run here as
plain SQL on the shared psycopg pool because they must (a) share a transaction with
the page/document rows they belong to, so a failed item keeps its previous version,
(b) batch (PGVectorStore inserts row by row), and (c) fuse dense and keyword ranks
(reciprocal rank fusion) in one round trip that also returns the cosine similarity
the classifier uses as retrieval confidence.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg import sql
from psycopg.rows import tuple_row

from store.db import Conn

_LOCK_KEY = 0x5169_6E70_7665_63  # serialises table creation across processes
RRF_K = 60
COMMON_TERM_ROWS = 500
"""A keyword estimated to match more chunks than this is left to the dense half.

Ranking every match of an OR query costs time in proportion to the matches: at 100k
chunks, common words match tens of thousands of rows (≈200 ms). Such words carry little
keyword signal anyway (ts_rank_cd has no IDF); rare ones — codes, names — are kept.
Tables smaller than this are never pruned.
"""
TSV_STATISTICS = 1000
"""Statistics target of `content_tsv`: ANALYZE then tracks the 10,000 most common lexemes,
enough to tell common from rare terms in tables of millions of chunks (default: 1,000)."""
_COMMON_TTL_S = 300.0
_common_cache: dict[tuple[Any, ...], tuple[float, list[str]]] = {}
METADATA_COLUMNS = (
    "workspace_id",
    "source_id",
    "item_id",
    "kind",
    "url",
    "title",
    "document_id",
    "section",
    "page_number",
    "position",
)
_TERM = re.compile(r"[a-z0-9]+(?:[.\-'][a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A chunk to write: its text, vector and what it belongs to."""

    content: str
    embedding: Sequence[float]
    source_id: uuid.UUID
    item_id: uuid.UUID
    kind: str
    title: str
    url: str | None = None
    document_id: uuid.UUID | None = None
    section: str = ""
    page_number: int | None = None
    position: int = 0


@dataclass(slots=True)
class ChunkHit:
    """A search result with its fused score and the two signals behind it."""

    id: uuid.UUID
    content: str
    source_id: uuid.UUID
    item_id: uuid.UUID
    kind: str
    title: str
    url: str | None
    document_id: uuid.UUID | None
    section: str
    page_number: int | None
    score: float
    """Reciprocal-rank-fusion score (higher is better)."""
    similarity: float | None
    """Cosine similarity to the query, when the dense search found it."""
    keyword_rank: float | None
    """ts_rank_cd of the keyword match, when the keyword search found it."""


def table_name_for(model_id: str, dimension: int) -> str:
    """Return the chunk table name for an embedding space."""
    import hashlib

    return "kb_chunks_" + hashlib.sha256(f"{model_id}:{dimension}".encode()).hexdigest()[:10]


async def ensure_chunk_table(conn: Conn, dsn: str, model_id: str, dimension: int) -> str:
    """Create the space's chunk table and indexes once; return its name."""
    table = table_name_for(model_id, dimension)
    cur = await conn.execute("SELECT 1 FROM embedding_spaces WHERE table_name = %s", (table,))
    if await cur.fetchone():
        await _tune_statistics(conn, table)
        return table
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        cur = await conn.execute("SELECT 1 FROM embedding_spaces WHERE table_name = %s", (table,))
        if await cur.fetchone():
            return table
        await _create_with_langchain(dsn, table, dimension)
        ident = sql.Identifier(table)
        for stmt in (
            "CREATE INDEX IF NOT EXISTS {idx} ON {t} (workspace_id, source_id, kind)",
            "CREATE INDEX IF NOT EXISTS {idx2} ON {t} (item_id)",
            "CREATE INDEX IF NOT EXISTS {idx3} ON {t} USING gin (content_tsv)",
        ):
            await conn.execute(
                sql.SQL(stmt).format(
                    t=ident,
                    idx=sql.Identifier(f"{table}_scope_idx"),
                    idx2=sql.Identifier(f"{table}_item_idx"),
                    idx3=sql.Identifier(f"{table}_tsv_idx"),
                )
            )
        await conn.execute(
            "INSERT INTO embedding_spaces (table_name, model_id, dimension) VALUES (%s, %s, %s)",
            (table, model_id, dimension),
        )
        await _tune_statistics(conn, table)
    return table


async def _tune_statistics(conn: Conn, table: str) -> None:
    """Raise the lexeme statistics of the table's tsvector column once (see TSV_STATISTICS)."""
    cur = await conn.execute(
        "SELECT attstattarget FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attname = 'content_tsv'",
        (table,),
    )
    row = await cur.fetchone()
    if row is not None and row["attstattarget"] != TSV_STATISTICS:
        await conn.execute(
            sql.SQL("ALTER TABLE {t} ALTER COLUMN content_tsv SET STATISTICS {n}").format(
                t=sql.Identifier(table), n=sql.Literal(TSV_STATISTICS)
            )
        )


def sqlalchemy_url(dsn: str) -> str:
    """Return the SQLAlchemy URL (psycopg 3 driver) for a libpq DSN."""
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix) :]
    raise ValueError("expected a postgresql:// DSN")


async def _create_with_langchain(dsn: str, table: str, dimension: int) -> None:
    from langchain_postgres import Column, PGEngine
    from langchain_postgres.v2.hybrid_search_config import HybridSearchConfig
    from langchain_postgres.v2.indexes import DistanceStrategy, HNSWIndex
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(sqlalchemy_url(dsn), pool_size=1, max_overflow=0)
    try:
        pg_engine = PGEngine.from_engine(engine)
        await pg_engine.ainit_vectorstore_table(
            table_name=table,
            vector_size=dimension,
            metadata_columns=[
                Column("workspace_id", "UUID", nullable=False),
                Column("source_id", "UUID", nullable=False),
                Column("item_id", "UUID", nullable=False),
                Column("kind", "TEXT", nullable=False),
                Column("url", "TEXT"),
                Column("title", "TEXT"),
                Column("document_id", "UUID"),
                Column("section", "TEXT"),
                Column("page_number", "INTEGER"),
                Column("position", "INTEGER"),
            ],
            hybrid_search_config=HybridSearchConfig(
                tsv_column="content_tsv", index_name=f"{table}_tsv_idx"
            ),
        )
        store = await pg_vectorstore(pg_engine, table, embeddings=None)
        await store.aapply_vector_index(
            HNSWIndex(
                name=f"{table}_hnsw",
                distance_strategy=DistanceStrategy.COSINE_DISTANCE,
                m=16,
                ef_construction=64,
            )
        )
    finally:
        await engine.dispose()


async def pg_vectorstore(pg_engine: Any, table: str, embeddings: Any) -> Any:
    """Return a langchain PGVectorStore over a chunk table (for LangChain consumers)."""
    from langchain_core.embeddings import FakeEmbeddings
    from langchain_postgres import PGVectorStore
    from langchain_postgres.v2.hybrid_search_config import (
        HybridSearchConfig,
        reciprocal_rank_fusion,
    )

    return await PGVectorStore.create(
        pg_engine,
        table_name=table,
        embedding_service=embeddings or FakeEmbeddings(size=1),
        metadata_columns=list(METADATA_COLUMNS),
        hybrid_search_config=HybridSearchConfig(
            tsv_column="content_tsv",
            index_name=f"{table}_tsv_idx",
            fusion_function=reciprocal_rank_fusion,
        ),
    )


async def insert_chunks(
    conn: Conn, table: str, workspace_id: uuid.UUID, rows: Sequence[ChunkRow]
) -> int:
    """Insert chunks (call inside the item's transaction)."""
    if not rows:
        return 0
    query = sql.SQL(
        "INSERT INTO {t} (langchain_id, content, embedding, content_tsv, workspace_id, source_id,"
        " item_id, kind, url, title, document_id, section, page_number, position,"
        " langchain_metadata) VALUES (%s, %s, %s,"
        " setweight(to_tsvector('english', coalesce(%s, '')), 'A') ||"
        " setweight(to_tsvector('english', coalesce(%s, '')), 'B') ||"
        " to_tsvector('english', %s),"
        " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{{}}')"
    ).format(t=sql.Identifier(table))
    params = [
        (
            uuid.uuid4(),
            r.content,
            np.asarray(r.embedding, dtype=np.float32),
            r.title,
            r.section,
            r.content,
            workspace_id,
            r.source_id,
            r.item_id,
            r.kind,
            r.url,
            r.title,
            r.document_id,
            r.section,
            r.page_number,
            r.position,
        )
        for r in rows
    ]
    async with conn.cursor() as cur:
        await cur.executemany(query, params)
    return len(rows)


async def delete_chunks(
    conn: Conn, table: str, workspace_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> int:
    """Delete the chunks of the given items."""
    if not item_ids:
        return 0
    cur = await conn.execute(
        sql.SQL("DELETE FROM {t} WHERE workspace_id = %s AND item_id = ANY(%s)").format(
            t=sql.Identifier(table)
        ),
        (workspace_id, list(item_ids)),
    )
    return cur.rowcount


async def delete_source_chunks(
    conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID, *, except_table: str | None = None
) -> None:
    """Delete a source's chunks from every space's table (optionally all but one)."""
    cur = await conn.execute("SELECT table_name FROM embedding_spaces")
    for row in await cur.fetchall():
        if row["table_name"] == except_table:
            continue
        await conn.execute(
            sql.SQL("DELETE FROM {t} WHERE workspace_id = %s AND source_id = %s").format(
                t=sql.Identifier(row["table_name"])
            ),
            (workspace_id, source_id),
        )


async def count_chunks(
    conn: Conn, table: str, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> int:
    """Return how many chunks a source has in a space."""
    cur = await conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {t} WHERE workspace_id = %s AND source_id = %s").format(
            t=sql.Identifier(table)
        ),
        (workspace_id, source_id),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


ANALYZE_MIN_CHUNKS = 1000
"""A sync writing at least this many chunks, and a tenth of the table, analyzes it at once."""


async def refresh_statistics(conn: Conn, table: str, written: int) -> bool:
    """ANALYZE the chunk table after a large write; return whether it ran.

    Autovacuum would within a minute or so; until then the planner sees a new tenant's
    chunks as a handful of rows and `common_lexemes` has no statistics to prune common
    words by, so the first searches after a large first sync could pick slow plans.
    """
    if written < ANALYZE_MIN_CHUNKS:
        return False
    cur = await conn.execute(
        "SELECT greatest(reltuples, 0) AS n FROM pg_class WHERE oid = %s::regclass", (table,)
    )
    row = await cur.fetchone()
    if row is not None and written < 0.1 * float(row["n"]):
        return False  # a small share of a large table: its statistics still hold
    await conn.execute(sql.SQL("ANALYZE {t}").format(t=sql.Identifier(table)))
    _common_cache.pop(_common_key(conn, table), None)
    return True


def _common_key(conn: Conn, table: str) -> tuple[Any, ...]:
    """Key of a table's common lexemes in `_common_cache` (per database and table)."""
    return (conn.info.host, conn.info.port, conn.info.dbname, table)


async def common_lexemes(conn: Conn, table: str) -> list[str]:
    """Return the lexemes of the table's chunks too common to rank by keyword.

    Estimated from the planner's statistics (pg_stats, kept by ANALYZE/autovacuum), so it
    costs nothing per query; cached for a few minutes per table.
    """
    key = _common_key(conn, table)
    now = time.monotonic()
    cached = _common_cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    cur = await conn.execute(
        """SELECT coalesce(array_agg(m.lex), '{}') AS common
           FROM pg_stats s
           JOIN pg_class c ON c.relname = s.tablename
                          AND c.relnamespace = s.schemaname::regnamespace
           CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
                AS m(lex, freq)
           WHERE s.schemaname = current_schema() AND s.tablename = %s
             AND s.attname = 'content_tsv' AND m.lex IS NOT NULL
             AND m.freq * c.reltuples > %s""",
        (table, COMMON_TERM_ROWS),
    )
    row = await cur.fetchone()
    common = list(row["common"]) if row else []
    _common_cache[key] = (now + _COMMON_TTL_S, common)
    return common


def keyword_query(text: str, stopwords: frozenset[str] = frozenset()) -> str:
    """Return a to_tsquery OR-expression of the query's terms ('' when none)."""
    terms = []
    for term in _TERM.findall(text.lower()):
        if term in stopwords or len(term) < 2:
            continue
        if term not in terms:
            terms.append(term.replace("'", ""))
    return " | ".join(terms[:16])


async def hybrid_search(
    conn: Conn,
    table: str,
    *,
    workspace_id: uuid.UUID,
    source_ids: Sequence[uuid.UUID],
    query_vector: Sequence[float],
    keywords: str,
    k: int = 8,
    kinds: Sequence[str] | None = None,
    candidates: int = 40,
) -> list[ChunkHit]:
    """Fuse dense (cosine) and keyword (ts_rank_cd) rankings with RRF, in one statement."""
    if not source_ids:
        return []
    kind_filter = sql.SQL("AND kind = ANY(%(kinds)s)") if kinds else sql.SQL("")
    t = sql.Identifier(table)
    query = sql.SQL(
        """
        WITH dense AS (
            -- The distance is computed once per row: ORDER BY names the select-list
            -- entry (the HNSW index still serves it), similarity derives from it.
            SELECT langchain_id, 1 - dist AS similarity, row_number() OVER (ORDER BY dist) AS r
            FROM (
                SELECT langchain_id, embedding <=> %(vec)s AS dist
                FROM {t}
                WHERE workspace_id = %(ws)s AND source_id = ANY(%(src)s) {kind_filter}
                ORDER BY dist
                LIMIT %(cand)s
            ) d
        ),
        kw AS (
            -- The query's terms less those too common to rank (see COMMON_TERM_ROWS).
            SELECT coalesce(string_agg(term, ' | '), '') AS expr
            FROM unnest(%(terms)s::text[]) AS term
            WHERE NOT (tsvector_to_array(to_tsvector('english', term)) <@ %(common)s::text[])
        ),
        sparse AS (
            SELECT langchain_id, rank, row_number() OVER (ORDER BY rank DESC) AS r
            FROM (
                SELECT langchain_id, ts_rank_cd(content_tsv, q, 1) AS rank
                FROM kw, to_tsquery('english', kw.expr) AS q, {t}
                WHERE kw.expr <> '' AND workspace_id = %(ws)s AND source_id = ANY(%(src)s)
                  {kind_filter} AND content_tsv @@ q
                ORDER BY rank DESC
                LIMIT %(cand)s
            ) s
        ),
        fused AS (
            SELECT coalesce(d.langchain_id, s.langchain_id) AS id,
                   coalesce(1.0::float8 / (%(rrf)s + d.r), 0)
                   + coalesce(1.0::float8 / (%(rrf)s + s.r), 0) AS score,
                   d.similarity, s.rank AS keyword_rank
            FROM dense d FULL OUTER JOIN sparse s ON d.langchain_id = s.langchain_id
        )
        -- Columns in ChunkHit's field order: each row becomes a hit positionally.
        SELECT c.langchain_id AS id, c.content, c.source_id, c.item_id, c.kind,
               coalesce(c.title, '') AS title, c.url, c.document_id,
               coalesce(c.section, '') AS section, c.page_number,
               f.score, f.similarity, f.keyword_rank
        FROM fused f JOIN {t} c ON c.langchain_id = f.id
        ORDER BY f.score DESC, f.similarity DESC NULLS LAST
        LIMIT %(k)s
        """
    ).format(t=t, kind_filter=kind_filter)
    terms = [term for term in keywords.split(" | ") if term.strip()]
    params = {
        "vec": np.asarray(query_vector, dtype=np.float32),
        "ws": workspace_id,
        "src": list(source_ids),
        "kinds": list(kinds) if kinds else None,
        "terms": terms,
        "common": await common_lexemes(conn, table) if terms else [],
        "cand": candidates,
        "rrf": RRF_K,
        "k": k,
    }
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(query, params)
        return [ChunkHit(*row) for row in await cur.fetchall()]


def searchable_terms(terms: Sequence[str]) -> list[str]:
    """Return the distinct lower-case terms `known_terms` looks up (at most 24)."""
    return [t for t in dict.fromkeys(_TERM.findall(" ".join(terms).lower())) if len(t) >= 2][:24]


async def known_terms(
    conn: Conn,
    table: str,
    *,
    workspace_id: uuid.UUID,
    source_ids: Sequence[uuid.UUID],
    terms: Sequence[str],
) -> dict[str, bool]:
    """Return term → whether any chunk of the sources contains it (after English stemming).

    Stop words (an empty tsquery) count as known: they say nothing about the topic.
    """
    clean = searchable_terms(terms)
    if not clean or not source_ids:
        return {t: True for t in clean}
    query = sql.SQL(
        """SELECT t.term,
                  numnode(to_tsquery('english', t.term)) = 0 OR EXISTS (
                      SELECT 1 FROM {t} c
                      WHERE c.workspace_id = %(ws)s AND c.source_id = ANY(%(src)s)
                        AND c.content_tsv @@ to_tsquery('english', t.term)) AS known
           FROM unnest(%(terms)s::text[]) AS t(term)"""
    ).format(t=sql.Identifier(table))
    cur = await conn.execute(
        query,
        {"ws": workspace_id, "src": list(source_ids), "terms": [t.replace("'", "") for t in clean]},
    )
    return {row["term"]: bool(row["known"]) for row in await cur.fetchall()}


async def item_chunks(
    conn: Conn, table: str, workspace_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Return every chunk of the given items, in their original order."""
    if not item_ids:
        return {}
    cur = await conn.execute(
        sql.SQL(
            "SELECT item_id, content, coalesce(section, '') AS section, page_number FROM {t} "
            "WHERE workspace_id = %s AND item_id = ANY(%s) ORDER BY item_id, position"
        ).format(t=sql.Identifier(table)),
        (workspace_id, list(item_ids)),
    )
    out: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in await cur.fetchall():
        out.setdefault(row["item_id"], []).append(
            {"text": row["content"], "section": row["section"], "page_number": row["page_number"]}
        )
    return out
