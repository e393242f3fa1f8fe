"""Check one turn's output against its `expect` mapping, key by key, as the v1 spec defines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from signpost.protocol import (
    CardsBlock,
    Contact,
    ContactsBlock,
    DocumentLink,
    DocumentsBlock,
    LeadFormBlock,
    LinksBlock,
    TurnOutput,
)

TOP_K = 3
"""`urls_any` and `contacts_any` look at this many ranked items; hit@k uses it too."""

_SIGNED_LINK = re.compile(r"(?:https?://[^\s\"'<>\\]+)?/d/[A-Za-z0-9._~%+=\-]{8,}")
"""A signed document link (`https://host/d/<token>`, or its path alone)."""

_FILE_NAME_FIELDS = ("file_name", "filename", "source_file")
"""Fields a document link may carry its source file name in (the protocol allows additions)."""


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold: turn index, key, what was expected, what came."""

    turn: int
    key: str
    expected: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        """Return the report shape `{turn, key, expected, actual}`."""
        return {
            "turn": self.turn,
            "key": self.key,
            "expected": self.expected,
            "actual": self.actual,
        }


# -- what a turn shows, in rank order -------------------------------------------------------
def ranked_urls(output: TurnOutput) -> list[str]:
    """Return the URLs of the turn's `links` and `cards` blocks, in display (rank) order."""
    urls: list[str] = []
    for block in output.ui_blocks:
        if isinstance(block, LinksBlock):
            urls.extend(link.url for link in block.links)
        elif isinstance(block, CardsBlock):
            urls.extend(card.url for card in block.cards)
    return urls


def ranked_contacts(output: TurnOutput) -> list[Contact]:
    """Return the contacts of the turn's `contacts` blocks, best first."""
    return [c for b in output.ui_blocks if isinstance(b, ContactsBlock) for c in b.contacts]


def released_documents(output: TurnOutput) -> list[DocumentLink]:
    """Return the documents that carry a URL in the turn's `documents` blocks, in order."""
    return [
        d for b in output.ui_blocks if isinstance(b, DocumentsBlock) for d in b.documents if d.url
    ]


def document_names(document: DocumentLink) -> list[str]:
    """Return the names a document answers to: its title and, when given, its file name."""
    data = document.model_dump()
    names = [document.title]
    names.extend(str(data[f]) for f in _FILE_NAME_FIELDS if data.get(f))
    return names


def contact_keys(contact: Contact) -> list[str]:
    """Return the contact's name, email and phone, case-folded (what `contacts_any` compares)."""
    return [v.strip().casefold() for v in (contact.name, contact.email, contact.phone) if v]


def serialized(output: TurnOutput) -> str:
    """Return the TurnOutput as JSON text followed by its raw string values.

    The raw values are appended so a needle with quotes or backslashes, which JSON
    escapes, is still found.
    """
    return output.model_dump_json() + "\n" + "\n".join(_strings(output.model_dump()))


def document_urls(output: TurnOutput) -> list[str]:
    """Return every document URL in the output: any URL in a `documents` block, any `/d/` link."""
    found = [d.url for b in output.ui_blocks if isinstance(b, DocumentsBlock) for d in b.documents]
    found.extend(m.group(0) for m in _SIGNED_LINK.finditer(serialized(output)))
    return list(dict.fromkeys(u for u in found if u))


def block_types(output: TurnOutput) -> list[str]:
    """Return the types of the turn's UI blocks, in display order."""
    return [block.type for block in output.ui_blocks]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


# -- ranks (shared with the metrics) ------------------------------------------------------------
RETRIEVAL_KEYS: tuple[str, ...] = ("urls_any", "contacts_any", "documents_any")
"""Keys whose expected items are ranked; hit@3 and MRR are computed over them."""


def first_rank(key: str, expected: list[str], output: TurnOutput | None) -> int | None:
    """Return the 1-based position of the first ranked item matching any expected value.

    The ranked items are the turn's link/card URLs (`urls_any`), its contacts
    (`contacts_any`, matched on name, email or phone, case-insensitively) or its
    released documents (`documents_any`, matched on title or file name). None when no
    item matches or there is no output.
    """
    if output is None:
        return None
    if key == "urls_any":
        wanted = set(expected)
        items: list[Any] = ranked_urls(output)
        match: Callable[[Any], bool] = lambda url: url in wanted  # noqa: E731
    elif key == "contacts_any":
        folded = {e.strip().casefold() for e in expected}
        items = ranked_contacts(output)
        match = lambda c: any(k in folded for k in contact_keys(c))  # noqa: E731
    elif key == "documents_any":
        wanted = set(expected)
        items = released_documents(output)
        match = lambda d: any(n in wanted for n in document_names(d))  # noqa: E731
    else:
        raise ValueError(f"{key!r} is not a ranked expectation")
    for position, item in enumerate(items, start=1):
        if match(item):
            return position
    return None


# -- the checks ---------------------------------------------------------------------------------
def check_turn(expect: Mapping[str, Any], output: TurnOutput, *, turn: int) -> list[Failure]:
    """Return the failed expectations of one turn (an empty list: the turn passes)."""
    failures = []
    for key, expected in expect.items():
        check = _CHECKS.get(key)
        if check is None:
            raise ValueError(f"unknown expectation key {key!r}")
        passed, actual = check(expected, output)
        if not passed:
            failures.append(Failure(turn=turn, key=key, expected=expected, actual=actual))
    return failures


def _intent(expected: str | list[str], out: TurnOutput) -> tuple[bool, Any]:
    accepted = [expected] if isinstance(expected, str) else expected
    return out.intent in accepted, out.intent


def _tool(expected: str | None, out: TurnOutput) -> tuple[bool, Any]:
    return out.tool == expected, out.tool


def _urls_any(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    top = ranked_urls(out)[:TOP_K]
    return any(u in top for u in expected), top


def _urls_all(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    urls = ranked_urls(out)
    return all(u in urls for u in expected), urls


def _contacts_any(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    top = ranked_contacts(out)[:TOP_K]
    folded = {e.strip().casefold() for e in expected}
    passed = any(k in folded for c in top for k in contact_keys(c))
    return passed, [{"name": c.name, "email": c.email, "phone": c.phone} for c in top]


def _documents_any(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    names = [n for d in released_documents(out) for n in document_names(d)]
    return any(e in names for e in expected), names


def _gated(expected: bool, out: TurnOutput) -> tuple[bool, Any]:
    has_form = any(isinstance(b, LeadFormBlock) for b in out.ui_blocks)
    urls = document_urls(out)
    released = bool(released_documents(out))
    passed = (has_form and not urls) if expected else released
    return passed, {"lead_form": has_form, "documents_released": released, "document_urls": urls}


def _ui_blocks_any(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    types = block_types(out)
    return any(t in types for t in expected), types


def _text_contains_any(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    text = out.text.casefold()
    return any(e.casefold() in text for e in expected), out.text


def _text_contains_all(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    text = out.text.casefold()
    return all(e.casefold() in text for e in expected), out.text


def _not_contains(expected: list[str], out: TurnOutput) -> tuple[bool, Any]:
    haystack = serialized(out)
    found = [e for e in expected if e in haystack]
    return not found, {"found": found}


def _fallback(expected: bool, out: TurnOutput) -> tuple[bool, Any]:
    return out.fallback == expected, out.fallback


_CHECKS: dict[str, Callable[[Any, TurnOutput], tuple[bool, Any]]] = {
    "intent": _intent,
    "tool": _tool,
    "urls_any": _urls_any,
    "urls_all": _urls_all,
    "contacts_any": _contacts_any,
    "documents_any": _documents_any,
    "gated": _gated,
    "ui_blocks_any": _ui_blocks_any,
    "text_contains_any": _text_contains_any,
    "text_contains_all": _text_contains_all,
    "not_contains": _not_contains,
    "fallback": _fallback,
}
