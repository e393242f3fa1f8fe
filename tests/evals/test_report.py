"""The JSON report has exactly the spec's shape (plus added fields); the HTML is self-contained."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from rich.console import Console

from evals.expectations import check_turn
from evals.html import render_html, write_html
from evals.metrics import CaseResult, TurnResult, compute_metrics
from evals.report import build_report, load_report, print_summary, write_report
from evals.runner import RunInfo, RunResult
from evals.suite import parse_suite
from tests.evals.turns import SIGNED, documents, lead_form, links, out

SUITE = {
    "name": "acme-smoke",
    "bot": {"name": "Acme Assistant"},
    "cases": [
        {
            "id": "nav-pricing",
            "turns": [
                {
                    "user": "How much is Pro?",
                    "expect": {
                        "intent": "navigation",
                        "urls_any": ["https://acme.example/pricing/"],
                    },
                }
            ],
        },
        {
            "id": "doc-gated",
            "turns": [
                {"user": "Portfolio?", "expect": {"intent": "document", "gated": True}},
                {
                    "lead": {"name": "Dana", "email": "dana@example.org"},
                    "expect": {"documents_any": ["Portfolio 2026"], "gated": False},
                },
            ],
        },
    ],
}
BASE_URL = "http://signpost.local:8000"


def make_run(tmp_path: Path) -> RunResult:
    suite = parse_suite(SUITE, path=tmp_path / "suite.yaml")
    outputs = {
        "nav-pricing": [
            out("product", trace_id="t-nav", ui_blocks=[links("https://acme.example/pricing/")])
        ],
        "doc-gated": [
            out(
                "document",
                trace_id="t-doc-0",
                ui_blocks=[lead_form()],
                text=f"<script>alert(1)</script> {SIGNED}",
            ),
            out(
                "document",
                trace_id="t-doc-1",
                ui_blocks=[documents(("Portfolio 2026", SIGNED))],
                lead={"status": "captured", "fields_required": []},
            ),
        ],
    }
    cases = []
    for case in suite.cases:
        turns = tuple(
            TurnResult(i, t.expect, o, 100.0 + 50 * i, tuple(check_turn(t.expect, o, turn=i)))
            for i, (t, o) in enumerate(zip(case.turns, outputs[case.id], strict=True))
        )
        cases.append(CaseResult(case.id, turns))
    info = RunInfo(
        mode="deterministic",
        model="deterministic",
        embedding_model="all-MiniLM-L6-v2",
        prompt_versions={"classify.md": "3"},
        git_commit="abc1234",
        git_dirty=False,
        database="embedded",
        base_url=BASE_URL,
        concurrency=4,
        started_at="2026-01-01T00:00:00+00:00",
        kb_version="kb123",
        duration_s=1.5,
    )
    return RunResult(suite=suite, cases=cases, metrics=compute_metrics(cases), info=info)


def test_json_report_has_exactly_the_spec_shape(tmp_path: Path) -> None:
    report = build_report(make_run(tmp_path))
    assert list(report)[:6] == ["suite", "cases", "passed", "pass_rate", "metrics", "results"]
    assert report["suite"] == "acme-smoke"
    assert (report["cases"], report["passed"], report["pass_rate"]) == (2, 0, 0.0)
    assert list(report["metrics"]) == [
        "intent_accuracy",
        "tool_accuracy",
        "hit_at_3",
        "mrr",
        "gate_violations",
        "latency_ms_p50",
        "latency_ms_p95",
    ]
    assert report["metrics"]["intent_accuracy"] == 0.5
    assert report["metrics"]["tool_accuracy"] is None
    assert report["metrics"]["hit_at_3"] == 1.0 and report["metrics"]["mrr"] == 1.0
    assert report["metrics"]["gate_violations"] == 1
    assert report["metrics"]["latency_ms_p50"] == 100.0

    nav, doc = report["results"]
    assert nav["id"] == "nav-pricing" and nav["passed"] is False
    assert nav["failures"] == [
        {"turn": 0, "key": "intent", "expected": "navigation", "actual": "product"}
    ]
    assert nav["trace_ids"] == ["t-nav"]
    assert doc["trace_ids"] == ["t-doc-0", "t-doc-1"]
    assert [f["key"] for f in doc["failures"]] == ["gated"]
    for result in report["results"]:
        assert {"id", "passed", "failures", "trace_ids"} <= set(result)
        for failure in result["failures"]:
            assert set(failure) == {"turn", "key", "expected", "actual"}
    assert [t["kind"] for t in doc["turns"]] == ["user", "lead"]


def test_json_report_records_the_run_and_the_added_metrics(tmp_path: Path) -> None:
    report = build_report(make_run(tmp_path))
    run = report["run"]
    for key in (
        "mode",
        "model",
        "prompt_versions",
        "kb_version",
        "git_commit",
        "started_at",
        "duration_s",
    ):
        assert key in run
    assert run["mode"] == "deterministic" and run["kb_version"] == "kb123"
    assert report["per_intent"]["document"]["recall"] == 1.0
    assert report["confusion_matrix"]["labels"] == ["navigation", "product", "document"]
    assert report["gate_violation_turns"] == [{"case": "doc-gated", "turn": 0, "urls": [SIGNED]}]


def test_json_report_round_trips_through_a_file(tmp_path: Path) -> None:
    report = build_report(make_run(tmp_path))
    path = tmp_path / "out" / "report.json"
    write_report(report, path)
    assert load_report(path) == json.loads(json.dumps(report))
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="not an eval report"):
        load_report(tmp_path / "x.json")


def test_html_report_is_self_contained_and_links_failures_to_their_traces(tmp_path: Path) -> None:
    report = build_report(make_run(tmp_path))
    path = tmp_path / "r.html"
    write_html(report, path)
    page = path.read_text()
    assert "<script" not in page.replace("&lt;script&gt;", "")  # the visitor text is escaped
    assert "<link" not in page and "@import" not in page and "url(" not in page
    for attr, value in re.findall(r"""\b(src|href)\s*=\s*['"]([^'"]*)['"]""", page):
        parsed = urlparse(value)
        if parsed.scheme in ("http", "https"):
            assert attr == "href" and f"{parsed.scheme}://{parsed.netloc}" == BASE_URL, value
    assert f"href='{BASE_URL}/ui/traces/t-nav'" in page
    assert f"href='{BASE_URL}/ui/traces/t-doc-0'" in page
    assert page.count("<svg") == 2  # confusion heat map and latency histogram
    assert "aria-label='confusion matrix'" in page and "aria-label='latency histogram'" in page
    assert "Gate violations (1)" in page


def test_html_report_without_base_url_uses_relative_trace_links(tmp_path: Path) -> None:
    report = build_report(make_run(tmp_path))
    report["run"]["base_url"] = ""
    assert "href='/ui/traces/t-nav'" in render_html(report)


def test_summary_shows_metrics_confusion_and_failed_cases(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    print_summary(build_report(make_run(tmp_path)), console)
    text = console.export_text()
    for fragment in (
        "acme-smoke",
        "0/2 cases passed",
        "intent_accuracy",
        "gate_violations",
        "latency_ms_p95",
        "Per intent",
        "Confusion matrix",
        "Failed cases (2)",
        "nav-pricing",
        "t-nav",
        "gate violation",
    ):
        assert fragment in text, fragment
