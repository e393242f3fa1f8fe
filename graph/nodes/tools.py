"""Nodes: run the one bucket tool the intent selected, over only that bucket's sources."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from graph.context import Context
from graph.knowledge import BUCKET_OF_TOOL, scope_for
from graph.state import TurnState
from tools import bucket_tools


async def _run(
    name: str,
    state: TurnState,
    runtime: Runtime[Context],
    config: RunnableConfig,
    **args: Any,
) -> dict[str, Any]:
    tool = bucket_tools.BUCKET_TOOLS[name]
    scope = scope_for(runtime.context, state["bot"], BUCKET_OF_TOOL[name])
    result = await tool.ainvoke(
        {
            "query": state.get("query") or state.get("message") or "",
            "scope": scope,
            "vector": state.get("query_vector"),
            "prefetched": state.get("probes") or None,
            **args,
        },
        config=config,
    )
    return {"tool": name, "tool_result": result}


async def page_navigator(
    state: TurnState, runtime: Runtime[Context], config: RunnableConfig
) -> dict[str, Any]:
    """Find pages: product cards for a product intent, link buttons otherwise."""
    mode = "cards" if state["classification"]["intent"] == "product" else "links"
    return await _run("page_navigator", state, runtime, config, mode=mode)


async def contact_lookup(
    state: TurnState, runtime: Runtime[Context], config: RunnableConfig
) -> dict[str, Any]:
    """Find the right people to contact."""
    return await _run("contact_lookup", state, runtime, config)


async def faq_retriever(
    state: TurnState, runtime: Runtime[Context], config: RunnableConfig
) -> dict[str, Any]:
    """Find support passages with citations."""
    return await _run("faq_retriever", state, runtime, config)


async def document_referral(
    state: TurnState, runtime: Runtime[Context], config: RunnableConfig
) -> dict[str, Any]:
    """Find the gated documents matching the request."""
    return await _run("document_referral", state, runtime, config)
