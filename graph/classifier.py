"""Deterministic intent classifier: exemplar similarity + the bot's own knowledge + lead signals.

No keyword lists decide an intent. Each intent gets a score from (a) how close the
message is to generic exemplars shipped in prompts/intents.yaml, embedded once per
process, and (b) how strongly this bot's knowledge answers it (retrieval confidence
per bucket: pages, product pages, support passages, contacts, documents). Validated
email/phone detection marks leads. When nothing in the knowledge base answers and the
message is not small talk, the turn is out of scope.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.state import Classification
from prompts import load_data
from signpost.protocol import INTENTS
from tools.textmatch import fold, tokens

TOOL_INTENTS = ("navigation", "product", "support", "contact", "document")


class ExemplarIndex:
    """Intent exemplars embedded once per embedder (per process)."""

    _cache: dict[int, ExemplarIndex] = {}
    _lock = threading.Lock()

    def __init__(self, embeddings: Any) -> None:
        data = load_data("intents.yaml")
        self.version = str(data["version"])
        self.labels: list[str] = []
        texts: list[str] = []
        for intent, examples in data["intents"].items():
            for example in examples:
                self.labels.append(intent)
                texts.append(example)
        self.matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
        self.greeting_words = {fold(w) for w in data.get("greeting_words", [])}
        self.thanks_words = {fold(w) for w in data.get("thanks_words", [])}
        self.bye_words = {fold(w) for w in data.get("bye_words", [])}

    @classmethod
    def for_embeddings(cls, embeddings: Any) -> ExemplarIndex:
        """Return the (cached) index for this embedder."""
        key = id(embeddings)
        index = cls._cache.get(key)
        if index is None:
            with cls._lock:
                index = cls._cache.get(key)
                if index is None:
                    index = cls(embeddings)
                    cls._cache[key] = index
        return index

    @classmethod
    async def aget(cls, embeddings: Any) -> ExemplarIndex:
        """Return the index, building it off the event loop the first time."""
        index = cls._cache.get(id(embeddings))
        if index is not None:
            return index
        return await asyncio.to_thread(cls.for_embeddings, embeddings)

    def scores(self, vector: Sequence[float]) -> dict[str, float]:
        """Return intent → mean of the two closest exemplars' cosine similarity."""
        sims = self.matrix @ np.asarray(vector, dtype=np.float32)
        out: dict[str, float] = {}
        for intent in INTENTS:
            values = sorted((float(s) for s, lab in zip(sims, self.labels, strict=True)
                             if lab == intent), reverse=True)
            top = values[:2] or [0.0]
            out[intent] = sum(top) / len(top)
        return out


@dataclass
class Signals:
    """Everything the decision looks at, kept for traces."""

    exemplar: dict[str, float]
    knowledge: dict[str, float]
    """navigation | product | support | contact | document → evidence 0..1 from this bot's data."""
    words: int
    has_contact: bool = False
    wants_callback: bool = False
    greeting_kind: str | None = None
    lead_status: str = "none"
    pending_documents: bool = False
    decline: bool = False
    bypass: bool = False
    followup: bool = False
    previous_intent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def knowledge_max(self) -> float:
        """Return the strongest evidence from the knowledge base."""
        return max(self.knowledge.values(), default=0.0)


def greeting_kind(text: str, index: ExemplarIndex) -> str | None:
    """Return hello | thanks | bye when the message is small talk made of greeting words."""
    words = [w for w in tokens(text) if w not in {"and", "so", "very", "much", "all", "ok", "okay"}]
    if not words or len(words) > 8:
        return None
    for kind, vocabulary in (
        ("thanks", index.thanks_words), ("bye", index.bye_words), ("hello", index.greeting_words)
    ):
        if any(w in vocabulary for w in words):
            return kind
    return None


def decide(signals: Signals) -> Classification:
    """Turn signals into an intent with a confidence and a reason."""
    ex, kb = signals.exemplar, signals.knowledge
    kb_max = signals.knowledge_max
    scores: dict[str, float] = {
        intent: ex.get(intent, 0.0) + 0.9 * kb.get(intent, 0.0) for intent in TOOL_INTENTS
    }
    scores["lead"] = ex.get("lead", 0.0) + (0.7 if signals.has_contact else 0.0) + (
        0.25 if signals.wants_callback else 0.0
    )
    scores["greeting"] = ex.get("greeting", 0.0) + (0.45 if signals.greeting_kind else -0.1) - (
        0.04 * max(0, signals.words - 3)
    )
    scores["out_of_scope"] = ex.get("out_of_scope", 0.0) + 1.2 * (0.42 - kb_max)

    if signals.followup and signals.previous_intent in scores:
        scores[signals.previous_intent] += 0.08
    reason = ""
    if signals.lead_status == "requested" and signals.pending_documents and (
        signals.bypass or signals.decline
    ):
        # While a gated document is pending, attempts around the form stay document turns;
        # the gate itself is state: nothing here can release anything.
        scores["document"] = max(scores.values()) + 0.5
        reason = "document pending; message about the gate"
    intent = max(scores, key=lambda k: (scores[k], -INTENTS.index(k)))  # type: ignore[arg-type]
    if intent in TOOL_INTENTS and kb.get(intent, 0.0) < 0.3 and kb_max < 0.38 and not reason:
        intent, reason = "out_of_scope", "nothing in the knowledge base answers this"
    ranked = sorted(scores.values(), reverse=True)
    margin = ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)
    confidence = 1 / (1 + math.exp(-12 * margin)) if intent != "out_of_scope" else max(
        0.5, 1 - kb_max
    )
    return Classification(
        intent=intent,  # type: ignore[arg-type]
        confidence=round(min(1.0, confidence), 3),
        reason=reason or f"best score {ranked[0]:.2f}, margin {margin:.2f}",
        scores={k: round(v, 3) for k, v in scores.items()},
        followup=signals.followup,
        source="deterministic",
    )


def knowledge_evidence(probes: Mapping[str, Any]) -> dict[str, float]:
    """Reduce the tool probes of this turn to one evidence value per tool intent."""
    pages = probes.get("pages") or []
    top_page = pages[0] if pages else None
    nav = 0.0
    product = 0.0
    if top_page:
        nav = top_page["similarity"] + 0.3 * top_page["title_match"]
        products = [p for p in pages[:3] if p["kind"] == "product"]
        if products:
            best = products[0]
            product = best["similarity"] + 0.3 * best["title_match"] + (
                0.05 if top_page["kind"] == "product" else -0.05
            )
    passages = probes.get("passages") or []
    support = passages[0]["score"] if passages else 0.0
    documents = probes.get("documents") or []
    document = documents[0]["score"] if documents else 0.0
    contact = float(probes.get("contact_confidence") or 0.0)
    return {
        "navigation": round(min(1.0, nav), 4),
        "product": round(min(1.0, product), 4),
        "support": round(min(1.0, support), 4),
        "contact": round(min(1.0, contact), 4),
        "document": round(min(1.0, document), 4),
    }
