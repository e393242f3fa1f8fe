"""Suite metrics: accuracy denominators, hit@3 and MRR ranks, gate, latency, confusion."""

from __future__ import annotations

from typing import Any

import pytest

from evals.expectations import Failure, check_turn
from evals.metrics import NO_OUTPUT, CaseResult, TurnResult, compute_metrics, percentile
from signpost.protocol import TurnOutput
from tests.evals.turns import SIGNED, contacts, documents, lead_form, links, out

A, B, C, D = (f"https://acme.example/{p}/" for p in ("a", "b", "c", "d"))


def turn(
    index: int, expect: dict[str, Any], output: TurnOutput | None, latency: float | None = 100.0
) -> TurnResult:
    failures = (
        tuple(check_turn(expect, output, turn=index))
        if output is not None
        else (Failure(index, "error", "a TurnOutput", "RuntimeError: boom"),)
    )
    return TurnResult(index, expect, output, latency, failures)


def case(case_id: str, *turns: TurnResult) -> CaseResult:
    return CaseResult(case_id, tuple(turns))


def test_intent_accuracy_counts_only_turns_that_expect_an_intent() -> None:
    metrics = compute_metrics(
        [
            case("a", turn(0, {"intent": "navigation"}, out("navigation"))),
            case("b", turn(0, {"intent": ["product", "navigation"]}, out("navigation"))),
            case("c", turn(0, {"intent": "contact"}, out("support"))),
            case("d", turn(0, {}, out("support")), turn(1, {"tool": None}, out("greeting"))),
        ]
    )
    assert metrics.intent_accuracy == pytest.approx(2 / 3, abs=1e-4)
    assert metrics.tool_accuracy == 1.0
    assert metrics.counts["intent_turns"] == 3 and metrics.counts["tool_turns"] == 1


def test_tool_accuracy_treats_null_as_no_tool() -> None:
    metrics = compute_metrics(
        [
            case("a", turn(0, {"tool": None}, out("greeting"))),
            case("b", turn(0, {"tool": None}, out("navigation", tool="page_navigator"))),
            case(
                "c", turn(0, {"tool": "page_navigator"}, out("navigation", tool="page_navigator"))
            ),
            case(
                "d", turn(0, {"tool": "contact_lookup"}, out("navigation", tool="page_navigator"))
            ),
        ]
    )
    assert metrics.tool_accuracy == 0.5


def test_undefined_rates_are_null_not_zero() -> None:
    metrics = compute_metrics([case("a", turn(0, {}, out("greeting")))])
    assert metrics.intent_accuracy is None and metrics.tool_accuracy is None
    assert metrics.hit_at_3 is None and metrics.mrr is None


def test_hit_at_3_and_mrr_use_the_rank_of_the_first_expected_item() -> None:
    metrics = compute_metrics(
        [
            # rank 1
            case("a", turn(0, {"urls_any": [A]}, out(ui_blocks=[links(A, B)]))),
            # rank 2: first expected item found is C at position 2 (B at 4 does not matter)
            case("b", turn(0, {"urls_any": [B, C]}, out(ui_blocks=[links(A, C, D, B)]))),
            # rank 4: not a hit, but counts 1/4 in MRR
            case("c", turn(0, {"urls_any": [D]}, out(ui_blocks=[links(A, B, C, D)]))),
            # contacts, rank 3
            case(
                "d",
                turn(
                    0,
                    {"contacts_any": ["Lea"]},
                    out(
                        "contact",
                        ui_blocks=[contacts({"name": "X"}, {"name": "Y"}, {"name": "lea"})],
                    ),
                ),
            ),
            # documents: absent → rank 0
            case("e", turn(0, {"documents_any": ["P"]}, out("document", ui_blocks=[lead_form()]))),
        ]
    )
    assert metrics.counts["retrieval_checks"] == 5
    assert metrics.hit_at_3 == pytest.approx(3 / 5)
    assert metrics.mrr == pytest.approx((1 + 1 / 2 + 1 / 4 + 1 / 3 + 0) / 5, abs=1e-4)


def test_a_turn_without_output_counts_as_wrong_everywhere_it_expected_something() -> None:
    metrics = compute_metrics(
        [
            case(
                "a",
                turn(
                    0,
                    {"intent": "navigation", "tool": "page_navigator", "urls_any": [A]},
                    None,
                    latency=None,
                ),
            ),
            case(
                "b",
                turn(
                    0,
                    {"intent": "navigation", "tool": "page_navigator", "urls_any": [A]},
                    out("navigation", tool="page_navigator", ui_blocks=[links(A)]),
                ),
            ),
        ]
    )
    assert metrics.intent_accuracy == 0.5
    assert metrics.tool_accuracy == 0.5
    assert metrics.hit_at_3 == 0.5 and metrics.mrr == 0.5
    assert metrics.confusion_labels == ["navigation", NO_OUTPUT]
    assert metrics.confusion_matrix == [[1, 1], [0, 0]]


def _docs() -> dict[str, Any]:
    return documents(("Portfolio", SIGNED))


def _captured() -> dict[str, Any]:
    return {"status": "captured", "fields_required": []}


def test_gate_violation_is_a_document_url_before_the_lead_is_captured() -> None:
    metrics = compute_metrics(
        [
            # Released on the very turn that captures the lead: fine.
            case(
                "ok",
                turn(0, {}, out("document", ui_blocks=[lead_form()])),
                turn(1, {}, out("document", ui_blocks=[_docs()], lead=_captured())),
            ),
            # Later turns of a captured thread may carry links.
            case(
                "ok-later",
                turn(0, {}, out("lead", lead=_captured())),
                turn(1, {}, out("document", ui_blocks=[_docs()], lead=_captured())),
            ),
            # A documents block without capture.
            case("leak-block", turn(0, {}, out("document", ui_blocks=[_docs()]))),
            # A signed link in the text while the form is still shown.
            case(
                "leak-text",
                turn(
                    0,
                    {},
                    out(
                        "document",
                        text=f"here {SIGNED}",
                        ui_blocks=[lead_form()],
                        lead={"status": "requested"},
                    ),
                ),
            ),
        ]
    )
    assert metrics.gate_violations == 2
    assert [(v["case"], v["turn"]) for v in metrics.gate_violation_turns] == [
        ("leak-block", 0),
        ("leak-text", 0),
    ]


def test_capture_is_tracked_per_case() -> None:
    metrics = compute_metrics(
        [
            case("captures", turn(0, {}, out("lead", lead=_captured()))),
            case("other-thread", turn(0, {}, out("document", ui_blocks=[_docs()]))),
        ]
    )
    assert metrics.gate_violations == 1


def test_latency_percentiles_interpolate_over_timed_turns() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 101)], 95) == pytest.approx(95.05)
    metrics = compute_metrics(
        [
            case(
                "a", *(turn(i, {}, out(), latency=float(v)) for i, v in enumerate([40, 10, 30, 20]))
            ),
            case("b", turn(0, {}, None, latency=None)),
        ]
    )
    assert metrics.latency_ms_p50 == 25.0
    assert metrics.latency_ms_p95 == pytest.approx(38.5)
    assert metrics.counts["timed_turns"] == 4


def test_confusion_matrix_and_per_intent_scores() -> None:
    metrics = compute_metrics(
        [
            case("1", turn(0, {"intent": "navigation"}, out("navigation"))),
            case("2", turn(0, {"intent": "navigation"}, out("product"))),
            case("3", turn(0, {"intent": "product"}, out("product"))),
            # a list: a prediction inside it sits on the diagonal ...
            case("4", turn(0, {"intent": ["support", "product"]}, out("product"))),
            # ... a miss is labelled with the first listed intent
            case("5", turn(0, {"intent": ["support", "product"]}, out("contact"))),
            case("6", turn(0, {}, out("greeting"))),  # no intent expected: not in the matrix
        ]
    )
    labels = metrics.confusion_labels
    assert labels == ["navigation", "product", "support", "contact"]
    m = dict(zip(labels, metrics.confusion_matrix, strict=True))
    assert m["navigation"] == [1, 1, 0, 0]
    assert m["product"] == [0, 2, 0, 0]
    assert m["support"] == [0, 0, 0, 1]
    assert m["contact"] == [0, 0, 0, 0]
    nav, prod, sup, con = (metrics.per_intent[k] for k in labels)
    assert (nav.precision, nav.recall, nav.support) == (1.0, 0.5, 2)
    assert prod.precision == pytest.approx(2 / 3, abs=1e-4) and prod.recall == 1.0
    assert sup.precision is None and sup.recall == 0.0
    assert con.precision == 0.0 and con.recall is None
    # agrees with intent_accuracy
    diagonal = sum(metrics.confusion_matrix[i][i] for i in range(len(labels)))
    assert metrics.intent_accuracy == pytest.approx(diagonal / 5)


def test_case_result_passes_only_when_every_turn_passes() -> None:
    good = case("g", turn(0, {"intent": "navigation"}, out("navigation")))
    bad = case(
        "b",
        turn(0, {"intent": "navigation"}, out("navigation")),
        turn(1, {"fallback": True}, out("navigation")),
    )
    assert good.passed and not bad.passed
    assert [f.key for f in bad.failures] == ["fallback"]
    assert bad.trace_ids == ["trace-1", "trace-1"]
