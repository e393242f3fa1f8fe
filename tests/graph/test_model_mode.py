"""Model mode: the real ChatOpenAI client against a scripted OpenAI-compatible server on loopback.

Structured classification drives the routing, composition is streamed token by token,
and a slow or failing model falls back to deterministic mode for that turn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.nodes.compose import MODEL_INTENTS
from signpost.protocol import INTENT_TOOL, TurnOutput
from tests.fakes.openai_server import Reply
from tests.graph.cases import CASES, Case, check_events
from tests.graph.conftest import (
    Company,
    ScriptedModel,
    chat,
    echo_suggestion,
    model_settings,
    system_prompt,
)

TIMEOUT_S = 1.5
"""The model timeout of this module's runtime; scripted delays exceed it."""
SLOW_S = TIMEOUT_S + 1.5

MISSED = "how much do you charge if I don't turn up for my appointment"
ANSWER = (
    "If you can't make it, please tell us at least 24 hours ahead: a missed appointment "
    "without notice costs $35, and for surgery or dental appointments the no-show fee is $75. "
    "You can reschedule by phone or online at any time."
)


@pytest.fixture(scope="module")
def settings(db_dsn: str, data_dir: Path, model: ScriptedModel) -> Any:
    """This module's runtime runs in model mode against the scripted server."""
    return model_settings(db_dsn, data_dir, model.base_url, timeout_s=TIMEOUT_S)


def _label(intent: str) -> Reply:
    return Reply(tool_arguments={"intent": intent, "confidence": 0.9, "reason": "scripted"})


async def test_structured_classification_is_requested_and_its_label_routes_the_turn(
    runtime: Any, model: ScriptedModel, company: Company
) -> None:
    message = "what time do you close on saturdays?"
    model.answers[message] = echo_suggestion
    expected = {"support": [], "contact": ["contacts"], "navigation": ["links"]}
    for label, blocks in expected.items():
        model.labels[message] = label
        turn = await chat(runtime, company, message)
        out = turn.output
        assert (out["intent"], out["tool"]) == (label, INTENT_TOOL[label])
        assert turn.types == blocks
        state = await runtime.turns.graph().aget_state(
            {"configurable": {"thread_id": turn.thread_id}}
        )
        classification = state.values["classification"]
        assert (classification["source"], classification["confidence"]) == ("model", 0.93)

    body = model.requests_for(message, classification=True)[-1]
    tool = body["tools"][0]["function"]
    assert tool["name"] == "IntentChoice"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "IntentChoice"}}
    assert set(tool["parameters"]["properties"]["intent"]["enum"]) == set(INTENT_TOOL)
    assert set(tool["parameters"]["required"]) == {"intent", "confidence", "reason"}
    assert body["model"] == "fake-model" and not body.get("stream")
    prompt = system_prompt(body)
    assert "Fernbrook Helper" in prompt
    assert "Locations & Hours" in prompt  # the bot's own evidence goes to the classifier


async def test_composition_is_streamed_in_pieces_and_grounded(
    runtime: Any, model: ScriptedModel, company: Company
) -> None:
    model.labels[MISSED] = "support"
    model.answers[MISSED] = ANSWER
    turn = await chat(runtime, company, MISSED)
    out = turn.output
    assert out["intent"] == "support"
    assert len(turn.deltas) >= 3, turn.deltas
    assert "".join(turn.deltas) == out["text"] == ANSWER
    check_events(turn, company)
    # Citations come from retrieval, whatever the model wrote.
    assert out["citations"][0]["title"] == "What is your cancellation policy?"
    assert out["fallback"] is False

    body = model.requests_for(MISSED, classification=False)[-1]
    assert body["stream"] is True
    prompt = system_prompt(body)
    assert "What is your cancellation policy?" in prompt
    assert "Missed appointments without notice are charged $35" in prompt


async def test_the_thread_goes_to_the_model_in_chronological_order(
    runtime: Any, model: ScriptedModel, company: Company
) -> None:
    first_message, follow_up = "do you clean cats' teeth?", "what does it cost?"
    for message in (first_message, follow_up):
        model.labels[message] = "product"
        model.answers[message] = echo_suggestion
    before = len(model.requests_for(follow_up, classification=True))
    first = await chat(runtime, company, first_message)
    second = await chat(runtime, company, follow_up, thread=first)
    assert "$495" in second.output["text"]
    for classification in (True, False):
        body = model.requests_for(follow_up, classification=classification)[-1]
        turns = [(m["role"], m["content"]) for m in body["messages"][1:]]
        assert turns == [
            ("user", first_message),
            ("assistant", first.output["text"]),
            ("user", follow_up),
        ]
    assert len(model.requests_for(follow_up, classification=True)) == before + 1


FAILURES = {
    "classify-timeout": (
        Reply(
            tool_arguments={"intent": "greeting", "confidence": 1, "reason": "slow"}, delay_s=SLOW_S
        ),
        ANSWER,
    ),
    "classify-500": (Reply(status=500), ANSWER),
    "compose-timeout": (_label("support"), Reply(content=ANSWER, delay_s=SLOW_S)),
    "compose-500": (_label("support"), Reply(status=500)),
    "compose-stalls-mid-stream": (_label("support"), Reply(content=ANSWER, chunk_delay_s=0.3)),
    "both-500": (Reply(status=500), Reply(status=500)),
}


@pytest.mark.parametrize("case", list(FAILURES))
async def test_a_slow_or_failing_model_falls_back_and_the_turn_completes(
    runtime: Any, model: ScriptedModel, company: Company, case: str
) -> None:
    label, answer = FAILURES[case]
    model.labels[MISSED], model.answers[MISSED] = label, answer
    asked = {kind: len(model.requests_for(MISSED, classification=kind)) for kind in (True, False)}
    turn = await chat(runtime, company, MISSED)
    out = turn.output
    TurnOutput.model_validate(out)
    # Correct either way: the deterministic classifier and templates take over.
    assert (out["intent"], out["tool"], out["fallback"]) == ("support", "faq_retriever", False)
    assert "$35" in out["text"]
    assert out["citations"][0]["title"] == "What is your cancellation policy?"
    assert len(model.requests_for(MISSED, classification=True)) == asked[True] + 1
    assert len(model.requests_for(MISSED, classification=False)) == asked[False] + 1
    if case.startswith("classify"):
        assert out["text"] == ANSWER  # only the classification failed; the model still wrote
    else:
        assert out["text"] != ANSWER and "Missed appointments without notice" in out["text"]
    if case != "compose-stalls-mid-stream":
        check_events(turn, company)
    # The thread is usable afterwards.
    model.labels["thanks!"] = "greeting"
    after = await chat(runtime, company, "thanks!", thread=turn)
    assert after.output["intent"] == "greeting"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.intent}:{c.message[:40]}" for c in CASES])
async def test_every_intent_in_model_mode(
    runtime: Any, model: ScriptedModel, company: Company, case: Case
) -> None:
    model.labels[case.message] = case.intent
    model.answers[case.message] = echo_suggestion
    turn = await chat(runtime, company, case.message)
    out = turn.output
    assert (out["intent"], out["tool"]) == (case.intent, INTENT_TOOL[case.intent])
    case.check(turn, company)
    check_events(turn, company)
    composed = model.requests_for(case.message, classification=False)
    # Lead, document, greeting and fallback text stays templated; the rest is model-written.
    assert bool(composed) == (case.intent in MODEL_INTENTS and not out["fallback"])
