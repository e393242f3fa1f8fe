"""The embeddable widget on the demo page, driven in real Chromium against a real server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.conftest import DemoServer, shot

pytestmark = pytest.mark.browser

CHAT = "signpost-chat"


def open_chat(page: Any, server: DemoServer) -> Any:
    """Load the demo page and open the widget; return the widget's host locator."""
    page.goto(server.demo_url)
    page.locator(f"{CHAT} .launcher").click()
    page.locator(f"{CHAT} .panel").wait_for(state="visible")
    return page.locator(CHAT)


def wait_idle(page: Any) -> None:
    """Wait until no turn is running (the log's aria-busy is false)."""
    page.wait_for_function(
        "() => { const r = document.querySelector('signpost-chat')?.shadowRoot;"
        " return r && r.querySelector('.log').getAttribute('aria-busy') !== 'true'; }"
    )


def ask(page: Any, text: str) -> Any:
    """Type a question, press Enter, wait for the answer; return the last answer locator."""
    chat = page.locator(CHAT)
    answers = chat.locator(".msg.bot[data-turn]")
    before = answers.count()
    chat.locator("textarea").fill(text)
    chat.locator("textarea").press("Enter")
    answers.nth(before).wait_for()
    wait_idle(page)
    return answers.last


def shadow_style(page: Any, selector: str, prop: str) -> str:
    return page.evaluate(
        "([sel, prop]) => getComputedStyle(document.querySelector('signpost-chat')"
        ".shadowRoot.querySelector(sel)).getPropertyValue(prop)",
        [selector, prop],
    )


def stored_state(page: Any, server: DemoServer) -> dict[str, Any] | None:
    raw = page.evaluate("key => localStorage.getItem(key)", f"signpost:{server.public_key}")
    return json.loads(raw) if raw else None


def test_navigation_question_shows_link_buttons_and_feedback_is_recorded(page, demo_server):
    chat = open_chat(page, demo_server)
    assert chat.locator(".chip").count() == 4, "suggested questions show before the first message"
    answer = ask(page, "where is your pricing page?")
    links = answer.locator(".links a.btn")
    assert links.count() >= 1
    assert "/pricing/" in links.first.get_attribute("href")
    assert chat.locator(".chips").is_hidden(), "the chips go away once the visitor asked"
    with page.expect_response(re.compile(r"/feedback$")) as response:
        answer.get_by_role("button", name="Helpful answer").click()
    assert response.value.status == 200
    assert (
        answer.get_by_role("button", name="Helpful answer").get_attribute("aria-pressed") == "true"
    )
    assert answer.get_by_role("button", name="Not helpful").get_attribute("aria-pressed") == "false"
    shot(page, "widget-navigation-links")


def test_document_is_released_after_the_lead_form_and_the_history_survives_a_reload(
    page, demo_server
):
    chat = open_chat(page, demo_server)
    answer = ask(page, "Can I get your product portfolio?")
    form = answer.locator("form.form")
    assert form.is_visible()
    assert chat.locator("a[href*='/d/']").count() == 0, "no download link before the lead"
    # client-side validation: required and email format, without a round trip
    form.locator("input[name=email]").fill("not-an-email")
    form.get_by_role("button", name="Send").click()
    assert (
        "fill in"
        in form.locator(
            "#" + form.locator("input[name=name]").get_attribute("aria-describedby")
        ).inner_text()
    )
    assert form.locator("input[name=email]").get_attribute("aria-invalid") == "true"
    assert "valid email" in form.inner_text()
    shot(page, "widget-lead-form-validation")

    form.locator("input[name=name]").fill("Ada Lovelace")
    form.locator("input[name=email]").fill("ada@example.com")
    form.get_by_role("button", name="Send").click()
    download = chat.locator(".doc a[href*='/d/']")
    download.wait_for()
    wait_idle(page)
    assert "Link valid until" in chat.locator(".doc").last.inner_text()
    shot(page, "widget-document-released")

    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200
    assert response.body().startswith(b"%PDF"), response.headers

    thread = stored_state(page, demo_server)["t"]
    page.reload()
    page.locator(f"{CHAT} .launcher").click()
    restored = page.locator(CHAT)
    restored.locator(".doc a[href*='/d/']").wait_for()
    log = restored.locator(".log").inner_text()
    assert "Can I get your product portfolio?" in log
    assert "Details sent" in log
    assert restored.locator(".chips").is_hidden()
    assert restored.locator("form.form").count() == 0, "an answered lead form is not asked again"
    assert stored_state(page, demo_server)["t"] == thread
    shot(page, "widget-history-restored")


def test_an_unknown_stored_thread_starts_a_fresh_conversation(page, demo_server):
    page.add_init_script(
        f"localStorage.setItem('signpost:{demo_server.public_key}', "
        "JSON.stringify({t: 'thr_expired0000', f: {}}))"
    )
    chat = open_chat(page, demo_server)
    page.wait_for_function(f"() => !localStorage.getItem('signpost:{demo_server.public_key}')")
    assert chat.locator(".msg.user").count() == 0
    assert chat.locator(".chip").count() == 4
    chat.locator(".chip").first.click()
    chat.locator(".msg.bot[data-turn]").first.wait_for()
    assert stored_state(page, demo_server)["t"].startswith("thr_")


def test_keyboard_opens_with_enter_and_space_and_escape_returns_focus_to_the_launcher(
    page, demo_server
):
    page.goto(demo_server.demo_url)
    launcher = page.locator(f"{CHAT} .launcher")
    launcher.wait_for()
    focused = (
        "() => { const r = document.querySelector('signpost-chat').shadowRoot;"
        " const a = r.activeElement; return a ? a.className || a.tagName.toLowerCase() : null; }"
    )
    launcher.focus()
    page.keyboard.press("Enter")
    assert page.locator(f"{CHAT} .panel").is_visible()
    assert launcher.get_attribute("aria-expanded") == "true"
    assert page.evaluate(focused) == "textarea", "focus moves into the panel"
    assert page.locator(f"{CHAT} [role=log]").get_attribute("aria-live") == "polite"

    page.keyboard.type("who can I talk to about a quote in Germany?")
    page.keyboard.press("Enter")
    page.locator(f"{CHAT} .box a[href^='mailto:']").first.wait_for()
    wait_idle(page)
    assert page.locator(f"{CHAT} .box a[href^='tel:']").count() >= 1

    page.keyboard.press("Escape")
    assert page.locator(f"{CHAT} .panel").is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.evaluate(focused) == "launcher", "focus returns to the launcher"
    assert shadow_style(page, ".launcher:focus-visible", "outline-style") == "solid", (
        "the focused launcher shows a visible focus ring"
    )

    page.keyboard.press(" ")
    assert page.locator(f"{CHAT} .panel").is_visible(), "Space opens it too"
    shot(page, "widget-keyboard-contacts")


def test_host_page_css_neither_reaches_into_the_widget_nor_gains_globals_from_it(page, demo_server):
    page.add_init_script("window.__before = Object.keys(window)")
    open_chat(page, demo_server)
    # The demo page sets `* {font-family: Georgia !important}`, `button {text-transform:
    # uppercase; border-radius: 0 ... !important}`, `svg {width: 80px}` and hides [role=log].
    assert "Georgia" not in shadow_style(page, ".launcher", "font-family")
    assert "system-ui" in shadow_style(page, ".launcher", "font-family")
    assert shadow_style(page, ".launcher", "text-transform") == "none"
    assert shadow_style(page, ".launcher", "border-radius") == "26px"
    assert shadow_style(page, ".launcher", "background-color") == "rgb(37, 99, 235)"
    assert shadow_style(page, ".launcher svg", "width") == "18px"
    assert shadow_style(page, ".log", "display") == "flex"
    assert shadow_style(page, ".chip", "text-transform") == "none"
    assert shadow_style(page, "textarea", "box-sizing") == "border-box"
    # ...and the widget adds nothing to the page but its host element and one global.
    new_globals = page.evaluate(
        "() => Object.keys(window).filter(k => !window.__before.includes(k) && k !== '__before')"
    )
    assert new_globals == ["Signpost"]
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.hero button')).textTransform")
        == "uppercase"
    )
    assert page.evaluate("document.querySelectorAll('style').length") == 1, (
        "no styles leak into the page"
    )
    shot(page, "widget-hostile-host-css")


def test_cards_show_a_placeholder_when_the_image_fails_and_citations_list_sources(
    page, demo_server
):
    page.route(re.compile(r"\.(jpg|jpeg|png|webp)$"), lambda route: route.abort())
    chat = open_chat(page, demo_server)
    cards = ask(page, "show me your solar panels").locator(".card")
    assert cards.count() >= 1
    cards.first.locator(".thumb.ph svg").wait_for()
    assert cards.first.locator(".ct").inner_text()
    assert cards.first.locator("a.btn").get_attribute("href").startswith("https://")
    shot(page, "widget-product-cards")
    support = ask(page, "My battery shows error E-211")
    assert "Sources:" in support.locator(".cites").inner_text()
    assert chat.locator(".fb").count() == 2


def test_errors_show_a_retry_button_rate_limits_wait_and_retry_recovers(page, demo_server):
    chat = open_chat(page, demo_server)
    turns = re.compile(r"/turns$")

    page.route(
        turns,
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "2", "Content-Type": "application/json"},
            body=json.dumps({"code": "rate_limited", "message": "too many", "details": None}),
        ),
    )
    chat.locator("textarea").fill("where is your pricing page?")
    chat.locator("textarea").press("Enter")
    retry = chat.get_by_role("button", name="Retry")
    retry.wait_for()
    assert retry.is_disabled(), "a 429 waits for Retry-After before allowing a retry"
    assert "retry in" in chat.locator(".fail").inner_text()
    shot(page, "widget-rate-limited")
    page.unroute(turns)
    page.wait_for_function(
        "() => !document.querySelector('signpost-chat').shadowRoot"
        ".querySelector('.fail button').disabled",
        timeout=5000,
    )
    retry.click()
    chat.locator(".links a.btn").first.wait_for()
    assert chat.locator(".fail").count() == 0

    page.route(turns, lambda route: route.abort("internetdisconnected"))
    ask_box = chat.locator("textarea")
    ask_box.fill("who can I talk to about a quote in Germany?")
    ask_box.press("Enter")
    chat.get_by_role("button", name="Retry").wait_for()
    assert "could not reach" in chat.locator(".fail").inner_text()
    page.unroute(turns)
    chat.get_by_role("button", name="Retry").click()
    chat.locator(".box a[href^='mailto:']").first.wait_for()

    page.route(
        turns,
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body='event: turn.started\ndata: {"thread_id": "thr_x", "turn_id": "t", "trace_id": "x"}\n\n'
            'event: error\ndata: {"code": "turn_failed", "message": "The model is unavailable."}\n\n',
        ),
    )
    ask_box.fill("hello")
    ask_box.press("Enter")
    chat.get_by_role("button", name="Retry").wait_for()
    assert "The model is unavailable." in chat.locator(".fail").inner_text()
    shot(page, "widget-stream-error")
