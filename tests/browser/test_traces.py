"""The trace viewer in real Chromium: a widget turn's trace opens as a waterfall."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DemoServer, shot
from tests.browser.test_builder import sign_in
from tests.browser.test_widget import ask, open_chat

pytestmark = pytest.mark.browser


def wait_for_trace(server: DemoServer, trace_id: str, timeout_s: float = 20) -> dict[str, Any]:
    """Poll the API until the background writer has stored the trace."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        resp = httpx.get(f"{server.url}/api/v1/traces/{trace_id}", headers=server.auth, timeout=10)
        if resp.status_code == 200:
            return resp.json()  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"trace {trace_id} was not stored within {timeout_s}s")


def test_a_widget_turns_trace_opens_as_a_waterfall_with_its_feedback(page, demo_server):
    chat = open_chat(page, demo_server)
    answer = ask(page, "how long is the warranty on inverters?")
    with page.expect_response(re.compile(r"/feedback$")) as response:
        answer.get_by_role("button", name="Helpful answer").click()
    trace_id = response.value.json()["trace_id"]
    assert chat.count() == 1
    tree = wait_for_trace(demo_server, trace_id)

    sign_in(page, demo_server)
    page.get_by_role("link", name="Traces").click()
    expect(page).to_have_url(f"{demo_server.url}/ui/traces")
    expect(page.locator(f'a[href="/ui/traces/{trace_id}"]')).to_be_visible()
    shot(page, "trace-list")
    page.locator(f'a[href="/ui/traces/{trace_id}"]').click()
    expect(page).to_have_url(f"{demo_server.url}/ui/traces/{trace_id}")

    runs = page.locator("details.wf-run")
    expect(runs).to_have_count(len(tree["runs"]))
    expect(page.locator('.tr-summary .tr-chip.up[data-feedback="user_score"]')).to_contain_text(
        "Helpful"
    )
    for run_type in ("chain", "tool", "retriever", "embedding"):
        assert page.locator(f'details.wf-run[data-run-type="{run_type}"]').count() >= 1
    # bars are offset from the root's start and nested by depth
    track = page.locator("details.wf-run .wf-track").first.bounding_box()
    root_bar = page.locator("details.wf-run .wf-bar").first.bounding_box()
    assert root_bar["width"] > 0.95 * track["width"]
    retriever = page.locator('details.wf-run[data-run-type="retriever"]').first
    bar = retriever.locator(".wf-bar").bounding_box()
    assert bar["x"] > root_bar["x"] and bar["width"] < root_bar["width"]
    label = retriever.locator(".wf-label").bounding_box()
    root_label = page.locator("details.wf-run .wf-name").first.bounding_box()
    assert retriever.locator(".wf-name").bounding_box()["x"] > root_label["x"]
    assert label["width"] > 0
    # a run opens to its inputs and outputs as JSON
    retriever.locator("summary").first.click()
    inputs = retriever.locator("details.wf-json", has_text="Inputs")
    inputs.locator("summary").click()
    expect(inputs.locator("pre")).to_contain_text('"query"')
    shot(page, "trace-waterfall", full_page=True)
