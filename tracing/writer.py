"""The background trace writer: a bounded queue drained in batches into Postgres.

Turns only ever call `submit` (a non-blocking put). Capping, redaction and the
database write happen in one background task owned by the Runtime; a failure is
logged and counted, never raised into a turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
import psycopg

from store import traces as traces_repo
from tracing.records import RunRecord, Trace, encode
from tracing.sanitize import SAME_AS, Limits, Sanitizer, cap_payload, lead_values

log = logging.getLogger(__name__)

POLICY_TTL_S = 30.0
"""How long a workspace's PII opt-in is cached by the writer."""


@dataclass
class WriterStats:
    """Counters of the writer (exposed on /readyz)."""

    queued: int = 0
    written_traces: int = 0
    written_runs: int = 0
    dropped_traces: int = 0
    """Traces refused because the queue was full."""
    failed_traces: int = 0
    """Traces that could not be written (database errors)."""
    orphaned_traces: int = 0
    """Traces skipped because their workspace or chatbot was deleted meanwhile."""
    tracer_errors: int = 0
    """Failures inside the tracer callbacks (the turn went on without them)."""

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a dict."""
        return dict(self.__dict__)


class TraceWriter:
    """Queue finished traces and write them in batches, off the response path."""

    def __init__(
        self,
        db: Any,
        *,
        limits: Limits | None = None,
        queue_size: int = 1000,
        batch_traces: int = 50,
        interval_s: float = 0.2,
    ) -> None:
        self.db = db
        self.limits = limits or Limits()
        self.batch_traces = batch_traces
        self.interval_s = interval_s
        self.stats = WriterStats()
        self._queue: asyncio.Queue[Trace] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self._policies: dict[uuid.UUID, tuple[bool, float]] = {}
        self._logged: set[tuple[str, type[BaseException]]] = set()

    # ------------------------------------------------------------------ the turn side

    def submit(self, trace: Trace) -> bool:
        """Queue a finished trace; drop it (and count) when the queue is full."""
        try:
            self._queue.put_nowait(trace)
        except asyncio.QueueFull:
            self.stats.dropped_traces += 1
            self._log_once("queue full: traces are being dropped", asyncio.QueueFull())
            return False
        self.stats.queued += 1
        return True

    def record_error(self, where: str, exc: BaseException) -> None:
        """Count a tracer failure; log the first of each kind."""
        self.stats.tracer_errors += 1
        self._log_once(f"tracer failed in {where}", exc)

    def forget_policy(self, workspace_id: uuid.UUID) -> None:
        """Drop the cached PII policy of a workspace (after it changed)."""
        self._policies.pop(workspace_id, None)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the background task."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="signpost-trace-writer")

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued trace is written (or failed); False on timeout."""
        if self._task is None or self._task.done():
            await self._drain_now()
            return True
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the task."""
        await self.flush(timeout)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Let a burst of turns finish first: one write for many traces.
            await asyncio.sleep(self.interval_s)
            while len(batch) < self.batch_traces:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            try:
                await self.write(batch)
            except Exception as exc:  # noqa: BLE001 - the writer must outlive any failure
                self.stats.failed_traces += len(batch)
                self._log_once("trace batch failed", exc)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _drain_now(self) -> None:
        batch: list[Trace] = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        if batch:
            try:
                await self.write(batch)
            except Exception as exc:  # noqa: BLE001
                self.stats.failed_traces += len(batch)
                self._log_once("trace batch failed", exc)
            for _ in batch:
                self._queue.task_done()

    # ------------------------------------------------------------------ writing

    async def write(self, batch: list[Trace]) -> None:
        """Sanitise and insert a batch; on failure retry trace by trace, counting losses."""
        policies = await self._policies_for({t.scope.workspace_id for t in batch})
        prepared: list[tuple[Trace, list[tuple[Any, ...]]]] = []
        for trace in batch:
            allow_pii = policies.get(trace.scope.workspace_id, False)
            prepared.append((trace, await self._rows(trace, allow_pii)))
        try:
            async with self.db.transaction() as conn:
                await traces_repo.insert_runs(conn, [r for _, rows in prepared for r in rows])
        except Exception as exc:  # noqa: BLE001
            if not isinstance(exc, psycopg.errors.ForeignKeyViolation):
                self._log_once("trace batch insert failed; retrying trace by trace", exc)
            for _, rows in prepared:
                try:
                    async with self.db.transaction() as conn:
                        await traces_repo.insert_runs(conn, rows)
                except psycopg.errors.ForeignKeyViolation:
                    # The workspace or chatbot went away (e.g. an eval run cleaned up): its
                    # traces would have been deleted with it, so there is nothing to keep.
                    self.stats.orphaned_traces += 1
                except Exception as inner:  # noqa: BLE001
                    self.stats.failed_traces += 1
                    self._log_once("trace insert failed", inner)
                else:
                    self._written(rows)
            return
        for _, rows in prepared:
            self._written(rows)

    def _written(self, rows: list[tuple[Any, ...]]) -> None:
        self.stats.written_traces += 1
        self.stats.written_runs += len(rows)

    async def _policies_for(self, workspace_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bool]:
        now = time.monotonic()
        out: dict[uuid.UUID, bool] = {}
        missing = []
        for ws in workspace_ids:
            cached = self._policies.get(ws)
            if cached is not None and cached[1] > now:
                out[ws] = cached[0]
            else:
                missing.append(ws)
        if missing:
            try:
                async with self.db.connection() as conn:
                    found = await traces_repo.pii_policies(conn, missing)
            except Exception as exc:  # noqa: BLE001 - unknown policy means redact
                self._log_once("could not read trace PII policies", exc)
                found = {}
            for ws in missing:
                allowed = bool(found.get(ws, False))
                out[ws] = allowed
                if ws in found:
                    self._policies[ws] = (allowed, now + POLICY_TTL_S)
        return out

    async def _rows(self, trace: Trace, allow_pii: bool) -> list[tuple[Any, ...]]:
        """Turn a trace's records into insert rows (yielding to the loop between runs).

        A value several runs share — the graph state every node receives — is stored
        in full once; later runs hold a reference to it ({"__same_as__": …}) that the
        read side expands again.
        """
        seen: dict[bytes, dict[str, Any]] = {}
        decoded = [
            (_fields(r.id, "inputs", r.inputs, seen), _fields(r.id, "outputs", r.outputs, seen))
            for r in trace.runs
        ]
        values = () if allow_pii else lead_values(p for pair in decoded for p in pair)
        sanitizer = Sanitizer(self.limits, allow_pii=allow_pii, lead_values=values)
        totals = _token_totals(trace.runs)
        scope = trace.scope
        rows = []
        for record, (inputs, outputs) in zip(trace.runs, decoded, strict=True):
            extra = {"metadata": record.metadata, **record.extra}
            rows.append(
                (
                    record.id,
                    record.trace_id,
                    record.parent_run_id,
                    record.dotted_order,
                    scope.workspace_id,
                    scope.chatbot_id,
                    scope.thread_id,
                    scope.turn_id,
                    scope.mode,
                    record.name,
                    record.run_type,
                    record.status,
                    sanitizer.text(record.error, limit=self.limits.max_field_chars * 4)
                    if record.error
                    else None,
                    record.start_time,
                    record.end_time,
                    record.first_token_time,
                    self._json(sanitizer, inputs),
                    self._json(sanitizer, outputs),
                    self._json(sanitizer, _decode(encode(record.events))) or "[]",
                    record.tags,
                    self._json(sanitizer, _decode(encode(extra))) or "{}",
                    record.model,
                    record.provider,
                    *totals.get(record.id, (None, None, None)),
                    record.intent,
                    record.tool,
                )
            )
            await asyncio.sleep(0)
        return rows

    def _json(self, sanitizer: Sanitizer, value: Any) -> str | None:
        if value is None:
            return None
        return cap_payload(msgspec.json.encode(sanitizer.apply(value)), self.limits).decode()

    def _log_once(self, message: str, exc: BaseException) -> None:
        key = (message, type(exc))
        if key in self._logged:
            log.debug("%s: %s", message, exc)
            return
        self._logged.add(key)
        log.warning("tracing: %s: %s", message, exc)


SHARED_MIN_BYTES = 200
"""Values at least this large are stored once per trace and referenced after that."""


def _fields(
    run_id: uuid.UUID,
    field: str,
    fields: dict[str, bytes] | None,
    seen: dict[bytes, dict[str, Any]],
) -> dict[str, Any] | None:
    """Decode a payload's values; a large value seen earlier in the trace becomes a reference."""
    if fields is None:
        return None
    out: dict[str, Any] = {}
    for key, raw in fields.items():
        if len(raw) >= SHARED_MIN_BYTES:
            ref = seen.get(raw)
            if ref is not None:
                out[key] = ref
                continue
            seen[raw] = {SAME_AS: {"run_id": str(run_id), "field": field, "key": key}}
        out[key] = _decode(raw)
    return out


def _decode(payload: bytes | None) -> Any:
    if payload is None:
        return None
    try:
        return msgspec.json.decode(payload)
    except msgspec.DecodeError:
        return {"_undecodable": payload[:500].decode("utf-8", "ignore")}


Tokens = tuple[int | None, int | None, int | None]


def _token_totals(runs: list[RunRecord]) -> dict[uuid.UUID, Tokens]:
    """Return run id → (prompt, completion, total) tokens of its subtree (LangSmith's sums)."""
    children: dict[uuid.UUID, list[RunRecord]] = {}
    for run in runs:
        if run.parent_run_id is not None:
            children.setdefault(run.parent_run_id, []).append(run)
    out: dict[uuid.UUID, Tokens] = {}

    def visit(run: RunRecord) -> Tokens:
        own = (run.prompt_tokens, run.completion_tokens, run.total_tokens)
        sums = list(own)
        for child in children.get(run.id, []):
            for i, value in enumerate(visit(child)):
                if value is not None and own[i] is None:
                    sums[i] = (sums[i] or 0) + value
        out[run.id] = (sums[0], sums[1], sums[2])
        return out[run.id]

    ids = {run.id for run in runs}
    for run in runs:
        if run.parent_run_id is None or run.parent_run_id not in ids:
            visit(run)
    return out
