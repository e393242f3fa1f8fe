"""One traced run as captured during a turn (LangSmith field names), cheap to build."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

RUN_TYPES = frozenset({"chain", "tool", "retriever", "embedding", "llm", "prompt", "parser"})


@dataclass(slots=True)
class RunRecord:
    """A run of the tree: identity, timing, status, payloads (JSON bytes) and usage.

    Payloads are encoded to JSON when the run starts/ends, one value per top-level
    key, so later mutation of the graph state cannot change what the trace shows and
    the writer can store a value every node sees (the graph state) once; capping,
    redaction and that de-duplication happen in the background writer.
    """

    id: uuid.UUID
    trace_id: uuid.UUID
    parent_run_id: uuid.UUID | None
    dotted_order: str
    name: str
    run_type: str
    start_time: datetime
    inputs: dict[str, bytes]
    tags: list[str]
    metadata: dict[str, Any]
    end_time: datetime | None = None
    outputs: dict[str, bytes] | None = None
    status: str = "pending"
    error: str | None = None
    first_token_time: datetime | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    provider: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    intent: str | None = None
    tool: str | None = None


@dataclass(frozen=True, slots=True)
class TraceScope:
    """Who a trace belongs to (the columns every run of it is stored and listed by)."""

    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID | None = None
    thread_id: str | None = None
    turn_id: str | None = None
    mode: str | None = None


@dataclass(slots=True)
class Trace:
    """A finished trace handed to the writer: its scope and its runs."""

    scope: TraceScope
    runs: list[RunRecord]


def _enc_hook(value: Any) -> Any:
    """Turn what msgspec cannot encode natively into something it can."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump()
        except Exception:  # noqa: BLE001 - fall through to the repr
            pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return f"<{type(value).__name__}>"


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)


def encode(value: Any) -> bytes:
    """Encode a payload to JSON bytes; never raises (odd objects become their type name)."""
    try:
        return _encoder.encode(value)
    except Exception:  # noqa: BLE001 - keys that are not strings, cycles, …
        try:
            return _encoder.encode(_plain(value, 0))
        except Exception:  # noqa: BLE001
            return _encoder.encode(f"<unencodable {type(value).__name__}>")


def _plain(value: Any, depth: int) -> Any:
    if depth > 30:
        return "<nested too deep>"
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, depth + 1) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)[:500]
