"""Rows cached per knowledge version: repeat lookups skip the database, a new version misses."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tools import kb_cache


class CountingFetch:
    """Loads id → label from Postgres (only ids it knows) and records every call."""

    def __init__(self, known: dict[uuid.UUID, str]) -> None:
        self.known = known
        self.calls: list[list[uuid.UUID]] = []

    async def __call__(self, conn: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        self.calls.append(list(ids))
        cur = await conn.execute(
            "SELECT id, label FROM unnest(%s::uuid[], %s::text[]) AS t(id, label) "
            "WHERE id = ANY(%s)",
            (list(self.known), list(self.known.values()), ids),
        )
        return {row["id"]: row["label"] for row in await cur.fetchall()}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    kb_cache.clear()


async def test_repeat_lookups_under_one_version_hit_the_cache(runtime: Any) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fetch = CountingFetch({a: "alpha", b: "beta", c: "gamma"})
    key = (uuid.uuid4(), "v1")
    assert await kb_cache.rows_by_id(runtime.db, key, "page", [a, b, a], fetch) == {
        a: "alpha",
        b: "beta",
    }
    assert await kb_cache.rows_by_id(runtime.db, key, "page", [b, c], fetch) == {
        b: "beta",
        c: "gamma",
    }
    assert fetch.calls == [[a, b], [c]]  # duplicates asked once, cached rows not again


async def test_a_new_version_or_another_kind_misses(runtime: Any) -> None:
    a = uuid.uuid4()
    fetch = CountingFetch({a: "alpha"})
    ws = uuid.uuid4()
    await kb_cache.rows_by_id(runtime.db, (ws, "v1"), "page", [a], fetch)
    await kb_cache.rows_by_id(runtime.db, (ws, "v2"), "page", [a], fetch)
    await kb_cache.rows_by_id(runtime.db, (ws, "v2"), "qa", [a], fetch)
    await kb_cache.rows_by_id(runtime.db, (uuid.uuid4(), "v2"), "qa", [a], fetch)
    assert len(fetch.calls) == 4


async def test_missing_rows_are_asked_again_and_no_key_means_no_cache(runtime: Any) -> None:
    a, gone = uuid.uuid4(), uuid.uuid4()
    fetch = CountingFetch({a: "alpha"})
    key = (uuid.uuid4(), "v1")
    assert await kb_cache.rows_by_id(runtime.db, key, "page", [a, gone], fetch) == {a: "alpha"}
    assert await kb_cache.rows_by_id(runtime.db, key, "page", [a, gone], fetch) == {a: "alpha"}
    assert fetch.calls == [[a, gone], [gone]]
    await kb_cache.rows_by_id(runtime.db, None, "page", [a], fetch)
    await kb_cache.rows_by_id(runtime.db, None, "page", [a], fetch)
    assert fetch.calls[-2:] == [[a], [a]]
    assert await kb_cache.rows_by_id(runtime.db, key, "page", [], fetch) == {}


async def test_a_single_value_is_loaded_once_per_version_and_kinds_keep_their_own_bound() -> None:
    loads: list[str] = []

    async def load() -> str:
        loads.append("x")
        return f"value {len(loads)}"

    ws = uuid.uuid4()
    assert await kb_cache.value((ws, "v1"), "catalog", "bot", load) == "value 1"
    assert await kb_cache.value((ws, "v1"), "catalog", "bot", load) == "value 1"
    assert await kb_cache.value((ws, "v2"), "catalog", "bot", load) == "value 2"
    assert await kb_cache.value(None, "catalog", "bot", load) == "value 3"
    assert await kb_cache.value(None, "catalog", "bot", load) == "value 4"

    limit = kb_cache.LIMITS["catalog"]
    for i in range(limit + 1):
        await kb_cache.value((ws, f"bulk{i}"), "catalog", "bot", load)
    before = len(loads)
    await kb_cache.value((ws, "bulk0"), "catalog", "bot", load)  # the oldest: evicted
    await kb_cache.value((ws, f"bulk{limit}"), "catalog", "bot", load)  # the newest: kept
    assert len(loads) == before + 1
