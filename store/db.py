"""The shared psycopg connection pool and the embedded-or-external server choice."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from signpost.settings import Settings
from store import migrate
from store.embedded import EmbeddedPostgres

log = logging.getLogger(__name__)

Conn = AsyncConnection[DictRow]
"""A pooled connection: autocommit, dict rows. Use `conn.transaction()` for atomic writes."""


def connection_kwargs() -> dict[str, Any]:
    """Return the connection settings every pool uses (the checkpointer needs autocommit)."""
    return {"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0}


async def configure_connection(conn: Conn) -> None:
    """Prepare a new pooled connection: pgvector types, HNSW candidate list size."""
    from pgvector.psycopg import register_vector_async

    await register_vector_async(conn)
    # Workspace/source filters apply after the HNSW scan: more candidates keep small
    # tenants from getting short result lists.
    await conn.execute("SET hnsw.ef_search = 200")


def resolve_dsn(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """Return the DSN to use, starting the embedded server when DATABASE_URL is unset."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    return embedded.start(), embedded


@dataclass
class Database:
    """The pool plus, when embedded, the handle keeping the server alive."""

    dsn: str
    pool: AsyncConnectionPool[Conn]
    embedded: EmbeddedPostgres | None = None
    _closed: bool = field(default=False, repr=False)

    @classmethod
    async def open(
        cls, settings: Settings, *, dsn: str | None = None, upgrade: bool = True
    ) -> Database:
        """Connect (starting the embedded server if needed) and apply migrations."""
        embedded = None
        if dsn is None:
            dsn, embedded = resolve_dsn(settings)
        if upgrade:
            await upgrade_schema(dsn)
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            dsn,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            kwargs=connection_kwargs(),
            open=False,
            name="signpost",
            configure=configure_connection,
        )
        await pool.open(wait=True, timeout=30)
        return cls(dsn=dsn, pool=pool, embedded=embedded)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """Borrow a connection from the pool."""
        async with self.pool.connection() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """Borrow a connection and run the block in one transaction."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    async def ping(self) -> bool:
        """Return True when the database answers."""
        try:
            async with self.pool.connection(timeout=2) as conn:
                await conn.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - readiness is a yes/no question
            return False

    async def close(self) -> None:
        """Close the pool and release the embedded server handle."""
        if self._closed:
            return
        self._closed = True
        await self.pool.close()
        if self.embedded is not None:
            self.embedded.stop()


async def upgrade_schema(dsn: str) -> list[migrate.Migration]:
    """Apply pending migrations on a dedicated connection."""
    async with await AsyncConnection.connect(dsn, **connection_kwargs()) as conn:
        applied = await migrate.upgrade(conn)
    for m in applied:
        log.info("migrated to %04d_%s", m.version, m.name)
    return applied
