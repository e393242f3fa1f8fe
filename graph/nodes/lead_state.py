"""Node: the lead-capture state machine — the only place documents are released."""

from __future__ import annotations

import copy
import logging
from typing import Any

from langgraph.runtime import Runtime

from graph import lead as lead_rules
from graph.context import Context
from graph.state import LeadMemory, PendingDocument, TurnState
from services import documents as document_links
from services import lead_sink
from signpost.protocol import LeadField
from store import leads as leads_repo

log = logging.getLogger(__name__)

DOCUMENT_MIN_SCORE = 0.22
"""Below this a requested document is 'not found' rather than offered."""


def chosen_documents(tool_result: dict[str, Any] | None) -> list[PendingDocument]:
    """Return the documents a document request refers to: the best, and any also named.

    Documents come ranked by fit (score plus the kind of document asked for). A request
    that names only a kind ("any case studies?") gets every document of that kind.
    """
    ranked = (tool_result or {}).get("documents") or []
    if not ranked:
        return []
    top = ranked[0]
    second = ranked[1]["fit"] if len(ranked) > 1 else 0.0
    # A request naming nothing specific: the clearly best match will do.
    clearly_best = top["similarity"] >= 0.25 and top["fit"] >= 1.25 * second
    if top["fit"] < DOCUMENT_MIN_SCORE and not clearly_best:
        return []
    kind_only = top["genre_match"] and top["name_match"] < 0.3
    chosen = [top] + [
        d
        for d in ranked[1:]
        if d["fit"] >= DOCUMENT_MIN_SCORE
        and (d["name_match"] >= 0.6 or kind_only and d["genre_match"] and d["name_match"] < 0.3)
    ]
    return [{"document_id": d["document_id"], "title": d["title"]} for d in chosen]


def _add_pending(lead: LeadMemory, docs: list[PendingDocument]) -> None:
    known = {d["document_id"] for d in lead["pending"]}
    for doc in docs:
        if doc["document_id"] not in known:
            lead["pending"].append(doc)
            known.add(doc["document_id"])


async def check_lead_state(state: TurnState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Advance none → requested → captured | declined; release documents only on capture."""
    ctx = runtime.context
    lead: LeadMemory = copy.deepcopy(state["lead"])
    fields = [LeadField.model_validate(f) for f in state["bot"]["lead_fields"]]
    intent = state["classification"]["intent"]
    message = state.get("message") or ""
    outcome: dict[str, Any] = {
        "form": False,
        "errors": {},
        "values": {},
        "released": [],
        "captured_now": False,
        "declined_now": False,
        "requested": [],
        "reason": "",
    }
    submission = state.get("lead_submission")

    async def capture(values: dict[str, str]) -> None:
        lead_id, created = await _store_lead(ctx, state, values)
        lead["status"], lead["lead_id"], lead["values"] = "captured", lead_id, values
        outcome["captured_now"] = True
        to_release = [d for d in lead["pending"] if d["document_id"] not in lead["released"]]
        outcome["released"] = await _release(ctx, state, lead_id, to_release)
        lead["released"] += [d["document_id"] for d in outcome["released"]]
        lead["pending"] = []
        if created and ctx.mode == "live":
            await _send_to_sink(ctx, lead_id)

    if submission is not None:
        result = lead_rules.validate_submission(submission, fields)
        if result.ok:
            await capture(result.values)
        else:
            lead["status"] = "requested" if lead["status"] != "captured" else "captured"
            outcome |= {"form": True, "errors": result.errors, "values": result.values}
    elif intent == "lead":
        extracted = lead_rules.extract_lead(message)
        values = {**lead["values"], **extracted.values}
        if extracted.has_contact or extracted.values:
            result = lead_rules.validate_submission(values, fields)
            if result.ok:
                await capture(result.values)
            elif lead["status"] != "captured":
                lead["status"] = "requested"
                outcome |= {"form": True, "errors": result.errors, "values": result.values}
        elif lead["status"] == "requested" and lead_rules.is_decline(message):
            lead["status"] = "declined"
            outcome["declined_now"] = True
        elif lead["status"] != "captured":
            lead["status"] = "requested"
            outcome["form"] = True
    elif intent == "document":
        docs = chosen_documents(state.get("tool_result"))
        outcome["requested"] = docs
        if lead["status"] == "captured" and lead["lead_id"]:
            outcome["released"] = await _release(ctx, state, lead["lead_id"], docs)
            lead["released"] += [d["document_id"] for d in outcome["released"]]
        elif lead["status"] == "requested" and lead_rules.is_decline(message):
            lead["status"] = "declined"
            outcome["declined_now"] = True
        elif docs or lead["pending"]:
            _add_pending(lead, docs)
            lead["status"] = "requested"
            outcome["form"] = True
    elif lead["status"] == "requested" and lead_rules.is_decline(message):
        lead["status"] = "declined"
        outcome["declined_now"] = True
    return {"lead": lead, "lead_outcome": outcome}


async def _store_lead(ctx: Context, state: TurnState, values: dict[str, str]) -> tuple[str, bool]:
    """Store the lead; return its id and whether it is new."""
    async with ctx.services.db.transaction() as conn:
        lead_id, created = await leads_repo.upsert_lead(
            conn,
            ctx.workspace_id,
            ctx.chatbot_id,
            values=values,
            thread_id=state.get("thread_id"),
            mode=ctx.mode,
        )
    return str(lead_id), created


async def _send_to_sink(ctx: Context, lead_id: str) -> None:
    """Queue a new live lead for the chatbot's lead sheet, if any (never fails the turn)."""
    import uuid

    try:
        async with ctx.services.db.transaction() as conn:
            job_id = await lead_sink.queue_delivery(
                conn, ctx.workspace_id, ctx.chatbot_id, uuid.UUID(lead_id)
            )
        if job_id is not None and ctx.services.submit_job is not None:
            await ctx.services.submit_job(job_id)
    except Exception:  # noqa: BLE001 - the visitor's turn matters more than the sheet
        log.exception("could not queue lead %s for the lead sheet", lead_id)


async def _release(
    ctx: Context, state: TurnState, lead_id: str, docs: list[PendingDocument]
) -> list[dict[str, Any]]:
    if not docs:
        return []
    import uuid

    async with ctx.services.db.transaction() as conn:
        links = await document_links.release_documents(
            conn,
            ctx.services.signer,
            ctx.services.base_url,
            ctx.workspace_id,
            ctx.chatbot_id,
            uuid.UUID(lead_id),
            [uuid.UUID(d["document_id"]) for d in docs],
            state.get("thread_id"),
        )
    return [link.model_dump() for link in links]
