"""Hybrid search over the chunk tables: tenant and source scoping, keywords, embedding spaces."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from psycopg import sql

from ingestion.embeddings import EmbeddingSpace, LocalEmbeddings
from ingestion.jobs import run_job
from ingestion.sync import IngestDeps, space_tag
from store import jobs as jobs_repo
from store import sources as sources_repo
from store import vectors
from tests.test_ingestion_api import DEMO, get_source, wait_for_job

RARE_CODE = "QX-7731"
CATALOG = f"""# Spare parts catalogue

## Which wall bracket fits the Vault 10?

Order the steel wall bracket, part number {RARE_CODE}, rated for 120 kg. It ships with
anchors for brick and concrete walls; timber-frame walls need the reinforcement kit.

## Which cable connects a Helio inverter to the meter?

Use the shielded RS-485 cable from the installer kit; it is five metres long.

## Can I replace the fan filter of a Vault C40 myself?

Yes. The filter clips out from the front; replace it every two years.
"""


@dataclass(frozen=True)
class Tenant:
    """A workspace with the same two sources as the other one: the FAQ and a parts catalogue."""

    id: uuid.UUID
    headers: dict[str, str]
    faq: uuid.UUID
    catalog: uuid.UUID

    @property
    def sources(self) -> list[uuid.UUID]:
        """Return both source ids."""
        return [self.faq, self.catalog]


async def _custom_source(client: Any, headers: dict[str, str], name: str, text: str) -> dict:
    resp = await client.post(
        "/api/v1/sources", json={"type": "custom", "name": name, "text": text}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.fixture(scope="module")
async def tenants(client, ws, other_ws) -> list[Tenant]:
    """Give both workspaces the same FAQ and catalogue, synced."""
    faq_text = (DEMO / "faq.md").read_text()
    made = []
    for auth in (ws, other_ws):
        faq = await _custom_source(client, auth.headers, "FAQ", faq_text)
        catalog = await _custom_source(client, auth.headers, "Parts", CATALOG)
        for body in (faq, catalog):
            job = await wait_for_job(client, auth.headers, body["job_id"])
            assert job["status"] == "succeeded", job["errors"]
        made.append(Tenant(auth.id, auth.headers, uuid.UUID(faq["id"]), uuid.UUID(catalog["id"])))
    return made


async def search(
    runtime: Any, tenant_id: uuid.UUID, source_ids: list[uuid.UUID], query: str, **options: Any
) -> list[vectors.ChunkHit]:
    """Run the hybrid search the tools run: embed the query, OR its terms, fuse."""
    vector = await runtime.space.embeddings.aembed_query(query)
    async with runtime.db.connection() as conn:
        return await vectors.hybrid_search(
            conn,
            runtime.chunk_table,
            workspace_id=tenant_id,
            source_ids=source_ids,
            query_vector=vector,
            keywords=vectors.keyword_query(query),
            **options,
        )


async def test_hybrid_search_stays_inside_its_workspace(tenants, runtime):
    query = "How long is the warranty on a Vault battery?"
    results = [await search(runtime, t.id, t.sources, query) for t in tenants]
    for tenant, hits in zip(tenants, results, strict=True):
        assert hits, "both workspaces hold the answer"
        assert {h.source_id for h in hits} <= set(tenant.sources)
        assert hits[0].title == query  # the same content ranks the same way in each
    first, second = ({h.id for h in hits} for hits in results)
    assert first.isdisjoint(second)
    # Another workspace's source ids find nothing: the workspace filter is not optional.
    mine, theirs = tenants
    assert await search(runtime, mine.id, theirs.sources, query) == []


async def test_hybrid_search_is_limited_to_the_given_sources(tenants, runtime):
    tenant = tenants[0]
    everywhere = await search(runtime, tenant.id, tenant.sources, f"wall bracket {RARE_CODE}")
    assert everywhere[0].source_id == tenant.catalog
    faq_only = await search(runtime, tenant.id, [tenant.faq], f"wall bracket {RARE_CODE}")
    assert faq_only and {h.source_id for h in faq_only} == {tenant.faq}
    assert all(RARE_CODE not in h.content for h in faq_only)
    assert await search(runtime, tenant.id, [], "warranty") == []


async def test_a_rare_product_code_is_found_by_its_keyword_alone(tenants, runtime):
    tenant = tenants[0]
    hits = await search(runtime, tenant.id, tenant.sources, RARE_CODE, k=3)
    assert RARE_CODE in hits[0].content
    assert hits[0].keyword_rank is not None and hits[0].keyword_rank > 0
    # The dense half looking elsewhere entirely: the keyword half still brings the code in.
    vector = await runtime.space.embeddings.aembed_query("When does the support team answer?")
    async with runtime.db.connection() as conn:
        fused = await vectors.hybrid_search(
            conn,
            runtime.chunk_table,
            workspace_id=tenant.id,
            source_ids=tenant.sources,
            query_vector=vector,
            keywords=vectors.keyword_query(RARE_CODE),
            k=8,
            candidates=3,
        )
    coded = [h for h in fused if RARE_CODE in h.content]
    assert len(coded) == 1
    assert coded[0].similarity is None and coded[0].keyword_rank is not None


async def test_hits_carry_cosine_similarity_and_are_ranked_by_fused_score(tenants, runtime):
    tenant = tenants[0]
    hits = await search(runtime, tenant.id, tenant.sources, "Can I return a product I bought?")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].title == "Can I return a product I bought in the online shop?"
    assert hits[0].similarity is not None and 0.5 < hits[0].similarity <= 1.0
    similarities = [h.similarity for h in hits if h.similarity is not None]
    assert all(-1.0 <= s <= 1.0 for s in similarities)
    assert hits[0].similarity == max(similarities)
    qa_only = await search(runtime, tenant.id, tenant.sources, "return", kinds=["text"])
    assert all(h.kind == "text" for h in qa_only)


async def test_the_chunk_table_is_readable_through_langchain_pgvectorstore(tenants, runtime):
    from langchain_postgres import PGEngine
    from sqlalchemy.ext.asyncio import create_async_engine

    tenant = tenants[0]
    engine = create_async_engine(vectors.sqlalchemy_url(runtime.db.dsn), pool_size=1)
    try:
        store = await vectors.pg_vectorstore(
            PGEngine.from_engine(engine), runtime.chunk_table, runtime.space.embeddings
        )
        docs = await store.asimilarity_search(
            "How much does shipping cost?",
            k=3,
            filter={
                "$and": [
                    {"workspace_id": {"$eq": str(tenant.id)}},
                    {"source_id": {"$in": [str(s) for s in tenant.sources]}},
                ]
            },
        )
    finally:
        await engine.dispose()
    assert docs and docs[0].page_content.startswith("Shipping is free within the EU")
    meta = docs[0].metadata
    assert meta["workspace_id"] == tenant.id and meta["source_id"] == tenant.faq
    assert meta["kind"] == "qa" and meta["title"] == "How much does shipping cost?"


def _cosine(a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


async def test_onnx_vectors_match_the_sentence_transformers_model(runtime):
    texts = [
        "How long is the warranty on a Vault battery?",
        "Orders placed before 14:00 CET on a working day leave our warehouse the same day.",
        RARE_CODE,
        "Solvane " * 300,  # longer than the model's 256 tokens: both truncate the same way
    ]
    onnx = runtime.space.embeddings
    assert isinstance(onnx, LocalEmbeddings) and onnx.backend == "onnx"
    torch_model = LocalEmbeddings(backend="torch")
    got = await onnx.aembed_documents(texts)
    want = await asyncio.to_thread(torch_model.embed_documents, texts)
    assert np.asarray(got).shape == (len(texts), 384)
    assert _cosine(got, want).min() > 0.999
    assert _cosine([await onnx.aembed_query(texts[0])], [want[0]])[0] > 0.999


async def test_sync_batches_on_openvino_share_the_query_space(runtime):
    """Batches of passages run on OpenVINO (bf16 where the CPU has it); queries on onnxruntime."""
    local = runtime.space.embeddings
    assert isinstance(local, LocalEmbeddings)
    sentences = [
        f"Item {i}: the {['drill', 'saw', 'ladder', 'lamp'][i % 4]} ships in {i % 9 + 1} days."
        for i in range(70)
    ]
    texts = [*sentences, RARE_CODE, "Solvane " * 300]
    batched = np.asarray(await local.aembed_documents(texts))
    engine = local._batch()
    assert engine is not None and engine.precision in ("bf16", "f32")
    onnx = LocalEmbeddings(cache_dir=local.cache_dir, batch_engine="onnxruntime")
    reference = np.asarray(await onnx.aembed_documents(texts))
    assert onnx._batch() is None
    assert batched.shape == reference.shape == (len(texts), 384)
    assert _cosine(batched, reference).min() > 0.9995
    # Retrieval cannot tell the engines apart: each query ranks the same passage first.
    for i in (0, 17, 42, len(sentences)):
        query = np.asarray(await local.aembed_query(texts[i]))
        assert int(np.argmax(batched @ query)) == int(np.argmax(reference @ query)) == i


async def _chunks_per_table(runtime: Any, source_id: uuid.UUID) -> dict[str, int]:
    async with runtime.db.connection() as conn:
        cur = await conn.execute("SELECT table_name FROM embedding_spaces ORDER BY table_name")
        tables = [row["table_name"] for row in await cur.fetchall()]
        counts = {}
        for table in tables:
            cur = await conn.execute(
                sql.SQL("SELECT count(*) AS n FROM {t} WHERE source_id = %s").format(
                    t=sql.Identifier(table)
                ),
                (source_id,),
            )
            counts[table] = (await cur.fetchone())["n"]
    return counts


async def test_a_new_embedding_space_gets_its_own_table_and_the_next_sync_moves_everything(
    tenants, runtime, client
):
    tenant = tenants[0]
    source = await get_source(client, tenant.headers, str(tenant.faq))
    n_chunks = source["counts"]["chunks"]
    assert await _chunks_per_table(runtime, tenant.faq) == {runtime.chunk_table: n_chunks}

    fake = EmbeddingSpace(DeterministicFakeEmbedding(size=64), "test:deterministic-64", 64)
    async with runtime.db.connection() as conn:
        table = await vectors.ensure_chunk_table(conn, runtime.db.dsn, fake.model_id, 64)
    assert table != runtime.chunk_table
    deps = IngestDeps(
        db=runtime.db, files=runtime.files, space=fake, table=table, settings=runtime.settings
    )
    async with runtime.db.connection() as conn:
        job, _ = await jobs_repo.enqueue_sync(conn, tenant.id, tenant.faq)
    assert await run_job(deps, job.id) == "succeeded"

    async with runtime.db.connection() as conn:
        done = await jobs_repo.get_job(conn, tenant.id, job.id)
        moved = await sources_repo.get_source(conn, tenant.id, tenant.faq)
    assert done is not None and moved is not None
    assert done.result is not None
    assert done.result["chunks_embedded"] == n_chunks and done.result["unchanged"] == 0
    assert moved.embedding_space == space_tag(table) and moved.counts["chunks"] == n_chunks
    assert moved.version != source["version"]
    # All of the source's chunks are in the new space, none left in the old: never a mix.
    assert await _chunks_per_table(runtime, tenant.faq) == {runtime.chunk_table: 0, table: n_chunks}
    # The catalogue was not synced: it stays whole in the old space until it is.
    catalog = await _chunks_per_table(runtime, tenant.catalog)
    assert catalog[table] == 0 and catalog[runtime.chunk_table] > 0
    query = "How much does shipping cost?"
    async with runtime.db.connection() as conn:
        hits = await vectors.hybrid_search(
            conn,
            table,
            workspace_id=tenant.id,
            source_ids=tenant.sources,
            query_vector=fake.embeddings.embed_query(query),
            keywords=vectors.keyword_query(query),
        )
    assert hits and {h.source_id for h in hits} == {tenant.faq}

    # Back to the configured model: the runtime's next sync re-embeds into its own table.
    resp = await client.post(f"/api/v1/sources/{tenant.faq}/sync", headers=tenant.headers)
    back = await wait_for_job(client, tenant.headers, resp.json()["job_id"])
    assert back["status"] == "succeeded"
    assert back["result"]["chunks_embedded"] == n_chunks
    assert await _chunks_per_table(runtime, tenant.faq) == {runtime.chunk_table: n_chunks, table: 0}
    assert (await get_source(client, tenant.headers, str(tenant.faq)))["version"] == source[
        "version"
    ]
    hits = await search(runtime, tenant.id, tenant.sources, query)
    assert hits[0].title == query


async def test_at_scale_a_word_in_most_chunks_is_left_to_the_dense_half_but_a_code_is_not(
    runtime, ws
):
    fake = EmbeddingSpace(DeterministicFakeEmbedding(size=32), "test:scale-32", 32)
    async with runtime.db.connection() as conn:
        table = await vectors.ensure_chunk_table(conn, runtime.db.dsn, fake.model_id, 32)
    source = uuid.uuid4()
    texts = [f"Delivery note {i}: the van brings order {i} to the depot." for i in range(600)]
    texts.append(f"Delivery of spare part {RARE_CODE} takes two days.")
    rows = [
        vectors.ChunkRow(
            content=text,
            embedding=fake.embeddings.embed_query(text),
            source_id=source,
            item_id=uuid.uuid4(),
            kind="page",
            title="Notes",
        )
        for text in texts
    ]
    async with runtime.db.transaction() as conn:
        await vectors.insert_chunks(conn, table, ws.id, rows)
    async with runtime.db.connection() as conn:
        await conn.execute(sql.SQL("ANALYZE {t}").format(t=sql.Identifier(table)))
        common = await vectors.common_lexemes(conn, table)
        query = f"delivery {RARE_CODE}"
        hits = await vectors.hybrid_search(
            conn,
            table,
            workspace_id=ws.id,
            source_ids=[source],
            query_vector=fake.embeddings.embed_query("unrelated"),
            keywords=vectors.keyword_query(query),
            k=20,
        )
    assert "deliveri" in common and "qx-7731" not in common
    keyword_hits = [h for h in hits if h.keyword_rank is not None]
    assert [h.content for h in keyword_hits] == [texts[-1]]
    assert len(hits) == 20  # the dense half still fills the list


def test_openvino_is_imported_without_its_usage_telemetry():
    code = (
        "import sys\n"
        "from ingestion.embedding_batch import import_openvino\n"
        "import_openvino()\n"
        "from openvino.tools.ovc import telemetry_utils\n"
        "assert sys.modules.get('openvino_telemetry') is None\n"
        "assert telemetry_utils.tm.__name__.endswith('telemetry_stub'), telemetry_utils.tm\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_a_large_sync_refreshes_the_chunk_table_statistics_at_once(tenants, runtime):
    table = runtime.chunk_table

    async def planner_rows(conn: Any) -> tuple[float, int]:
        cur = await conn.execute(
            sql.SQL(
                "SELECT (SELECT reltuples FROM pg_class WHERE oid = %s::regclass) AS est, "
                "(SELECT count(*) FROM {t}) AS n"
            ).format(t=sql.Identifier(table)),
            (table,),
        )
        row = await cur.fetchone()
        return float(row["est"]), int(row["n"])

    async with runtime.db.connection() as conn:
        # A few chunks, or a small share of a large table: autovacuum's business.
        assert not await vectors.refresh_statistics(conn, table, written=10)
        assert await vectors.refresh_statistics(conn, table, written=vectors.ANALYZE_MIN_CHUNKS)
        estimate, actual = await planner_rows(conn)
        assert estimate == actual > 0  # ANALYZE read the whole (small) table
        huge = vectors.ANALYZE_MIN_CHUNKS * 100  # as if the table held every tenant's chunks
        await conn.execute(
            "UPDATE pg_class SET reltuples = %s WHERE oid = %s::regclass", (huge, table)
        )
        assert not await vectors.refresh_statistics(conn, table, written=huge // 20)
        await conn.execute(sql.SQL("ANALYZE {t}").format(t=sql.Identifier(table)))
