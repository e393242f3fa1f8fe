"""Every turn leaves a complete trace in Postgres, readable through the API and the viewer."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.retention import run_maintenance
from services.turns import TurnRequest
from tests.conftest import make_workspace
from tests.tracing.conftest import auth, flushed, signed_in, widget_turn

NODES = ("load_context", "classify_intent", "check_lead_state", "compose_response")


@pytest.fixture(scope="module")
def app(runtime: Any) -> Any:
    from api.app import create_app

    return create_app(runtime=runtime)


def by_name(tree: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for run in tree["runs"]:
        out.setdefault(run["name"], []).append(run)
    return out


async def test_a_widget_turn_opens_as_a_complete_tree_via_the_api(client, runtime, company_b):
    out = await widget_turn(client, company_b, "how do I book a vaccination appointment")
    await flushed(runtime)
    resp = await client.get(f"/api/v1/traces/{out['trace_id']}", headers=auth(company_b))
    assert resp.status_code == 200, resp.text
    tree = resp.json()
    runs = {r["id"]: r for r in tree["runs"]}
    names = by_name(tree)
    root = tree["root"]
    assert root["id"] == out["trace_id"] and root["parent_run_id"] is None
    assert root["name"] == "turn" and root["status"] == "success" and root["run_type"] == "chain"
    assert root["intent"] == out["intent"] and root["tool"] == out["tool"]
    assert root["turn_id"] == out["turn_id"] and root["thread_id"] == out["thread_id"]
    assert {r["trace_id"] for r in tree["runs"]} == {out["trace_id"]}
    # one child per graph node, each tagged by LangGraph with its node and step
    for node in (*NODES, out["tool"]):
        (run,) = [r for r in names[node] if r["run_type"] == "chain"]
        assert run["parent_run_id"] == root["id"]
        assert run["extra"]["metadata"]["langgraph_node"] == node
        assert isinstance(run["extra"]["metadata"]["langgraph_step"], int)
    # below them: the bucket tool, the hybrid search and the query embedding
    tool_run = next(r for r in names[out["tool"]] if r["run_type"] == "tool")
    assert runs[tool_run["parent_run_id"]]["name"] == out["tool"]
    retrievers = [r for r in tree["runs"] if r["run_type"] == "retriever"]
    embeddings = [r for r in tree["runs"] if r["run_type"] == "embedding"]
    assert retrievers and embeddings
    assert runs[retrievers[0]["parent_run_id"]]["name"] == "classify_intent"
    assert runs[embeddings[0]["parent_run_id"]]["name"] == "classify_intent"
    # execution order = dotted order, parents first
    orders = [r["dotted_order"] for r in tree["runs"]]
    assert orders == sorted(orders)
    for run in tree["runs"]:
        if run["parent_run_id"]:
            assert run["dotted_order"].startswith(runs[run["parent_run_id"]]["dotted_order"] + ".")
            assert run["id"] in runs[run["parent_run_id"]]["child_run_ids"]
        assert run["latency_ms"] is not None and run["latency_ms"] >= 0
    meta = root["extra"]["metadata"]
    assert meta["workspace_id"] == str(company_b.workspace_id)
    assert meta["chatbot_id"] == str(company_b.chatbot_id)
    assert meta["thread_id"] == out["thread_id"] and meta["turn_id"] == out["turn_id"]
    assert meta["mode"] == "live" and "kb_version" in meta
    assert "compose.md" in meta["prompt_versions"]


async def test_one_run_returns_its_full_inputs_and_outputs(client, runtime, company_b):
    out = await widget_turn(client, company_b, "where is your nearest clinic")
    await flushed(runtime)
    tree = (await client.get(f"/api/v1/traces/{out['trace_id']}", headers=auth(company_b))).json()
    assert all("inputs" not in r for r in tree["runs"])  # the tree is the skeleton
    retriever = next(r for r in tree["runs"] if r["run_type"] == "retriever")
    resp = await client.get(
        f"/api/v1/traces/{out['trace_id']}/runs/{retriever['id']}", headers=auth(company_b)
    )
    assert resp.status_code == 200
    run = resp.json()
    assert run["inputs"]["query"] and run["outputs"]["documents"]
    assert {"page_content", "metadata"} <= set(run["outputs"]["documents"][0])
    root = (
        await client.get(
            f"/api/v1/traces/{out['trace_id']}/runs/{out['trace_id']}", headers=auth(company_b)
        )
    ).json()
    assert root["inputs"]["message"] == "where is your nearest clinic"
    assert root["outputs"]["output"]["text"] == out["text"]
    assert set(root["child_run_ids"]) == {
        r["id"] for r in tree["runs"] if r["parent_run_id"] == out["trace_id"]
    }


async def test_the_graph_state_is_stored_once_per_trace_and_read_back_whole(
    client, runtime, company_b
):
    out = await widget_turn(client, company_b, "what does the wellness plan cover")
    await flushed(runtime)
    tree = (await client.get(f"/api/v1/traces/{out['trace_id']}", headers=auth(company_b))).json()
    classify = next(r for r in tree["runs"] if r["name"] == "classify_intent")
    compose = next(r for r in tree["runs"] if r["name"] == "compose_response")
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT inputs->'probes' AS p FROM trace_runs WHERE id = %s", (compose["id"],)
        )
        stored = (await cur.fetchone())["p"]
    ref = stored["__same_as__"]
    assert set(stored) == {"__same_as__"} and ref["key"] == "probes"
    assert ref["run_id"] in {r["id"] for r in tree["runs"]} and ref["run_id"] != compose["id"]
    h = auth(company_b)
    full = (
        await client.get(f"/api/v1/traces/{out['trace_id']}/runs/{compose['id']}", headers=h)
    ).json()
    produced = (
        await client.get(f"/api/v1/traces/{out['trace_id']}/runs/{classify['id']}", headers=h)
    ).json()
    assert full["inputs"]["probes"] == produced["outputs"]["probes"]
    assert full["inputs"]["probes"]["pages"], "the probes are back in full"


async def test_the_list_shows_root_runs_with_filters(client, runtime, company_b):
    first = await widget_turn(client, company_b, "hello there")
    preview = await client.post(
        f"/api/v1/chatbots/{company_b.chatbot_id}/preview/turns",
        json={"message": "who do I call about billing"},
        headers=auth(company_b),
    )
    assert preview.status_code == 200
    await flushed(runtime)
    h = auth(company_b)
    listed = (await client.get("/api/v1/traces", params={"limit": 100}, headers=h)).json()
    ids = [i["trace_id"] for i in listed["items"]]
    assert first["trace_id"] in ids and preview.json()["trace_id"] in ids
    item = next(i for i in listed["items"] if i["trace_id"] == first["trace_id"])
    assert item["parent_run_id"] is None and item["status"] == "success"
    assert item["intent"] == first["intent"] and item["latency_ms"] > 0
    assert item["mode"] == "live" and item["feedback"] == []
    starts = [i["start_time"] for i in listed["items"]]
    assert starts == sorted(starts, reverse=True)
    live = (await client.get("/api/v1/traces", params={"mode": "preview"}, headers=h)).json()
    assert [i["trace_id"] for i in live["items"]] == [preview.json()["trace_id"]]
    thread = (
        await client.get("/api/v1/traces", params={"thread_id": first["thread_id"]}, headers=h)
    ).json()
    assert [i["trace_id"] for i in thread["items"]] == [first["trace_id"]]
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    for params in ({"since": later}, {"status": "error"}):
        assert (await client.get("/api/v1/traces", params=params, headers=h)).json()["total"] == 0
    other_bot = (
        await client.get("/api/v1/traces", params={"chatbot_id": str(uuid.uuid4())}, headers=h)
    ).json()
    assert other_bot["total"] == 0
    bad = await client.get("/api/v1/traces", params={"status": "weird"}, headers=h)
    assert bad.status_code in (400, 422) and "status" in bad.text


async def test_another_workspace_cannot_see_a_trace(client, runtime, company_b):
    out = await widget_turn(client, company_b, "do you treat rabbits")
    await flushed(runtime)
    stranger = await make_workspace(runtime, "Stranger")
    for path in (
        f"/api/v1/traces/{out['trace_id']}",
        f"/api/v1/traces/{out['trace_id']}/runs/{out['trace_id']}",
    ):
        resp = await client.get(path, headers=stranger.headers)
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert (await client.get("/api/v1/traces", headers=stranger.headers)).json()["total"] == 0
    assert (await client.get(f"/api/v1/traces/{out['trace_id']}")).status_code == 401


async def test_widget_feedback_shows_on_the_trace(client, runtime, company_b):
    out = await widget_turn(client, company_b, "what vaccines does a puppy need")
    resp = await client.post(
        f"/api/v1/widget/{company_b.public_key}/feedback",
        json={"turn_id": out["turn_id"], "score": -1, "comment": "too vague"},
    )
    assert resp.status_code == 200 and resp.json()["trace_id"] == out["trace_id"]
    await flushed(runtime)
    tree = (await client.get(f"/api/v1/traces/{out['trace_id']}", headers=auth(company_b))).json()
    assert [(f["key"], f["score"], f["comment"]) for f in tree["feedback"]] == [
        ("user_score", -1, "too vague")
    ]
    listed = (
        await client.get(
            "/api/v1/traces", params={"thread_id": out["thread_id"]}, headers=auth(company_b)
        )
    ).json()
    assert listed["items"][0]["feedback"][0]["score"] == -1


async def test_lead_data_is_redacted_unless_the_workspace_opts_in(client, runtime, company_b):
    h = auth(company_b)
    message = "I'm Robin Kale, robin.kale@example.org, 503-555-0177, please call me back"
    out = await widget_turn(client, company_b, message)
    await flushed(runtime)
    stored = await trace_text(runtime, out["trace_id"])
    assert "robin.kale@example.org" not in stored and "503-555-0177" not in stored
    assert "Robin" not in stored and "redacted: lead data" in stored
    assert (await client.get("/api/v1/traces/settings", headers=h)).json() == {"trace_pii": False}
    resp = await client.put("/api/v1/traces/settings", json={"trace_pii": True}, headers=h)
    assert resp.status_code == 200 and resp.json() == {"trace_pii": True}
    try:
        kept = await widget_turn(client, company_b, message)
        await flushed(runtime)
        assert "robin.kale@example.org" in await trace_text(runtime, kept["trace_id"])
    finally:
        await client.put("/api/v1/traces/settings", json={"trace_pii": False}, headers=h)
    bad = await client.put("/api/v1/traces/settings", json={"trace_pii": "maybe"}, headers=h)
    assert bad.status_code in (400, 422)


async def trace_text(runtime: Any, trace_id: str) -> str:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT string_agg(coalesce(inputs::text, '') || coalesce(outputs::text, '') "
            "|| extra::text || events::text, ' ') AS t FROM trace_runs WHERE trace_id = %s",
            (trace_id,),
        )
        row = await cur.fetchone()
    assert row["t"], "the trace was written"
    return row["t"]


async def test_a_failing_trace_write_never_fails_the_turn_and_is_counted(
    client, runtime, company_b
):
    before = runtime.traces.stats.failed_traces
    async with runtime.db.connection() as conn:
        await conn.execute("ALTER TABLE trace_runs RENAME TO trace_runs_away")
    try:
        out = await widget_turn(client, company_b, "how do I book a vaccination appointment")
        assert out["text"] and out["trace_id"]
        await flushed(runtime)
    finally:
        async with runtime.db.connection() as conn:
            await conn.execute("ALTER TABLE trace_runs_away RENAME TO trace_runs")
    assert runtime.traces.stats.failed_traces == before + 1
    ready = (await client.get("/readyz")).json()
    assert ready["traces"]["failed_traces"] == before + 1
    assert (
        await client.get(f"/api/v1/traces/{out['trace_id']}", headers=auth(company_b))
    ).status_code == 404
    # the writer carries on once the database is back
    again = await widget_turn(client, company_b, "how do I book a vaccination appointment")
    await flushed(runtime)
    assert (
        await client.get(f"/api/v1/traces/{again['trace_id']}", headers=auth(company_b))
    ).status_code == 200


async def test_retention_prunes_old_traces_only(client, runtime, company_b):
    old = await widget_turn(client, company_b, "are you open on sundays")
    fresh = await widget_turn(client, company_b, "are you open on saturdays")
    await flushed(runtime)
    async with runtime.db.connection() as conn:
        await conn.execute(
            "UPDATE trace_runs SET start_time = start_time - interval '40 days', "
            "end_time = end_time - interval '40 days' WHERE trace_id = %s",
            (old["trace_id"],),
        )
    result = await run_maintenance(runtime)
    assert result["traces"] >= 1
    h = auth(company_b)
    assert (await client.get(f"/api/v1/traces/{old['trace_id']}", headers=h)).status_code == 404
    assert (await client.get(f"/api/v1/traces/{fresh['trace_id']}", headers=h)).status_code == 200
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM trace_runs WHERE trace_id = %s", (old["trace_id"],)
        )
        assert (await cur.fetchone())["n"] == 0


async def test_every_surface_leaves_a_trace(client, runtime, company_b):
    ws, bot = company_b.workspace_id, company_b.chatbot_id
    outputs = [
        await runtime.turns.run(ws, bot, TurnRequest(message="hi"), mode)
        for mode in ("live", "preview", "eval")
    ]
    await flushed(runtime)
    h = auth(company_b)
    for out, mode in zip(outputs, ("live", "preview", "eval"), strict=True):
        tree = (await client.get(f"/api/v1/traces/{out.trace_id}", headers=h)).json()
        assert tree["root"]["mode"] == mode


async def test_the_viewer_lists_traces_and_draws_the_waterfall(app, client, runtime, company_b):
    out = await widget_turn(client, company_b, "what vaccines does a kitten need")
    await client.post(
        f"/api/v1/widget/{company_b.public_key}/feedback",
        json={"turn_id": out["turn_id"], "score": 1, "comment": "spot on"},
    )
    await flushed(runtime)
    async for ui in signed_in(app, company_b.api_key):
        listing = await ui.get("/ui/traces", params={"mode": "live"})
        assert listing.status_code == 200
        assert f'href="/ui/traces/{out["trace_id"]}"' in listing.text
        assert "what vaccines does a kitten need" in html.unescape(listing.text)
        page = await ui.get(f"/ui/traces/{out['trace_id']}")
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        text = html.unescape(page.text)
        rows = re.findall(
            r'<details class="wf-run (\w+)" id="run-([0-9a-f-]+)"[^>]*'
            r'data-run-type="(\w+)" data-depth="(\d+)"',
            page.text,
        )
        tree = (
            await client.get(f"/api/v1/traces/{out['trace_id']}", headers=auth(company_b))
        ).json()
        assert [r[1] for r in rows] == [r["id"] for r in tree["runs"]]
        assert {r[2] for r in rows} >= {"chain", "tool", "retriever", "embedding"}
        assert max(int(r[3]) for r in rows) >= 2
        bars = re.findall(r'class="wf-bar[^"]*" style="left:([\d.]+)%;width:([\d.]+)%"', page.text)
        assert len(bars) == len(rows) and float(bars[0][0]) == 0.0 and float(bars[0][1]) > 99
        assert any(float(left) > 0 for left, _ in bars[1:])
        assert "spot on" in text and "<script>" not in page.text.split("</head>", 1)[1]
        assert "Inputs" in text and "Outputs" in text
        missing = await ui.get(f"/ui/traces/{uuid.uuid4()}")
        assert missing.status_code == 404
    anonymous = await client.get(f"/ui/traces/{out['trace_id']}")
    assert anonymous.status_code in (302, 303) and "/ui/login" in anonymous.headers["location"]
