#!/usr/bin/env python3
"""Render the Markdown sources in this folder into the documents under ../docs/.

Each source file starts with a small front-matter block:

    ---
    title: Solvane Product Portfolio 2026
    output: solvane-product-portfolio-2026.pdf     # .pdf, .docx, .md or .txt
    author: Solvane Energy B.V.
    subject: ...                                    # optional
    keywords: ...                                   # optional
    ---

The body uses a small Markdown subset: #/##/### headings, paragraphs, "- " bullet
lists, "1. " numbered lists, pipe tables, **bold**, *italic*, and the marker
``<!-- pagebreak -->`` for a page break (PDF and DOCX).

Usage (needs fpdf2 and python-docx):

    pip install fpdf2 python-docx
    python build_docs.py [--src DIR] [--out DIR] [--company NAME]

The output is deterministic: fixed creation dates, so re-running the script on
unchanged sources gives byte-identical PDFs and stable DOCX metadata.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPANY = "Solvane Energy"
WEBSITE = "www.solvane.example"
FIXED_DATE = dt.datetime(2026, 2, 2, 9, 0, 0, tzinfo=dt.UTC)
FONT_DIRS = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/Library/Fonts",
    str(Path.home() / ".fonts"),
]
PAGEBREAK = "<!-- pagebreak -->"


# --------------------------------------------------------------------------- parsing


@dataclass
class Block:
    kind: str  # h1 h2 h3 p ul ol table pagebreak
    text: str = ""
    items: list = field(default_factory=list)  # list items or table rows


@dataclass
class Source:
    path: Path
    meta: dict
    blocks: list
    body: str


def parse_source(path: Path) -> Source:
    raw = path.read_text(encoding="utf-8")
    meta: dict = {}
    body = raw
    if raw.startswith("---\n"):
        head, body = raw[4:].split("\n---\n", 1)
        for line in head.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                meta[k.strip()] = v.strip()
    body = body.strip("\n") + "\n"
    return Source(path, meta, parse_blocks(body), body)


def parse_blocks(body: str) -> list:
    blocks: list = []
    para: list = []
    lines = body.splitlines()

    def flush_para():
        if para:
            blocks.append(Block("p", " ".join(s.strip() for s in para)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if not s:
            flush_para()
            i += 1
            continue
        if s == PAGEBREAK:
            flush_para()
            blocks.append(Block("pagebreak"))
            i += 1
            continue
        m = re.match(r"^(#{1,3})\s+(.*)$", s)
        if m:
            flush_para()
            blocks.append(Block("h" + str(len(m.group(1))), m.group(2).strip()))
            i += 1
            continue
        if s.startswith("|"):
            flush_para()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                is_separator = any(cells) and all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c)
                if not is_separator:
                    rows.append(cells)
                i += 1
            blocks.append(Block("table", items=rows))
            continue
        if re.match(r"^[-*]\s+", s):
            flush_para()
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                items.append(re.sub(r"^\s*[-*]\s+", "", lines[i]).strip())
                i += 1
            blocks.append(Block("ul", items=items))
            continue
        if re.match(r"^\d+\.\s+", s):
            flush_para()
            items = []
            while i < len(lines) and re.match(r"^\s*\d+\.\s+", lines[i]):
                items.append(re.sub(r"^\s*\d+\.\s+", "", lines[i]).strip())
                i += 1
            blocks.append(Block("ol", items=items))
            continue
        para.append(s)
        i += 1
    flush_para()
    return blocks


INLINE = re.compile(r"(\*\*[^*]+\*\*|\*[^*]+\*)")


def inline_runs(text: str):
    """Split text into (segment, bold, italic) runs."""
    out = []
    for part in INLINE.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**"):
            out.append((part[2:-2], True, False))
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            out.append((part[1:-1], False, True))
        else:
            out.append((part, False, False))
    return out


def plain(text: str) -> str:
    return "".join(seg for seg, _, _ in inline_runs(text))


# --------------------------------------------------------------------------- PDF


def find_font(name: str):
    for d in FONT_DIRS:
        p = Path(d) / name
        if p.exists():
            return str(p)
    return None


def build_pdf(src: Source, out: Path, company: str) -> None:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    title = src.meta["title"]

    class Doc(FPDF):
        def header(self):
            if self.page_no() == 1:
                return
            self.set_font(FAMILY, "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, txt(f"{company}  ·  {title}"), align="L")
            self.ln(10)
            self.set_text_color(0, 0, 0)

        def footer(self):
            self.set_y(-14)
            self.set_font(FAMILY, "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, txt(f"Page {self.page_no()} of {{nb}}"), align="C")
            self.set_text_color(0, 0, 0)

    pdf = Doc(format="A4", unit="mm")
    regular, bold = find_font("DejaVuSans.ttf"), find_font("DejaVuSans-Bold.ttf")
    oblique = find_font("DejaVuSans-Oblique.ttf")
    global FAMILY, UNICODE
    if regular and bold:
        pdf.add_font("DejaVu", "", regular)
        pdf.add_font("DejaVu", "B", bold)
        pdf.add_font("DejaVu", "I", oblique or regular)
        FAMILY, UNICODE = "DejaVu", True
    else:  # core font fallback: latin-1 only
        FAMILY, UNICODE = "Helvetica", False

    pdf.set_title(title)
    pdf.set_author(src.meta.get("author", company))
    if src.meta.get("subject"):
        pdf.set_subject(src.meta["subject"])
    if src.meta.get("keywords"):
        pdf.set_keywords(src.meta["keywords"])
    pdf.set_creator(f"{company} document build")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_lang("en")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    first_h1 = True

    def md(text):
        # fpdf2 markdown: **bold**, __italic__
        s = txt(text)
        s = re.sub(r"(?<!\*)\*([^*]+)\*(?!\*)", r"__\1__", s)
        return s

    for b in src.blocks:
        if b.kind == "pagebreak":
            pdf.add_page()
            continue
        if b.kind == "h1":
            if first_h1:
                pdf.ln(20)
                pdf.set_font(FAMILY, "B", 24)
                pdf.set_text_color(18, 72, 60)
                pdf.multi_cell(width, 11, txt(b.text), align="L")
                pdf.set_text_color(0, 0, 0)
                pdf.ln(4)
                first_h1 = False
            else:
                pdf.set_font(FAMILY, "B", 18)
                pdf.set_text_color(18, 72, 60)
                pdf.multi_cell(width, 9, txt(b.text), align="L")
                pdf.set_text_color(0, 0, 0)
                pdf.ln(3)
            continue
        if b.kind == "h2":
            pdf.ln(2)
            pdf.set_font(FAMILY, "B", 13.5)
            pdf.multi_cell(width, 7, txt(b.text), align="L")
            pdf.ln(1.5)
            continue
        if b.kind == "h3":
            pdf.ln(1)
            pdf.set_font(FAMILY, "B", 11)
            pdf.multi_cell(width, 6, txt(b.text), align="L")
            pdf.ln(1)
            continue
        if b.kind == "p":
            pdf.set_font(FAMILY, "", 10)
            pdf.multi_cell(width, 5.2, md(b.text), markdown=True, align="L")
            pdf.ln(2.5)
            continue
        if b.kind in ("ul", "ol"):
            pdf.set_font(FAMILY, "", 10)
            for n, item in enumerate(b.items, 1):
                mark = f"{n}." if b.kind == "ol" else ("•" if UNICODE else "-")
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(6, 5.2, mark)
                pdf.multi_cell(width - 9, 5.2, md(item), markdown=True, align="L")
                pdf.ln(0.8)
            pdf.ln(2)
            continue
        if b.kind == "table":
            pdf.set_font(FAMILY, "", 8.8)
            ncols = max(len(r) for r in b.items)
            rows = [r + [""] * (ncols - len(r)) for r in b.items]
            header_is_empty = not any(rows[0])
            if header_is_empty:
                rows = rows[1:]
            # column widths proportional to content length, clamped
            lens = [max(8, min(60, max(len(plain(r[c])) for r in rows))) for c in range(ncols)]
            col_widths = tuple(length / sum(lens) * width for length in lens)
            with pdf.table(
                width=width,
                col_widths=col_widths,
                line_height=4.4,
                text_align="LEFT",
                first_row_as_headings=not header_is_empty,
                headings_style=FontFace(emphasis="BOLD", fill_color=(226, 238, 234)),
                borders_layout="HORIZONTAL_LINES",
                padding=1.0,
            ) as table:
                for r in rows:
                    row = table.row()
                    for c in r:
                        row.cell(txt(plain(c)))
            pdf.ln(4)
            continue
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))


FAMILY = "Helvetica"
UNICODE = False


def txt(s: str) -> str:
    if UNICODE:
        return s
    repl = {
        "–": "-", "—": "-", "−": "-", "’": "'", "‘": "'", "“": '"', "”": '"',
        "·": "-", "•": "-", "→": "->", "₂": "2",
    }
    s = "".join(repl.get(ch, ch) for ch in s)
    out = []
    for ch in s:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?")
    return "".join(out)


# --------------------------------------------------------------------------- DOCX


def build_docx(src: Source, out: Path, company: str) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    doc = Document()
    cp = doc.core_properties
    cp.title = src.meta["title"]
    cp.author = src.meta.get("author", company)
    cp.subject = src.meta.get("subject", "")
    cp.keywords = src.meta.get("keywords", "")
    cp.comments = f"Generated from {src.path.name}"
    cp.last_modified_by = company
    cp.created = FIXED_DATE.replace(tzinfo=None)
    cp.modified = FIXED_DATE.replace(tzinfo=None)
    cp.revision = 1

    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)

    section = doc.sections[0]
    hp = section.header.paragraphs[0]
    hp.text = f"{company} — {src.meta['title']}"
    hp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for r in hp.runs:
        r.font.size = Pt(8)
        r.font.color.rgb = RGBColor(0x6E, 0x6E, 0x6E)
    fp = section.footer.paragraphs[0]
    fp.text = f"{company} · {WEBSITE}"
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for r in fp.runs:
        r.font.size = Pt(8)

    def add_runs(par, text):
        for seg, bold, italic in inline_runs(text):
            run = par.add_run(seg)
            run.bold = bold or None
            run.italic = italic or None

    title_done = False
    for b in src.blocks:
        if b.kind == "pagebreak":
            doc.add_page_break()
        elif b.kind == "h1":
            if not title_done:
                doc.add_heading(b.text, level=0)  # "Title" style
                title_done = True
            else:
                doc.add_heading(b.text, level=1)
        elif b.kind == "h2":
            doc.add_heading(b.text, level=1)
        elif b.kind == "h3":
            doc.add_heading(b.text, level=2)
        elif b.kind == "p":
            add_runs(doc.add_paragraph(), b.text)
        elif b.kind == "ul":
            for item in b.items:
                add_runs(doc.add_paragraph(style="List Bullet"), item)
        elif b.kind == "ol":
            for item in b.items:
                add_runs(doc.add_paragraph(style="List Number"), item)
        elif b.kind == "table":
            ncols = max(len(r) for r in b.items)
            rows = [r + [""] * (ncols - len(r)) for r in b.items]
            header_is_empty = not any(rows[0])
            if header_is_empty:
                rows = rows[1:]
            table = doc.add_table(rows=len(rows), cols=ncols)
            table.style = "Light Grid Accent 1" if not header_is_empty else "Table Grid"
            for ri, r in enumerate(rows):
                for ci, c in enumerate(r):
                    cell = table.cell(ri, ci)
                    cell.text = ""
                    add_runs(cell.paragraphs[0], c)
                    if ri == 0 and not header_is_empty:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph()
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))


# --------------------------------------------------------------------------- MD / TXT


def build_md(src: Source, out: Path) -> None:
    text = src.body.replace(PAGEBREAK + "\n", "").replace(PAGEBREAK, "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def build_txt(src: Source, out: Path) -> None:
    lines: list = []
    for b in src.blocks:
        if b.kind == "pagebreak":
            continue
        if b.kind == "h1":
            t = plain(b.text)
            lines += [t.upper() if lines else t, "=" * len(t), ""]
        elif b.kind == "h2":
            t = plain(b.text)
            lines += [t, "-" * len(t), ""]
        elif b.kind == "h3":
            lines += [plain(b.text), ""]
        elif b.kind == "p":
            lines += [plain(b.text), ""]
        elif b.kind == "ul":
            lines += [f"  * {plain(i)}" for i in b.items] + [""]
        elif b.kind == "ol":
            lines += [f"  {n}. {plain(i)}" for n, i in enumerate(b.items, 1)] + [""]
        elif b.kind == "table":
            for r in b.items:
                lines.append("  " + " | ".join(plain(c) for c in r))
            lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    default_src = HERE / "docs_src" if (HERE / "docs_src").is_dir() else HERE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=default_src)
    ap.add_argument(
        "--out", type=Path, default=None, help="default: the docs/ folder next to the sources"
    )
    ap.add_argument("--company", default=os.environ.get("DOCS_COMPANY", COMPANY))
    args = ap.parse_args(argv)
    out_dir = args.out or (args.src.parent / "docs")

    sources = sorted(p for p in args.src.glob("*.md"))
    if not sources:
        print(f"no sources in {args.src}", file=sys.stderr)
        return 1
    for p in sources:
        src = parse_source(p)
        if "output" not in src.meta or "title" not in src.meta:
            print(f"skip {p.name}: no title/output in front matter", file=sys.stderr)
            continue
        target = out_dir / src.meta["output"]
        ext = target.suffix.lower()
        if ext == ".pdf":
            build_pdf(src, target, args.company)
        elif ext == ".docx":
            build_docx(src, target, args.company)
        elif ext == ".md":
            build_md(src, target)
        elif ext == ".txt":
            build_txt(src, target)
        else:
            print(f"skip {p.name}: unsupported output {ext}", file=sys.stderr)
            continue
        print(f"{p.name} -> {target} ({src.meta['title']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
