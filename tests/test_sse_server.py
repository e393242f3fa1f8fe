"""SSE against a real `signpost serve` process (the in-process test client buffers streams)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IngestedCompany, clone_company
from tests.test_serve import SIGNPOST, clean_env, free_port, stop, wait_ready


@pytest.fixture(scope="module")
def server_dsn(
    pg, company_b: IngestedCompany, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    data: Path = tmp_path_factory.mktemp("sse-data")
    return clone_company(pg, company_b, data), data


@pytest.fixture(scope="module")
def server(server_dsn: tuple[str, Path]) -> Iterator[str]:
    dsn, data = server_dsn
    port = free_port()
    proc = subprocess.Popen(
        [SIGNPOST, "serve", "--port", str(port)],
        env=clean_env(
            DATABASE_URL=dsn,
            SIGNPOST_DATA_DIR=str(data),
            SIGNPOST_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/readyz", proc)
        yield url
    finally:
        stop(proc)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, object]]:
    name, data = None, []
    for line in response.iter_lines():
        if line == "":
            if name:
                yield name, json.loads("\n".join(data)) if data else None
            name, data = None, []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


def turn_url(server: str, bot: IngestedCompany) -> str:
    return f"{server}/api/v1/widget/{bot.public_key}/turns"


def test_events_stream_in_protocol_order_over_a_real_connection(server, company_b):
    with (
        httpx.Client(timeout=60) as client,
        client.stream(
            "POST",
            turn_url(server, company_b),
            json={"message": "can i book a dental cleaning for my dog?"},
            headers={"Accept": "text/event-stream"},
        ) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["x-accel-buffering"] == "no"
        arrivals = []
        for name, data in sse_events(resp):
            arrivals.append((time.monotonic(), name, data))
    names = [n for _, n, _ in arrivals]
    assert names[0] == "turn.started" and names[1] == "intent" and names[-1] == "turn.completed"
    assert names.count("turn.completed") == 1 and "error" not in names
    completed = arrivals[-1][2]
    assert completed["thread_id"] == arrivals[0][2]["thread_id"]
    blocks = [d for _, n, d in arrivals if n == "ui.block"]
    assert blocks == completed["ui_blocks"]


def test_a_second_turn_continues_the_thread(server, company_b):
    with httpx.Client(timeout=60) as client:
        first = client.post(
            turn_url(server, company_b), json={"message": "do you treat reptiles?"}
        ).json()
        second = client.post(
            turn_url(server, company_b),
            json={"message": "how much is it?", "thread_id": first["thread_id"]},
        ).json()
    assert second["thread_id"] == first["thread_id"]


def test_a_client_that_disconnects_mid_stream_still_gets_the_turn_stored(server, company_b):
    with httpx.Client(timeout=60) as client:
        with client.stream(
            "POST",
            turn_url(server, company_b),
            json={"message": "what are your opening hours?"},
            headers={"Accept": "text/event-stream"},
        ) as resp:
            first = next(sse_events(resp))
            assert first[0] == "turn.started"
            thread_id = first[1]["thread_id"]
        # the connection is closed now; the turn must complete and be stored anyway
        deadline = time.monotonic() + 30
        messages: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            history = client.get(
                f"{server}/api/v1/widget/{company_b.public_key}/threads/{thread_id}/messages"
            ).json()
            messages = history["messages"]
            if len(messages) == 2:
                break
            time.sleep(0.2)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["output"]["text"]


def test_a_failure_after_the_stream_started_arrives_as_an_error_event(
    server, server_dsn, company_b
):
    import uuid

    import psycopg

    # A chatbot whose stored lead-field config is corrupt fails inside the graph, after
    # turn.started was sent: the stream must end with an `error` event, not hang or 500.
    bot_id, key = uuid.uuid4(), "pk_broken_" + uuid.uuid4().hex[:8]
    with psycopg.connect(server_dsn[0], autocommit=True) as conn:
        conn.execute(
            "INSERT INTO chatbots (id, workspace_id, name, greeting, lead_fields, status, public_key)"
            " VALUES (%s, %s, 'Broken', 'hi', '[{\"label\": 5}]', 'published', %s)",
            (bot_id, company_b.workspace_id, key),
        )
    with (
        httpx.Client(timeout=60) as client,
        client.stream(
            "POST",
            f"{server}/api/v1/widget/{key}/turns",
            json={"message": "hello"},
            headers={"Accept": "text/event-stream"},
        ) as resp,
    ):
        assert resp.status_code == 200
        events = list(sse_events(resp))
    names = [n for n, _ in events]
    assert names[0] == "turn.started"
    assert names[-1] == "error" and "turn.completed" not in names
    assert set(events[-1][1]) == {"code", "message"}
    assert "Traceback" not in events[-1][1]["message"]


def test_a_malformed_thread_id_is_refused_before_streaming(server, company_b):
    with httpx.Client(timeout=60) as client:
        resp = client.post(
            turn_url(server, company_b),
            json={"message": "hi", "thread_id": "x" * 81},
            headers={"Accept": "text/event-stream"},
        )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/json")
