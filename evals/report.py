"""The eval report: the spec's JSON (plus run metadata), writing it, and the console summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals.metrics import NO_OUTPUT
from evals.runner import RunResult
from evals.suite import Case

REPORT_VERSION = 1


def build_report(run: RunResult) -> dict[str, Any]:
    """Return the report as the spec defines it, followed by the added fields.

    Spec fields: suite, cases, passed, pass_rate, metrics (seven keys), results
    (`{id, passed, failures: [{turn, key, expected, actual}]}`). Added: each
    result's trace_ids and per-turn summary, run metadata, per-intent precision/recall,
    the confusion matrix (rows expected, columns predicted) and the gate violations.
    """
    passed = sum(c.passed for c in run.cases)
    metrics = run.metrics
    suite_cases = {c.id: c for c in run.suite.cases}
    return {
        "suite": run.suite.name,
        "cases": len(run.cases),
        "passed": passed,
        "pass_rate": round(passed / len(run.cases), 4) if run.cases else 0.0,
        "metrics": metrics.headline(),
        "results": [
            {
                "id": case.id,
                "passed": case.passed,
                "failures": [f.as_dict() for f in case.failures],
                "trace_ids": case.trace_ids,
                "turns": [
                    {
                        "turn": t.index,
                        "kind": _turn_kind(suite_cases.get(case.id), t.index),
                        "trace_id": t.trace_id,
                        "thread_id": t.output.thread_id if t.output else None,
                        "intent": t.output.intent if t.output else None,
                        "tool": t.output.tool if t.output else None,
                        "fallback": t.output.fallback if t.output else None,
                        "lead_status": t.output.lead.status if t.output else None,
                        "latency_ms": t.latency_ms,
                        "passed": not t.failures,
                    }
                    for t in case.turns
                ],
            }
            for case in run.cases
        ],
        "report_version": REPORT_VERSION,
        "run": asdict(run.info),
        "per_intent": {k: asdict(v) for k, v in metrics.per_intent.items()},
        "confusion_matrix": {
            "labels": metrics.confusion_labels,
            "matrix": metrics.confusion_matrix,
            "rows": "expected",
            "columns": "predicted",
        },
        "gate_violation_turns": metrics.gate_violation_turns,
        "counts": metrics.counts,
    }


def _turn_kind(case: Case | None, index: int) -> str:
    if case is None or index >= len(case.turns):
        return "user"
    return "lead" if case.turns[index].lead is not None else "user"


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as indented JSON (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_report(path: Path) -> dict[str, Any]:
    """Read a report written by `write_report`; raise ValueError when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the report: {exc}") from exc
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("metrics"), dict)
        or not isinstance(data.get("results"), list)
    ):
        raise ValueError(f"{path}: not an eval report (needs 'metrics' and 'results')")
    return data


# -- console summary ----------------------------------------------------------------------------
def fmt(value: Any, digits: int = 3) -> str:
    """Format a metric for display ('—' for undefined)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_summary(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the summary: pass rate, every metric, per-intent scores, confusion matrix, failures."""
    if console is None:
        console = Console()
        if not console.is_terminal:  # a pipe or a CI log: don't squeeze tables into 80 columns
            console = Console(width=160)
    run = report.get("run", {})
    console.print(
        f"[bold]{report['suite']}[/bold]  {report['passed']}/{report['cases']} cases passed "
        f"([bold]{report['pass_rate']:.1%}[/bold])  mode {run.get('mode', '?')}"
        f" · model {run.get('model', '?')} · kb {run.get('kb_version') or '—'}"
        f" · commit {run.get('git_commit') or '—'}{'+dirty' if run.get('git_dirty') else ''}"
        f" · {fmt(run.get('duration_s'), 1)}s"
    )
    metrics = Table(title="Metrics", title_justify="left")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_row("pass_rate", fmt(report["pass_rate"]))
    for key, value in report["metrics"].items():
        digits = 1 if key.startswith("latency") else 3
        style = "red" if key == "gate_violations" and value else None
        metrics.add_row(key, fmt(value, digits), style=style)
    console.print(metrics)

    per_intent = report.get("per_intent") or {}
    if per_intent:
        table = Table(title="Per intent", title_justify="left")
        for col in ("intent", "precision", "recall", "support", "predicted"):
            table.add_column(col, justify="left" if col == "intent" else "right")
        for intent, s in per_intent.items():
            table.add_row(
                intent,
                fmt(s["precision"]),
                fmt(s["recall"]),
                str(s["support"]),
                str(s["predicted"]),
            )
        console.print(table)

    confusion = report.get("confusion_matrix") or {}
    labels = confusion.get("labels") or []
    if labels:
        table = Table(
            title="Confusion matrix (rows expected, columns predicted)", title_justify="left"
        )
        table.add_column("")
        for label in labels:
            table.add_column(label, justify="right")
        for i, (label, row) in enumerate(zip(labels, confusion["matrix"], strict=True)):
            if label == NO_OUTPUT:  # a column only: no turn expects "no output"
                continue
            cells = [
                "·" if not n else f"[green]{n}[/green]" if i == j else f"[red]{n}[/red]"
                for j, n in enumerate(row)
            ]
            table.add_row(label, *cells)
        console.print(table)

    failed = [r for r in report["results"] if not r["passed"]]
    if failed:
        table = Table(title=f"Failed cases ({len(failed)})", title_justify="left")
        for col in ("case", "turn", "key", "expected", "actual"):
            table.add_column(col, overflow="fold")
        table.add_column("trace", no_wrap=True, min_width=36)
        for result in failed:
            traces = {t["turn"]: t.get("trace_id") for t in result.get("turns", [])}
            for n, f in enumerate(result["failures"]):
                table.add_row(
                    result["id"] if n == 0 else "",
                    str(f["turn"]),
                    f["key"],
                    _short(f["expected"]),
                    _short(f["actual"]),
                    traces.get(f["turn"]) or "—",
                )
            table.add_section()
        console.print(table)
    for v in report.get("gate_violation_turns") or []:
        console.print(
            f"[red]gate violation[/red]: {v['case']} turn {v['turn']}: {', '.join(v['urls'])}"
        )


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
