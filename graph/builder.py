"""Build the turn graph: load → classify → route → one tool → lead state → compose."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from graph.context import Context
from graph.nodes.classify import classify_intent
from graph.nodes.compose import compose_response
from graph.nodes.lead_state import check_lead_state
from graph.nodes.load_context import load_context
from graph.nodes.tools import contact_lookup, document_referral, faq_retriever, page_navigator
from graph.routing import route_intent
from graph.state import TurnInput, TurnOutputState, TurnState


def build_graph() -> StateGraph:
    """Return the uncompiled turn graph (tests, evals and LangGraph Studio compile their own)."""
    builder = StateGraph(
        TurnState, context_schema=Context, input_schema=TurnInput, output_schema=TurnOutputState
    )
    builder.add_node(load_context)
    builder.add_node(classify_intent)
    builder.add_node(page_navigator)
    builder.add_node(contact_lookup)
    builder.add_node(faq_retriever)
    builder.add_node(document_referral)
    builder.add_node(check_lead_state)
    builder.add_node(compose_response)
    builder.add_edge(START, "load_context")
    builder.add_edge("load_context", "classify_intent")
    builder.add_conditional_edges("classify_intent", route_intent)
    for tool in ("page_navigator", "contact_lookup", "faq_retriever", "document_referral"):
        builder.add_edge(tool, "check_lead_state")
    builder.add_edge("check_lead_state", "compose_response")
    builder.add_edge("compose_response", END)
    return builder


def compile_graph(checkpointer: Any = None) -> Any:
    """Compile the graph with a checkpointer (None: no persistence, for unit tests)."""
    return build_graph().compile(checkpointer=checkpointer, name="signpost-turn")


# For `langgraph dev` / LangGraph Studio (see langgraph.json): the graph without a
# checkpointer; the platform supplies its own persistence.
graph = compile_graph()
