"""Knowledge-base rows cached per knowledge version, so repeat turns skip their lookups.

Pages, Q/A entries, documents, chunks and vocabulary only change when a sync bumps a
source's version, and the version of every source linked to a bot is part of its
`sources_key`. Rows cached under that key stay right until the next sync, whose new key
misses. Without a key (a scope built outside a turn) every lookup goes to the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

V = TypeVar("V")

MAX_ROWS = 8192

_rows: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_lock = threading.Lock()


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
            key = (version_key, kind, item)
            if key in _rows:
                _rows.move_to_end(key)
                found[item] = _rows[key]
            else:
                missing.append(item)
    if missing:
        loaded = await _fetch(db, fetch, missing)
        with _lock:
            for item, row in loaded.items():
                _rows[(version_key, kind, item)] = row
            while len(_rows) > MAX_ROWS:
                _rows.popitem(last=False)
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
    """Forget every cached row (tests)."""
    with _lock:
        _rows.clear()
