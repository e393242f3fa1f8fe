"""Ingestion through the HTTP API: sync jobs, source status and counts, builds, crawls."""

from __future__ import annotations

import asyncio
import csv
import functools
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from services import sources as source_service
from store import sources as sources_repo

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
DEMO_SITE = DEMO / "site"
DEMO_BASE_URL = "https://www.solvane.example/"
FINISHED = ("succeeded", "failed")
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".csv": "text/csv",
}


# -- helpers shared by the ingestion test modules --------------------------------------------
async def wait_for_job(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll GET /api/v1/jobs/{id} until the job has finished; return its last body."""
    deadline = time.monotonic() + timeout
    while True:
        resp = await client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert resp.status_code == 200, resp.text
        job = resp.json()
        if job["status"] in FINISHED:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout}s"
        await asyncio.sleep(0.05)


async def sync_and_wait(
    client: httpx.AsyncClient, headers: dict[str, str], source_id: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Request a sync through the API (202) and return the finished job."""
    resp = await client.post(f"/api/v1/sources/{source_id}/sync", headers=headers)
    assert resp.status_code == 202, resp.text
    return await wait_for_job(client, headers, resp.json()["job_id"], timeout)


async def get_source(client: httpx.AsyncClient, headers: dict[str, str], source_id: str) -> dict:
    """Return GET /api/v1/sources/{id}."""
    resp = await client.get(f"/api/v1/sources/{source_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: str,
    name: str,
    paths: list[Path],
) -> dict[str, Any]:
    """Create a document or sheet source from files through POST /sources/upload (201)."""
    files = [
        ("file", (p.name, p.read_bytes(), CONTENT_TYPES.get(p.suffix, "application/octet-stream")))
        for p in paths
    ]
    resp = await client.post(
        "/api/v1/sources/upload", data={"type": kind, "name": name}, files=files, headers=headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def create_local_site(runtime: Any, workspace_id: Any, folder: Path, name: str) -> str:
    """Create a website source over a local folder (the API takes no server paths)."""
    async with runtime.db.transaction() as conn:
        source = await source_service.create_local_source(
            conn,
            runtime.files,
            workspace_id,
            kind="website",
            name=name,
            path=folder,
            base_url=DEMO_BASE_URL,
        )
    return str(source.id)


def free_port() -> int:
    """Return a loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StaticSite:
    """A folder served over HTTP on loopback, with the paths it was asked for."""

    url: str
    requests: list[str]


@functools.cache
def _demo_csv_rows() -> int:
    with (DEMO / "contacts.csv").open(newline="", encoding="utf-8") as fh:
        return sum(1 for row in list(csv.reader(fh))[1:] if any(c.strip() for c in row))


def ts(value: str | None) -> datetime:
    """Parse an API timestamp."""
    assert value is not None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- the demo company, uploaded through the API ----------------------------------------------
@dataclass
class DemoSources:
    """The demo company's four sources as created, and what the API said right after."""

    docs: dict[str, Any]
    team: dict[str, Any]
    faq: dict[str, Any]
    site: dict[str, Any]
    site_job_id: str
    first_jobs: dict[str, dict[str, Any]]
    """GET /jobs/{id} of every first sync, read right after creation."""
    again: dict[str, httpx.Response]
    """A second POST /sync of the site and the documents, sent while their first was live."""
    site_trace: asyncio.Task[list[tuple[str, str, int, int]]]
    """(source status, job status, done, total) samples of the site while it synced."""

    @property
    def job_ids(self) -> dict[str, str]:
        """Return the first sync job of each source."""
        return {
            "docs": self.docs["job_id"],
            "team": self.team["job_id"],
            "faq": self.faq["job_id"],
            "site": self.site_job_id,
        }


async def _trace(
    client: httpx.AsyncClient, headers: dict[str, str], source_id: str, job_id: str
) -> list[tuple[str, str, int, int]]:
    samples: list[tuple[str, str, int, int]] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        source = await get_source(client, headers, source_id)
        job = (await client.get(f"/api/v1/jobs/{job_id}", headers=headers)).json()
        samples.append(
            (source["status"], job["status"], job["progress"]["done"], job["progress"]["total"])
        )
        if job["status"] in FINISHED and source["status"] not in ("pending", "syncing"):
            break
        await asyncio.sleep(0.04)
    return samples


@pytest.fixture(scope="module")
async def demo(client, ws, runtime) -> AsyncIterator[DemoSources]:
    """Create the demo company's sources: files and FAQ through the API, the site locally."""
    docs = await upload(
        client, ws.headers, "document", "Solvane documents", sorted((DEMO / "docs").iterdir())
    )
    team = await upload(client, ws.headers, "sheet", "Solvane team", [DEMO / "contacts.csv"])
    resp = await client.post(
        "/api/v1/sources",
        headers=ws.headers,
        json={"type": "custom", "name": "Solvane FAQ", "text": (DEMO / "faq.md").read_text()},
    )
    assert resp.status_code == 201, resp.text
    faq = resp.json()
    site_id = await create_local_site(runtime, ws.id, DEMO_SITE, "Solvane site")
    site = await get_source(client, ws.headers, site_id)
    started = await client.post(f"/api/v1/sources/{site_id}/sync", headers=ws.headers)
    assert started.status_code == 202, started.text
    site_job_id = started.json()["job_id"]
    # The runner takes one job at a time and the documents come first, so the site's job
    # is still queued and the documents' still live when these arrive.
    again = {
        "site": await client.post(f"/api/v1/sources/{site_id}/sync", headers=ws.headers),
        "docs": await client.post(f"/api/v1/sources/{docs['id']}/sync", headers=ws.headers),
    }
    first_jobs = {}
    for name, job_id in (
        ("docs", docs["job_id"]),
        ("team", team["job_id"]),
        ("faq", faq["job_id"]),
        ("site", site_job_id),
    ):
        first_jobs[name] = (await client.get(f"/api/v1/jobs/{job_id}", headers=ws.headers)).json()
    trace = asyncio.create_task(_trace(client, ws.headers, site_id, site_job_id))
    created = DemoSources(docs, team, faq, site, site_job_id, first_jobs, again, trace)
    yield created
    if not trace.done():
        trace.cancel()


@pytest.fixture(scope="module")
async def demo_synced(demo, client, ws) -> dict[str, dict[str, Any]]:
    """Wait for every first sync of the demo sources; return the finished jobs by name."""
    return {
        name: await wait_for_job(client, ws.headers, job_id, timeout=180)
        for name, job_id in demo.job_ids.items()
    }


async def test_created_sources_answer_201_with_their_first_sync_job_queued(demo, ws):
    for name in ("docs", "team", "faq"):
        body = getattr(demo, name)
        assert body["status"] == "pending"
        assert body["counts"] == {"pages": 0, "rows": 0, "chunks": 0, "documents": 0}
        assert body["job_id"], f"{name}: the 201 body names the sync job"
    assert [f["filename"] for f in demo.docs["config"]["files"]] == sorted(
        p.name for p in (DEMO / "docs").iterdir()
    )
    assert demo.site["status"] == "pending"
    for name, job in demo.first_jobs.items():
        source_id = demo.site["id"] if name == "site" else getattr(demo, name)["id"]
        assert job["kind"] == "sync" and job["source_id"] == source_id
        assert job["status"] in ("queued", "running"), (name, job["status"])
        assert set(job["progress"]) == {"done", "total"}
        assert job["errors"] == [] and job["finished_at"] is None
        ts(job["created_at"])
    assert demo.first_jobs["site"]["status"] == "queued"
    assert demo.first_jobs["site"]["started_at"] is None


async def test_a_second_sync_request_while_one_is_live_returns_the_same_job(demo):
    site, docs = demo.again["site"], demo.again["docs"]
    assert site.status_code == 202 and docs.status_code == 202
    assert site.json() == {"job_id": demo.site_job_id, "status": "queued"}
    assert docs.json()["job_id"] == demo.docs["job_id"]
    assert docs.json()["status"] in ("queued", "running")


async def test_a_syncing_source_shows_syncing_while_its_job_reports_progress(demo, demo_synced):
    trace = await asyncio.wait_for(demo.site_trace, 60)
    statuses = [s for s, *_ in trace]
    # pending while queued, syncing while running, then ready — never back.
    order = {"pending": 0, "syncing": 1, "ready": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    assert {"pending", "syncing", "ready"} <= set(statuses)
    running = [(done, total) for src, job, done, total in trace if job == "running"]
    assert running, "the job was seen running"
    # The source is read just before the job, so edges may pair pending/ready with running;
    # a syncing source is never seen with its job still queued.
    pairs = {(src, job) for src, job, *_ in trace}
    assert ("syncing", "running") in pairs
    assert ("syncing", "queued") not in pairs and ("ready", "queued") not in pairs
    assert any(0 < done < total for done, total in running), running
    done, total = trace[-1][2:]
    assert trace[-1][1] == "succeeded" and done == total > 0


async def test_finished_jobs_show_result_counts_timestamps_and_no_errors(demo_synced, client, ws):
    for name, job in demo_synced.items():
        assert job["status"] == "succeeded", (name, job["errors"])
        assert job["errors"] == []
        assert job["attempts"] == 1
        assert ts(job["created_at"]) <= ts(job["started_at"]) <= ts(job["finished_at"])
        assert job["progress"]["done"] == job["progress"]["total"] > 0
        result = job["result"]
        source = await get_source(client, ws.headers, job["source_id"])
        assert result["counts"] == source["counts"]
        assert result["version"] == source["version"]
        assert result["added"] > 0 and result["updated"] == result["deleted"] == 0
        assert result["chunks_embedded"] == source["counts"]["chunks"]


async def test_ready_sources_show_their_counts_and_last_sync(demo, demo_synced, client, ws):
    ids = {
        "docs": demo.docs["id"],
        "team": demo.team["id"],
        "faq": demo.faq["id"],
        "site": demo.site["id"],
    }
    got = {name: await get_source(client, ws.headers, sid) for name, sid in ids.items()}
    for name, source in got.items():
        assert source["status"] == "ready", name
        assert source["last_error"] is None
        assert ts(source["last_synced_at"]) >= ts(source["created_at"])
        assert source["version"]
        assert source["counts"]["chunks"] > 0
    n_docs = len(list((DEMO / "docs").iterdir()))
    assert got["docs"]["counts"] | {"chunks": 0} == {
        "pages": 0,
        "rows": 0,
        "chunks": 0,
        "documents": n_docs,
    }
    assert got["docs"]["counts"]["chunks"] >= n_docs
    assert got["team"]["counts"] == {
        "pages": 0,
        "rows": _demo_csv_rows(),
        "chunks": _demo_csv_rows(),
        "documents": 0,
    }
    questions = (DEMO / "faq.md").read_text().count("\n## ")
    assert got["faq"]["counts"]["chunks"] >= questions
    assert got["faq"]["counts"]["pages"] == got["faq"]["counts"]["documents"] == 0
    html_files = [p for p in DEMO_SITE.rglob("*.html") if p.name != "404.html"]
    assert got["site"]["counts"]["pages"] == len(html_files)
    assert got["site"]["counts"]["chunks"] >= len(html_files)


async def test_resync_of_an_unchanged_source_is_a_new_job_that_changes_nothing(
    demo, demo_synced, client, ws
):
    before = await get_source(client, ws.headers, demo.faq["id"])
    job = await sync_and_wait(client, ws.headers, demo.faq["id"])
    assert job["id"] != demo.faq["job_id"]
    assert job["status"] == "succeeded"
    first = demo_synced["faq"]["result"]
    assert job["result"]["unchanged"] == first["added"]
    assert job["result"]["added"] == job["result"]["chunks_embedded"] == 0
    after = await get_source(client, ws.headers, demo.faq["id"])
    assert after["counts"] == before["counts"] and after["version"] == before["version"]
    assert ts(after["last_synced_at"]) > ts(before["last_synced_at"])


async def _build(client: httpx.AsyncClient, ws: Any, bot_id: str) -> dict[str, Any]:
    resp = await client.post(f"/api/v1/chatbots/{bot_id}/build", headers=ws.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _link(client: httpx.AsyncClient, ws: Any, bot_id: str, links: dict[str, list]) -> None:
    resp = await client.put(f"/api/v1/chatbots/{bot_id}/buckets", json=links, headers=ws.headers)
    assert resp.status_code == 200, resp.text


async def test_build_is_ready_once_every_linked_source_is_and_records_the_kb_version(
    demo, demo_synced, client, ws, runtime
):
    bot = (
        await client.post("/api/v1/chatbots", json={"name": "Solvane"}, headers=ws.headers)
    ).json()
    links = {
        "guidance": [demo.site["id"]],
        "contact": [demo.team["id"], demo.site["id"]],
        "support": [demo.faq["id"], demo.site["id"], demo.docs["id"]],
        "doc_referral": [demo.docs["id"]],
    }
    await _link(client, ws, bot["id"], links)
    built = await _build(client, ws, bot["id"])
    assert built["ready"] is True
    assert {s["id"] for s in built["sources"]} == {
        demo.site["id"],
        demo.team["id"],
        demo.faq["id"],
        demo.docs["id"],
    }
    for entry in built["sources"]:
        source = await get_source(client, ws.headers, entry["id"])
        assert entry["status"] == "ready" and entry["counts"] == source["counts"]
    stored = (await client.get(f"/api/v1/chatbots/{bot['id']}", headers=ws.headers)).json()
    assert stored["kb_version"] == built["kb_version"]
    assert await _build(client, ws, bot["id"]) == built  # stable while nothing changes

    # A newly linked source is pending until its first sync: the build is not ready.
    resp = await client.post(
        "/api/v1/sources",
        headers=ws.headers,
        json={"type": "custom", "name": "Hours", "text": "## When are you open?\nWeekdays 9-17."},
    )
    hours = resp.json()
    await _link(client, ws, bot["id"], links | {"guidance": [demo.site["id"], hours["id"]]})
    pending = await _build(client, ws, bot["id"])
    assert pending["ready"] is False
    entry = next(s for s in pending["sources"] if s["id"] == hours["id"])
    assert entry["status"] in ("pending", "syncing")
    await wait_for_job(client, ws.headers, hours["job_id"])
    linked = await _build(client, ws, bot["id"])
    assert linked["ready"] is True and linked["kb_version"] != built["kb_version"]

    # Only the content of a linked source changes: a new version, recorded on the bot.
    async with runtime.db.connection() as conn:
        source = await sources_repo.get_source(conn, ws.id, _uuid(hours["id"]))
        assert source is not None
        await sources_repo.update_source_config(
            conn,
            ws.id,
            source.id,
            source.config | {"text": "## When are you open?\nWeekdays 8-18, Saturdays 10-14."},
        )
    job = await sync_and_wait(client, ws.headers, hours["id"])
    assert job["status"] == "succeeded" and job["result"]["chunks_embedded"] > 0
    changed = await _build(client, ws, bot["id"])
    assert changed["ready"] is True
    assert changed["kb_version"] not in (linked["kb_version"], built["kb_version"])
    stored = (await client.get(f"/api/v1/chatbots/{bot['id']}", headers=ws.headers)).json()
    assert stored["kb_version"] == changed["kb_version"]
    # An unchanged re-sync keeps the version.
    await sync_and_wait(client, ws.headers, hours["id"])
    assert (await _build(client, ws, bot["id"]))["kb_version"] == changed["kb_version"]


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


async def test_a_sheet_with_only_a_header_fails_and_keeps_the_build_not_ready(client, ws):
    sheet = (
        await client.post(
            "/api/v1/sources/upload",
            data={"type": "sheet", "name": "Empty team"},
            files={"file": ("team.csv", b"Name,Email,Phone\n", "text/csv")},
            headers=ws.headers,
        )
    ).json()
    job = await wait_for_job(client, ws.headers, sheet["job_id"])
    assert job["status"] == "failed"
    assert [e["message"] for e in job["errors"]] == ["the sheet has no rows under its header"]
    source = await get_source(client, ws.headers, sheet["id"])
    assert source["status"] == "failed"
    assert source["last_error"] == "the sheet has no rows under its header"
    assert source["last_synced_at"] is None
    assert source["counts"] == {"pages": 0, "rows": 0, "chunks": 0, "documents": 0}

    bot = (
        await client.post("/api/v1/chatbots", json={"name": "Team bot"}, headers=ws.headers)
    ).json()
    await _link(client, ws, bot["id"], {"contact": [sheet["id"]]})
    built = await _build(client, ws, bot["id"])
    assert built["ready"] is False
    assert built["sources"][0]["status"] == "failed"


async def test_a_website_where_nothing_listens_fails_with_a_clear_error(client, ws):
    url = f"http://127.0.0.1:{free_port()}/"
    resp = await client.post(
        "/api/v1/sources", json={"type": "website", "name": "Down", "url": url}, headers=ws.headers
    )
    job = await wait_for_job(client, ws.headers, resp.json()["job_id"])
    assert job["status"] == "failed"
    source = await get_source(client, ws.headers, resp.json()["id"])
    assert source["status"] == "failed"
    error = source["last_error"]
    assert "not crawled" in error and ("connect" in error.lower() or "refused" in error.lower())
    assert job["errors"] and job["errors"][0]["message"] == error
    assert source["counts"]["pages"] == 0


@pytest.fixture(scope="module")
def demo_http_site() -> Iterator[StaticSite]:
    """Serve the demo site folder over HTTP on a loopback port, in a thread."""
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            requests.append(self.path)

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(DEMO_SITE))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StaticSite(f"http://127.0.0.1:{server.server_address[1]}/", requests)
    finally:
        server.shutdown()
        server.server_close()


async def test_crawling_a_live_site_through_the_api_stops_at_max_pages(
    demo_http_site, client, ws, runtime
):
    resp = await client.post(
        "/api/v1/sources",
        headers=ws.headers,
        json={"type": "website", "name": "Live site", "url": demo_http_site.url, "max_pages": 5},
    )
    assert resp.status_code == 201, resp.text
    job = await wait_for_job(client, ws.headers, resp.json()["job_id"])
    assert job["status"] == "succeeded", job["errors"]
    source = await get_source(client, ws.headers, resp.json()["id"])
    assert source["status"] == "ready"
    assert source["counts"]["pages"] == 5 and source["counts"]["chunks"] >= 5
    pages_fetched = [p for p in demo_http_site.requests if p.endswith("/") or p.endswith(".html")]
    # A few fetches may be in flight when the limit is reached; the site has 40+ pages.
    assert 5 <= len(pages_fetched) <= 9, demo_http_site.requests
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT url, title, text FROM kb_pages WHERE source_id = %s", (_uuid(source["id"]),)
        )
        pages = await cur.fetchall()
    assert len(pages) == 5
    assert all(p["title"] and p["text"] for p in pages)
    assert any(p["url"].rstrip("/") == demo_http_site.url.rstrip("/") for p in pages)


async def test_jobs_and_sources_of_another_workspace_are_not_found(demo, client, other_ws):
    job = await client.get(f"/api/v1/jobs/{demo.faq['job_id']}", headers=other_ws.headers)
    assert job.status_code == 404
    sync = await client.post(f"/api/v1/sources/{demo.faq['id']}/sync", headers=other_ws.headers)
    assert sync.status_code == 404
    source = await client.get(f"/api/v1/sources/{demo.faq['id']}", headers=other_ws.headers)
    assert source.status_code == 404
