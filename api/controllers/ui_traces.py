"""Builder pages at /ui/traces: the list of turn traces and one trace's waterfall.

Server-rendered like the other builder pages (api/controllers/ui.py provides the
layout context, the sign-in dependency and the error pages); no script — runs
expand with <details>, bar offsets and widths are inline styles.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from api.controllers.ui import UIController, render
from api.deps import ConnDep
from services import traces as trace_service
from store import chatbots as chatbot_repo

PAGE_SIZE = 25
MODES = ("live", "preview", "eval")
STATUSES = ("success", "error")

TraceWorkspace = NamedDependency[uuid.UUID]
"""The signed-in builder session's workspace."""


def pretty_json(value: Any) -> str:
    """Return a value as indented JSON for a <pre>."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _json_or_none(value: Any) -> str | None:
    return pretty_json(value) if value is not None else None


def waterfall(tree: dict[str, Any]) -> dict[str, Any]:
    """Lay a trace out as waterfall rows: bar offset and width as % of the root's span."""
    runs = tree["runs"]
    root = tree["root"]
    total = root.get("latency_ms") or max(
        ((r["offset_ms"] or 0) + (r["latency_ms"] or 0) for r in runs), default=0.0
    )
    total = max(float(total or 0.0), 0.001)
    rows = []
    for run in runs:
        offset = float(run.get("offset_ms") or 0.0)
        latency = run.get("latency_ms")
        width = (float(latency) if latency is not None else total - offset) / total * 100
        left = min(max(offset / total * 100, 0.0), 100.0)
        rows.append(
            {
                **run,
                "left_pct": round(left, 3),
                "width_pct": round(min(max(width, 0.35), 100.0 - left), 3),
                "inputs_json": _json_or_none(run.get("inputs")),
                "outputs_json": _json_or_none(run.get("outputs")),
                "metadata_json": pretty_json((run.get("extra") or {}).get("metadata") or {}),
                "events_json": pretty_json(run.get("events") or []),
                "error_head": (run.get("error") or "").strip().splitlines()[0][:200]
                if run.get("error")
                else None,
            }
        )
    return {"rows": rows, "total_ms": round(total, 2), "ticks": _ticks(total)}


def _ticks(total: float) -> list[dict[str, Any]]:
    """Return 4–6 round time marks across the waterfall's scale."""
    step = 10 ** math.floor(math.log10(max(total / 5, 0.001)))
    for factor in (1, 2, 5, 10):
        if total / (step * factor) <= 6:
            step *= factor
            break
    marks, value = [], 0.0
    while value <= total + 1e-9:
        marks.append({"pct": round(value / total * 100, 3), "label": f"{value:g} ms"})
        value += step
    return marks


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _since(value: str | None) -> datetime | None:
    """Parse a date (YYYY-MM-DD) or an ISO timestamp; None when blank or invalid."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time.min, tzinfo=UTC)
    return parsed


class TraceUIController(Controller):
    """The trace list and waterfall pages (signed-in builder session)."""

    path = "/ui/traces"
    include_in_schema = False
    dependencies = dict(UIController.dependencies or {})  # noqa: RUF012
    exception_handlers = dict(UIController.exception_handlers or {})  # noqa: RUF012

    @get("/")
    async def traces(
        self,
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: TraceWorkspace,
        chatbot_id: FromQuery[str | None] = None,
        mode: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        thread_id: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        """List the workspace's turn traces, newest first, with filters."""
        bots, _ = await chatbot_repo.list_chatbots(conn, ws_id, limit=200, offset=0)
        filters = {
            "chatbot_id": str(_uuid(chatbot_id) or "") or None,
            "mode": mode if mode in MODES else None,
            "status": status if status in STATUSES else None,
            "thread_id": (thread_id or "").strip()[:200] or None,
            "since": since if _since(since) else None,
        }
        page = max(1, page)
        items, total = await trace_service.list_traces(
            conn,
            ws_id,
            chatbot_id=_uuid(filters["chatbot_id"]),
            thread_id=filters["thread_id"],
            mode=filters["mode"],
            status=filters["status"],
            since=_since(filters["since"]),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        names = {str(b.id): b.name for b in bots}
        query = urlencode({k: v for k, v in filters.items() if v})
        return await render(
            request,
            conn,
            ws_id,
            "traces.html",
            rows=items,
            total=total,
            bots=bots,
            bot_names=names,
            filters=filters,
            modes=MODES,
            statuses=STATUSES,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            query=query,
        )

    @get("/{trace_id:uuid}")
    async def trace(
        self,
        request: Request[Any, Any, Any],
        trace_id: FromPath[uuid.UUID],
        conn: ConnDep,
        ws_id: TraceWorkspace,
    ) -> Template:
        """Show one trace as a waterfall with every run's inputs, outputs and errors."""
        tree = await trace_service.trace_tree(conn, ws_id, trace_id, payloads=True)
        bot = None
        if tree["root"].get("chatbot_id"):
            bot = await chatbot_repo.get_chatbot(conn, ws_id, uuid.UUID(tree["root"]["chatbot_id"]))
        return await render(
            request,
            conn,
            ws_id,
            "trace.html",
            tree=tree,
            root=tree["root"],
            bot=bot,
            feedback=tree["feedback"],
            waterfall=waterfall(tree),
        )
