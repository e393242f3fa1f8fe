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
from tools.textmatch import contains_sequence, fold, tokens

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
        labels = np.array(self.labels)
        self._rows = {intent: np.flatnonzero(labels == intent) for intent in INTENTS}
        self.greeting_words = {fold(w) for w in data.get("greeting_words", [])}
        self.thanks_words = {fold(w) for w in data.get("thanks_words", [])}
        self.bye_words = {fold(w) for w in data.get("bye_words", [])}
        self.cues: dict[str, list[list[str]]] = {
            intent: [tokens(phrase) for phrase in phrases]
            for intent, phrases in (data.get("cues") or {}).items()
        }

    def cue_intents(self, text: str) -> set[str]:
        """Return the intents whose request cues (e.g. "who", "brochure") the text contains."""
        words = tokens(text)
        return {
            intent
            for intent, phrases in self.cues.items()
            if any(contains_sequence(words, phrase) for phrase in phrases)
        }

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
        """Return intent → mean cosine similarity of its five closest exemplars."""
        sims = self.matrix @ np.asarray(vector, dtype=np.float32)
        out: dict[str, float] = {}
        for intent in INTENTS:
            values = sims[self._rows[intent]]
            if values.size == 0:
                out[intent] = 0.0
                continue
            # Five neighbours: the form of the request outvotes one topic-twin exemplar.
            k = min(5, values.size)
            out[intent] = float(np.partition(values, -k)[-k:].mean())
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
    coverage: float = 1.0
    """Share of the message's topic words found anywhere in the bot's knowledge."""
    cues: frozenset[str] = frozenset()
    """Intents whose request cues the message contains (e.g. "who" → contact)."""
    document_kind: bool = False
    """The message names a kind of document ("terms", "case study"): not a request by itself."""
    evidence: dict[str, float] = field(default_factory=dict)
    """Detailed retrieval evidence (similarities and name matches per bucket)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def knowledge_max(self) -> float:
        """Return the strongest evidence from the knowledge base."""
        return max(self.knowledge.values(), default=0.0)


_SMALL_TALK_FILLER = frozenset(
    "so very much you all ok okay the a for your help again mate guys everyone folks anyone "
    "there is are and that's thats all i needed it this was day nice have a really".split()
)


def greeting_kind(text: str, index: ExemplarIndex) -> str | None:
    """Return hello | thanks | bye when the message is small talk (mostly greeting words)."""
    words = tokens(text)
    if not words or len(words) > 10:
        return None
    vocab = index.greeting_words | index.thanks_words | index.bye_words | _SMALL_TALK_FILLER
    if sum(w in vocab for w in words) < 0.6 * len(words):
        return None
    for kind, vocabulary in (
        ("thanks", index.thanks_words),
        ("bye", index.bye_words),
        ("hello", index.greeting_words),
    ):
        if any(w in vocabulary for w in words):
            return kind
    return None


# Retrieval evidence per tool intent: (similarity feature, name-match feature). The two
# weights are shared across intents, so "the visitor named a page" counts the same as
# "the visitor named a document": the model cannot learn one bucket's quirks.
SIMILARITY_FLOOR = 0.25
EVIDENCE_PAIRS: dict[str, tuple[str, str | None]] = {
    "navigation": ("page_similarity", "page_name"),
    "product": ("product_similarity", "product_name"),
    "support": ("faq_similarity", "passage_similarity"),
    "contact": ("contact_semantic", "contact_match"),
    "document": ("document_similarity", "document_name"),
}


def features(signals: Signals, intent: str) -> dict[str, float]:
    """Return the named features of one intent for a linear score (weights from a data file)."""
    ex = signals.exemplar
    top = max(ex.values(), default=0.0)
    f: dict[str, float] = {
        "exemplar": ex.get(intent, 0.0),
        "exemplar_relative": ex.get(intent, 0.0) - top,
        f"bias:{intent}": 1.0,
    }
    if intent in TOOL_INTENTS:
        similarity, name = EVIDENCE_PAIRS[intent]
        # Below ~0.25 cosine, MiniLM similarity is noise: only what is above it is evidence.
        f["similarity"] = max(0.0, signals.evidence.get(similarity, 0.0) - SIMILARITY_FLOOR)
        if name is not None:
            f["name"] = signals.evidence.get(name, 0.0)
    elif intent == "lead":
        f["lead_contact"] = float(signals.has_contact)
        f["lead_callback"] = float(signals.wants_callback)
    elif intent == "greeting":
        f["greeting_word"] = float(signals.greeting_kind is not None)
        f["greeting_length"] = float(min(signals.words, 12))
    elif intent == "out_of_scope":
        f["oos_uncovered"] = 1.0 - signals.coverage
        f["oos_knowledge"] = signals.knowledge_max
    if intent in signals.cues:
        f["cue"] = 1.0
    elif intent == "document" and not (signals.pending_documents or signals.document_kind):
        # Visitors who want a document say so ("brochure", "pdf", "the guide", "send me");
        # "tell me about the vault 15" names a document's subject, not the document. While
        # a document waits for the form, talk about it needs no new cue.
        f["document_unasked"] = 1.0
    if signals.followup and signals.previous_intent == intent:
        f["followup_same"] = 1.0
    return f


def score(signals: Signals, weights: Mapping[str, float]) -> dict[str, float]:
    """Return intent → linear score."""
    return {
        intent: sum(
            weights.get(name, 0.0) * value for name, value in features(signals, intent).items()
        )
        for intent in INTENTS
    }


def load_weights() -> dict[str, float]:
    """Return the classifier weights shipped in prompts/classifier.yaml."""
    data = load_data("classifier.yaml")
    return {str(k): float(v) for k, v in data["weights"].items()}


def decide(signals: Signals, weights: Mapping[str, float] | None = None) -> Classification:
    """Turn signals into an intent with a confidence and a reason."""
    scores = score(signals, weights or load_weights())
    reason = ""
    named_document = signals.evidence.get("document_name", 0.0) >= 0.3
    if (
        signals.bypass
        and ((signals.lead_status == "requested" and signals.pending_documents) or named_document)
        or (signals.lead_status == "requested" and signals.pending_documents and signals.decline)
    ):
        # While a gated document is pending, attempts around the form stay document turns;
        # the gate itself is state: nothing here can release anything.
        scores["document"] = max(scores.values()) + 1.0
        reason = "document pending; message about the gate"
    intent = max(scores, key=lambda k: (scores[k], -INTENTS.index(k)))  # type: ignore[arg-type]
    ranked = sorted(scores.values(), reverse=True)
    margin = ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)
    exps = {k: math.exp(min(50.0, v - ranked[0])) for k, v in scores.items()}
    confidence = exps[intent] / sum(exps.values())
    return Classification(
        intent=intent,  # type: ignore[arg-type]
        confidence=round(confidence, 3),
        reason=reason or f"best score {ranked[0]:.2f}, margin {margin:.2f}",
        scores={k: round(v, 3) for k, v in scores.items()},
        followup=signals.followup,
        source="deterministic",
    )


UNMARKED_OFFERING_DISCOUNT = 0.05
"""How much less a page not marked as a product counts as evidence of an offering."""


def _product_pages(pages: Sequence[Mapping[str, Any]], has_products: bool) -> list[Any]:
    """Return the pages that stand for the business's offerings.

    A site whose pages are never marked as products (a ferry line's /cabins/ and
    /freight/, a clinic's top-level service pages) still sells something: there every
    page may be an offering, and the form of the request tells browsing from looking up.
    """
    return [p for p in pages if p["kind"] == "product" or not has_products]


PASSAGE_ANSWER_DISCOUNT = 0.1
"""How much less a page or document passage counts than an FAQ entry as a support answer.

Many bots have no FAQ at all: their support answers sit in site pages and documents, and
counting only FAQ entries as support evidence sent their policy questions to navigation."""


def _unmarked_offerings(pages: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    """Return the best similarity and name match of pages that may be unmarked offerings.

    Sites mark some offerings as products and leave others as plain pages (/pricing/,
    /add-ons/, a service at the top level); articles and contact pages are never offerings.
    """
    others = [p for p in pages if p["kind"] == "other"]
    return (
        max((p["similarity"] - UNMARKED_OFFERING_DISCOUNT for p in others), default=0.0),
        max((p["title_match"] - UNMARKED_OFFERING_DISCOUNT for p in others), default=0.0),
    )


def detailed_evidence(probes: Mapping[str, Any], *, has_products: bool = True) -> dict[str, float]:
    """Return the retrieval evidence features: similarity and name match per bucket."""
    pages = probes.get("pages") or []
    products = _product_pages(pages, has_products)
    unmarked_similarity, unmarked_name = _unmarked_offerings(pages)
    passages = probes.get("passages") or []
    faq = [p for p in passages if p["kind"] == "qa"]
    top_doc = _strongest(probes.get("documents") or [])
    semantic = probes.get("contact_semantic") or {}
    return {
        "page_similarity": pages[0]["similarity"] if pages else 0.0,
        "page_name": pages[0]["title_match"] if pages else 0.0,
        "product_similarity": max(
            products[0]["similarity"] if products else 0.0, unmarked_similarity
        ),
        "product_name": max(max((p["title_match"] for p in products), default=0.0), unmarked_name),
        "faq_similarity": max(
            faq[0]["similarity"] if faq else 0.0,
            passages[0]["similarity"] - PASSAGE_ANSWER_DISCOUNT if passages else 0.0,
        ),
        "passage_similarity": passages[0]["similarity"] if passages else 0.0,
        "contact_semantic": max(semantic.values(), default=0.0),
        "contact_match": float(probes.get("contact_confidence") or 0.0),
        "document_similarity": top_doc["similarity"] if top_doc else 0.0,
        "document_name": top_doc["name_match"] if top_doc else 0.0,
    }


def _strongest(documents: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Return the document with the strongest evidence (documents are listed by fit)."""
    return max(documents, key=lambda d: d["score"], default=None)


def knowledge_evidence(probes: Mapping[str, Any], *, has_products: bool = True) -> dict[str, float]:
    """Reduce the tool probes of this turn to one evidence value per tool intent."""
    pages = probes.get("pages") or []
    top_page = pages[0] if pages else None
    nav = 0.0
    product = 0.0
    if top_page:
        nav = top_page["similarity"] + 0.3 * top_page["title_match"]
        products = _product_pages(pages, has_products)
        if products:
            best = products[0]
            product = (
                best["similarity"]
                + 0.3 * best["title_match"]
                + (0.05 if top_page["kind"] == "product" else -0.05)
            )
    passages = probes.get("passages") or []
    support = passages[0]["score"] if passages else 0.0
    top_doc = _strongest(probes.get("documents") or [])
    document = 0.0
    if top_doc:
        # Naming a document ("the installation guide") is strong evidence on its own.
        named = top_doc["name_match"] >= 0.5
        document = max(top_doc["score"], 0.35 + 0.5 * top_doc["name_match"] if named else 0.0)
    contact = float(probes.get("contact_confidence") or 0.0)
    return {
        "navigation": round(min(1.0, nav), 4),
        "product": round(min(1.0, product), 4),
        "support": round(min(1.0, support), 4),
        "contact": round(min(1.0, contact), 4),
        "document": round(min(1.0, document), 4),
    }


def signals_dump(signals: Signals) -> dict[str, Any]:
    """Return the signals as plain data (kept in the state for traces and calibration)."""
    return {
        "exemplar": {k: round(v, 4) for k, v in signals.exemplar.items()},
        "knowledge": signals.knowledge,
        "words": signals.words,
        "has_contact": signals.has_contact,
        "wants_callback": signals.wants_callback,
        "greeting_kind": signals.greeting_kind,
        "lead_status": signals.lead_status,
        "pending_documents": signals.pending_documents,
        "decline": signals.decline,
        "bypass": signals.bypass,
        "followup": signals.followup,
        "previous_intent": signals.previous_intent,
        "coverage": round(signals.coverage, 3),
        "cues": sorted(signals.cues),
        "document_kind": signals.document_kind,
        "evidence": {k: round(v, 4) for k, v in signals.evidence.items()},
    }
