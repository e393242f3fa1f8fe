"""The SSE response a turn is streamed through: framing, headers, keep-alive comments."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from litestar import Litestar, get
from litestar.response import Stream
from litestar.testing import AsyncTestClient

from api.sse import encode_event, turn_stream
from services.turns import TurnHandle

_FEEDERS: set[asyncio.Future[None]] = set()


def _handle(script: list[tuple[float, dict[str, Any] | None]]) -> TurnHandle:
    """A turn whose events arrive after the given pauses (None ends the stream)."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def feed() -> None:
        for pause, event in script:
            await asyncio.sleep(pause)
            await queue.put(event)

    task = asyncio.ensure_future(feed())
    _FEEDERS.add(task)
    task.add_done_callback(_FEEDERS.discard)
    return TurnHandle(thread_id="t-1", turn_id="u-1", trace_id="r-1", queue=queue)


def _app(script: list[tuple[float, dict[str, Any] | None]], keepalive_s: float) -> Litestar:
    @get("/stream")
    async def stream() -> Stream:
        return turn_stream(_handle(script), {"Vary": "Origin"}, keepalive_s=keepalive_s)

    return Litestar([stream])


async def test_events_are_framed_as_protocol_messages_with_keep_alives_in_silences():
    script = [
        (0.0, {"event": "turn.started", "data": {"thread_id": "t-1"}}),
        (0.25, {"event": "text.delta", "data": {"text": "line one\nline two"}}),
        (0.0, {"event": "turn.completed", "data": {"text": "ok"}}),
        (0.0, None),
    ]
    async with AsyncTestClient(_app(script, keepalive_s=0.05)) as client:
        resp = await client.get("/stream")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["cache-control"] == "no-cache"
    assert resp.headers["x-accel-buffering"] == "no"
    assert resp.headers["vary"] == "Origin"

    blocks = [b for b in resp.text.split("\r\n\r\n") if b]
    comments = [b for b in blocks if b.startswith(":")]
    events = [b for b in blocks if not b.startswith(":")]
    assert comments and all(b == ": keep-alive" for b in comments)  # the 0.25 s silence
    assert blocks.index(comments[0]) == 1  # after turn.started, before the delta
    parsed = []
    for block in events:
        name_line, data_line = block.split("\r\n")
        assert name_line.startswith("event: ") and data_line.startswith("data: ")
        parsed.append((name_line[7:], json.loads(data_line[6:])))
    assert parsed == [
        ("turn.started", {"thread_id": "t-1"}),
        ("text.delta", {"text": "line one\nline two"}),  # the newline stays inside the JSON
        ("turn.completed", {"text": "ok"}),
    ]


async def test_no_keep_alive_when_events_keep_coming():
    script = [(0.0, {"event": "intent", "data": {"intent": "support"}}), (0.0, None)]
    async with AsyncTestClient(_app(script, keepalive_s=5.0)) as client:
        resp = await client.get("/stream")
    assert resp.content == encode_event("intent", {"intent": "support"})
