"""The turn tracer: a LangChain async tracer that captures one turn's run tree."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from langchain_core.tracers.base import AsyncBaseTracer

from tracing.records import RUN_TYPES, RunRecord, Trace, TraceScope, encode

log = logging.getLogger(__name__)

HIDDEN_TAG = "langsmith:hidden"
"""LangGraph's tag for internal runs LangSmith does not show; left out with their subtree.

A run below a hidden one that is not itself tagged attaches to the nearest shown ancestor.
"""

StatePath = tuple[str, ...]
"""A path into a chain run's outputs, e.g. ("bot", "kb_version")."""


class TraceSink(Protocol):
    """Where finished traces go (the Runtime's TraceWriter)."""

    def submit(self, trace: Trace) -> bool:
        """Queue a finished trace without blocking; False when it was dropped."""
        ...

    def record_error(self, where: str, exc: BaseException) -> None:
        """Count and log a failure of the tracer itself."""
        ...


class TurnTracer(AsyncBaseTracer):
    """Capture every run of one turn — root, graph nodes, tools, retrievers, embeddings, models.

    Built per turn (LangChain tracers keep per-run maps for their lifetime). The
    callbacks do cheap bookkeeping inline and encode payloads to JSON bytes; when the
    root run ends the whole trace is handed to the sink, which caps, redacts and
    writes it in the background. A failure in here is counted and never reaches the
    turn: the callback manager swallows handler errors and so does every hook below.
    """

    run_inline = True
    raise_error = False

    def __init__(
        self,
        sink: TraceSink,
        scope: TraceScope,
        *,
        annotate: Mapping[str, StatePath] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Trace into `sink`; `annotate` names trace metadata to read from chain outputs."""
        super().__init__(_schema_format="original+chat")
        self.sink = sink
        self.scope = scope
        self.annotate = dict(annotate or {})
        self.metadata = dict(metadata or {})
        self.found: dict[str, Any] = {}
        """Trace metadata discovered while running (e.g. the KB version, the intent)."""
        self._open: dict[uuid.UUID, RunRecord] = {}
        self._runs: dict[uuid.UUID, list[RunRecord]] = {}
        self._orders: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
        self._hidden: dict[uuid.UUID, uuid.UUID | None] = {}
        self._encoded: dict[int, tuple[Any, bytes]] = {}
        """id(value) → (value, JSON): every node receives the same state objects."""

    # ------------------------------------------------------------------ bookkeeping

    def _fields(self, payload: Any) -> dict[str, bytes]:
        """Encode a payload key by key, each state object once per turn.

        Graph nodes receive the same state objects one after another (a node's output
        is the next node's input), so a container already encoded is reused by identity.
        """
        if not isinstance(payload, dict):
            return {"input": encode(payload)}
        out = {}
        cache = self._encoded
        for key, value in payload.items():
            if type(value) is dict or type(value) is list:
                hit = cache.get(id(value))
                if hit is not None and hit[0] is value:
                    out[key if isinstance(key, str) else str(key)] = hit[1]
                    continue
                data = encode(value)
                cache[id(value)] = (value, data)
            else:
                data = encode(value)
            out[key if isinstance(key, str) else str(key)] = data
        return out

    def _start(
        self,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None,
        name: str,
        run_type: str,
        inputs: Any,
        tags: Sequence[str] | None,
        metadata: Mapping[str, Any] | None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        parent = parent_run_id
        while parent is not None and parent in self._hidden:
            parent = self._hidden[parent]
        if tags and HIDDEN_TAG in tags:
            self._hidden[run_id] = parent
            return
        now = datetime.now(UTC)
        segment = _order_stamp(now) + str(run_id)
        known = self._orders.get(parent) if parent is not None else None
        if known is None:
            trace_id, dotted, parent = run_id, segment, None
        else:
            trace_id, dotted = known[0], known[1] + "." + segment
        self._orders[run_id] = (trace_id, dotted)
        record = RunRecord(
            id=run_id,
            trace_id=trace_id,
            parent_run_id=parent,
            dotted_order=dotted,
            name=name,
            run_type=run_type if run_type in RUN_TYPES else "chain",
            start_time=now,
            inputs=self._fields(inputs),
            tags=list(tags or ()),
            metadata=dict(metadata or {}),
            extra=extra or {},
            events=[{"name": "start", "time": now}],
        )
        self._open[run_id] = record
        self._runs.setdefault(trace_id, []).append(record)

    async def _end(
        self,
        run_id: uuid.UUID,
        outputs: Any,
        *,
        error: BaseException | None = None,
        inputs: Any = None,
    ) -> RunRecord | None:
        record = self._open.pop(run_id, None)
        if record is None:
            return None
        now = datetime.now(UTC)
        record.end_time = now
        if inputs is not None:
            record.inputs = self._fields(inputs)
        if error is not None:
            record.status = "error"
            record.error = _stacktrace(error)
            record.events.append({"name": "error", "time": now})
        else:
            record.status = "success"
            record.events.append({"name": "end", "time": now})
        if outputs is not None:
            record.outputs = self._fields(outputs)
            if self.annotate and isinstance(outputs, dict):
                self._discover(outputs)
        if record.parent_run_id is None:
            await self._finish(record)
        return record

    def _discover(self, outputs: dict[str, Any]) -> None:
        for key, path in self.annotate.items():
            holder: Any = outputs
            for step in path[:-1]:
                holder = holder.get(step) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and path[-1] in holder:
                self.found[key] = holder[path[-1]]

    async def _finish(self, root: RunRecord) -> None:
        """Hand the root's whole trace to the sink."""
        runs = self._runs.pop(root.trace_id, [])
        extra_meta = {
            **self.metadata,
            **{k: v for k, v in self.found.items() if k not in ("intent", "tool")},
        }
        for run in runs:
            if run.status == "pending":
                run.status = "error"
                run.error = "the run did not finish before its trace ended"
                run.end_time = root.end_time
                self._open.pop(run.id, None)
            if extra_meta:
                run.metadata = {**run.metadata, **extra_meta}
        self._encoded.clear()
        root.intent = _text(self.found.get("intent"))
        root.tool = _text(self.found.get("tool"))
        await self._persist_run(root, runs)

    async def _persist_run(self, run: Any, runs: list[RunRecord] | None = None) -> None:
        """Queue the finished trace whose root is `run` (never blocks the turn)."""
        if not self.sink.submit(Trace(scope=self.scope, runs=runs or [run])):
            log.debug("trace %s dropped (writer queue full)", run.trace_id)

    def _guard(self, where: str, exc: Exception) -> None:
        self.sink.record_error(where, exc)

    # ------------------------------------------------------------------ chains

    async def on_chain_start(  # type: ignore[override]
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: uuid.UUID,
        tags: list[str] | None = None,
        parent_run_id: uuid.UUID | None = None,
        metadata: dict[str, Any] | None = None,
        run_type: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a chain run (the turn, a graph node, a router, a span)."""
        try:
            payload = inputs if isinstance(inputs, dict) else {"input": inputs}
            self._start(
                run_id,
                parent_run_id,
                name or _name(serialized, "chain"),
                run_type or "chain",
                payload,
                tags,
                metadata,
            )
        except Exception as exc:  # noqa: BLE001
            self._guard("on_chain_start", exc)

    async def on_chain_end(  # type: ignore[override]
        self, outputs: Any, *, run_id: uuid.UUID, inputs: Any = None, **kwargs: Any
    ) -> None:
        """End a chain run."""
        try:
            await self._end(
                run_id, outputs if isinstance(outputs, dict) else {"output": outputs}, inputs=inputs
            )
        except Exception as exc:  # noqa: BLE001
            self._guard("on_chain_end", exc)

    async def on_chain_error(  # type: ignore[override]
        self, error: BaseException, *, run_id: uuid.UUID, inputs: Any = None, **kwargs: Any
    ) -> None:
        """Fail a chain run."""
        try:
            await self._end(run_id, None, error=error, inputs=inputs)
        except Exception as exc:  # noqa: BLE001
            self._guard("on_chain_error", exc)

    # ------------------------------------------------------------------ tools

    async def on_tool_start(  # type: ignore[override]
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a tool run."""
        try:
            self._start(
                run_id,
                parent_run_id,
                name or _name(serialized, "tool"),
                "tool",
                inputs if isinstance(inputs, dict) else {"input": input_str},
                tags,
                metadata,
            )
        except Exception as exc:  # noqa: BLE001
            self._guard("on_tool_start", exc)

    async def on_tool_end(self, output: Any, *, run_id: uuid.UUID, **kwargs: Any) -> None:  # type: ignore[override]
        """End a tool run."""
        try:
            await self._end(run_id, {"output": output})
        except Exception as exc:  # noqa: BLE001
            self._guard("on_tool_end", exc)

    async def on_tool_error(  # type: ignore[override]
        self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        """Fail a tool run."""
        try:
            await self._end(run_id, None, error=error)
        except Exception as exc:  # noqa: BLE001
            self._guard("on_tool_error", exc)

    # ------------------------------------------------------------------ retrievers

    async def on_retriever_start(  # type: ignore[override]
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a retriever run (spans pass their full inputs, else just the query)."""
        try:
            self._start(
                run_id,
                parent_run_id,
                name or _name(serialized, "Retriever"),
                "retriever",
                inputs if isinstance(inputs, dict) else {"query": query},
                tags,
                metadata,
            )
        except Exception as exc:  # noqa: BLE001
            self._guard("on_retriever_start", exc)

    async def on_retriever_end(  # type: ignore[override]
        self, documents: Sequence[Any], *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        """End a retriever run."""
        try:
            await self._end(run_id, {"documents": list(documents)})
        except Exception as exc:  # noqa: BLE001
            self._guard("on_retriever_end", exc)

    async def on_retriever_error(  # type: ignore[override]
        self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        """Fail a retriever run."""
        try:
            await self._end(run_id, None, error=error)
        except Exception as exc:  # noqa: BLE001
            self._guard("on_retriever_error", exc)

    # ------------------------------------------------------------------ models

    async def on_chat_model_start(  # type: ignore[override]
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a chat model run (run_type llm, like LangSmith)."""
        try:
            inputs = {"messages": [[_message(m) for m in batch] for batch in messages]}
            self._start(
                run_id,
                parent_run_id,
                name or _name(serialized, "llm"),
                "llm",
                inputs,
                tags,
                metadata,
                _llm_extra(kwargs),
            )
        except Exception as exc:  # noqa: BLE001
            self._guard("on_chat_model_start", exc)

    async def on_llm_start(  # type: ignore[override]
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: uuid.UUID,
        parent_run_id: uuid.UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a completion model run."""
        try:
            self._start(
                run_id,
                parent_run_id,
                name or _name(serialized, "llm"),
                "llm",
                {"prompts": prompts},
                tags,
                metadata,
                _llm_extra(kwargs),
            )
        except Exception as exc:  # noqa: BLE001
            self._guard("on_llm_start", exc)

    async def on_llm_new_token(  # type: ignore[override]
        self, token: str, *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        """Note the first streamed token's time; count the rest."""
        record = self._open.get(run_id)
        if record is None:
            return
        if record.first_token_time is None:
            record.first_token_time = datetime.now(UTC)
            record.events.append(
                {"name": "new_token", "time": record.first_token_time, "kwargs": {"token": token}}
            )
        record.extra["streamed_tokens"] = record.extra.get("streamed_tokens", 0) + 1

    async def on_retry(self, retry_state: Any, *, run_id: uuid.UUID, **kwargs: Any) -> None:  # type: ignore[override]
        """Record a retry of a model call."""
        record = self._open.get(run_id)
        if record is not None:
            attempt = getattr(retry_state, "attempt_number", None)
            record.events.append(
                {"name": "retry", "time": datetime.now(UTC), "kwargs": {"attempt": attempt}}
            )

    async def on_llm_end(self, response: Any, *, run_id: uuid.UUID, **kwargs: Any) -> None:  # type: ignore[override]
        """End a model run with its generations, token usage, model and provider."""
        try:
            record = self._open.get(run_id)
            if record is not None:
                _usage(record, response)
            await self._end(run_id, _llm_outputs(response))
        except Exception as exc:  # noqa: BLE001
            self._guard("on_llm_end", exc)

    async def on_llm_error(  # type: ignore[override]
        self, error: BaseException, *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        """Fail a model run (the traceback is kept)."""
        try:
            record = self._open.get(run_id)
            if record is not None:
                _usage(record, kwargs.get("response"))
            await self._end(run_id, None, error=error)
        except Exception as exc:  # noqa: BLE001
            self._guard("on_llm_error", exc)

    # ------------------------------------------------------------------ events

    async def on_custom_event(  # type: ignore[override]
        self, name: str, data: Any, *, run_id: uuid.UUID, **kwargs: Any
    ) -> None:
        """Attach a custom event (adispatch_custom_event) to the run it was sent from."""
        record = self._open.get(run_id)
        if record is not None:
            record.events.append({"name": name, "time": datetime.now(UTC), "kwargs": data})


def _order_stamp(when: datetime) -> str:
    """Return LangSmith's dotted-order time stamp, %Y%m%dT%H%M%S%fZ (faster than strftime)."""
    iso = when.isoformat(timespec="microseconds")  # 2026-01-31T12:34:56.123456+00:00
    return (
        iso[0:4]
        + iso[5:7]
        + iso[8:10]
        + "T"
        + iso[11:13]
        + iso[14:16]
        + iso[17:19]
        + iso[20:26]
        + "Z"
    )


def _name(serialized: Mapping[str, Any] | None, default: str) -> str:
    if not serialized:
        return default
    name = serialized.get("name")
    if name:
        return str(name)
    ident = serialized.get("id")
    return str(ident[-1]) if isinstance(ident, list) and ident else default


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _stacktrace(error: BaseException) -> str:
    try:
        return (repr(error) + "\n\n" + "".join(traceback.format_exception(error))).strip()
    except Exception:  # noqa: BLE001
        return repr(error)


def _message(message: Any) -> dict[str, Any]:
    """Return a chat message as {type, content[, tool_calls]}."""
    out: dict[str, Any] = {
        "type": getattr(message, "type", type(message).__name__),
        "content": getattr(message, "content", str(message)),
    }
    calls = getattr(message, "tool_calls", None)
    if calls:
        out["tool_calls"] = calls
    return out


def _llm_extra(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    params = kwargs.get("invocation_params")
    return {"invocation_params": params} if params else {}


def _llm_outputs(response: Any) -> dict[str, Any]:
    generations = []
    for batch in getattr(response, "generations", None) or []:
        row = []
        for gen in batch:
            item: dict[str, Any] = {"text": getattr(gen, "text", "")}
            message = getattr(gen, "message", None)
            if message is not None:
                item["message"] = _message(message)
            info = getattr(gen, "generation_info", None)
            if info:
                item["generation_info"] = info
            row.append(item)
        generations.append(row)
    return {"generations": generations, "llm_output": getattr(response, "llm_output", None)}


def _usage(record: RunRecord, response: Any) -> None:
    """Fill model, provider and token counts from the response and the run's metadata."""
    meta = record.metadata
    params = record.extra.get("invocation_params") or {}
    llm_output = getattr(response, "llm_output", None) or {}
    record.model = (
        meta.get("ls_model_name")
        or llm_output.get("model_name")
        or params.get("model_name")
        or params.get("model")
    )
    record.provider = meta.get("ls_provider") or params.get("_type")
    prompt = completion = total = None
    for batch in getattr(response, "generations", None) or []:
        for gen in batch:
            usage = getattr(getattr(gen, "message", None), "usage_metadata", None)
            if usage:
                prompt = (prompt or 0) + int(usage.get("input_tokens") or 0)
                completion = (completion or 0) + int(usage.get("output_tokens") or 0)
                total = (total or 0) + int(usage.get("total_tokens") or 0)
    if prompt is None:
        usage = llm_output.get("token_usage") or {}
        if usage:
            prompt = usage.get("prompt_tokens")
            completion = usage.get("completion_tokens")
            total = usage.get("total_tokens")
    record.prompt_tokens, record.completion_tokens = prompt, completion
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    record.total_tokens = total
