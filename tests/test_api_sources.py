"""Sources and bucket links through the HTTP API: creation, uploads, validation, isolation."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.test_api_chatbots import count_rows

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


async def make_source(client, ws, **body):
    resp = await client.post("/api/v1/sources", json=body, headers=ws.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_json_sources_are_created_pending_with_zero_counts(client, ws):
    site = await make_source(
        client, ws, type="website", name="Site", url="https://acme.example/", max_pages=50
    )
    assert site["status"] == "pending"
    assert site["counts"] == {"pages": 0, "rows": 0, "chunks": 0, "documents": 0}
    assert site["config"]["url"] == "https://acme.example/" and site["config"]["max_pages"] == 50

    sheet = await make_source(
        client,
        ws,
        type="sheet",
        name="Team",
        spreadsheet="https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/edit#gid=0",
    )
    assert sheet["config"]["spreadsheet"] == "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    assert sheet["config"]["worksheet"] is None

    faq = await make_source(client, ws, type="custom", name="FAQ", text="## Q?\nA.")
    got = (await client.get(f"/api/v1/sources/{faq['id']}", headers=ws.headers)).json()
    assert got["config"]["text"] == "## Q?\nA."
    listed = (await client.get("/api/v1/sources?type=custom", headers=ws.headers)).json()
    assert [s["type"] for s in listed["items"]] == ["custom"]
    assert "text" not in listed["items"][0]["config"]  # lists stay small


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "website", "name": "x", "url": "ftp://acme.example"}, "url"),
        ({"type": "website", "name": "x", "url": "https://a.example", "max_pages": 0}, "max_pages"),
        ({"type": "sheet", "name": "x", "spreadsheet": "nope"}, "spreadsheet"),
        ({"type": "custom", "name": "x", "text": "   "}, "text"),
        ({"type": "custom", "name": "", "text": "x"}, "name"),
        ({"type": "document", "name": "x"}, "type"),
        ({"type": "custom", "name": "x", "text": "x", "extra": 1}, "extra"),
        (
            {"type": "website", "name": "x", "url": "https://a.example", "local_path": "/etc"},
            "local_path",
        ),
        ({"name": "x"}, "type"),
    ],
)
async def test_bad_source_bodies_are_refused_with_the_field_named(client, ws, runtime, body, words):
    before = await count_rows(runtime, "data_sources")
    resp = await client.post("/api/v1/sources", json=body, headers=ws.headers)
    assert resp.status_code == 422, resp.text
    assert words in resp.json()["message"]
    assert await count_rows(runtime, "data_sources") == before


async def test_document_upload_stores_files_and_reports_rejected_ones(client, ws, runtime):
    files = [
        ("file", ("brochure.pdf", MINIMAL_PDF, "application/pdf")),
        (
            "file",
            (
                "guide.docx",
                docx_bytes(),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ),
        ("file", ("notes.md", b"# Notes\nhello", "text/markdown")),
        ("file", ("broken.pdf", b"this is not a pdf", "application/pdf")),
        ("file", ("virus.exe", b"MZ...", "application/octet-stream")),
    ]
    resp = await client.post(
        "/api/v1/sources/upload",
        data={"type": "document", "name": "Docs"},
        files=files,
        headers=ws.headers,
    )
    assert resp.status_code == 201, resp.text
    src = resp.json()
    assert [f["filename"] for f in src["config"]["files"]] == [
        "brochure.pdf",
        "guide.docx",
        "notes.md",
    ]
    assert {r["filename"] for r in src["rejected_files"]} == {"broken.pdf", "virus.exe"}
    assert "not a valid PDF" in " ".join(r["message"] for r in src["rejected_files"])
    stored = list((runtime.settings.data_dir / "files" / "sources" / src["id"]).iterdir())
    assert len(stored) == 3


@pytest.mark.parametrize(
    ("form", "file", "status", "words"),
    [
        (
            {"type": "document", "name": "d"},
            ("x.pdf", b"not pdf", "application/pdf"),
            422,
            "not a valid PDF",
        ),
        (
            {"type": "document", "name": "d"},
            ("x.docx", b"PK\x03\x04broken", "application/x"),
            422,
            "DOCX",
        ),
        ({"type": "document", "name": "d"}, ("x.png", b"\x89PNG", "image/png"), 415, "accepted"),
        ({"type": "document", "name": "d"}, ("x.md", b"", "text/markdown"), 422, "empty"),
        ({"type": "sheet", "name": "s"}, ("x.csv", b"\n \n", "text/csv"), 422, "empty"),
        ({"type": "sheet", "name": "s"}, ("x.xlsx", b"garbage", "application/x"), 422, "XLSX"),
        ({"type": "sheet", "name": "s"}, ("x.xls", b"garbage", "application/x"), 415, ".csv"),
        ({"type": "website", "name": "s"}, ("x.csv", b"a,b", "text/csv"), 422, "type"),
        ({"type": "document"}, ("x.md", b"# hi", "text/markdown"), 422, "name"),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_written(
    client, ws, runtime, form, file, status, words
):
    before = await count_rows(runtime, "data_sources")
    resp = await client.post(
        "/api/v1/sources/upload", data=form, files={"file": file}, headers=ws.headers
    )
    assert resp.status_code == status, resp.text
    assert words in resp.json()["message"], resp.json()
    assert await count_rows(runtime, "data_sources") == before


async def test_upload_without_file_or_multipart_is_refused(client, ws):
    resp = await client.post(
        "/api/v1/sources/upload", data={"type": "document", "name": "d"}, headers=ws.headers
    )
    assert resp.status_code == 422 and "file" in resp.json()["message"]
    resp = await client.post(
        "/api/v1/sources/upload", json={"type": "document"}, headers=ws.headers
    )
    assert resp.status_code == 422 and "multipart" in resp.json()["message"]


async def test_oversize_upload_is_refused_with_413(client, ws, runtime):
    limit = runtime.settings.max_upload_bytes
    big = b"a," * ((limit // 2) + 1024 * 1024)
    resp = await client.post(
        "/api/v1/sources/upload",
        data={"type": "sheet", "name": "huge"},
        files={"file": ("big.csv", big, "text/csv")},
        headers=ws.headers,
    )
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"


async def test_sheet_upload_and_delete_removes_files_and_links(client, ws, runtime):
    sheet = (
        await client.post(
            "/api/v1/sources/upload",
            data={"type": "sheet", "name": "Team"},
            files={"file": ("team.csv", b"Name,Email\nAda,ada@x.example\n", "text/csv")},
            headers=ws.headers,
        )
    ).json()
    bot = (await client.post("/api/v1/chatbots", json={"name": "b"}, headers=ws.headers)).json()
    put = await client.put(
        f"/api/v1/chatbots/{bot['id']}/buckets", json={"contact": [sheet["id"]]}, headers=ws.headers
    )
    assert put.status_code == 200, put.text
    assert (
        await client.delete(f"/api/v1/sources/{sheet['id']}", headers=ws.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/sources/{sheet['id']}", headers=ws.headers)
    ).status_code == 404
    assert not (runtime.settings.data_dir / "files" / "sources" / sheet["id"]).exists()
    links = (await client.get(f"/api/v1/chatbots/{bot['id']}/buckets", headers=ws.headers)).json()
    assert links["contact"] == []


async def test_buckets_follow_the_type_rules_all_or_nothing(client, ws):
    site = await make_source(client, ws, type="website", name="Site", url="https://acme.example/")
    faq = await make_source(client, ws, type="custom", name="FAQ", text="Q: a?\nA: b.")
    doc = (
        await client.post(
            "/api/v1/sources/upload",
            data={"type": "document", "name": "Docs"},
            files={"file": ("a.md", b"# A\nbody", "text/markdown")},
            headers=ws.headers,
        )
    ).json()
    bot = (await client.post("/api/v1/chatbots", json={"name": "b"}, headers=ws.headers)).json()
    path = f"/api/v1/chatbots/{bot['id']}/buckets"

    good = {
        "guidance": [site["id"]],
        "contact": [faq["id"], site["id"]],
        "support": [faq["id"], doc["id"]],
        "doc_referral": [doc["id"]],
    }
    resp = await client.put(path, json=good, headers=ws.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == good
    assert (await client.get(path, headers=ws.headers)).json() == good

    # a document in guidance is refused, naming the accepted types; nothing changes
    bad = {**good, "guidance": [doc["id"]], "support": []}
    resp = await client.put(path, json=bad, headers=ws.headers)
    assert resp.status_code == 422
    assert "guidance accepts website, custom" in resp.json()["message"]
    assert (await client.get(path, headers=ws.headers)).json() == good

    for body, words in [
        ({"faq": [faq["id"]]}, "unknown bucket"),
        ({"support": faq["id"]}, "list"),
        ({"support": ["nope"]}, "not a source id"),
        ({"doc_referral": [site["id"]]}, "doc_referral accepts document"),
        (["x"], "object"),
    ]:
        resp = await client.put(path, json=body, headers=ws.headers)
        assert resp.status_code == 422, (body, resp.text)
        assert words in resp.json()["message"], resp.json()
    assert (await client.get(path, headers=ws.headers)).json() == good

    # leaving buckets out empties them
    resp = await client.put(path, json={"guidance": [site["id"]]}, headers=ws.headers)
    assert resp.json() == {
        "guidance": [site["id"]],
        "contact": [],
        "support": [],
        "doc_referral": [],
    }


async def test_other_workspaces_sources_are_invisible(client, ws, other_ws):
    mine = await make_source(client, ws, type="custom", name="secret", text="x")
    h = other_ws.headers
    assert (await client.get(f"/api/v1/sources/{mine['id']}", headers=h)).status_code == 404
    assert (await client.delete(f"/api/v1/sources/{mine['id']}", headers=h)).status_code == 404
    assert mine["id"] not in [
        s["id"] for s in (await client.get("/api/v1/sources", headers=h)).json()["items"]
    ]
    their_bot = (await client.post("/api/v1/chatbots", json={"name": "theirs"}, headers=h)).json()
    resp = await client.put(
        f"/api/v1/chatbots/{their_bot['id']}/buckets", json={"support": [mine["id"]]}, headers=h
    )
    assert resp.status_code == 404 and mine["id"] in resp.json()["message"]
    assert (
        await client.get(f"/api/v1/sources/{mine['id']}", headers=ws.headers)
    ).status_code == 200
