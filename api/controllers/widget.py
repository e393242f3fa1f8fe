"""Public widget API (per chatbot public key): config, turns over SSE or JSON, history, feedback."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, route
from litestar.enums import HttpMethod
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ConnDep, RuntimeDep
from api.sse import turn_stream
from services import widget as service
from services.turns import TurnRequest
from signpost.errors import Forbidden
from signpost.protocol import TurnOutput
from store.chatbots import Chatbot

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "Retry-After",
    "Access-Control-Max-Age": "600",
}


class TurnIn(BaseModel):
    """A widget turn: a message or a lead form submission, on an optional thread."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str | None = Field(None, max_length=80)
    message: str | None = None
    lead: dict[str, str] | None = None


class FeedbackIn(BaseModel):
    """Thumbs up (1) or down (-1) on an answer, with an optional comment."""

    model_config = ConfigDict(extra="forbid")

    turn_id: str = Field(max_length=80)
    score: int
    comment: str | None = None


def client_ip(request: Request[Any, Any, Any]) -> str:
    """Return the visitor's IP (the first X-Forwarded-For hop behind a proxy)."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


async def _authorised_bot(
    request: Request[Any, Any, Any], conn: Any, runtime: Any, public_key: str
) -> Chatbot:
    """Load the published bot and enforce the origin allow-list (CORS grant only if allowed)."""
    bot = await service.published_bot(conn, public_key)
    origin = service.normalized_origin(request.headers.get("origin"))
    own = service.normalized_origin(runtime.base_url)
    if not service.origin_allowed(bot, origin, own):
        raise Forbidden(f"this chatbot may not be embedded on {origin}")
    if origin is not None:
        request.state.cors_origin = origin
    return bot


def _cors(request: Request[Any, Any, Any]) -> dict[str, str]:
    origin = getattr(request.state, "cors_origin", None)
    if not origin:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", **CORS_HEADERS}


class WidgetController(Controller):
    """The routes the embeddable widget calls; no API key, the public key names the bot."""

    path = "/api/v1/widget/{public_key:str}"
    tags = ["widget"]

    @get("/config")
    async def config(
        self,
        public_key: FromPath[str],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        runtime: RuntimeDep,
    ) -> Response[dict[str, Any]]:
        """Return name, icon, colours, position, greeting, suggested questions, lead fields."""
        bot = await _authorised_bot(request, conn, runtime, public_key)
        return Response(service.widget_config(bot, runtime.base_url), headers=_cors(request))

    @post("/turns", status_code=200)
    async def turn(
        self,
        public_key: FromPath[str],
        data: JSONBody[TurnIn],
        request: Request[Any, Any, Any],
        runtime: RuntimeDep,
    ) -> Response[Any]:
        """Run a turn: SSE with `Accept: text/event-stream`, else the TurnOutput as JSON."""
        # No request-scoped connection: a turn must not hold one while it waits for its own.
        async with runtime.db.connection() as conn:
            bot = await _authorised_bot(request, conn, runtime, public_key)
        await runtime.limiter.check(
            chatbot_id=str(bot.id), ip=client_ip(request), thread_id=data.thread_id
        )
        turn_request = TurnRequest(message=data.message, lead=data.lead, thread_id=data.thread_id)
        if "text/event-stream" in request.headers.get("accept", ""):
            handle = await runtime.turns.begin(bot.workspace_id, bot.id, turn_request, "live")
            return turn_stream(handle, _cors(request))
        output: TurnOutput = await runtime.turns.run(bot.workspace_id, bot.id, turn_request, "live")
        return Response(output.model_dump(mode="json"), headers=_cors(request))

    @get("/threads/{thread_id:str}/messages")
    async def messages(
        self,
        public_key: FromPath[str],
        thread_id: FromPath[str],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        runtime: RuntimeDep,
    ) -> Response[dict[str, Any]]:
        """Return the thread's transcript in order (the widget restores it after a reload)."""
        bot = await _authorised_bot(request, conn, runtime, public_key)
        items = await service.thread_messages(conn, bot, thread_id)
        return Response({"thread_id": thread_id, "messages": items}, headers=_cors(request))

    @post("/feedback", status_code=200)
    async def feedback(
        self,
        public_key: FromPath[str],
        data: JSONBody[FeedbackIn],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        runtime: RuntimeDep,
    ) -> Response[dict[str, Any]]:
        """Record thumbs up/down on an answer; it attaches to the turn's trace."""
        bot = await _authorised_bot(request, conn, runtime, public_key)
        result = await service.record_feedback(
            conn, bot, turn_id=data.turn_id, score=data.score, comment=data.comment
        )
        return Response(result, headers=_cors(request))

    @route(
        ["/config", "/turns", "/feedback"],
        http_method=[HttpMethod.OPTIONS],
        status_code=204,
        include_in_schema=False,
    )
    async def preflight(
        self,
        public_key: FromPath[str],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        runtime: RuntimeDep,
    ) -> Response[None]:
        """Answer CORS preflight: granted only to allowed origins of a published bot."""
        await _authorised_bot(request, conn, runtime, public_key)
        return Response(None, status_code=204, headers=_cors(request))

    @route(
        "/threads/{thread_id:str}/messages",
        http_method=[HttpMethod.OPTIONS],
        status_code=204,
        include_in_schema=False,
    )
    async def preflight_messages(
        self,
        public_key: FromPath[str],
        thread_id: FromPath[str],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        runtime: RuntimeDep,
    ) -> Response[None]:
        """Answer CORS preflight for the transcript route."""
        await _authorised_bot(request, conn, runtime, public_key)
        return Response(None, status_code=204, headers=_cors(request))
