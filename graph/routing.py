"""Routers of the turn graph: pure, synchronous, no I/O."""

from __future__ import annotations

from typing import Literal

from graph.state import TurnState
from signpost.protocol import INTENT_TOOL

ToolNode = Literal[
    "page_navigator", "contact_lookup", "faq_retriever", "document_referral", "check_lead_state"
]


def route_intent(state: TurnState) -> ToolNode:
    """Send the turn to its intent's bucket tool; greeting, lead and out_of_scope skip tools."""
    classification = state.get("classification") or {}
    intent = classification.get("intent")
    if intent not in INTENT_TOOL:
        raise ValueError(f"impossible state: no valid intent after classification ({intent!r})")
    tool = INTENT_TOOL[intent]
    return tool if tool is not None else "check_lead_state"
