"""The public widget API: config, turns (JSON and SSE), history, feedback, origins, limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import IngestedCompany, clone_company

BOT_ORIGIN = "https://www.fernbrookvets.example"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("widget-data")


@pytest.fixture(scope="module")
def db_dsn(pg, company_b: IngestedCompany, data_dir: Path) -> str:
    return clone_company(pg, company_b, data_dir)


@pytest.fixture(scope="module")
async def bot(company_b: IngestedCompany, runtime) -> IngestedCompany:
    from store import chatbots

    async with runtime.db.connection() as conn:
        await chatbots.update_chatbot(
            conn, company_b.workspace_id, company_b.chatbot_id, {"allowed_origins": [BOT_ORIGIN]}
        )
    return company_b


def base(bot: IngestedCompany) -> str:
    return f"/api/v1/widget/{bot.public_key}"


def parse_sse(body: str) -> list[tuple[str, object]]:
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if name:
            events.append((name, json.loads("\n".join(data)) if data else None))
    return events


async def test_config_shows_what_the_widget_renders(client, bot):
    resp = await client.get(f"{base(bot)}/config", headers={"Origin": BOT_ORIGIN})
    assert resp.status_code == 200
    cfg = resp.json()
    assert cfg["name"] and cfg["greeting"]
    assert {f["name"] for f in cfg["lead_fields"]} >= {"name", "email"}
    assert cfg["primary_color"].startswith("#") and cfg["position"] in (
        "bottom-right",
        "bottom-left",
    )
    assert resp.headers["access-control-allow-origin"] == BOT_ORIGIN


async def test_unknown_or_unpublished_bots_answer_404(client, bot, runtime):
    assert (await client.get("/api/v1/widget/pk_nope/config")).status_code == 404
    from store import chatbots

    async with runtime.db.connection() as conn:
        await chatbots.update_chatbot(conn, bot.workspace_id, bot.chatbot_id, {"status": "draft"})
    try:
        resp = await client.get(f"{base(bot)}/config")
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"
        resp = await client.post(f"{base(bot)}/turns", json={"message": "hi"})
        assert resp.status_code == 404
    finally:
        async with runtime.db.connection() as conn:
            await chatbots.update_chatbot(
                conn, bot.workspace_id, bot.chatbot_id, {"status": "published"}
            )


async def test_origins_outside_the_allow_list_are_refused_without_a_cors_grant(client, bot):
    evil = {"Origin": "https://evil.example"}
    resp = await client.get(f"{base(bot)}/config", headers=evil)
    assert resp.status_code == 403
    assert "access-control-allow-origin" not in resp.headers
    resp = await client.post(f"{base(bot)}/turns", json={"message": "hi"}, headers=evil)
    assert resp.status_code == 403
    preflight = await client.options(
        f"{base(bot)}/turns",
        headers={**evil, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    ok = await client.options(
        f"{base(bot)}/turns",
        headers={
            "Origin": BOT_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == BOT_ORIGIN
    assert "POST" in ok.headers["access-control-allow-methods"]


async def test_json_turn_returns_a_turn_output_and_the_transcript_restores_it(client, bot):
    resp = await client.post(
        f"{base(bot)}/turns",
        json={"message": "where are your clinics?"},
        headers={"Origin": BOT_ORIGIN, "Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert set(out) >= {
        "thread_id",
        "turn_id",
        "trace_id",
        "intent",
        "tool",
        "text",
        "ui_blocks",
        "citations",
        "lead",
        "fallback",
    }
    history = await client.get(
        f"{base(bot)}/threads/{out['thread_id']}/messages", headers={"Origin": BOT_ORIGIN}
    )
    assert history.status_code == 200
    messages = history.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["text"] == "where are your clinics?"
    assert messages[1]["output"]["turn_id"] == out["turn_id"]


async def test_sse_turn_emits_the_protocol_events_in_order(client, bot):
    resp = await client.post(
        f"{base(bot)}/turns",
        json={"message": "do you see rabbits?"},
        headers={"Origin": BOT_ORIGIN, "Accept": "text/event-stream"},
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["x-accel-buffering"] == "no"
    events = parse_sse(resp.text)
    names = [n for n, _ in events]
    assert names[0] == "turn.started" and names[1] == "intent" and names[-1] == "turn.completed"
    assert names.count("turn.completed") == 1
    assert set(names[2:-1]) <= {"text.delta", "ui.block"} and "text.delta" in names
    started, completed = events[0][1], events[-1][1]
    assert (
        completed["thread_id"] == started["thread_id"]
        and completed["turn_id"] == started["turn_id"]
    )
    assert "".join(d["delta"] for n, d in events if n == "text.delta") == completed["text"]


async def test_bad_turn_bodies_are_refused(client, bot):
    h = {"Origin": BOT_ORIGIN}
    cases = [
        ({}, 422, "exactly one"),
        ({"message": "hi", "lead": {"email": "a@b.example"}}, 422, "exactly one"),
        ({"message": "   "}, 422, "empty"),
        ({"message": "x" * 2001}, 422, "limit"),
        ({"message": "hi", "extra": 1}, 422, "extra"),
        ({"lead": {"email": 5}}, 422, "lead"),
    ]
    for body, status, words in cases:
        resp = await client.post(f"{base(bot)}/turns", json=body, headers=h)
        assert resp.status_code == status, (body, resp.text)
        assert words in resp.json()["message"], resp.json()


async def test_a_thread_of_another_bot_is_not_found(client, bot, runtime):
    from services.chatbots import ChatbotCreate, create_chatbot

    async with runtime.db.connection() as conn:
        other = await create_chatbot(
            conn, bot.workspace_id, ChatbotCreate(name="Other", status="published")
        )
    first = (
        await client.post(f"/api/v1/widget/{other.public_key}/turns", json={"message": "hi"})
    ).json()
    resp = await client.post(
        f"{base(bot)}/turns",
        json={"message": "hi", "thread_id": first["thread_id"]},
        headers={"Origin": BOT_ORIGIN},
    )
    assert resp.status_code == 404
    resp = await client.get(f"{base(bot)}/threads/{first['thread_id']}/messages")
    assert resp.status_code == 404


async def test_an_unknown_thread_id_starts_a_new_thread(client, bot):
    resp = await client.post(
        f"{base(bot)}/turns",
        json={"message": "hello", "thread_id": "thr_expired_long_ago"},
        headers={"Origin": BOT_ORIGIN},
    )
    assert resp.status_code == 200
    assert resp.json()["thread_id"] != "thr_expired_long_ago"


async def test_feedback_attaches_to_the_turn(client, bot, runtime):
    out = (await client.post(f"{base(bot)}/turns", json={"message": "hi"})).json()
    resp = await client.post(
        f"{base(bot)}/feedback", json={"turn_id": out["turn_id"], "score": -1, "comment": "meh"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["trace_id"] == out["trace_id"]
    resp = await client.post(f"{base(bot)}/feedback", json={"turn_id": out["turn_id"], "score": 1})
    assert resp.status_code == 200
    async with runtime.db.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT score, comment FROM feedback WHERE turn_id = %s", (out["turn_id"],)
            )
        ).fetchall()
    assert [(r["score"], r["comment"]) for r in rows] == [(1, None)]
    bad = await client.post(f"{base(bot)}/feedback", json={"turn_id": out["turn_id"], "score": 5})
    assert bad.status_code == 422
    unknown = await client.post(f"{base(bot)}/feedback", json={"turn_id": "turn_nope", "score": 1})
    assert unknown.status_code == 404


async def test_rate_limits_answer_429_with_retry_after(client, bot, runtime):
    from services.ratelimit import MemoryRateStore, RateLimiter

    saved = runtime.limiter
    runtime.limiter = RateLimiter(MemoryRateStore(), visitor=(2, 60), bot=(100, 60))
    try:
        statuses = []
        for _ in range(3):
            resp = await client.post(
                f"{base(bot)}/turns", json={"message": "hi"}, headers={"Origin": BOT_ORIGIN}
            )
            statuses.append(resp.status_code)
        assert statuses == [200, 200, 429]
        assert int(resp.headers["retry-after"]) >= 1
        assert resp.json()["code"] == "rate_limited"
        assert resp.headers["access-control-allow-origin"] == BOT_ORIGIN  # readable by the widget
        runtime.limiter = RateLimiter(MemoryRateStore(), visitor=(100, 60), bot=(1, 60))
        await client.post(f"{base(bot)}/turns", json={"message": "hi"})
        resp = await client.post(f"{base(bot)}/turns", json={"message": "hi again"})
        assert resp.status_code == 429 and "chatbot" in resp.json()["message"]
    finally:
        runtime.limiter = saved


async def test_redis_rate_store_counts_across_instances():
    import redis.asyncio as aioredis

    from services.ratelimit import RedisRateStore

    try:
        await aioredis.from_url("redis://127.0.0.1:6379/0").ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis unreachable: {exc}")
    import uuid

    key = "test-" + uuid.uuid4().hex
    a, b = RedisRateStore("redis://127.0.0.1:6379/0"), RedisRateStore("redis://127.0.0.1:6379/0")
    try:
        counts = [(await a.hit(key, 60))[0], (await b.hit(key, 60))[0], (await a.hit(key, 60))[0]]
        assert counts == [1, 2, 3]
    finally:
        await a.close()
        await b.close()
