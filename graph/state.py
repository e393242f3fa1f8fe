"""State of the turn graph: what one turn reads and writes, and what a thread remembers."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from signpost.protocol import Intent, LeadStatus, ToolName

MAX_HISTORY = 40


class Message(TypedDict):
    """One message of the thread's history, oldest first."""

    role: Literal["user", "assistant"]
    content: str
    intent: str | None
    turn_id: str


def append_history(left: list[Message] | None, right: list[Message] | None) -> list[Message]:
    """Append new messages in order, keeping the most recent MAX_HISTORY."""
    merged = [*(left or []), *(right or [])]
    return merged[-MAX_HISTORY:]


class PendingDocument(TypedDict):
    """A document the visitor asked for while the lead was missing."""

    document_id: str
    title: str


class LeadMemory(TypedDict):
    """The thread's lead-capture state machine: none → requested → captured | declined."""

    status: LeadStatus
    lead_id: str | None
    values: dict[str, str]
    """Validated values captured so far (name, email, phone, …)."""
    pending: list[PendingDocument]
    """Documents asked for before capture, released on capture."""
    released: list[str]
    """Document ids already released in this thread."""


def new_lead_memory() -> LeadMemory:
    """Return the state of a thread that has not met the lead form."""
    return {"status": "none", "lead_id": None, "values": {}, "pending": [], "released": []}


class Focus(TypedDict):
    """What the conversation is about, so follow-ups ("its weight?") resolve."""

    kind: str
    """product | page | document | contact | answer"""
    title: str
    url: str | None
    item_id: str | None
    subject: str
    """Words that name the subject (product or page name), added to follow-up queries."""


class BotConfig(TypedDict):
    """The chatbot as one turn sees it (loaded fresh each turn)."""

    name: str
    greeting: str
    status: str
    lead_fields: list[dict[str, Any]]
    buckets: dict[str, list[str]]
    """Bucket → linked source ids (as strings)."""
    kb_version: str | None
    sources_key: str
    """A hash of the linked sources' versions: keys per-process caches of their content."""


class Classification(BaseModel):
    """The visitor's intent for this turn."""

    intent: Intent = Field(description="One of the eight intents of the protocol.")
    confidence: float = Field(0.0, ge=0.0, le=1.0, description="How sure, 0–1.")
    reason: str = Field("", description="A short reason, for traces.")
    scores: dict[str, float] = Field(default_factory=dict, description="Score per intent.")
    followup: bool = Field(False, description="The message continues the previous subject.")
    source: Literal["deterministic", "model", "form"] = "deterministic"


class TurnInput(TypedDict, total=False):
    """What a caller passes for one turn."""

    turn_id: str
    thread_id: str
    message: str | None
    lead_submission: dict[str, str] | None


class TurnState(TurnInput, total=False):
    """Everything the turn graph reads and writes."""

    history: Annotated[list[Message], append_history]
    """The thread's messages, chronological (persisted by the checkpointer)."""
    lead: LeadMemory
    """The thread's lead-capture state (persisted)."""
    focus: Focus | None
    """The current subject of the thread (persisted)."""
    bot: BotConfig
    """The chatbot's configuration for this turn."""
    query: str
    """The search query: the message, resolved against the thread for follow-ups."""
    query_vector: list[float] | None
    """The query's embedding, computed once per turn."""
    classification: dict[str, Any]
    """Classification.model_dump() of this turn."""
    probes: dict[str, Any]
    """Retrieval run while classifying (pages, passages, documents, contacts), reused by tools."""
    tool: ToolName | None
    """The bucket tool this turn ran, if any."""
    tool_result: dict[str, Any] | None
    """What the tool returned (links, cards, contacts, passages, documents)."""
    lead_outcome: dict[str, Any] | None
    """What check_lead_state decided: form to show, documents released, errors."""
    output: dict[str, Any]
    """The TurnOutput of this turn."""


class TurnOutputState(TypedDict):
    """What the graph returns."""

    output: dict[str, Any]
