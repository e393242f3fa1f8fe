"""Node: load the chatbot's configuration and buckets for this turn."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import BotConfig, TurnState, new_lead_memory
from signpost.errors import NotFound
from signpost.protocol import BUCKETS
from store import chatbots


async def load_context(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Load the bot's config, bucket → source ids and KB version; reset per-turn fields."""
    ctx = runtime.context
    async with ctx.services.db.connection() as conn:
        row = await chatbots.bot_context(conn, ctx.workspace_id, ctx.chatbot_id)
    if row is None:
        raise NotFound(f"chatbot {ctx.chatbot_id} not found")
    buckets: dict[str, list[str]] = {b: [] for b in BUCKETS}
    versions: list[str] = []
    for link in row["links"]:
        buckets[link["bucket"]].append(str(link["source_id"]))
        versions.append(f"{link['source_id']}:{link['version']}")
    bot: BotConfig = {
        "name": row["name"],
        "greeting": row["greeting"],
        "status": row["status"],
        "lead_fields": row["lead_fields"],
        "buckets": buckets,
        "kb_version": row["kb_version"],
        "sources_key": uuid.uuid5(uuid.NAMESPACE_OID, "|".join(sorted(versions))).hex[:16],
    }
    update: dict[str, Any] = {
        "bot": bot,
        "query": state.get("message") or "",
        "query_vector": None,
        "classification": {},
        "tool": None,
        "tool_result": None,
        "lead_outcome": None,
        "probes": {},
        "output": {},
    }
    if not state.get("lead"):
        update["lead"] = new_lead_memory()
    if "focus" not in state:
        update["focus"] = None
    return update
