"""Run chat turns through the one compiled graph, for every surface (widget, preview, evals)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from graph.builder import build_graph
from graph.context import Context, ModelSettings, TurnServices
from signpost.errors import NotFound, ValidationFailed
from signpost.protocol import INTENT_TOOL, TurnOutput
from store import conversations
from tracing import TracedSpace, TraceScope, Tracing

log = logging.getLogger(__name__)

Mode = Literal["live", "preview", "eval"]
MAX_MESSAGE_CHARS = 2000
_SAVERS = 8
_SETUP_LOCK = 0x5169_6E70_636B_70
_SETUP_POLL_S = 0.1


async def _try_lock(conn: Any, key: int) -> bool:
    """Take a session advisory lock if it is free; never waits (see TurnEngine.start)."""
    cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS locked", (key,))
    row = await cur.fetchone()
    return bool(row and row["locked"])


@dataclass(frozen=True)
class TurnRequest:
    """One turn's input: a chat message or a lead form submission, on a thread."""

    message: str | None = None
    lead: dict[str, str] | None = None
    thread_id: str | None = None

    def validate(self) -> None:
        """Raise ValidationFailed unless exactly one of message/lead is given and sane."""
        if (self.message is None) == (self.lead is None):
            raise ValidationFailed("send exactly one of 'message' or 'lead'")
        if self.message is not None:
            if not self.message.strip():
                raise ValidationFailed("the message is empty")
            if len(self.message) > MAX_MESSAGE_CHARS:
                raise ValidationFailed(
                    f"the message is {len(self.message)} characters; the limit is {MAX_MESSAGE_CHARS}"
                )
        if self.lead is not None:
            if not isinstance(self.lead, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.lead.items()
            ):
                raise ValidationFailed("'lead' must be an object of text fields")
            if sum(len(v) for v in self.lead.values()) > MAX_MESSAGE_CHARS:
                raise ValidationFailed("the lead form values are too long")


def new_thread_id() -> str:
    """Return a fresh thread id."""
    return "thr_" + uuid.uuid4().hex


class TurnEngine:
    """The compiled turn graph with a small set of checkpointers on the shared pool.

    One AsyncPostgresSaver serialises its DB calls behind a lock; several savers let
    concurrent turns checkpoint in parallel (stack-notes: langgraph #7259).
    """

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._graphs: list[Any] = []
        self._next = itertools.count()
        self._background: set[asyncio.Task[Any]] = set()
        # A turn borrows up to ~5 pooled connections at once (concurrent retrievals,
        # checkpoints, transcript). Admitting only as many turns as the pool can serve
        # queues the rest instead of letting them starve each other.
        self._admission = asyncio.Semaphore(max(1, runtime.settings.db_pool_max // 5))
        settings = runtime.settings
        self.model = ModelSettings(
            chat_model=settings.chat_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
            timeout_s=settings.model_timeout_s,
        )
        models = None
        if self.model.enabled:
            from graph.model import ModelClients

            models = ModelClients(self.model)
        from prompts import prompt_versions
        from services.documents import LinkSigner

        self.tracing = Tracing.for_runtime(runtime)
        self._prompt_versions = prompt_versions()

        self.services = TurnServices(
            db=runtime.db,
            space=TracedSpace(runtime.space),
            chunk_table=runtime.chunk_table,
            signer=LinkSigner(settings.resolved_secret_key(), ttl=settings.document_link_ttl),
            base_url=runtime.base_url,
            models=models,
            submit_job=self._submit_job,
        )

    async def _submit_job(self, job_id: uuid.UUID) -> None:
        """Hand a job a node queued to the runner (a later sweep picks it up otherwise)."""
        if self.runtime.jobs is not None:
            await self.runtime.jobs.submit(job_id)

    async def start(self) -> None:
        """Create the checkpoint tables once and compile the graph per saver."""
        pool = self.runtime.db.pool
        async with pool.connection() as conn:
            # Poll for the lock rather than wait in pg_advisory_lock: a statement blocked
            # there keeps a snapshot open, and the saver's CREATE INDEX CONCURRENTLY (run
            # by the process holding the lock) waits for every open snapshot. Two workers
            # starting on a fresh database deadlocked that way, outside Postgres's view.
            while not await _try_lock(conn, _SETUP_LOCK):
                await asyncio.sleep(_SETUP_POLL_S)
            try:
                await AsyncPostgresSaver(conn=pool).setup()  # type: ignore[arg-type]
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
        await asyncio.to_thread(self._warm_up)
        builder = build_graph()
        self._graphs = [
            builder.compile(checkpointer=AsyncPostgresSaver(conn=pool), name="signpost-turn")  # type: ignore[arg-type]
            for _ in range(_SAVERS)
        ]

    def _warm_up(self) -> None:
        """Load models and data once per process, before the first visitor waits for them."""
        from graph.classifier import ExemplarIndex
        from tools import geo

        # The traced wrapper nodes use: the exemplar index is cached per embedder object.
        embeddings = self.services.space.embeddings
        if hasattr(embeddings, "warm_up"):
            embeddings.warm_up()
        ExemplarIndex.for_embeddings(embeddings)
        geo.warm_up()

    def graph(self) -> Any:
        """Return a compiled graph (round robin over the savers)."""
        return self._graphs[next(self._next) % len(self._graphs)]

    def context(self, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, mode: Mode) -> Context:
        """Return the per-run context."""
        return Context(
            workspace_id=workspace_id,
            chatbot_id=chatbot_id,
            services=self.services,
            mode=mode,
            model=self.model,
        )

    async def _thread(
        self, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, thread_id: str | None, mode: Mode
    ) -> str:
        """Return the thread to use: the given one if it is this bot's, else a new one."""
        async with self.runtime.db.connection() as conn:
            if thread_id:
                owner = await conversations.thread_owner(conn, thread_id)
                if owner is not None:
                    if owner["workspace_id"] != workspace_id or owner["chatbot_id"] != chatbot_id:
                        raise NotFound(f"thread {thread_id} not found")
                    return thread_id
                # Unknown (e.g. expired and pruned): start over on a new thread.
            new_id = new_thread_id()
            await conversations.open_thread(conn, workspace_id, chatbot_id, new_id, mode)
            return new_id

    async def begin(
        self, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, request: TurnRequest, mode: Mode
    ) -> TurnHandle:
        """Validate, resolve the thread, store the user message and start the graph.

        Everything that can be refused (bad input, another bot's thread) is refused here,
        before a streaming response starts. The graph runs in its own task: if the
        consumer goes away mid-stream the turn still completes and is stored.
        """
        request.validate()
        thread_id = await self._thread(workspace_id, chatbot_id, request.thread_id, mode)
        turn_id = "turn_" + uuid.uuid4().hex
        trace_id = str(uuid.uuid4())
        async with self.runtime.db.connection() as conn:
            await conversations.append_message(
                conn,
                workspace_id,
                thread_id,
                role="user",
                turn_id=turn_id,
                content=request.message or "",
                lead_input=_redacted(request.lead),
            )
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        await queue.put(
            {
                "event": "turn.started",
                "data": {"thread_id": thread_id, "turn_id": turn_id, "trace_id": trace_id},
            }
        )
        task = asyncio.create_task(
            self._run_graph(
                workspace_id, chatbot_id, request, mode, thread_id, turn_id, trace_id, queue
            )
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return TurnHandle(thread_id=thread_id, turn_id=turn_id, trace_id=trace_id, queue=queue)

    async def stream(
        self,
        workspace_id: uuid.UUID,
        chatbot_id: uuid.UUID,
        request: TurnRequest,
        mode: Mode,
        *,
        keepalive_s: float | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield protocol events: turn.started, intent, text.delta, ui.block, turn.completed."""
        handle = await self.begin(workspace_id, chatbot_id, request, mode)
        async for event in handle.events(keepalive_s=keepalive_s):
            yield event

    async def _run_graph(
        self,
        workspace_id: uuid.UUID,
        chatbot_id: uuid.UUID,
        request: TurnRequest,
        mode: Mode,
        thread_id: str,
        turn_id: str,
        trace_id: str,
        queue: asyncio.Queue[dict[str, Any] | None],
    ) -> None:
        started = time.perf_counter()
        config = {
            "configurable": {"thread_id": thread_id},
            "run_id": uuid.UUID(trace_id),
            "run_name": "turn",
            "metadata": {
                "trace_id": trace_id,
                "turn_id": turn_id,
                "thread_id": thread_id,
                "workspace_id": str(workspace_id),
                "chatbot_id": str(chatbot_id),
                "mode": mode,
                "prompt_versions": self._prompt_versions,
            },
            "tags": [f"mode:{mode}"],
            # The root run's id is trace_id, so TurnOutput.trace_id opens this trace.
            "callbacks": self.tracing.callbacks(
                TraceScope(
                    workspace_id=workspace_id,
                    chatbot_id=chatbot_id,
                    thread_id=thread_id,
                    turn_id=turn_id,
                    mode=mode,
                )
            ),
        }
        payload = {
            "turn_id": turn_id,
            "thread_id": thread_id,
            "message": request.message,
            "lead_submission": request.lead,
        }
        output: dict[str, Any] | None = None
        try:
            async with self._admission:
                output = await self._drive(payload, config, workspace_id, chatbot_id, mode, queue)
            if output is None:
                raise RuntimeError("the graph produced no output")
            output["trace_id"] = trace_id
            latency = (time.perf_counter() - started) * 1000
            async with self.runtime.db.connection() as conn:
                await conversations.append_message(
                    conn,
                    workspace_id,
                    thread_id,
                    role="assistant",
                    turn_id=turn_id,
                    content=output["text"],
                    output=output,
                    intent=output["intent"],
                    tool=output["tool"],
                    citations=output["citations"],
                    trace_id=trace_id,
                    latency_ms=latency,
                )
            await queue.put({"event": "turn.completed", "data": output})
        except Exception as exc:
            log.exception("turn %s failed", turn_id)
            code = getattr(exc, "code", "turn_failed")
            message = getattr(exc, "message", None) or "the turn could not be completed"
            await queue.put({"event": "error", "data": {"code": code, "message": message}})
        finally:
            await queue.put(None)

    async def _drive(
        self,
        payload: dict[str, Any],
        config: dict[str, Any],
        workspace_id: uuid.UUID,
        chatbot_id: uuid.UUID,
        mode: Mode,
        queue: asyncio.Queue[dict[str, Any] | None],
    ) -> dict[str, Any] | None:
        """Run the graph, forwarding its stream events; return the composed TurnOutput."""
        output: dict[str, Any] | None = None
        async for chunk in self.graph().astream(
            payload,
            config,
            context=self.context(workspace_id, chatbot_id, mode),
            stream_mode=["custom", "updates"],
            durability="exit",
            version="v2",
        ):
            if chunk["type"] == "custom":
                await queue.put(chunk["data"])
            elif chunk["type"] == "updates" and "compose_response" in chunk["data"]:
                output = chunk["data"]["compose_response"]["output"]
        return output

    async def run(
        self, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, request: TurnRequest, mode: Mode
    ) -> TurnOutput:
        """Run a turn to completion and return its TurnOutput."""
        output: dict[str, Any] | None = None
        error: dict[str, Any] | None = None
        async for event in self.stream(workspace_id, chatbot_id, request, mode):
            if event["event"] == "turn.completed":
                output = event["data"]
            elif event["event"] == "error":
                error = event["data"]
        if output is None:
            raise TurnFailed(
                (error or {}).get("message", "the turn failed"), code=(error or {}).get("code")
            )
        return TurnOutput.model_validate(output)

    async def close(self) -> None:
        """Let running turns finish (they persist their result)."""
        if self._background:
            with contextlib.suppress(Exception):
                await asyncio.wait(self._background, timeout=10)


@dataclass
class TurnHandle:
    """A started turn: its ids and the stream of its events."""

    thread_id: str
    turn_id: str
    trace_id: str
    queue: asyncio.Queue[dict[str, Any] | None]

    async def events(self, *, keepalive_s: float | None = None) -> AsyncIterator[dict[str, Any]]:
        """Yield the turn's events; `keepalive` events fill silences longer than keepalive_s."""
        while True:
            if keepalive_s is None or not self.queue.empty():
                event = await self.queue.get()  # no timer for an event already waiting
            else:
                try:
                    event = await asyncio.wait_for(self.queue.get(), keepalive_s)
                except TimeoutError:
                    yield {"event": "keepalive", "data": None}
                    continue
            if event is None:
                return
            yield event


class TurnFailed(Exception):
    """A turn ended with an error event."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or "turn_failed"


def _redacted(lead: dict[str, str] | None) -> dict[str, Any] | None:
    """Keep which fields a lead submission had, not their values (the lead table has them)."""
    if lead is None:
        return None
    return {"fields": sorted(lead)}


async def run_turn(
    runtime: Any,
    *,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    request: TurnRequest,
    mode: Mode = "live",
) -> TurnOutput:
    """Run one turn through the runtime's turn engine."""
    return await runtime.turns.run(workspace_id, chatbot_id, request, mode)


__all__ = ["INTENT_TOOL", "TurnEngine", "TurnFailed", "TurnHandle", "TurnRequest", "run_turn"]
