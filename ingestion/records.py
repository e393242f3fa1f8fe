"""What loaders produce: plain records, independent of storage and embedding."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

PageKind = Literal["product", "article", "contact", "other"]

INDEX_VERSION = 4
"""How items are chunked and embedded. Raising it re-embeds every source on its next sync
(started automatically at start-up), so a chunking change never mixes with old chunks."""


def content_hash(*parts: Any) -> str:
    """Return a stable SHA-256 over the given values (used for incremental re-sync)."""
    digest = hashlib.sha256()
    for part in parts:
        if not isinstance(part, str | bytes):
            part = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str)
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x1f")
    return digest.hexdigest()


@dataclass(slots=True)
class Chunk:
    """A passage to index: text plus where it sits (section heading path, page number)."""

    text: str
    section: str = ""
    page_number: int | None = None


@dataclass(slots=True)
class PageRecord:
    """One web page after extraction."""

    url: str
    title: str
    description: str
    text: str
    kind: PageKind = "other"
    thumbnail_url: str | None = None
    keywords: list[str] = field(default_factory=list)
    summary: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    price: str | None = None
    """A price shown on a product page, as written (e.g. "$4,990")."""

    @property
    def content_hash(self) -> str:
        """Hash of everything stored for the page."""
        return content_hash(
            self.url,
            self.title,
            self.description,
            self.text,
            self.kind,
            self.thumbnail_url,
            self.price,
        )


@dataclass(slots=True)
class ContactRecord:
    """One sheet row as a contact: every column kept, common ones recognised."""

    row_number: int
    """1-based data row number in the sheet (the header is row 0)."""
    fields: dict[str, str]
    """Every column of the row: original header → value, as strings."""
    name: str | None = None
    role: str | None = None
    department: str | None = None
    region: str | None = None
    email: str | None = None
    phone: str | None = None
    languages: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        """Hash of the row's values."""
        return content_hash(self.fields)


@dataclass(slots=True)
class QAEntry:
    """A question and its answer from custom text."""

    question: str
    answer: str


@dataclass(slots=True)
class DocumentRecord:
    """One document after partitioning."""

    filename: str
    title: str
    text: str
    summary: str
    tags: list[str]
    chunks: list[Chunk]
    page_count: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class LoaderError(Exception):
    """An item could not be loaded; the message says why in terms a user can act on."""
