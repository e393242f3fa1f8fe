"""Workspaces and their API keys (stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from store.db import Conn

_KEY_PREFIX = "sp_"


@dataclass(frozen=True, slots=True)
class Workspace:
    """A tenant: everything else belongs to exactly one workspace."""

    id: uuid.UUID
    name: str
    created_at: datetime


def _hash(key: str) -> bytes:
    # Keys carry 256 bits of randomness, so a plain SHA-256 is not brute-forceable.
    return hashlib.sha256(key.encode()).digest()


def _split(key: str) -> str | None:
    if not key.startswith(_KEY_PREFIX):
        return None
    head, _, secret = key[len(_KEY_PREFIX) :].partition("_")
    if len(head) != 12 or not secret:
        return None
    return _KEY_PREFIX + head


async def create_workspace(conn: Conn, name: str) -> Workspace:
    """Insert a workspace."""
    cur = await conn.execute(
        "INSERT INTO workspaces (id, name) VALUES (%s, %s) RETURNING id, name, created_at",
        (uuid.uuid4(), name),
    )
    row = await cur.fetchone()
    assert row is not None
    return Workspace(**row)


async def get_workspace(conn: Conn, workspace_id: uuid.UUID) -> Workspace | None:
    """Return the workspace or None."""
    cur = await conn.execute(
        "SELECT id, name, created_at FROM workspaces WHERE id = %s", (workspace_id,)
    )
    row = await cur.fetchone()
    return Workspace(**row) if row else None


async def delete_workspace(conn: Conn, workspace_id: uuid.UUID) -> bool:
    """Delete a workspace and (by cascade) everything in it."""
    cur = await conn.execute("DELETE FROM workspaces WHERE id = %s", (workspace_id,))
    return cur.rowcount > 0


async def count_workspaces(conn: Conn) -> int:
    """Return how many workspaces exist (an empty store gets the demo)."""
    cur = await conn.execute("SELECT count(*) AS n FROM workspaces")
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def create_api_key(conn: Conn, workspace_id: uuid.UUID, name: str = "default") -> str:
    """Create an API key for the workspace and return it; only its hash is stored."""
    prefix = _KEY_PREFIX + secrets.token_hex(6)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    await conn.execute(
        "INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash) "
        "VALUES (%s, %s, %s, %s, %s)",
        (uuid.uuid4(), workspace_id, name, prefix, _hash(key)),
    )
    return key


async def workspace_for_key(conn: Conn, key: str) -> uuid.UUID | None:
    """Return the workspace id an API key belongs to, or None for an unknown/revoked key."""
    prefix = _split(key)
    if prefix is None:
        return None
    cur = await conn.execute(
        "SELECT workspace_id, key_hash FROM api_keys WHERE prefix = %s AND revoked_at IS NULL",
        (prefix,),
    )
    row = await cur.fetchone()
    if row is None or not hmac.compare_digest(bytes(row["key_hash"]), _hash(key)):
        return None
    return row["workspace_id"]
