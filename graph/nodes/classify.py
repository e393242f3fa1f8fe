"""Node: classify the visitor's intent (deterministic, or the model with a fallback)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph import lead as lead_rules
from graph import model as model_calls
from graph.classifier import (
    ExemplarIndex,
    Signals,
    decide,
    detailed_evidence,
    greeting_kind,
    knowledge_evidence,
    signals_dump,
)
from graph.context import Context
from graph.followup import is_followup, resolve_query
from graph.knowledge import catalog, probe, vocabulary_coverage
from graph.state import Classification, Message, TurnState
from signpost.protocol import INTENT_TOOL
from tools import document_search
from tools.textmatch import content_stems

log = logging.getLogger(__name__)


async def classify_intent(
    state: TurnState, runtime: Runtime[Context], config: RunnableConfig
) -> dict[str, Any]:
    """Decide the turn's intent from the message, the thread and the bot's knowledge."""
    ctx = runtime.context
    bot = state["bot"]
    lead = state["lead"]
    history: list[Message] = list(state.get("history") or [])
    submission = state.get("lead_submission")
    turn_id = state.get("turn_id", "")
    if submission is not None:
        classification = Classification(
            intent="lead", confidence=1.0, reason="lead form submitted", source="form"
        )
        _announce(classification)
        return {
            "classification": classification.model_dump(),
            "history": [_user_message("(submitted the contact form)", "lead", turn_id)],
        }

    message = (state.get("message") or "").strip()
    focus = state.get("focus")
    names = await catalog(ctx, bot)
    extracted = lead_rules.extract_lead(message)
    # The visitor's own email/phone are not a search topic (and would match contact rows).
    topic = _without_contact_details(message, extracted)
    followup = is_followup(topic, focus, names.names)
    last_asked = next((m for m in reversed(history) if m["role"] == "user"), None)
    query = resolve_query(topic, focus, followup, last_asked["content"] if last_asked else None)
    embeddings = ctx.services.space.embeddings
    exemplars = await ExemplarIndex.aget(embeddings)
    message_vector = await embeddings.aembed_query(message)
    query_vector = message_vector if query == message else await embeddings.aembed_query(query)
    probes, coverage = await asyncio.gather(
        probe(ctx, bot, query, query_vector), vocabulary_coverage(ctx, bot, topic)
    )
    previous = last_asked["intent"] if last_asked else None
    has_products = bool(names.product_titles)
    signals = Signals(
        exemplar=exemplars.scores(message_vector),
        knowledge=knowledge_evidence(probes, has_products=has_products),
        words=len(content_stems(message)) or len(message.split()),
        has_contact=extracted.has_contact,
        wants_callback=extracted.wants_callback,
        greeting_kind=greeting_kind(message, exemplars),
        lead_status=lead["status"],
        pending_documents=bool(lead["pending"]),
        decline=lead["status"] == "requested" and lead_rules.is_decline(message),
        bypass=lead_rules.looks_like_gate_bypass(message),
        followup=followup,
        previous_intent=previous,
        coverage=coverage,
        evidence=detailed_evidence(probes, has_products=has_products),
        cues=frozenset(exemplars.cue_intents(message)),
        document_kind=bool(document_search.genres(message)),
    )
    classification = decide(signals)
    if ctx.model.enabled and ctx.services.models is not None:
        classification = await _model_classification(
            ctx, bot["name"], message, history, probes, classification, config
        )
    _announce(classification)
    return {
        "query": query,
        "query_vector": query_vector,
        "probes": probes,
        "classification": classification.model_dump() | {"signals": signals_dump(signals)},
        "history": [_user_message(message, classification.intent, turn_id)],
    }


def _without_contact_details(message: str, extracted: lead_rules.ExtractedLead) -> str:
    text = message
    for value in (*extracted.emails, *_raw_phones(message)):
        text = text.replace(value, " ")
    return " ".join(text.split()) or message


def _raw_phones(message: str) -> list[str]:
    import re

    return re.findall(r"\+?\d[\d ()./-]{6,}\d", message)


def _user_message(content: str, intent: str, turn_id: str) -> Message:
    return {"role": "user", "content": content, "intent": intent, "turn_id": turn_id}


def _announce(classification: Classification) -> None:
    """Stream the intent as soon as it is known (the `intent` SSE event)."""
    try:
        writer = get_stream_writer()
    except RuntimeError:
        return
    writer(
        {
            "event": "intent",
            "data": {
                "intent": classification.intent,
                "tool": INTENT_TOOL[classification.intent],
            },
        }
    )


def _evidence(probes: dict[str, Any]) -> str:
    lines = []
    for page in (probes.get("pages") or [])[:3]:
        lines.append(
            f"- page ({page['kind']}): {page['title']} (similarity {page['similarity']:.2f})"
        )
    for passage in (probes.get("passages") or [])[:2]:
        lines.append(f"- support answer: {passage['title']} (score {passage['score']:.2f})")
    for doc in (probes.get("documents") or [])[:2]:
        lines.append(f"- downloadable document: {doc['title']} (score {doc['score']:.2f})")
    lines.append(f"- contact match strength: {float(probes.get('contact_confidence') or 0):.2f}")
    return "\n".join(lines)


async def _model_classification(
    ctx: Context,
    bot_name: str,
    message: str,
    history: list[Message],
    probes: dict[str, Any],
    fallback: Classification,
    config: RunnableConfig,
) -> Classification:
    try:
        choice = await model_calls.classify(
            ctx.services.models,
            bot_name=bot_name,
            message=message,
            history=history,
            evidence=_evidence(probes),
            history_turns=ctx.history_turns,
            config=config,
        )
    except Exception as exc:  # noqa: BLE001 - any model failure falls back to deterministic
        log.warning("model classification failed (%s); using the deterministic classifier", exc)
        return fallback.model_copy(
            update={"reason": f"model failed: {exc!s:.120}; " + fallback.reason}
        )
    intent = choice.intent
    # The gate is state: a model can label, but never talk the graph into releasing.
    if fallback.reason.startswith("document pending") and intent not in ("document", "lead"):
        intent = "document"
    return Classification(
        intent=intent,
        confidence=choice.confidence,
        reason=choice.reason,
        scores=fallback.scores,
        followup=fallback.followup,
        source="model",
    )
