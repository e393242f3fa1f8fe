"""Browser tests: a real `signpost serve --seed-demo` process and Debian's Chromium via Playwright.

Chromium is never downloaded: `.ci/ensure-chromium` installs Debian's package and the tests
launch /usr/bin/chromium. When it is missing or does not start the tests fail with a clear
message; set SIGNPOST_SKIP_BROWSER=1 to skip them on a machine without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, create_database
from tests.test_serve import SIGNPOST, clean_env, free_port, stop, wait_ready

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "tests" / "output" / "screenshots"
INGEST_TIMEOUT_S = 240


@dataclass(frozen=True)
class DemoServer:
    """A running `signpost serve` with the demo seeded and its sources ingested."""

    url: str
    api_key: str
    public_key: str
    chatbot_id: str
    workspace_id: str
    data_dir: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def demo_url(self) -> str:
        return f"{self.url}/demo/{self.public_key}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _wait_for_sources(server: DemoServer, proc: subprocess.Popen[str]) -> None:
    """Poll the API until every seeded source is ingested (the server's job runner does it)."""
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("signpost serve exited while ingesting the demo sources")
        items = httpx.get(f"{server.url}/api/v1/sources", headers=server.auth, timeout=10).json()[
            "items"
        ]
        statuses = {s["name"]: s["status"] for s in items}
        failed = {s["name"]: s["last_error"] for s in items if s["status"] == "failed"}
        if failed:
            raise AssertionError(f"demo sources failed to ingest: {failed}")
        if items and all(v == "ready" for v in statuses.values()):
            return
        time.sleep(0.5)
    raise AssertionError(f"demo sources not ready after {INGEST_TIMEOUT_S}s: {statuses}")


@pytest.fixture(scope="session")
def demo_server(pg: Any, template_dsn: str) -> Iterator[DemoServer]:
    """Start `signpost serve --seed-demo` on a fresh database and wait for the demo's sources."""
    dsn = create_database(pg, template_dsn)
    data = Path(tempfile.mkdtemp(prefix="signpost-browser-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = SCREENSHOTS.parent / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [SIGNPOST, "serve", "--port", str(port), "--seed-demo"],
            env=clean_env(
                DATABASE_URL=dsn,
                SIGNPOST_DATA_DIR=str(data),
                SIGNPOST_PUBLIC_URL=url,
                SIGNPOST_LOG_LEVEL="WARNING",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_ready(f"{url}/readyz", proc, timeout=120)
        state = json.loads((data / "demo.json").read_text())
        server = DemoServer(
            url=url,
            api_key=state["api_key"],
            public_key=state["public_key"],
            chatbot_id=state["chatbot_id"],
            workspace_id=state["workspace_id"],
            data_dir=data,
        )
        _wait_for_sources(server, proc)
        yield server
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser(demo_server: DemoServer) -> Iterator[Any]:
    """Launch Debian's Chromium per module; fail (not skip) when it is missing or won't start.

    Playwright's sync API runs an event loop on this thread while the browser is open, so
    no async fixture can be set up meanwhile: the database fixtures come first (through the
    demo server, which every browser test uses) and the browser closes with its module,
    before the rest of the session's async fixtures.
    """
    if os.environ.get("SIGNPOST_SKIP_BROWSER") == "1":
        pytest.skip("SIGNPOST_SKIP_BROWSER=1: browser tests skipped")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Run .ci/ensure-chromium (it installs "
            "Debian's chromium package; `make test` does it first), or set "
            "SIGNPOST_SKIP_BROWSER=1 to skip the browser tests on this machine.",
            pytrace=False,
        )
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (own cookies and localStorage) and page per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        shot(page, f"FAILED-{request.node.name}")
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot under tests/output/screenshots/ (kept as a CI artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
