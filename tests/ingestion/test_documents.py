"""Document parsing: real PDF/DOCX/MD/TXT/HTML files built in the test, offline unstructured."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from fpdf import FPDF

from ingestion.documents import parse_document
from ingestion.records import Chunk, DocumentRecord, LoaderError

ROOT = Path(__file__).resolve().parents[2]
CREATED = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
RUNNING_HEADER = "Acme Appliances - Warranty Handbook"
PACKING_STEPS = (
    "Empty the water tank and the drip tray.",
    "Pack the machine in its original box, or in a sturdy carton with at least five "
    "centimetres of padding on every side.",
    "Include a note with your name and phone number.",
)


# -- file builders -------------------------------------------------------------------------
class _HandbookPdf(FPDF):
    def header(self) -> None:
        # 22 mm down: below the band unstructured itself tags as "Header" (top 7 %), so only
        # the repeated-line filter can remove it.
        self.set_xy(self.l_margin, 22)
        self.set_font("helvetica", size=8)
        self.cell(0, 4, RUNNING_HEADER)
        self.set_xy(self.l_margin, 34)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=8)
        self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)  # without space below it, pdfminer reads a heading as the paragraph's first line
    pdf.set_font("helvetica", size=11)


def _paragraph(pdf: FPDF, text: str, line_height: float = 5) -> None:
    pdf.multi_cell(0, line_height, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def handbook_pdf(
    title: str = "Espresso Machine Warranty Handbook",
    owner_password: str | None = None,
    user_password: str | None = None,
) -> bytes:
    """Return a three-page PDF: headings, body text, a table, running header and footer."""
    pdf = _HandbookPdf()
    pdf.set_title(title)
    pdf.set_author("Acme Appliances")
    pdf.set_creation_date(CREATED)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_page()
    _heading(pdf, "Introduction")
    _paragraph(
        pdf,
        "This handbook explains how the Acme warranty works for every espresso "
        "machine we sell. Customers can register their machine online within thirty "
        "days of purchase to extend the coverage by six months.",
    )
    pdf.add_page()
    _heading(pdf, "Coverage Terms")
    _paragraph(
        pdf,
        "The warranty covers defects in materials and workmanship. Damage caused "
        "by skipping descaling is not covered.",
    )
    with pdf.table(col_widths=(60, 40, 40)) as table:
        for row in (
            ("Model", "Years covered", "Price"),
            ("Barista Pro", "2 years", "$499"),
            ("Barista Max", "3 years", "$799"),
        ):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.add_page()
    _heading(pdf, "Making a Claim")
    # Loose line spacing: pdfminer returns each line as its own element, as in many real PDFs.
    _paragraph(
        pdf,
        "To file a claim, email support with your serial number and proof of "
        "purchase from an authorised dealer. Repairs usually take five business days "
        "and return shipping is free of charge.",
        line_height=8,
    )
    for item in PACKING_STEPS:
        pdf.set_x(pdf.l_margin + 3)
        pdf.cell(6, 5.2, "-")
        pdf.multi_cell(120, 5.2, item, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
    if owner_password:
        pdf.set_encryption(owner_password, user_password)
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    """Return a one-page PDF holding only a picture, like a scan without OCR."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(image).text((10, 50), "SCANNED INVOICE 2026", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buffer, x=10, y=20, w=150)
    return bytes(pdf.output())


def onboarding_docx() -> bytes:
    """Return a DOCX with a core-properties title, Heading 1/2, a list, a table and a header."""
    document = docx.Document()
    document.core_properties.title = "Employee Onboarding Guide"
    document.core_properties.author = "Acme People Team"
    document.core_properties.created = CREATED.replace(tzinfo=None)
    document.sections[0].header.paragraphs[0].text = "Acme HR - internal use only"
    document.add_heading("Welcome aboard", level=1)
    document.add_paragraph(
        "Your first week is about meeting the team and setting up your "
        "laptop. Your manager sends a schedule before day one."
    )
    document.add_heading("Accounts and access", level=2)
    document.add_paragraph("Request access to email and chat on day one.", style="List Bullet")
    document.add_paragraph(
        "Ask IT for VPN credentials before working remotely.", style="List Bullet"
    )
    document.add_heading("Benefits", level=1)
    table = document.add_table(rows=3, cols=2)
    for r, (plan, cost) in enumerate(
        (("Plan", "Monthly cost"), ("Basic health", "$0"), ("Family health", "$120"))
    ):
        table.cell(r, 0).text, table.cell(r, 1).text = plan, cost
    document.add_paragraph(
        "Health insurance starts on your first day. Dental cover is "
        "optional and can be added during the first month."
    )
    return _docx_bytes(document)


def _docx_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


MARKDOWN = b"""# Shipping Policy

We ship to every country in Europe. Orders placed before noon leave the warehouse the same day.

## Rates

- Standard delivery is free on orders over 50 euros.
- Express delivery costs 15 euros.

### Express details

Express parcels arrive within two working days and can be tracked online.

## Returns

Unused items can be returned within thirty days for a full refund.
"""

TEXT = b"""RETURNS POLICY

You can return any item within thirty days of delivery. Items must be unused and in the
original packaging.

Refunds

Refunds are issued to the original payment method within five business days of receipt.
"""

HTML = b"""<!doctype html><html><head><title>Visit Our Store</title>
<meta name="author" content="Acme Retail"></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<h1>Opening hours</h1><p>The Dublin store is open every day from nine in the morning to six
in the evening.</p>
<h2>Holidays</h2>
<ul><li>Closed on Christmas Day.</li><li>Open until two on New Year's Eve.</li></ul>
<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Monday</td><td>9-18</td></tr></table>
</body></html>"""


# -- helpers -------------------------------------------------------------------------------
def chunk_for(record: DocumentRecord, needle: str) -> Chunk:
    matches = [c for c in record.chunks if needle in c.text]
    assert matches, f"no chunk contains {needle!r}: {[c.text for c in record.chunks]}"
    return matches[0]


def all_chunk_text(record: DocumentRecord) -> str:
    return "\n".join(c.text for c in record.chunks)


# -- formats -------------------------------------------------------------------------------
def test_pdf_title_from_metadata_and_chunks_keep_sections_and_pages() -> None:
    record = parse_document(handbook_pdf(), "warranty-handbook.pdf")

    assert record.title == "Espresso Machine Warranty Handbook"
    assert record.page_count == 3
    intro = chunk_for(record, "register their machine online")
    assert (intro.section, intro.page_number) == ("Introduction", 1)
    claim = chunk_for(record, "proof of purchase")
    assert (claim.section, claim.page_number) == ("Making a Claim", 3)
    assert record.summary and record.tags
    assert record.metadata["author"] == "Acme Appliances"
    assert record.metadata["created"].startswith("2026-01-15")
    assert record.metadata["format"] == "pdf"
    assert record.metadata["size"] > 0


def test_pdf_table_is_kept_as_rows_under_its_section() -> None:
    record = parse_document(handbook_pdf(), "warranty-handbook.pdf")

    table = chunk_for(record, "Barista Pro")
    assert (table.section, table.page_number) == ("Coverage Terms", 2)
    assert "Model | Years covered | Price" in table.text
    assert "Barista Max | 3 years | $799" in table.text
    # Table cells are not mistaken for headings.
    assert not any(c.section in {"Model", "Barista Pro"} for c in record.chunks)


def test_pdf_running_header_footer_and_page_numbers_are_dropped() -> None:
    record = parse_document(handbook_pdf(), "warranty-handbook.pdf")

    text = all_chunk_text(record)
    assert RUNNING_HEADER not in text
    assert "Page 1 of" not in text and "Page 3 of" not in text
    assert RUNNING_HEADER not in record.text


def test_pdf_wrapped_list_items_stay_whole() -> None:
    record = parse_document(handbook_pdf(), "warranty-handbook.pdf")

    claim = chunk_for(record, "To file a claim")
    assert claim.section == "Making a Claim"
    assert "proof of purchase from an authorised dealer." in claim.text
    # The second item wraps: pdfminer returns "least five centimetres ..." as its own
    # element (classified as a title); the third item's bullet comes apart from its text.
    for step in PACKING_STEPS:
        assert f"- {step}" in claim.text.split("\n\n")
    assert all(
        c.section != "least five centimetres of padding on every side." for c in record.chunks
    )


def test_pdf_with_owner_password_only_still_parses() -> None:
    data = handbook_pdf(owner_password="owner-only")

    assert parse_document(data, "handbook.pdf").title == "Espresso Machine Warranty Handbook"


@pytest.mark.parametrize(
    "meta_title",
    ["Untitled", "Microsoft Word - handbook.docx", "warranty_handbook", "document1"],
)
def test_placeholder_pdf_title_falls_back_to_first_heading(meta_title: str) -> None:
    record = parse_document(handbook_pdf(title=meta_title), "warranty_handbook.pdf")

    assert record.title == "Introduction"


def test_docx_headings_lists_and_table() -> None:
    record = parse_document(onboarding_docx(), "onboarding.docx")

    assert record.title == "Employee Onboarding Guide"
    assert chunk_for(record, "meeting the team").section == "Welcome aboard"
    accounts = chunk_for(record, "VPN credentials")
    assert accounts.section == "Welcome aboard > Accounts and access"
    assert "- Request access to email and chat on day one." in accounts.text
    table = chunk_for(record, "Family health")
    assert table.section == "Benefits"
    assert "Plan | Monthly cost\nBasic health | $0\nFamily health | $120" in table.text
    assert "Acme HR - internal use only" not in all_chunk_text(record)
    assert record.page_count is None
    assert all(c.page_number is None for c in record.chunks)
    assert record.metadata["author"] == "Acme People Team"
    assert record.metadata["created"].startswith("2026-01-15")
    assert "Dental cover" in record.summary or "first week" in record.summary


def test_markdown_heading_levels_become_section_paths() -> None:
    record = parse_document(MARKDOWN, "shipping.md")

    assert record.title == "Shipping Policy"
    assert chunk_for(record, "leave the warehouse").section == "Shipping Policy"
    assert chunk_for(record, "Express delivery costs").section == "Rates"
    assert chunk_for(record, "two working days").section == "Rates > Express details"
    assert chunk_for(record, "full refund").section == "Returns"
    assert record.metadata == {"format": "md", "size": len(MARKDOWN)}
    assert "shipping" in " ".join(record.tags)


def test_text_file_headings_and_body() -> None:
    record = parse_document(TEXT, "returns.txt")

    assert record.title == "RETURNS POLICY"
    assert chunk_for(record, "thirty days of delivery").section == "RETURNS POLICY"
    assert chunk_for(record, "original payment method").section == "Refunds"
    assert record.summary


def test_text_file_without_headings_is_titled_from_file_name() -> None:
    data = b"we are open every day from nine to five, and on sundays from ten to four.\n"

    record = parse_document(data, "store-opening_hours.txt")

    assert record.title == "Store opening hours"
    assert [c.text for c in record.chunks] == [data.decode().strip()]


def test_html_title_from_title_tag_and_sections() -> None:
    record = parse_document(HTML, "store.html")

    assert record.title == "Visit Our Store"
    assert chunk_for(record, "nine in the morning").section == "Opening hours"
    holidays = chunk_for(record, "Christmas")
    assert holidays.section == "Opening hours > Holidays"
    assert "- Closed on Christmas Day." in holidays.text
    assert "Day | Hours\nMonday | 9-18" in all_chunk_text(record)
    assert record.metadata["author"] == "Acme Retail"


# -- refusals ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """A file the loader must refuse, and the words the user must see."""

    filename: str
    make: Callable[[], bytes]
    message: str


REFUSALS = [
    Refusal("broken.pdf", lambda: handbook_pdf()[:1500], "broken.pdf: the PDF could not be read ("),
    Refusal(
        "noise.pdf",
        lambda: b"%PDF-1.7\n" + bytes(range(256)) * 20,
        "noise.pdf: the PDF could not be read (",
    ),
    Refusal(
        "locked.pdf",
        lambda: handbook_pdf(owner_password="o", user_password="secret"),
        "locked.pdf: the PDF is password-protected",
    ),
    Refusal(
        "scan.pdf",
        image_only_pdf,
        "scan.pdf: no text could be extracted; scanned PDFs need OCR, which is not enabled",
    ),
    Refusal(
        "blank.docx",
        lambda: _docx_bytes(docx.Document()),
        "blank.docx: no text could be extracted; the document is empty",
    ),
    Refusal(
        "broken.docx",
        lambda: onboarding_docx()[:2000],
        "broken.docx: the Word document could not be read (",
    ),
    Refusal(
        "old.docx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "old.docx: the Word document is password-protected or in the old .doc format",
    ),
    Refusal(
        "binary.txt",
        lambda: bytes(range(256)) * 8,
        "binary.txt: the text file could not be read (its character encoding was not "
        "recognised; save it as UTF-8)",
    ),
    Refusal("empty.md", lambda: b"", "empty.md: the file is empty"),
    Refusal("blank.txt", lambda: b"   \n\n  \n", "blank.txt: no text could be extracted"),
    Refusal("slides.pptx", lambda: b"PK\x03\x04", "slides.pptx: unsupported file type"),
    Refusal("letter.doc", lambda: b"\xd0\xcf\x11\xe0", "letter.doc: Word 97-2003 (.doc)"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[r.filename for r in REFUSALS])
def test_unreadable_files_raise_loader_error_with_clear_message(case: Refusal) -> None:
    with pytest.raises(LoaderError) as raised:
        parse_document(case.make(), case.filename)

    assert str(raised.value).startswith(case.message), str(raised.value)


# -- speed and the offline guarantee -------------------------------------------------------
def test_later_parses_do_not_reload_anything() -> None:
    parse_document(MARKDOWN, "warm.md")  # first use in this process pays the imports
    data = handbook_pdf()

    started = time.perf_counter()
    for name, payload in (
        ("a.pdf", data),
        ("b.md", MARKDOWN),
        ("c.html", HTML),
        ("d.docx", onboarding_docx()),
    ):
        parse_document(payload, name)

    assert time.perf_counter() - started < 2.0


_GUARDED_RUN = textwrap.dedent(
    """
    import json, socket, subprocess, sys, threading

    attempts = []

    def refuse(kind):
        def guard(*args, **kwargs):
            attempts.append(f"{kind} {args[1:] if kind == 'connect' else args}"[:200])
            raise OSError(f"network disabled in this test ({kind})")
        return guard

    socket.socket.connect = refuse("connect")
    socket.socket.connect_ex = refuse("connect")
    socket.getaddrinfo = refuse("getaddrinfo")
    socket.create_connection = refuse("create_connection")
    _popen_init = subprocess.Popen.__init__

    def spy_popen(self, args, *rest, **kwargs):
        attempts.append(f"subprocess {args}")
        return _popen_init(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = spy_popen

    mode, root, *paths = sys.argv[1:]
    sys.path.insert(0, root)
    counts = {}
    if mode == "adapter":
        from ingestion.unstructured_offline import partition
        for path in paths:
            with open(path, "rb") as f:
                counts[path.rsplit("/", 1)[-1]] = len(partition(f.read(), path))
    else:  # control: plain unstructured, no adapter, telemetry not opted out
        import unstructured  # noqa: F401
        from unstructured.partition.text import partition_text
        try:
            partition_text(text="Our shop is open daily. Parking is free for customers.")
        except Exception as exc:
            counts["error"] = type(exc).__name__
    for thread in threading.enumerate():
        if thread.name == "unstructured-telemetry":
            thread.join(5)
    print(json.dumps({"attempts": attempts, "counts": counts}))
    """
)


def _run_guarded(mode: str, paths: list[Path]) -> tuple[dict[str, Any], str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DO_NOT_TRACK", "SCARF_NO_ANALYTICS", "UNSTRUCTURED_DISABLE_NOTICE"}
    }
    done = subprocess.run(
        [sys.executable, "-c", _GUARDED_RUN, mode, str(ROOT), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_partition_never_touches_the_network_or_spawns_processes(tmp_path: Path) -> None:
    files = {
        "guide.pdf": handbook_pdf(),
        "guide.docx": onboarding_docx(),
        "guide.md": MARKDOWN,
        "guide.txt": TEXT,
        "guide.html": HTML,
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)

    result, stderr = _run_guarded("adapter", paths)

    assert result["attempts"] == []
    assert "Unstructured Open Source" not in stderr  # the usage notice is off too
    assert set(result["counts"]) == set(files)
    assert all(n > 0 for n in result["counts"].values())


def test_network_guard_catches_what_plain_unstructured_does() -> None:
    # Control for the test above: the same guard sees unstructured's load-time ping
    # (nvidia-smi + HTTP) and its spaCy model download when the adapter is not used.
    result, stderr = _run_guarded("control", [])

    attempts = " ".join(result["attempts"])
    assert "nvidia-smi" in attempts
    assert "packages.unstructured.io" in attempts
    assert "github.com" in attempts
    assert "Unstructured Open Source" in stderr
