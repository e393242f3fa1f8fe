"""The public widget's view of a chatbot: config, origin policy, transcripts, feedback."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from services.icons import icon_url
from signpost.errors import NotFound, ValidationFailed
from store import chatbots as chatbot_repo
from store import conversations, feedback
from store.chatbots import Chatbot
from store.db import Conn


def normalized_origin(value: str | None) -> str | None:
    """Return scheme://host[:port] of an Origin header (None when absent or opaque)."""
    if not value or value == "null":
        return None
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def origin_allowed(bot: Chatbot, origin: str | None, own_origin: str | None) -> bool:
    """Return whether a browser on `origin` may use this bot's widget API.

    Requests without an Origin header are not cross-origin browser requests. Our own
    pages (the demo page) are always allowed. Otherwise the origin must be in the bot's
    allow-list; an empty list allows any origin only while the bot is a draft.
    """
    if origin is None or origin == own_origin:
        return True
    if bot.allowed_origins:
        return origin in bot.allowed_origins
    return bot.status == "draft"


async def published_bot(conn: Conn, public_key: str) -> Chatbot:
    """Return the published chatbot of a widget key, or raise NotFound."""
    bot = await chatbot_repo.get_chatbot_by_public_key(conn, public_key)
    if bot is None or bot.status != "published":
        raise NotFound("chatbot not found or not published")
    return bot


def widget_config(bot: Chatbot, base_url: str) -> dict[str, Any]:
    """Return what the widget needs to render: name, icon, colours, greeting, questions, form."""
    return {
        "name": bot.name,
        "icon_url": icon_url(base_url, bot.icon_key),
        "ui": bot.ui,
        "primary_color": bot.ui.get("primary_color"),
        "position": bot.ui.get("position"),
        "launcher_text": bot.ui.get("launcher_text"),
        "greeting": bot.greeting,
        "suggested_questions": bot.suggested_questions,
        "lead_fields": bot.lead_fields,
    }


async def thread_messages(conn: Conn, bot: Chatbot, thread_id: str) -> list[dict[str, Any]]:
    """Return a thread's transcript for the widget (only threads of this bot)."""
    owner = await conversations.thread_owner(conn, thread_id)
    if owner is None or owner["chatbot_id"] != bot.id:
        raise NotFound(f"thread {thread_id} not found")
    rows = await conversations.list_messages(conn, bot.workspace_id, thread_id, limit=500)
    return [
        {
            "role": r["role"],
            "turn_id": r["turn_id"],
            "text": r["content"] if r["role"] == "user" else (r["output"] or {}).get("text", ""),
            "lead_submitted": r["role"] == "user" and r["lead_input"] is not None,
            "output": r["output"] if r["role"] == "assistant" else None,
            "created_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]


async def record_feedback(
    conn: Conn, bot: Chatbot, *, turn_id: str, score: int, comment: str | None
) -> dict[str, Any]:
    """Attach a visitor's thumbs up/down (and comment) to a turn and its trace."""
    if score not in (1, -1):
        raise ValidationFailed("score must be 1 or -1", details=[{"field": "score"}])
    if comment is not None and len(comment) > 2000:
        raise ValidationFailed("the comment is longer than 2,000 characters")
    turn = await feedback.turn_of(conn, bot.id, turn_id)
    if turn is None:
        raise NotFound(f"turn {turn_id} not found")
    feedback_id = await feedback.upsert_feedback(
        conn,
        bot.workspace_id,
        bot.id,
        thread_id=turn["thread_id"],
        turn_id=turn_id,
        trace_id=turn["trace_id"],
        score=score,
        comment=(comment or None),
    )
    return {
        "id": str(feedback_id),
        "turn_id": turn_id,
        "trace_id": turn["trace_id"],
        "score": score,
    }
