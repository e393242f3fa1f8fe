"""Fixtures for trace tests: a clone of the ingested Fernbrook company per module."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IngestedCompany, clone_company

BASE = "http://testserver.local"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracing-data")


@pytest.fixture(scope="module")
def db_dsn(pg: Any, company_b: IngestedCompany, data_dir: Path) -> str:
    return clone_company(pg, company_b, data_dir)


def auth(company: IngestedCompany) -> dict[str, str]:
    return {"Authorization": f"Bearer {company.api_key}"}


async def widget_turn(
    client: httpx.AsyncClient, company: IngestedCompany, message: str, thread_id: str | None = None
) -> dict[str, Any]:
    """Ask the published bot through the public widget API (JSON)."""
    body: dict[str, Any] = {"message": message}
    if thread_id:
        body["thread_id"] = thread_id
    resp = await client.post(
        f"/api/v1/widget/{company.public_key}/turns",
        json=body,
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def flushed(runtime: Any) -> None:
    """Wait until the background writer has written every finished trace."""
    assert await runtime.traces.flush(timeout=30)


async def signed_in(app: Any, key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar, signed in to the builder with the workspace key."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        login = await c.get("/ui/login")
        csrf = CSRF_META.search(login.text)
        assert csrf, "the sign-in page carries a CSRF token"
        resp = await c.post(
            "/ui/login", data={"csrf_token": csrf.group(1), "api_key": key, "next": "/ui/traces"}
        )
        assert resp.status_code == 303, resp.text
        yield c
