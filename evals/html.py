"""Render an eval report as one self-contained HTML page (inline CSS and SVG, nothing fetched)."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

from evals.metrics import NO_OUTPUT
from evals.report import fmt

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.meta{color:#5a6374;font-size:.9rem}.meta code{background:#f2f4f8;padding:0 .3em;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #dde2ea;padding:.3rem .6rem;
text-align:left;vertical-align:top}th{background:#f5f7fa}td.num{text-align:right;
font-variant-numeric:tabular-nums}.bad{color:#b42318;font-weight:600}.ok{color:#067647}
.pill{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600;
background:#ecfdf3;color:#067647}.pill.low{background:#fef3f2;color:#b42318}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font-size:12px;max-width:420px}
details{margin:.3rem 0}summary{cursor:pointer}svg text{font:11px system-ui,sans-serif}
a{color:#1849a9}
"""


def render_html(report: dict[str, Any]) -> str:
    """Return the report as a standalone HTML page.

    Sections: run metadata, the metric table, per-intent scores, a confusion-matrix
    heat map, a latency histogram and the failures, each linking its turn's trace at
    `{base_url}/ui/traces/{trace_id}`.
    """
    run = report.get("run") or {}
    rate = float(report.get("pass_rate") or 0.0)
    title = f"Eval: {report['suite']}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)} <span class='pill{'' if rate >= 0.9 else ' low'}'>"
        f"{report['passed']}/{report['cases']} passed · {rate:.1%}</span></h1>",
        _meta(run),
        "<h2>Metrics</h2>",
        _metric_table(report),
        _per_intent(report.get("per_intent") or {}),
        "<h2>Confusion matrix</h2><p class='meta'>Rows: expected intent · columns: predicted.</p>",
        confusion_svg(report.get("confusion_matrix") or {}),
        "<h2>Turn latency</h2>",
        latency_svg(_latencies(report), report["metrics"]),
        _gate(report.get("gate_violation_turns") or []),
        _failures(report, run),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html(report: dict[str, Any], path: Path) -> None:
    """Write the HTML report (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")


def _meta(run: dict[str, Any]) -> str:
    items = [
        ("mode", run.get("mode")),
        ("model", run.get("model")),
        ("embeddings", run.get("embedding_model")),
        ("kb version", run.get("kb_version")),
        ("commit", (run.get("git_commit") or "—") + ("+dirty" if run.get("git_dirty") else "")),
        ("database", run.get("database")),
        ("started", run.get("started_at")),
        ("duration", f"{fmt(run.get('duration_s'), 1)} s"),
        ("concurrency", run.get("concurrency")),
    ]
    line = " · ".join(f"{k} <code>{escape(str(v))}</code>" for k, v in items if v is not None)
    prompts = run.get("prompt_versions") or {}
    prompt_line = ", ".join(f"{escape(k)}@{escape(str(v))}" for k, v in prompts.items())
    note = (
        ""
        if run.get("kept")
        else "<br>The eval workspace was deleted after the run; rerun with <code>--keep</code> "
        "to keep its traces viewable."
    )
    return f"<p class='meta'>{line}<br>prompts: {prompt_line or '—'}{note}</p>"


def _metric_table(report: dict[str, Any]) -> str:
    rows = [("pass_rate", report.get("pass_rate"))] + list(report["metrics"].items())
    body = "".join(
        f"<tr><td>{escape(k)}</td><td class='num{' bad' if k == 'gate_violations' and v else ''}'>"
        f"{escape(fmt(v, 1 if k.startswith('latency') else 3))}</td></tr>"
        for k, v in rows
    )
    return f"<table><tr><th>metric</th><th>value</th></tr>{body}</table>"


def _per_intent(per_intent: dict[str, Any]) -> str:
    if not per_intent:
        return ""
    body = "".join(
        f"<tr><td>{escape(name)}</td><td class='num'>{fmt(s['precision'])}</td>"
        f"<td class='num'>{fmt(s['recall'])}</td><td class='num'>{s['support']}</td>"
        f"<td class='num'>{s['predicted']}</td></tr>"
        for name, s in per_intent.items()
    )
    return (
        "<h2>Per intent</h2><table><tr><th>intent</th><th>precision</th><th>recall</th>"
        f"<th>support</th><th>predicted</th></tr>{body}</table>"
    )


def confusion_svg(confusion: dict[str, Any]) -> str:
    """Return the confusion matrix as an SVG heat map (diagonal green, errors red)."""
    labels: list[str] = confusion.get("labels") or []
    matrix: list[list[int]] = confusion.get("matrix") or []
    if not labels:
        return "<p class='meta'>No turn expected an intent.</p>"
    cell, left, top, right = 46, 110, 100, 90  # right: room for the slanted last label
    rows = [i for i, label in enumerate(labels) if label != NO_OUTPUT]  # "(none)": a column only
    size = len(labels) * cell
    height = len(rows) * cell
    peak = max((n for row in matrix for n in row), default=0) or 1
    out = [
        f"<svg width='{left + size + right}' "
        f"height='{top + height + 10}' role='img' aria-label='confusion matrix'>"
    ]
    for r, i in enumerate(rows):
        y = top + r * cell + cell / 2 + 4
        out.append(f"<text x='{left - 6}' y='{y}' text-anchor='end'>{escape(labels[i])}</text>")
    for i, label in enumerate(labels):
        x = left + i * cell + cell / 2
        out.append(
            f"<text x='{x}' y='{top - 6}' transform='rotate(-40 {x} {top - 6})'>"
            f"{escape(label)}</text>"
        )
    for r, i in enumerate(rows):
        for j, n in enumerate(matrix[i]):
            alpha = 0.08 + 0.85 * (n / peak) if n else 0.0
            color = (22, 163, 74) if i == j else (220, 38, 38)
            fill = f"rgba({color[0]},{color[1]},{color[2]},{alpha:.2f})"
            x, y = left + j * cell, top + r * cell
            out.append(
                f"<rect x='{x}' y='{y}' width='{cell}' height='{cell}' fill='{fill}' "
                f"stroke='#dde2ea'><title>expected {escape(labels[i])}, predicted "
                f"{escape(labels[j])}: {n}</title></rect>"
            )
            if n:
                out.append(
                    f"<text x='{x + cell / 2}' y='{y + cell / 2 + 4}' "
                    f"text-anchor='middle'>{n}</text>"
                )
    out.append("</svg>")
    return "".join(out)


def latency_svg(latencies: list[float], metrics: dict[str, Any], bins: int = 16) -> str:
    """Return a histogram of per-turn latencies (ms) as SVG, with p50/p95 marked."""
    if not latencies:
        return "<p class='meta'>No turn was timed.</p>"
    low, high = min(latencies), max(latencies)
    span = (high - low) or 1.0
    counts = [0] * bins
    for value in latencies:
        counts[min(bins - 1, int((value - low) / span * bins))] += 1
    width, height, left, bottom, right = 640, 200, 40, 30, 40
    bar = (width - left) / bins
    peak = max(counts)
    out = [
        f"<svg width='{width + right}' height='{height + bottom}' "
        "role='img' aria-label='latency histogram'>",
        f"<line x1='{left}' y1='{height}' x2='{width}' y2='{height}' stroke='#8a94a6'/>",
        f"<text x='{left - 4}' y='12' text-anchor='end'>{peak}</text>",
        f"<text x='{left - 4}' y='{height}' text-anchor='end'>0</text>",
    ]
    for k, n in enumerate(counts):
        h = (height - 20) * n / peak
        x = left + k * bar
        lo, hi = low + span * k / bins, low + span * (k + 1) / bins
        out.append(
            f"<rect x='{x + 1:.1f}' y='{height - h:.1f}' width='{bar - 2:.1f}' height='{h:.1f}' "
            f"fill='#4f7fd9'><title>{lo:.0f}–{hi:.0f} ms: {n} turn(s)</title></rect>"
        )
    for k in (0, bins // 2, bins):
        x = left + k * bar
        out.append(
            f"<text x='{x:.1f}' y='{height + 16}' text-anchor='middle'>"
            f"{low + span * k / bins:.0f} ms</text>"
        )
    marks = (("latency_ms_p50", "#067647", 20), ("latency_ms_p95", "#b42318", 34))
    for name, color, text_y in marks:
        mark = metrics.get(name)
        if isinstance(mark, (int, float)) and not math.isnan(mark):
            value = float(mark)
            x = left + (value - low) / span * (width - left)
            label = name.removeprefix("latency_ms_")
            # Near the right edge the label goes on the line's left.
            anchor, dx = ("end", -3) if x > left + 0.75 * (width - left) else ("start", 3)
            out.append(
                f"<line x1='{x:.1f}' y1='10' x2='{x:.1f}' y2='{height}' stroke='{color}' "
                f"stroke-dasharray='4 3'/><text x='{x + dx:.1f}' y='{text_y}' fill='{color}' "
                f"text-anchor='{anchor}'>{label} {value:.0f} ms</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _latencies(report: dict[str, Any]) -> list[float]:
    return [
        float(t["latency_ms"])
        for r in report["results"]
        for t in r.get("turns", [])
        if t.get("latency_ms") is not None
    ]


def _gate(violations: list[dict[str, Any]]) -> str:
    if not violations:
        return ""
    items = "".join(
        f"<li>{escape(v['case'])} turn {v['turn']}: {escape(', '.join(v['urls']))}</li>"
        for v in violations
    )
    return f"<h2 class='bad'>Gate violations ({len(violations)})</h2><ul>{items}</ul>"


def _failures(report: dict[str, Any], run: dict[str, Any]) -> str:
    failed = [r for r in report["results"] if not r["passed"]]
    if not failed:
        return "<h2>Failures</h2><p class='ok'>Every case passed.</p>"
    base = str(run.get("base_url") or "").rstrip("/")
    rows = []
    for result in failed:
        traces = {t["turn"]: t.get("trace_id") for t in result.get("turns", [])}
        for f in result["failures"]:
            trace = traces.get(f["turn"])
            link = (
                f"<a href='{escape(f'{base}/ui/traces/{trace}', quote=True)}'>{escape(trace)}</a>"
                if trace
                else "—"
            )
            rows.append(
                f"<tr><td>{escape(result['id'])}</td><td class='num'>{f['turn']}</td>"
                f"<td>{escape(f['key'])}</td><td><pre>{_json(f['expected'])}</pre></td>"
                f"<td><pre>{_json(f['actual'])}</pre></td><td>{link}</td></tr>"
            )
    return (
        f"<h2>Failures ({len(failed)} case(s))</h2><table><tr><th>case</th><th>turn</th>"
        "<th>key</th><th>expected</th><th>actual</th><th>trace</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=1, ensure_ascii=False)
    return escape(text)
