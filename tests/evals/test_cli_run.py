"""`signpost eval run` options and exit status, with the run itself replaced by a canned result."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from evals import runner
from signpost import cli
from tests.evals.test_report import SUITE, make_run


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(SUITE))
    return path


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Replace the runtime and the run; record what the CLI asked for."""
    seen: dict[str, Any] = {}

    def fake_run_with_runtime(
        settings: Any, fn: Any, dsn: Any = None, *, jobs: bool = False, turns: bool = False
    ) -> Any:
        seen["jobs"] = jobs
        return asyncio.run(fn(object()))

    async def fake_run_suite(rt: Any, suite: Any, *, options: Any, progress: Any) -> Any:
        seen["cases"] = [c.id for c in suite.cases]
        seen["options"] = options
        if seen.get("abort"):
            raise runner.EvalAborted("source 'team' (sheet) is failed: no rows")
        return make_run(tmp_path)

    monkeypatch.setattr(cli, "run_with_runtime", fake_run_with_runtime)
    monkeypatch.setattr(runner, "run_suite", fake_run_suite)
    return seen


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["eval", "run", *args])


def test_a_completed_run_exits_0_whatever_the_pass_rate(
    suite_file: Path, seen: dict[str, Any], tmp_path: Path
) -> None:
    result = invoke(
        str(suite_file), "--report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")
    )
    assert result.exit_code == 0, result.output
    assert seen["jobs"] is True and seen["cases"] == ["nav-pricing", "doc-gated"]
    assert seen["options"].concurrency == 4 and seen["options"].keep is False
    assert "0/2 cases passed" in result.output and "Failed cases" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["cases"] == 2
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_min_pass_rate_and_max_gate_violations_gate(suite_file: Path, seen: dict[str, Any]) -> None:
    below = invoke(str(suite_file), "--min-pass-rate", "0.5")
    assert below.exit_code == 1 and "below --min-pass-rate" in below.output
    assert invoke(str(suite_file), "--min-pass-rate", "0").exit_code == 0
    leaky = invoke(str(suite_file), "--max-gate-violations", "0")
    assert leaky.exit_code == 1 and "gate violation" in leaky.output
    assert invoke(str(suite_file), "--max-gate-violations", "1").exit_code == 0


def test_json_prints_only_the_report(suite_file: Path, seen: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli.main, ["eval", "run", str(suite_file), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["suite"] == "acme-smoke"


def test_only_concurrency_and_keep_are_passed_on(suite_file: Path, seen: dict[str, Any]) -> None:
    result = invoke(
        str(suite_file), "--only", "doc-gated,nav-pricing", "--concurrency", "2", "--keep"
    )
    assert result.exit_code == 0, result.output
    assert seen["cases"] == ["nav-pricing", "doc-gated"]
    assert seen["options"].concurrency == 2 and seen["options"].keep is True
    assert invoke(str(suite_file), "--only", "doc-gated").exit_code == 0
    assert seen["cases"] == ["doc-gated"]


def test_an_invalid_suite_or_unknown_case_exits_2(
    suite_file: Path, seen: dict[str, Any], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nbot: {name: X}\ncases: [{id: a, turns: [{user: hi, expect: {foo: 1}}]}]\n"
    )
    result = invoke(str(bad))
    assert result.exit_code == 2 and "unknown key 'foo'" in result.output
    unknown = invoke(str(suite_file), "--only", "nope")
    assert unknown.exit_code == 2 and "nope" in unknown.output
    assert "cases" not in seen  # nothing ran


def test_an_aborted_run_exits_3_with_the_reason(suite_file: Path, seen: dict[str, Any]) -> None:
    seen["abort"] = True
    result = invoke(str(suite_file))
    assert result.exit_code == 3
    assert "aborted: source 'team' (sheet) is failed: no rows" in result.output
