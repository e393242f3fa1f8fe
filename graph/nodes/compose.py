"""Node: compose the TurnOutput (text + UI blocks + citations), guarded, streamed."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from graph import compose as c
from graph import model as model_calls
from graph.classifier import ExemplarIndex, greeting_kind
from graph.context import Context
from graph.guard import StreamGuard, forbidden_terms, guard_output
from graph.knowledge import catalog, scope_for
from graph.state import TurnState
from signpost.protocol import TurnOutput
from tools import contact_search

log = logging.getLogger(__name__)

MODEL_INTENTS = ("navigation", "product", "support", "contact")
"""Intents whose text a model may write (lead/document/greeting text stays templated)."""


def _writer() -> Any:
    try:
        return get_stream_writer()
    except RuntimeError:
        return lambda _: None


async def compose_response(
    state: TurnState, runtime: Runtime[Context], config: RunnableConfig
) -> dict[str, Any]:
    """Build the turn's output from the tool result and lead state, enforce the gate, stream it."""
    ctx = runtime.context
    classification = state["classification"]
    intent = classification["intent"]
    turn_id = state.get("turn_id", "")
    t = c.Templates(turn_id)
    question = state.get("query") or state.get("message") or ""
    lead = state["lead"]
    names = await catalog(ctx, state["bot"])
    draft = await _draft(ctx, state, intent, question, t, names)

    terms = forbidden_terms(names.document_files)
    captured = lead["status"] == "captured"
    write = _writer()
    text = draft.text
    streamed = False
    if (
        ctx.model.enabled
        and ctx.services.models is not None
        and intent in MODEL_INTENTS
        and not draft.fallback
        and draft.context
    ):
        text, streamed = await _model_text(
            ctx, state, intent, draft, terms, captured, write, config
        )
    safe = (
        t.pick("document", "gated_again", titles="document")
        if lead["pending"]
        else ("I can't share that here.")
    )
    text, blocks, citations, tripped = guard_output(
        text, draft.blocks, draft.citations, captured=captured, terms=terms, safe_text=safe
    )
    if tripped:
        log.warning("output guard removed gated content from turn %s", turn_id)
    if not streamed:
        write({"event": "text.delta", "data": {"delta": text}})
    for block in blocks:
        write({"event": "ui.block", "data": block})

    fields = state["bot"]["lead_fields"]
    output = TurnOutput(
        thread_id=state.get("thread_id", ""),
        turn_id=turn_id,
        trace_id=config.get("metadata", {}).get("trace_id", "") if config else "",
        intent=intent,
        tool=state.get("tool"),
        text=text,
        ui_blocks=blocks,  # type: ignore[arg-type]
        citations=citations,  # type: ignore[arg-type]
        lead={
            "status": lead["status"],
            "fields_required": [f["name"] for f in fields if f.get("required", True)],
        },
        fallback=draft.fallback,
    ).model_dump(mode="json")
    update: dict[str, Any] = {
        "output": output,
        "history": [{"role": "assistant", "content": text, "intent": intent, "turn_id": turn_id}],
    }
    if draft.focus is not None:
        update["focus"] = draft.focus
    return update


async def _draft(
    ctx: Context, state: TurnState, intent: str, question: str, t: c.Templates, names: Any
) -> c.Draft:
    result = state.get("tool_result") or {}
    outcome = state.get("lead_outcome") or {}
    lead = state["lead"]
    fields = state["bot"]["lead_fields"]
    hours = int(ctx.services.signer.ttl.total_seconds() // 3600) if ctx.services.signer else 24
    if intent == "navigation":
        draft = c.compose_navigation(question, result, t)
    elif intent == "product":
        draft = c.compose_product(question, result, t)
    elif intent == "support":
        draft = c.compose_support(question, result, t)
    elif intent == "contact":
        draft = c.compose_contact(result, t)
    elif intent == "document":
        generic = bool(result.get("generic"))
        return _document_draft(outcome, dict(lead), fields, t, hours, names, generic=generic)
    elif intent == "lead":
        return _lead_draft(outcome, dict(lead), fields, t, hours)
    elif intent == "greeting":
        return _greeting_draft(ctx, state, t)
    else:
        draft = None
    if draft is not None:
        return draft
    return await _fallback_draft(ctx, state, t, names)


def _document_draft(
    outcome: dict[str, Any],
    lead: dict[str, Any],
    fields: list[dict[str, Any]],
    t: c.Templates,
    hours: int,
    names: Any,
    *,
    generic: bool = False,
) -> c.Draft:
    released = outcome.get("released") or []
    if released:
        return c.Draft(
            text=t.pick("document", "released", titles=c.titles_of(released), hours=hours),
            blocks=[{"type": "documents", "documents": released}],
            focus=c.document_focus(released),
        )
    pending = lead.get("pending") or []
    if outcome.get("declined_now"):
        return c.Draft(
            text=t.pick("document", "declined", titles=c.titles_of(pending) or "documents")
        )
    if outcome.get("form"):
        requested = outcome.get("requested") or []
        titles = c.titles_of(requested or pending) or "documents"
        # No new document named (e.g. "just send the link"): the form is the only way.
        text = t.pick("document", "gated" if requested else "gated_again", titles=titles)
        focus = c.document_focus(requested or pending)
        return c.Draft(
            text=text, blocks=[c.lead_form_block(fields, f"to send you the {titles}")], focus=focus
        )
    titles = c._join(list(names.referral_titles)[:6])
    if generic and titles:
        # "can you send me the pdf?" names no document: ask which, rather than "not found".
        return c.Draft(text=t.pick("document", "choose", titles=titles))
    available = t.pick("document", "available", titles=titles) if titles else ""
    return c.Draft(text=t.pick("document", "not_found", available=available), fallback=True)


def _lead_draft(
    outcome: dict[str, Any],
    lead: dict[str, Any],
    fields: list[dict[str, Any]],
    t: c.Templates,
    hours: int,
) -> c.Draft:
    values = lead.get("values") or {}
    released = outcome.get("released") or []
    if outcome.get("captured_now") or (lead["status"] == "captured" and not outcome.get("form")):
        name = c.first_name(values)
        if released:
            return c.Draft(
                text=t.pick(
                    "lead",
                    "captured_with_documents",
                    name=name,
                    titles=c.titles_of(released),
                    hours=hours,
                ),
                blocks=[{"type": "documents", "documents": released}],
            )
        channel = values.get("email") or values.get("phone") or "your details"
        return c.Draft(text=t.pick("lead", "captured", name=name, channel=channel))
    if outcome.get("declined_now"):
        return c.Draft(text=t.pick("lead", "declined"))
    if outcome.get("form"):
        errors = outcome.get("errors") or {}
        given = outcome.get("values") or {}
        pending = lead.get("pending") or []
        reason = (
            f"to send you the {c.titles_of(pending)}" if pending else "so we can get back to you"
        )
        if errors and given:
            invalid = any(k in given and given[k] for k in errors)
            text = t.pick("lead", "invalid" if invalid else "incomplete")
        else:
            text = t.pick("lead", "ask")
        return c.Draft(text=text, blocks=[c.lead_form_block(fields, reason, errors, given)])
    return c.Draft(text=t.pick("lead", "declined"))


def _greeting_draft(ctx: Context, state: TurnState, t: c.Templates) -> c.Draft:
    message = state.get("message") or ""
    index = ExemplarIndex._cache.get(id(ctx.services.space.embeddings))
    kind = greeting_kind(message, index) if index is not None else None
    if kind in ("thanks", "bye"):
        return c.Draft(text=t.pick("greeting", kind))
    return c.Draft(text=t.pick("greeting", "hello", greeting=state["bot"]["greeting"]))


def _company(bot_name: str) -> str:
    for suffix in (" Assistant", " assistant", " Bot", " bot", " Helper", " Support"):
        if bot_name.endswith(suffix):
            return bot_name[: -len(suffix)]
    return bot_name


async def _fallback_draft(ctx: Context, state: TurnState, t: c.Templates, names: Any) -> c.Draft:
    """Say the knowledge base has no answer and offer a human."""
    bot = state["bot"]
    human, blocks = await _human_offer(ctx, state, t)
    intent = state["classification"]["intent"]
    if intent == "out_of_scope":
        text = t.pick("out_of_scope", "answer", company=_company(bot["name"]), human=human)
    else:
        text = t.pick("out_of_scope", "no_answer", human=human)
    return c.Draft(text=text, blocks=blocks, fallback=True)


async def _human_offer(
    ctx: Context, state: TurnState, t: c.Templates
) -> tuple[str, list[dict[str, Any]]]:
    """Return a sentence and a block pointing to a person: a general contact or the contact page."""
    bot = state["bot"]
    scope = scope_for(ctx, bot, "contact")
    if not scope.empty:
        index = await contact_search.contact_index(scope)
        matches = index.search("customer service support general enquiries info", k=1)
        if matches:
            contact = contact_search.contact_dict(matches[0])
            return (
                t.pick(
                    "out_of_scope", "human_contact", who=c._who(contact), reach=c._reach(contact)
                ),
                [{"type": "contacts", "contacts": [c.public_contact(contact)]}],
            )
    from store import kb

    guidance = scope_for(ctx, bot, "guidance")
    if not guidance.empty:
        async with ctx.services.db.connection() as conn:
            pages = await kb.page_catalog(conn, ctx.workspace_id, list(guidance.source_ids))
        contact_pages = [p for p in pages if p["kind"] == "contact"]
        if contact_pages:
            page = contact_pages[0]
            return (
                t.pick("out_of_scope", "human_page", title=page["title"]),
                [{"type": "links", "links": [{"label": page["title"], "url": page["url"]}]}],
            )
    return "", []


async def _model_text(
    ctx: Context,
    state: TurnState,
    intent: str,
    draft: c.Draft,
    terms: list[str],
    captured: bool,
    write: Any,
    config: RunnableConfig,
) -> tuple[str, bool]:
    """Stream a model-written answer through the guard; fall back to the template on failure."""
    guard = StreamGuard(terms, captured=captured)
    parts: list[str] = []
    try:
        async for token in model_calls.compose_stream(
            ctx.services.models,
            bot_name=state["bot"]["name"],
            intent=intent,
            message=state.get("message") or "",
            history=list(state.get("history") or [])[:-1],
            context=draft.context,
            instructions="Suggested answer (you may rephrase): " + draft.text,
            history_turns=ctx.history_turns,
            config=config,
        ):
            safe = guard.push(token)
            if safe:
                parts.append(safe)
                write({"event": "text.delta", "data": {"delta": safe}})
            if guard.tripped:
                break
        tail = guard.flush()
        if tail:
            parts.append(tail)
            write({"event": "text.delta", "data": {"delta": tail}})
    except Exception as exc:  # noqa: BLE001 - any model failure falls back to the template
        log.warning("model composition failed (%s); using the deterministic answer", exc)
        if parts:
            # Part of the answer already streamed: the final text replaces it (turn.completed).
            return draft.text, True
        return draft.text, False
    text = "".join(parts).strip()
    if guard.tripped or not text:
        return draft.text, bool(parts)
    return text, True
