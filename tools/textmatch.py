"""Lexical matching shared by the tools: stems, concept synonyms, best sentences for a question."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from ingestion.text import STOPWORDS

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_STEMMERS = threading.local()

# Question words and fillers that carry no topic.
QUESTION_WORDS = frozenset(
    """what whats which who whom whose where wheres when why how hows much many is are was were
    do does did can could would should will shall may might there here please pls plz thanks thank
    hi hello hey ok okay yes no yeah yep also just really actually maybe anything something
    someone somebody anyone thing things stuff like want wanted need needs needed know tell
    give get got see show find looking look u ur im i'm ive id you're youre your you we our
    us me my mine i a an the and or but if then so too very guys one ones kind sort bit lot
    lots quite roughly approx about around exactly right currently moment still again""".split()
)

# Generic concept groups: a visitor's word on the left finds a page's word on the right.
# Spec vocabulary of any product or service, not one company's terms.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "weight": ("weight", "weigh", "heavy", "heavi", "light", "mass", "kg", "lb", "lbs"),
    "size": (
        "dimens",
        "size",
        "big",
        "small",
        "larg",
        "fit",
        "width",
        "height",
        "depth",
        "length",
        "mm",
        "cm",
        "compact",
        "tall",
        "wide",
    ),
    "price": (
        "price",
        "cost",
        "expens",
        "cheap",
        "afford",
        "pay",
        "€",
        "$",
        "£",
        "eur",
        "usd",
        "fee",
        "quot",
    ),
    "warranty": ("warranti", "guarante"),
    "capacity": ("capac", "kwh", "store", "storag", "usabl"),
    "power": ("power", "output", "kw", "watt", "w"),
    "time": ("long", "durat", "hour", "day", "week", "minut", "time", "notic", "advanc"),
    "delivery": ("deliveri", "ship", "dispatch", "arriv"),
    "return": ("return", "refund", "send back", "exchang"),
    "install": ("instal", "mount", "fit", "setup"),
    "location": ("where", "locat", "address", "near", "offic", "branch", "store"),
    "contact": ("phone", "email", "mail", "call", "contact", "reach"),
}
_CONCEPT_OF: dict[str, str] = {v: k for k, vs in CONCEPTS.items() for v in vs}


def fold(text: str) -> str:
    """Lower-case and strip diacritics."""
    if text.isascii():
        return text.lower()
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch)
    )


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball English stem (what Postgres' english config uses too)."""
    # Snowball stemmers keep state while stemming: one per thread (indexes build in threads).
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def tokens(text: str) -> list[str]:
    """Return folded word tokens (numbers kept, '10' and 'c40' included)."""
    return _TOKEN.findall(fold(text))


def contains_sequence(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Return True when `phrase` occurs in `words` as adjacent items ("case", "studi")."""
    n = len(phrase)
    if n == 0:
        return False
    target = tuple(phrase)
    return any(tuple(words[i : i + n]) == target for i in range(len(words) - n + 1))


def content_stems(text: str) -> list[str]:
    """Return stems of the topic-bearing words of `text`, in order, without repeats."""
    return list(_content_stems(text))


@lru_cache(maxsize=8192)
def _content_stems(text: str) -> tuple[str, ...]:
    # Titles and passages recur on every turn: stem each text once per process.
    seen: dict[str, None] = {}
    for tok in tokens(text):
        if tok in STOPWORDS or tok in QUESTION_WORDS or (len(tok) < 2 and not tok.isdigit()):
            continue
        seen.setdefault(stem(tok), None)
    return tuple(seen)


_HOW_MUCH = re.compile(
    r"\bhow (much|expensive|pricey)\b|\bwhat (do|does|will) (it|they|that|this) (cost|run)\b"
)


def question_concepts(question: str) -> set[str]:
    """Return the concepts a question asks about ("how much is it?" asks for a price)."""
    found = concepts(content_stems(question))
    if _HOW_MUCH.search(fold(question)) and not found - {"price", "time"}:
        found.add("price")
    return found


def concepts(stems: Iterable[str]) -> set[str]:
    """Return the concept groups the stems belong to (a stem may prefix-match a group word)."""
    found: set[str] = set()
    for s in stems:
        found |= _concepts_of(s)
    return found


@lru_cache(maxsize=16384)
def _concepts_of(stem_: str) -> frozenset[str]:
    if stem_ in _CONCEPT_OF:
        return frozenset((_CONCEPT_OF[stem_],))
    return frozenset(
        concept
        for word, concept in _CONCEPT_OF.items()
        if len(word) >= 4 and (stem_.startswith(word) or word.startswith(stem_) and len(stem_) >= 4)
    )


def overlap(query_stems: Sequence[str], text_stems: Iterable[str]) -> float:
    """Return the share of query stems found in the text (prefix-tolerant for long words)."""
    if not query_stems:
        return 0.0
    pool = set(text_stems)
    prefixes: set[str] | None = None  # 5-letter prefixes of the long stems, built on demand
    hit = 0.0
    for q in query_stems:
        if q in pool:
            hit += 1
        elif len(q) >= 5:
            if prefixes is None:
                prefixes = {p[:5] for p in pool if len(p) >= 5}
            if q[:5] in prefixes:
                hit += 0.7
    return hit / len(query_stems)


_MONEY = re.compile(r"[€$£¥]\s?\d|\d\s?(?:eur|usd|gbp|chf|sek|nok|dkk|pln)\b", re.IGNORECASE)
# 07:15, 8pm, 8.30pm; not 2.40 (metres, euros).
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\b\d{1,2}(?:[.:][0-5]\d)?\s?(?:am|pm)\b", re.IGNORECASE
)
_LAST = frozenset("last latest final".split())
# A table row as ingestion writes it: "Label: value; Label: value" (or "a | b | c").
_TABLE_ROW = re.compile(r"^[^:;]{1,80}: [^;]*(?:; [^:;]{1,80}: [^;]*)+$")
_TITLES = ("Dr", "Mr", "Mrs", "Ms", "Mx", "Prof")
# A title's full stop ("Dr. Helen Marsh") does not end a sentence.
_SENTENCE = re.compile(
    "".join(rf"(?<!\b{t}\.)" for t in _TITLES) + r"(?<=[.!?])\s+(?=[A-Z0-9\"'(€$£])|\n+"
)


@dataclass(frozen=True, slots=True)
class Snippet:
    """A sentence (or table row) of a passage and how well it answers the question."""

    text: str
    score: float
    position: int


def split_units(text: str) -> list[str]:
    """Split a passage into sentences and table rows / list items."""
    units = []
    for part in _SENTENCE.split(text):
        part = part.strip(" -•\t")
        if len(part) >= 3:
            units.append(part)
    return units


def asks_for_last(question: str) -> bool:
    """Return True when the question asks for the last of a series ("the last boat back")."""
    return bool(_LAST.intersection(tokens(question)))


def best_sentences(
    question: str,
    passage: str,
    *,
    limit: int = 2,
    min_score: float = 0.15,
    subject: str = "",
    context: str = "",
) -> list[Snippet]:
    """Return the passage's sentences that best answer the question, in passage order.

    Words of `subject` (the page or product the passage belongs to) are left out of the
    question: every sentence of the Nomad page mentions the Nomad, only one gives its weight.
    `context` is the passage's section ("Sailing times › Monday to Saturday"): its words
    count at half weight for sentences that answer something themselves, so "first boat on
    a saturday" finds the Monday-to-Saturday row.
    """
    subject_stems = set(content_stems(subject))
    q_stems = [s for s in content_stems(question) if s not in subject_stems]
    q_concepts = question_concepts(question)
    if not q_stems and not q_concepts:
        return []
    context_stems = [s for s in content_stems(context) if s not in subject_stems]
    scored: list[Snippet] = []
    for position, unit in enumerate(split_units(passage)):
        u_stems = content_stems(unit)
        direct = overlap(q_stems, u_stems)
        score = direct
        u_concepts = concepts(u_stems)
        if _MONEY.search(unit):
            u_concepts.add("price")
        if _CLOCK.search(unit):
            u_concepts.add("time")
        shared = q_concepts & u_concepts
        if shared:
            score += 0.35 * len(shared)
        if shared and ("|" in unit or _TABLE_ROW.match(unit)):
            score += 0.1  # a spec-table row naming the asked attribute is a direct answer
        if context_stems and score > 0:
            # The section only breaks ties between sentences that answer something.
            score += 0.5 * (overlap(q_stems, [*u_stems, *context_stems]) - direct)
        if score >= min_score:
            scored.append(Snippet(unit, score, position))
    # Equal rows of a list or timetable: "the last one" is the last of them.
    later = -1 if asks_for_last(question) else 1
    top = sorted(scored, key=lambda s: (-s.score, later * s.position))[:limit]
    return sorted(top, key=lambda s: s.position)


_CODE = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*(?![\w-])")


def codes(text: str) -> set[str]:
    """Return identifier-like tokens (error codes, model numbers: "E-412", "C40"), dash-free."""
    return set(_codes(text))


@lru_cache(maxsize=8192)
def _codes(text: str) -> frozenset[str]:
    # Codes are precise references: a passage that contains the visitor's code is about it.
    found = set()
    for match in _CODE.finditer(fold(text)):
        token = match.group(0).replace("-", "")
        if len(token) >= 3 and not token.isdigit():
            found.add(token)
    return frozenset(found)
