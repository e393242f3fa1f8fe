"""Find places and languages in free text and score how well a region cell covers a place."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

DATA_FILE = Path(__file__).parent / "data" / "geo.yaml"

Kind = Literal["city", "subdivision", "country", "group", "global"]
Via = Literal["name", "demonym", "code"]

# How well a cell naming a group covers a place inside it, by the group's size.
TIERS: dict[str, float] = {"small": 0.85, "region": 0.75, "continent": 0.5, "global": 0.3}
_KIND_RANK: dict[str, int] = {"city": 0, "subdivision": 1, "country": 2, "group": 3, "global": 4}
# Words before a place that make an ambiguous name a place ("in Reading", "near Austin").
_PLACE_PREPOSITIONS = frozenset(
    "in near from around outside at based across throughout within covering covers cover "
    "visiting visit nearby close into towards toward via".split()
)
# Words after a place that make an ambiguous name a place ("the Sydney office").
_PLACE_NOUNS = frozenset(
    "office offices area region branch branches clinic clinics store stores shop location "
    "locations site sites hq headquarters based city county state province metro airport "
    "market territory campus warehouse depot team".split()
)
_SKIPPABLE = frozenset({"the", "a", "our", "your", "their", "my", "de", "la", "le"})
# Lower-cased two-letter codes that are also words: only taken in a list ("NL/BE/IT").
_WORDLIKE_CODES = frozenset(
    "it is in at be no me my to so am as an or ok hi id pa ma la co do go by up us we he of on "
    "if oh al ar de mt nd sd ne nt sa wa".split()
)
_NO_CODE = frozenset({"NA"})  # "NA" in a cell means "not applicable" far more often
_CONJUNCTIONS = frozenset({"and", "und", "et", "en", "y", "e", "or", "og", "och"})
_LIST_GAP = re.compile(r"^\s*(?:[/,&+|;-]|and|und|et|en|y|e)\s*$", re.I)
_SENTENCE_GAP = re.compile(r"[.!?:;\n]")
_TOKEN = re.compile(r"[^\W_]+|&")
_TRANSLIT = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ß": "ss",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŀ": "l",
    }
)

# Words around a language name that say it is the language that is meant.
_LANGUAGE_BEFORE = frozenset(
    "speak speaks speaking spoken speaker speakers fluent native in auf en em na im knows know "
    "understand understands habla hablan hablas hablar fala falam falas falar spricht sprechen "
    "sprichst parle parlent parles parler spreekt spreken spreek parla parlano parli parlare "
    "language languages translate translated translation".split()
)
_LANGUAGE_AFTER = frozenset(
    "speaker speakers speaking spoken language languages version translation translator "
    "interpreter native fluent sprechend sprachig".split()
)
# Common English words: a message full of them is English, no detector needed.
_ENGLISH = frozenset(
    "the a an and or of to in on for with at by from is are was were be been do does did i you "
    "we they he she it my your our their me us him her them this that these those what who "
    "which where when why how can could would should will shall may might must have has had "
    "not no yes if but so about any some there here please hi hello thanks just get want need "
    "know like someone anyone talk speak".split()
)


# Frequent function words of other languages. A message with two or more of one language's
# words, and more than of any other, is taken as that language without the detector; one
# with none of them (and plain ASCII) is not worth the detector's few milliseconds.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(text.split())
    for lang, text in {
        "de": "ich und der die das ist nicht mit für fur wer wie was ein eine mein meine bei "
        "auch sie ihr ihre den dem zu kann können konnen möchte mochte gibt es brauche "
        "jemand jemanden sprechen",
        "nl": "het een niet voor van wij jullie mijn ook zijn hoe wat wie kan ik de je naar "
        "nodig iemand spreken wil",
        "fr": "je les est pas pour avec vous nous une qui quoi mon votre bonjour des le la "
        "suis peux puis besoin quelqu'un parler veux un",
        "es": "que con los las para por una quien quién como cómo hola usted ustedes el "
        "del mi hay puedo es está esta necesito quiero hablar alguien un",
        "pt": "que com não nao uma quem olá ola obrigado minha meu você voce vocês voces "
        "para posso do da os as é tem preciso quero falar alguém alguem",
        "it": "che non per sono una chi come ciao della il di posso mio mia bisogno voglio "
        "parlare qualcuno un",
        "sv": "och att det jag inte med har vem hej hur är",
        "no": "og at det jeg ikke med har hvem hei hvordan er",
        "da": "og at det jeg ikke med har hvem hej hvordan er",
        "pl": "nie jest czy dla jak się sie kto mogę moge",
    }.items()
}
_ALL_FUNCTION_WORDS = frozenset().union(*_FUNCTION_WORDS.values())


@dataclass(frozen=True)
class Place:
    """A city, subdivision (state, province, region), country, group of countries, or the world."""

    key: str
    name: str
    kind: Kind
    atoms: frozenset[str]
    """The countries ("DE") and subdivisions ("US-OR") the place covers."""
    tier: float = 1.0
    """For groups: how well a cell naming the group covers a place inside it."""

    @property
    def countries(self) -> frozenset[str]:
        """Return the ISO2 codes of the countries the place lies in."""
        return frozenset(atom.split("-", 1)[0] for atom in self.atoms)


@dataclass(frozen=True)
class Mention:
    """A place named in a text: where, how (name, demonym, code) and whether a cue confirmed it."""

    place: Place
    start: int
    end: int
    text: str
    via: Via
    cued: bool


@dataclass(frozen=True)
class Language:
    """A language: ISO 639 code, English name and, for a variety, its parent (yue → zh)."""

    code: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class LanguageMention:
    """A language named in a text; `explicit` when words around it say the language is meant."""

    language: Language
    start: int
    end: int
    explicit: bool


@dataclass(frozen=True)
class _Alias:
    key: str
    flags: str
    via: Via


@dataclass
class _Gazetteer:
    places: dict[str, Place] = field(default_factory=dict)
    plain_names: list[str] = field(default_factory=list)
    """One-word names of six letters or more that are no common word (for typo lookup)."""
    aliases: dict[tuple[str, ...], list[_Alias]] = field(default_factory=dict)
    languages: dict[str, Language] = field(default_factory=dict)
    language_aliases: dict[tuple[str, ...], list[tuple[str, str]]] = field(default_factory=dict)
    country_languages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    groups_of_country: dict[str, list[Place]] = field(default_factory=dict)
    max_len: int = 1


@dataclass(frozen=True)
class _Token:
    text: str
    folded: str
    start: int
    end: int
    gap: str
    """The characters between the previous token and this one."""


# -- text helpers --------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, transliterate (ł → l, ß → ss) and strip diacritics."""
    text = text.translate(_TRANSLIT).lower()
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    last = 0
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        folded = "and" if word == "&" else fold(word)
        found.append(_Token(word, folded, match.start(), match.end(), text[last : match.start()]))
        last = match.end()
    return found


def _alias_key(name: str) -> tuple[str, ...]:
    return tuple(t.folded for t in _tokens(name))


# -- loading -------------------------------------------------------------------------------------
def _split_flags(name: str) -> tuple[str, str]:
    flags = ""
    while name and name[0] in "?!^-":
        flags += name[0]
        name = name[1:]
    return flags, name.strip()


def _lines(block: str | None) -> Iterable[str]:
    for line in (block or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _add_alias(gaz: _Gazetteer, name: str, key: str, via: Via, extra_flags: str = "") -> None:
    flags, clean = _split_flags(name)
    tokens = _alias_key(clean)
    if not tokens:
        return
    gaz.aliases.setdefault(tokens, []).append(_Alias(key, flags + extra_flags, via))
    gaz.max_len = max(gaz.max_len, len(tokens))


def _load_languages(gaz: _Gazetteer, block: str) -> None:
    for line in _lines(block):
        head, names = line.split(" ", 1)
        code, _, parent = head.partition(">")
        alias_list = names.split("|")
        gaz.languages[code] = Language(code, _split_flags(alias_list[0])[1], parent or None)
        for name in alias_list:
            flags, clean = _split_flags(name)
            tokens = _alias_key(clean)
            entries = gaz.language_aliases.setdefault(tokens, []) if tokens else []
            if tokens and (code, flags) not in entries:
                entries.append((code, flags))


def _load_countries(gaz: _Gazetteer, block: str) -> None:
    for line in _lines(block):
        code, rest = line.split(" ", 1)
        names, demonyms, languages = (part.strip() for part in rest.split(";"))
        key = f"country:{code}"
        display = _split_flags(names.split("|")[0])[1]
        gaz.places[key] = Place(key, display, "country", frozenset({code}))
        gaz.country_languages[code] = tuple(languages.split())
        for name in names.split("|"):
            _add_alias(gaz, name, key, "name")
        for name in demonyms.split("|"):
            _add_alias(gaz, name, key, "demonym")
        if code not in _NO_CODE:
            _add_alias(gaz, code, key, "code", "^")


def _load_subdivisions(gaz: _Gazetteer, block: str, postal: Collection[str]) -> None:
    for line in _lines(block):
        country, code, names = line.split(" ", 2)
        key = f"sub:{country}-{code}"
        display = _split_flags(names.split("|")[0])[1]
        gaz.places[key] = Place(key, display, "subdivision", frozenset({f"{country}-{code}"}))
        for name in names.split("|"):
            _add_alias(gaz, name, key, "name")
        if country in postal:
            _add_alias(gaz, code, key, "code", "^p-")  # the country code wins: NL, CA, IN


def _load_cities(gaz: _Gazetteer, block: str) -> None:
    for line in _lines(block):
        country, entries = line.split(" ", 1)
        for entry in entries.split(";"):
            names, _, sub = entry.strip().partition("@")
            if not names:
                continue
            atom = f"{country}-{sub}" if sub else country
            display = _split_flags(names.split("|")[0])[1]
            key = f"city:{atom}:{fold(display)}"
            gaz.places[key] = Place(key, display, "city", frozenset({atom}))
            for name in names.split("|"):
                _add_alias(gaz, name, key, "name")


def _load_groups(gaz: _Gazetteer, block: str) -> None:
    raw: dict[str, tuple[str, list[str], list[str]]] = {}
    for line in _lines(block):
        head, _, members = line.partition(":")
        key, tier, alias_text = head.split(" ", 2)
        raw[key] = (tier, alias_text.split("|"), members.split())
    for key, (tier, names, _) in raw.items():
        atoms = _expand_members(key, raw)
        kind: Kind = "global" if tier == "global" else "group"
        place_key = "global" if tier == "global" else f"group:{key}"
        display = _split_flags(names[0])[1]
        gaz.places[place_key] = Place(place_key, display, kind, frozenset(atoms), TIERS[tier])
        for name in names:
            _add_alias(gaz, name, place_key, "name")


def _expand_members(
    key: str, raw: dict[str, tuple[str, list[str], list[str]]], seen: frozenset[str] = frozenset()
) -> set[str]:
    atoms: set[str] = set()
    for member in raw[key][2]:
        if member in raw and member not in seen:
            atoms |= _expand_members(member, raw, seen | {key})
        else:
            atoms.add(member)
    return atoms


def _index_groups(gaz: _Gazetteer) -> None:
    for place in gaz.places.values():
        if place.kind != "group":
            continue
        for country in place.countries:
            gaz.groups_of_country.setdefault(country, []).append(place)
    for groups in gaz.groups_of_country.values():
        groups.sort(key=lambda g: (-g.tier, len(g.atoms)))


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    data: dict[str, Any] = yaml.load(DATA_FILE.read_text(encoding="utf-8"), Loader=_LOADER)
    gaz = _Gazetteer()
    _load_languages(gaz, data["languages"])
    _load_countries(gaz, data["countries"])
    _load_subdivisions(gaz, data["subdivisions"], set(str(data["postal_codes"]).split()))
    _load_cities(gaz, data["cities"])
    _load_groups(gaz, data["groups"])
    _index_groups(gaz)
    gaz.plain_names = sorted(
        key[0]
        for key, aliases in gaz.aliases.items()
        if len(key) == 1 and len(key[0]) >= 6 and not any(a.flags for a in aliases)
    )
    return gaz


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- finding places ------------------------------------------------------------------------------
def mentions(text: str, *, lenient: bool = False, context: Collection[str] = ()) -> list[Mention]:
    """Find the places named in `text`, longest names first, in text order.

    `lenient` is for sheet cells, where every name is meant as a place; in free text a name
    that is also a common word or a first name needs a cue. `context` (ISO2 codes and
    subdivision atoms such as "US-OR") picks between places sharing a name.
    """
    gaz = _gazetteer()
    toks = _tokens(text)
    raw: list[tuple[int, int, list[_Alias]]] = []
    i = 0
    while i < len(toks):
        hit = _longest_match(gaz, toks, i, lenient)
        if hit is None:
            i += 1
            continue
        n, accepted = hit
        raw.append((i, n, accepted))
        i += n
    found = _disambiguate(gaz, toks, raw, set(context))
    return found + _confirmed_by_container(gaz, toks, raw, found, lenient, set(context))


def resolve(text: str, *, lenient: bool = False, context: Collection[str] = ()) -> list[Place]:
    """Return the places named in `text` (see `mentions`), without repeats."""
    seen: dict[str, Place] = {}
    for mention in mentions(text, lenient=lenient, context=context):
        seen.setdefault(mention.place.key, mention.place)
    return list(seen.values())


def nearest_name(word: str) -> str | None:
    """Return the place name a misspelt word most likely meant ("amsterdm" → "amsterdam").

    Only one-word names of six letters or more that are not also common words are offered,
    within one edit (two from nine letters on).
    """
    folded = fold(word)
    if len(folded) < 6 or not folded.isalpha():
        return None
    limit = 2 if len(folded) >= 9 else 1
    found = process.extractOne(
        folded, _gazetteer().plain_names, scorer=OSA.distance, score_cutoff=limit
    )
    return str(found[0]) if found is not None and found[1] > 0 else None


def place(key: str) -> Place | None:
    """Return the place with this key ("country:DE", "group:dach", "global"), if known."""
    return _gazetteer().places.get(key)


def _longest_match(
    gaz: _Gazetteer, toks: Sequence[_Token], i: int, lenient: bool
) -> tuple[int, list[_Alias]] | None:
    for n in range(min(gaz.max_len, len(toks) - i), 0, -1):
        if n > 1 and any(_SENTENCE_GAP.search(toks[j].gap) for j in range(i + 1, i + n)):
            continue  # a name never spans a sentence break
        candidates = gaz.aliases.get(tuple(t.folded for t in toks[i : i + n]))
        if not candidates:
            continue
        accepted = [a for a in candidates if _accept(a, toks, i, n, lenient)]
        if accepted:
            return n, accepted
        if any(_pending(a) for a in candidates):
            return n, []  # held back: a following container may still confirm it
    return None


def _pending(alias: _Alias) -> bool:
    return "!" in alias.flags or "?" in alias.flags


def _accept(alias: _Alias, toks: Sequence[_Token], i: int, n: int, lenient: bool) -> bool:
    span = toks[i : i + n]
    if "^" in alias.flags:
        return _accept_code(alias, toks, i, lenient)
    if lenient:
        return True
    if "!" in alias.flags:
        return _cued(toks, i, n)
    if "?" in alias.flags:
        capital = span[0].text[:1].isupper() and not _sentence_start(toks, i)
        return capital or _cued(toks, i, n)
    return True


def _accept_code(alias: _Alias, toks: Sequence[_Token], i: int, lenient: bool) -> bool:
    tok = toks[i]
    if not tok.text.isupper():
        return lenient and len(toks) == 1 and "p" not in alias.flags and len(tok.text) > 2
    if lenient:
        return True
    if "p" in alias.flags:  # "Austin, TX": a state code right after a city and a comma
        return tok.gap.strip() == "," and i > 0
    return _in_code_list(toks, i) or tok.folded not in _WORDLIKE_CODES


def _in_code_list(toks: Sequence[_Token], i: int) -> bool:
    def code_like(j: int) -> bool:
        return 0 <= j < len(toks) and toks[j].text.isupper() and 2 <= len(toks[j].text) <= 3

    def joined(a: int, b: int) -> bool:  # tokens a < b separated by "/", "," or "and"
        if b == a + 1:
            return bool(_LIST_GAP.match(toks[b].gap))
        return b == a + 2 and toks[a + 1].folded in _CONJUNCTIONS

    return any(code_like(j) and joined(min(i, j), max(i, j)) for j in (i - 2, i - 1, i + 1, i + 2))


def _sentence_start(toks: Sequence[_Token], i: int) -> bool:
    return i == 0 or bool(_SENTENCE_GAP.search(toks[i].gap))


def _cued(toks: Sequence[_Token], i: int, n: int) -> bool:
    j = i - 1
    while j >= 0 and toks[j].folded in _SKIPPABLE and not _SENTENCE_GAP.search(toks[j + 1].gap):
        j -= 1
    if (
        j >= 0
        and toks[j].folded in _PLACE_PREPOSITIONS
        and not _SENTENCE_GAP.search(toks[j + 1].gap)
    ):
        return True
    k = i + n
    return k < len(toks) and toks[k].folded in _PLACE_NOUNS and not toks[k].gap.strip()


def _mention(
    toks: Sequence[_Token], i: int, n: int, place_: Place, via: Via, cued: bool
) -> Mention:
    return Mention(
        place_,
        toks[i].start,
        toks[i + n - 1].end,
        " ".join(t.text for t in toks[i : i + n]),
        via,
        cued,
    )


def _disambiguate(
    gaz: _Gazetteer,
    toks: Sequence[_Token],
    raw: Sequence[tuple[int, int, list[_Alias]]],
    context: set[str],
) -> list[Mention]:
    found: list[Mention] = []
    for index, (i, n, accepted) in enumerate(raw):
        if not accepted:
            continue
        container = _following_container(gaz, raw, index)
        for alias in _choose(gaz, accepted, container, context):
            cued = bool(alias.flags) and _cued(toks, i, n)
            found.append(_mention(toks, i, n, gaz.places[alias.key], alias.via, cued))
    return found


def _following_container(
    gaz: _Gazetteer, raw: Sequence[tuple[int, int, list[_Alias]]], index: int
) -> list[Place]:
    """Return the places right after a mention ("Portland, Maine"), which may contain it."""
    i, n, _ = raw[index]
    if index + 1 >= len(raw) or raw[index + 1][0] != i + n:
        return []
    return [gaz.places[a.key] for a in raw[index + 1][2]]


def _choose(
    gaz: _Gazetteer, aliases: list[_Alias], container: list[Place], context: set[str]
) -> list[_Alias]:
    if len({a.key for a in aliases}) == 1:
        return aliases[:1]
    places = {a.key: gaz.places[a.key] for a in aliases}
    for keep in (
        lambda a: any(_contains(c, places[a.key]) for c in container),
        lambda a: bool(places[a.key].atoms & context),
        lambda a: bool(places[a.key].countries & context),
        lambda a: "-" not in a.flags,
    ):
        chosen = [a for a in aliases if keep(a)]
        if chosen:
            return _unique(chosen)
    return _unique(aliases)


def _unique(aliases: list[_Alias]) -> list[_Alias]:
    seen: dict[str, _Alias] = {}
    for alias in aliases:
        seen.setdefault(alias.key, alias)
    return list(seen.values())


def _confirmed_by_container(
    gaz: _Gazetteer,
    toks: Sequence[_Token],
    raw: Sequence[tuple[int, int, list[_Alias]]],
    found: list[Mention],
    lenient: bool,
    context: set[str],
) -> list[Mention]:
    """Accept held-back ambiguous names followed by a place containing them ("Austin, Texas")."""
    extra: list[Mention] = []
    for index, (i, n, accepted) in enumerate(raw):
        if accepted:
            continue
        container = _following_container(gaz, raw, index)
        key = tuple(t.folded for t in toks[i : i + n])
        for alias in gaz.aliases.get(key, []):
            target = gaz.places[alias.key]
            if any(_contains(c, target) for c in container):
                extra.append(_mention(toks, i, n, target, alias.via, True))
    return sorted(extra, key=lambda m: m.start) if extra else []


# -- relating places -----------------------------------------------------------------------------
def _atom_covers(big: str, small: str) -> bool:
    return big == small or small.startswith(big + "-")


def _contains(big: Place, small: Place) -> bool:
    """Tell whether `big` contains `small` (a city contains only itself)."""
    if big.key == small.key or big.kind == "global":
        return True
    if big.kind == "city" or _KIND_RANK[big.kind] < _KIND_RANK[small.kind]:
        return False
    return all(any(_atom_covers(b, s) for b in big.atoms) for s in small.atoms)


@lru_cache(maxsize=65536)
def _cover_keys(asked_key: str, cell_key: str) -> float:
    places = _gazetteer().places
    return cover(places[asked_key], places[cell_key])


def cover(asked: Place, cell: Place) -> float:
    """Score how well a contact responsible for `cell` covers the place the visitor named.

    Same place, or a state containing it, 1.0; a country containing a city or state 0.95;
    a group containing it 0.85 (DACH) / 0.75 (LATAM) / 0.5 (EMEA); global 0.3. A visitor
    naming a wider place than the cell gets 0.5–0.85; neighbours (same state, same country,
    same group) 0.1–0.6, but a cell naming another state of the same country 0.3.
    """
    if asked.key == cell.key:
        return 1.0
    if cell.kind == "global" or asked.kind == "global":
        return TIERS["global"]
    if _contains(cell, asked):
        # the narrowest cell wins: Texas covers Houston better than the United States does
        if cell.kind == "country":
            return 1.0 if asked.kind == "country" else 0.95
        return 1.0 if cell.kind == "subdivision" else cell.tier
    if _contains(asked, cell):
        return _wider_ask(asked)
    return _neighbour(asked, cell)


def _wider_ask(asked: Place) -> float:
    if asked.kind in ("country", "subdivision"):
        return 0.85
    return {0.85: 0.7, 0.75: 0.6}.get(asked.tier, 0.5)


def _neighbour(asked: Place, cell: Place) -> float:
    if asked.kind != "group" and cell.kind != "group":
        if asked.atoms & cell.atoms and "-" in next(iter(asked.atoms)):
            return 0.6  # same state or province
        if asked.countries == cell.countries and len(asked.countries) == 1:
            other_state = cell.kind == "subdivision" and all("-" in a for a in asked.atoms)
            return 0.3 if other_state else 0.5  # a cell naming another state: other territory
    shared = _smallest_shared_group(asked, cell)
    return 0.4 * shared.tier if shared else 0.0


def _smallest_shared_group(a: Place, b: Place) -> Place | None:
    if not a.countries:
        return None
    gaz = _gazetteer()
    for group in gaz.groups_of_country.get(next(iter(a.countries)), []):
        if _contains(group, a) and _contains(group, b):
            return group
    return None


@lru_cache(maxsize=8192)
def _cell_places(value: str, context: frozenset[str]) -> tuple[Place, ...]:
    return tuple(resolve(value, lenient=True, context=context))


def cell_places(value: str, context: Collection[str] = ()) -> list[Place]:
    """Return the places a sheet cell names (every name taken as a place), cached."""
    return list(_cell_places(value, frozenset(context)))


def matches(place_: Place, region_value: str, *, context: Collection[str] = ()) -> float:
    """Score how well a sheet's region/country/office/city cell covers `place_` (0..1)."""
    places = _cell_places(region_value, frozenset(context))
    return max((_cover_keys(place_.key, p.key) for p in places), default=0.0)


def coverage(asked: Place, cell: Place) -> float:
    """Return `cover(asked, cell)`, cached by place keys."""
    return _cover_keys(asked.key, cell.key)


# -- languages -----------------------------------------------------------------------------------
def language(code: str) -> Language | None:
    """Return the language with this ISO 639 code."""
    return _gazetteer().languages.get(code)


def language_named(name: str) -> Language | None:
    """Return the language a sheet cell names ("Português", "Chinese (Mandarin)"), if any."""
    gaz = _gazetteer()
    exact = gaz.language_aliases.get(_alias_key(name))
    if exact:
        return gaz.languages[exact[0][0]]
    found = languages_in(name, lenient=True)
    return found[0].language if found else None


def languages_in(text: str, *, lenient: bool = False) -> list[LanguageMention]:
    """Find languages named in `text`; `explicit` marks "speaks X", "in X", "X-speaking"."""
    gaz = _gazetteer()
    toks = _tokens(text)
    found: list[LanguageMention] = []
    i = 0
    while i < len(toks):
        n, codes = _longest_language(gaz, toks, i)
        if not codes:
            i += 1
            continue
        explicit = _language_cued(toks, i, n)
        for code, flags in codes:
            if "?" in flags and not (lenient or explicit or toks[i].text[:1].isupper()):
                continue
            found.append(
                LanguageMention(gaz.languages[code], toks[i].start, toks[i + n - 1].end, explicit)
            )
        i += n
    return found


def _longest_language(
    gaz: _Gazetteer, toks: Sequence[_Token], i: int
) -> tuple[int, list[tuple[str, str]]]:
    for n in range(min(4, len(toks) - i), 0, -1):
        codes = gaz.language_aliases.get(tuple(t.folded for t in toks[i : i + n]))
        if codes:
            return n, codes
    return 1, []


def _language_cued(toks: Sequence[_Token], i: int, n: int) -> bool:
    j = i - 1
    while j >= 0 and toks[j].folded in {"the", "het", "el", "la", "le", "o", "a", "also"}:
        j -= 1
    if j >= 0 and toks[j].folded in _LANGUAGE_BEFORE:
        return True
    k = i + n
    return k < len(toks) and toks[k].folded in _LANGUAGE_AFTER


def languages_of(place_: Place) -> frozenset[str]:
    """Return the main languages of the countries a place lies in (none for large groups)."""
    if place_.kind == "global" or (place_.kind == "group" and place_.tier < TIERS["small"]):
        return frozenset()
    gaz = _gazetteer()
    return frozenset(code for c in place_.countries for code in gaz.country_languages.get(c, ()))


def related_languages(a: str, b: str) -> bool:
    """Tell whether two language codes are the same language or varieties of one (zh, yue)."""
    gaz = _gazetteer()
    la, lb = gaz.languages.get(a), gaz.languages.get(b)
    roots = {x.parent or x.code for x in (la, lb) if x is not None}
    return a == b or (la is not None and lb is not None and len(roots) == 1)


@lru_cache(maxsize=2048)
def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of the language a message is written in, or None if unsure.

    Messages under four words are not judged; a message full of common English words is
    English without running the detector.
    """
    words = [t.folded for t in _tokens(text) if t.folded.isalpha()]
    if len(words) < 4:
        return None
    lowered = [t.text.lower() for t in _tokens(text)]
    votes = sorted(
        ((sum(w in fw for w in lowered), lang) for lang, fw in _FUNCTION_WORDS.items()),
        reverse=True,
    )
    english = sum(w in _ENGLISH for w in words)
    if english / len(words) >= 0.25 and (english > votes[0][0] or votes[0][0] < 2):
        return "en"
    if votes[0][0] >= 2 and votes[0][0] > votes[1][0]:
        return votes[0][1]
    if text.isascii() and not _ALL_FUNCTION_WORDS.intersection(lowered):
        return None
    return _langdetect(text)


def _langdetect(text: str) -> str | None:
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return None
    if best.prob < 0.85:
        return None
    code = str(best.lang).split("-")[0]
    return {"nb": "no", "nn": "no"}.get(code, code)


def warm_up() -> None:
    """Load the gazetteer and the language detector's profiles (about 2 s, once per process)."""
    _gazetteer()
    _langdetect("dies ist ein kurzer deutscher Satz zum Aufwärmen")
