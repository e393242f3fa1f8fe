"""Incremental re-sync: unchanged items are skipped, changed ones replaced, failures contained."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from ingestion.jobs import InProcessRunner
from store import sources as sources_repo
from tests.test_ingestion_api import (
    DEMO,
    DEMO_BASE_URL,
    DEMO_SITE,
    ROOT,
    create_local_site,
    get_source,
    sync_and_wait,
    upload,
    wait_for_job,
)

COMPANY_B = ROOT / "tests" / "fixtures" / "company_b"
EDITED_PAGE = Path("products/vault-15/index.html")
EDITED_URL = DEMO_BASE_URL + "products/vault-15/"
REMOVED_PAGE = Path("careers/index.html")
REMOVED_URL = DEMO_BASE_URL + "careers/"


async def chunk_ids_by_item(runtime: Any, source_id: str) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Return the source's chunk ids (langchain_id) grouped by the item they belong to."""
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            sql.SQL(
                "SELECT item_id, array_agg(langchain_id ORDER BY position) AS ids FROM {t} "
                "WHERE source_id = %s GROUP BY item_id"
            ).format(t=sql.Identifier(runtime.chunk_table)),
            (uuid.UUID(source_id),),
        )
        return {row["item_id"]: list(row["ids"]) for row in await cur.fetchall()}


async def item_ids(runtime: Any, table: str, key: str, source_id: str) -> dict[Any, uuid.UUID]:
    """Return key → id of a knowledge-base table's rows for the source."""
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            sql.SQL("SELECT {k} AS key, id FROM {t} WHERE source_id = %s").format(
                k=sql.Identifier(key), t=sql.Identifier(table)
            ),
            (uuid.UUID(source_id),),
        )
        return {row["key"]: row["id"] for row in await cur.fetchall()}


# -- a website, from a local copy of the demo site -------------------------------------------
@pytest.fixture(scope="module")
def site_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a private copy of the demo site that tests may edit."""
    target = tmp_path_factory.mktemp("site") / "site"
    shutil.copytree(DEMO_SITE, target)
    return target


@pytest.fixture(scope="module")
async def site_source(site_copy, runtime, client, ws) -> str:
    """Create the copied site as a source and run its first sync."""
    source_id = await create_local_site(runtime, ws.id, site_copy, "Site copy")
    job = await sync_and_wait(client, ws.headers, source_id)
    assert job["status"] == "succeeded", job["errors"]
    return source_id


async def test_resync_of_an_unchanged_site_keeps_counts_version_and_chunk_ids(
    site_source, runtime, client, ws
):
    before = await get_source(client, ws.headers, site_source)
    chunks_before = await chunk_ids_by_item(runtime, site_source)
    pages_before = await item_ids(runtime, "kb_pages", "url", site_source)

    job = await sync_and_wait(client, ws.headers, site_source)

    result = job["result"]
    assert job["status"] == "succeeded" and job["errors"] == []
    assert result["unchanged"] == before["counts"]["pages"]
    assert result["added"] == result["updated"] == result["deleted"] == 0
    assert result["chunks_embedded"] == 0
    after = await get_source(client, ws.headers, site_source)
    assert after["counts"] == before["counts"] and after["version"] == before["version"]
    assert await chunk_ids_by_item(runtime, site_source) == chunks_before
    assert await item_ids(runtime, "kb_pages", "url", site_source) == pages_before
    assert sum(len(ids) for ids in chunks_before.values()) == before["counts"]["chunks"]


async def test_editing_one_page_re_embeds_only_that_page(
    site_source, site_copy, runtime, client, ws
):
    before = await get_source(client, ws.headers, site_source)
    chunks_before = await chunk_ids_by_item(runtime, site_source)
    page_id = (await item_ids(runtime, "kb_pages", "url", site_source))[EDITED_URL]
    path = site_copy / EDITED_PAGE
    html = path.read_text()
    assert "Each module weighs 47 kg" in html
    path.write_text(html.replace("Each module weighs 47 kg", "Each module weighs 44 kg"))

    job = await sync_and_wait(client, ws.headers, site_source)

    result = job["result"]
    chunks_after = await chunk_ids_by_item(runtime, site_source)
    n_pages = before["counts"]["pages"]
    assert (result["updated"], result["unchanged"], result["added"], result["deleted"]) == (
        1,
        n_pages - 1,
        0,
        0,
    )
    assert result["chunks_embedded"] == len(chunks_after[page_id]) > 0
    assert set(chunks_after[page_id]).isdisjoint(chunks_before[page_id])
    others = {k: v for k, v in chunks_before.items() if k != page_id}
    assert {k: v for k, v in chunks_after.items() if k != page_id} == others
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            sql.SQL("SELECT string_agg(content, ' ') AS text FROM {t} WHERE item_id = %s").format(
                t=sql.Identifier(runtime.chunk_table)
            ),
            (page_id,),
        )
        text = (await cur.fetchone())["text"]
    assert "weighs 44 kg" in text and "weighs 47 kg" not in text
    after = await get_source(client, ws.headers, site_source)
    assert after["version"] != before["version"] and after["counts"]["pages"] == n_pages


async def test_a_removed_page_is_deleted_with_its_chunks(
    site_source, site_copy, runtime, client, ws
):
    before = await get_source(client, ws.headers, site_source)
    page_id = (await item_ids(runtime, "kb_pages", "url", site_source))[REMOVED_URL]
    assert (await chunk_ids_by_item(runtime, site_source))[page_id]
    (site_copy / REMOVED_PAGE).unlink()

    job = await sync_and_wait(client, ws.headers, site_source)

    result = job["result"]
    assert (result["deleted"], result["added"], result["updated"], result["chunks_embedded"]) == (
        1,
        0,
        0,
        0,
    )
    assert REMOVED_URL not in await item_ids(runtime, "kb_pages", "url", site_source)
    chunks_after = await chunk_ids_by_item(runtime, site_source)
    assert page_id not in chunks_after
    after = await get_source(client, ws.headers, site_source)
    assert after["counts"]["pages"] == before["counts"]["pages"] - 1
    assert after["counts"]["chunks"] == sum(len(v) for v in chunks_after.values())


# -- custom text -----------------------------------------------------------------------------
async def test_editing_custom_text_replaces_only_the_changed_entries(runtime, client, ws):
    text = (DEMO / "faq.md").read_text()
    resp = await client.post(
        "/api/v1/sources", json={"type": "custom", "name": "FAQ", "text": text}, headers=ws.headers
    )
    faq = resp.json()
    first = (await sync_and_wait(client, ws.headers, faq["id"]))["result"]
    entries_before = await item_ids(runtime, "kb_entries", "question", faq["id"])
    chunks_before = await chunk_ids_by_item(runtime, faq["id"])
    question = "How much does shipping cost?"
    assert question in entries_before
    old_answer = "Shipping is free within the EU on orders over €150, otherwise €9.95."
    assert old_answer in text
    async with runtime.db.connection() as conn:
        source = await sources_repo.get_source(conn, ws.id, uuid.UUID(faq["id"]))
        assert source is not None
        await sources_repo.update_source_config(
            conn,
            ws.id,
            source.id,
            source.config
            | {
                "text": text.replace(
                    old_answer,
                    "Shipping is free within the EU on orders over €100, otherwise €7.95.",
                )
            },
        )

    job = await sync_and_wait(client, ws.headers, faq["id"])

    result = job["result"]
    entries_after = await item_ids(runtime, "kb_entries", "question", faq["id"])
    chunks_after = await chunk_ids_by_item(runtime, faq["id"])
    new_id = entries_after[question]
    assert (result["added"], result["deleted"], result["unchanged"]) == (1, 1, first["added"] - 1)
    assert result["chunks_embedded"] == len(chunks_after[new_id])
    assert new_id != entries_before[question]
    assert entries_before[question] not in chunks_after
    assert {q: i for q, i in entries_after.items() if q != question} == {
        q: i for q, i in entries_before.items() if q != question
    }
    assert {k: v for k, v in chunks_after.items() if k != new_id} == {
        k: v for k, v in chunks_before.items() if k != entries_before[question]
    }
    async with runtime.db.connection() as conn:
        cur = await conn.execute("SELECT answer FROM kb_entries WHERE id = %s", (new_id,))
        assert "€100" in (await cur.fetchone())["answer"]


# -- documents -------------------------------------------------------------------------------
async def reupload(runtime: Any, ws: Any, source_id: str, filename: str, data: bytes) -> None:
    """Replace one file of a document source, as a re-upload does: new bytes, new hash."""
    async with runtime.db.connection() as conn:
        source = await sources_repo.get_source(conn, ws.id, uuid.UUID(source_id))
        assert source is not None
        files = [dict(f) for f in source.config["files"]]
        entry = next(f for f in files if f["filename"] == filename)
        stored = runtime.files.put(entry["key"], data)
        entry.update(size=stored.size, sha256=stored.sha256)
        await sources_repo.update_source_config(
            conn, ws.id, source.id, source.config | {"files": files}
        )


@pytest.fixture(scope="module")
async def docs_source(client, ws) -> dict[str, Any]:
    """Upload the second company's documents and run their first sync."""
    source = await upload(
        client,
        ws.headers,
        "document",
        "Fernbrook documents",
        sorted((COMPANY_B / "docs").iterdir()),
    )
    job = await sync_and_wait(client, ws.headers, source["id"])
    assert job["status"] == "succeeded", job["errors"]
    return source


async def test_a_reuploaded_unchanged_document_is_skipped(docs_source, runtime, client, ws):
    chunks_before = await chunk_ids_by_item(runtime, docs_source["id"])
    name = "senior-pet-care-guide.md"
    await reupload(runtime, ws, docs_source["id"], name, (COMPANY_B / "docs" / name).read_bytes())

    job = await sync_and_wait(client, ws.headers, docs_source["id"])

    assert job["result"]["unchanged"] == 3
    assert job["result"]["chunks_embedded"] == 0 and job["result"]["updated"] == 0
    assert await chunk_ids_by_item(runtime, docs_source["id"]) == chunks_before


async def test_a_corrupt_new_version_keeps_the_old_one_and_the_other_documents(
    docs_source, runtime, client, ws
):
    before = await get_source(client, ws.headers, docs_source["id"])
    chunks_before = await chunk_ids_by_item(runtime, docs_source["id"])
    docs_before = await item_ids(runtime, "kb_documents", "filename", docs_source["id"])
    name = "fernbrook-new-client-welcome-guide.pdf"
    good = (COMPANY_B / "docs" / name).read_bytes()
    await reupload(runtime, ws, docs_source["id"], name, good[:1500])

    job = await sync_and_wait(client, ws.headers, docs_source["id"])

    assert job["status"] == "succeeded"
    assert [e["item"] for e in job["errors"]] == [name]
    assert job["errors"][0]["message"].startswith(f"{name}: the PDF could not be read")
    assert job["result"]["unchanged"] == 2 and job["result"]["failed"] == 1
    assert await chunk_ids_by_item(runtime, docs_source["id"]) == chunks_before
    assert await item_ids(runtime, "kb_documents", "filename", docs_source["id"]) == docs_before
    source = await get_source(client, ws.headers, docs_source["id"])
    assert source["status"] == "ready"
    assert name in source["last_error"]
    assert source["counts"] == before["counts"]

    # Uploading the good version again: it is the one still stored, so nothing is re-embedded.
    await reupload(runtime, ws, docs_source["id"], name, good)
    job = await sync_and_wait(client, ws.headers, docs_source["id"])
    assert job["errors"] == [] and job["result"]["unchanged"] == 3
    source = await get_source(client, ws.headers, docs_source["id"])
    assert source["status"] == "ready" and source["last_error"] is None


async def test_a_sheet_whose_stored_file_is_gone_fails_naming_the_file_not_the_path(
    runtime, client, ws
):
    resp = await client.post(
        "/api/v1/sources/upload",
        data={"type": "sheet", "name": "Team"},
        files={"file": ("team.csv", b"Name,Email\nAda,ada@x.example\n", "text/csv")},
        headers=ws.headers,
    )
    sheet = resp.json()
    assert (await wait_for_job(client, ws.headers, sheet["job_id"]))["status"] == "succeeded"
    runtime.files.delete_prefix(f"sources/{sheet['id']}")

    job = await sync_and_wait(client, ws.headers, sheet["id"])

    assert job["status"] == "failed"
    source = await get_source(client, ws.headers, sheet["id"])
    assert source["last_error"] == "team.csv: the uploaded file is missing"
    assert str(runtime.settings.data_dir) not in str(job["errors"])
    assert source["counts"]["rows"] == 1  # the rows synced before are kept


# -- several processes on one database -------------------------------------------------------
async def test_a_runner_starting_mid_sync_leaves_the_running_job_to_its_owner(runtime, client, ws):
    # What `signpost sources sync` does while `signpost serve` is syncing: start a runner.
    source_id = await create_local_site(runtime, ws.id, COMPANY_B / "site", "Fernbrook site")
    resp = await client.post(f"/api/v1/sources/{source_id}/sync", headers=ws.headers)
    job_id = resp.json()["job_id"]
    while True:
        job = (await client.get(f"/api/v1/jobs/{job_id}", headers=ws.headers)).json()
        if job["status"] != "queued":
            break
        await asyncio.sleep(0.01)
    assert job["status"] == "running"
    other = InProcessRunner(runtime.ingest_deps)
    await other.start()
    try:
        job = await wait_for_job(client, ws.headers, job_id)
    finally:
        await other.stop()
    assert job["status"] == "succeeded" and job["attempts"] == 1
    assert job["result"]["added"] == job["result"]["counts"]["pages"] > 0


# -- the command line ------------------------------------------------------------------------
@pytest.fixture
def cli_env(db_dsn: str, settings: Any) -> Iterator[dict[str, str]]:
    """Environment for `signpost` subprocesses: this module's database and data dir."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SIGNPOST_CHAT_MODEL")}
    env.update(
        DATABASE_URL=db_dsn,
        SIGNPOST_DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(ROOT),
        HF_HUB_OFFLINE="1",
        DO_NOT_TRACK="1",
    )
    yield env


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run `signpost ARGS` and return (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "signpost.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def printed_counts(out: str) -> dict[str, int]:
    """Return the counts of the CLI's `succeeded: pages N, rows N, …` line."""
    line = re.search(r"^succeeded: (.*)$", out, re.MULTILINE)
    assert line, out
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", line[1])}


async def test_cli_adds_and_syncs_a_local_site_and_prints_counts(
    cli_env, tmp_path, runtime, client, ws
):
    await runtime.jobs.wait_idle(60)  # the CLI's own runner resumes any job it finds queued
    code, out, err = await run_cli(
        cli_env,
        tmp_path,
        "sources",
        "add",
        "--workspace",
        str(ws.id),
        "--type",
        "website",
        "--name",
        "Solvane site",
        "--path",
        str(DEMO_SITE),
        "--url",
        DEMO_BASE_URL,
    )
    assert code == 0, err
    source_id = re.search(r"source_id: ([0-9a-f-]{36})", out)
    assert source_id, out
    counts = printed_counts(out)
    source = await get_source(client, ws.headers, source_id[1])
    assert source["status"] == "ready"
    assert counts == source["counts"]
    assert counts["pages"] > 40 and counts["chunks"] > counts["pages"]
    assert counts["rows"] == counts["documents"] == 0

    code, out, err = await run_cli(
        cli_env, tmp_path, "sources", "sync", source_id[1], "--workspace", str(ws.id)
    )
    assert code == 0, err
    assert printed_counts(out) == counts
    assert (await get_source(client, ws.headers, source_id[1]))["version"] == source["version"]
