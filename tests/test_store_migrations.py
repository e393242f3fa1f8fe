"""Migrations: versioned, idempotent, safe when several processes start together."""

from __future__ import annotations

import asyncio

import psycopg

from store.db import upgrade_schema
from store.migrate import available_migrations
from tests.conftest import create_database


def test_migration_files_are_numbered_without_gaps():
    versions = [m.version for m in available_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_concurrent_upgrades_apply_each_migration_once(pg):
    name = "mig_" + __import__("uuid").uuid4().hex[:8]
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = pg.dsn(name)
    results = await asyncio.gather(*(upgrade_schema(dsn) for _ in range(4)))
    applied = sorted(len(r) for r in results)
    assert applied[-1] == len(available_migrations())
    assert applied[:-1] == [0, 0, 0]
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert [r[0] for r in rows] == [m.version for m in available_migrations()]
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone()
    assert await upgrade_schema(dsn) == []


async def test_bucket_links_cannot_cross_workspaces(pg, template_dsn):
    dsn = create_database(pg, template_dsn)
    import uuid

    with psycopg.connect(dsn, autocommit=True) as conn:
        a, b = uuid.uuid4(), uuid.uuid4()
        for ws in (a, b):
            conn.execute("INSERT INTO workspaces (id, name) VALUES (%s, 'w')", (ws,))
        bot, src = uuid.uuid4(), uuid.uuid4()
        conn.execute(
            "INSERT INTO chatbots (id, workspace_id, name, greeting, lead_fields, public_key) "
            "VALUES (%s, %s, 'b', 'hi', '[]', 'pk_x')",
            (bot, a),
        )
        conn.execute(
            "INSERT INTO data_sources (id, workspace_id, type, name) VALUES (%s, %s, 'custom', 's')",
            (src, b),
        )
        try:
            conn.execute(
                "INSERT INTO bucket_links (workspace_id, chatbot_id, bucket, source_id) VALUES (%s, %s, 'support', %s)",
                (a, bot, src),
            )
            raised = False
        except psycopg.errors.ForeignKeyViolation:
            raised = True
        assert raised
