"""`signpost eval run` end to end, as a process, on the test database and company B's suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

try:
    from services.turns import TurnRequest, run_turn  # noqa: F401
except ImportError as exc:  # the turn graph lands separately
    pytestmark = pytest.mark.skip(reason=f"the turn graph is not available yet: {exc}")

ROOT = Path(__file__).resolve().parents[2]
SIGNPOST = str(Path(sys.executable).parent / "signpost")
SUITE = ROOT / "tests" / "fixtures" / "company_b" / "suite.yaml"
CASES = ["b-nav-locations", "b-contact-media", "b-doc-welcome-guide"]  # suite order
TURNS = {"b-nav-locations": 1, "b-doc-welcome-guide": 2, "b-contact-media": 1}


def eval_env(db_dsn: str, data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNPOST_", "OPENAI_", "LANGSMITH_"))
    }
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=db_dsn,
        SIGNPOST_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        SIGNPOST_PUBLIC_URL="http://signpost.test",
    )
    return env


@pytest.mark.slow
def test_eval_run_builds_runs_reports_and_cleans_up(db_dsn: str, tmp_path: Path) -> None:
    report_path, html_path = tmp_path / "out" / "report.json", tmp_path / "out" / "report.html"
    only = [arg for case in reversed(CASES) for arg in ("--only", case)]
    proc = subprocess.run(
        [
            SIGNPOST,
            "eval",
            "run",
            str(SUITE),
            *only,
            "--report",
            str(report_path),
            "--html",
            str(html_path),
            "--json",
            "--concurrency",
            "2",
        ],
        cwd=tmp_path,
        env=eval_env(db_dsn, tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(report_path.read_text())
    assert json.loads(proc.stdout) == report  # --json prints the same report

    assert report["suite"] == "fernbrook-vets"
    assert report["cases"] == 3 and [r["id"] for r in report["results"]] == CASES
    assert 0 <= report["passed"] <= 3
    assert report["pass_rate"] == pytest.approx(report["passed"] / 3, abs=1e-4)
    assert set(report["metrics"]) == {
        "intent_accuracy",
        "tool_accuracy",
        "hit_at_3",
        "mrr",
        "gate_violations",
        "latency_ms_p50",
        "latency_ms_p95",
    }
    assert report["metrics"]["gate_violations"] == 0  # the gate holds whatever else fails
    assert report["metrics"]["latency_ms_p50"] > 0
    for result in report["results"]:
        assert [t["turn"] for t in result["turns"]] == list(range(TURNS[result["id"]]))
        errored = {f["turn"] for f in result["failures"] if f["key"] == "error"}
        for turn in result["turns"]:
            if turn["turn"] not in errored:  # a turn that ran has its trace in the report
                assert turn["trace_id"] and turn["trace_id"] in result["trace_ids"], result
    lead_turn = report["results"][2]["turns"][1]
    assert lead_turn["kind"] == "lead"

    run = report["run"]
    assert run["mode"] == "deterministic" and run["model"] == "deterministic"
    assert run["kb_version"] and run["prompt_versions"]
    assert run["database"] == "external" and run["kept"] is False
    assert run["git_commit"] is None or len(run["git_commit"]) >= 7
    assert {s["id"]: s["status"] for s in run["sources"]} == {
        "site": "ready",
        "team": "ready",
        "faq": "ready",
        "docs": "ready",
    }

    page = html_path.read_text()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2
    assert "src='http" not in page and 'src="http' not in page

    with psycopg.connect(db_dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM workspaces WHERE name LIKE 'eval fernbrook-vets %%'"
        ).fetchone()
    assert left == (0,), "the eval workspace is deleted after the run"


@pytest.mark.slow
def test_eval_run_aborts_naming_a_source_that_failed(db_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text("name,email\n")  # a header and no rows
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "name: broken\nbot: {name: Broken}\n"
        "sources: [{id: team, type: sheet, path: team.csv}]\n"
        "buckets: {contact: [team]}\n"
        "cases: [{id: a, turns: [{user: hi}]}]\n"
    )
    proc = subprocess.run(
        [SIGNPOST, "eval", "run", str(suite)],
        cwd=tmp_path,
        env=eval_env(db_dsn, tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 3, proc.stderr[-4000:]
    assert "source 'team' (sheet) is failed" in proc.stderr
    assert "no rows under its header" in proc.stderr  # the source's last_error
