"""Every expectation key of the v1 suite format, passing and failing, on hand-built outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from evals.expectations import (
    _CHECKS,
    check_turn,
    document_urls,
    first_rank,
)
from evals.suite import EXPECT_KEYS
from signpost.protocol import TurnOutput
from tests.evals.turns import SIGNED, cards, contacts, documents, lead_form, links, out

A, B, C, D = (f"https://acme.example/{p}/" for p in ("a", "b", "c", "d"))
DANA = {"name": "Dana Reyes", "email": "dana@acme.example", "phone": "+31 20 555 0101"}
JONAS = {"name": "Jonas Becker", "email": "jonas@acme.example", "phone": "+49 89 5555 2410"}
LEA = {"name": "Lea Hofmann", "email": "lea@acme.example"}
OMAR = {"name": "Omar Said", "email": "omar@acme.example"}


@dataclass(frozen=True)
class Check:
    name: str
    expect: dict[str, Any]
    output: TurnOutput
    passes: bool


CHECKS = [
    # intent
    Check("intent equal", {"intent": "navigation"}, out("navigation"), True),
    Check("intent different", {"intent": "product"}, out("navigation"), False),
    Check("intent list contains", {"intent": ["product", "navigation"]}, out("navigation"), True),
    Check("intent list misses", {"intent": ["product", "support"]}, out("navigation"), False),
    # tool
    Check("tool equal", {"tool": "page_navigator"}, out(tool="page_navigator"), True),
    Check("tool different", {"tool": "faq_retriever"}, out(tool="page_navigator"), False),
    Check("tool null and none ran", {"tool": None}, out("greeting"), True),
    Check("tool null but one ran", {"tool": None}, out(tool="page_navigator"), False),
    # urls_any: first 3 URLs of links/cards, in display order across blocks
    Check("urls_any in top 3", {"urls_any": [C]}, out(ui_blocks=[links(A, B, C, D)]), True),
    Check("urls_any 4th is too late", {"urls_any": [D]}, out(ui_blocks=[links(A, B, C, D)]), False),
    Check(
        "urls_any counts across blocks",
        {"urls_any": [C]},
        out(ui_blocks=[links(A, B), cards(C, D)]),
        True,
    ),
    Check(
        "urls_any cards after 3 links",
        {"urls_any": [D]},
        out(ui_blocks=[links(A, B, C), cards(D)]),
        False,
    ),
    Check(
        "urls_any any one of them",
        {"urls_any": ["https://x.example/", B]},
        out(ui_blocks=[cards(A, B)]),
        True,
    ),
    Check(
        "urls_any ignores citations",
        {"urls_any": [A]},
        out(citations=[{"source_id": "s", "title": "A", "url": A}]),
        False,
    ),
    Check(
        "urls_any exact match",
        {"urls_any": ["https://acme.example/a"]},
        out(ui_blocks=[links(A)]),
        False,
    ),
    # urls_all: all among every link/card URL
    Check(
        "urls_all present", {"urls_all": [A, D]}, out(ui_blocks=[links(A, B, C), cards(D)]), True
    ),
    Check("urls_all one missing", {"urls_all": [A, D]}, out(ui_blocks=[links(A, B, C)]), False),
    # contacts_any: name/email/phone of the first 3 contacts, case-insensitive
    Check(
        "contacts_any by name, case-insensitive",
        {"contacts_any": ["jonas BECKER"]},
        out("contact", ui_blocks=[contacts(DANA, JONAS)]),
        True,
    ),
    Check(
        "contacts_any by email",
        {"contacts_any": ["LEA@acme.example"]},
        out("contact", ui_blocks=[contacts(LEA)]),
        True,
    ),
    Check(
        "contacts_any by phone",
        {"contacts_any": ["+49 89 5555 2410"]},
        out("contact", ui_blocks=[contacts(JONAS)]),
        True,
    ),
    Check(
        "contacts_any 4th contact is too late",
        {"contacts_any": ["Omar Said"]},
        out("contact", ui_blocks=[contacts(DANA, JONAS, LEA, OMAR)]),
        False,
    ),
    Check(
        "contacts_any not a substring",
        {"contacts_any": ["Jonas"]},
        out("contact", ui_blocks=[contacts(JONAS)]),
        False,
    ),
    Check(
        "contacts_any ignores the text",
        {"contacts_any": ["Jonas Becker"]},
        out("contact", text="Ask Jonas Becker."),
        False,
    ),
    # documents_any: title (or file name) in a documents block with URLs
    Check(
        "documents_any by title",
        {"documents_any": ["Portfolio 2026"]},
        out("document", ui_blocks=[documents(("Portfolio 2026", SIGNED))]),
        True,
    ),
    Check(
        "documents_any other title",
        {"documents_any": ["Case Study"]},
        out("document", ui_blocks=[documents(("Portfolio 2026", SIGNED))]),
        False,
    ),
    Check(
        "documents_any title only in the form reason",
        {"documents_any": ["Portfolio 2026"]},
        out("document", ui_blocks=[lead_form("to send you the Portfolio 2026")]),
        False,
    ),
    Check(
        "documents_any needs a URL",
        {"documents_any": ["Portfolio 2026"]},
        out("document", ui_blocks=[documents(("Portfolio 2026", ""))]),
        False,
    ),
    # gated
    Check(
        "gated: form and no document URL",
        {"gated": True},
        out("document", ui_blocks=[lead_form()]),
        True,
    ),
    Check("gated: no form", {"gated": True}, out("document", text="Sure, here it is."), False),
    Check(
        "gated: form but a documents block",
        {"gated": True},
        out("document", ui_blocks=[lead_form(), documents(("Portfolio 2026", SIGNED))]),
        False,
    ),
    Check(
        "gated: form but a signed link in the text",
        {"gated": True},
        out("document", text=f"Download: {SIGNED}", ui_blocks=[lead_form()]),
        False,
    ),
    Check(
        "gated: form but a signed link in a citation",
        {"gated": True},
        out(
            "document",
            ui_blocks=[lead_form()],
            citations=[{"source_id": "s", "title": "P", "url": SIGNED}],
        ),
        False,
    ),
    Check(
        "gated: form but a relative /d/ path",
        {"gated": True},
        out("document", text="get it at /d/abcdefghijklmnop", ui_blocks=[lead_form()]),
        False,
    ),
    Check(
        "gated false: documents released",
        {"gated": False},
        out("document", ui_blocks=[documents(("Portfolio 2026", SIGNED))]),
        True,
    ),
    Check(
        "gated false: still a form",
        {"gated": False},
        out("document", ui_blocks=[lead_form()]),
        False,
    ),
    Check(
        "gated false: documents block without URLs",
        {"gated": False},
        out("document", ui_blocks=[documents(("Portfolio 2026", ""))]),
        False,
    ),
    # ui_blocks_any
    Check(
        "ui_blocks_any present",
        {"ui_blocks_any": ["cards", "links"]},
        out(ui_blocks=[links(A)]),
        True,
    ),
    Check(
        "ui_blocks_any absent", {"ui_blocks_any": ["lead_form"]}, out(ui_blocks=[links(A)]), False
    ),
    # text_contains_any / _all: case-insensitive
    Check(
        "text_contains_any one, any case",
        {"text_contains_any": ["24 KG", "nope"]},
        out(text="It weighs 24 kg."),
        True,
    ),
    Check(
        "text_contains_any none", {"text_contains_any": ["30 days"]}, out(text="Two weeks."), False
    ),
    Check(
        "text_contains_all all",
        {"text_contains_all": ["free", "SURVEY"]},
        out(text="The survey is free."),
        True,
    ),
    Check(
        "text_contains_all one missing",
        {"text_contains_all": ["free", "antwerp"]},
        out(text="The survey is free."),
        False,
    ),
    # not_contains: anywhere in the serialized output
    Check(
        "not_contains absent",
        {"not_contains": ["portfolio-2026.pdf"]},
        out("document", text="Fill in the form.", ui_blocks=[lead_form()]),
        True,
    ),
    Check(
        "not_contains found in the text",
        {"not_contains": ["portfolio-2026.pdf"]},
        out("document", text="It's portfolio-2026.pdf"),
        False,
    ),
    Check(
        "not_contains found in a block",
        {"not_contains": ["solvane.example"]},
        out(ui_blocks=[links("https://www.solvane.example/")]),
        False,
    ),
    Check(
        "not_contains found in a citation snippet",
        {"not_contains": ["secret.docx"]},
        out(citations=[{"source_id": "s", "title": "T", "snippet": "see secret.docx"}]),
        False,
    ),
    Check(
        "not_contains with quotes",
        {"not_contains": ['say "hi"']},
        out(text='I say "hi" to you'),
        False,
    ),
    # fallback
    Check("fallback equal", {"fallback": True}, out("out_of_scope", fallback=True), True),
    Check("fallback different", {"fallback": False}, out("out_of_scope", fallback=True), False),
    # several keys: each is reported on its own
    Check("empty expect passes", {}, out(), True),
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_expectation_key_passes_or_fails_as_the_spec_defines(check: Check) -> None:
    failures = check_turn(check.expect, check.output, turn=2)
    assert (not failures) is check.passes, failures


def test_every_spec_key_has_a_check_and_a_passing_and_failing_example() -> None:
    assert set(_CHECKS) == set(EXPECT_KEYS)
    for key in EXPECT_KEYS:
        outcomes = {c.passes for c in CHECKS if key in c.expect}
        assert outcomes == {True, False}, key


def test_failure_names_turn_key_expected_and_actual() -> None:
    output = out("navigation", tool="page_navigator", ui_blocks=[links(A, B, C, D)])
    failures = check_turn(
        {"intent": "product", "tool": "page_navigator", "urls_any": [D]}, output, turn=1
    )
    assert [f.as_dict() for f in failures] == [
        {"turn": 1, "key": "intent", "expected": "product", "actual": "navigation"},
        {"turn": 1, "key": "urls_any", "expected": [D], "actual": [A, B, C]},
    ]


def test_gated_failure_shows_the_leaked_url() -> None:
    output = out("document", text=f"here: {SIGNED}", ui_blocks=[lead_form()])
    [failure] = check_turn({"gated": True}, output, turn=0)
    assert SIGNED in failure.actual["document_urls"]


def test_document_urls_finds_block_urls_and_signed_links_only() -> None:
    output = out(
        "document",
        text="See https://acme.example/downloads/ and " + SIGNED,
        ui_blocks=[documents(("X", "https://files.example/x.pdf")), links(A)],
    )
    assert set(document_urls(output)) == {"https://files.example/x.pdf", SIGNED}
    assert document_urls(out(ui_blocks=[links(A)], text="nothing /d/ here")) == []


@pytest.mark.parametrize(
    ("key", "expected", "output", "rank"),
    [
        ("urls_any", [C, A], out(ui_blocks=[links(B), cards(A, C)]), 2),
        ("urls_any", [D], out(ui_blocks=[links(A, B, C, D)]), 4),
        ("urls_any", [D], out(ui_blocks=[links(A)]), None),
        ("contacts_any", ["lea@ACME.example"], out(ui_blocks=[contacts(DANA, JONAS, LEA)]), 3),
        ("documents_any", ["B"], out(ui_blocks=[documents(("A", SIGNED), ("B", SIGNED + "2"))]), 2),
        ("documents_any", ["A"], None, None),
    ],
)
def test_rank_is_the_position_of_the_first_expected_item(
    key: str, expected: list[str], output: TurnOutput | None, rank: int | None
) -> None:
    assert first_rank(key, expected, output) == rank
