"""Knowledge-base data cached per knowledge version, so repeat turns skip their lookups.

Pages, Q/A entries, documents, chunks, vocabulary, a bot's catalog and its contact index
only change when a sync bumps a source's version, and the version of every source linked
to a bot is part of its `sources_key`. What is cached under that key stays right until
the next sync, whose new key misses. Without a key every lookup goes to the database.

Each kind has its own LRU: rows are small and many; catalogs and contact indexes are
large and few, so they keep fewer entries (LIMITS).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

V = TypeVar("V")

MAX_ROWS = 8192
"""Entries kept per kind unless LIMITS says otherwise."""
LIMITS = {"catalog": 128, "contact_index": 64}

_stores: dict[str, OrderedDict[tuple[Hashable, ...], Any]] = {}
_lock = threading.Lock()
_MISS = object()


def _get(kind: str, key: tuple[Hashable, ...]) -> Any:
    """Return the cached value or _MISS (call with _lock held)."""
    store = _stores.get(kind)
    if store is None or key not in store:
        return _MISS
    store.move_to_end(key)
    return store[key]


def _put(kind: str, key: tuple[Hashable, ...], value: Any) -> None:
    """Cache a value, evicting the kind's least recently used (call with _lock held)."""
    store = _stores.setdefault(kind, OrderedDict())
    store[key] = value
    while len(store) > LIMITS.get(kind, MAX_ROWS):
        store.popitem(last=False)


async def value(
    version_key: Hashable | None, kind: str, key: Hashable, load: Callable[[], Awaitable[V]]
) -> V:
    """Return the value cached for `key` under this version, else `load()` it and cache it."""
    if version_key is None:
        return await load()
    with _lock:
        found = _get(kind, (version_key, key))
    if found is not _MISS:
        return found  # type: ignore[no-any-return]
    loaded = await load()
    with _lock:
        _put(kind, (version_key, key), loaded)
    return loaded


async def rows_by_id(
    db: Any,
    version_key: Hashable | None,
    kind: str,
    ids: Sequence[Hashable],
    fetch: Callable[[Any, list[Any]], Awaitable[dict[Any, V]]],
) -> dict[Any, V]:
    """Return id → row for `ids`, fetching only those not cached under this version.

    `fetch(conn, ids)` loads rows; ids it returns nothing for are looked up again next
    time (an item may become ready without a version change of its own).
    """
    unique = list(dict.fromkeys(ids))
    if version_key is None:
        return await _fetch(db, fetch, unique)
    found: dict[Any, V] = {}
    missing: list[Any] = []
    with _lock:
        for item in unique:
            row = _get(kind, (version_key, item))
            if row is _MISS:
                missing.append(item)
            else:
                found[item] = row
    if missing:
        loaded = await _fetch(db, fetch, missing)
        with _lock:
            for item, row in loaded.items():
                _put(kind, (version_key, item), row)
        found.update(loaded)
    return found


async def _fetch(
    db: Any, fetch: Callable[[Any, list[Any]], Awaitable[dict[Any, V]]], ids: list[Any]
) -> dict[Any, V]:
    if not ids:
        return {}
    async with db.connection() as conn:
        return await fetch(conn, ids)


def clear() -> None:
    """Forget everything cached (tests)."""
    with _lock:
        _stores.clear()
