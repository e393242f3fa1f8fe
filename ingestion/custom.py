"""Parse custom text: Q/A pairs (question headings, Q:/A: lines) and plain sections."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from ingestion.chunking import chunk_text, normalize_whitespace
from ingestion.records import Chunk, QAEntry


@dataclass(slots=True)
class CustomQA:
    """A Q/A pair and the category heading it was written under ("" when none)."""

    entry: QAEntry
    category: str = ""

    @property
    def question(self) -> str:
        """The question, as plain text."""
        return self.entry.question

    @property
    def answer(self) -> str:
        """The answer, as plain text with link URLs kept visible."""
        return self.entry.answer


@dataclass(slots=True)
class CustomContent:
    """Custom text after parsing: Q/A pairs and plain-text chunks, in document order."""

    items: list[CustomQA | Chunk] = field(default_factory=list)

    @property
    def qa(self) -> list[CustomQA]:
        """The Q/A pairs, in document order."""
        return [item for item in self.items if isinstance(item, CustomQA)]

    @property
    def chunks(self) -> list[Chunk]:
        """The chunks of text that is not a Q/A pair; `section` is its heading path."""
        return [item for item in self.items if isinstance(item, Chunk)]


@dataclass(frozen=True, slots=True)
class CustomEntry:
    """One stored unit of custom text: a Q/A pair, or a passage of plain text (no question)."""

    question: str
    answer: str
    category: str = ""
    section: str = ""


def entries_of(content: CustomContent) -> Iterator[CustomEntry]:
    """Yield the content as storable entries, in document order."""
    for item in content.items:
        if isinstance(item, CustomQA):
            yield CustomEntry(item.question, item.answer, item.category, item.category)
        else:
            yield CustomEntry("", item.text, "", item.section)


def parse_custom(text: str) -> CustomContent:
    """Split custom text into Q/A pairs (with their category) and chunks of the rest."""
    lines = _setext_to_atx(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    references, lines = _reference_definitions(lines)
    parser = _Parser(references)
    for line in lines:
        parser.feed(line)
    return CustomContent(parser.finish())


# -- recognising questions -------------------------------------------------------------------
_WH_WORDS = frozenset("how what why when where who whom whose which".split())
_AUXILIARIES = frozenset(
    """can could do does did is are was were will would should shall may might must have has
    had am can't cannot don't doesn't didn't isn't aren't wasn't won't wouldn't shouldn't
    couldn't haven't hasn't""".split()
)
# After an auxiliary, a subject makes a question ("Can I…", "Does the…"); "May 2026 update"
# or "Will writing services" have none.
_SUBJECTS = frozenset(
    """i you we they it he she my your our their its the a an this that these those there
    someone anyone anybody somebody one""".split()
)
_NUMBERING = re.compile(r"^\s*(?:(?:q|question)\s*\d*\s*[:.]|\d+[.)]|[a-z][.)](?=\s))\s*", re.I)


def is_question(text: str) -> bool:
    """Tell whether a heading or line reads as a question (a "?" or a question opening)."""
    plain = _NUMBERING.sub("", _inline(text)).strip()
    if plain.endswith(("?", "？", "؟")):
        return True
    words = re.findall(r"[^\W_]+(?:['’][^\W_]+)?", plain.casefold().replace("’", "'"))
    if len(words) < 2:
        return False
    first = words[0].removesuffix("'s")  # "What's new"
    if first in _WH_WORDS:
        return True
    return first in _AUXILIARIES and len(words) >= 3 and words[1] in _SUBJECTS


# -- line classification ---------------------------------------------------------------------
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MARKER = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*(q|question|a|ans|answer)\s*\d*\s*([:.])\s*(?:\*\*|__)?\s*(.*)$",
    re.I,
)
_INLINE_ANSWER = re.compile(r"\s+(?:\*\*|__)?(?:A|Answer)\s*:\s*(?:\*\*|__)?\s*")
_BOLD_QUESTION = re.compile(r"^\s*(\*\*|__)(.+?\?)\1\s*(.*)$")
_CODE = "\x01"  # marks a line from a code block: kept verbatim by to_plain_text
_REFERENCE = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*[\"')])?\s*$")


def _marker(line: str) -> tuple[Literal["q", "a"], str] | None:
    match = _MARKER.match(line)
    if not match:
        return None
    word, punct, rest = match.groups()
    if punct == "." and len(word) == 1 and word.islower():
        return None  # "a. first option" is a list item, not an answer
    return ("q" if word[0] in "qQ" else "a"), rest


def _setext_to_atx(lines: list[str]) -> list[str]:
    """Rewrite setext headings (a line underlined with === or ---) as ATX "#" headings."""
    out = list(lines)
    for i in range(1, len(out)):
        underline = re.fullmatch(r" {0,3}(=+|-+)\s*", out[i])
        above = out[i - 1]
        starts_paragraph = i < 2 or not out[i - 2].strip()
        if (
            underline
            and above.strip()
            and starts_paragraph
            and not _HEADING.match(above)
            and not _marker(above)
            and not re.match(r"^\s*([-*+>]|\d+[.)])\s", above)
        ):
            level = "#" if underline.group(1)[0] == "=" else "##"
            out[i - 1], out[i] = f"{level} {above.strip()}", ""
    return out


def _reference_definitions(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Collect "[label]: url" definitions (used by reference links) and drop their lines."""
    references: dict[str, str] = {}
    kept: list[str] = []
    for line in lines:
        match = _REFERENCE.match(line)
        if match:
            references[match.group(1).strip().casefold()] = match.group(2)
        else:
            kept.append(line)
    return references, kept


# -- the parser ------------------------------------------------------------------------------
@dataclass
class _Heading:
    level: int
    text: str
    question: bool


@dataclass
class _OpenQA:
    kind: Literal["heading", "marker", "bold"]
    level: int
    category: str
    question: list[str]
    answer: list[str] = field(default_factory=list)
    answering: bool = False
    """For Q:/A: pairs: the question is complete and lines now belong to the answer."""
    question_done: bool = False


class _Parser:
    """A line-by-line state machine: open headings, the open Q/A pair, plain text lines."""

    def __init__(self, references: dict[str, str]) -> None:
        self.references = references
        self.items: list[CustomQA | Chunk] = []
        self.stack: list[_Heading] = []
        self.plain: list[str] = []
        self.open: _OpenQA | None = None
        self.fence: str | None = None
        self.after_blank = True

    def feed(self, line: str) -> None:
        """Consume one line of the document."""
        fence = _FENCE.match(line)
        if fence and self.fence in (None, fence.group(1)[0]):
            self.fence = None if self.fence else fence.group(1)[0]
        elif self.fence:
            self._text(_CODE + line)  # code is content: no headings or markers inside it
        elif heading := _HEADING.match(line):
            self._heading(len(heading.group(1)), heading.group(2))
        elif marker := _marker(line):
            self._marker(*marker, line)
        elif (bold := _BOLD_QUESTION.match(line)) and self._bold_allowed():
            qa = _OpenQA("bold", 7, self._category(), [bold.group(2)], answering=True)
            self._start(qa, bold.group(3))
        elif _RULE.match(line) and self.open and self.open.kind != "heading":
            self._close()
        else:
            self._text("" if _RULE.match(line) else line)
        self.after_blank = not line.strip()

    def finish(self) -> list[CustomQA | Chunk]:
        """Close what is open and return the items in document order."""
        self._close()
        self._flush_plain()
        return self.items

    def _heading(self, level: int, text: str) -> None:
        question = is_question(text)
        if self.open and self.open.kind == "heading" and level > self.open.level and not question:
            self.open.answer.extend(["", text, ""])  # a sub-heading inside the answer
            return
        self._close()
        self._flush_plain()
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        category = self._category()
        self.stack.append(_Heading(level, _inline(text, self.references), question))
        if question:
            self.open = _OpenQA("heading", level, category, [text], answering=True)

    def _marker(self, kind: Literal["q", "a"], rest: str, line: str) -> None:
        if kind == "q":
            question, answer = _split_inline_answer(rest)
            self._start(_OpenQA("marker", 7, self._category(), [question]), answer)
        elif self.open and self.open.kind == "marker" and not self.open.answering:
            self.open.answering = True
            self.open.answer.append(rest)
        else:
            self._text(line)  # an "A:" with no open question is ordinary text

    def _start(self, qa: _OpenQA, answer: str) -> None:
        self._close()
        self._flush_plain()
        self.open = qa
        if answer.strip():
            qa.answering = True
            qa.answer.append(answer)

    def _bold_allowed(self) -> bool:
        # A bold question opening a paragraph starts a pair, except inside the answer
        # under a question heading, where it is the answer's own emphasis.
        return self.after_blank and (self.open is None or self.open.kind != "heading")

    def _text(self, line: str) -> None:
        qa = self.open
        if qa is None:
            self.plain.append(line)
        elif qa.answering:
            qa.answer.append(line)
        elif not line.strip():
            qa.question_done = bool("".join(qa.question).strip())
        elif qa.question_done or " ".join(qa.question).rstrip(" *_").endswith("?"):
            qa.answering = True  # "Q: …?" answered on the next lines without "A:"
            qa.answer.append(line)
        else:
            qa.question.append(line)

    def _close(self) -> None:
        qa, self.open = self.open, None
        if qa is None:
            return
        question = _question_text(" ".join(qa.question), self.references)
        answer = to_plain_text("\n".join(qa.answer), self.references)
        if question and answer:
            self.items.append(CustomQA(QAEntry(question, answer), qa.category))
        elif qa.kind == "heading":
            # A question heading with nothing under it groups the questions that follow.
            self.stack[-1].question = False
        else:
            self.plain.append(question or answer)  # half a pair is still content

    def _flush_plain(self) -> None:
        text = to_plain_text("\n".join(self.plain), self.references)
        self.plain = []
        if text:
            section = " > ".join(h.text for h in self.stack)
            self.items.extend(chunk_text(text, section=section))

    def _category(self) -> str:
        """Return the innermost open heading that is not itself a question."""
        for heading in reversed(self.stack):
            if not heading.question:
                return heading.text
        return ""


def _split_inline_answer(rest: str) -> tuple[str, str]:
    """Split "How? A: Like this." written on one line into question and answer."""
    parts = _INLINE_ANSWER.split(rest, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (rest, "")


def _question_text(text: str, references: dict[str, str]) -> str:
    text = _NUMBERING.sub("", _inline(text.replace(_CODE, ""), references))
    return text.strip(" *_")


# -- markdown to plain text ------------------------------------------------------------------
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[([^\]]*)\]")
_SHORTCUT_LINK = re.compile(r"\[([^\]]+)\](?![(\[:])")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|mailto:[^>\s]+|[^@>\s]+@[^>\s]+)>")
_URL = re.compile(r"(?:https?|ftp)://[^\s)>\]]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
_EMPHASIS = (
    re.compile(r"\*\*(?!\s)(.+?)(?<!\s)\*\*"),
    re.compile(r"(?<!\w)__(?!\s)(.+?)(?<!\s)__(?!\w)"),
    re.compile(r"~~(?!\s)(.+?)(?<!\s)~~"),
    re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])"),
    re.compile(r"(?<!\w)_(?![\s_])(.+?)(?<![\s_])_(?!\w)"),
    re.compile(r"`+([^`]+?)`+"),
)


def to_plain_text(markdown: str, references: dict[str, str] | None = None) -> str:
    """Render markdown as plain text: emphasis dropped, links as "text (url)", paragraphs kept."""
    lines = [_plain_line(line, references) for line in markdown.split("\n")]
    return normalize_whitespace("\n".join(line for line in lines if line is not None))


def _plain_line(line: str, references: dict[str, str] | None) -> str | None:
    if line.startswith(_CODE):
        return line[len(_CODE) :]  # code is kept exactly
    if re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line):
        return None  # a table's alignment row carries no text
    line = re.sub(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$", r"\1", line)  # heading marks
    line = re.sub(r"^\s*(?:>\s?)+", "", line)  # blockquote marks
    line = re.sub(r"^(\s*)[*+](\s+)", r"\1-\2", line)  # one bullet style
    line = re.sub(r"<br\s*/?>", "\n", line, flags=re.I)
    return _inline(line, references)


def _inline(text: str, references: dict[str, str] | None = None) -> str:
    """Render inline markdown as plain text, keeping every URL visible."""
    refs = references or {}
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(lambda m: _link(m.group(1), m.group(2)), text)
    if refs:
        text = _REF_LINK.sub(lambda m: _link(m[1], refs.get((m[2] or m[1]).casefold(), "")), text)
        text = _SHORTCUT_LINK.sub(
            lambda m: _link(m[1], refs[m[1].casefold()]) if m[1].casefold() in refs else m[0],
            text,
        )
    text = _AUTOLINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    # URLs and escaped characters are set aside so emphasis rules cannot eat their "_" or "*".
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    text = _URL.sub(lambda m: keep(m.group(0)), text)
    text = _ESCAPE.sub(lambda m: keep(m.group(1)), text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _link(label: str, url: str) -> str:
    url = url.removeprefix("mailto:")
    if not url:
        return label
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).rstrip("/")
    if label.strip() in (url, bare) or re.sub(r"^(?:www\.)", "", label.strip()) == bare:
        return url
    return f"{label} ({url})"
