"""Comparing reports: deltas with the right direction, flipped cases, exit codes that gate."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evals.compare import compare_reports
from signpost.cli import main

BASE: dict[str, Any] = {
    "suite": "s",
    "cases": 4,
    "passed": 3,
    "pass_rate": 0.75,
    "metrics": {
        "intent_accuracy": 0.9,
        "tool_accuracy": 0.8,
        "hit_at_3": 0.7,
        "mrr": 0.6,
        "gate_violations": 0,
        "latency_ms_p50": 100.0,
        "latency_ms_p95": 200.0,
    },
    "results": [
        {"id": "a", "passed": True, "failures": []},
        {"id": "b", "passed": True, "failures": []},
        {
            "id": "c",
            "passed": False,
            "failures": [{"turn": 0, "key": "intent", "expected": "x", "actual": "y"}],
        },
        {"id": "d", "passed": True, "failures": []},
    ],
}


def new_report(**changes: Any) -> dict[str, Any]:
    report = copy.deepcopy(BASE)
    for key, value in changes.items():
        if key in report["metrics"]:
            report["metrics"][key] = value
        else:
            report[key] = value
    return report


def test_identical_reports_pass() -> None:
    comparison = compare_reports(BASE, copy.deepcopy(BASE))
    assert comparison.exit_code == 0
    assert all(d.delta == 0 for d in comparison.deltas)
    assert not comparison.now_failing and not comparison.now_passing


def test_deltas_know_which_way_is_better() -> None:
    comparison = compare_reports(
        BASE,
        new_report(
            intent_accuracy=0.95,
            mrr=0.59,
            gate_violations=0,
            latency_ms_p50=90.0,
            latency_ms_p95=300.0,
        ),
    )
    by = {d.name: d for d in comparison.deltas}
    assert by["intent_accuracy"].delta == pytest.approx(0.05) and not by["intent_accuracy"].worse
    assert by["mrr"].worse and not by["mrr"].regressed  # within the 0.02 tolerance
    assert by["latency_ms_p50"].better == "lower" and not by["latency_ms_p50"].worse
    assert by["latency_ms_p95"].worse and not by["latency_ms_p95"].regressed
    assert comparison.exit_code == 0


@pytest.mark.parametrize(
    ("changes", "options", "regressed"),
    [
        ({"hit_at_3": 0.67}, {}, ["hit_at_3"]),
        ({"hit_at_3": 0.68}, {}, []),  # exactly the tolerance
        ({"hit_at_3": 0.65}, {"tolerance": 0.1}, []),
        ({"pass_rate": 0.5}, {}, ["pass_rate"]),
        ({"gate_violations": 1}, {"tolerance": 0.5}, ["gate_violations"]),
        ({"latency_ms_p95": 1000.0}, {}, []),
        ({"latency_ms_p95": 1000.0}, {"latency_tolerance": 0.2}, ["latency_ms_p95"]),
        ({"latency_ms_p95": 230.0}, {"latency_tolerance": 0.2}, []),
        ({"tool_accuracy": None}, {}, []),  # undefined on one side never gates
    ],
)
def test_a_metric_regressing_beyond_tolerance_gates(
    changes: dict[str, Any], options: dict[str, Any], regressed: list[str]
) -> None:
    comparison = compare_reports(BASE, new_report(**changes), **options)
    assert [d.name for d in comparison.regressions] == regressed
    assert comparison.exit_code == (1 if regressed else 0)


def test_flipped_cases_are_listed_both_ways() -> None:
    new = copy.deepcopy(BASE)
    new["results"][0]["passed"] = False
    new["results"][2]["passed"] = True
    new["results"] = [r for r in new["results"] if r["id"] != "d"]
    new["results"].append({"id": "e", "passed": True, "failures": []})
    comparison = compare_reports(BASE, new)
    assert comparison.now_failing == ["a"]
    assert comparison.now_passing == ["c"]
    assert comparison.only_in_base == ["d"] and comparison.only_in_new == ["e"]


def _write(tmp_path: Path, name: str, report: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return str(path)


def test_cli_compare_exit_codes(tmp_path: Path) -> None:
    base = _write(tmp_path, "base.json", BASE)
    same = _write(tmp_path, "same.json", BASE)
    worse = _write(tmp_path, "worse.json", new_report(intent_accuracy=0.8))
    leaky = _write(tmp_path, "leaky.json", new_report(gate_violations=2))
    runner = CliRunner()

    ok = runner.invoke(main, ["eval", "compare", base, same])
    assert ok.exit_code == 0, ok.output
    assert "no metric regressed" in ok.output

    bad = runner.invoke(main, ["eval", "compare", base, worse])
    assert bad.exit_code == 1
    assert "intent_accuracy" in bad.output and "REGRESSED" in bad.output

    loose = runner.invoke(main, ["eval", "compare", base, worse, "--tolerance", "0.2"])
    assert loose.exit_code == 0
    assert runner.invoke(main, ["eval", "compare", base, leaky, "--tolerance", "1"]).exit_code == 1


def test_cli_compare_json_lists_flips_and_regressions(tmp_path: Path) -> None:
    new = new_report(mrr=0.1)
    new["results"][1]["passed"] = False
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "compare",
            _write(tmp_path, "b.json", BASE),
            _write(tmp_path, "n.json", new),
            "--json",
        ],
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["regressions"] == ["mrr"] and data["now_failing"] == ["b"]


def test_cli_compare_refuses_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "compare",
            _write(tmp_path, "b.json", BASE),
            _write(tmp_path, "x.json", {"hello": 1}),
        ],
    )
    assert result.exit_code == 2
    assert "not an eval report" in result.output
