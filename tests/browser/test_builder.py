"""The builder at /ui/ in real Chromium: sign in, create, link, build, preview, upload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from signpost.protocol import BUCKET_ACCEPTS
from tests.browser.conftest import DemoServer, shot

pytestmark = pytest.mark.browser

CHAT = "#sp-preview signpost-chat"
JOB_TIMEOUT_MS = 120_000


def sign_in(page: Any, server: DemoServer) -> None:
    """Open the builder, get sent to the sign-in page, paste the demo key."""
    page.goto(f"{server.url}/ui/")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=/ui/chatbots$"))
    page.get_by_label("Workspace API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/ui/chatbots")


def demo_sources(server: DemoServer) -> dict[str, dict[str, Any]]:
    items = httpx.get(
        f"{server.url}/api/v1/sources?limit=100", headers=server.auth, timeout=10
    ).json()["items"]
    return {s["id"]: s for s in items}


def test_sign_in_with_a_wrong_key_shows_why(page, demo_server):
    page.goto(f"{demo_server.url}/ui/login")
    page.get_by_label("Workspace API key").fill("sp_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That key was not accepted")
    expect(page.get_by_label("Workspace API key")).to_have_attribute("aria-invalid", "true")
    shot(page, "builder-login-refused")


def test_create_link_build_and_chat_in_the_live_preview(page, demo_server):
    sign_in(page, demo_server)
    shot(page, "builder-chatbots")

    # create a bot through the form
    page.get_by_role("link", name="New chatbot").click()
    page.get_by_label("Name", exact=True).fill("Browser-made bot")
    page.get_by_label("Greeting").fill("Hello from the builder test!")
    page.get_by_label("Suggested questions").fill(
        "Where is your pricing page?\nWho do I call in Germany?"
    )
    page.get_by_label("Primary colour", exact=True).fill("#0f766e")
    shot(page, "builder-new-chatbot-form", full_page=True)
    page.get_by_role("button", name="Create chatbot").click()
    expect(page).to_have_url(re.compile(r"/ui/chatbots/[0-9a-f-]{36}$"))
    bot_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_role("status").first).to_contain_text("Created “Browser-made bot”")

    # Knowledge: each bucket offers only the source types it accepts
    page.get_by_role("navigation", name="Chatbot sections").get_by_role(
        "link", name="Knowledge"
    ).click()
    sources = demo_sources(demo_server)
    by_type: dict[str, list[str]] = {}
    for sid, s in sources.items():
        by_type.setdefault(s["type"], []).append(sid)
    for bucket, accepted in BUCKET_ACCEPTS.items():
        picker = page.locator(f"fieldset[data-bucket={bucket}]")
        offered = picker.locator("input[type=checkbox]").evaluate_all(
            "els => els.map(e => e.value)"
        )
        assert sorted(offered) == sorted(
            sid for sid in sources if sources[sid]["type"] in accepted
        ), bucket
        assert not any(sources[sid]["type"] not in accepted for sid in offered)
    assert page.locator("fieldset[data-bucket=doc_referral] input").count() == len(
        by_type["document"]
    )

    # link the demo's sources the way the demo bot has them
    wanted = {
        "guidance": by_type["website"],
        "contact": by_type["sheet"] + by_type["website"],
        "support": by_type["custom"] + by_type["website"] + by_type["document"],
        "doc_referral": by_type["document"],
    }
    for bucket, ids in wanted.items():
        for sid in ids:
            page.locator(f"fieldset[data-bucket={bucket}] input[value='{sid}']").check()
    shot(page, "builder-bucket-pickers", full_page=True)
    page.get_by_role("button", name="Save links").click()
    expect(page.get_by_role("status").first).to_contain_text("Sources linked")
    links = httpx.get(
        f"{demo_server.url}/api/v1/chatbots/{bot_id}/buckets", headers=demo_server.auth
    ).json()
    assert {b: sorted(v) for b, v in links.items()} == {b: sorted(v) for b, v in wanted.items()}

    page.get_by_role("button", name="Build knowledge base").click()
    expect(page.locator("#build-result")).to_contain_text("Ready — every linked source is synced")
    kb_version = httpx.get(
        f"{demo_server.url}/api/v1/chatbots/{bot_id}", headers=demo_server.auth
    ).json()["kb_version"]
    expect(page.locator("#build-result")).to_contain_text(kb_version)
    shot(page, "builder-built", full_page=True)

    # the live preview beside the settings form runs the real widget in preview mode
    page.get_by_role("link", name="Settings & preview").click()
    chat = page.locator(CHAT)
    chat.locator(".panel").wait_for(state="visible")
    expect(chat.locator(".title")).to_have_text("Browser-made bot")
    expect(chat.locator(".log")).to_contain_text("Hello from the builder test!")
    expect(chat.locator(".chip")).to_have_count(2)
    with page.expect_response(re.compile(rf"/api/v1/chatbots/{bot_id}/preview/turns$")) as turn:
        chat.locator("textarea").fill("where is your pricing page?")
        chat.locator("textarea").press("Enter")
    assert turn.value.status == 200
    answer = chat.locator(".msg.bot[data-turn]").last
    answer.wait_for()
    page.wait_for_function(
        "() => document.querySelector('#sp-preview signpost-chat').shadowRoot"
        ".querySelector('.log').getAttribute('aria-busy') === 'false'"
    )
    assert "/pricing/" in answer.locator(".links a.btn").first.get_attribute("href")
    trace = answer.get_by_role("link", name="View trace")
    expect(trace).to_have_attribute("href", re.compile(r"/ui/traces/[^/]+$"))
    trace_href = trace.get_attribute("href")
    assert answer.locator(".fb").count() == 0, "no feedback thumbs in the preview"
    shot(page, "builder-live-preview")

    # the conversation shows up as a preview conversation
    page.get_by_role("navigation", name="Chatbot sections").get_by_role(
        "link", name="Conversations"
    ).click()
    row = page.locator("tbody tr", has_text="where is your pricing page?")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("preview")
    page.get_by_role("link", name="Preview", exact=True).click()
    expect(page.locator("tbody tr", has_text="where is your pricing page?")).to_have_count(1)
    page.get_by_role("link", name="Live", exact=True).click()
    expect(page.locator("tbody tr")).to_have_count(0)
    page.get_by_role("link", name="All", exact=True).click()
    shot(page, "builder-conversations")
    page.get_by_role("link", name="where is your pricing page?").click()
    expect(page.locator(".transcript")).to_contain_text("where is your pricing page?")
    expect(page.locator(".transcript")).to_contain_text("page_navigator")
    assert page.get_by_role("link", name="View trace").first.get_attribute(
        "href"
    ) == trace_href.replace(demo_server.url, "")
    shot(page, "builder-transcript", full_page=True)


def test_upload_a_document_and_watch_its_sync_reach_ready(page, demo_server, tmp_path: Path):
    # several files, so the sync is usually still running when the page comes back
    files = []
    for i, city in enumerate(["Hamburg", "Munich", "Cologne", "Leipzig", "Bremen", "Dresden"]):
        doc = tmp_path / f"{'opening-hours' if i == 0 else f'showroom-{city.lower()}'}.md"
        doc.write_text(
            f"# Opening hours in {city}\n\nOur {city} showroom is open Monday to Saturday, "
            "9:00 to 18:00.\n\n"
            + "\n\n".join(
                f"## Service {n}\nThe {city} team offers consultation slot {n} every week."
                for n in range(40)
            )
        )
        files.append(str(doc))
    sign_in(page, demo_server)
    page.get_by_role("navigation", name="Builder").get_by_role("link", name="Sources").click()
    expect(page.locator("#sources tbody tr")).to_have_count(len(demo_sources(demo_server)))

    page.get_by_role("tab", name="Documents").click()
    form = page.locator("#add-upload-document")
    expect(form).to_be_visible()
    expect(page.locator("#add-website")).to_be_hidden()
    form.get_by_label("Name").fill("Showroom hours")
    form.get_by_label("Files").set_input_files(files)
    shot(page, "builder-upload-form")
    form.get_by_role("button", name="Upload documents").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "Uploaded “Showroom hours”; syncing now."
    )
    row = page.locator("#sources tbody tr", has_text="Showroom hours")
    expect(row).to_contain_text("6 files: opening-hours.md")
    page.evaluate("window.__samePage = true")
    if row.get_attribute("data-job"):
        expect(row.get_by_role("progressbar")).to_have_count(1)
        shot(page, "builder-upload-progress")
    # builder.js follows the job and refreshes the table in place when it ends
    expect(row.locator("[data-status] .badge")).to_have_text("ready", timeout=JOB_TIMEOUT_MS)
    assert page.evaluate("window.__samePage") is True, "no page reload was needed"
    expect(row).to_contain_text("6 documents")
    shot(page, "builder-upload-ready")
    source = next(s for s in demo_sources(demo_server).values() if s["name"] == "Showroom hours")
    assert source["type"] == "document" and source["status"] == "ready"

    # the new document is offered only by the buckets that accept documents
    page.goto(f"{demo_server.url}/ui/chatbots/{demo_server.chatbot_id}/knowledge")
    for bucket, accepted in BUCKET_ACCEPTS.items():
        offered = page.locator(f"fieldset[data-bucket={bucket}] input[value='{source['id']}']")
        expect(offered).to_have_count(1 if "document" in accepted else 0)
