"""The builder pages at /ui/: sign-in, CSRF, the chatbot form, bucket pickers, every page renders.

Runs the real app over ASGI on a clone of the ingested Fernbrook company (all four source
types, linked buckets, a gated document), each test with its own cookie jar like a browser.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IngestedCompany, clone_company

BASE = "http://testserver.local"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-data")


@pytest.fixture(scope="module")
def db_dsn(pg: Any, company_b: IngestedCompany, data_dir: Path) -> str:
    return clone_company(pg, company_b, data_dir)


@pytest.fixture(scope="module")
def app(runtime: Any) -> Any:
    from api.app import create_app

    return create_app(runtime=runtime)


@pytest.fixture
async def visitor(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar, like a fresh browser profile."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


@dataclass
class Builder:
    """A signed-in builder session: the client (cookie jar) and the session's CSRF token."""

    client: httpx.AsyncClient
    csrf: str

    async def post(
        self, path: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        """Post a form with the session's CSRF token, as the page would."""
        return await self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)


def csrf_of(page: str) -> str:
    found = CSRF_META.search(page)
    assert found, "every page carries the session's CSRF token in <meta name=csrf-token>"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, key: str) -> Builder:
    login = await client.get("/ui/login")
    assert login.status_code == 200
    resp = await client.post(
        "/ui/login",
        data={"csrf_token": csrf_of(login.text), "api_key": key, "next": "/ui/chatbots"},
    )
    assert resp.status_code == 303, resp.text
    page = await client.get(resp.headers["location"])
    assert page.status_code == 200
    return Builder(client, csrf_of(page.text))


@pytest.fixture
async def builder(visitor: httpx.AsyncClient, company_b: IngestedCompany) -> Builder:
    return await sign_in(visitor, company_b.api_key)


def text_of(page: str) -> str:
    """Return the page's visible text, whitespace collapsed (for message assertions)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


async def bot_count(runtime: Any, workspace_id: uuid.UUID) -> int:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM chatbots WHERE workspace_id = %s", (workspace_id,)
        )
        return int((await cur.fetchone())["n"])


# ------------------------------------------------------------------ sign-in


async def test_login_refuses_a_wrong_key_with_401_and_says_why(visitor):
    login = await visitor.get("/ui/login")
    resp = await visitor.post(
        "/ui/login", data={"csrf_token": csrf_of(login.text), "api_key": "sp_not-a-real-key"}
    )
    assert resp.status_code == 401
    assert "That key was not accepted" in text_of(resp.text)
    assert 'aria-invalid="true"' in resp.text
    assert (await visitor.get("/ui/chatbots")).status_code == 303, "no session was started"


async def test_login_with_the_workspace_key_starts_a_session_and_continues_to_next(
    visitor, company_b
):
    login = await visitor.get("/ui/login?next=/ui/sources")
    assert 'name="next" value="/ui/sources"' in login.text
    resp = await visitor.post(
        "/ui/login",
        data={
            "csrf_token": csrf_of(login.text),
            "api_key": company_b.api_key,
            "next": "/ui/sources",
        },
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/sources"
    cookie = resp.headers["set-cookie"]
    assert (
        "signpost_session" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    )
    assert company_b.api_key not in cookie, "the session cookie is encrypted"
    page = await visitor.get("/ui/sources")
    assert page.status_code == 200 and "Fernbrook" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # signed in: the login page moves on; an off-site `next` is ignored
    again = await visitor.get("/ui/login?next=https://evil.example/")
    assert again.status_code == 302 and again.headers["location"] == "/ui/chatbots"


async def test_sign_out_ends_the_session(builder):
    resp = await builder.post("/ui/logout")
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/login"
    after = await builder.client.get("/ui/chatbots")
    assert after.status_code == 303


@pytest.mark.parametrize(
    "path",
    [
        "/ui/chatbots",
        "/ui/chatbots/new",
        "/ui/sources",
        "/ui/chatbots/00000000-0000-0000-0000-000000000000/knowledge",
    ],
)
async def test_pages_send_a_signed_out_browser_to_the_login_page(visitor, path):
    resp = await visitor.get(path)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/ui/login?next=" + path


async def test_a_revoked_key_ends_the_session_at_once(visitor, runtime, company_b):
    from tests.conftest import make_workspace

    other = await make_workspace(runtime, "Short-lived")
    await sign_in(visitor, other.key)
    assert (await visitor.get("/ui/chatbots")).status_code == 200
    async with runtime.db.connection() as conn:
        await conn.execute("DELETE FROM api_keys WHERE workspace_id = %s", (other.id,))
    assert (await visitor.get("/ui/chatbots")).status_code == 303


# ------------------------------------------------------------------ CSRF


async def test_a_form_posted_without_the_csrf_token_is_refused_and_changes_nothing(
    builder, runtime, company_b
):
    before = await bot_count(runtime, company_b.workspace_id)
    form = {"name": "Sneaky bot", "status": "draft", "primary_color": "#112233"}
    missing = await builder.client.post("/ui/chatbots/new", data=form)
    forged = await builder.client.post("/ui/chatbots/new", data={**form, "csrf_token": "x" * 32})
    for resp in (missing, forged):
        assert resp.status_code == 403
        assert "This form has expired" in text_of(resp.text)
    deleted = await builder.client.post(f"/ui/chatbots/{company_b.chatbot_id}/delete")
    assert deleted.status_code == 403
    assert await bot_count(runtime, company_b.workspace_id) == before
    assert (await builder.client.get(f"/ui/chatbots/{company_b.chatbot_id}")).status_code == 200


async def test_the_api_takes_the_session_cookie_for_reads_and_wants_the_csrf_header_for_writes(
    builder, company_b
):
    client = builder.client
    got = await client.get(f"/api/v1/chatbots/{company_b.chatbot_id}")
    assert got.status_code == 200 and got.json()["name"] == "Fernbrook Helper"
    no_header = await client.patch(
        f"/api/v1/chatbots/{company_b.chatbot_id}", json={"greeting": "Changed without a token"}
    )
    assert no_header.status_code == 403
    assert "CSRF" in no_header.json()["message"]
    ok = await client.patch(
        f"/api/v1/chatbots/{company_b.chatbot_id}",
        json={"greeting": "Hello from the builder"},
        headers={"X-CSRF-Token": builder.csrf},
    )
    assert ok.status_code == 200 and ok.json()["greeting"] == "Hello from the builder"
    # without any session or key the API still answers 401
    async with httpx.AsyncClient(transport=client._transport, base_url=BASE) as anonymous:
        assert (await anonymous.get(f"/api/v1/chatbots/{company_b.chatbot_id}")).status_code == 401


# ------------------------------------------------------------------ the chatbot form

NEW_BOT = {
    "name": "Clinic helper",
    "status": "draft",
    "greeting": "Hi! Ask me about our clinics.",
    "suggested_questions": "Where are you?\r\nAre you open on Sundays?\r\n",
    "primary_color": "#0f766e",
    "launcher_text": "Ask us",
    "position": "bottom-left",
    "allowed_origins": "https://www.fernbrookvets.example\r\n",
    # the usual fields as the form lists them, plus a custom one
    "lf-0-name": "name",
    "lf-0-known": "1",
    "lf-0-on": "1",
    "lf-0-label": "Your name",
    "lf-0-type": "text",
    "lf-1-name": "email",
    "lf-1-known": "1",
    "lf-1-on": "1",
    "lf-1-label": "Work email",
    "lf-1-required": "1",
    "lf-1-type": "email",
    "lf-2-name": "phone",
    "lf-2-known": "1",
    "lf-2-label": "Phone",
    "lf-2-type": "tel",
    "lf-3-name": "pet_name",
    "lf-3-label": "Your pet's name",
    "lf-3-type": "text",
}


async def test_creating_a_chatbot_through_the_form_saves_every_setting(builder, company_b):
    page = await builder.client.get("/ui/chatbots/new")
    assert page.status_code == 200
    for field in (
        "name",
        "greeting",
        "suggested_questions",
        "primary_color",
        "allowed_origins",
        "lf-0-name",
        "lf-0-on",
        "lf-0-label",
        "lf-0-required",
        "icon",
    ):
        assert f'name="{field}"' in page.text, field
    resp = await builder.post("/ui/chatbots/new", NEW_BOT)
    assert resp.status_code == 303, text_of(resp.text)
    location = resp.headers["location"]
    bot_id = location.rsplit("/", 1)[-1]
    bot = (await builder.client.get(f"/api/v1/chatbots/{bot_id}")).json()
    assert bot["name"] == "Clinic helper" and bot["status"] == "draft"
    assert bot["suggested_questions"] == ["Where are you?", "Are you open on Sundays?"]
    assert bot["ui"] == {
        "primary_color": "#0f766e",
        "position": "bottom-left",
        "launcher_text": "Ask us",
    }
    assert bot["allowed_origins"] == ["https://www.fernbrookvets.example"]
    assert [(f["name"], f["label"], f["required"]) for f in bot["lead_fields"]] == [
        ("name", "Your name", False),
        ("email", "Work email", True),
        ("pet_name", "Your pet's name", False),
    ]
    page = await builder.client.get(location)
    assert "Created “Clinic helper”" in text_of(page.text)
    # the live preview runs the real widget in preview mode for this bot
    assert f'src="/widget.js" data-preview-chatbot="{bot_id}"' in page.text
    assert f'data-csrf="{builder.csrf}"' in page.text


async def test_an_invalid_form_comes_back_with_422_messages_and_the_typed_values(
    builder, runtime, company_b
):
    before = await bot_count(runtime, company_b.workspace_id)
    bad = {
        **NEW_BOT,
        "name": "Kept name",
        "primary_color": "teal",
        "allowed_origins": "https://ok.example\r\nnot a url\r\n",
    }
    resp = await builder.post("/ui/chatbots/new", bad)
    assert resp.status_code == 422
    text = text_of(resp.text)
    assert "Please fix the highlighted fields" in text
    assert 'id="err-primary_color"' in resp.text and 'id="err-allowed_origins"' in resp.text
    assert "'not a url' is not an origin" in text, "the origin error names the bad line"
    assert 'value="Kept name"' in resp.text and 'value="teal"' in resp.text
    assert "not a url" in resp.text and "Your pet&#39;s name" in resp.text
    assert await bot_count(runtime, company_b.workspace_id) == before

    blank = await builder.post("/ui/chatbots/new", {**NEW_BOT, "name": "  "})
    assert blank.status_code == 422 and 'id="err-name"' in blank.text


async def test_saving_settings_updates_the_bot_and_an_invalid_save_keeps_the_old_values(
    builder, company_b
):
    bot_path = f"/ui/chatbots/{company_b.chatbot_id}"
    page = await builder.client.get(bot_path)
    assert 'value="Fernbrook Helper"' in page.text
    saved = await builder.post(
        bot_path,
        {
            **NEW_BOT,
            "name": "Fernbrook Helper",
            "status": "published",
            "greeting": "Welcome to Fernbrook",
        },
    )
    assert saved.status_code == 303
    bot = (await builder.client.get(f"/api/v1/chatbots/{company_b.chatbot_id}")).json()
    assert bot["greeting"] == "Welcome to Fernbrook" and bot["status"] == "published"
    refused = await builder.post(
        bot_path,
        {**NEW_BOT, "name": "Fernbrook Helper", "status": "published", "primary_color": "#12"},
    )
    assert refused.status_code == 422
    assert (await builder.client.get(f"/api/v1/chatbots/{company_b.chatbot_id}")).json()["ui"][
        "primary_color"
    ] == "#0f766e"


async def test_the_lead_sheet_is_set_checked_and_turned_off_in_the_settings_form(
    builder, company_b
):
    bot_path = f"/ui/chatbots/{company_b.chatbot_id}"
    api_path = f"/api/v1/chatbots/{company_b.chatbot_id}"
    form = {**NEW_BOT, "name": "Fernbrook Helper", "status": "published"}
    refused = await builder.post(
        bot_path, {**form, "lead_sheet_spreadsheet": "https://x.example/a"}
    )
    assert refused.status_code == 422 and "Google Sheets URL" in text_of(refused.text)
    assert (await builder.client.get(api_path)).json()["lead_sheet"] is None
    sheet = "https://docs.google.com/spreadsheets/d/1AbcLeadSheet/edit"
    saved = await builder.post(
        bot_path, {**form, "lead_sheet_spreadsheet": sheet, "lead_sheet_worksheet": "Leads"}
    )
    assert saved.status_code == 303
    assert (await builder.client.get(api_path)).json()["lead_sheet"] == {
        "spreadsheet": sheet,
        "worksheet": "Leads",
    }
    assert f'value="{sheet}"' in (await builder.client.get(bot_path)).text
    off = await builder.post(bot_path, {**form, "lead_sheet_spreadsheet": ""})
    assert off.status_code == 303
    assert (await builder.client.get(api_path)).json()["lead_sheet"] is None


# ------------------------------------------------------------------ knowledge buckets


async def source_types(client: httpx.AsyncClient) -> dict[str, str]:
    items = (await client.get("/api/v1/sources?limit=100")).json()["items"]
    return {s["id"]: s["type"] for s in items}


async def test_bucket_pickers_offer_only_the_types_each_bucket_accepts(builder, company_b):
    from signpost.protocol import BUCKET_ACCEPTS

    types = await source_types(builder.client)
    page = await builder.client.get(f"/ui/chatbots/{company_b.chatbot_id}/knowledge")
    assert page.status_code == 200
    for bucket, accepted in BUCKET_ACCEPTS.items():
        offered = set(re.findall(rf'name="{bucket}" value="([0-9a-f-]+)"', page.text))
        assert offered == {sid for sid, t in types.items() if t in accepted}, bucket
    checked = re.findall(r'name="doc_referral" value="([0-9a-f-]+)" checked', page.text)
    assert checked == [str(company_b.source_ids["docs"])], "current links are ticked"


async def test_the_bucket_form_refuses_a_source_of_the_wrong_type_and_keeps_the_links(
    builder, company_b
):
    docs, site = str(company_b.source_ids["docs"]), str(company_b.source_ids["site"])
    before = (await builder.client.get(f"/api/v1/chatbots/{company_b.chatbot_id}/buckets")).json()
    resp = await builder.post(
        f"/ui/chatbots/{company_b.chatbot_id}/buckets",
        {"guidance": [site, docs], "doc_referral": [docs]},
    )
    assert resp.status_code == 422
    assert "guidance accepts website, custom sources" in text_of(resp.text)
    assert "is a document source" in text_of(resp.text)
    after = (await builder.client.get(f"/api/v1/chatbots/{company_b.chatbot_id}/buckets")).json()
    assert after == before


async def test_linking_and_building_shows_the_knowledge_base_version(builder, company_b):
    ids = {k: str(v) for k, v in company_b.source_ids.items()}
    resp = await builder.post(
        f"/ui/chatbots/{company_b.chatbot_id}/buckets",
        {
            "guidance": [ids["site"]],
            "contact": [ids["team"]],
            "support": [ids["faq"], ids["site"], ids["docs"]],
            "doc_referral": [ids["docs"]],
        },
    )
    assert resp.status_code == 303
    built = await builder.post(f"/ui/chatbots/{company_b.chatbot_id}/build")
    assert built.status_code == 303
    page = await builder.client.get(built.headers["location"].split("#")[0])
    text = text_of(page.text)
    assert "Ready — every linked source is synced" in text
    version = (await builder.client.get(f"/api/v1/chatbots/{company_b.chatbot_id}")).json()[
        "kb_version"
    ]
    assert version and version in text


# ------------------------------------------------------------------ sources


async def test_adding_custom_text_starts_a_sync_that_the_page_tracks(builder, runtime):
    resp = await builder.post(
        "/ui/sources",
        {
            "type": "custom",
            "name": "Parking FAQ",
            "text": "## Is there parking?\nYes, free parking behind every clinic.",
        },
    )
    assert resp.status_code == 303
    page = await builder.client.get("/ui/sources")
    assert "Added “Parking FAQ”; syncing now." in text_of(page.text)
    await runtime.jobs.wait_idle(60)
    items = (await builder.client.get("/api/v1/sources?limit=100")).json()["items"]
    parking = next(s for s in items if s["name"] == "Parking FAQ")
    assert parking["status"] == "ready"


async def test_a_bad_source_is_not_added_and_the_form_says_why(builder):
    resp = await builder.post("/ui/sources", {"type": "website", "name": "Site", "url": "ftp://x"})
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/sources#add-website"
    page = await builder.client.get("/ui/sources")
    assert "The source was not added" in text_of(page.text)
    assert 'value="ftp://x"' in page.text, "the typed URL is kept"

    upload = await builder.client.post(
        "/ui/sources/upload",
        data={"csrf_token": builder.csrf, "type": "document", "name": "Bad"},
        files={"file": ("notes.exe", b"MZ\x00\x01", "application/octet-stream")},
    )
    assert upload.status_code == 303
    page = await builder.client.get("/ui/sources")
    assert ".exe files are not accepted for document sources" in text_of(page.text)


# ------------------------------------------------------------------ every page, with real data


async def preview_turn(builder: Builder, bot_id: Any, body: dict[str, Any]) -> dict[str, Any]:
    resp = await builder.client.post(
        f"/api/v1/chatbots/{bot_id}/preview/turns",
        json=body,
        headers={"X-CSRF-Token": builder.csrf, "Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_every_page_renders_with_real_data(builder, company_b, app):
    bot = company_b.chatbot_id
    first = await preview_turn(
        builder,
        bot,
        {"message": "do you have some kind of welcome pack for new clients i could read"},
    )
    assert any(b["type"] == "lead_form" for b in first["ui_blocks"]), first
    second = await preview_turn(
        builder,
        bot,
        {
            "thread_id": first["thread_id"],
            "lead": {
                "name": "Jamie Park",
                "email": "jamie.park@example.com",
                "phone": "(503) 555-0199",
            },
        },
    )
    assert any(b["type"] == "documents" for b in second["ui_blocks"]), second
    thread = first["thread_id"]

    pages = {
        "/ui/chatbots": ["Fernbrook Helper", f"/ui/chatbots/{bot}/knowledge"],
        "/ui/chatbots/new": ["New chatbot", "Create chatbot"],
        f"/ui/chatbots/{bot}": ["Live preview", "data-preview-chatbot", "Embed code"],
        f"/ui/chatbots/{bot}/knowledge": ["Capability buckets", "Build knowledge base"],
        "/ui/sources": ["All sources", "Add website", "Upload documents"],
        f"/ui/chatbots/{bot}/conversations": [thread, "welcome pack"],
        f"/ui/chatbots/{bot}/conversations?mode=preview": [thread],
        f"/ui/chatbots/{bot}/conversations/{thread}": [
            "Submitted the lead form",
            "document_referral",
            f"/ui/traces/{first['trace_id']}",
            f"/ui/traces/{second['trace_id']}",
            "Documents released",
        ],
        f"/ui/chatbots/{bot}/leads": [
            "jamie.park@example.com",
            "New Client Welcome Guide",
            f"/api/v1/chatbots/{bot}/leads/export.csv",
        ],
    }
    for path, wanted in pages.items():
        resp = await builder.client.get(path)
        assert resp.status_code == 200, (path, resp.text[:500])
        assert 'href="/ui/traces"' in resp.text and "/static/builder.js" in resp.text
        for snippet in wanted:
            assert snippet in resp.text, (path, snippet)
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", resp.text)
        assert not inline, f"no inline scripts (the CSP forbids them): {path}"

    live = await builder.client.get(f"/ui/chatbots/{bot}/conversations?mode=live")
    assert thread not in live.text, "the mode filter hides preview conversations"

    export = await builder.client.get(f"/api/v1/chatbots/{bot}/leads/export.csv")
    assert export.status_code == 200 and "jamie.park@example.com" in export.text

    missing = await builder.client.get(f"/ui/chatbots/{uuid.uuid4()}")
    assert missing.status_code == 404 and "Not found" in text_of(missing.text)
    other_thread = await builder.client.get(f"/ui/chatbots/{bot}/conversations/nope")
    assert other_thread.status_code == 404

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as fresh:
        login = await fresh.get("/ui/login")
    assert login.status_code == 200 and 'name="api_key"' in login.text
