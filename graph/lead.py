"""Pure lead-capture helpers: form validation, detail extraction, declines, gate bypasses."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberFormat, PhoneNumberMatcher

from signpost.protocol import LeadField

DEFAULT_REGIONS: tuple[str, ...] = ("NL", "DE", "BE", "GB", "FR", "AT", "CH", "ES", "IT", "US")
"""Regions a number written without a country code may be from (the demo bot is Dutch).

Only regions whose trunk prefix fits the number are tried; in free text the message's
language moves its region forward (French text reads 06… as French).
"""

MAX_NAME_CHARS = 100
MAX_TEXT_CHARS = 200
MAX_TEXTAREA_CHARS = 2000
MAX_PHONE_CHARS = 40
MAX_SCAN_CHARS = 4000
"""Free text beyond this is not scanned (a lead is never hidden in a wall of text)."""
_MAX_PHONE_MATCHES = 8
"""Numbers read per region: bounds the work on digit-heavy text (a lead gives one or two)."""

NAME_FIELDS = frozenset({"name", "full_name", "first_name", "last_name"})

MESSAGES: dict[str, str] = {
    "name": "Please enter your name.",
    "email": "Please enter your email address.",
    "phone": "Please enter your phone number.",
    "required": "Please fill in this field.",
    "invalid_email": "Please enter a valid email address, like name@company.com.",
    "invalid_phone": "Please enter a valid phone number, including the country code "
    "(for example +31 6 1234 5678).",
    "invalid_name": "Please enter your name (letters only, up to 100 characters).",
    "too_long": "This is too long; please shorten it.",
}
"""What the visitor reads next to a field that needs fixing."""

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


# -- shared normalisation ----------------------------------------------------------------
def _clean_line(value: str) -> str:
    """Return the value as one trimmed line: NFC, no invisible or control characters."""
    value = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def _clean_block(value: str) -> str:
    """Return multi-line text trimmed, with control characters removed but newlines kept."""
    value = _INVISIBLE.sub("", unicodedata.normalize("NFC", value)).replace("\r\n", "\n")
    lines = (_SPACES.sub(" ", _CONTROL.sub(" ", line)).strip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _as_text(raw: object) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else str(raw)


# -- email, phone, name --------------------------------------------------------------------
def normalize_email(value: str) -> str | None:
    """Return the normalised address, or None when it is not a valid email address."""
    value = value.strip()
    if not value or len(value) > 254:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]{3,}(?:\s*(?:ext\.?|x|#)\s*\d{1,6})?$", re.IGNORECASE)


def _phone_regions(digits: str, regions: Sequence[str]) -> list[str]:
    """Return the regions a number without a country code may belong to, likeliest first.

    A national number starting with 0 carries a trunk prefix (most of Europe); one without
    it fits only regions that have none (Spain, Italy) or NANP. Lenient parsing would
    otherwise accept "123456" as an Austrian number.
    """
    trunk_zero = [r for r in regions if _national_prefix(r) == "0"]
    no_trunk = [r for r in regions if _national_prefix(r) is None]
    if digits.startswith("0"):
        return trunk_zero + no_trunk
    nanp = [r for r in regions if _national_prefix(r) == "1"]
    if len(digits) == 10 and digits[0] not in "01":
        return nanp + no_trunk
    return no_trunk + nanp


def _national_prefix(region: str) -> str | None:
    metadata = PhoneMetadata.metadata_for_region(region)
    return metadata.national_prefix if metadata is not None else None


def normalize_phone(value: str, regions: Sequence[str] = DEFAULT_REGIONS) -> str | None:
    """Return the number in E.164, or None when it is not a valid phone number."""
    value = _clean_line(value)
    if not value or len(value) > MAX_PHONE_CHARS or not _PHONE_CHARS.match(value):
        return None
    if value.startswith("00"):
        value = "+" + value[2:].lstrip()
    digits = re.sub(r"\D", "", value.split("x")[0].split("#")[0])
    if len(digits) < 6 or len(digits) > 15:
        return None
    candidates: list[str | None] = [None] if value.startswith("+") else []
    if not value.startswith("+"):
        candidates.extend(_phone_regions(digits, regions))
    for region in candidates:
        number = _parse_phone(value, region)
        if number is not None:
            return number
    return None


def _parse_phone(value: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


_URLISH = re.compile(
    r"https?://|www\.|\.(?:com|org|net|io|de|nl|fr|es|uk|eu|info|biz|ru|cn)\b|[<>{}\[\]\\@|=]",
    re.IGNORECASE,
)


def normalize_name(value: str) -> str | None:
    """Return the trimmed name, or None when it is not plausibly a person's name."""
    value = _clean_line(value)
    if not value or len(value) > MAX_NAME_CHARS:
        return None
    if not any(ch.isalpha() for ch in value) or _URLISH.search(value):
        return None
    if sum(ch.isdigit() for ch in value) > 2:
        return None
    return value


# -- form validation -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LeadValidation:
    """The outcome of validating a lead form submission."""

    values: dict[str, str]
    """Cleaned, normalised values of the configured fields that were filled in."""
    errors: dict[str, str] = field(default_factory=dict)
    """Field name → a message the visitor understands."""

    @property
    def ok(self) -> bool:
        """Return True when every field is acceptable."""
        return not self.errors


def _field_kind(spec: LeadField) -> str:
    if spec.name == "email" or spec.type == "email":
        return "email"
    if spec.name == "phone" or spec.type == "tel":
        return "phone"
    if spec.name in NAME_FIELDS:
        return "name"
    return "textarea" if spec.type == "textarea" else "text"


def _missing_message(spec: LeadField) -> str:
    return MESSAGES.get(spec.name, MESSAGES.get(_field_kind(spec), MESSAGES["required"]))


def _check_field(
    spec: LeadField, raw: str, regions: Sequence[str]
) -> tuple[str | None, str | None]:
    """Return (cleaned value, None) or (None, error message) for one filled-in field."""
    kind = _field_kind(spec)
    if kind == "email":
        email = normalize_email(raw)
        return (email, None) if email else (None, MESSAGES["invalid_email"])
    if kind == "phone":
        phone = normalize_phone(raw, regions)
        return (phone, None) if phone else (None, MESSAGES["invalid_phone"])
    if kind == "name":
        name = normalize_name(raw)
        return (name, None) if name else (None, MESSAGES["invalid_name"])
    limit = MAX_TEXTAREA_CHARS if kind == "textarea" else MAX_TEXT_CHARS
    if len(raw) > limit:
        return None, MESSAGES["too_long"]
    return raw, None


def validate_submission(
    values: Mapping[str, object],
    fields: Sequence[LeadField],
    *,
    regions: Sequence[str] = DEFAULT_REGIONS,
) -> LeadValidation:
    """Validate a lead form submission against the chatbot's fields.

    Keys that are not configured fields are dropped. Blank optional fields are left
    out; a filled-in optional field must still be valid.
    """
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in fields:
        raw = _as_text(values.get(spec.name))
        raw = _clean_block(raw) if spec.type == "textarea" else _clean_line(raw)
        if not raw:
            if spec.required:
                errors[spec.name] = _missing_message(spec)
            continue
        value, error = _check_field(spec, raw, regions)
        if error is not None:
            errors[spec.name] = error
        elif value is not None:
            cleaned[spec.name] = value
    return LeadValidation(values=cleaned, errors=errors)


# -- extraction from free text ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExtractedLead:
    """Contact details a visitor volunteered in a chat message."""

    name: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    """E.164 numbers."""
    wants_callback: bool = False

    @property
    def email(self) -> str | None:
        """Return the first email address found."""
        return self.emails[0] if self.emails else None

    @property
    def phone(self) -> str | None:
        """Return the first phone number found."""
        return self.phones[0] if self.phones else None

    @property
    def has_contact(self) -> bool:
        """Return True when the message holds a way to reach the visitor."""
        return bool(self.emails or self.phones)

    @property
    def values(self) -> dict[str, str]:
        """Return the details as lead form values (name, email, phone)."""
        found = {"name": self.name, "email": self.email, "phone": self.phone}
        return {key: value for key, value in found.items() if value}


_EMAIL_CANDIDATE = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def _find_emails(text: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for match in _EMAIL_CANDIDATE.finditer(text):
        candidate = match.group().rstrip(".-_'")
        # A doubled @ ("tom@@gmx.de") is a typo, not an address to guess at.
        if (
            text[max(0, match.start() - 1) : match.start()] == "@"
            or "@@" in text[match.start() : match.end() + 1]
        ):
            continue
        email = normalize_email(candidate)
        if email and email not in (e for e, _, _ in found):
            found.append((email, match.start(), match.start() + len(candidate)))
    return found


_NOT_PHONE_BEFORE = re.compile(
    r"(?:\b(?:order|invoice|ref(?:erence)?|ticket|case|tracking|customer|account|serial|model|"
    r"article|art|sku|item|iban|vat|btw|kvk|postcode|zip|booking|contract|policy|claim|"
    r"bestell\w*|rechnung\w*|kunden\w*|auftrag\w*|vertrag\w*|bestelling\w*|factuur\w*|"
    r"klant\w*|commande|facture|pedido|factura|no\.|nr\.?|id)|#)"
    r"[\s:#.]*(?:number|nummer|no\.?|nr\.?)?[\s:#.]*(?:is|ist|was|of)?[\s:#.]*$",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:[€$£¥]|eur|usd|gbp|chf)\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(
    r"^\s*(?:[€$£¥]|eur\b|euros?\b|usd\b|dollars?\b|gbp\b|pounds?\b|chf\b|kwh\b|kw\b|w\b|"
    r"wh\b|km\b|years?\b|jahre?\b|jaar\b|ans?\b|,-)",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(
    r"(?:phone|tel|call|ring|mobile|cell|number|reach|whats\s?app|telefon\w*|handy|anruf\w*|"
    r"rufen|nummer|bel|bellen|mobiel|t[ée]l[ée]phone|portable|appel\w*|tel[ée]fono|"
    r"m[oó]vil|llam\w*)\W*(?:\w+\W+){0,4}$",
    re.IGNORECASE,
)


def _plausible_phone(text: str, start: int, end: int, raw: str) -> bool:
    """Return False for numbers that are really prices, years, order or reference numbers."""
    before = text[max(0, start - 40) : start]
    after = text[end : end + 12]
    if _NOT_PHONE_BEFORE.search(before) or _CURRENCY_BEFORE.search(before):
        return False
    if _CURRENCY_AFTER.match(after):
        return False
    stripped = raw.lstrip("( ")
    if stripped.startswith(("+", "00")):
        return True
    digits = re.sub(r"\D", "", raw)
    if stripped.startswith("0") and len(digits) >= 9:
        return True
    # A national number without a trunk 0 (US style) needs the usual grouping or a cue.
    if _US_SHAPE.match(raw.strip()):
        return True
    grouped = bool(re.search(r"[\s().\-/]", raw.strip()))
    return grouped and bool(_PHONE_CUE.search(before))


_US_SHAPE = re.compile(r"^\(?[2-9]\d{2}\)?[\s.\-]?\d{3}[\s.\-]\d{4}$")


def _find_phones(text: str, regions: Sequence[str]) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for region in ("ZZ", *_ordered_regions(text, regions)):
        matches = PhoneNumberMatcher(text, region, leniency=Leniency.VALID)
        for match in itertools.islice(matches, _MAX_PHONE_MATCHES):
            start, end = match.start, match.end
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            if not _plausible_phone(text, start, end, match.raw_string):
                continue
            number = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
            taken.append((start, end))
            if number not in (p for p, _, _ in found):
                found.append((number, start, end))
    found.sort(key=lambda item: item[1])
    return found


_LANGUAGE_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (region, re.compile(rf"\b(?:{words})\b", re.IGNORECASE))
    for region, words in (
        ("FR", r"je|mon|ma|mes|vous|numéro|merci|bonjour|appelle|rappelez|s'il|c'est|joindre"),
        ("DE", r"ich|mein|meine|bitte|sie|und|rufen|danke|nummer|erreichbar|unter|hallo"),
        ("ES", r"llamo|mi|correo|gracias|hola|número|llámame|teléfono|soy"),
        ("IT", r"chiamo|sono|grazie|numero|ciao|chiamatemi|mio|telefono"),
        ("NL", r"ik|mijn|bel|terug|graag|nummer|het|bereikbaar|op|hoi|dank"),
    )
)


def _ordered_regions(text: str, regions: Sequence[str]) -> list[str]:
    """Order the regions by the message's language, NANP first for US-shaped numbers."""
    scores = {region: len(pattern.findall(text)) for region, pattern in _LANGUAGE_HINTS}
    ordered = sorted(regions, key=lambda r: -scores.get(r, 0))  # stable: ties keep the order
    if "US" in regions and re.search(r"(?<![\d+])\(?[2-9]\d{2}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b", text):
        ordered = ["US", *(r for r in ordered if r != "US")]
    return ordered


# Names: capitalised words, optionally joined by lower-case particles (van der, de, von…).
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я"
_WORD = r"[^\W\d_]+(?:['’\-][^\W\d_]+)*"
_CAP_WORD = rf"(?-i:[{_UPPER}])[^\W\d_]*(?:['’\-][^\W\d_]+)*"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|du|dos|das|la|le|ten|ter|te|zu|bin|al|el|mc)"
_CAP_NAME = rf"{_CAP_WORD}(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_CAP_WORD}){{0,2}}"
_ANY_NAME = rf"{_WORD}(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_WORD}){{0,2}}"

_NAME_END = (
    r"(?=\s*$|\s*[,.;:!?)\-–—(]|\s+(?:from|of|at|with|and|here|speaking|calling|again|"
    r"von|aus|bei|und|hier|de|et|ici|y|desde|van|uit|bij|en|da|e)\b)"
)

_STRONG_CUES = (
    r"my\s+name\s+is",
    r"my\s+name['’]s",
    r"(?<!\w)name['’]s",
    r"the\s+name\s+is",
    r"mein\s+name\s+ist",
    r"ich\s+hei(?:ß|ss)e",
    r"je\s+m['’]\s*appelle",
    r"mon\s+nom\s+est",
    r"me\s+llamo",
    r"mi\s+nombre\s+es",
    r"mijn\s+naam\s+is",
    r"ik\s+heet",
    r"mi\s+chiamo",
    r"il\s+mio\s+nome\s+[èe]",
    r"meu\s+nome\s+[ée]",
    r"me\s+chamo",
    r"name\s*:",
)
_WEAK_CUES = (
    r"i['’]?m",
    r"i\s+am",
    r"this\s+is",
    r"it['’]s",
    r"ich\s+bin",
    r"hier\s+ist",
    r"je\s+suis",
    r"c['’]est",
    r"soy",
    r"ik\s+ben",
    r"sono",
)
_SIGNOFF_CUES = (
    r"regards",
    r"best\s+regards",
    r"kind\s+regards",
    r"best",
    r"thanks",
    r"thank\s+you",
    r"cheers",
    r"greetings",
    r"gr(?:ü|ue)(?:ß|ss)e",
    r"mit\s+freundlichen\s+gr(?:ü|ue)(?:ß|ss)en",
    r"viele\s+gr(?:ü|ue)(?:ß|ss)e",
    r"lg",
    r"mfg",
    r"groet(?:en|jes)?",
    r"met\s+vriendelijke\s+groet",
    r"cordialement",
    r"merci",
    r"saludos",
    r"gracias",
    r"ciao",
    r"grazie",
)

_STRONG_RE = re.compile(
    rf"(?:^|(?<=[\s,.;:!?(]))(?:{'|'.join(_STRONG_CUES)})\s+(?P<name>{_ANY_NAME}){_NAME_END}",
    re.IGNORECASE,
)
_WEAK_RE = re.compile(
    rf"(?:^|(?<=[\s,.;:!?(]))(?:{'|'.join(_WEAK_CUES)})\s+(?P<name>{_CAP_NAME}){_NAME_END}",
    re.IGNORECASE,
)
_HERE_RE = re.compile(
    rf"(?:^|[.!?\n]\s*|\b(?:hi|hello|hey|hallo|hoi|moin|bonjour|hola|ciao|dag)\b[,!]?\s+)"
    rf"(?:it['’]s\s+)?(?P<name>{_CAP_NAME})\s+(?:here|hier|ici|aqu[ií])"
    r"(?=\s*$|\s*[,.;:!\-–—]|\s+(?:from|of|at|with|von|aus|bei|van|uit|de)\b)",
    re.IGNORECASE,
)
_SIGNOFF_RE = re.compile(
    rf"(?:^|[\n.!?,]\s*)(?:{'|'.join(_SIGNOFF_CUES)})\s*[,!.\-–—]?\s*(?P<name>{_CAP_NAME})"
    r"\s*[.!]?$",
    re.IGNORECASE,
)
_BEFORE_CONTACT_RE = re.compile(
    rf"(?:^|[\n,:;.!?()\-–—]\s*|\b(?:regards|thanks|cheers|gr(?:ü|ue)(?:ß|ss)e|groeten|"
    rf"merci|saludos)\b,?\s*)(?P<name>{_CAP_NAME})\s*[,:(<\-–—|/]?\s*"
    rf"(?:(?:e-?mail|mail|tel(?:efon)?|phone|mobile?|handy)\s*[:.]?\s*)?[<(]?$",
    re.IGNORECASE,
)

_TRAILING_NAME_RE = re.compile(
    rf"\s*[,;\-–—]\s*(?:(?:thanks|regards|cheers|danke|merci|groeten|gracias)[,!]?\s*)?"
    rf"(?P<name>{_CAP_NAME})\s*[.!]?\s*$",
    re.IGNORECASE,
)

_NOT_NAMES = frozenset(
    """
    a an the i me my you your we our us he she they it its this that these those there here
    interested in on at of to for from with by about into looking trying hoping wondering
    writing calling contacting asking searching checking reaching just only also still really
    very so not no yes ok okay fine good great glad happy sad sorry afraid sure unsure new
    based located living working currently now back home ready done available unable able
    going coming having getting thinking planning considering curious confused lost stuck
    urgent important interesting amazing awesome excellent perfect annoying frustrating
    customer client user visitor owner admin administrator developer engineer journalist
    student teacher manager director installer homeowner farmer partner reseller dealer
    buyer seller member employee consultant architect contractor electrician landlord tenant
    interessiert auf aus bei dem den der die das ein eine einer nicht noch neu gerade hier
    da wieder sehr froh leider interesse kunde kundin landwirt landwirtin hausbesitzer
    hausbesitzerin eigentümer eigentümerin installateur installateurin elektriker
    elektrikerin journalistin studentin student rentner rentnerin mieter mieterin vermieter
    vermieterin architekt architektin händler händlerin unternehmer unternehmerin
    interessent interessentin geschäftsführer geschäftsführerin berliner
    intéressé intéressée un une le la les des du de client cliente ici là pas très
    interesado interesada una el los las aquí muy buscando
    geïnteresseerd een het klant niet nog daar erg op zoek
    interessato interessata uno qui
    dutch german english french spanish italian american british european canadian belgian
    swiss austrian polish danish swedish norwegian finnish irish scottish welsh portuguese
    deutsch deutscher deutsche niederländer holländer français française español española
    hi hello hey hallo hoi dear thanks thank regards cheers best please bitte danke merci
    gracias grazie bedankt email e-mail mail phone tel telephone telefon mobile mobil handy
    contact kontakt address adresse name naam nom nombre number nummer website company firma
    sales support service team office pricing price quote brochure info information
    portfolio catalogue catalog document pdf download link case study whitepaper report
    monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight
    anyone someone anybody somebody everyone everybody nobody who what where when why how
    which is are was were be been am do does did can could would should will shall may
    might must gonna wanna let lets ich du sie wir er es je tu il elle nous vous yo tú
    ik jij wij u
    """.split()
)


def _name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"\s+", name.strip()) if t]


def _accept_name(candidate: str, *, strong: bool) -> str | None:
    """Return a cleaned name, or None when the words are not plausibly a name."""
    tokens = _name_tokens(candidate)
    while tokens and re.fullmatch(_PARTICLE, tokens[-1], re.IGNORECASE):
        tokens.pop()
    if not tokens or tokens[0].lower() in _NOT_NAMES:
        return None
    if any(
        t.lower() in _NOT_NAMES and not re.fullmatch(_PARTICLE, t, re.IGNORECASE) for t in tokens
    ):
        return None
    if strong:
        tokens = [
            t if re.fullmatch(_PARTICLE, t, re.IGNORECASE) and i else _capitalise(t)
            for i, t in enumerate(tokens)
        ]
    return normalize_name(" ".join(tokens))


def _capitalise(token: str) -> str:
    return token[:1].upper() + token[1:] if token[:1].islower() else token


def _name_before(text: str, start: int) -> str | None:
    """Return Capitalised words right before a contact detail ("Katrin Vogel, katrin@…")."""
    match = _BEFORE_CONTACT_RE.search(text[:start])
    return _accept_name(match.group("name"), strong=False) if match else None


def _find_name(text: str, contacts: Sequence[tuple[str, int, int]]) -> str | None:
    for pattern, strong in ((_STRONG_RE, True), (_WEAK_RE, False), (_HERE_RE, False)):
        for match in pattern.finditer(text):
            name = _accept_name(match.group("name"), strong=strong)
            if name:
                return name
    for _, start, _ in sorted(contacts, key=lambda c: c[1]):
        name = _name_before(text, start)
        if name:
            return name
    signed = _SIGNOFF_RE.search(text.rstrip())
    if signed is None and contacts:
        # "call me on 0612345678 – Mike": a name signed after the contact detail.
        signed = _TRAILING_NAME_RE.match(text, max(end for _, _, end in contacts))
    return _accept_name(signed.group("name"), strong=False) if signed else None


_CALLBACK_RE = re.compile(
    r"\b(?:call\s+(?:me|us)(?!\s+(?:by|as)\b)|call\s*back|callback|ring\s+(?:me|us)|"
    r"give\s+(?:me|us)\s+a\s+(?:call|ring|buzz)|phone\s+(?:me|us)|contact\s+(?:me|us)|"
    r"get\s+(?:back\s+)?in\s+touch|get\s+back\s+to\s+(?:me|us)|reach\s+(?:out\s+to\s+)?(?:me|us)|"
    r"(?:someone|somebody|anyone|sales|an?\s+(?:person|human|advisor|agent))\s+(?:to\s+|can\s+|"
    r"could\s+|please\s+)?(?:call|ring|phone|contact)|"
    r"(?:rufen|ruft)\s+(?:sie\s+)?mich\s+(?:\w+\s+){0,2}(?:zurück|an)|ruf\s+mich\s+(?:\w+\s+)?"
    r"(?:zurück|an)|rückruf|melden\s+sie\s+sich|kontaktieren\s+sie\s+mich|"
    r"rappelez[- ]moi|me\s+rappeler|contactez[- ]moi|me\s+contacter|appelez[- ]moi|"
    r"ll[aá]m[ae]me|ll[aá]menme|me\s+llamen|cont[aá]ct(?:e|a|en)me|"
    r"bel\s+(?:me|mij)(?:\s+terug)?|terugbellen|teruggebeld|neem\s+(?:contact\s+)?(?:met\s+"
    r"(?:me|mij)\s+)?op|contact\s+met\s+(?:me|mij)|richiamatemi|chiamatemi|contattatemi)",
    re.IGNORECASE,
)


def extract_lead(text: str, *, regions: Sequence[str] = DEFAULT_REGIONS) -> ExtractedLead:
    """Extract a name, email addresses, phone numbers and a callback wish from a message."""
    text = _clean_block(_as_text(text))[:MAX_SCAN_CHARS]
    if not text:
        return ExtractedLead()
    emails = _find_emails(text)
    masked = _mask(text, emails)
    phones = _find_phones(masked, regions)
    name = _find_name(masked, [*emails, *phones])
    return ExtractedLead(
        name=name,
        emails=tuple(e for e, _, _ in emails),
        phones=tuple(p for p, _, _ in phones),
        wants_callback=bool(_CALLBACK_RE.search(text)),
    )


def _mask(text: str, spans: Iterable[tuple[str, int, int]]) -> str:
    """Blank out found emails (same length) so digits inside them are not read as phones."""
    chars = list(text)
    for _, start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


# -- declines ----------------------------------------------------------------------------
_BARE_NO = r"(?:no+|nope|nah|nee|nein|non|nej|nie|niet|no\s+way)"
_DECLINE_CORE = (
    rf"(?:{_BARE_NO}|skip(?:\s+(?:it|this|that|the\s+form))?|pass|i['’]?ll\s+pass|"
    r"not\s+interested|(?:i['’]?d\s+)?rather\s+not|i\s+prefer\s+not(?:\s+to)?|"
    r"i\s+don['’]?t\s+want\s+to|never\s*mind|forget\s+it|no\s+need|not\s+now|not\s+today|"
    r"maybe\s+later|later|liever\s+niet|niet\s+nu|lieber\s+nicht|jetzt\s+nicht|nicht\s+n[öo]tig|"
    r"plut[ôo]t\s+pas|pas\s+maintenant|mejor\s+no|ahora\s+no|no\s+ahora)"
)
_POLITE = (
    r"(?:thanks?|thank\s+you|thx|ty|danke(?:\s+sch[öo]n)?|vielen\s+dank|merci(?:\s+beaucoup)?|"
    r"gracias|grazie|bedankt|dank\s+(?:je|u)(?:\s+wel)?|sorry|i['’]?m\s+good|i['’]?m\s+fine|"
    r"all\s+good|that['’]?s\s+ok(?:ay)?|for\s+now|anyway)"
)
_WHOLE_DECLINE = re.compile(
    rf"^(?:(?:sorry|thanks?|thank\s+you|um+|uh+|hmm+|well|actually|honestly)\s+)*{_DECLINE_CORE}"
    rf"(?:\s+(?:{_DECLINE_CORE}|{_POLITE}))*$",
    re.IGNORECASE,
)
_LEADING_DECLINE = re.compile(
    rf"^(?:{_BARE_NO})\s+(?:thanks?|thank\s+you|thx|danke|merci|gracias|grazie|bedankt|"
    r"dank\s+(?:je|u))\b",
    re.IGNORECASE,
)
_DETAILS = (
    r"(?:e-?mail(?:\s+address)?|address|number|phone(?:\s+number)?|details|contact\s+"
    r"(?:details|info(?:rmation)?)|info(?:rmation)?|data|name|personal\s+(?:data|details|info))"
)
_DECLINE_PHRASES: tuple[str, ...] = (
    rf"(?:not|never|won['’]?t|will\s+not)\s+(?:going\s+to\s+)?(?:give|giving|share|sharing|leave|"
    rf"leaving|provide|providing|hand(?:ing)?\s+over|send|sending)\s+(?:you\s+)?(?:my|any|our)\s+"
    rf"{_DETAILS}",
    rf"(?:don['’]?t|do\s+not|rather\s+not|prefer\s+not(?:\s+to)?|not\s+comfortable)\s+"
    rf"(?:want\s+to\s+|wanna\s+)?(?:give|share|leave|provide|hand\s+over|giving|sharing)"
    rf"(?:\s+(?:you|out))?(?:\s+(?:my|any|our)\s+{_DETAILS}|\s*$)",
    r"(?:no|don['’]?t\s+want(?:\s+any)?)\s+(?:e-?mails?|spam|newsletters?|marketing)"
    r"(?:\s+please|\s+thanks?)?\s*$",
    rf"(?:without|w/o)\s+(?:giving|leaving|sharing|entering|providing)\s+(?:you\s+)?(?:my|any)"
    rf"\s+{_DETAILS}",
    r"(?:will|m[öo]chte|mag)\s+(?:ich\s+)?(?:\w+\s+)?(?:keine|nicht\s+meine)\s+(?:\w+\s+)?"
    r"(?:e-?mail\S*|daten|kontaktdaten|telefonnummer|nummer)",
    r"(?:meine\s+)?(?:e-?mail\S*|daten|telefonnummer|nummer)\s+(?:gebe|teile|nenne)\s+ich\s+"
    r"(?:nicht|ungern)",
    r"m[öo]chte\s+(?:ich\s+)?(?:meine\s+)?(?:e-?mail\S*|daten|nummer)\s+nicht",
    r"je\s+(?:ne\s+)?(?:veux|souhaite)\s+pas\s+(?:donner|partager|laisser)",
    r"sans\s+(?:donner|laisser)\s+(?:mon|mes)",
    r"no\s+quiero\s+(?:dar|compartir|dejar)|sin\s+dar\s+mi",
    r"(?:wil|geef)\s+(?:ik\s+)?(?:liever\s+)?(?:geen|niet)\s+(?:mijn\s+)?(?:e-?mail\w*|gegevens|"
    r"nummer|telefoonnummer)",
    r"(?:mijn\s+)?(?:e-?mail\w*|gegevens|nummer)\s+(?:wil|geef)\s+ik\s+(?:liever\s+)?niet",
)
_DECLINE_PHRASE = re.compile(
    r"\b(?:" + "|".join(f"(?:{p})" for p in _DECLINE_PHRASES) + ")", re.IGNORECASE
)


def _plain(text: str) -> str:
    """Return lower-case text without emoji or punctuation, for matching short replies."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", _as_text(text)))
    text = text.replace("’", "'")
    text = re.sub(r"[^\w\s'-]", " ", text)
    return _SPACES.sub(" ", text).strip().lower()


def is_decline(text: str) -> bool:
    """Return True when the visitor refuses to leave their details."""
    plain = _plain(text)
    if not plain or len(plain) > 300:
        return False
    if extract_lead(text).has_contact:
        return False
    return bool(
        _WHOLE_DECLINE.match(plain)
        or _LEADING_DECLINE.match(plain)
        or _DECLINE_PHRASE.search(plain)
    )


# -- gate-bypass attempts ----------------------------------------------------------------------
_BYPASS_PATTERNS: tuple[str, ...] = (
    # Override the instructions.
    r"\b(?:ignore|disregard|forget|override|overrule|bypass|skip|drop|abandon)\s+(?:all\s+|any\s+|"
    r"the\s+|your\s+|of\s+|every\s+)*(?:previous|prior|above|earlier|preceding|former|original|"
    r"system|existing|current|these|those|safety|lead)?\s*(?:instructions?|rules|prompts?|"
    r"guidelines|directives|restrictions|constraints|programming|guardrails)\b",
    r"\b(?:ignore|bypass|skip|circumvent|get\s+around|disable|turn\s+off|remove)\s+(?:the\s+|this\s+|"
    r"your\s+)?(?:lead\s+|email\s+|contact\s+)?(?:form|gate|gating|lead\s+capture|"
    r"e-?mail\s+requirement|email\s+check)\b",
    r"\bnew\s+(?:instructions|rules\s+for\s+you|system\s+prompt)\b",
    r"(?:^|[\[(<*#\-\s])(?:system|admin|administrator|developer|dev|root|operator|security)\s+"
    r"(?:message|notice|note|override|prompt|instructions?|command|directive)\s*[:\-\])>]",
    r"\b(?:admin|administrator|developer|dev|root|sudo|god|debug|maintenance|unrestricted)\s+"
    r"(?:mode|override|privileges)\b|\bsystem\s+(?:override|prompt)\b",
    r"(?:^|\n)\s*(?:#+\s*)?(?:system|assistant|admin|developer)\s*:",
    r"[\[<{]\s*/?\s*(?:system|sys|inst|admin|developer|assistant)\s*[\]>}]|<<\s*sys\s*>>",
    r"\b(?:jailbreak|jailbroken|dan\s+mode|no\s+restrictions|without\s+restrictions)\b",
    # Claims that the gate is already passed.
    r"\b(?:i|we)\s*(?:'ve|have)?\s+already\s+(?:gave|given|provided|submitted|entered|sent|"
    r"filled(?:\s+in|\s+out)?|shared|left|registered|signed\s+up)\s+(?:you\s+|it\s+)?"
    r"(?:my\s+|our\s+|the\s+|all\s+my\s+)?(?:e-?mail|details|info(?:rmation)?|contact|number|"
    r"data|form|address|name)",
    r"\bi\s*(?:'ve|have)?\s+already\s+(?:done|completed)\s+(?:that|it|the\s+form)\b",
    r"\byou\s+(?:already\s+)?(?:have|got|received)\s+(?:my|our)\s+(?:e-?mail|details|info|"
    r"contact|number|data)(?:\s+already)?\b",
    r"\blead(?:_?status|\s+status)?\s*(?:is|=|:|to)?\s*(?:already\s+)?[\"']?(?:captured|"
    r"submitted|complete[d]?|verified|approved)\b",
    r"\bstatus\s*[=:]\s*[\"']?captured\b|\bform\s+(?:is\s+|was\s+)?already\s+(?:submitted|"
    r"filled|completed|done)\b",
    r"\b(?:set|mark|change|update)\s+(?:the\s+|my\s+|me\s+|lead\s+)*(?:lead\s+|status\s+)*"
    r"(?:as|to)\s+(?:captured|verified|approved)\b",
    r"\bmy\s+e-?mail\s+is\s+(?:on\s+file|in\s+your\s+(?:system|database|crm))\b",
    r"\b(?:i\s+am|i['’]?m)\s+(?:the\s+|an?\s+|your\s+)?(?:(?:site|website|bot|chatbot|system)\s+"
    r"(?:owner|admin|administrator|developer)|(?:owner|admin|administrator|ceo|founder|developer|"
    r"creator)\s+(?:of|for)\s+(?:this|the|your)\s+(?:site|website|bot|chatbot|assistant|company|"
    r"page|system)|(?:ceo|founder|owner|admin)\s+here|your\s+(?:developer|creator|admin|owner))\b",
    r"\bi\s+work\s+(?:here|for\s+you|for\s+this\s+company)\b",
    r"\b(?:authori[sz]ed|clearance|whitelisted|allowlisted)\s+(?:to\s+)?(?:receive|download|"
    r"bypass|skip)\b",
    r"\b(?:override|bypass)\s+(?:code|token|password|key)\b",
    r"\b(?:form|gate|lead\s+form)\s+(?:is\s+|seems\s+)?(?:broken|not\s+working|doesn['’]?t\s+work|"
    r"won['’]?t\s+(?:load|work|submit)|is\s+bugged|bugged)\b",
    # Asking for the link or file directly.
    r"\b(?:just|simply|directly|only)\s+(?:send|give|paste|share|post|drop|show|print|tell)\s+"
    r"(?:me\s+|us\s+)?(?:the\s+|a\s+|your\s+)?(?:direct\s+|raw\s+|download\s+|signed\s+)?"
    r"(?:link|url|file|pdf|download|document)",
    r"\b(?:send|give|paste|share|post|show|print|tell|reveal|output|list|leak)\s+(?:me\s+|us\s+)?"
    r"(?:the\s+|a\s+|its\s+|your\s+)?(?:direct|raw|signed|unsigned|internal|storage|s3)\s+"
    r"(?:link|url|path|key|location)",
    r"\b(?:file\s*-?name|filename|file\s+path|storage\s+key|file\s+key|file_key|"
    r"(?:directory|folder)\s+path|download\s+path)s?\b",
    r"\bname\s+of\s+the\s+(?:file|pdf|document\s+file)\b",
    r"\b(?:url|link|path)\s+(?:of|to|for)\s+the\s+(?:file|pdf|attachment)\b",
    r"\b(?:without|w/o|skip(?:ping)?|bypass(?:ing)?)\s+(?:the\s+)?(?:form\b|filling\s+(?:in|out)|"
    r"giving\s+(?:my|an?|any)\s+e-?mail|entering\s+(?:my|an?|any)\s+(?:e-?mail|details))",
    r"\w\.(?:pdf|docx|md)\b",
    # Output-format demands and prompt extraction.
    r"\b(?:respond|answer|reply|output|return|format|print|write)\s+(?:\w+\s+){0,4}"
    r"(?:in|as|with|using)\s+(?:raw\s+|valid\s+|pure\s+)?(?:json|markdown|yaml|xml)\b",
    r"\b(?:json|markdown|yaml)\s+(?:only|format|object|output|block|link)\b",
    r"[{\[]\s*[\"']?(?:type|documents|ui_blocks?|url|document_id|lead|status)[\"']?\s*:",
    r"\b(?:ui_blocks?|ui\s+block|documents\s+block|lead_form|tool\s+output|tool_call)\b",
    r"\[[^\]]{0,80}\]\((?:https?:|/)",
    r"\b(?:reveal|repeat|print|show|output|display|tell\s+me|what\s+(?:are|is))\s+(?:me\s+)?"
    r"(?:your\s+(?:full\s+|entire\s+|original\s+|hidden\s+|initial\s+)?(?:system\s+)?"
    r"(?:prompt|instructions)|the\s+(?:system|hidden|initial|original)\s+(?:prompt|instructions"
    r"|message))\b",
    # Role play.
    r"\byou\s+are\s+(?:now\s+)?(?:called\s+|named\s+)?(?:an?\s+)?(?:(?-i:[A-Z]\w*(?:Bot|GPT))|dan"
    r"|unrestricted|unfiltered|no\s+longer)\b",
    r"\byou\s+are\s+now\b|\byou['’]re\s+now\b",
    r"\b(?:pretend|imagine)\s+(?:that\s+)?(?:you(?:['’]re|\s+are|\s+were)|to\s+be)\b",
    r"\b(?:act|behave)\s+(?:as\s+if\s+you|like\s+you\s+(?:are|were)|as\s+(?:an?\s+|the\s+|my\s+)?"
    r"(?:\w*bot|\w*gpt|dan|admin|administrator|developer|system|unrestricted|unfiltered))\b",
    r"\brole[\s-]?play\b",
    r"\bfrom\s+now\s+on,?\s+(?:you|your|answer|respond|reply|ignore|act|only)\b",
    r"\b(?:new|different)\s+persona\b",
    # German.
    r"\b(?:ignorier(?:e|en)?|vergiss|vergessen\s+sie|missachte)\s+(?:\w+\s+){0,3}"
    r"(?:anweisungen|regeln|instruktionen|vorgaben|befehle|formular)\b",
    r"\b(?:schick|sende|gib)(?:e|en)?\s+(?:mir|uns)\s+(?:einfach|direkt|nur|sofort)\s+"
    r"(?:\w+\s+){0,2}(?:link|datei|pdf|download)",
    r"\bohne\s+(?:das\s+)?(?:formular|e-?mail|meine\s+(?:e-?mail|daten))",
    r"\b(?:ich\s+habe|hab)\s+(?:ihnen\s+|dir\s+)?(?:meine\s+)?(?:e-?mail|daten|kontaktdaten)\s+"
    r"(?:\w+\s+)?(?:schon|bereits)",
    r"\b(?:ich\s+habe|hab)\s+(?:schon|bereits)\s+(?:meine\s+)?(?:e-?mail|daten|kontaktdaten)",
    r"\b(?:du\s+bist\s+(?:jetzt|nun)|systemnachricht|entwicklermodus|dateiname)\b",
    # French.
    r"\b(?:ignore[zr]?|oublie[zr]?)\s+(?:\w+\s+){0,3}(?:instructions?|consignes?)\b",
    r"\benvoie[sz]?[- ]moi\s+(?:juste\s+|directement\s+|simplement\s+)(?:\w+\s+){0,2}"
    r"(?:lien|fichier|pdf)",
    r"\bj['’]ai\s+d[ée]j[àa]\s+(?:donn[ée]|fourni|envoy[ée]|rempli)",
    r"\b(?:nom\s+du\s+fichier|tu\s+es\s+maintenant|sans\s+(?:le\s+)?formulaire)\b",
    # Spanish.
    r"\b(?:ignora|olvida|olvide)\s+(?:\w+\s+){0,3}(?:instrucciones|reglas)\b",
    r"\b(?:env[ií]a|manda)(?:me|nos)\s+(?:solo\s+|directamente\s+|simplemente\s+)(?:\w+\s+){0,2}"
    r"(?:enlace|link|archivo|pdf)",
    r"\bya\s+(?:te\s+|les\s+)?(?:di|he\s+dado|envi[ée]|proporcion[ée])\s+mi",
    r"\b(?:nombre\s+del\s+archivo|ahora\s+eres|sin\s+(?:el\s+)?formulario)\b",
    # Dutch.
    r"\b(?:negeer|vergeet)\s+(?:\w+\s+){0,3}(?:instructies|regels|opdrachten|formulier)\b",
    r"\bstuur\s+(?:me|mij|ons)\s+(?:gewoon|direct|meteen|alleen)\s+(?:\w+\s+){0,2}"
    r"(?:link|bestand|pdf)",
    r"\bik\s+heb\s+(?:mijn\s+)?(?:e-?mail|gegevens)\s+(?:al|toch\s+al)\s+",
    r"\b(?:bestandsnaam|je\s+bent\s+nu|zonder\s+(?:het\s+)?formulier)\b",
    # Italian, Portuguese.
    r"\b(?:ignora|dimentica)\s+(?:\w+\s+){0,3}(?:istruzioni|regole)\b",
    r"\b(?:ignore|esque[çc]a)\s+(?:\w+\s+){0,3}(?:instru[çc][õo]es|regras)\b",
)
_BYPASS_RE = re.compile("|".join(f"(?:{p})" for p in _BYPASS_PATTERNS), re.IGNORECASE)


def _for_detection(text: str) -> str:
    """Return text normalised against obfuscation: NFKC, no invisible chars, plain quotes."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", _as_text(text)))
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"(?<=\w)[*_~`]+(?=\w)", "", text)
    # "i g n o r e" and "i.g.n.o.r.e" spell a word out to slip past word matching.
    text = _SPELLED_OUT.sub(lambda m: re.sub(r"[\s.\-]", "", m.group()), text)
    return re.sub(r"[ \t]+", " ", text)[:MAX_SCAN_CHARS]


_SPELLED_OUT = re.compile(r"\b(?:\w[\s.\-]){3,}\w\b")


def looks_like_gate_bypass(text: str) -> bool:
    """Return True when the message tries to talk its way past the document gate.

    Used only to keep such a turn classified as `document` while a lead is requested;
    the gate itself is decided by the thread's lead state, never by this detector.
    """
    return bool(_BYPASS_RE.search(_for_detection(text)))
