"""Retention: idle threads expire (transcript, checkpoints, lead state); leads are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.retention import prune_expired_threads
from services.turns import TurnRequest
from tests.conftest import IngestedCompany, clone_company


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("retention-data")


@pytest.fixture(scope="module")
def db_dsn(pg, company_b: IngestedCompany, data_dir: Path) -> str:
    return clone_company(pg, company_b, data_dir)


async def count(runtime, sql: str, *params: object) -> int:
    async with runtime.db.connection() as conn:
        row = await (await conn.execute(sql, params)).fetchone()
    return int(list(row.values())[0])


async def test_idle_threads_are_pruned_but_leads_are_kept(runtime, company_b):
    ws, bot = company_b.workspace_id, company_b.chatbot_id
    old = await runtime.turns.run(
        ws,
        bot,
        TurnRequest(
            message="I'm Robin Kale, robin.kale@example.org, 503-555-0177, please call me back"
        ),
        "live",
    )
    fresh = await runtime.turns.run(ws, bot, TurnRequest(message="hello"), "live")
    assert (
        await count(runtime, "SELECT count(*) FROM checkpoints WHERE thread_id = %s", old.thread_id)
        > 0
    )
    async with runtime.db.connection() as conn:
        await conn.execute(
            "UPDATE conversations SET last_activity_at = now() - interval '40 days' WHERE thread_id = %s",
            (old.thread_id,),
        )
    pruned = await prune_expired_threads(runtime, idle_days=30)
    assert pruned == 1
    for table in (
        "conversations",
        "messages",
        "checkpoints",
        "checkpoint_writes",
        "checkpoint_blobs",
    ):
        assert (
            await count(
                runtime, f"SELECT count(*) FROM {table} WHERE thread_id = %s", old.thread_id
            )
            == 0
        )
    assert (
        await count(runtime, "SELECT count(*) FROM messages WHERE thread_id = %s", fresh.thread_id)
        == 2
    )
    assert (
        await count(runtime, "SELECT count(*) FROM leads WHERE email = 'robin.kale@example.org'")
        == 1
    )
    # the widget still holding the pruned id starts over on a new thread, transparently
    again = await runtime.turns.run(
        ws, bot, TurnRequest(message="hi", thread_id=old.thread_id), "live"
    )
    assert again.thread_id != old.thread_id and again.lead.status == "none"
