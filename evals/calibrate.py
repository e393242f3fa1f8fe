"""Fit the deterministic classifier's weights on one suite and check them on another.

The classifier is a linear score over a handful of named features (graph/classifier.py);
its ~25 weights are fitted by maximum likelihood (softmax over intents, L2-regularised)
on the turns of a training suite, then validated on a suite of a different company, so
the weights generalise instead of memorising phrasings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graph.classifier import Signals, features
from signpost.protocol import INTENTS


@dataclass(frozen=True)
class Sample:
    """One turn: the classifier's signals and the intents the suite accepts."""

    case: str
    turn: int
    message: str
    signals: dict[str, Any]
    expected: tuple[str, ...]


def signals_from(dump: dict[str, Any]) -> Signals:
    """Rebuild Signals from the dump kept in the turn state."""
    return Signals(
        exemplar=dump["exemplar"],
        knowledge=dump["knowledge"],
        words=dump["words"],
        has_contact=dump["has_contact"],
        wants_callback=dump["wants_callback"],
        greeting_kind=dump["greeting_kind"],
        lead_status=dump["lead_status"],
        pending_documents=dump["pending_documents"],
        decline=dump["decline"],
        bypass=dump["bypass"],
        followup=dump["followup"],
        previous_intent=dump["previous_intent"],
        coverage=dump["coverage"],
        evidence=dump.get("evidence", {}),
        cues=frozenset(dump.get("cues", [])),
        document_kind=dump.get("document_kind", False),
    )


async def collect(
    runtime: Any, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, suite: Any
) -> list[Sample]:
    """Run every case of the suite and record each message turn's signals."""
    from services.turns import TurnRequest

    samples: list[Sample] = []
    for case in suite.cases:
        thread_id = None
        for index, turn in enumerate(case.turns):
            request = TurnRequest(message=turn.user, lead=turn.lead, thread_id=thread_id)
            output = await runtime.turns.run(workspace_id, chatbot_id, request, "eval")
            thread_id = output.thread_id
            if turn.user is None or "intent" not in turn.expect:
                continue
            state = await runtime.turns.graph().aget_state(
                {"configurable": {"thread_id": thread_id}}
            )
            dump = (state.values.get("classification") or {}).get("signals")
            if not dump:
                continue
            expected = turn.expect["intent"]
            allowed = tuple(expected) if isinstance(expected, list) else (expected,)
            samples.append(Sample(case.id, index, turn.user, dump, allowed))
    return samples


def _design(samples: Sequence[Sample], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    index = {n: i for i, n in enumerate(names)}
    x = np.zeros((len(samples), len(INTENTS), len(names)))
    allowed = np.zeros((len(samples), len(INTENTS)), dtype=bool)
    for s, sample in enumerate(samples):
        signals = signals_from(sample.signals)
        for k, intent in enumerate(INTENTS):
            for name, value in features(signals, intent).items():
                if name in index:
                    x[s, k, index[name]] = value
            allowed[s, k] = intent in sample.expected
    return x, allowed


def fit(
    samples: Sequence[Sample],
    initial: dict[str, float],
    *,
    l2: float = 0.05,
    free: Sequence[str] | None = None,
) -> dict[str, float]:
    """Return weights maximising the likelihood of an accepted intent, L2-shrunk to `initial`.

    `free` limits which weights may move (prefix match); the others stay as given.
    """
    from scipy.optimize import minimize

    names = sorted(initial)
    movable = np.array([free is None or any(n.startswith(f) for f in free) for n in names])
    x, allowed = _design(samples, names)
    w0 = np.array([initial[n] for n in names])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        scores = x @ w  # samples × intents
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        p_ok = (p * allowed).sum(axis=1) + 1e-12
        nll = -np.log(p_ok).sum()
        # gradient of -log(sum_{allowed} p) = E_p[x] - E_{p|allowed}[x]
        expect_all = np.einsum("sk,skf->sf", p, x)
        q = p * allowed / p_ok[:, None]
        expect_ok = np.einsum("sk,skf->sf", q, x)
        grad = (expect_all - expect_ok).sum(axis=0)
        diff = w - w0
        value = float(nll + l2 * len(samples) * (diff @ diff))
        return value, np.where(movable, grad + 2 * l2 * len(samples) * diff, 0.0)

    result = minimize(loss, w0, jac=True, method="L-BFGS-B")
    return {n: round(float(v), 4) for n, v in zip(names, result.x, strict=True)}


def accuracy(samples: Sequence[Sample], weights: dict[str, float]) -> float:
    """Return the share of samples whose top-scoring intent is accepted."""
    from graph.classifier import decide

    if not samples:
        return 0.0
    right = sum(decide(signals_from(s.signals), weights).intent in s.expected for s in samples)
    return right / len(samples)


def mistakes(samples: Sequence[Sample], weights: dict[str, float]) -> list[tuple[Sample, str]]:
    """Return the samples the weights get wrong, with the intent they chose."""
    from graph.classifier import decide

    out: list[tuple[Sample, str]] = []
    for sample in samples:
        chosen = decide(signals_from(sample.signals), weights).intent
        if chosen not in sample.expected:
            out.append((sample, chosen))
    return out


def save_samples(path: Path, samples: Sequence[Sample]) -> None:
    """Write samples as JSON (to refit without re-running the suite)."""
    path.write_text(json.dumps([s.__dict__ for s in samples], indent=1))


def load_samples(path: Path) -> list[Sample]:
    """Read samples written by save_samples."""
    return [Sample(**{**d, "expected": tuple(d["expected"])}) for d in json.loads(path.read_text())]


def write_weights(path: Path, weights: dict[str, float], *, version: str, note: str) -> None:
    """Write prompts/classifier.yaml."""
    lines = [
        "# Weights of the deterministic intent classifier (graph/classifier.py: features()).",
        f"# {note}",
        f'version: "{version}"',
        "weights:",
        *(f"  {name}: {value}" for name, value in sorted(weights.items())),
    ]
    path.write_text("\n".join(lines) + "\n")
