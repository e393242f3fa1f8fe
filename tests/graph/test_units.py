"""Pure parts of the turn graph: router, shape, history, follow-ups, guard, decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.builder import build_graph
from graph.classifier import Signals, decide, detailed_evidence, knowledge_evidence
from graph.compose import Templates, answer_from, compose_product, compose_support
from graph.followup import is_followup, names_item, resolve_query
from graph.guard import StreamGuard, forbidden_terms, guard_output, leaks
from graph.nodes.lead_state import chosen_documents
from graph.routing import route_intent
from graph.state import MAX_HISTORY, Focus, append_history
from signpost.protocol import INTENT_TOOL, INTENTS
from tools.document_search import GENRE_WEIGHT, genres, is_generic_request
from tools.textmatch import best_sentences, content_stems

ROOT = Path(__file__).resolve().parents[2]
FILES = ["senior-pet-care-guide.md", "sources/9f3c/001.md", "fernbrook-welcome.pdf"]
TOKEN = "/d/eyJ2IjoxLCJrIjoiU0RsWU1nZl8ifQ.eUVJ5fVzO0EhPTCANk33bi3ovvA"


# -- router and graph shape -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("intent", "node"),
    [
        ("navigation", "page_navigator"),
        ("product", "page_navigator"),
        ("support", "faq_retriever"),
        ("contact", "contact_lookup"),
        ("document", "document_referral"),
        ("lead", "check_lead_state"),
        ("greeting", "check_lead_state"),
        ("out_of_scope", "check_lead_state"),
    ],
)
def test_router_sends_each_intent_to_its_tool_or_past_the_tools(intent: str, node: str) -> None:
    assert route_intent({"classification": {"intent": intent}}) == node


@pytest.mark.parametrize("classification", [{}, {"intent": None}, {"intent": "weather"}])
def test_router_refuses_a_state_without_a_valid_intent(classification: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no valid intent"):
        route_intent({"classification": classification})
    assert set(INTENT_TOOL) == set(INTENTS)


def test_graph_shape_one_tool_per_turn_then_lead_state_then_compose() -> None:
    drawn = build_graph().compile().get_graph()
    edges = {(e.source, e.target) for e in drawn.edges}
    tools = {"page_navigator", "contact_lookup", "faq_retriever", "document_referral"}
    assert edges == {
        ("__start__", "load_context"),
        ("load_context", "classify_intent"),
        *(("classify_intent", t) for t in tools),
        ("classify_intent", "check_lead_state"),
        *((t, "check_lead_state") for t in tools),
        ("check_lead_state", "compose_response"),
        ("compose_response", "__end__"),
    }
    conditional = {(e.source, e.target) for e in drawn.edges if e.conditional}
    assert conditional == {("classify_intent", t) for t in (*tools, "check_lead_state")}


def test_langgraph_json_points_at_an_importable_graph() -> None:
    import importlib

    spec = json.loads((ROOT / "langgraph.json").read_text())
    path, name = spec["graphs"]["signpost_turn"].split(":")
    module = importlib.import_module(path.removeprefix("./").removesuffix(".py").replace("/", "."))
    assert "compose_response" in getattr(module, name).get_graph().nodes


# -- history and follow-ups -----------------------------------------------------------------------
def _message(i: int) -> dict[str, Any]:
    return {
        "role": "user" if i % 2 == 0 else "assistant",
        "content": str(i),
        "intent": None,
        "turn_id": f"t{i}",
    }


def test_history_appends_in_order_and_keeps_the_most_recent() -> None:
    history: list[Any] = []
    for i in range(MAX_HISTORY + 6):
        history = append_history(history, [_message(i)])  # type: ignore[list-item]
    assert [m["content"] for m in history] == [str(i) for i in range(6, MAX_HISTORY + 6)]
    assert append_history(None, None) == []


DENTAL: Focus = {
    "kind": "product",
    "title": "Dental cleanings for dogs and cats",
    "url": "https://x.example/dental/",
    "item_id": "p1",
    "subject": "Dental cleanings for dogs and cats",
}
NAMES = [
    "Dental cleanings for dogs and cats",
    "Exotic pet vet in Bend and Portland",
    "Wellness Plan Agreement",
]


@pytest.mark.parametrize(
    "message",
    ["what does it cost?", "and how long does it take?", "is that painful for them?", "price?"],
)
def test_a_message_leaning_on_the_subject_is_a_follow_up(message: str) -> None:
    assert is_followup(message, DENTAL, NAMES)
    assert resolve_query(message, DENTAL, True) == f"{message} {DENTAL['subject']}"


@pytest.mark.parametrize(
    "message",
    [
        "do you also see exotic pets in Bend, like lizards?",
        "can I read the wellness plan agreement before signing up for one of the plans?",
        "can I have that plan agreement after all?",
    ],
)
def test_a_message_naming_another_item_starts_a_new_subject(message: str) -> None:
    assert not is_followup(message, DENTAL, NAMES)


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ("is that dental cleaning safe?", True),
        ("send me that plan agreement", True),
        ("what plan do you recommend?", False),
        ("and for cats?", False),
    ],
)
def test_an_item_is_named_by_its_leading_words_or_most_of_its_name(
    message: str, named: bool
) -> None:
    stems = content_stems(message)
    assert any(names_item(content_stems(n), stems) for n in NAMES) is named


def test_nothing_is_a_follow_up_without_a_subject() -> None:
    assert not is_followup("what does it cost?", None, NAMES)
    assert resolve_query("what does it cost?", None, True) == "what does it cost?"
    assert resolve_query("what does it cost?", DENTAL, False) == "what does it cost?"


def test_an_elliptical_follow_up_keeps_asking_what_the_previous_question_asked() -> None:
    previous = "how much is a dental cleaning for a cat?"
    assert resolve_query("and for a dog?", DENTAL, True, previous).endswith(" price")
    # A follow-up that asks something of its own asks only that.
    own = "and how long does it take?"
    assert resolve_query(own, DENTAL, True, previous) == f"{own} {DENTAL['subject']}"


def test_the_last_of_equal_rows_answers_a_question_about_the_last_one() -> None:
    rows = "\n".join(f"Depart Harbour: {t}; Arrive Isle: {a}" for t, a in [("07:15", "09:40"),
                     ("12:30", "14:55"), ("17:45", "20:10")])  # fmt: skip
    assert answer_from("what time is the first boat", [rows], limit=1).startswith(
        "Depart Harbour: 07:15"
    )
    assert answer_from("what time is the last boat", [rows], limit=1).startswith(
        "Depart Harbour: 17:45"
    )


# -- the output guard -----------------------------------------------------------------------------
def test_forbidden_terms_cover_names_and_key_basenames_longest_first() -> None:
    terms = forbidden_terms([*FILES, "", "a.md"])
    assert "senior-pet-care-guide.md" in terms and "sources/9f3c/001.md" in terms
    assert "001.md" in terms  # the storage key's own name counts too
    assert "a.md" not in terms  # too short to mean anything
    assert terms == sorted(terms, key=len, reverse=True)


@pytest.mark.parametrize(
    "text",
    [
        "get it at https://host.example" + TOKEN,
        "the file is Senior-Pet-Care-Guide.MD",
        "stored under sources/9f3c/001.md",
        "(" + TOKEN + ")",
    ],
)
def test_leaks_finds_signed_links_and_file_names(text: str) -> None:
    assert leaks(text, forbidden_terms(FILES))


@pytest.mark.parametrize(
    "text",
    [
        "The Senior Pet Care Guide covers diet and checkups.",
        "See https://fernbrookvets.example/d/ for details",  # no token after /d/
        "Call (503) 555-0134.",
    ],
)
def test_titles_and_ordinary_text_are_not_leaks(text: str) -> None:
    assert not leaks(text, forbidden_terms(FILES))


def _gated_blocks() -> list[dict[str, Any]]:
    return [
        {"type": "links", "links": [{"label": "Senior pets", "url": "https://x.example/senior/"}]},
        {
            "type": "documents",
            "documents": [
                {
                    "document_id": "d1",
                    "title": "Senior Pet Care Guide",
                    "url": "https://host" + TOKEN,
                    "expires_at": "2030",
                }
            ],
        },
        {
            "type": "cards",
            "cards": [
                {
                    "title": "Guide",
                    "url": "https://x.example/senior-pet-care-guide.md",
                    "image_url": None,
                    "snippet": "",
                    "cta": "View",
                }
            ],
        },
    ]


def test_guard_strips_everything_gated_before_capture() -> None:
    citations = [
        {"source_id": "s", "title": "Guide", "url": None, "snippet": "in senior-pet-care-guide.md"},
        {"source_id": "s", "title": "FAQ", "url": "https://x.example/faq", "snippet": "ok"},
    ]
    text, blocks, cited, tripped = guard_output(
        "Download senior-pet-care-guide.md here",
        _gated_blocks(),
        citations,
        captured=False,
        terms=forbidden_terms(FILES),
        safe_text="Please use the form.",
    )
    assert tripped
    assert text == "Please use the form."
    assert [b["type"] for b in blocks] == ["links"]
    assert [c["title"] for c in cited] == ["FAQ"]


def test_guard_lets_everything_through_after_capture() -> None:
    blocks = _gated_blocks()
    text, kept, _, tripped = guard_output(
        "Here it is: " + TOKEN,
        blocks,
        [],
        captured=True,
        terms=forbidden_terms(FILES),
        safe_text="x",
    )
    assert (text, kept, tripped) == ("Here it is: " + TOKEN, blocks, False)


@pytest.mark.parametrize("leak", ["senior-pet-care-guide.md", TOKEN, "SOURCES/9F3C/001.MD"])
@pytest.mark.parametrize("step", [1, 3, 7])
def test_stream_guard_never_emits_part_of_a_leak(leak: str, step: int) -> None:
    text = "Happy to help with your older cat. " * 3 + f"The file is {leak} and more text after it."
    guard = StreamGuard(forbidden_terms(FILES), captured=False)
    sent = (
        "".join(guard.push(text[i : i + step]) for i in range(0, len(text), step)) + guard.flush()
    )
    assert guard.tripped
    assert not leaks(sent, forbidden_terms(FILES))
    # What was sent is a clean prefix that stops before the leak begins.
    assert text.startswith(sent) and len(sent) <= text.index(leak)


def test_stream_guard_passes_clean_text_through_unchanged() -> None:
    text = "A wellness exam costs $68; vaccines are extra (rabies $32). " * 4
    guard = StreamGuard(forbidden_terms(FILES), captured=False)
    pieces = [guard.push(text[i : i + 5]) for i in range(0, len(text), 5)]
    tail = guard.flush()
    assert "".join(pieces) + tail == text and not guard.tripped
    assert sum(1 for p in pieces if p) > 1  # it streams, holding back only a short tail
    captured = StreamGuard(forbidden_terms(FILES), captured=True)
    assert captured.push("senior-pet-care-guide.md") == "senior-pet-care-guide.md"


# -- lead-state and classification decisions ------------------------------------------------------
def _doc(
    doc_id: str,
    score: float,
    similarity: float = 0.4,
    name_match: float = 0.0,
    genre_match: float = 0.0,
) -> dict[str, Any]:
    return {
        "document_id": doc_id,
        "title": doc_id.title(),
        "score": score,
        "similarity": similarity,
        "name_match": name_match,
        "genre_match": genre_match,
        "fit": score + GENRE_WEIGHT * genre_match,
    }


def test_chosen_documents_takes_the_best_and_any_also_named() -> None:
    assert chosen_documents(None) == []
    assert chosen_documents({"documents": []}) == []
    ranked = [
        _doc("guide", 0.6, name_match=0.8),
        _doc("agreement", 0.4, name_match=0.7),
        _doc("welcome", 0.3),
    ]
    assert [d["document_id"] for d in chosen_documents({"documents": ranked})] == [
        "guide",
        "agreement",
    ]


def test_chosen_documents_ignores_weak_matches_unless_clearly_best() -> None:
    weak = [_doc("guide", 0.15, similarity=0.2), _doc("agreement", 0.14, similarity=0.2)]
    assert chosen_documents({"documents": weak}) == []
    clearly = [_doc("guide", 0.2, similarity=0.3), _doc("agreement", 0.1)]
    assert [d["document_id"] for d in chosen_documents({"documents": clearly})] == ["guide"]


def test_chosen_documents_takes_every_document_of_a_kind_asked_for_by_kind_only() -> None:
    # "any case studies?": two case studies fit, the handbook does not
    ranked = [
        _doc("farm-case", 0.1, similarity=0.2, genre_match=1.0),
        _doc("school-case", 0.05, similarity=0.15, genre_match=1.0),
        _doc("handbook", 0.12, similarity=0.25),
    ]
    assert [d["document_id"] for d in chosen_documents({"documents": ranked})] == [
        "farm-case",
        "school-case",
    ]
    # "the case study about the farm": the named one only
    named = [_doc("farm-case", 0.5, name_match=0.8, genre_match=1.0)] + ranked[1:]
    assert [d["document_id"] for d in chosen_documents({"documents": named})] == ["farm-case"]


def test_document_kinds_are_read_from_requests_and_titles() -> None:
    assert genres("got a catalogue of your stuff?") == {"overview"}
    assert genres("Solvane Product Portfolio 2026") == {"overview"}
    assert genres("do you have any case studies") == {"case_study"}
    assert genres("Installer Handbook: Vault and Helio Systems") == {"manual"}
    assert genres("Vault 15 Quick Start Guide") == {"manual"}
    assert genres("what time do you open") == frozenset()
    assert is_generic_request("can you email me the pdf")
    assert not is_generic_request("can you email me the brochure")
    assert not is_generic_request("the pdf about dairy farms")


def _signals(**extra: Any) -> Signals:
    flat = {intent: 0.3 for intent in INTENTS} | {"support": 0.45}
    return Signals(
        exemplar=flat,
        knowledge={"support": 0.6},
        words=8,
        evidence={"faq_similarity": 0.6, "passage_similarity": 0.6},
        **extra,
    )


def test_a_gate_bypass_while_a_document_is_pending_stays_a_document_turn() -> None:
    plain = decide(_signals())
    assert plain.intent == "support"
    pending = {"lead_status": "requested", "pending_documents": True}
    for extra in ({"bypass": True}, {"decline": True}):
        forced = decide(_signals(**pending, **extra))
        assert forced.intent == "document"
        assert forced.reason.startswith("document pending")
    # Without a pending document (or a named one) the same words are not forced anywhere.
    assert decide(_signals(bypass=True)).intent == "support"
    assert decide(_signals(**pending)).intent == "support"


def test_an_answer_keeps_a_title_with_its_name() -> None:
    passage = (
        "A practical guide for owners of older dogs and cats, by Dr. Helen Marsh, Medical "
        "Director. Second edition, 2025."
    )
    assert answer_from("who wrote the guide?", [passage], limit=1) == (
        "A practical guide for owners of older dogs and cats, by Dr. Helen Marsh, Medical Director."
    )


def _page(kind: str, similarity: float, title_match: float = 0.0) -> dict[str, Any]:
    return {"kind": kind, "similarity": similarity, "title_match": title_match}


def test_without_product_pages_every_page_may_be_an_offering() -> None:
    # A ferry line's /cabins/ page is not marked as a product; it is still what they sell.
    probes = {"pages": [_page("other", 0.64, 0.67), _page("article", 0.5)]}
    evidence = detailed_evidence(probes, has_products=False)
    assert (evidence["product_similarity"], evidence["product_name"]) == (0.64, 0.67)
    assert knowledge_evidence(probes, has_products=False)["product"] > 0.5
    # Where the site marks its products, a plain page counts a little less, an article not.
    assert detailed_evidence(probes)["product_similarity"] == pytest.approx(0.59)
    articles = {"pages": [_page("article", 0.64, 0.67)]}
    assert detailed_evidence(articles)["product_similarity"] == 0.0
    assert detailed_evidence(articles, has_products=False)["product_similarity"] == 0.64


def test_a_product_question_answered_by_a_plain_page_links_that_page() -> None:
    t = Templates("turn")
    pricing = _page("other", 0.7, 0.8) | {"url": "https://x.example/pricing/", "score": 1.0}
    add_on = _page("product", 0.4) | {"url": "https://x.example/products/sso/", "score": 0.5}
    for page in (pricing, add_on):
        page |= {"id": "p", "title": page["url"], "summary": "s", "passages": []}
    result = {"pages": [pricing, add_on], "cards": [add_on]}
    draft = compose_product("what plans do you have", result, t)
    assert draft is not None and draft.blocks[0]["type"] == "links"
    assert draft.blocks[0]["links"][0]["url"] == "https://x.example/pricing/"
    # A product close behind keeps its card.
    add_on["score"] = 0.95
    draft = compose_product("what plans do you have", result, t)
    assert draft is not None and draft.blocks[0]["type"] == "cards"


def test_a_timetable_row_is_found_by_its_section_and_its_clock_time() -> None:
    rows = (
        "Depart Harbour: 07:15; Arrive Isle: 09:40\n"
        "Depart Harbour: 12:30; Arrive Isle: 14:55\n"
        "Our ferries carry bikes free of charge."
    )
    question = "what time is the first boat to the isle on a saturday"
    weekdays = answer_from(question, [rows], limit=1, sections=["Times › Monday to Saturday"])
    assert weekdays == "Depart Harbour: 07:15; Arrive Isle: 09:40."
    # Between two sections with equal rows, the one named in the question wins.
    sunday = rows.replace("07:15", "09:30").replace("12:30", "16:00")
    picked = answer_from(
        question, [sunday, rows], limit=1, sections=["Times › Sunday", "Times › Saturday"]
    )
    assert picked == "Depart Harbour: 07:15; Arrive Isle: 09:40."


def test_a_support_answer_may_come_from_a_passage_just_behind_the_best() -> None:
    def passage(title: str, text: str, score: float) -> dict[str, Any]:
        return {"kind": "page", "title": title, "text": text, "score": score, "section": ""}

    intro = passage("Helio H10", "For three-phase homes with a heat pump or a big roof.", 0.70)
    terms = passage("Warranty terms", "Product: Helio H10; Standard warranty: 12 years", 0.69)
    for p in (intro, terms):
        p |= {"source_id": "s", "url": "https://x.example/" + p["title"]}
    draft = compose_support(
        "how long is the warranty on the h10", {"passages": [intro, terms]}, Templates("t")
    )
    assert draft is not None and "12 years" in draft.text
    assert draft.citations[0]["title"] == "Warranty terms"


def test_a_question_about_notice_is_answered_by_the_period() -> None:
    passage = (
        "Livestock travel on the morning sailings only. "
        "Livestock sailings must be booked at least 72 hours before departure."
    )
    answer = answer_from("how much notice do you need to ship cattle", [passage], limit=1)
    assert answer == "Livestock sailings must be booked at least 72 hours before departure."


def test_naming_a_documents_subject_is_no_request_for_the_document() -> None:
    # "tell me a bit about the vault 15": the Vault 15 Quick Start Guide matches by name,
    # as well as the Vault 15 product page does.
    exemplar = {intent: 0.2 for intent in INTENTS} | {"product": 0.3, "document": 0.28}
    evidence = {
        "product_similarity": 0.6,
        "product_name": 0.6,
        "document_similarity": 0.62,
        "document_name": 0.8,
    }

    def signals(**extra: Any) -> Signals:
        return Signals(exemplar=exemplar, knowledge={}, words=5, evidence=evidence, **extra)

    assert decide(signals()).intent == "product"
    # Asked for ("the quick start guide for the vault 15") or named by kind, it is one.
    assert decide(signals(cues=frozenset({"document"}))).intent == "document"
    assert decide(signals(document_kind=True)).intent == "document"


def test_a_passage_from_a_page_is_support_evidence_too() -> None:
    page_answer = {"passages": [{"kind": "page", "similarity": 0.62}]}
    assert detailed_evidence(page_answer)["faq_similarity"] == pytest.approx(0.52)
    faq_answer = {
        "passages": [{"kind": "qa", "similarity": 0.6}, {"kind": "page", "similarity": 0.5}]
    }
    assert detailed_evidence(faq_answer)["faq_similarity"] == 0.6


@pytest.mark.parametrize(
    ("sentence", "is_time"),
    [("Last boat 20:30.", True), ("Doors open at 8pm.", True), ("Height up to 2.40 m.", False)],
)
def test_clock_times_answer_when_questions_and_decimals_do_not(
    sentence: str, is_time: bool
) -> None:
    found = best_sentences("what time is it on", sentence, min_score=0.3)
    assert bool(found) is is_time
