"""Loading suites: project suites load, paths resolve from the suite file, errors name the spot."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evals.suite import SuiteError, load_suite

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
name: tiny
bot: {name: Tiny Bot, lead_fields: [name, email]}
sources:
  - {id: site, type: website, path: site/, base_url: "https://tiny.example/"}
  - {id: faq, type: custom, path: faq.md}
buckets:
  guidance: [site]
  support: [faq]
cases:
"""


def write_suite(tmp_path: Path, cases: str, head: str = BASE) -> Path:
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "index.html").write_text("<html><title>Home</title></html>")
    (tmp_path / "faq.md").write_text("Q: hours?\nA: 9-5\n")
    path = tmp_path / "suite.yaml"
    path.write_text(head + textwrap.indent(textwrap.dedent(cases), "  "))
    return path


def error_of(tmp_path: Path, cases: str, head: str = BASE) -> str:
    with pytest.raises(SuiteError) as info:
        load_suite(write_suite(tmp_path, cases, head))
    return str(info.value)


@pytest.mark.parametrize("path", ["evals/suites/demo.yaml", "tests/fixtures/company_b/suite.yaml"])
def test_the_project_suites_load(path: str) -> None:
    suite = load_suite(ROOT / path)
    assert suite.cases and all(c.turns for c in suite.cases)
    assert suite.base_dir == (ROOT / path).parent
    for src in suite.spec.sources:
        assert (suite.base_dir / src.path).exists()


def test_turns_expectations_and_leads_are_parsed(tmp_path: Path) -> None:
    suite = load_suite(
        write_suite(
            tmp_path,
            """\
        - id: doc
          turns:
            - user: "portfolio?"
              expect: {intent: [document, lead], tool: document_referral, gated: true}
            - lead: {name: Dana, email: dana@example.org, phone: 5035550199}
              expect: {documents_any: [Portfolio], tool: null}
            - user: thanks
    """,
        )
    )
    [case] = suite.cases
    first, lead, last = case.turns
    assert first.user == "portfolio?" and first.lead is None
    assert first.expect == {
        "intent": ["document", "lead"],
        "tool": "document_referral",
        "gated": True,
    }
    assert lead.lead == {"name": "Dana", "email": "dana@example.org", "phone": "5035550199"}
    assert lead.expect == {"documents_any": ["Portfolio"], "tool": None}
    assert "tool" in lead.expect  # `tool: null` is an expectation, not a missing key
    assert last.expect == {}


def test_paths_are_relative_to_the_suite_file_not_the_working_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_suite(tmp_path, "- id: a\n  turns: [{user: hi}]\n")
    monkeypatch.chdir(ROOT)
    assert load_suite(path).base_dir == tmp_path.resolve()


@pytest.mark.parametrize(
    ("cases", "fragments"),
    [
        (
            "- id: a\n  turns: [{user: hi, expect: {urls_anyy: [x]}}]\n",
            ["cases[0]", "'a'", "turns[0]", "urls_anyy"],
        ),
        (
            "- id: a\n  turns: [{user: hi}]\n- id: b\n"
            "  turns: [{user: hi}, {user: x, expect: {intent: navigaton}}]\n",
            ["cases[1]", "'b'", "turns[1]", "intent", "navigaton"],
        ),
        (
            "- id: a\n  turns: [{user: hi, expect: {tool: search}}]\n",
            ["turns[0]", "tool", "search"],
        ),
        ("- id: a\n  turns: [{user: hi, expect: {gated: 'yes'}}]\n", ["turns[0]", "gated"]),
        ("- id: a\n  turns: [{user: hi, expect: {fallback: 1}}]\n", ["fallback"]),
        (
            "- id: a\n  turns: [{user: hi, expect: {ui_blocks_any: [buttons]}}]\n",
            ["ui_blocks_any", "buttons"],
        ),
        (
            "- id: a\n  turns: [{user: hi, expect: {text_contains_any: []}}]\n",
            ["text_contains_any", "non-empty"],
        ),
        ("- id: a\n  turns: [{user: hi, expect: {not_contains: [1, 2]}}]\n", ["not_contains"]),
        ("- id: a\n  turns: [{user: hi, lead: {name: x}}]\n", ["turns[0]", "exactly one"]),
        ("- id: a\n  turns: [{expect: {intent: greeting}}]\n", ["turns[0]", "exactly one"]),
        ("- id: a\n  turns: [{user: ''}]\n", ["turns[0]", "user"]),
        ("- id: a\n  turns: [{lead: {}}]\n", ["turns[0]", "lead"]),
        ("- id: a\n  turns: [{user: hi, expect: [intent]}]\n", ["turns[0]", "expect"]),
        ("- id: a\n  turns: [{user: hi, says: x}]\n", ["turns[0]", "says"]),
        ("- id: a\n  turns: []\n", ["'a'", "turns"]),
        (
            "- id: a\n  turns: [{user: hi}]\n- id: a\n  turns: [{user: hi}]\n",
            ["cases[1]", "duplicate", "'a'"],
        ),
        ("- turns: [{user: hi}]\n", ["cases[0]", "id"]),
        ("- id: a\n  tags: [x]\n  turns: [{user: hi}]\n", ["'a'", "tags"]),
    ],
)
def test_a_malformed_case_is_refused_naming_case_turn_and_key(
    tmp_path: Path, cases: str, fragments: list[str]
) -> None:
    message = error_of(tmp_path, cases)
    assert str(tmp_path / "suite.yaml") in message
    for fragment in fragments:
        assert fragment in message, message


CASE = "- id: a\n  turns: [{user: hi}]\n"


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ("path: faq.md", "path: missing.md", ["sources[1]", "'faq'", "missing.md"]),
        (', base_url: "https://tiny.example/"', "", ["'site'", "base_url"]),
        ("type: custom", "type: pdf", ["'faq'", "pdf"]),
        ("support: [faq]", "support: [faq, team]", ["buckets.support", "'team'"]),
        ("support: [faq]", "doc_referral: [faq]", ["buckets.doc_referral", "'faq'", "document"]),
        ("support: [faq]", "sales: [faq]", ["buckets.sales"]),
        ("bot: {name: Tiny Bot, lead_fields: [name, email]}", "bot: {greeting: hi}", ["bot.name"]),
        ("name: tiny\n", "", ["'name'"]),
    ],
)
def test_a_malformed_bot_or_source_is_refused_naming_it(
    tmp_path: Path, old: str, new: str, fragments: list[str]
) -> None:
    assert old in BASE
    message = error_of(tmp_path, CASE, BASE.replace(old, new))
    for fragment in fragments:
        assert fragment in message, message


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(SuiteError, match="bad.yaml: not valid YAML"):
        load_suite(path)


def test_a_missing_file_is_a_suite_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no such suite file"):
        load_suite(tmp_path / "nope.yaml")


def test_only_selects_cases_in_suite_order_and_refuses_unknown_ids(tmp_path: Path) -> None:
    suite = load_suite(
        write_suite(
            tmp_path, CASE + "- id: b\n  turns: [{user: x}]\n- id: c\n  turns: [{user: y}]\n"
        )
    )
    assert [c.id for c in suite.select(["c", "a"]).cases] == ["a", "c"]
    assert suite.select([]) is suite
    with pytest.raises(SuiteError, match="unknown case id.*: zz"):
        suite.select(["a", "zz"])
