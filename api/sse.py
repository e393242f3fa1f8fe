"""A turn's events as a Server-Sent Events response (protocol.md's event names)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import msgspec
from litestar.response import Stream

from services.turns import TurnHandle

KEEPALIVE_S = 15.0
"""A comment line goes out after this long without an event, so proxies keep the stream."""

SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}
_KEEPALIVE = b": keep-alive\r\n\r\n"


def encode_event(name: str, data: object) -> bytes:
    """Return one SSE message. Compact JSON holds no raw newline, so one data line suffices."""
    return b"event: " + name.encode() + b"\r\ndata: " + msgspec.json.encode(data) + b"\r\n\r\n"


async def _messages(handle: TurnHandle, keepalive_s: float) -> AsyncIterator[bytes]:
    async for event in handle.events(keepalive_s=keepalive_s):
        if event["event"] == "keepalive":
            yield _KEEPALIVE
        else:
            yield encode_event(event["event"], event["data"])


def turn_stream(
    handle: TurnHandle,
    headers: Mapping[str, str] | None = None,
    *,
    keepalive_s: float = KEEPALIVE_S,
) -> Stream:
    """Stream the turn's events, each written as soon as the graph emits it."""
    return Stream(
        _messages(handle, keepalive_s),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, **(headers or {})},
    )
