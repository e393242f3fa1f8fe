"""Turn engines starting together: one sets the checkpoint tables up, the others wait."""

from __future__ import annotations

import asyncio

import psycopg

from services.turns import _SETUP_LOCK, TurnEngine


async def test_a_waiting_engine_does_not_block_the_setup_it_waits_for(runtime, db_dsn):
    """The saver's setup builds indexes CONCURRENTLY, which waits for every open snapshot.

    An engine that waited inside pg_advisory_lock held one, so two workers starting on a
    fresh database could deadlock: the first's index build waited for the second, the
    second for the first's lock. Here a session holds the setup lock and builds an index
    concurrently, as the first worker's setup does, while a second engine starts.
    """
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as first:
        await first.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
        await first.execute("CREATE TABLE setup_probe (id int)")
        second = asyncio.ensure_future(TurnEngine(runtime).start())
        try:
            await asyncio.sleep(0.5)
            assert not second.done()  # it waits for the lock…
            await asyncio.wait_for(  # …without holding a snapshot the index build waits for
                first.execute("CREATE INDEX CONCURRENTLY setup_probe_idx ON setup_probe (id)"),
                timeout=20,
            )
        finally:
            await first.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
        await asyncio.wait_for(second, timeout=120)
        await first.execute("DROP TABLE setup_probe")
