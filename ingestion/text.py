"""Extractive summaries and keywords from plain text (no model, deterministic)."""

from __future__ import annotations

import math
import re
from collections import Counter

from ingestion.chunking import split_sentences

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]{1,}")
_EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves may might must
    shall us via per etc get got one two new use used using also well within without across among
    www http https com html page pages click read learn more""".split()
)


def words(text: str) -> list[str]:
    """Return lower-cased content words of `text`."""
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def keywords(text: str, k: int = 8, *, boost: str = "") -> list[str]:
    """Return up to `k` salient words/bigrams: frequent, not stop words; `boost` text counts double."""
    counts: Counter[str] = Counter()
    for source, weight in ((text, 1), (boost, 2)):
        source = _EMAIL_OR_URL.sub(" ", source)  # addresses are not topics
        tokens = words(source)
        for i, w in enumerate(tokens):
            if w in STOPWORDS or len(w) <= 2:
                continue
            counts[w] += weight
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            # only words that really stand next to each other make a phrase
            if nxt and nxt not in STOPWORDS and len(nxt) > 2:
                counts[f"{w} {nxt}"] += weight
    scored = []
    for term, count in counts.items():
        if " " in term and count < 2:
            continue
        scored.append((count * (1.5 if " " in term else 1.0), term))
    scored.sort(key=lambda x: (-x[0], x[1]))
    chosen: list[str] = []
    for _, term in scored:
        if any(term in c or c in term for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == k:
            break
    return chosen


def summarize(text: str, max_sentences: int = 2, max_chars: int = 320) -> str:
    """Return the most central sentences of `text`, in their original order."""
    sentences = [s for s in split_sentences(" ".join(text.split())) if len(s) > 20]
    if not sentences:
        return text.strip()[:max_chars]
    if len(sentences) <= max_sentences:
        return _clip(" ".join(sentences), max_chars)
    freq = Counter(w for w in words(text) if w not in STOPWORDS)

    def score(i: int, s: str) -> float:
        toks = [w for w in words(s) if w not in STOPWORDS]
        if not toks:
            return 0.0
        base = sum(math.log1p(freq[w]) for w in toks) / math.sqrt(len(toks))
        return base * (1.25 if i == 0 else 1.0)  # lead sentences usually state the point

    ranked = sorted(range(len(sentences)), key=lambda i: -score(i, sentences[i]))[:max_sentences]
    return _clip(" ".join(sentences[i] for i in sorted(ranked)), max_chars)


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars - 1)
    return text[: cut if cut > 0 else max_chars - 1].rstrip(",;: ") + "…"
