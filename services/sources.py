"""Create, list and delete data sources; validate their configuration and uploads."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints, field_validator

from signpost.errors import NotFound, UnsupportedMediaType, ValidationFailed
from store import sources as repo
from store.db import Conn
from store.files import FileStore
from store.sources import DataSource

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_SHEET_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")

DOCUMENT_EXTENSIONS = ("pdf", "docx", "md", "markdown", "txt", "html", "htm")
SHEET_EXTENSIONS = ("csv", "xlsx")
MAX_FILES_PER_UPLOAD = 50


class _SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebsiteSourceIn(_SourceIn):
    """A website crawled from a start URL."""

    type: Literal["website"]
    name: Name
    url: str = Field(description="Start URL; the crawl stays on its host.")
    max_pages: int = Field(200, ge=1, le=10_000)
    max_depth: int = Field(5, ge=0, le=20)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL like https://www.example.com/")
        return value


class SheetSourceIn(_SourceIn):
    """A Google Sheet read through the Sheets API."""

    type: Literal["sheet"]
    name: Name
    spreadsheet: str = Field(description="Google Sheets id or its URL.")
    worksheet: str | None = Field(None, max_length=200)

    @field_validator("spreadsheet")
    @classmethod
    def _spreadsheet(cls, value: str) -> str:
        return spreadsheet_id(value)


class CustomSourceIn(_SourceIn):
    """Free text or markdown; Q/A formatted text becomes one entry per pair."""

    type: Literal["custom"]
    name: Name
    text: str = Field(min_length=1, max_length=1_000_000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


SourceIn = Annotated[WebsiteSourceIn | SheetSourceIn | CustomSourceIn, Field(discriminator="type")]


class SourceCreate(RootModel[SourceIn]):
    """Body of POST /sources: a website, sheet or custom source, chosen by `type`."""


def spreadsheet_id(value: str) -> str:
    """Return the spreadsheet id from an id or a docs.google.com URL."""
    value = value.strip()
    match = _SHEET_URL.search(value)
    if match:
        return match[1]
    if _SHEET_ID.match(value):
        return value
    raise ValueError("must be a Google Sheets id or a docs.google.com/spreadsheets/d/… URL")


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file as received."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """A file of an upload batch that was not accepted, and why."""

    filename: str
    message: str


def safe_filename(name: str) -> str:
    """Return a display-safe base name (no path, no control characters)."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable())
    return base.strip()[:200] or "file"


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _decode_text(data: bytes, filename: str) -> str:
    if b"\x00" in data[:8192]:
        raise ValidationFailed(f"{filename}: binary content in a text file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(f"{filename}: not valid UTF-8 text")


def _zip_member(data: bytes, member: str, filename: str, kind: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if member not in archive.namelist():
                raise ValidationFailed(f"{filename}: not a valid {kind} file")
    except zipfile.BadZipFile:
        raise ValidationFailed(f"{filename}: not a valid {kind} file (corrupt archive)") from None


def check_upload(kind: Literal["document", "sheet"], upload: Upload) -> None:
    """Raise a ClientError unless the file is a plausible document or sheet of its type."""
    name = upload.filename
    ext = _extension(name)
    accepted = DOCUMENT_EXTENSIONS if kind == "document" else SHEET_EXTENSIONS
    if ext not in accepted:
        raise UnsupportedMediaType(
            f"{name}: .{ext or '?'} files are not accepted for {kind} sources; "
            f"accepted: {', '.join('.' + e for e in accepted)}"
        )
    data = upload.data
    if not data.strip():
        raise ValidationFailed(f"{name}: the file is empty")
    if ext == "pdf":
        if not data.lstrip()[:5] == b"%PDF-":
            raise ValidationFailed(f"{name}: not a valid PDF file")
    elif ext == "docx":
        _zip_member(data, "word/document.xml", name, "DOCX")
    elif ext == "xlsx":
        _zip_member(data, "xl/workbook.xml", name, "XLSX")
    elif ext == "csv":
        text = _decode_text(data, name)
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if not rows:
            raise ValidationFailed(f"{name}: the sheet is empty")
    else:
        _decode_text(data, name)


def _file_entry(
    files: FileStore, source_id: uuid.UUID, index: int, upload: Upload
) -> dict[str, Any]:
    filename = safe_filename(upload.filename)
    ext = _extension(filename)
    stored = files.put(f"sources/{source_id}/{index:03d}.{ext}", upload.data)
    return {
        "key": stored.key,
        "filename": filename,
        "content_type": upload.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
    }


async def create_source(conn: Conn, workspace_id: uuid.UUID, data: SourceIn) -> DataSource:
    """Create a website, sheet or custom source from its JSON description."""
    config = data.model_dump(exclude={"type", "name"})
    return await repo.insert_source(
        conn, workspace_id, type=data.type, name=data.name, config=config
    )


async def create_uploaded_source(
    conn: Conn,
    files: FileStore,
    workspace_id: uuid.UUID,
    *,
    kind: str,
    name: str,
    uploads: list[Upload],
) -> tuple[DataSource, list[Rejected]]:
    """Create a document or sheet source from uploaded files.

    Files that fail validation are reported and skipped; the rest are kept. When no
    file is acceptable nothing is written and the first problem is raised.
    """
    if kind not in ("document", "sheet"):
        raise ValidationFailed(
            f"type {kind!r} cannot be uploaded: uploads create 'document' or 'sheet' sources; "
            "website, Google Sheets and custom sources are created with POST /api/v1/sources",
            details=[{"field": "type", "message": f"got {kind!r}"}],
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("name is required (1–200 characters)", details=[{"field": "name"}])
    if not uploads:
        raise ValidationFailed("no file uploaded: send the file in the 'file' form field")
    if kind == "sheet" and len(uploads) > 1:
        raise ValidationFailed("a sheet source takes exactly one file")
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        raise ValidationFailed(f"at most {MAX_FILES_PER_UPLOAD} files per upload")

    accepted: list[Upload] = []
    rejected: list[Rejected] = []
    first_error: Exception | None = None
    for upload in uploads:
        try:
            check_upload(kind, upload)  # type: ignore[arg-type]
            accepted.append(upload)
        except (ValidationFailed, UnsupportedMediaType) as exc:
            first_error = first_error or exc
            rejected.append(Rejected(filename=safe_filename(upload.filename), message=exc.message))
    if not accepted:
        assert first_error is not None
        raise first_error

    source_id = uuid.uuid4()
    try:
        entries = [_file_entry(files, source_id, i, u) for i, u in enumerate(accepted)]
        config: dict[str, Any] = {"files": entries}
        source = await repo.insert_source(
            conn, workspace_id, type=kind, name=name, config=config, source_id=source_id
        )
    except BaseException:
        files.delete_prefix(f"sources/{source_id}")
        raise
    return source, rejected


async def create_local_source(
    conn: Conn,
    files: FileStore,
    workspace_id: uuid.UUID,
    *,
    kind: str,
    name: str,
    path: Path,
    base_url: str | None = None,
) -> DataSource:
    """Create a source from a local path (CLI, demo seed and eval suites only).

    A website folder is read in place and mapped to `base_url`; sheets, documents and
    custom text are copied into file storage like uploads.
    """
    path = path.resolve()
    if not path.exists():
        raise ValidationFailed(f"{path} does not exist")
    if kind == "website":
        if not path.is_dir() or not base_url:
            raise ValidationFailed("a local website needs a folder of .html files and a base_url")
        config = {"url": base_url, "local_path": str(path), "max_pages": 10_000, "max_depth": 20}
        return await repo.insert_source(conn, workspace_id, type=kind, name=name, config=config)
    if kind == "custom":
        text = _decode_text(path.read_bytes(), path.name)
        return await create_source(
            conn, workspace_id, CustomSourceIn(type="custom", name=name, text=text)
        )
    candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    allowed = DOCUMENT_EXTENSIONS if kind == "document" else SHEET_EXTENSIONS
    uploads = [
        Upload(filename=p.name, content_type="", data=p.read_bytes())
        for p in candidates
        if _extension(p.name) in allowed
    ]
    source, rejected = await create_uploaded_source(
        conn, files, workspace_id, kind=kind, name=name, uploads=uploads
    )
    if rejected:
        raise ValidationFailed(
            f"{len(rejected)} file(s) of {path} were refused",
            details=[{"file": r.filename, "message": r.message} for r in rejected],
        )
    return source


async def get_source(conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID) -> DataSource:
    """Return the source or raise NotFound."""
    source = await repo.get_source(conn, workspace_id, source_id)
    if source is None:
        raise NotFound(f"source {source_id} not found")
    return source


async def delete_source(
    conn: Conn, files: FileStore, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> None:
    """Delete the source, its links, its indexed content and its stored files."""
    from store import vectors

    async with conn.transaction():
        if not await repo.delete_source(conn, workspace_id, source_id):
            raise NotFound(f"source {source_id} not found")
        await vectors.delete_source_chunks(conn, workspace_id, source_id)
    files.delete_prefix(f"sources/{source_id}")
