"""Per-turn results and the suite metrics: accuracy, hit@3, MRR, gate violations, latency."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.expectations import RETRIEVAL_KEYS, TOP_K, Failure, document_urls, first_rank
from signpost.protocol import INTENTS, TurnOutput

NO_OUTPUT = "(none)"
"""Confusion-matrix label of a turn that produced no output (it raised)."""


@dataclass(frozen=True)
class TurnResult:
    """One turn as run: its expectations, output (None when it raised or was skipped), timing."""

    index: int
    expect: Mapping[str, Any]
    output: TurnOutput | None
    latency_ms: float | None
    failures: tuple[Failure, ...] = ()
    error_trace_id: str | None = None
    """The trace of a turn that raised, when the error carried one."""

    @property
    def trace_id(self) -> str | None:
        """Return the turn's trace id (from its output, or from the error it raised)."""
        return self.output.trace_id if self.output is not None else self.error_trace_id


@dataclass(frozen=True)
class CaseResult:
    """One case as run; it passes when no expectation of any turn failed."""

    id: str
    turns: tuple[TurnResult, ...]

    @property
    def passed(self) -> bool:
        """Return True when every expectation of every turn held."""
        return not any(t.failures for t in self.turns)

    @property
    def failures(self) -> list[Failure]:
        """Return the failed expectations of all turns, in turn order."""
        return [f for t in self.turns for f in t.failures]

    @property
    def trace_ids(self) -> list[str]:
        """Return the trace id of each turn that has one, in turn order."""
        return [t.trace_id for t in self.turns if t.trace_id]


@dataclass(frozen=True)
class IntentScore:
    """Precision and recall of one intent (None when undefined: nothing predicted / expected)."""

    precision: float | None
    recall: float | None
    support: int
    predicted: int


@dataclass(frozen=True)
class Metrics:
    """The suite metrics of the report, plus per-intent scores and the confusion matrix."""

    intent_accuracy: float | None
    tool_accuracy: float | None
    hit_at_3: float | None
    mrr: float | None
    gate_violations: int
    latency_ms_p50: float
    latency_ms_p95: float
    per_intent: dict[str, IntentScore] = field(default_factory=dict)
    confusion_labels: list[str] = field(default_factory=list)
    confusion_matrix: list[list[int]] = field(default_factory=list)
    gate_violation_turns: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def headline(self) -> dict[str, float | int | None]:
        """Return the seven metrics of the report's `metrics` object, in the spec's order."""
        return {
            "intent_accuracy": self.intent_accuracy,
            "tool_accuracy": self.tool_accuracy,
            "hit_at_3": self.hit_at_3,
            "mrr": self.mrr,
            "gate_violations": self.gate_violations,
            "latency_ms_p50": self.latency_ms_p50,
            "latency_ms_p95": self.latency_ms_p95,
        }


def compute_metrics(cases: Sequence[CaseResult]) -> Metrics:
    """Compute every metric over the cases' turns.

    - intent_accuracy: over turns expecting an intent; a list is met by any of its items.
    - tool_accuracy: over turns expecting a tool (`null` included).
    - hit_at_3 / mrr: over each (turn, key) with `urls_any`, `contacts_any` or
      `documents_any`; the rank is the 1-based position of the first expected item
      among that turn's ranked items (see `expectations.first_rank`); no match → 0.
    - gate_violations: turns whose output carries a document URL while the case's lead
      is not yet captured (captured from the first turn whose output says
      `lead.status == "captured"`, that turn included).
    - latency p50/p95: over every turn that ran, in ms (linear interpolation).

    A turn without output (it raised, or an earlier turn of its case did) counts as
    wrong wherever it expected something.
    """
    turns = [t for c in cases for t in c.turns]
    intent_turns = [t for t in turns if "intent" in t.expect]
    tool_turns = [t for t in turns if "tool" in t.expect]
    intent_ok = sum(_intent_correct(t) for t in intent_turns)
    tool_ok = sum(t.output is not None and t.output.tool == t.expect["tool"] for t in tool_turns)

    ranks = [
        first_rank(key, t.expect[key], t.output)
        for t in turns
        for key in RETRIEVAL_KEYS
        if key in t.expect
    ]
    hits = sum(r is not None and r <= TOP_K for r in ranks)
    reciprocal = sum(1.0 / r for r in ranks if r is not None)

    violations = gate_violations(cases)
    latencies = [t.latency_ms for t in turns if t.latency_ms is not None]
    labels, matrix, per_intent = _confusion(intent_turns)
    return Metrics(
        intent_accuracy=_rate(intent_ok, len(intent_turns)),
        tool_accuracy=_rate(tool_ok, len(tool_turns)),
        hit_at_3=_rate(hits, len(ranks)),
        mrr=_rate(reciprocal, len(ranks)),
        gate_violations=len(violations),
        latency_ms_p50=percentile(latencies, 50),
        latency_ms_p95=percentile(latencies, 95),
        per_intent=per_intent,
        confusion_labels=labels,
        confusion_matrix=matrix,
        gate_violation_turns=violations,
        counts={
            "turns": len(turns),
            "intent_turns": len(intent_turns),
            "tool_turns": len(tool_turns),
            "retrieval_checks": len(ranks),
            "timed_turns": len(latencies),
        },
    )


def gate_violations(cases: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """Return `{case, turn, urls}` for each turn showing a document URL before lead capture."""
    found = []
    for case in cases:
        captured = False
        for turn in case.turns:
            if turn.output is None:
                continue
            if turn.output.lead.status == "captured":
                captured = True
            urls = document_urls(turn.output)
            if urls and not captured:
                found.append({"case": case.id, "turn": turn.index, "urls": urls})
    return found


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0–100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    value = ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
    return round(value, 3)


def intent_label(expected: str | list[str], predicted: str | None) -> str:
    """Return the confusion-matrix row of a turn.

    A single intent is its own label. For a list, a prediction inside the list is
    labelled as itself (so a correct turn lands on the diagonal, agreeing with
    intent_accuracy); a miss is labelled with the first listed intent.
    """
    if isinstance(expected, str):
        return expected
    return predicted if predicted in expected else expected[0]  # type: ignore[return-value]


def _intent_correct(turn: TurnResult) -> bool:
    if turn.output is None:
        return False
    expected = turn.expect["intent"]
    accepted = [expected] if isinstance(expected, str) else expected
    return turn.output.intent in accepted


def _confusion(
    turns: Sequence[TurnResult],
) -> tuple[list[str], list[list[int]], dict[str, IntentScore]]:
    pairs: list[tuple[str, str]] = []
    for t in turns:
        intent = t.output.intent if t.output is not None else None
        pairs.append((intent_label(t.expect["intent"], intent), intent or NO_OUTPUT))
    present = {label for pair in pairs for label in pair}
    labels = [i for i in INTENTS if i in present] + sorted(present - set(INTENTS))
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for true, predicted in pairs:
        matrix[index[true]][index[predicted]] += 1
    per_intent = {}
    for label in labels:
        if label == NO_OUTPUT:
            continue
        i = index[label]
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted_n = sum(row[i] for row in matrix)
        per_intent[label] = IntentScore(
            precision=_rate(tp, predicted_n),
            recall=_rate(tp, support),
            support=support,
            predicted=predicted_n,
        )
    return labels, matrix, per_intent


def _rate(numerator: float, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None
