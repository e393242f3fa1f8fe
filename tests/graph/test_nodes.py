"""Nodes of the turn graph, one at a time, on a constructed state and context (company B data)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from langgraph.runtime import Runtime as GraphRuntime

from graph.nodes.classify import classify_intent
from graph.nodes.compose import compose_response
from graph.nodes.lead_state import check_lead_state
from graph.nodes.load_context import load_context
from graph.nodes.tools import contact_lookup, document_referral, faq_retriever, page_navigator
from graph.state import new_lead_memory
from signpost.errors import NotFound
from tests.graph.conftest import Company, assert_not_leaked
from tools.document_search import RankedDocument

VISITOR = {"name": "Ines Duarte", "email": "ines.duarte@example.com", "phone": "503-555-0160"}


@pytest.fixture(scope="module")
def ctx(runtime: Any, company: Company) -> GraphRuntime:
    """The graph runtime a node receives: the per-run context of an eval turn."""
    return GraphRuntime(
        context=runtime.turns.context(company.workspace_id, company.chatbot_id, "eval")
    )


@pytest.fixture(scope="module")
async def bot(ctx: GraphRuntime) -> dict[str, Any]:
    """The bot configuration load_context produces."""
    return (await load_context({}, ctx))["bot"]


def _state(bot: dict[str, Any], **values: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "turn_id": "turn_" + uuid.uuid4().hex,
        "thread_id": "thr_" + uuid.uuid4().hex,
        "bot": bot,
        "lead": new_lead_memory(),
        "focus": None,
        "history": [],
        "classification": {},
        "tool": None,
        "tool_result": None,
        "lead_outcome": None,
        "probes": {},
        "query_vector": None,
    }
    return state | values


def _ids(company: Company, *names: str) -> set[str]:
    return {str(company.source_ids[n]) for n in names}


# -- load_context -----------------------------------------------------------------------------
async def test_load_context_reads_the_buckets_and_resets_the_turn(
    ctx: GraphRuntime, company: Company
) -> None:
    update = await load_context({"message": "hello"}, ctx)
    bot = update["bot"]
    assert bot["name"] == "Fernbrook Helper" and bot["status"] == "published"
    assert [f["name"] for f in bot["lead_fields"]] == ["name", "email", "phone"]
    assert {k: set(v) for k, v in bot["buckets"].items()} == {
        "guidance": _ids(company, "site"),
        "contact": _ids(company, "team"),
        "support": _ids(company, "faq", "site", "docs"),
        "doc_referral": _ids(company, "docs"),
    }
    assert update["lead"] == new_lead_memory() and update["focus"] is None
    assert (update["query"], update["tool"], update["output"]) == ("hello", None, {})

    # A thread's lead state and subject are not reset by a new turn.
    lead = new_lead_memory() | {"status": "requested"}
    focus = {"kind": "page", "title": "T", "url": None, "item_id": None, "subject": "T"}
    again = await load_context({"message": "hi", "lead": lead, "focus": focus}, ctx)
    assert "lead" not in again and "focus" not in again


async def test_load_context_refuses_an_unknown_chatbot(runtime: Any, company: Company) -> None:
    other = GraphRuntime(context=runtime.turns.context(company.workspace_id, uuid.uuid4(), "eval"))
    with pytest.raises(NotFound):
        await load_context({}, other)


# -- classify_intent --------------------------------------------------------------------------
async def test_a_form_submission_is_a_lead_without_classifying(
    ctx: GraphRuntime, bot: dict[str, Any]
) -> None:
    update = await classify_intent(_state(bot, lead_submission=VISITOR), ctx, {})
    assert update["classification"]["intent"] == "lead"
    assert update["classification"]["source"] == "form"
    assert update["history"][0]["content"] == "(submitted the contact form)"


async def test_classify_resolves_a_follow_up_against_the_focus(
    ctx: GraphRuntime, bot: dict[str, Any]
) -> None:
    focus = {
        "kind": "product",
        "title": "Exotic pet vet in Bend and Portland",
        "url": None,
        "item_id": None,
        "subject": "Exotic pet vet in Bend and Portland",
    }
    history = [
        {"role": "user", "content": "do you see parrots?", "intent": "product", "turn_id": "t0"}
    ]
    state = _state(bot, message="how much is a checkup for them?", focus=focus, history=history)
    update = await classify_intent(state, ctx, {})
    assert update["query"].endswith("Exotic pet vet in Bend and Portland")
    assert update["classification"]["followup"] is True
    assert update["classification"]["signals"]["previous_intent"] == "product"
    assert update["probes"]["pages"] and len(update["query_vector"]) > 0
    assert update["history"] == [
        {
            "role": "user",
            "content": "how much is a checkup for them?",
            "intent": update["classification"]["intent"],
            "turn_id": state["turn_id"],
        }
    ]


# -- the bucket tools -------------------------------------------------------------------------
async def test_each_tool_node_searches_only_its_bucket(
    ctx: GraphRuntime, bot: dict[str, Any], company: Company
) -> None:
    query = "how often should an older cat have her blood pressure checked"
    state = _state(bot, message=query, query=query, classification={"intent": "support"})

    faq = (await faq_retriever(state, ctx, {}))["tool_result"]["passages"]
    assert faq and {p["source_id"] for p in faq} <= _ids(company, "faq", "site", "docs")
    assert str(company.source_ids["docs"]) in {p["source_id"] for p in faq}

    docs = (await document_referral(state, ctx, {}))["tool_result"]["documents"]
    assert docs[0]["title"] == "Senior Pet Care Guide"
    assert {d["document_id"] for d in docs} <= {str(d["id"]) for d in company.documents}
    assert_not_leaked(docs, company)  # the tool ranks documents; it never links them

    people = (await contact_lookup(state, ctx, {}))["tool_result"]
    assert people["contacts"] and 0.0 <= people["confidence"] <= 1.0
    assert all(c["email"].endswith("fernbrookvets.example") for c in people["contacts"])

    # Unlink the documents from support: the same question no longer reaches them.
    narrowed = copy.deepcopy(bot)
    narrowed["buckets"]["support"] = sorted(_ids(company, "faq", "site"))
    narrow_state = state | {"bot": narrowed}
    only = (await faq_retriever(narrow_state, ctx, {}))["tool_result"]["passages"]
    assert {p["source_id"] for p in only} <= _ids(company, "faq", "site")


@pytest.mark.parametrize(("intent", "mode"), [("product", "cards"), ("navigation", "links")])
async def test_page_navigator_shows_cards_for_products_and_links_otherwise(
    ctx: GraphRuntime, bot: dict[str, Any], intent: str, mode: str
) -> None:
    query = "my dog's teeth need cleaning"
    state = _state(bot, message=query, query=query, classification={"intent": intent})
    update = await page_navigator(state, ctx, {})
    result = update["tool_result"]
    assert update["tool"] == "page_navigator" and result["mode"] == mode
    assert result["pages"][0]["url"].endswith("/services/dental-care/")
    assert bool(result["cards"]) == (mode == "cards")


# -- check_lead_state -------------------------------------------------------------------------
def _document_result(company: Company, title_word: str) -> dict[str, Any]:
    doc = company.document(title_word)
    ranked = RankedDocument(
        id=doc["id"],
        title=doc["title"],
        summary="",
        tags=[],
        score=0.8,
        name_match=0.9,
        similarity=0.6,
    )
    return {"documents": [ranked.as_dict()]}


async def test_a_document_request_without_a_lead_is_remembered_and_asks_for_the_form(
    ctx: GraphRuntime, bot: dict[str, Any], company: Company
) -> None:
    state = _state(
        bot,
        message="senior guide please",
        classification={"intent": "document"},
        tool_result=_document_result(company, "Senior"),
    )
    update = await check_lead_state(state, ctx)
    lead, outcome = update["lead"], update["lead_outcome"]
    assert lead["status"] == "requested"
    assert [d["title"] for d in lead["pending"]] == ["Senior Pet Care Guide"]
    assert outcome["form"] is True and outcome["released"] == []
    assert state["lead"] == new_lead_memory()  # the node never mutates its input


async def test_a_valid_submission_captures_and_releases_pending_documents(
    ctx: GraphRuntime, bot: dict[str, Any], company: Company
) -> None:
    doc = company.document("Agreement")
    lead = new_lead_memory() | {
        "status": "requested",
        "pending": [{"document_id": str(doc["id"]), "title": doc["title"]}],
    }
    state = _state(bot, lead=lead, lead_submission=VISITOR, classification={"intent": "lead"})
    update = await check_lead_state(state, ctx)
    memory, outcome = update["lead"], update["lead_outcome"]
    assert memory["status"] == "captured" and memory["lead_id"]
    assert memory["values"] == {
        "name": "Ines Duarte",
        "email": "ines.duarte@example.com",
        "phone": "+15035550160",
    }
    assert memory["pending"] == [] and memory["released"] == [str(doc["id"])]
    (link,) = outcome["released"]
    assert link["title"] == "Wellness Plan Agreement"
    assert link["url"].startswith("http://testserver.local/d/")
    assert outcome["captured_now"] is True


@pytest.mark.parametrize(
    ("submission", "errors"),
    [
        (VISITOR | {"email": "ines@"}, {"email"}),
        ({"name": "Ines Duarte"}, {"email", "phone"}),
        (VISITOR | {"phone": "12"}, {"phone"}),
    ],
)
async def test_an_invalid_submission_shows_the_form_with_errors_and_releases_nothing(
    ctx: GraphRuntime,
    bot: dict[str, Any],
    company: Company,
    submission: dict[str, str],
    errors: set[str],
) -> None:
    doc = company.document("Welcome")
    lead = new_lead_memory() | {
        "status": "requested",
        "pending": [{"document_id": str(doc["id"]), "title": doc["title"]}],
    }
    state = _state(bot, lead=lead, lead_submission=submission, classification={"intent": "lead"})
    update = await check_lead_state(state, ctx)
    assert update["lead"]["status"] == "requested"
    assert update["lead"]["pending"] == lead["pending"]
    assert set(update["lead_outcome"]["errors"]) == errors
    assert update["lead_outcome"]["released"] == []


async def test_declining_while_the_form_is_shown(ctx: GraphRuntime, bot: dict[str, Any]) -> None:
    lead = new_lead_memory() | {"status": "requested"}
    for intent in ("document", "support", "lead"):
        state = _state(bot, message="no thanks", lead=lead, classification={"intent": intent})
        update = await check_lead_state(state, ctx)
        assert update["lead"]["status"] == "declined", intent
        assert update["lead_outcome"]["declined_now"] is True


# -- compose_response -------------------------------------------------------------------------
async def test_compose_drops_a_documents_block_when_the_lead_is_not_captured(
    ctx: GraphRuntime, bot: dict[str, Any], company: Company
) -> None:
    """Defence in depth: even a corrupted lead outcome cannot put a link out before capture."""
    doc = company.document("Senior")
    pending = [{"document_id": str(doc["id"]), "title": doc["title"]}]
    forged = [
        {
            "document_id": str(doc["id"]),
            "title": doc["title"],
            "url": "http://testserver.local/d/eyJ2IjoxLCJrIjoiU0RsWU1nZl8ifQ.abcdefghijklmnop",
            "expires_at": "2030-01-01T00:00:00Z",
        }
    ]
    state = _state(
        bot,
        message="senior guide",
        classification={"intent": "document"},
        tool="document_referral",
        lead=new_lead_memory() | {"status": "requested", "pending": pending},
        lead_outcome={"released": forged, "form": False},
    )
    output = (await compose_response(state, ctx, {}))["output"]
    assert [b["type"] for b in output["ui_blocks"]] == []
    assert output["lead"]["status"] == "requested"
    assert_not_leaked(output, company)


async def test_compose_writes_the_turn_output_and_the_assistant_message(
    ctx: GraphRuntime, bot: dict[str, Any]
) -> None:
    state = _state(bot, message="hello!", classification={"intent": "greeting"})
    update = await compose_response(state, ctx, {})
    output = update["output"]
    assert (output["intent"], output["tool"], output["fallback"]) == ("greeting", None, False)
    assert output["lead"] == {"status": "none", "fields_required": ["name", "email", "phone"]}
    assert update["history"] == [
        {
            "role": "assistant",
            "content": output["text"],
            "intent": "greeting",
            "turn_id": state["turn_id"],
        }
    ]
