"""Visitor questions for company B, one or more per intent, and what each answer must hold.

Written the way visitors talk to a vet group's website, not in the words of the
Fernbrook pages they should lead to. Shared by the deterministic and model-mode tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from signpost.protocol import INTENT_TOOL
from tests.graph.conftest import Company, Turn, assert_not_leaked, urls

SITE = "https://fernbrookvets.example"


@dataclass(frozen=True)
class Case:
    """A visitor's message, the intent it must get, and what the answer must hold."""

    message: str
    intent: str
    check: Callable[[Turn, Company], None]


def first_link(url: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        assert turn.types == ["links"]
        assert urls(turn.output, "links")[0] == SITE + url
        assert turn.output["fallback"] is False

    return check


def first_card(url: str, *text: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        assert "cards" in turn.types
        card = turn.block("cards")["cards"][0]
        assert card["url"] == SITE + url
        assert card["title"] and card["snippet"] and card["cta"]
        for part in text:
            assert part in turn.output["text"]

    return check


def answered(fact: str, cited: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        out = turn.output
        assert fact in out["text"]
        assert out["fallback"] is False
        assert out["citations"], out
        top = out["citations"][0]
        assert top["title"] == cited
        assert top["snippet"] and str(top["source_id"]) in {
            str(s) for s in company.source_ids.values()
        }

    return check


def first_contact(name: str, email: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        contacts = turn.block("contacts")["contacts"]
        assert contacts[0]["name"] == name
        assert contacts[0]["email"] == email
        assert name in turn.output["text"]

    return check


def gated(title_word: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        out = turn.output
        assert turn.types == ["lead_form"]
        form = turn.block("lead_form")
        assert [f["name"] for f in form["fields"]] == ["name", "email", "phone"]
        title = company.document(title_word)["title"]
        assert title in form["reason"] and title in out["text"]
        assert out["lead"] == {"status": "requested", "fields_required": ["name", "email", "phone"]}
        assert_not_leaked(turn.events, company)

    return check


def captured(name: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        assert turn.output["lead"]["status"] == "captured"
        assert name in turn.output["text"]
        assert turn.types == []

    return check


def greeted(*any_of: str) -> Callable[[Turn, Company], None]:
    def check(turn: Turn, company: Company) -> None:
        assert any(part in turn.output["text"] for part in any_of), turn.output["text"]
        assert turn.types == [] and turn.output["fallback"] is False

    return check


def out_of_scope(turn: Turn, company: Company) -> None:
    out = turn.output
    assert out["fallback"] is True
    assert out["citations"] == []
    # Says so, and offers a person instead.
    assert "Fernbrook" in out["text"]
    person = turn.block("contacts")["contacts"][0]
    assert person["name"] in out["text"] and person["email"] in out["text"]
    assert ". If you'd like to talk to a person" in out["text"]


CASES = [
    Case(
        "where can I read about what to expect on my first visit?",
        "navigation",
        first_link("/new-clients/"),
    ),
    Case("got any jobs going? I'm a qualified vet nurse", "navigation", first_link("/careers/")),
    Case(
        "where's your privacy stuff, what do you do with my data",
        "navigation",
        first_link("/privacy/"),
    ),
    Case(
        "my dog's teeth are yellow and gross, can you help",
        "product",
        first_card("/services/dental-care/", "$495"),
    ),
    Case("do you treat guinea pigs and parrots?", "product", first_card("/services/exotic-pets/")),
    Case(
        "how much do you charge if I don't turn up for my appointment",
        "support",
        answered("$35", "What is your cancellation policy?"),
    ),
    Case(
        "can I spread the cost of a big bill over a few months?",
        "support",
        answered("VetFlex Pay", "Can I pay in installments?"),
    ),
    Case(
        "does my rabbit have to skip breakfast before her op?",
        "support",
        answered("must NOT fast", "Does my pet need to fast before surgery or a dental?"),
    ),
    Case(
        "who handles press enquiries?",
        "contact",
        first_contact("Devin Ruiz", "devin.ruiz@fernbrookvets.example"),
    ),
    Case(
        "I need somebody who can talk to me in Japanese about my cat",
        "contact",
        first_contact("Dr. Mei Tanaka", "mei.tanaka@fernbrookvets.example"),
    ),
    Case(
        "I'd like to get in touch with whoever handles billing and insurance claims",
        "contact",
        first_contact("Dwayne Bell", "billing@fernbrookvets.example"),
    ),
    Case(
        "do you have something I can read about looking after an elderly dog",
        "document",
        gated("Senior"),
    ),
    Case(
        "could I get a copy of your wellness plan terms and conditions?",
        "document",
        gated("Agreement"),
    ),
    Case("is there a welcome booklet for new clients?", "document", gated("Welcome")),
    Case(
        "you can reach me at lena.fox@example.org, my name is Lena Fox, phone (971) 555-0102",
        "lead",
        captured("Lena"),
    ),
    Case("hi there!", "greeting", greeted("find a clinic")),
    Case("thanks, that's all I needed", "greeting", greeted("Glad", "welcome", "pleasure")),
    Case("thanks, that's really helpful", "greeting", greeted("Glad", "welcome", "pleasure")),
    Case("can you recommend a good pizza place", "out_of_scope", out_of_scope),
    Case("what's the capital of australia", "out_of_scope", out_of_scope),
    # "file" the verb is no request for a document
    Case("how do i file my taxes online", "out_of_scope", out_of_scope),
]


def check_events(turn: Turn, company: Company) -> None:
    """Check the protocol's event order and that the events agree with the TurnOutput."""
    out = turn.output
    names = [e["event"] for e in turn.events]
    assert names[:2] == ["turn.started", "intent"] and names[-1] == "turn.completed"
    assert set(names[2:-1]) <= {"text.delta", "ui.block"}
    assert turn.events[1]["data"] == {"intent": out["intent"], "tool": INTENT_TOOL[out["intent"]]}
    assert "".join(turn.deltas) == out["text"]
    assert [e["data"] for e in turn.events if e["event"] == "ui.block"] == out["ui_blocks"]
    started = turn.events[0]["data"]
    assert started == {k: out[k] for k in ("thread_id", "turn_id", "trace_id")}
    assert_not_leaked(turn.events, company)
