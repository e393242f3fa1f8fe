"""Compare two eval reports: per-metric deltas, cases that flipped, and whether to gate."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

RATE_METRICS: tuple[str, ...] = ("pass_rate", "intent_accuracy", "tool_accuracy", "hit_at_3", "mrr")
"""Higher is better; gating when they drop by more than the tolerance."""
COUNT_METRICS: tuple[str, ...] = ("gate_violations",)
"""Lower is better; any increase gates."""
LATENCY_METRICS: tuple[str, ...] = ("latency_ms_p50", "latency_ms_p95")
"""Lower is better; gating only with a latency tolerance (a relative slow-down)."""

_EPS = 1e-9


@dataclass(frozen=True)
class MetricDelta:
    """One metric in both reports: the change, and whether it got worse / regressed (gates)."""

    name: str
    base: float | None
    new: float | None
    delta: float | None
    better: Literal["higher", "lower"]
    worse: bool
    regressed: bool


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing a base report with a new one."""

    base_suite: str
    new_suite: str
    deltas: list[MetricDelta]
    now_failing: list[str]
    now_passing: list[str]
    only_in_base: list[str] = field(default_factory=list)
    only_in_new: list[str] = field(default_factory=list)
    tolerance: float = 0.02
    latency_tolerance: float | None = None

    @property
    def regressions(self) -> list[MetricDelta]:
        """Return the metrics that regressed beyond their tolerance."""
        return [d for d in self.deltas if d.regressed]

    @property
    def exit_code(self) -> int:
        """Return 1 when any metric regressed beyond its tolerance, else 0."""
        return 1 if self.regressions else 0

    def as_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data."""
        data = asdict(self)
        data["regressions"] = [d.name for d in self.regressions]
        data["exit_code"] = self.exit_code
        return data


def compare_reports(
    base: dict[str, Any],
    new: dict[str, Any],
    *,
    tolerance: float = 0.02,
    latency_tolerance: float | None = None,
) -> Comparison:
    """Compare two reports.

    Rates (pass_rate, intent_accuracy, tool_accuracy, hit_at_3, mrr) regress when they
    drop by more than `tolerance` (absolute). gate_violations regresses on any
    increase. Latencies regress only when `latency_tolerance` is given and the new
    value exceeds the base by more than that fraction (0.2 = 20 % slower); otherwise a
    slower run is reported as worse but does not gate. A metric missing (or null) on
    either side is shown but never gates.
    """
    deltas = [
        _delta(name, _metric(base, name), _metric(new, name), tolerance, latency_tolerance)
        for name in (*RATE_METRICS, *COUNT_METRICS, *LATENCY_METRICS)
    ]
    base_passed = {r["id"]: bool(r["passed"]) for r in base.get("results", [])}
    new_passed = {r["id"]: bool(r["passed"]) for r in new.get("results", [])}
    common = [i for i in new_passed if i in base_passed]
    return Comparison(
        base_suite=str(base.get("suite", "")),
        new_suite=str(new.get("suite", "")),
        deltas=deltas,
        now_failing=[i for i in common if base_passed[i] and not new_passed[i]],
        now_passing=[i for i in common if not base_passed[i] and new_passed[i]],
        only_in_base=[i for i in base_passed if i not in new_passed],
        only_in_new=[i for i in new_passed if i not in base_passed],
        tolerance=tolerance,
        latency_tolerance=latency_tolerance,
    )


def _metric(report: dict[str, Any], name: str) -> float | None:
    value = report.get(name) if name == "pass_rate" else (report.get("metrics") or {}).get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _delta(
    name: str,
    base: float | None,
    new: float | None,
    tolerance: float,
    latency_tolerance: float | None,
) -> MetricDelta:
    better: Literal["higher", "lower"] = "higher" if name in RATE_METRICS else "lower"
    if base is None or new is None:
        return MetricDelta(name, base, new, None, better, worse=False, regressed=False)
    delta = round(new - base, 6)
    if name in RATE_METRICS:
        worse = delta < -_EPS
        regressed = delta < -(tolerance + _EPS)
    elif name in COUNT_METRICS:
        worse = regressed = delta > _EPS
    else:
        worse = delta > _EPS
        regressed = latency_tolerance is not None and new > base * (1 + latency_tolerance) + _EPS
    return MetricDelta(name, base, new, delta, better, worse=worse, regressed=regressed)


def print_comparison(comparison: Comparison, console: Console | None = None) -> None:
    """Print the metric deltas, the flipped cases and the verdict."""
    console = console or Console()
    if comparison.base_suite != comparison.new_suite:
        console.print(
            f"[yellow]comparing different suites: {comparison.base_suite!r} → "
            f"{comparison.new_suite!r}[/yellow]"
        )
    table = Table(title="Metrics (base → new)", title_justify="left")
    for col in ("metric", "base", "new", "delta", ""):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for d in comparison.deltas:
        digits = 0 if d.name in COUNT_METRICS else 1 if d.name in LATENCY_METRICS else 3
        mark = (
            "[red]REGRESSED[/red]"
            if d.regressed
            else "[yellow]worse[/yellow]"
            if d.worse
            else "[green]better[/green]"
            if d.delta
            else ""
        )
        delta = "—" if d.delta is None else f"{d.delta:+.{digits}f}"
        table.add_row(d.name, _num(d.base, digits), _num(d.new, digits), delta, mark)
    console.print(table)
    for label, ids, style in (
        ("now failing (pass → fail)", comparison.now_failing, "red"),
        ("now passing (fail → pass)", comparison.now_passing, "green"),
        ("only in base", comparison.only_in_base, "dim"),
        ("only in new", comparison.only_in_new, "dim"),
    ):
        if ids:
            console.print(f"[{style}]{label} ({len(ids)}):[/{style}] {', '.join(ids)}")
    if comparison.regressions:
        names = ", ".join(d.name for d in comparison.regressions)
        console.print(f"[red bold]regressed beyond tolerance: {names}[/red bold]")
    else:
        console.print("[green]no metric regressed beyond tolerance[/green]")


def _num(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
