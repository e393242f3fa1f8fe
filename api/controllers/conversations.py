"""Builder API: live preview turns, conversations and their transcripts, leads (+ CSV)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.controllers.widget import TurnIn
from api.deps import ConnDep, RuntimeDep, WorkspaceId
from api.schemas import Page
from api.sse import turn_stream
from services import chatbots as chatbot_service
from services.turns import TurnRequest
from signpost.errors import NotFound
from store import conversations, leads

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Items to skip.")]
ModeFilter = Annotated[
    Literal["live", "preview", "eval"] | None, QueryParameter(description="Only this mode.")
]
Since = Annotated[datetime | None, QueryParameter(description="Active at or after (ISO 8601).")]
Until = Annotated[datetime | None, QueryParameter(description="Active before (ISO 8601).")]


def _lead_dict(lead: Any) -> dict[str, Any]:
    return {
        "id": str(lead.id),
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "fields": lead.fields,
        "thread_id": lead.thread_id,
        "mode": lead.mode,
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
        "documents": [
            {
                "document_id": str(d.document_id),
                "title": d.title,
                "released_at": d.released_at.isoformat(),
            }
            for d in lead.documents
        ],
    }


class PreviewController(Controller):
    """The builder's live preview: the same turn as the widget, in preview mode."""

    path = "/api/v1/chatbots/{chatbot_id:uuid}/preview"
    tags = ["preview"]

    @post("/turns", status_code=200)
    async def turn(
        self,
        chatbot_id: FromPath[uuid.UUID],
        data: JSONBody[TurnIn],
        request: Request[Any, Any, Any],
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> Response[Any]:
        """Run a preview turn (draft config, marked preview): SSE or JSON like the widget."""
        async with runtime.db.connection() as conn:
            bot = await chatbot_service.get_chatbot(conn, workspace_id, chatbot_id)
        turn_request = TurnRequest(message=data.message, lead=data.lead, thread_id=data.thread_id)
        if "text/event-stream" in request.headers.get("accept", ""):
            handle = await runtime.turns.begin(bot.workspace_id, bot.id, turn_request, "preview")
            return turn_stream(handle)
        output = await runtime.turns.run(bot.workspace_id, bot.id, turn_request, "preview")
        return Response(output.model_dump(mode="json"))


class ConversationController(Controller):
    """Conversations of a chatbot and their transcripts."""

    path = "/api/v1"
    tags = ["conversations"]

    @get("/chatbots/{chatbot_id:uuid}/conversations")
    async def list(
        self,
        chatbot_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        limit: Limit = 20,
        offset: Offset = 0,
        mode: ModeFilter = None,
        since: Since = None,
        until: Until = None,
    ) -> Page[dict[str, Any]]:
        """List conversations, most recently active first (filter by mode and date)."""
        await chatbot_service.get_chatbot(conn, workspace_id, chatbot_id)
        rows, total = await conversations.list_conversations(
            conn,
            workspace_id,
            chatbot_id,
            limit=limit,
            offset=offset,
            mode=mode,
            since=since,
            until=until,
        )
        items = [
            {
                **r,
                "created_at": r["created_at"].isoformat(),
                "last_activity_at": r["last_activity_at"].isoformat(),
            }
            for r in rows
        ]
        return Page[dict[str, Any]](items=items, total=total, limit=limit, offset=offset)

    @get("/conversations/{thread_id:str}/messages")
    async def messages(
        self, thread_id: FromPath[str], conn: ConnDep, workspace_id: WorkspaceId
    ) -> dict[str, Any]:
        """Return a conversation's messages in order, with each answer's TurnOutput."""
        owner = await conversations.thread_owner(conn, thread_id)
        if owner is None or owner["workspace_id"] != workspace_id:
            raise NotFound(f"conversation {thread_id} not found")
        rows = await conversations.list_messages(conn, workspace_id, thread_id, limit=1000)
        return {
            "thread_id": thread_id,
            "chatbot_id": str(owner["chatbot_id"]),
            "mode": owner["mode"],
            "messages": [{**r, "created_at": r["created_at"].isoformat()} for r in rows],
        }


class LeadController(Controller):
    """Leads a chatbot captured, with the documents each received."""

    path = "/api/v1/chatbots/{chatbot_id:uuid}/leads"
    tags = ["leads"]

    @get("/")
    async def list(
        self,
        chatbot_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        limit: Limit = 50,
        offset: Offset = 0,
        mode: ModeFilter = None,
    ) -> Page[dict[str, Any]]:
        """List leads, newest first."""
        await chatbot_service.get_chatbot(conn, workspace_id, chatbot_id)
        found, total = await leads.list_leads(
            conn, workspace_id, chatbot_id, limit=limit, offset=offset, mode=mode
        )
        return Page[dict[str, Any]](
            items=[_lead_dict(lead) for lead in found], total=total, limit=limit, offset=offset
        )

    @get("/export.csv", media_type="text/csv")
    async def export(
        self,
        chatbot_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        mode: ModeFilter = None,
    ) -> Response[str]:
        """Export every lead as CSV (one row per lead, documents joined)."""
        bot = await chatbot_service.get_chatbot(conn, workspace_id, chatbot_id)
        rows: list[Any] = []
        offset = 0
        while True:
            page, total = await leads.list_leads(
                conn, workspace_id, chatbot_id, limit=500, offset=offset, mode=mode
            )
            rows.extend(page)
            offset += len(page)
            if not page or offset >= total:
                break
        extra = sorted(
            {k for lead in rows for k in (lead.fields or {})} - {"name", "email", "phone"}
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["created_at", "name", "email", "phone", *extra, "mode", "thread_id", "documents"]
        )
        for lead in rows:
            writer.writerow(
                [
                    lead.created_at.isoformat(),
                    lead.name or "",
                    lead.email or "",
                    lead.phone or "",
                    *((lead.fields or {}).get(k, "") for k in extra),
                    lead.mode,
                    lead.thread_id or "",
                    "; ".join(d.title for d in lead.documents),
                ]
            )
        filename = f"leads-{bot.name.lower().replace(' ', '-')[:40]}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
