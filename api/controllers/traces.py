"""Builder API: traces of turns — list root runs, open a run tree, read one run in full."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import BaseModel, Field

from api.deps import ConnDep, RuntimeDep, WorkspaceId
from api.schemas import Page
from services import traces as trace_service

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Items to skip.")]
ModeFilter = Annotated[
    Literal["live", "preview", "eval"] | None, QueryParameter(description="Only this mode.")
]
StatusFilter = Annotated[
    Literal["success", "error"] | None, QueryParameter(description="Only this status.")
]
Since = Annotated[datetime | None, QueryParameter(description="Started at or after (ISO 8601).")]
ChatbotFilter = Annotated[uuid.UUID | None, QueryParameter(description="Only this chatbot.")]
ThreadFilter = Annotated[str | None, QueryParameter(description="Only this conversation.")]


class TracePolicy(BaseModel):
    """The workspace's trace settings."""

    trace_pii: bool = Field(
        description="Keep lead personal data (names, emails, phones) in new traces; "
        "off by default, when it is redacted. Secrets are always redacted."
    )


class TraceController(Controller):
    """Run trees of turns, LangSmith-shaped: every surface's turns leave one."""

    path = "/api/v1/traces"
    tags = ["traces"]

    @get("/")
    async def list(
        self,
        conn: ConnDep,
        workspace_id: WorkspaceId,
        chatbot_id: ChatbotFilter = None,
        thread_id: ThreadFilter = None,
        mode: ModeFilter = None,
        status: StatusFilter = None,
        since: Since = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[dict[str, Any]]:
        """List root runs (one per turn), newest first, with latency, tokens and feedback."""
        items, total = await trace_service.list_traces(
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
        return Page[dict[str, Any]](items=items, total=total, limit=limit, offset=offset)

    @get("/settings")
    async def settings(self, conn: ConnDep, workspace_id: WorkspaceId) -> TracePolicy:
        """Return the workspace's trace settings."""
        return TracePolicy(**await trace_service.trace_policy(conn, workspace_id))

    @put("/settings")
    async def update_settings(
        self,
        data: JSONBody[TracePolicy],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> TracePolicy:
        """Opt in (or out) of keeping lead personal data in new traces."""
        return TracePolicy(
            **await trace_service.set_trace_policy(
                conn, runtime, workspace_id, trace_pii=data.trace_pii
            )
        )

    @get("/{trace_id:uuid}")
    async def trace(
        self, trace_id: FromPath[uuid.UUID], conn: ConnDep, workspace_id: WorkspaceId
    ) -> dict[str, Any]:
        """Return the trace's run tree in execution order (without payloads) and its feedback."""
        return await trace_service.trace_tree(conn, workspace_id, trace_id)

    @get("/{trace_id:uuid}/runs/{run_id:uuid}")
    async def trace_run(
        self,
        trace_id: FromPath[uuid.UUID],
        run_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
    ) -> dict[str, Any]:
        """Return one run with its full inputs, outputs, events and metadata."""
        return await trace_service.get_run(conn, workspace_id, trace_id, run_id)
