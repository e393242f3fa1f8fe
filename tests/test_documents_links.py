"""Signed document links: signing, release to a lead, and the public download route end to end."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from api.controllers.documents import content_disposition, download_document
from ingestion.records import DocumentRecord
from services.documents import (
    LinkExpired,
    LinkInvalid,
    LinkSigner,
    content_type_for,
    release_documents,
)
from services.sources import Upload, create_uploaded_source
from signpost.errors import NotFound
from store import buckets, kb
from store import leads as repo
from tests.conftest import WorkspaceAuth, make_workspace

SECRET = "test-secret-" + "x" * 40
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PDF = (
    b"%PDF-1.4\n% Solvane portfolio\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    + bytes(range(256)) * 8
)
MARKDOWN = "# Präsentation\n\nÜbersicht der Speicher.\n".encode()
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def ids() -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    return uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def payload_of(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# -- LinkSigner --------------------------------------------------------------------------------
def test_sign_and_verify_round_trip():
    signer = LinkSigner(SECRET)
    ws, bot, lead, doc = ids()
    token, expires_at = signer.sign(bot, lead, doc, workspace_id=ws, now=NOW)
    assert expires_at == NOW + timedelta(hours=24)
    assert TOKEN_SHAPE.match(token) and len(token) <= 256
    claims = signer.verify(token, now=NOW + timedelta(hours=23, minutes=59))
    assert (claims.workspace_id, claims.chatbot_id, claims.lead_id, claims.document_id) == (
        ws,
        bot,
        lead,
        doc,
    )
    assert claims.expires_at == expires_at
    assert claims.key_id == signer.key_id and claims.key_id in token_payload_kid(token)


def token_payload_kid(token: str) -> str:
    return payload_of(token)["k"]


def test_tokens_expire_at_their_ttl():
    signer = LinkSigner(SECRET, ttl=timedelta(hours=2))
    ws, bot, lead, doc = ids()
    token, expires_at = signer.sign(bot, lead, doc, workspace_id=ws, now=NOW)
    assert expires_at == NOW + timedelta(hours=2)
    signer.verify(token, now=expires_at - timedelta(seconds=1))
    with pytest.raises(LinkExpired) as exc:
        signer.verify(token, now=expires_at)
    assert exc.value.status_code == 410
    past, _ = signer.sign(
        bot, lead, doc, workspace_id=ws, now=datetime.now(UTC) - timedelta(days=1)
    )
    with pytest.raises(LinkExpired):
        signer.verify(past)


def test_every_single_character_change_invalidates_the_token():
    signer = LinkSigner(SECRET)
    token, _ = signer.sign(*ids()[1:], workspace_id=uuid.uuid4(), now=NOW)
    for i, char in enumerate(token):
        if char == ".":
            continue
        other = BASE64URL[(BASE64URL.index(char) + 1) % 64]
        with pytest.raises(LinkInvalid):
            signer.verify(token[:i] + other + token[i + 1 :], now=NOW)


def test_flipping_a_byte_in_payload_or_signature_is_refused():
    signer = LinkSigner(SECRET)
    token, _ = signer.sign(*ids()[1:], workspace_id=uuid.uuid4(), now=NOW)
    payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[10] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    sig = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    sig[0] ^= 0x80
    forged_sig = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    for bad in (f"{forged}.{signature}", f"{payload}.{forged_sig}"):
        with pytest.raises(LinkInvalid) as exc:
            signer.verify(bad, now=NOW)
        assert exc.value.status_code == 403


def test_claims_cannot_be_swapped_to_another_document_or_extended():
    signer = LinkSigner(SECRET)
    ws, bot, lead, doc = ids()
    token, _ = signer.sign(bot, lead, doc, workspace_id=ws, now=NOW)
    payload, signature = token.split(".")
    other_doc = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    for change in ({"d": other_doc}, {"e": payload_of(token)["e"] + 86400 * 365}):
        claims = {**payload_of(token), **change}
        body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
        with pytest.raises(LinkInvalid):
            signer.verify(f"{body.rstrip(b'=').decode()}.{signature}", now=NOW)


def test_another_key_is_refused_and_rotation_keeps_old_links_working():
    old = LinkSigner(SECRET)
    token, _ = old.sign(*ids()[1:], workspace_id=uuid.uuid4(), now=NOW)
    with pytest.raises(LinkInvalid):
        LinkSigner("another-secret-" + "y" * 40).verify(token, now=NOW)
    rotated = LinkSigner("another-secret-" + "y" * 40, previous=[SECRET])
    assert rotated.verify(token, now=NOW).key_id == old.key_id
    fresh, _ = rotated.sign(*ids()[1:], workspace_id=uuid.uuid4(), now=NOW)
    assert payload_of(fresh)["k"] == rotated.key_id != old.key_id
    with pytest.raises(LinkInvalid):
        old.verify(fresh, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "a.b.c",
        "a..b",
        "eyJ2IjoxfQ",
        "eyJ2IjoxfQ.",
        ".abc",
        "x" * 2000 + ".y",
        "eyJ2IjoxfQ==.abc",
        "%2e%2e",
        "é.é",
        "eyJ2IjoxfQ.abc def",
        "bnVsbA.AAAA",
        "W10.AAAA",
    ],
)
def test_malformed_tokens_are_invalid_not_errors(token):
    with pytest.raises(LinkInvalid):
        LinkSigner(SECRET).verify(token, now=NOW)


def test_signer_refuses_an_empty_secret_or_ttl():
    with pytest.raises(ValueError):
        LinkSigner("")
    with pytest.raises(ValueError):
        LinkSigner(SECRET, ttl=timedelta(0))


def test_content_disposition_follows_rfc_6266():
    assert content_disposition("brochure.pdf") == 'attachment; filename="brochure.pdf"'
    assert content_disposition("Präsentation Ü.md") == (
        "attachment; filename=\"Prasentation U.md\"; filename*=UTF-8''Pr%C3%A4sentation%20%C3%9C.md"
    )
    assert content_disposition('a"b\\c.pdf').startswith('attachment; filename="a_b_c.pdf"')
    assert content_disposition("портфолио.pdf").startswith('attachment; filename="download.pdf";')


def test_content_type_comes_from_the_extension_then_a_sane_stored_type():
    assert content_type_for("x.pdf", "text/html") == "application/pdf"
    assert content_type_for("x.md", "") == "text/markdown"
    assert content_type_for("x.docx", "").startswith("application/vnd.openxmlformats")
    assert content_type_for("noext", "Application/Weird; x=1") == "application/weird"
    assert content_type_for("noext", "<script>") == "application/octet-stream"


# -- database fixtures -------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def runtime(settings, db_dsn):
    """A runtime with only what the route needs: the pool and file storage (no turn graph)."""
    from signpost.runtime import Runtime
    from store.db import Database
    from store.files import LocalFileStore

    db = await Database.open(settings, dsn=db_dsn)
    yield Runtime(
        settings=settings,
        db=db,
        files=LocalFileStore(settings.data_dir / "files"),
        space=None,
        chunk_table="",
    )  # type: ignore[arg-type]
    await db.close()


@dataclass
class World:
    """A workspace with a chatbot, a linked document source and a lead."""

    ws: WorkspaceAuth
    bot_id: uuid.UUID
    source_id: uuid.UUID
    pdf_id: uuid.UUID
    md_id: uuid.UUID
    failed_id: uuid.UUID
    unlinked_id: uuid.UUID
    lead_id: uuid.UUID
    pdf_key: str


async def add_document(conn, ws_id, source, index, doc_id, title, *, ready=True):
    entry = source.config["files"][index]
    record = (
        DocumentRecord(
            filename=entry["filename"], title=title, text="…", summary="", tags=[], chunks=[]
        )
        if ready
        else None
    )
    await kb.upsert_document(
        conn,
        ws_id,
        source.id,
        doc_id,
        file=entry,
        record=record,
        error=None if ready else "could not parse",
    )


async def build_world(runtime, name: str) -> World:
    from services.chatbots import ChatbotCreate, create_chatbot

    ws = await make_workspace(runtime, name)
    async with runtime.db.connection() as conn:
        bot = await create_chatbot(conn, ws.id, ChatbotCreate(name=f"{name} bot"))
        source, _ = await create_uploaded_source(
            conn,
            runtime.files,
            ws.id,
            kind="document",
            name="Brochures",
            uploads=[
                Upload("Solvane Portfolio 2026.pdf", "application/pdf", PDF),
                Upload("Präsentation Ü.md", "text/markdown", MARKDOWN),
                Upload("broken.pdf", "application/pdf", PDF),
            ],
        )
        other, _ = await create_uploaded_source(
            conn,
            runtime.files,
            ws.id,
            kind="document",
            name="Internal",
            uploads=[Upload("internal-pricing.pdf", "application/pdf", PDF)],
        )
        pdf_id, md_id, failed_id, unlinked_id = ids()
        await add_document(conn, ws.id, source, 0, pdf_id, "Product Portfolio 2026")
        await add_document(conn, ws.id, source, 1, md_id, "Präsentation")
        await add_document(conn, ws.id, source, 2, failed_id, "Broken", ready=False)
        await add_document(conn, ws.id, other, 0, unlinked_id, "Internal pricing")
        async with conn.transaction():
            await buckets.replace_bucket_links(
                conn, ws.id, bot.id, {"doc_referral": [source.id], "support": [other.id]}
            )
        lead = await repo.upsert_lead(conn, ws.id, bot.id, {"name": "Dana", "email": "dana@x.org"})
    return World(
        ws,
        bot.id,
        source.id,
        pdf_id,
        md_id,
        failed_id,
        unlinked_id,
        lead.lead_id,
        source.config["files"][0]["key"],
    )


@pytest.fixture(scope="module")
async def world(runtime) -> World:
    return await build_world(runtime, "Docs workspace")


@pytest.fixture(scope="module")
async def foreign(runtime) -> World:
    return await build_world(runtime, "Foreign workspace")


@pytest.fixture(scope="module")
async def client(runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The download route mounted on its own app, with the app's dependencies and error mapper."""
    from litestar import Litestar
    from litestar.datastructures import State
    from litestar.di import Provide

    from api.deps import provide_conn, provide_runtime
    from api.errors import EXCEPTION_HANDLERS

    app = Litestar(
        route_handlers=[download_document],
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "conn": Provide(provide_conn),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"runtime": runtime}),
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


def signer_of(runtime) -> LinkSigner:
    from api.controllers.documents import link_signer

    return link_signer(runtime)


async def release(runtime, world, doc_ids, *, now=None, lead_id=None, bot_id=None):
    async with runtime.db.connection() as conn:
        return await release_documents(
            conn,
            signer_of(runtime),
            runtime.settings.base_url,
            world.ws.id,
            bot_id or world.bot_id,
            lead_id or world.lead_id,
            doc_ids,
            "thread-1",
            now=now,
        )


# -- release_documents -------------------------------------------------------------------------
async def test_release_signs_only_ready_linked_documents_of_the_workspace(runtime, world, foreign):
    links = await release(
        runtime,
        world,
        [
            world.md_id,
            world.failed_id,
            world.unlinked_id,
            foreign.pdf_id,
            world.pdf_id,
            world.md_id,
        ],
        now=NOW,
    )
    assert [link.document_id for link in links] == [str(world.md_id), str(world.pdf_id)]
    assert [link.title for link in links] == ["Präsentation", "Product Portfolio 2026"]
    for link in links:
        assert link.url.startswith("http://testserver.local/d/")
        assert TOKEN_SHAPE.match(link.url.rsplit("/", 1)[1])
        assert link.expires_at == "2026-03-02T12:00:00Z"
    async with runtime.db.connection() as conn:
        lead = await repo.get_lead(conn, world.ws.id, world.lead_id)
    assert lead is not None
    assert {d.document_id for d in lead.documents} >= {world.md_id, world.pdf_id}
    assert world.failed_id not in {d.document_id for d in lead.documents}


async def test_links_never_carry_the_file_name_or_storage_key(runtime, world):
    (link,) = await release(runtime, world, [world.pdf_id])
    token = link.url.rsplit("/", 1)[1]
    decoded = json.dumps(payload_of(token))
    for secret in (
        "Solvane",
        "Portfolio",
        ".pdf",
        world.pdf_key,
        "sources/",
        str(world.source_id),
        world.source_id.hex,
        "000.pdf",
    ):
        assert secret not in token and secret not in decoded and secret not in link.url


async def test_release_to_a_lead_of_another_chatbot_is_refused(runtime, world, foreign):
    with pytest.raises(NotFound):
        await release(runtime, world, [world.pdf_id], lead_id=foreign.lead_id)
    assert await release(runtime, world, []) == []


# -- GET /d/{token} ----------------------------------------------------------------------------
async def test_download_streams_the_file_with_safe_headers_and_logs_it(runtime, world, client):
    (link,) = await release(runtime, world, [world.pdf_id])
    resp = await client.get(link.url, headers={"User-Agent": "Mozilla/5.0 test", "Accept": "*/*"})
    assert resp.status_code == 200, resp.text
    assert resp.content == PDF
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["content-length"] == str(len(PDF))
    assert resp.headers["content-disposition"] == (
        'attachment; filename="Solvane Portfolio 2026.pdf"'
    )
    assert resp.headers["cache-control"] == "private, no-store"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "no-referrer"
    async with runtime.db.connection() as conn:
        downloads = await repo.list_downloads(conn, world.ws.id, world.pdf_id)
    assert len(downloads) == 1
    assert (downloads[0].lead_id, downloads[0].chatbot_id) == (world.lead_id, world.bot_id)
    assert (downloads[0].ip, downloads[0].user_agent) == ("203.0.113.7", "Mozilla/5.0 test")


async def test_non_ascii_file_names_use_filename_star(runtime, world, client):
    (link,) = await release(runtime, world, [world.md_id])
    resp = await client.get(link.url)
    assert resp.status_code == 200
    assert resp.content == MARKDOWN
    assert resp.headers["content-type"].startswith("text/markdown")
    assert resp.headers["content-disposition"] == (
        'attachment; filename="Prasentation U.md"; '
        f"filename*=UTF-8''{quote('Präsentation Ü.md', safe='')}"
    )


async def downloads_of(runtime, world, doc_id) -> int:
    async with runtime.db.connection() as conn:
        return len(await repo.list_downloads(conn, world.ws.id, doc_id))


async def test_expired_link_is_410_json_or_a_page(runtime, world, client):
    (link,) = await release(
        runtime, world, [world.md_id], now=datetime.now(UTC) - timedelta(days=2)
    )
    before = await downloads_of(runtime, world, world.md_id)
    resp = await client.get(link.url, headers={"Accept": "application/json"})
    assert resp.status_code == 410
    body = resp.json()
    assert body["code"] == "link_expired" and set(body) == {"code", "message", "details"}
    assert resp.headers["cache-control"] == "private, no-store"
    page = await client.get(
        link.url,
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    assert page.status_code == 410
    assert page.headers["content-type"].startswith("text/html")
    assert "This download link has expired" in page.text and "24 hours" in page.text
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert await downloads_of(runtime, world, world.md_id) == before


async def test_tampered_or_foreign_link_is_403(runtime, world, client):
    (link,) = await release(runtime, world, [world.pdf_id])
    token = link.url.rsplit("/", 1)[1]
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    forged, _ = LinkSigner("attacker-" + "z" * 40).sign(
        world.bot_id, world.lead_id, world.pdf_id, workspace_id=world.ws.id
    )
    for bad in (flipped, forged, "not-a-token", "a.b"):
        resp = await client.get(f"/d/{bad}")
        assert resp.status_code == 403, bad
        assert resp.json()["code"] == "link_invalid"
    page = await client.get(f"/d/{flipped}", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "This download link is not valid" in page.text


async def test_link_for_a_document_never_released_to_the_lead_is_403(runtime, world, client):
    token, _ = signer_of(runtime).sign(
        world.bot_id, world.lead_id, world.unlinked_id, workspace_id=world.ws.id
    )
    resp = await client.get(f"/d/{token}")
    assert resp.status_code == 403


async def test_link_across_workspaces_is_403(runtime, world, foreign, client):
    # Genuinely signed, but the lead and document belong to another workspace than claimed.
    token, _ = signer_of(runtime).sign(
        foreign.bot_id, foreign.lead_id, foreign.pdf_id, workspace_id=world.ws.id
    )
    assert (await client.get(f"/d/{token}")).status_code == 403


async def test_deleted_document_is_404_and_deleted_lead_is_403(runtime, client):
    world = await build_world(runtime, "Deleting workspace")
    (pdf_link,) = await release(runtime, world, [world.pdf_id])
    (md_link,) = await release(runtime, world, [world.md_id])
    async with runtime.db.connection() as conn:
        await kb.delete_items(conn, "kb_documents", world.ws.id, [world.pdf_id])
    resp = await client.get(pdf_link.url)
    assert resp.status_code == 404 and resp.json()["code"] == "document_not_found"
    page = await client.get(pdf_link.url, headers={"Accept": "text/html"})
    assert page.status_code == 404 and "no longer available" in page.text

    async with runtime.db.connection() as conn:
        await conn.execute(
            "DELETE FROM leads WHERE workspace_id = %s AND id = %s", (world.ws.id, world.lead_id)
        )
    assert (await client.get(md_link.url)).status_code == 403


async def test_missing_file_on_disk_is_404(runtime, client):
    world = await build_world(runtime, "Missing file workspace")
    (link,) = await release(runtime, world, [world.pdf_id])
    runtime.files.delete(world.pdf_key)
    assert (await client.get(link.url)).status_code == 404
