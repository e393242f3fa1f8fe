"""The output guard: before capture, no document URL or file name leaves the graph."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_SIGNED_LINK = re.compile(r"/d/[A-Za-z0-9_\-]{16,}(?:\.[A-Za-z0-9_\-]+)?")


def forbidden_terms(file_names: Iterable[str]) -> list[str]:
    """Return the lower-cased strings that must not appear before capture."""
    terms = set()
    for name in file_names:
        if not name:
            continue
        terms.add(name.lower())
        base = name.rsplit("/", 1)[-1].lower()
        terms.add(base)
    return sorted((t for t in terms if len(t) >= 5), key=len, reverse=True)


def leaks(text: str, terms: Iterable[str]) -> bool:
    """Return True when the text carries a signed link or a forbidden file name."""
    lowered = text.lower()
    return bool(_SIGNED_LINK.search(text)) or any(term in lowered for term in terms)


def guard_output(
    text: str,
    blocks: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    *,
    captured: bool,
    terms: list[str],
    safe_text: str,
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], bool]:
    """Enforce the gate on a composed turn; return (text, blocks, citations, tripped)."""
    if captured:
        return text, blocks, citations, False
    tripped = False
    kept_blocks = []
    for block in blocks:
        if block.get("type") == "documents" or leaks(json.dumps(block), terms):
            tripped = True
            continue
        kept_blocks.append(block)
    kept_citations = []
    for citation in citations:
        if leaks(json.dumps(citation), terms):
            tripped = True
            continue
        kept_citations.append(citation)
    if leaks(text, terms):
        text, tripped = safe_text, True
    return text, kept_blocks, kept_citations, tripped


class StreamGuard:
    """Holds back the tail of a token stream so a forbidden term is never half-emitted."""

    def __init__(self, terms: list[str], *, captured: bool) -> None:
        self.terms = terms
        self.captured = captured
        self.buffer = ""
        self.emitted = ""
        self.tripped = False
        self.hold = max([len(t) for t in terms] + [64])

    def push(self, token: str) -> str:
        """Add a token; return what is now safe to send."""
        if self.tripped:
            return ""
        self.buffer += token
        if not self.captured and leaks(self.emitted + self.buffer, self.terms):
            self.tripped = True
            return ""
        if self.captured:
            out, self.buffer = self.buffer, ""
        else:
            cut = max(0, len(self.buffer) - self.hold)
            out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        self.emitted += out
        return out

    def flush(self) -> str:
        """Return the held-back tail at the end of the stream (if still safe)."""
        if self.tripped:
            return ""
        if not self.captured and leaks(self.emitted + self.buffer, self.terms):
            self.tripped = True
            return ""
        out, self.buffer = self.buffer, ""
        self.emitted += out
        return out
