"""Custom text: Q/A pairs in their usual formats, categories, plain text as chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion.custom import CustomEntry, entries_of, is_question, parse_custom, to_plain_text

DEMO_FAQ = Path(__file__).resolve().parents[2] / "demo" / "faq.md"


def pairs(text: str) -> list[tuple[str, str, str]]:
    return [(qa.question, qa.answer, qa.category) for qa in parse_custom(text).qa]


def test_markdown_question_headings_become_entries_with_whole_answers():
    text = """# Account help

## How do I reset my password?

Open **Settings → Security** and choose *Reset password*.

We email you a link that works for 24 hours.

### If the email never arrives

Check your spam folder first.

## Can I change my username
Yes, once a year, under Profile.

## Billing

General billing notes live here.
"""
    content = parse_custom(text)
    assert [(qa.question, qa.answer) for qa in content.qa] == [
        (
            "How do I reset my password?",
            "Open Settings → Security and choose Reset password.\n\n"
            "We email you a link that works for 24 hours.\n\n"
            "If the email never arrives\n\nCheck your spam folder first.",
        ),
        ("Can I change my username", "Yes, once a year, under Profile."),
    ]
    # "Billing" is not a question: its text is a plain chunk under its heading path
    assert [(c.section, c.text) for c in content.chunks] == [
        ("Account help > Billing", "General billing notes live here.")
    ]


def test_q_and_a_lines_in_their_variants():
    text = """Q: What are your opening hours?
A: Monday to Friday, 9 to 5.
Saturdays 10 to 2.

Question: Do you deliver on Sundays?
Answer: No.

**Q:** Can I pay by invoice?
**A:** Yes, for companies.

q: is there parking?
a: Behind the building.

**Q: Where are you?** A: Rotterdam, next to the station.

Q1. How do I book?
Online at our site.
"""
    assert pairs(text) == [
        ("What are your opening hours?", "Monday to Friday, 9 to 5.\nSaturdays 10 to 2.", ""),
        ("Do you deliver on Sundays?", "No.", ""),
        ("Can I pay by invoice?", "Yes, for companies.", ""),
        ("is there parking?", "Behind the building.", ""),
        ("Where are you?", "Rotterdam, next to the station.", ""),
        ("How do I book?", "Online at our site.", ""),
    ]


def test_multi_line_answer_runs_until_the_next_question():
    text = (
        "Q: What do I bring?\nA: Your ID.\n\n- proof of address\n- the booking code\n\n"
        "Q: Next?\nA: Yes."
    )
    [(_, answer, _), second] = pairs(text)
    assert answer == "Your ID.\n\n- proof of address\n- the booking code"
    assert second[:2] == ("Next?", "Yes.")


def test_mixed_document_keeps_intro_as_chunks_and_categories_on_entries():
    text = """Welcome to Acme support. Most answers are below; anything else, ask the chat.

# Shipping

We ship from Rotterdam on working days.

## How long does delivery take?
Two to three working days in the EU.

## How much does shipping cost?
Free over €150.

# Returns

Q: Can I return a sale item?
A: Yes, within 30 days.

**Do you refund shipping?**
Only when the item was faulty.
"""
    content = parse_custom(text)
    assert pairs(text) == [
        ("How long does delivery take?", "Two to three working days in the EU.", "Shipping"),
        ("How much does shipping cost?", "Free over €150.", "Shipping"),
        ("Can I return a sale item?", "Yes, within 30 days.", "Returns"),
        ("Do you refund shipping?", "Only when the item was faulty.", "Returns"),
    ]
    assert [(c.section, c.text) for c in content.chunks] == [
        ("", "Welcome to Acme support. Most answers are below; anything else, ask the chat."),
        ("Shipping", "We ship from Rotterdam on working days."),
    ]
    # document order is kept across both kinds
    kinds = ["qa" if e.question else "text" for e in entries_of(content)]
    assert kinds == ["text", "text", "qa", "qa", "qa", "qa"]


def test_category_is_the_nearest_heading_that_is_not_a_question():
    text = """# Acme – Frequently asked questions

Answers kept by the support team.

## How do I log in?
With your email.

## Payments

### Which cards do you take?
Visa and Mastercard.
"""
    assert pairs(text) == [
        ("How do I log in?", "With your email.", "Acme – Frequently asked questions"),
        ("Which cards do you take?", "Visa and Mastercard.", "Payments"),
    ]
    [intro] = parse_custom(text).chunks
    assert intro.section == "Acme – Frequently asked questions"


def test_question_heading_with_nothing_under_it_groups_the_next_questions():
    text = "## What can we help with?\n### Can I get a quote?\nYes, online.\n"
    assert pairs(text) == [("Can I get a quote?", "Yes, online.", "What can we help with?")]


def test_plain_prose_becomes_only_chunks_with_heading_paths():
    long_paragraph = " ".join(f"Sentence number {i} explains one more detail." for i in range(40))
    text = f"""# Installation guide

Unpack the unit and check the parts list.

## Mounting

Use the wall bracket. {long_paragraph}

## Wiring

Connect the red cable first.
"""
    content = parse_custom(text)
    assert content.qa == []
    sections = [c.section for c in content.chunks]
    assert sections[0] == "Installation guide"
    assert sections[-1] == "Installation guide > Wiring"
    mounting = [c for c in content.chunks if c.section == "Installation guide > Mounting"]
    assert len(mounting) >= 2 and all(len(c.text) <= 700 for c in mounting)
    assert "Sentence number 39" in mounting[-1].text
    assert all(e.question == "" for e in entries_of(content))


def test_links_stay_visible_and_emphasis_is_dropped():
    text = """## Where can I see prices?

See [pricing](https://acme.example/pricing) or [our plans][plans] — **annual** plans save _20%_.
Raw link: <https://acme.example/help_center/faq_page>. Mail [us](mailto:help@acme.example)
or [https://acme.example/contact](https://acme.example/contact).
![diagram](https://acme.example/img/plans.png) `code_word` stays, snake_case_name too.

[plans]: https://acme.example/plans "Plans"
"""
    [(question, answer, _)] = pairs(text)
    assert question == "Where can I see prices?"
    assert answer == (
        "See pricing (https://acme.example/pricing) or our plans (https://acme.example/plans)"
        " — annual plans save 20%.\n"
        "Raw link: https://acme.example/help_center/faq_page. Mail us (help@acme.example)\n"
        "or https://acme.example/contact.\n"
        "diagram code_word stays, snake_case_name too."
    )


def test_code_blocks_are_content_not_structure():
    text = "## How do I call the API?\n\n```\n# not a heading\nQ: not a question\n```\n"
    [(_, answer, _)] = pairs(text)
    assert answer == "# not a heading\nQ: not a question"


def test_setext_headings_are_headings():
    text = "Shipping\n========\n\nHow fast is delivery?\n---------------------\nTwo days.\n"
    assert pairs(text) == [("How fast is delivery?", "Two days.", "Shipping")]
    text = "Intro line.\n\nMore text\n---\n\nQ: Why?\nA: Because.\n\n---\n\nOutro."
    content = parse_custom(text)
    assert pairs(text) == [("Why?", "Because.", "More text")]
    assert [c.text for c in content.chunks] == ["Intro line.", "Outro."]


def test_entries_carry_question_answer_category_and_section():
    content = parse_custom("# Returns\n\nIntro.\n\n## Can I return it?\nYes.\n")
    assert list(entries_of(content)) == [
        CustomEntry(question="", answer="Intro.", category="", section="Returns"),
        CustomEntry("Can I return it?", "Yes.", category="Returns", section="Returns"),
    ]


def test_long_answers_are_kept_whole():
    answer = " ".join(["Every part of this answer matters."] * 60)
    [(_, parsed, _)] = pairs(f"## Why so long?\n{answer}\n")
    assert parsed == answer


def test_empty_text_has_nothing():
    content = parse_custom("  \n\n")
    assert content.qa == [] and content.chunks == []


@dataclass(frozen=True)
class HeadingCase:
    heading: str
    question: bool


@pytest.mark.parametrize(
    "case",
    [
        HeadingCase("How do I reset my password?", True),
        HeadingCase("Can I pay by invoice", True),
        HeadingCase("Does the warranty transfer to a new owner", True),
        HeadingCase("Where to find our offices", True),
        HeadingCase("What's included", True),
        HeadingCase("1. Is there a free trial?", True),
        HeadingCase("Why can't the Nomad 2 be delivered to my address?", True),
        HeadingCase("I have a question about my loan. Who do I contact?", True),
        HeadingCase("Shipping", False),
        HeadingCase("Pricing plans", False),
        HeadingCase("May 2026 update", False),
        HeadingCase("Will writing services", False),
        HeadingCase("**Returns**", False),
    ],
    ids=lambda c: c.heading,
)
def test_question_headings_are_recognised_generically(case: HeadingCase):
    assert is_question(case.heading) is case.question


def test_to_plain_text_keeps_paragraphs_and_lists():
    md = "> Quoted *note*\n\n* one\n* two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    assert to_plain_text(md) == "Quoted note\n\n- one\n- two\n\n| a | b |\n| 1 | 2 |"


@pytest.mark.skipif(not DEMO_FAQ.exists(), reason="demo/faq.md is not written yet")
def test_demo_faq_has_one_entry_per_question_heading():
    text = DEMO_FAQ.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if re.match(r"## .*\?\s*$", line)]
    content = parse_custom(text)
    assert len(content.qa) == len(headings) > 0
    assert [qa.question for qa in content.qa] == [h[3:].strip() for h in headings]
    assert all(qa.answer for qa in content.qa)
