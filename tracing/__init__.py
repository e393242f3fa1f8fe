"""Trace inspection: capture every turn's run tree, store it in Postgres, export to LangSmith."""

from __future__ import annotations

from typing import Any

from tracing.embeddings import TracedEmbeddings, TracedSpace
from tracing.langsmith import LangSmithExport
from tracing.records import RunRecord, Trace, TraceScope
from tracing.sanitize import Limits
from tracing.spans import span, traced
from tracing.tracer import TurnTracer
from tracing.writer import TraceWriter

TRACE_ANNOTATIONS = {
    "kb_version": ("bot", "kb_version"),
    "intent": ("output", "intent"),
    "tool": ("output", "tool"),
}
"""Trace metadata read from the graph's outputs: the bot's KB version, the turn's intent/tool."""


def limits_from(settings: Any) -> Limits:
    """Return the payload caps configured in settings."""
    return Limits(
        max_field_chars=settings.trace_max_field_chars,
        max_items=settings.trace_max_items,
        max_payload_bytes=settings.trace_max_payload_bytes,
    )


def build_writer(settings: Any, db: Any) -> TraceWriter:
    """Return the runtime's trace writer (not started)."""
    return TraceWriter(db, limits=limits_from(settings), queue_size=settings.trace_queue_size)


class Tracing:
    """What the turn engine asks of tracing: the callbacks to attach to one turn."""

    def __init__(self, writer: TraceWriter | None, langsmith: LangSmithExport) -> None:
        self.writer = writer
        self.langsmith = langsmith

    @classmethod
    def for_runtime(cls, runtime: Any) -> Tracing:
        """Return the runtime's tracing (its writer is None when SIGNPOST_TRACING is off)."""
        return cls(getattr(runtime, "traces", None), LangSmithExport(runtime.settings))

    def callbacks(self, scope: TraceScope, metadata: dict[str, Any] | None = None) -> list[Any]:
        """Return the handlers for one turn: our tracer, and LangSmith's when enabled."""
        handlers: list[Any] = []
        if self.writer is not None:
            handlers.append(
                TurnTracer(self.writer, scope, annotate=TRACE_ANNOTATIONS, metadata=metadata)
            )
        langsmith = self.langsmith.tracer()
        if langsmith is not None:
            handlers.append(langsmith)
        return handlers


__all__ = [
    "TRACE_ANNOTATIONS",
    "LangSmithExport",
    "Limits",
    "RunRecord",
    "Trace",
    "TraceScope",
    "TraceWriter",
    "TracedEmbeddings",
    "TracedSpace",
    "Tracing",
    "TurnTracer",
    "build_writer",
    "limits_from",
    "span",
    "traced",
]
