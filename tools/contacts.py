"""Rank a chatbot's contacts for a visitor's message: names, role concepts, places, languages."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ingestion.sheets import field_score
from ingestion.text import STOPWORDS
from tools import geo
from tools.geo import fold
from tools.textmatch import contains_sequence

CONCEPTS_FILE = Path(__file__).parent / "data" / "role_concepts.yaml"

# Evidence weights per aspect of the message; a contact's score is the weighted share of the
# aspects the message has (names, topic, place, language, …) that the contact matches.
ASPECT_WEIGHTS: dict[str, float] = {
    "name": 3.0,
    "channel": 3.0,
    "topic": 1.0,
    "geo": 0.7,
    "semantic": 0.6,
}
LANGUAGE_WEIGHTS: dict[str, float] = {"explicit": 1.2, "mentioned": 0.5, "written": 0.3}
# How much a match in each kind of cell counts for the topic and for the place.
TOPIC_FIELD_WEIGHTS: dict[str, float] = {
    "role": 1.0,
    "department": 0.9,
    "notes": 0.85,
    "email": 0.7,
    "region": 0.5,
    "place": 0.5,
}
GEO_FIELD_WEIGHTS: dict[str, float] = {
    "region": 1.0,
    "place": 0.9,
    "role": 0.9,
    "department": 0.9,
    "notes": 0.8,
}
_MIN_SCORE = 0.02
_OFF_TITLE = 0.7
"""Weight of a concept found only in notes when the role or team names other concepts."""
_MISMATCH = 0.35
"""Below this place coverage a contact's region is somewhere else, not just wider."""
_OTHER_TERRITORY = 0.6
"""Score factor for a contact whose region covers somewhere other than the place asked about."""
_TOKEN = re.compile(r"[^\W_]+")
_EMAIL = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[a-z]{2,}", re.I)
_MAILBOX = re.compile(r"\b([a-z][\w.+-]*)@", re.I)
_PHONE = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")
_STEMMERS = threading.local()
_NON_TEXT_HEADS = frozenset(
    {
        "id",
        "code",
        "no",
        "nr",
        "number",
        "num",
        "ref",
        "reference",
        "date",
        "since",
        "url",
        "link",
        "website",
        "photo",
        "image",
        "picture",
        "avatar",
        "linkedin",
        "twitter",
        "calendly",
    }
)


# -- public records ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContactCandidate:
    """One sheet row as the contact tool sees it: recognised fields plus every column."""

    id: str
    name: str | None
    role: str | None
    department: str | None
    region: str | None
    email: str | None
    phone: str | None
    languages: list[str]
    fields: dict[str, str]


@dataclass(frozen=True)
class ContactMatch:
    """A ranked contact: score 0..1 and what matched, field → explanation."""

    contact: ContactCandidate
    score: float
    matched: dict[str, str]


# -- vocabulary ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Term:
    concept: str
    words: tuple[str, ...]
    """Stems of the term's words."""
    weight: float
    ask_only: bool
    together: bool
    """True for "a+b" terms: all words anywhere, not next to each other."""
    text: str


@dataclass
class _Vocabulary:
    concept_weight: dict[str, float] = field(default_factory=dict)
    fallback: set[str] = field(default_factory=set)
    by_surface: dict[str, list[_Term]] = field(default_factory=dict)
    by_stem: dict[str, list[_Term]] = field(default_factory=dict)
    phrases: dict[str, list[_Term]] = field(default_factory=dict)
    """Multi-word terms by their first stem."""
    together: list[_Term] = field(default_factory=list)
    surfaces: list[str] = field(default_factory=list)
    strong_cues: dict[tuple[str, ...], float] = field(default_factory=dict)
    weak_cues: dict[tuple[str, ...], float] = field(default_factory=dict)
    generic: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    particles: frozenset[str] = frozenset()
    common_names: frozenset[str] = frozenset()
    concept_words: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball English stem of a folded word."""
    # Snowball stemmers keep state while stemming: one per thread (the index builds in one).
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Return the folded word tokens of `text` (accents stripped, ł → l)."""
    return _TOKEN.findall(fold(text))


def _split_weight(entry: str) -> tuple[str, float]:
    text, _, weight = str(entry).partition("=")
    return text.strip(), float(weight) if weight else 1.0


def _term(concept: str, entry: str, ask_only: bool) -> _Term | None:
    text, weight = _split_weight(entry)
    together = "+" in text
    tokens = [w for part in text.split("+") for w in words(part)]
    if not tokens:
        return None
    return _Term(concept, tuple(stem(w) for w in tokens), weight, ask_only, together, text)


def _add_term(vocab: _Vocabulary, term: _Term) -> None:
    if term.together:
        vocab.together.append(term)
    elif len(term.words) > 1:
        vocab.phrases.setdefault(term.words[0], []).append(term)
    else:
        surface = words(term.text)[0]
        vocab.by_surface.setdefault(surface, []).append(term)
        vocab.by_stem.setdefault(term.words[0], []).append(term)


def _cues(entries: Iterable[str], default: float) -> dict[tuple[str, ...], float]:
    cues: dict[tuple[str, ...], float] = {}
    for entry in entries:
        text, weight = _split_weight(entry)
        cues[tuple(words(text))] = weight * default
    return cues


@lru_cache(maxsize=1)
def vocabulary() -> _Vocabulary:
    """Load the role concepts, cue words and name rules from the data file (once)."""
    data: dict[str, Any] = yaml.safe_load(CONCEPTS_FILE.read_text(encoding="utf-8"))
    vocab = _Vocabulary()
    for key, spec in data["concepts"].items():
        vocab.concept_weight[key] = float(spec.get("weight", 1.0))
        if spec.get("fallback"):
            vocab.fallback.add(key)
        for entries, ask_only in ((spec.get("terms", []), False), (spec.get("ask", []), True)):
            for entry in entries:
                if (term := _term(key, entry, ask_only)) is not None:
                    _add_term(vocab, term)
    vocab.surfaces = sorted(s for s in vocab.by_surface if len(s) >= 5)
    vocab.strong_cues = _cues(data["contact_cues"]["strong"], 1.0)
    vocab.weak_cues = _cues(data["contact_cues"]["weak"], 0.4)
    vocab.generic = frozenset(w for e in data["generic_words"] for w in words(str(e)))
    vocab.titles = frozenset(str(t) for t in data["name_titles"])
    vocab.particles = frozenset(str(p) for p in data["name_particles"])
    vocab.common_names = frozenset(str(n) for n in data["common_name_words"])
    vocab.concept_words = frozenset(vocab.by_surface) | frozenset(
        w for terms in vocab.phrases.values() for t in terms for w in words(t.text)
    )
    return vocab


# -- matching concepts in a text -------------------------------------------------------------
ConceptHits = dict[str, tuple[float, str]]
"""concept → (strength, the term that matched)."""


def _keep(hits: ConceptHits, term: _Term, strength: float) -> None:
    if strength > hits.get(term.concept, (0.0, ""))[0]:
        hits[term.concept] = (strength, term.text)


def find_concepts(text: str, *, visitor: bool) -> ConceptHits:
    """Return the role concepts a text is about; `visitor` also uses how visitors phrase them."""
    return dict(_cached_concepts(text, visitor))


@lru_cache(maxsize=8192)
def _cached_concepts(text: str, visitor: bool) -> tuple[tuple[str, tuple[float, str]], ...]:
    # sheets repeat their teams, regions and titles on many rows
    return tuple(_concepts_in_tokens(words(text), visitor=visitor)[0].items())


def _concepts_in_tokens(
    tokens: Sequence[str], *, visitor: bool, fuzzy: bool = False
) -> tuple[ConceptHits, set[int], set[int]]:
    """Return the concepts, the positions of the words that matched, and of visitor phrasings."""
    vocab = vocabulary()
    stems = [stem(t) for t in tokens]
    hits: ConceptHits = {}
    used: set[int] = set()
    phrased: set[int] = set()
    _match_phrases(vocab, stems, visitor, hits, used, phrased)
    _match_together(vocab, set(stems), visitor, hits)
    for i, token in enumerate(tokens):
        if i in used or token in STOPWORDS:
            continue
        terms = _single_terms(vocab, token, stems[i], fuzzy)
        for term, factor in terms:
            if visitor or not term.ask_only:
                _keep(hits, term, term.weight * factor)
                used.add(i)
    return hits, used, phrased


def _match_phrases(
    vocab: _Vocabulary,
    stems: Sequence[str],
    visitor: bool,
    hits: ConceptHits,
    used: set[int],
    phrased: set[int],
) -> None:
    """Match multi-word terms; their words are not matched again on their own."""
    content = [(i, s) for i, s in enumerate(stems) if s not in STOPWORDS]
    for sequence in ([(i, s) for i, s in enumerate(stems)], content):
        only = [s for _, s in sequence]
        for pos, (_, first) in enumerate(sequence):
            for term in vocab.phrases.get(first, []):
                if (visitor or not term.ask_only) and tuple(
                    only[pos : pos + len(term.words)]
                ) == term.words:
                    _keep(hits, term, term.weight)
                    positions = [i for i, _ in sequence[pos : pos + len(term.words)]]
                    used.update(positions)
                    if term.ask_only:  # how visitors say it: not the sheet's own words
                        phrased.update(positions)


def _match_together(vocab: _Vocabulary, stems: set[str], visitor: bool, hits: ConceptHits) -> None:
    for term in vocab.together:
        if (visitor or not term.ask_only) and all(w in stems for w in term.words):
            _keep(hits, term, term.weight)


def _single_terms(
    vocab: _Vocabulary, token: str, token_stem: str, fuzzy: bool
) -> list[tuple[_Term, float]]:
    if token in vocab.by_surface:
        return [(t, 1.0) for t in vocab.by_surface[token]]
    by_stem = [t for t in vocab.by_stem.get(token_stem, []) if _inflected(token, t.text)]
    if by_stem:
        concepts = {t.concept for t in by_stem}
        # a stem shared by concepts ("install": installer, installation) counts for each, less
        return [(t, 1.0 if len(concepts) == 1 else 0.6) for t in by_stem]
    if fuzzy and len(token) >= 6 and token not in vocab.generic:
        limit = 2 if len(token) >= 9 else 1
        found = process.extractOne(token, vocab.surfaces, scorer=OSA.distance, score_cutoff=limit)
        if found is not None:
            return [(t, 0.8) for t in vocab.by_surface[found[0]]]
    return []


def _bases(word: str, inflections: Sequence[tuple[str, tuple[str, ...]]]) -> set[str]:
    forms = {word}
    for suffix, replacements in inflections:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            base = word[: -len(suffix)]
            forms |= {base + r for r in replacements}
            if len(base) > 3 and base[-1] == base[-2] and suffix in ("ed", "ing"):
                forms.add(base[:-1])  # shipped → ship
    return forms


def _inflected(token: str, term: str) -> bool:
    """Tell whether a message word is a form of a concept word (invoices, hiring, deleted).

    Stems alone over-merge ("report" and "reporters", "install" and "installer"), and a
    term ending in -ing is a noun of its own ("accounting" is not "account").
    """
    term = term.lower()
    return term in _bases(token, _INFLECTIONS) or token in _bases(term, _PLURALS)


_PLURALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ies", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
)
_INFLECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *_PLURALS,
    ("ied", ("y",)),
    ("ed", ("", "e")),
    ("ing", ("", "e")),
    ("d", ("",)),
)


# -- a contact's cells -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cell:
    label: str
    """The field name shown in explanations: role, department, region, or the column header."""
    kind: str
    """role | department | notes | region | place | email."""
    text: str


@dataclass(frozen=True)
class _Columns:
    notes: tuple[str, ...]
    places: tuple[str, ...]
    channels: tuple[str, ...]


def _sheet_columns(contacts: Sequence[ContactCandidate]) -> _Columns:
    """Sort the sheet's other columns into free text, places and extra phones/emails."""
    headers: dict[str, None] = {}
    for contact in contacts:
        headers.update(dict.fromkeys(contact.fields))
    notes, places, channels = [], [], []
    for header in headers:
        values = [c.fields.get(header, "").strip() for c in contacts]
        filled = [v for v in values if v]
        if not filled or _is_recognised(header, contacts):
            continue
        if _looks_like_channel(header, filled):
            channels.append(header)
        elif _is_non_text(header, filled):
            continue
        elif field_score("region", header) >= 0.5:
            places.append(header)
        else:
            notes.append(header)
    return _Columns(tuple(notes), tuple(places), tuple(channels))


def _is_recognised(header: str, contacts: Sequence[ContactCandidate]) -> bool:
    """Tell whether a column is one the sheet reader already mapped to a field."""
    agree = total = 0
    for contact in contacts:
        value = contact.fields.get(header, "").strip()
        if not value:
            continue
        total += 1
        known = (
            contact.name,
            contact.role,
            contact.department,
            contact.region,
            contact.email,
            contact.phone,
            "; ".join(contact.languages),
        )
        folded = fold(value)
        if any(k and fold(k) == folded for k in known) or _is_language_cell(value, contact):
            agree += 1
        elif contact.name and folded in fold(contact.name):
            agree += 1  # a first-name or last-name column
    return total > 0 and agree / total >= 0.6


def _is_language_cell(value: str, contact: ContactCandidate) -> bool:
    if not contact.languages:
        return False
    folded = fold(value)
    return all(fold(lang) in folded for lang in contact.languages)


def _looks_like_channel(header: str, values: Sequence[str]) -> bool:
    if field_score("phone", header) >= 0.5 or field_score("email", header) >= 0.5:
        return True
    return sum(bool(_EMAIL.search(v)) for v in values) / len(values) >= 0.6


def _is_non_text(header: str, values: Sequence[str]) -> bool:
    heads = set(words(header))
    if heads & _NON_TEXT_HEADS and not heads & {"about", "notes", "note", "topics"}:
        return True
    letters = sum(any(ch.isalpha() for ch in v) for v in values)
    urls = sum(v.lower().startswith(("http", "www.")) for v in values)
    return letters / len(values) < 0.3 or urls / len(values) >= 0.6


def _cells(contact: ContactCandidate, columns: _Columns) -> list[_Cell]:
    cells = [
        _Cell(kind, kind, value)
        for kind, value in (
            ("role", contact.role),
            ("department", contact.department),
            ("region", contact.region),
        )
        if value
    ]
    cells += [_Cell(h, "place", v) for h in columns.places if (v := contact.fields.get(h, ""))]
    cells += [_Cell(h, "notes", v) for h in columns.notes if (v := contact.fields.get(h, ""))]
    mailbox = _mailbox_words(contact)
    if mailbox:
        cells.append(_Cell("email", "email", mailbox))
    return cells


def _mailbox_words(contact: ContactCandidate) -> str:
    """Return the words of a shared mailbox ("press@" → "press"), not of a person's address."""
    if not contact.email:
        return ""
    local = contact.email.split("@", 1)[0]
    name_words = set(words(contact.name or ""))
    parts = [
        w
        for w in words(local.replace(".", " ").replace("_", " ").replace("-", " "))
        if w not in name_words and len(w) > 2
    ]
    return " ".join(parts)


def _cell_concepts(cells: Sequence[_Cell]) -> dict[str, tuple[float, str, str]]:
    """Return concept → (strength, cell label, term) for a contact's cells.

    Notes that wander off the contact's job ("Installer recruitment" for a partner manager)
    count less than the role and team, unless the role and team name no concept at all.
    """
    concepts: dict[str, tuple[float, str, str]] = {}
    from_title: set[str] = set()
    for cell in cells:
        weight = TOPIC_FIELD_WEIGHTS[cell.kind]
        for concept, (strength, term) in find_concepts(cell.text, visitor=False).items():
            if cell.kind in ("role", "department"):
                from_title.add(concept)
            if strength * weight > concepts.get(concept, (0.0, "", ""))[0]:
                concepts[concept] = (strength * weight, cell.label, term)
    if from_title:
        for concept, (strength, label, term) in list(concepts.items()):
            if concept not in from_title:
                concepts[concept] = (strength * _OFF_TITLE, label, term)
    return concepts


# -- the index -------------------------------------------------------------------------------------
@dataclass
class _Contact:
    concepts: dict[str, tuple[float, str, str]]
    """concept → (strength, cell label, term)."""
    places: tuple[tuple[geo.Place, float, str, str], ...]
    """(place, weight, cell label, cell text)."""
    languages: dict[str, tuple[float, str]]
    """language code → (strength, shown as)."""
    emails: frozenset[str]
    phones: tuple[str, ...]
    name_words: tuple[str, ...]
    territory: bool
    """True when a region or place cell names a specific (non-global) place."""


@dataclass
class _Query:
    text: str
    tokens: list[str]
    raw: list[str]
    sentence_start: list[bool]
    channel: dict[int, str] = field(default_factory=dict)
    places: list[tuple[geo.Place, float, str]] = field(default_factory=list)
    languages: list[tuple[str, float, str]] = field(default_factory=list)
    names: dict[int, tuple[float, str]] = field(default_factory=dict)
    concepts: ConceptHits = field(default_factory=dict)
    lexical: list[tuple[float, dict[int, float], str]] = field(default_factory=list)
    cue: float = 0.0
    content: int = 0
    explained: int = 0
    unknown_person: bool = False
    language_tokens: set[int] = field(default_factory=set)


_Parts = dict[str, dict[int, float]]
"""aspect → contact index → evidence (0..1)."""


class ContactIndex:
    """Field-aware fuzzy ranking over every contact of one chatbot; build once, query often."""

    def __init__(self, contacts: Sequence[ContactCandidate]) -> None:
        """Index the contacts (sheet order is the tie-break order)."""
        self.contacts = list(contacts)
        self._columns = _sheet_columns(self.contacts)
        cells = [_cells(c, self._columns) for c in self.contacts]
        self._context = self._sheet_context(cells)
        self._place_labels = frozenset({"region", *self._columns.places})
        self._postings: dict[str, dict[int, float]] = {}
        self._names: dict[str, list[tuple[int, str]]] = {}
        self._name_shown: dict[str, str] = {}
        self._records = [self._record(i, c, cells[i]) for i, c in enumerate(self.contacts)]
        self._vocab = sorted(self._postings)
        self._prefixes: dict[str, list[str]] = {}
        for term in self._vocab:
            if len(term) >= 4:
                self._prefixes.setdefault(term[:4], []).append(term)
        self._name_vocab = sorted(self._names)
        self._topic_words = frozenset(self._postings)
        self._cache: dict[str, _Query] = {}
        self._by_id: dict[str, int] = {}
        for i, contact in enumerate(self.contacts):
            self._by_id.setdefault(contact.id, i)
        self._index_evidence()

    def _index_evidence(self) -> None:
        """Invert the records: concept, place and language → the contacts that have it."""
        self._by_concept: dict[str, dict[int, tuple[float, str, str]]] = {}
        self._by_place: dict[str, tuple[geo.Place, list[tuple[int, float]]]] = {}
        self._by_language: dict[str, list[tuple[int, float]]] = {}
        for i, record in enumerate(self._records):
            for concept, value in record.concepts.items():
                self._by_concept.setdefault(concept, {})[i] = value
            for place, weight, _, _ in record.places:
                self._by_place.setdefault(place.key, (place, []))[1].append((i, weight))
            for code, (strength, _) in record.languages.items():
                self._by_language.setdefault(code, []).append((i, strength))

    # -- building ----------------------------------------------------------------------------
    @staticmethod
    def _sheet_context(cells: Sequence[Sequence[_Cell]]) -> frozenset[str]:
        """Return the countries and states the region cells name (to read ambiguous names)."""
        atoms: set[str] = set()
        for row in cells:
            for cell in row:
                if cell.kind in ("region", "place"):
                    for place in geo.cell_places(cell.text):
                        if place.kind != "group":
                            atoms |= place.atoms | place.countries
        return frozenset(atoms)

    def _record(self, index: int, contact: ContactCandidate, cells: Sequence[_Cell]) -> _Contact:
        for cell in cells:
            weight = TOPIC_FIELD_WEIGHTS[cell.kind]
            for token in words(cell.text):
                if token not in STOPWORDS and (len(token) > 1 or token.isdigit()):
                    postings = self._postings.setdefault(stem(token), {})
                    postings[index] = max(postings.get(index, 0.0), weight)
        places = self._places(cells)
        name_words = self._index_name(index, contact)
        return _Contact(
            concepts=_cell_concepts(cells),
            places=places,
            languages=self._languages(contact, cells, places),
            emails=self._emails(contact),
            phones=self._phones(contact),
            name_words=name_words,
            territory=any(
                p.kind != "global" and label in self._place_labels for p, _, label, _ in places
            ),
        )

    def _places(self, cells: Sequence[_Cell]) -> tuple[tuple[geo.Place, float, str, str], ...]:
        found: dict[str, tuple[geo.Place, float, str, str]] = {}
        for cell in cells:
            if cell.kind not in GEO_FIELD_WEIGHTS:
                continue
            lenient = cell.kind in ("region", "place")
            places = (
                geo.cell_places(cell.text, self._context)
                if lenient
                else geo.resolve(cell.text, context=self._context)
            )
            for place in places:
                weight = GEO_FIELD_WEIGHTS[cell.kind]
                if weight > found.get(place.key, (place, 0.0, "", ""))[1]:
                    found[place.key] = (place, weight, cell.label, place.name)
        return tuple(found.values())

    @staticmethod
    def _languages(
        contact: ContactCandidate,
        cells: Sequence[_Cell],
        places: Sequence[tuple[geo.Place, float, str, str]],
    ) -> dict[str, tuple[float, str]]:
        spoken: dict[str, tuple[float, str]] = {}

        def add(code: str, strength: float, shown: str) -> None:
            if strength > spoken.get(code, (0.0, ""))[0]:
                spoken[code] = (strength, shown)

        for name in contact.languages:
            if (lang := geo.language_named(name)) is not None:
                add(lang.code, 1.0, name)
        for cell in cells:
            if cell.kind in ("role", "department", "notes"):
                for mention in geo.languages_in(cell.text):
                    if mention.explicit:
                        add(mention.language.code, 0.8, mention.language.name)
        for place, weight, _, _ in places:
            if weight >= GEO_FIELD_WEIGHTS["role"]:
                for code in geo.languages_of(place):
                    add(code, 0.6, f"{place.name} ({code})")
        return spoken

    @staticmethod
    def _emails(contact: ContactCandidate) -> frozenset[str]:
        found = {contact.email.lower()} if contact.email else set()
        for value in contact.fields.values():
            found |= {m.lower() for m in _EMAIL.findall(value)}
        return frozenset(found)

    @staticmethod
    def _phones(contact: ContactCandidate) -> tuple[str, ...]:
        values = [contact.phone or "", *contact.fields.values()]
        digits = {re.sub(r"\D", "", m) for v in values for m in _PHONE.findall(v)}
        return tuple(d for d in digits if len(d) >= 6)

    def _index_name(self, index: int, contact: ContactCandidate) -> tuple[str, ...]:
        vocab = vocabulary()
        name = contact.name or ""
        shown = {fold(w): w for w in _TOKEN.findall(name)}
        tokens = [t for t in words(name) if t not in vocab.titles]
        parts = [t for t in tokens if t not in vocab.particles and len(t) > 1]
        # "O'Brien", "Smith-Jones": also as one word, as visitors type them
        for joined in re.findall(r"[^\W_]+(?:['’-][^\W_]+)+", name):
            key = "".join(words(joined))
            shown.setdefault(key, joined)
            if key not in parts:
                parts.append(key)
        for token in parts:
            self._name_shown.setdefault(token, shown.get(token, token))
        for position, token in enumerate(parts):
            role = "first" if position == 0 else ("last" if position == len(parts) - 1 else "mid")
            if len(parts) == 1:
                role = "last"
            self._names.setdefault(token, []).append((index, role))
        return tuple(parts)

    # -- analysing a message ---------------------------------------------------------------
    def _analyse(self, text: str) -> _Query:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        raw = [m.group(0) for m in _TOKEN.finditer(text)]
        starts = _sentence_starts(text)
        query = _Query(text, [fold(t) for t in raw], raw, starts)
        consumed: set[int] = set()
        self._find_channels(query, consumed)
        self._find_places(query, consumed)
        self._find_languages(query)
        self._find_names(query, consumed)
        self._find_misspelt_places(query, consumed)
        self._find_topic(query, consumed)
        query.cue = _cue_strength(query.tokens)
        if any(w >= LANGUAGE_WEIGHTS["explicit"] for _, w, _ in query.languages):
            query.cue = max(query.cue, 0.6)  # "support in Arabic?" asks for a speaker
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[text] = query
        return query

    def _find_channels(self, query: _Query, consumed: set[int]) -> None:
        for address in _EMAIL.findall(query.text):
            for i, record in enumerate(self._records):
                if address.lower() in record.emails:
                    query.channel[i] = address
            consumed.update(_token_span(query.text, address))
        for box in _MAILBOX.findall(query.text):
            local = box.lower()
            for i, record in enumerate(self._records):
                if any(e.split("@")[0] == local for e in record.emails):
                    query.channel.setdefault(i, f"{box}@")
        for number in _PHONE.findall(query.text):
            digits = re.sub(r"\D", "", number)
            if len(digits) < 6:
                continue
            for i, record in enumerate(self._records):
                if any(digits[-9:] in p for p in record.phones):
                    query.channel[i] = number.strip()
            consumed.update(_token_span(query.text, number))

    def _find_places(self, query: _Query, consumed: set[int]) -> None:
        spans = _token_offsets(query.text)
        for mention in geo.mentions(query.text, context=self._context):
            covered = [
                i
                for i, (start, end) in enumerate(spans)
                if start >= mention.start and end <= mention.end
            ]
            if not mention.cued and any(query.tokens[i] in self._names for i in covered):
                continue  # "Jordan" is the sheet's Jordan Pike, not the country
            weight = 0.7 if mention.via == "demonym" else 1.0
            query.places.append((mention.place, weight, mention.text))
            if mention.via != "demonym":
                consumed.update(covered)

    def _find_misspelt_places(self, query: _Query, consumed: set[int]) -> None:
        """Read words that are no known word but one typo from a place ("amsterdm")."""
        vocab = vocabulary()
        for i, token in enumerate(query.tokens):
            if (
                i in consumed
                or token in STOPWORDS
                or token in vocab.generic
                or token in vocab.concept_words
                or stem(token) in self._postings
            ):
                continue
            name = geo.nearest_name(token) if len(token) >= 7 else None
            places = geo.cell_places(name, self._context) if name else []
            for place in places:
                query.places.append((place, 0.8, f"{query.raw[i]}≈{place.name}"))
            if places:
                consumed.add(i)

    def _find_languages(self, query: _Query) -> None:
        seen: set[str] = set()
        spans = _token_offsets(query.text)
        for mention in geo.languages_in(query.text):
            query.language_tokens.update(
                i
                for i, (start, end) in enumerate(spans)
                if start >= mention.start and end <= mention.end
            )
            kind = "explicit" if mention.explicit else "mentioned"
            query.languages.append(
                (mention.language.code, LANGUAGE_WEIGHTS[kind], mention.language.name)
            )
            seen.add(mention.language.code)
        written = geo.detect_language(query.text)
        if written and written != "en" and written not in seen and geo.language(written):
            name = geo.language(written).name  # type: ignore[union-attr]
            query.languages.append((written, LANGUAGE_WEIGHTS["written"], f"written in {name}"))
        if any(w >= LANGUAGE_WEIGHTS["explicit"] for _, w, _ in query.languages):
            # "speaks Finnish" asks for a speaker, not for someone covering Finland
            names = {n.casefold() for _, _, n in query.languages}
            query.places = [
                p for p in query.places if not (p[1] < 1.0 and _is_language_word(p[2], names))
            ]

    def _find_names(self, query: _Query, consumed: set[int]) -> None:
        vocab = vocabulary()
        per_contact: dict[int, dict[str, tuple[float, str]]] = {}
        for i, token in enumerate(query.tokens):
            if i in consumed or len(token) < 2 or not self._may_be_name(query, i):
                continue
            for index, role, quality, shown in self._name_candidates(token):
                if token in vocab.common_names and not self._name_confirmed(query, i, index):
                    continue
                best = per_contact.setdefault(index, {})
                if quality > best.get(role, (0.0, ""))[0]:
                    best[role] = (quality, f"{query.raw[i]}→{self._name_shown[shown]}")
        for index, roles in per_contact.items():
            query.names[index] = _name_score(roles)
        strong = {
            i
            for i, t in enumerate(query.tokens)
            if any(
                query.names.get(idx, (0.0, ""))[0] >= 0.7 and t in self._records[idx].name_words
                for idx in query.names
            )
        }
        consumed.update(strong)

    def _may_be_name(self, query: _Query, i: int) -> bool:
        vocab = vocabulary()
        token = query.tokens[i]
        capital = query.raw[i][:1].isupper() and not query.sentence_start[i]
        after_title = i > 0 and query.tokens[i - 1] in vocab.titles
        if token in STOPWORDS or token in vocab.generic or token in vocab.titles:
            return capital or after_title
        return True

    def _name_confirmed(self, query: _Query, i: int, index: int) -> bool:
        """Accept a name that is also a word ("Grant") only with a capital, title or neighbour."""
        vocab = vocabulary()
        capital = query.raw[i][:1].isupper() and not query.sentence_start[i]
        after_title = i > 0 and query.tokens[i - 1] in vocab.titles
        own = self._records[index].name_words
        neighbour = any(
            0 <= j < len(query.tokens) and j != i and query.tokens[j] in own for j in (i - 1, i + 1)
        )
        return capital or after_title or neighbour

    def _name_candidates(self, token: str) -> list[tuple[int, str, float, str]]:
        found = [(index, role, 1.0, token) for index, role in self._names.get(token, [])]
        if found or len(token) < 4 or not self._may_be_typo_of_name(token):
            return found
        limit = 2 if len(token) >= 8 else 1
        for name, distance, _ in process.extract(
            token, self._name_vocab, scorer=OSA.distance, score_cutoff=limit, limit=5
        ):
            quality = 0.85 if distance == 1 else 0.7
            found += [(index, role, quality, name) for index, role in self._names[name]]
        return found

    def _may_be_typo_of_name(self, token: str) -> bool:
        vocab = vocabulary()
        return not (
            token in vocab.concept_words
            or token in self._topic_words
            or stem(token) in self._topic_words
            or token in vocab.common_names
        )

    def _find_topic(self, query: _Query, consumed: set[int]) -> None:
        vocab = vocabulary()
        # "in charge of", "get in touch": how to reach someone, not what about
        asking = _cue_positions(query.tokens)
        free = [
            t if i not in consumed and i not in asking else "" for i, t in enumerate(query.tokens)
        ]
        hits, used, _ = _concepts_in_tokens(free, visitor=True, fuzzy=True)
        query.concepts = {c: h for c, h in hits.items() if c not in vocab.fallback}
        content = [
            i
            for i, t in enumerate(query.tokens)
            if t not in STOPWORDS and t not in vocab.generic and len(t) > 1
        ]
        query.content = len(content)
        explained = set(consumed) | used | query.language_tokens | asking
        for i in content:
            # words a concept already stands for are not counted twice
            if i in explained or query.tokens[i] in _CUE_WORDS:
                continue
            matched = self._lexical(query.tokens[i])
            if matched is not None:
                query.lexical.append(matched)
                explained.add(i)
        query.explained = sum(1 for i in content if i in explained)
        query.unknown_person = not query.names and _unknown_full_name(query, explained)
        if not (
            query.concepts
            or query.lexical
            or query.places
            or query.names
            or query.languages
            or query.channel
        ):
            query.concepts = {c: h for c, h in hits.items() if c in vocab.fallback}

    def _lexical(self, token: str) -> tuple[float, dict[int, float], str] | None:
        """Return (idf, contact → weight, shown) for a message word found in the contacts."""
        term = stem(token)
        postings = self._postings.get(term)
        if postings is not None:
            return self._idf(postings), postings, token
        merged: dict[int, float] = {}
        for other, factor in self._near_terms(term):
            for index, weight in self._postings[other].items():
                merged[index] = max(merged.get(index, 0.0), weight * factor)
        return (self._idf(merged), merged, token) if merged else None

    def _near_terms(self, term: str) -> list[tuple[str, float]]:
        if len(term) < 4:
            return []
        near = [
            (s, 0.7)
            for s in self._prefixes.get(term[:4], [])
            if s.startswith(term) or term.startswith(s)
        ]
        if near or len(term) < 5:
            return near
        limit = 2 if len(term) >= 8 else 1
        return [
            (s, 0.7)
            for s, _, _ in process.extract(
                term, self._vocab, scorer=OSA.distance, score_cutoff=limit, limit=3
            )
        ]

    def _idf(self, postings: Mapping[int, float]) -> float:
        return math.log(1 + len(self.contacts) / max(1, len(postings)))

    # -- scoring ---------------------------------------------------------------------------
    def search(
        self, query: str, k: int = 5, *, semantic: Mapping[str, float] | None = None
    ) -> list[ContactMatch]:
        """Return the best `k` contacts for a visitor's message, best first.

        `semantic` maps contact id → cosine similarity (0..1) from an embedding search over
        contact descriptions; it is blended in as one more piece of evidence.
        """
        q = self._analyse(query)
        ranked, parts = self._rank(q, semantic)
        return [
            ContactMatch(self.contacts[i], round(score, 4), self._explain(i, q, parts))
            for i, score in ranked[:k]
        ]

    def confidence(self, query: str) -> float:
        """Return how strongly a message asks for someone in this sheet (0..1).

        High when the message asks for a person or a way to reach one and something in the
        sheet matches (a name, a role concept, a covered place); low for unrelated questions.
        """
        q = self._analyse(query)
        ranked, parts = self._rank(q, None)
        if not ranked:
            return 0.0
        best = {aspect: max(values.values(), default=0.0) for aspect, values in parts.items()}
        if best["channel"] > 0:
            return 0.95
        if best["name"] >= 0.7:
            return round(min(1.0, 0.8 + 0.2 * max(q.cue, best["name"] - 0.7)), 4)
        answered = self._answered(q, best, parts)
        explained = q.explained / q.content if q.content else 1.0
        value = answered * (0.3 + 0.7 * q.cue) * (0.5 + 0.5 * explained)
        if q.unknown_person:
            value *= 0.4  # asks for someone by a name the sheet does not have
        return round(min(1.0, value), 4)

    def _answered(self, q: _Query, best: Mapping[str, float], parts: _Parts) -> float:
        """Return how well the sheet answers each aspect of the message, whoever answers it."""
        weights = self._aspect_weights(q, None)
        weights.pop("name", None)
        if not weights:
            return 0.0
        values = dict(best)
        if q.concepts:
            strength = max(s for s, _ in q.concepts.values())
            values["topic"] = strength * max(self._concept_scores(q).values(), default=0.0)
        total = sum(weights.values())
        return sum(w * values.get(aspect, 0.0) for aspect, w in weights.items()) / total

    def _rank(
        self, q: _Query, semantic: Mapping[str, float] | None
    ) -> tuple[list[tuple[int, float]], _Parts]:
        """Score every contact with some evidence; best first, ties in sheet order."""
        weights = self._aspect_weights(q, semantic)
        parts = self._parts(q, semantic)
        if not weights:
            return [], parts
        total = sum(weights.values())
        candidates = set().union(*(parts[aspect] for aspect in weights))
        scored = [(i, self._combine(i, weights, parts, total)) for i in candidates]
        scored = [(i, s) for i, s in scored if s >= _MIN_SCORE]
        scored.sort(key=lambda item: (-round(item[1], 9), item[0]))
        return scored, parts

    def _combine(
        self, index: int, weights: Mapping[str, float], parts: _Parts, total: float
    ) -> float:
        value = 0.0
        for aspect, weight in weights.items():
            part = parts[aspect].get(index, 0.0)
            if aspect == "geo" and "topic" in weights:
                # a place narrows down who handles the topic; alone it says little
                relevance = max(parts["topic"].get(index, 0.0), parts["semantic"].get(index, 0.0))
                part *= 0.4 + 0.6 * relevance
            value += weight * part
        score = value / total
        if (
            "geo" in weights
            and parts["geo"].get(index, 0.0) < _MISMATCH
            and self._records[index].territory
        ):
            score *= _OTHER_TERRITORY  # responsible for somewhere else
        return score

    def _aspect_weights(self, q: _Query, semantic: Mapping[str, float] | None) -> dict[str, float]:
        weights: dict[str, float] = {}
        best_name = max((s for s, _ in q.names.values()), default=0.0)
        if best_name >= 0.5:
            weights["name"] = ASPECT_WEIGHTS["name"] * best_name
        if q.channel:
            weights["channel"] = ASPECT_WEIGHTS["channel"]
        if q.concepts or q.lexical:
            weights["topic"] = ASPECT_WEIGHTS["topic"]
        if q.places:
            weights["geo"] = ASPECT_WEIGHTS["geo"] * max(w for _, w, _ in q.places)
        if q.languages:
            weights["language"] = max(w for _, w, _ in q.languages)
        if semantic and any(v > 0 for v in semantic.values()):
            weights["semantic"] = ASPECT_WEIGHTS["semantic"]
        return weights

    def _parts(self, q: _Query, semantic: Mapping[str, float] | None) -> _Parts:
        """Return each aspect's evidence per contact index (only contacts with some)."""
        sem = _normalise_semantic(semantic)
        return {
            "name": {i: score for i, (score, _) in q.names.items()},
            "channel": dict.fromkeys(q.channel, 1.0),
            "topic": self._topic_scores(q),
            "geo": self._geo_scores(q),
            "language": self._language_scores(q),
            "semantic": {self._by_id[key]: v for key, v in sem.items() if key in self._by_id},
        }

    def _topic_scores(self, q: _Query) -> dict[int, float]:
        concept = self._concept_scores(q)
        lexical = self._lexical_scores(q)
        if not q.lexical:
            return concept
        if not q.concepts:
            return lexical
        heavy = any(vocabulary().concept_weight[c] >= 1.5 for c in q.concepts)
        alpha = 0.85 if heavy else 0.7
        return {
            i: alpha * concept.get(i, 0.0) + (1 - alpha) * lexical.get(i, 0.0)
            for i in concept.keys() | lexical.keys()
        }

    def _concept_scores(self, q: _Query) -> dict[int, float]:
        vocab = vocabulary()
        weights = {c: vocab.concept_weight[c] * strength for c, (strength, _) in q.concepts.items()}
        total = sum(weights.values())
        scores: dict[int, float] = {}
        for concept, weight in weights.items():
            for index, (strength, _, _) in self._by_concept.get(concept, {}).items():
                scores[index] = scores.get(index, 0.0) + weight * min(1.0, strength) / total
        return scores

    def _lexical_scores(self, q: _Query) -> dict[int, float]:
        total = sum(idf for idf, _, _ in q.lexical)
        scores: dict[int, float] = {}
        for idf, postings, _ in q.lexical:
            for index, weight in postings.items():
                scores[index] = scores.get(index, 0.0) + idf * weight / total
        return scores

    def _geo_scores(self, q: _Query) -> dict[int, float]:
        if not q.places:
            return {}
        total = sum(w for _, w, _ in q.places)
        scores: dict[int, float] = {}
        for asked, weight, _ in q.places:
            best: dict[int, float] = {}
            for place, holders in self._by_place.values():
                cover = geo.coverage(asked, place)
                if cover <= 0:
                    continue
                for index, cell_weight in holders:
                    if cover * cell_weight > best.get(index, 0.0):
                        best[index] = cover * cell_weight
            for index, value in best.items():
                scores[index] = scores.get(index, 0.0) + weight * value / total
        return scores

    def _language_scores(self, q: _Query) -> dict[int, float]:
        if not q.languages:
            return {}
        total = sum(w for _, w, _ in q.languages)
        scores: dict[int, float] = {}
        for code, weight, _ in q.languages:
            best: dict[int, float] = {}
            for spoken, holders in self._by_language.items():
                factor = 1.0 if spoken == code else 0.8 * geo.related_languages(spoken, code)
                for index, strength in holders if factor else ():
                    best[index] = max(best.get(index, 0.0), strength * factor)
            for index, value in best.items():
                scores[index] = scores.get(index, 0.0) + weight * value / total
        return scores

    # -- explaining ------------------------------------------------------------------------
    def _explain(self, index: int, q: _Query, parts: _Parts) -> dict[str, str]:
        """Say what matched for one contact: field → what (for answers and traces)."""
        record = self._records[index]
        matched: dict[str, str] = {}
        if index in q.names:
            matched["name"] = q.names[index][1]
        if index in q.channel:
            matched["email" if "@" in q.channel[index] else "phone"] = q.channel[index]
        for concept in q.concepts:
            if concept in record.concepts:
                _, label, term = record.concepts[concept]
                _explain_add(matched, label, f"{concept} ({term})")
        shown = [word for _, postings, word in q.lexical if index in postings]
        if shown:
            _explain_add(matched, "words", ", ".join(shown))
        self._explain_places(record, q, matched)
        self._explain_languages(record, q, matched)
        if index in parts["semantic"]:
            matched["semantic"] = f"{parts['semantic'][index]:.2f}"
        return matched

    @staticmethod
    def _explain_places(record: _Contact, q: _Query, matched: dict[str, str]) -> None:
        for asked, _, shown in q.places:
            best = max(record.places, default=None, key=lambda p: geo.coverage(asked, p[0]) * p[1])
            if best is not None and (
                geo.coverage(asked, best[0]) >= _MISMATCH or best[0].kind == "global"
            ):
                _explain_add(matched, best[2], f"{shown}→{best[3]}")

    @staticmethod
    def _explain_languages(record: _Contact, q: _Query, matched: dict[str, str]) -> None:
        for code, _, shown in q.languages:
            for spoken, (_, name) in record.languages.items():
                if geo.related_languages(spoken, code):
                    _explain_add(matched, "languages", name if shown == name else f"{shown}→{name}")
                    break


# -- helpers ---------------------------------------------------------------------------------------
_CUE_WORDS = frozenset(
    {
        "who",
        "whom",
        "contact",
        "email",
        "phone",
        "call",
        "reach",
        "talk",
        "speak",
        "person",
        "someone",
        "anyone",
    }
)


def _explain_add(matched: dict[str, str], key: str, text: str) -> None:
    matched[key] = f"{matched[key]}; {text}" if key in matched else text


def _name_score(roles: Mapping[str, tuple[float, str]]) -> tuple[float, str]:
    shown = ", ".join(s for _, s in roles.values())
    qualities = {role: q for role, (q, _) in roles.items()}
    if len(qualities) >= 2:
        return sum(qualities.values()) / len(qualities), shown
    role, quality = next(iter(qualities.items()))
    return {"last": 0.9, "first": 0.8}.get(role, 0.7) * quality, shown


def _normalise_semantic(semantic: Mapping[str, float] | None) -> dict[str, float]:
    """Scale similarities so the best is near 1 when it is clearly similar, others relative."""
    if not semantic:
        return {}
    best = max(semantic.values(), default=0.0)
    if best <= 0:
        return {}
    strength = min(1.0, max(0.0, (best - 0.15) / 0.35))
    return {key: strength * (max(0.0, value) / best) ** 2 for key, value in semantic.items()}


def _cue_strength(tokens: Sequence[str]) -> float:
    vocab = vocabulary()
    found: list[float] = []
    for cues in (vocab.strong_cues, vocab.weak_cues):
        for cue, weight in cues.items():
            if contains_sequence(tokens, cue):
                found.append(weight)
    if not found:
        return 0.0
    found.sort(reverse=True)
    return min(1.0, found[0] + 0.2 * sum(found[1:3]))


def _cue_positions(tokens: Sequence[str]) -> set[int]:
    """Return the positions of multi-word cue phrases ("in charge of", "talk to")."""
    vocab = vocabulary()
    found: set[int] = set()
    for cues in (vocab.strong_cues, vocab.weak_cues):
        for cue in cues:
            n = len(cue)
            if n < 2:
                continue
            for i in range(len(tokens) - n + 1):
                if tuple(tokens[i : i + n]) == cue:
                    found.update(range(i, i + n))
    return found


def _token_offsets(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _token_span(text: str, part: str) -> list[int]:
    start = text.find(part)
    if start < 0:
        return []
    end = start + len(part)
    return [i for i, (s, e) in enumerate(_token_offsets(text)) if s >= start and e <= end]


def _sentence_starts(text: str) -> list[bool]:
    starts = []
    last = 0
    for n, match in enumerate(_TOKEN.finditer(text)):
        gap = text[last : match.start()]
        starts.append(n == 0 or bool(re.search(r"[.!?\n]", gap)))
        last = match.end()
    return starts


def _unknown_full_name(query: _Query, explained: set[int]) -> bool:
    """Tell whether the message names a person ("Jonas Becker") that matched no contact."""
    vocab = vocabulary()
    run = 0
    for i, raw in enumerate(query.raw):
        name_like = (
            raw[:1].isupper()
            and raw[1:].islower()
            and not query.sentence_start[i]
            and i not in explained
            and query.tokens[i] not in vocab.concept_words
        )
        run = run + 1 if name_like else 0
        if run >= 2:
            return True
    return False


def _is_language_word(text: str, names: set[str]) -> bool:
    return any(fold(text) in fold(name) or fold(name) in fold(text) for name in names)
