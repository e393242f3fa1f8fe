"""Read traces for the API and the viewer: root lists, run trees, runs, feedback, PII policy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from signpost.errors import NotFound
from store import feedback as feedback_repo
from store import traces as traces_repo
from store.db import Conn
from tracing.sanitize import SAME_AS

_TIMES = ("start_time", "end_time", "first_token_time")


def run_dict(row: dict[str, Any]) -> dict[str, Any]:
    """Return a stored run in LangSmith's field names (times as RFC 3339, ids as text)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "workspace_id":
            continue
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[key] = value
    if out.get("latency_ms") is not None:
        out["latency_ms"] = round(out["latency_ms"], 2)
    out["depth"] = row["dotted_order"].count(".")
    return out


async def list_traces(
    conn: Conn,
    workspace_id: uuid.UUID,
    *,
    chatbot_id: uuid.UUID | None = None,
    thread_id: str | None = None,
    mode: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Return the workspace's turns' root runs (newest first) with their feedback, and the total."""
    rows, total = await traces_repo.list_roots(
        conn,
        workspace_id,
        chatbot_id=chatbot_id,
        thread_id=thread_id,
        mode=mode,
        status=status,
        since=since,
        limit=limit,
        offset=offset,
    )
    items = [run_dict(r) for r in rows]
    feedback = await feedback_repo.feedback_for_traces(conn, workspace_id, [i["id"] for i in items])
    for item in items:
        item["trace_id"] = item["id"]
        item["feedback"] = feedback.get(item["id"], [])
    return items, total


async def trace_tree(
    conn: Conn, workspace_id: uuid.UUID, trace_id: uuid.UUID, *, payloads: bool = False
) -> dict[str, Any]:
    """Return one trace: its runs in execution order (dotted order) with depth and children.

    Each run also carries `offset_ms` (start relative to the root's start), which the
    viewer's waterfall uses. Raises NotFound for an unknown or another workspace's trace.
    """
    rows = await traces_repo.trace_runs(conn, workspace_id, trace_id, payloads=payloads)
    if not rows:
        raise NotFound(f"trace {trace_id} not found")
    root_row = next((r for r in rows if r["parent_run_id"] is None), rows[0])
    origin = root_row["start_time"]
    runs = []
    children: dict[str, list[str]] = {}
    for row in rows:
        run = run_dict(row)
        run["offset_ms"] = round((row["start_time"] - origin).total_seconds() * 1000, 2)
        if run["parent_run_id"]:
            children.setdefault(run["parent_run_id"], []).append(run["id"])
        runs.append(run)
    for run in runs:
        run["child_run_ids"] = children.get(run["id"], [])
    if payloads:
        by_id = {r["id"]: r for r in runs}
        for run in runs:
            expand_shared(run, by_id)
    feedback = await feedback_repo.feedback_for_traces(conn, workspace_id, [str(trace_id)])
    root = next(r for r in runs if r["id"] == str(root_row["id"]))
    return {
        "trace_id": str(trace_id),
        "root": root,
        "runs": runs,
        "feedback": feedback.get(str(trace_id), []),
    }


async def get_run(
    conn: Conn, workspace_id: uuid.UUID, trace_id: uuid.UUID, run_id: uuid.UUID
) -> dict[str, Any]:
    """Return one run with its full inputs and outputs; NotFound unless it is this workspace's."""
    row = await traces_repo.get_run(conn, workspace_id, trace_id, run_id)
    if row is None:
        raise NotFound(f"run {run_id} not found in trace {trace_id}")
    run = run_dict(row)
    wanted = {ref["run_id"] for ref in _shared_refs(run)}
    if wanted:
        sources = await traces_repo.run_payloads(
            conn, workspace_id, trace_id, [uuid.UUID(i) for i in wanted]
        )
        expand_shared(run, {str(k): v for k, v in sources.items()})
    run["child_run_ids"] = [
        str(i) for i in await traces_repo.child_run_ids(conn, workspace_id, trace_id, run_id)
    ]
    return run


def _shared_refs(run: dict[str, Any]) -> list[dict[str, str]]:
    refs: list[dict[str, str]] = []
    for field in ("inputs", "outputs"):
        payload = run.get(field)
        if isinstance(payload, dict):
            refs.extend(
                v[SAME_AS] for v in payload.values() if isinstance(v, dict) and SAME_AS in v
            )
    return refs


def expand_shared(run: dict[str, Any], sources: dict[str, dict[str, Any]]) -> None:
    """Put back the values the writer stored once per trace (graph state every node sees)."""
    for field in ("inputs", "outputs"):
        payload = run.get(field)
        if not isinstance(payload, dict):
            continue
        for key, value in payload.items():
            if not (isinstance(value, dict) and SAME_AS in value):
                continue
            ref = value[SAME_AS]
            source = (sources.get(ref.get("run_id")) or {}).get(ref.get("field"))
            found = source.get(ref.get("key")) if isinstance(source, dict) else None
            if found is None or (isinstance(found, dict) and SAME_AS in found):
                payload[key] = "[not kept: the run it repeats was truncated]"
            else:
                payload[key] = found


async def trace_policy(conn: Conn, workspace_id: uuid.UUID) -> dict[str, Any]:
    """Return the workspace's trace settings."""
    found = await traces_repo.pii_policies(conn, [workspace_id])
    return {"trace_pii": bool(found.get(workspace_id, False))}


async def set_trace_policy(
    conn: Conn, runtime: Any, workspace_id: uuid.UUID, *, trace_pii: bool
) -> dict[str, Any]:
    """Opt the workspace in or out of keeping lead personal data in new traces."""
    await traces_repo.set_trace_pii(conn, workspace_id, trace_pii)
    if getattr(runtime, "traces", None) is not None:
        runtime.traces.forget_policy(workspace_id)
    return {"trace_pii": trace_pii}
