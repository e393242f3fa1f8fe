"""Split text into passages that embed well: paragraph-packed, sentence-split when long."""

from __future__ import annotations

import re

from ingestion.records import Chunk

DEFAULT_MAX_CHARS = 700
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_BLANK = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\f\v]+")


def normalize_whitespace(text: str) -> str:
    """Collapse runs of spaces, keep paragraph breaks."""
    paragraphs = (_SPACES.sub(" ", p).strip() for p in _BLANK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def split_sentences(text: str) -> list[str]:
    """Split on sentence ends; good enough for packing chunks, not for linguistics."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _pieces(paragraph: str, max_chars: int) -> list[str]:
    if len(paragraph) <= max_chars:
        return [paragraph]
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(paragraph):
        while len(sentence) > max_chars:  # one enormous "sentence": cut at a space
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def chunk_text(
    text: str,
    *,
    section: str = "",
    page_number: int | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[Chunk]:
    """Pack paragraphs of `text` into chunks of at most `max_chars` characters."""
    chunks: list[Chunk] = []
    current: list[str] = []
    size = 0
    for paragraph in _BLANK.split(normalize_whitespace(text)):
        for piece in _pieces(paragraph, max_chars):
            if current and size + 2 + len(piece) > max_chars:
                chunks.append(Chunk("\n\n".join(current), section, page_number))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 2
    if current:
        chunks.append(Chunk("\n\n".join(current), section, page_number))
    return chunks


def chunk_sections(
    sections: list[tuple[str, str, int | None]], *, max_chars: int = DEFAULT_MAX_CHARS
) -> list[Chunk]:
    """Chunk (heading path, text, page number) sections; chunks never span sections."""
    out: list[Chunk] = []
    for heading, text, page in sections:
        out.extend(chunk_text(text, section=heading, page_number=page, max_chars=max_chars))
    return out
