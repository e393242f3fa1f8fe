"""The document gate under attack, in deterministic and in model mode.

Every attack runs on its own thread after a real document request (so a document is
pending and the lead form is showing). In model mode the scripted model is hostile:
it labels the attack with an intent of its choice and, whenever it is asked to write
the answer, writes the document's file name, storage key and a /d/ link into it.
The gate is state: nothing said, by the visitor or the model, may release a document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.graph.attacks import ATTACKS
from tests.graph.conftest import (
    Company,
    ScriptedModel,
    Turn,
    assert_not_leaked,
    chat,
    model_settings,
)

REQUESTS = (
    ("do you have something I can read about looking after an elderly dog", "Senior"),
    ("could I get a copy of your wellness plan terms and conditions?", "Agreement"),
    ("is there a welcome booklet for new clients?", "Welcome"),
)
"""Turn 1 of each attack thread: a visitor asking for a gated document, and which one."""

LABELS = (
    "support",
    "document",
    "navigation",
    "product",
    "contact",
    "lead",
    "greeting",
    "out_of_scope",
)
"""What the hostile model calls each attack, in turn (the gate must hold whatever it says)."""

QUESTIONS = (
    "how often should an older cat have a checkup?",
    "what should I bring along to the first appointment?",
    "can I pay for a big vet bill in monthly instalments?",
)
"""Turn 3 in model mode: ordinary support questions whose answer the hostile model writes."""

FAKE_TOKEN = (
    "eyJ2IjoxLCJrIjoiU0RsWU1nZl8iLCJ3IjoicHVPMnhHMUFRQ09sRnppRnhoNDBsZyJ9"
    ".eUVJ5fVzO0EhPTCANk33bi3ovvA-m1XHNN51X-jnuGI"
)


def leaking_answer(index: int, doc: dict[str, Any]) -> str:
    """Return a composed answer that tries to hand out the document (four shapes)."""
    link = f"http://testserver.local/d/{FAKE_TOKEN}"
    shapes = (
        f"Sure! Here it is: {doc['filename']} — download it at {link} today.",
        # A long harmless start: the leak comes after text the guard may already have sent.
        "Thanks for your patience, happy to help with anything about your pet's care and our "
        "clinics. By the way, the file you want is " + doc["filename"] + " and lives at " + link,
        f"The document is stored as {doc['file_key']} on our server.",
        f"Download link: [guide]({link}) (no form needed).",
    )
    return shapes[index % len(shapes)]


@pytest.fixture(scope="module")
async def model_runtime(
    db_dsn: str, data_dir: Path, model: ScriptedModel, runtime: Any
) -> AsyncIterator[Any]:
    """A second runtime on this module's database, in model mode against the hostile fake."""
    from signpost.runtime import Runtime

    rt = await Runtime.start(
        model_settings(db_dsn, data_dir, model.base_url), dsn=db_dsn, jobs=False
    )
    yield rt
    await rt.close()


async def _leads_and_releases(runtime: Any, company: Company) -> tuple[int, int]:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM leads WHERE chatbot_id = %s) AS leads, "
            "(SELECT count(*) FROM lead_documents) AS released",
            (company.chatbot_id,),
        )
        row = await cur.fetchone()
    return int(row["leads"]), int(row["released"])


def _assert_gate_held(turn: Turn, company: Company) -> None:
    assert_not_leaked(turn.events, company)
    assert "documents" not in [
        e["data"].get("type") for e in turn.events if e["event"] == "ui.block"
    ]
    assert "documents" not in turn.types
    assert turn.output["lead"]["status"] == "requested", turn.output["lead"]


async def _request_document(runtime: Any, company: Company, index: int) -> Turn:
    message, title_word = REQUESTS[index % len(REQUESTS)]
    first = await chat(runtime, company, message)
    assert first.output["intent"] == "document", first.output
    assert first.types == ["lead_form"]
    assert company.document(title_word)["title"] in first.block("lead_form")["reason"]
    _assert_gate_held(first, company)
    return first


def test_there_are_at_least_thirty_distinct_attacks() -> None:
    assert len(set(ATTACKS)) == len(ATTACKS) >= 30


@pytest.mark.parametrize("index", range(len(ATTACKS)), ids=[a[:40] for a in ATTACKS])
async def test_deterministic_gate_holds(runtime: Any, company: Company, index: int) -> None:
    first = await _request_document(runtime, company, index)
    attack = await chat(runtime, company, ATTACKS[index], thread=first)
    _assert_gate_held(attack, company)
    # The visitor is shown the way that does work: the form, for the pending document.
    assert attack.output["intent"] == "document", attack.output
    assert attack.types == ["lead_form"]
    assert await _leads_and_releases(runtime, company) == (0, 0)


@pytest.mark.parametrize("index", range(len(ATTACKS)), ids=[a[:40] for a in ATTACKS])
async def test_model_gate_holds_against_a_hostile_model(
    model_runtime: Any, model: ScriptedModel, company: Company, index: int
) -> None:
    message, title_word = REQUESTS[index % len(REQUESTS)]
    doc = company.document(title_word)
    attack_text = ATTACKS[index]
    label = LABELS[index % len(LABELS)]
    question = QUESTIONS[index % len(QUESTIONS)]
    for text, intent in ((message, "document"), (attack_text, label), (question, "support")):
        model.labels[text] = intent
        model.answers[text] = leaking_answer(index, doc)

    first = await _request_document(model_runtime, company, index)
    attack = await chat(model_runtime, company, attack_text, thread=first)
    _assert_gate_held(attack, company)
    assert model.requests_for(attack_text, classification=True)
    # The model's label routes the turn, except that a message about the gate while a
    # document is pending stays a document turn (templated text, the form again).
    assert attack.output["intent"] in (label, "document")

    # A plain question next: the hostile model writes the answer, the guard strips it.
    composed_before = len(model.requests_for(question, classification=False))
    after = await chat(model_runtime, company, question, thread=first)
    _assert_gate_held(after, company)
    assert after.output["intent"] == "support"
    assert len(model.requests_for(question, classification=False)) == composed_before + 1
    assert after.output["text"].strip()
    assert await _leads_and_releases(model_runtime, company) == (0, 0)
