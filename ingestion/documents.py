"""Turn an uploaded document (PDF, DOCX, Markdown, text, HTML) into a DocumentRecord."""

from __future__ import annotations

import html
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import docx
from lxml import html as lxml_html
from pypdf import PdfReader

from ingestion.chunking import DEFAULT_MAX_CHARS, chunk_sections
from ingestion.records import DocumentRecord, LoaderError
from ingestion.text import keywords, summarize
from ingestion.unstructured_offline import SUPPORTED_EXTENSIONS, extension, partition

if TYPE_CHECKING:
    from unstructured.documents.elements import Element

BlockKind = Literal["heading", "text", "list", "table"]

_FORMATS = {
    "pdf": "pdf",
    "docx": "docx",
    "md": "md",
    "markdown": "md",
    "txt": "txt",
    "html": "html",
    "htm": "html",
}
_FORMAT_NAMES = {
    "pdf": "PDF",
    "docx": "Word document",
    "md": "Markdown file",
    "txt": "text file",
    "html": "HTML page",
}
# Formats whose headings come from markup (styles, #, <h1>), so unstructured's Title and
# category_depth can be trusted; PDF and plain-text titles are guessed from the text.
_MARKUP_FORMATS = frozenset({"docx", "md", "html"})
_RUNNING_MATTER = frozenset({"Header", "Footer", "PageNumber"})
_SKIPPED = frozenset({"PageBreak", "Image"})
_MAX_HEADING_DEPTH = 4
_PAGE_BAND = 0.12
"""Share of the page height at top and bottom where running headers and footers sit."""

_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled|document|doc|title|no title|new document|presentation|slide|book)\s*\d*$", re.I
)
_PRINTED_FROM_APP = re.compile(r"^microsoft \w+ - ", re.I)
_FILE_NAME_LIKE = re.compile(r"\.(pdf|docx?|txt|md|html?|rtf|odt|pages|pptx?|xlsx?)$", re.I)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_HTML_AUTHOR = re.compile(
    rb"<meta\s+[^>]*name=[\"']author[\"'][^>]*content=[\"']([^\"']*)[\"']", re.I
)
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: .doc, or an encrypted .docx
_SENTENCE_END = (".", "!", "?", ":")


@dataclass(slots=True)
class _FileInfo:
    """What the file says about itself, read without unstructured."""

    title: str = ""
    author: str = ""
    created: str | None = None
    page_count: int | None = None


@dataclass(slots=True)
class _Block:
    """One heading, paragraph, list item or table, in reading order."""

    kind: BlockKind
    text: str
    page: int | None = None
    depth: int | None = None


@dataclass(slots=True)
class _Section:
    """Consecutive body blocks under one heading path on one page."""

    path: list[str]
    page: int | None
    parts: list[str] = field(default_factory=list)


def parse_document(data: bytes, filename: str) -> DocumentRecord:
    """Parse an uploaded file into a DocumentRecord with title, chunks, summary and tags.

    Raises LoaderError, with a message a user can act on, for unsupported types, empty,
    corrupt or password-protected files, and documents without extractable text.
    """
    fmt = _format_of(filename)
    if not data:
        raise LoaderError(f"{filename}: the file is empty")
    info = _read_info(data, filename, fmt)
    source, parse_as = data, filename
    if fmt == "txt" and (markdown := _structured_text_as_markdown(data)) is not None:
        # Plain text written with underlined or #-headings is Markdown in all but name:
        # parsing it as such keeps its title and sections.
        source, parse_as = markdown, filename.rsplit(".", 1)[0] + ".md"
    try:
        elements = partition(source, parse_as)
    except Exception as exc:  # any parser failure on user input means "unreadable file"
        raise _unreadable(filename, fmt, exc) from exc
    blocks = list(_blocks(elements, fmt))
    if not blocks:
        raise LoaderError(f"{filename}: {_no_text_reason(fmt)}")
    if all(b.kind == "heading" for b in blocks):  # a file of short lines: they are the content
        blocks = [_Block("text", b.text, b.page) for b in blocks]
    headings = [b.text for b in blocks if b.kind == "heading"]
    title = _choose_title(info.title, headings, filename)
    body = [b for b in blocks if b.kind != "heading"]
    prose = "\n\n".join(b.text for b in body if b.kind == "text")  # lists/tables summarise badly
    body_text = "\n\n".join(b.text for b in body)
    return DocumentRecord(
        filename=filename,
        title=title,
        text="\n\n".join(b.text for b in blocks),
        summary=summarize(prose or body_text),
        tags=keywords(body_text, boost=" ".join([title, *headings])),
        chunks=chunk_sections(_sections(blocks, title)),
        page_count=info.page_count,
        metadata=_metadata(info, fmt, len(data)),
    )


_SETEXT = re.compile(r"^(?P<text>[^\n]*\S[^\n]*)\n(?P<rule>={3,}|-{3,})[ \t]*$", re.MULTILINE)
_ATX = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)


def _structured_text_as_markdown(data: bytes) -> bytes | None:
    """Return the text with setext headings turned into # headings, if it uses headings."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not _SETEXT.search(text) and not _ATX.search(text):
        return None

    def atx(match: re.Match[str]) -> str:
        level = "#" if match["rule"].startswith("=") else "##"
        return f"{level} {match['text'].strip()}"

    return _SETEXT.sub(atx, text).encode("utf-8")


# -- file checks and metadata --------------------------------------------------------------
def _format_of(filename: str) -> str:
    ext = extension(filename)
    if ext == "doc":
        raise LoaderError(
            f"{filename}: Word 97-2003 (.doc) files are not supported; save it as .docx"
        )
    if ext not in SUPPORTED_EXTENSIONS:
        raise LoaderError(
            f"{filename}: unsupported file type; upload a PDF, Word (.docx), Markdown, "
            "text or HTML file"
        )
    return _FORMATS[ext]


def _read_info(data: bytes, filename: str, fmt: str) -> _FileInfo:
    if fmt == "pdf":
        return _pdf_info(data, filename)
    if fmt == "docx":
        return _docx_info(data, filename)
    if fmt == "html":
        return _html_info(data)
    return _FileInfo()


def _pdf_info(data: bytes, filename: str) -> _FileInfo:
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on malformed input; all mean corrupt
        raise _unreadable(filename, "pdf", exc) from exc
    # An owner-password-only PDF opens without a password; only a user password blocks us.
    if encrypted and not _decrypts_without_password(reader):
        raise LoaderError(
            f"{filename}: the PDF is password-protected; upload a copy without a password"
        )
    try:
        page_count = len(reader.pages)
    except Exception as exc:
        raise _unreadable(filename, "pdf", exc) from exc
    info = _FileInfo(page_count=page_count)
    try:
        meta = reader.metadata
        if meta is not None:
            info.title = _clean(meta.title)
            info.author = _clean(meta.author)
            info.created = _iso(meta.creation_date)
    except Exception:  # unparsable metadata (bad dates, odd encodings) is not worth failing on
        pass
    return info


def _decrypts_without_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an unsupported cipher reads as "cannot open", the same for the user
        return False


def _docx_info(data: bytes, filename: str) -> _FileInfo:
    if data.startswith(_CFB_MAGIC):
        raise LoaderError(
            f"{filename}: the Word document is password-protected or in the old .doc "
            "format; save it as an unprotected .docx"
        )
    try:
        props = docx.Document(io.BytesIO(data)).core_properties
    except Exception as exc:  # bad zip, missing parts, bad XML: all mean corrupt
        raise _unreadable(filename, "docx", exc) from exc
    return _FileInfo(
        title=_clean(props.title), author=_clean(props.author), created=_iso(props.created)
    )


def _html_info(data: bytes) -> _FileInfo:
    head = data[:65536]  # <title> and <meta> live in <head>
    return _FileInfo(title=_html_value(_HTML_TITLE, head), author=_html_value(_HTML_AUTHOR, head))


def _html_value(pattern: re.Pattern[bytes], head: bytes) -> str:
    found = pattern.search(head)
    return _clean(html.unescape(found.group(1).decode("utf-8", "replace"))) if found else ""


def _metadata(info: _FileInfo, fmt: str, size: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"format": fmt, "size": size}
    if info.author:
        meta["author"] = info.author
    if info.created:
        meta["created"] = info.created
    return meta


def _unreadable(filename: str, fmt: str, exc: BaseException) -> LoaderError:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
    if isinstance(exc, UnicodeError) or "file encoding" in reason:
        # unstructured's own wording here ("Specify ... with encoding=") is meant for coders.
        reason = "its character encoding was not recognised; save it as UTF-8"
    return LoaderError(f"{filename}: the {_FORMAT_NAMES[fmt]} could not be read ({reason})")


def _no_text_reason(fmt: str) -> str:
    if fmt == "pdf":
        return "no text could be extracted; scanned PDFs need OCR, which is not enabled"
    return "no text could be extracted; the document is empty"


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


# -- title ---------------------------------------------------------------------------------
def _choose_title(meta_title: str, headings: list[str], filename: str) -> str:
    if _is_meaningful_title(meta_title, filename):
        return meta_title
    if headings:
        return headings[0]
    return _title_from_filename(filename)


def _is_meaningful_title(title: str, filename: str) -> bool:
    if len(title) < 3 or _PLACEHOLDER_TITLE.match(title) or _PRINTED_FROM_APP.match(title):
        return False
    if _FILE_NAME_LIKE.search(title):
        return False
    name = _base_name(filename)
    stem = name.rsplit(".", 1)[0]
    return _loose(title) not in {_loose(name), _loose(stem)}


def _title_from_filename(filename: str) -> str:
    name = _base_name(filename)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    pretty = " ".join(re.split(r"[\s_.-]+", stem)).strip()
    if not pretty:
        return name
    return pretty[0].upper() + pretty[1:] if pretty.islower() else pretty


def _base_name(filename: str) -> str:
    return re.split(r"[\\/]", filename)[-1]


def _loose(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


# -- elements → blocks ---------------------------------------------------------------------
@dataclass(slots=True)
class _Piece:
    """The parts of an unstructured element this module uses, read once."""

    category: str
    text: str
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    """x0, y0, x1, y1 in page points (PDF only)."""
    page_height: float | None = None
    depth: int | None = None
    table_html: str | None = None


def _pieces(elements: list[Element]) -> list[_Piece]:
    """Read elements into pieces, dropping empty ones and pages' furniture."""
    pieces: list[_Piece] = []
    bullet_page: int | None | bool = False
    for el in elements:
        meta = el.metadata
        text = _flat(el.text)
        if not text:
            # pdfminer sometimes returns a bullet on its own; the next element is the item.
            bullet_page = meta.page_number if el.category == "ListItem" else False
            continue
        if el.category in _SKIPPED:
            continue
        category = el.category
        if bullet_page is not False and bullet_page == meta.page_number:
            category = "ListItem"
        bullet_page = False
        coords = meta.coordinates
        pieces.append(
            _Piece(
                category,
                text,
                meta.page_number,
                _box(coords),
                getattr(getattr(coords, "system", None), "height", None),
                meta.category_depth,
                getattr(meta, "text_as_html", None),
            )
        )
    return pieces


def _box(coords: Any) -> tuple[float, float, float, float] | None:
    if coords is None or not coords.points:
        return None
    xs = [p[0] for p in coords.points]
    ys = [p[1] for p in coords.points]
    return min(xs), min(ys), max(xs), max(ys)


def _blocks(elements: list[Element], fmt: str) -> Iterator[_Block]:
    """Yield headings, paragraphs, list items and tables with running matter removed."""
    kept = _without_running_matter(_pieces(elements), fmt)
    lines = _rows(kept) if fmt == "pdf" else [[piece] for piece in kept]
    previous: _Block | None = None
    for line in lines:
        block = _block(line, fmt)
        if previous is not None and _continues(previous, block, fmt):
            previous.text = f"{previous.text} {block.text}"
            continue
        if previous is not None and previous.kind == block.kind == "table" and len(line) > 1:
            previous.text = f"{previous.text}\n{block.text}"  # next row of the same PDF table
            continue
        if previous is not None:
            yield from _split_table(previous)
        previous = block
    if previous is not None:
        yield from _split_table(previous)


def _without_running_matter(pieces: list[_Piece], fmt: str) -> list[_Piece]:
    repeated = _repeated_lines(pieces) if fmt == "pdf" else set()
    kept = []
    for piece in pieces:
        if piece.category == "PageNumber":
            continue
        if fmt == "pdf" and _in_page_band(piece) and _line_key(piece.text) in repeated:
            continue
        if piece.category in _RUNNING_MATTER and (
            fmt != "pdf" or _looks_like_running_matter(piece.text)
        ):
            continue
        kept.append(piece)
    return kept


def _repeated_lines(pieces: list[_Piece]) -> set[str]:
    """Return keys of lines at the top or bottom of most pages (running headers/footers)."""
    pages_by_line: defaultdict[str, set[int]] = defaultdict(set)
    pages = {piece.page for piece in pieces if piece.page}
    for piece in pieces:
        if piece.page and _in_page_band(piece):
            pages_by_line[_line_key(piece.text)].add(piece.page)
    needed = max(2, math.ceil(len(pages) / 2))
    return {line for line, on in pages_by_line.items() if len(on) >= needed}


def _line_key(text: str) -> str:
    # "Page 3 of 9" and "Page 4 of 9" are the same running line.
    return re.sub(r"\d+", "#", text.casefold())


def _looks_like_running_matter(text: str) -> bool:
    # unstructured calls anything in the top/bottom 7% of a PDF page a header/footer; a real
    # sentence there (a tight top margin) is body text.
    return len(text.split()) <= 12 and not text.endswith((".", "!", "?"))


def _in_page_band(piece: _Piece) -> bool:
    if piece.box is None or not piece.page_height:
        return True  # no position known: let repetition alone decide
    middle = (piece.box[1] + piece.box[3]) / 2 / piece.page_height
    return middle < _PAGE_BAND or middle > 1 - _PAGE_BAND


def _rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Group PDF pieces that sit side by side on one line: table cells read by pdfminer."""
    rows: list[list[_Piece]] = []
    for piece in pieces:
        if rows and _same_row(rows[-1][-1], piece):
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return rows


def _same_row(left: _Piece, right: _Piece) -> bool:
    a, b = left.box, right.box
    if a is None or b is None or left.page != right.page:
        return False
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1]) and b[0] >= a[2] - 1


def _block(line: list[_Piece], fmt: str) -> _Block:
    first = line[0]
    page = first.page if fmt == "pdf" else None
    if len(line) > 1:
        return _Block("table", " | ".join(piece.text for piece in line), page)
    if first.category == "Table":
        return _Block("table", _table_text(first.table_html) or first.text, page)
    if first.category == "Title" and _is_heading(first.text, fmt):
        depth = first.depth if fmt in _MARKUP_FORMATS else None
        return _Block("heading", first.text, page, depth)
    if first.category == "ListItem":
        return _Block("list", f"- {first.text}", page)
    return _Block("text", first.text, page)


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def _is_heading(text: str, fmt: str) -> bool:
    if fmt in _MARKUP_FORMATS:
        return True
    # PDF/TXT titles are guesses; the tail of a wrapped sentence ("business days.") is not one.
    first_letter = next((c for c in text if c.isalpha()), "")
    return (
        len(text.split()) <= 15
        and (text[0].isdigit() or first_letter.isupper())
        and not text.endswith((".", ",", ";"))
    )


def _continues(previous: _Block, block: _Block, fmt: str) -> bool:
    # pdfminer splits wrapped lines into separate elements; a lower-case start after an
    # unfinished line is the same paragraph (list items are never merged into a paragraph).
    return (
        fmt == "pdf"
        and block.kind == "text"
        and previous.kind in ("text", "list")
        and block.text[:1].islower()
        and not previous.text.endswith(_SENTENCE_END)
    )


def _table_text(source: str | None) -> str:
    """Return an HTML table as one line per row, cells separated by " | "."""
    if not source:
        return ""
    rows = []
    for tr in lxml_html.fromstring(source).iter("tr"):
        cells = [_flat(cell.text_content()) for cell in tr if cell.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _split_table(block: _Block, max_chars: int = DEFAULT_MAX_CHARS) -> Iterable[_Block]:
    """Split a long table into blocks that fit a chunk, repeating the header row in each."""
    if block.kind != "table" or len(block.text) <= max_chars:
        return [block]
    header, *rows = block.text.split("\n")
    parts: list[_Block] = []
    current = [header]
    for row in rows:
        if len(current) > 1 and sum(len(r) + 1 for r in current) + len(row) > max_chars:
            parts.append(_Block("table", "\n".join(current), block.page))
            current = [header]
        current.append(row)
    parts.append(_Block("table", "\n".join(current), block.page))
    return parts


# -- blocks → sections ---------------------------------------------------------------------
def _sections(blocks: list[_Block], title: str) -> list[tuple[str, str, int | None]]:
    """Group body blocks by heading path and page, for `chunk_sections`."""
    path: list[tuple[int, str]] = []
    after_heading = False
    sections: list[_Section] = []
    for block in blocks:
        if block.kind == "heading":
            path = _push_heading(path, block, after_heading)
            after_heading = True
            continue
        after_heading = False
        names = [text for _, text in path]
        if sections and sections[-1].path == names and sections[-1].page == block.page:
            sections[-1].parts.append(block.text)
        else:
            sections.append(_Section(names, block.page, [block.text]))
    return [(_section_name(s.path, title), "\n\n".join(s.parts), s.page) for s in sections]


def _push_heading(
    path: list[tuple[int, str]], block: _Block, after_heading: bool
) -> list[tuple[int, str]]:
    if block.depth is not None:
        kept = [(d, t) for d, t in path if d < block.depth]
        return [*kept, (block.depth, block.text)][-_MAX_HEADING_DEPTH:]
    # Without markup levels, a heading right under another is its subheading; any later
    # heading starts a new top-level section (a wrong parent is worse than a missing one).
    if after_heading and path:
        return [*path, (path[-1][0] + 1, block.text)][-_MAX_HEADING_DEPTH:]
    return [(0, block.text)]


def _section_name(path: list[str], title: str) -> str:
    # The document title is stored with every chunk already; repeating it as the top of
    # every section path only adds noise.
    if len(path) > 1 and _loose(path[0]) == _loose(title):
        path = path[1:]
    return " > ".join(path)
