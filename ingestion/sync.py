"""Sync one source into the knowledge base, incrementally.

Every loader yields items (pages, contact rows, documents, custom-text entries) with
a content hash. Unchanged items are skipped (no re-embedding), changed ones replaced,
removed ones deleted. Each item is written in its own transaction together with its
chunks, so a failure in one item keeps the others and its own previous version.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from ingestion.embeddings import EmbeddingSpace
from ingestion.records import (
    INDEX_VERSION,
    Chunk,
    ContactRecord,
    LoaderError,
    PageRecord,
    content_hash,
)
from store import kb, vectors
from store import sources as sources_repo
from store.db import Conn, Database
from store.files import FileStore
from store.sources import DataSource

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], Awaitable[None]]
EMBED_BATCH_ITEMS = 24

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    httpx.TransportError,
    ConnectionError,
    TimeoutError,
)
"""Errors worth retrying the whole job for (the database or network blinked).

They are never recorded as one item's failure: the item is fine, the connection was not.
"""


@dataclass
class IngestDeps:
    """What a sync needs: storage, the embedding space and its chunk table, settings."""

    db: Database
    files: FileStore
    space: EmbeddingSpace
    table: str
    settings: Any


@dataclass
class SyncOutcome:
    """The result of one sync: counts, version, per-item errors and what changed."""

    counts: dict[str, int] = field(default_factory=dict)
    version: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    fatal: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks_embedded: int = 0

    def stats(self) -> dict[str, int]:
        """Return the change counters."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "chunks_embedded": self.chunks_embedded,
            "failed": len(self.errors),
        }


class _Progress:
    """Throttled progress reporting (at most a few writes a second)."""

    def __init__(self, report: ProgressFn | None) -> None:
        self.report = report
        self.done = 0
        self.total = 0
        self._last = 0.0

    async def step(self, n: int = 1, *, total: int | None = None, force: bool = False) -> None:
        self.done += n
        if total is not None:
            self.total = total
        self.total = max(self.total, self.done)
        now = time.monotonic()
        if self.report and (force or now - self._last > 0.25):
            self._last = now
            await self.report(self.done, self.total)


def embedding_input(title: str, section: str, text: str) -> str:
    """Return the text to embed for a chunk: its context (title, section) then the passage."""
    if section.startswith(title):
        title = ""  # sections already carry the page title as their first level
    context = " — ".join(p for p in (title, section) if p and p not in text[:200])
    return f"{context}\n{text}" if context else text


@dataclass
class _Pending:
    """An item waiting to be embedded and written."""

    key: Any
    item_id: uuid.UUID
    previous: kb.ItemState | None
    chunks: list[Chunk]
    title: str
    url: str | None
    kind: str
    write: Callable[[Conn, uuid.UUID], Awaitable[None]]
    document_id: uuid.UUID | None = None


class _Writer:
    """Embeds pending items in batches and writes each in its own transaction.

    Embedding is the slow step, so it is pipelined: while one batch is embedded (in a
    worker thread, or awaiting a remote endpoint), the previous batch is written and the
    loader extracts the items of the next. One batch is embedded at a time.
    """

    def __init__(self, deps: IngestDeps, source: DataSource, outcome: SyncOutcome) -> None:
        self.deps = deps
        self.source = source
        self.outcome = outcome
        self.pending: list[_Pending] = []
        self._inflight: tuple[list[_Pending], asyncio.Future[list[list[float]]]] | None = None

    async def add(self, item: _Pending) -> None:
        self.pending.append(item)
        if len(self.pending) >= EMBED_BATCH_ITEMS:
            await self._submit()

    async def flush(self) -> None:
        """Embed and write every item added so far."""
        await self._submit()
        await self._write_embedded()

    async def __aenter__(self) -> _Writer:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            await self.flush()
        elif self._inflight is not None:
            # The sync stopped early: drop the batch being embedded, unwritten.
            self._inflight[1].cancel()
            self._inflight = None

    async def _submit(self) -> None:
        """Start embedding the pending items, then write the batch embedded before them."""
        batch, self.pending = self.pending, []
        done = await self._collect()
        if batch:
            texts = [embedding_input(p.title, c.section, c.text) for p in batch for c in p.chunks]
            task = asyncio.ensure_future(self._embed(texts))
            task.add_done_callback(_consume_exception)
            self._inflight = (batch, task)
        if done is not None:
            await self._write_batch(*done)

    async def _write_embedded(self) -> None:
        done = await self._collect()
        if done is not None:
            await self._write_batch(*done)

    async def _collect(self) -> tuple[list[_Pending], list[list[float]]] | None:
        if self._inflight is None:
            return None
        batch, task = self._inflight
        self._inflight = None
        return batch, await task

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        return await self.deps.space.embeddings.aembed_documents(texts) if texts else []

    async def _write_batch(self, batch: list[_Pending], vectors_: list[list[float]]) -> None:
        self.outcome.chunks_embedded += len(vectors_)
        offset = 0
        for item in batch:
            rows = []
            for position, chunk in enumerate(item.chunks):
                rows.append(
                    vectors.ChunkRow(
                        content=chunk.text,
                        embedding=vectors_[offset],
                        source_id=self.source.id,
                        item_id=item.item_id,
                        kind=item.kind,
                        title=item.title,
                        url=item.url,
                        document_id=item.document_id,
                        section=chunk.section,
                        page_number=chunk.page_number,
                        position=position,
                    )
                )
                offset += 1
            await self._write(item, rows)

    async def _write(self, item: _Pending, rows: list[vectors.ChunkRow]) -> None:
        ws = self.source.workspace_id
        try:
            async with self.deps.db.transaction() as conn:
                if item.previous is not None:
                    await vectors.delete_chunks(conn, self.deps.table, ws, [item.previous.id])
                await item.write(conn, item.item_id)
                await vectors.insert_chunks(conn, self.deps.table, ws, rows)
        except TRANSIENT_ERRORS:
            raise  # the database blinked: retry the job rather than fail this item
        except Exception as exc:  # noqa: BLE001 - one item's failure must not stop the sync
            log.exception("writing %s failed", item.key)
            self.outcome.errors.append(
                {"item": str(item.key), "message": f"could not store: {exc}"}
            )
            return
        if item.previous is None:
            self.outcome.added += 1
        else:
            self.outcome.updated += 1


def _consume_exception(task: asyncio.Future[Any]) -> None:
    # An abandoned batch's error must not be reported as "never retrieved".
    if not task.cancelled():
        task.exception()


async def _delete_missing(
    deps: IngestDeps,
    source: DataSource,
    table: kb.ItemTable,
    states: dict[Any, kb.ItemState],
    seen: set[Any],
    outcome: SyncOutcome,
) -> None:
    gone = [state.id for key, state in states.items() if key not in seen]
    if not gone:
        return
    async with deps.db.transaction() as conn:
        await vectors.delete_chunks(conn, deps.table, source.workspace_id, gone)
        await kb.delete_items(conn, table, source.workspace_id, gone)
    outcome.deleted += len(gone)


def _unchanged(state: kb.ItemState | None, new_hash: str, space_changed: bool) -> bool:
    return (
        state is not None
        and state.content_hash == new_hash
        and state.status == "ready"
        and not space_changed
    )


# -- websites ------------------------------------------------------------------------------
async def _pages(source: DataSource) -> AsyncIterator[PageRecord | tuple[str, str]]:
    from ingestion import website

    config = source.config
    if config.get("local_path"):
        iterator = iter(website.load_local_pages(Path(config["local_path"]), config["url"]))
        sentinel = object()
        while True:
            # Extraction is CPU-bound: keep it off the event loop.
            item = await asyncio.to_thread(next, iterator, sentinel)
            if item is sentinel:
                return
            if isinstance(item, LoaderError):
                yield ("", str(item))
            else:
                yield item  # type: ignore[misc]
        return
    async for item in website.crawl_pages(
        config["url"],
        max_pages=int(config.get("max_pages", 200)),
        max_depth=int(config.get("max_depth", 5)),
    ):
        yield item


async def _sync_website(
    deps: IngestDeps,
    source: DataSource,
    outcome: SyncOutcome,
    progress: _Progress,
    space_changed: bool,
) -> list[str]:
    async with deps.db.connection() as conn:
        states = await kb.item_states(conn, "kb_pages", source.workspace_id, source.id)
    async with _Writer(deps, source, outcome) as writer:
        seen: set[str] = set()
        hashes: list[str] = []
        local_total = _count_local_pages(source)
        fetched = 0
        async for item in _pages(source):
            if isinstance(item, tuple):
                url, message = item
                if url:
                    seen.add(url)  # a page that failed this time keeps its previous version
                outcome.errors.append(
                    {"item": url or source.config.get("url", ""), "message": message}
                )
                await progress.step(total=local_total)
                continue
            fetched += 1
            page = item
            if page.url in seen:
                continue
            seen.add(page.url)
            hashes.append(page.content_hash)
            state = states.get(page.url)
            if _unchanged(state, page.content_hash, space_changed):
                outcome.unchanged += 1
            else:
                await writer.add(_page_item(source, page, state))
            await progress.step(total=local_total)
    if fetched == 0 and not source.config.get("local_path"):
        outcome.fatal = (
            outcome.errors[0]["message"] if outcome.errors else "no HTML pages could be fetched"
        )
        return hashes
    await _delete_missing(deps, source, "kb_pages", states, seen, outcome)
    return hashes


def _count_local_pages(source: DataSource) -> int | None:
    path = source.config.get("local_path")
    if not path:
        return None
    return sum(1 for p in Path(path).rglob("*") if p.suffix.lower() in (".html", ".htm"))


def _page_item(source: DataSource, page: PageRecord, state: kb.ItemState | None) -> _Pending:
    async def write(conn: Conn, item_id: uuid.UUID) -> None:
        await kb.upsert_page(conn, source.workspace_id, source.id, item_id, page)

    # A page-level chunk (title + description) lets "what do you sell"-style questions
    # find the page as a whole, not only the passage that happens to match.
    overview = page.description or page.summary
    chunks = ([Chunk(overview)] if overview else []) + (page.chunks or [])
    chunks = chunks or [Chunk(page.title)]
    return _Pending(
        key=page.url,
        item_id=state.id if state else uuid.uuid4(),
        previous=state,
        chunks=chunks,
        title=page.title,
        url=page.url,
        kind="page",
        write=write,
    )


# -- sheets --------------------------------------------------------------------------------
async def _read_sheet(deps: IngestDeps, source: DataSource) -> Any:
    from ingestion import sheets

    config = source.config
    if config.get("files"):
        file = config["files"][0]
        data = deps.files.read(file["key"])
        if file["filename"].lower().endswith(".xlsx"):
            return await asyncio.to_thread(sheets.read_xlsx, data, config.get("worksheet"))
        return await asyncio.to_thread(sheets.read_csv, data)
    return await asyncio.to_thread(
        sheets.read_google_sheet,
        config["spreadsheet"],
        config.get("worksheet"),
        credentials_file=deps.settings.google_service_account_file,
        endpoint=deps.settings.google_sheets_endpoint,
    )


def contact_text(contact: ContactRecord) -> str:
    """Return the text a contact is embedded and keyword-matched by."""
    parts = [contact.name, contact.role, contact.department, contact.region]
    if contact.languages:
        parts.append("speaks " + ", ".join(contact.languages))
    known = {
        contact.name,
        contact.role,
        contact.department,
        contact.region,
        contact.email,
        contact.phone,
    }
    extra = [f"{k}: {v}" for k, v in contact.fields.items() if v and v not in known]
    return " · ".join(p for p in parts if p) + ("\n" + "; ".join(extra) if extra else "")


async def _sync_sheet(
    deps: IngestDeps,
    source: DataSource,
    outcome: SyncOutcome,
    progress: _Progress,
    space_changed: bool,
) -> list[str]:
    from ingestion import sheets

    try:
        table = await _read_sheet(deps, source)
    except LoaderError as exc:
        outcome.fatal = str(exc)
        return []
    except FileNotFoundError:
        # Never show the storage path: name the file the user uploaded.
        outcome.fatal = f"{source.config['files'][0]['filename']}: the uploaded file is missing"
        return []
    contacts = sheets.contacts_from_table(table)
    if not contacts:
        outcome.fatal = "the sheet has no rows under its header"
        return []
    async with deps.db.connection() as conn:
        states = await kb.item_states(conn, "kb_contacts", source.workspace_id, source.id)
    async with _Writer(deps, source, outcome) as writer:
        seen: set[int] = set()
        hashes = []
        for contact in contacts:
            seen.add(contact.row_number)
            hashes.append(contact.content_hash)
            state = states.get(contact.row_number)
            if _unchanged(state, contact.content_hash, space_changed):
                outcome.unchanged += 1
            else:
                await writer.add(_contact_item(source, contact, state))
            await progress.step(total=len(contacts))
    await _delete_missing(deps, source, "kb_contacts", states, seen, outcome)
    return hashes


def _contact_item(
    source: DataSource, contact: ContactRecord, state: kb.ItemState | None
) -> _Pending:
    async def write(conn: Conn, item_id: uuid.UUID) -> None:
        await kb.upsert_contact(conn, source.workspace_id, source.id, item_id, contact)

    return _Pending(
        key=f"row {contact.row_number}",
        item_id=state.id if state else uuid.uuid4(),
        previous=state,
        chunks=[Chunk(contact_text(contact))],
        title=contact.name or contact.role or "Contact",
        url=None,
        kind="contact",
        write=write,
    )


# -- custom text ---------------------------------------------------------------------------
async def _sync_custom(
    deps: IngestDeps,
    source: DataSource,
    outcome: SyncOutcome,
    progress: _Progress,
    space_changed: bool,
) -> list[str]:
    from ingestion import custom

    content = custom.parse_custom(source.config.get("text", ""))
    entries = list(custom.entries_of(content))
    if not entries:
        outcome.fatal = "the text has no content"
        return []
    async with deps.db.connection() as conn:
        states = await kb.item_states(conn, "kb_entries", source.workspace_id, source.id)
    async with _Writer(deps, source, outcome) as writer:
        seen: set[str] = set()
        for position, entry in enumerate(entries):
            digest = content_hash(entry.question, entry.answer, entry.category, entry.section)
            if digest in seen:
                continue  # the same entry twice in one text is stored once
            seen.add(digest)
            state = states.get(digest)
            if _unchanged(state, digest, space_changed):
                outcome.unchanged += 1
                async with deps.db.connection() as conn:
                    await kb.set_entry_position(conn, source.workspace_id, state.id, position)  # type: ignore[union-attr]
            else:
                await writer.add(_entry_item(source, entry, position, digest, state))
            await progress.step(total=len(entries))
    await _delete_missing(deps, source, "kb_entries", states, seen, outcome)
    return sorted(seen)


def _entry_item(
    source: DataSource, entry: Any, position: int, digest: str, state: kb.ItemState | None
) -> _Pending:
    async def write(conn: Conn, item_id: uuid.UUID) -> None:
        if state is not None:
            await kb.delete_items(conn, "kb_entries", source.workspace_id, [state.id])
        await kb.insert_entry(
            conn,
            source.workspace_id,
            source.id,
            item_id,
            position=position,
            question=entry.question,
            answer=entry.answer,
            category=entry.category,
            content_hash=digest,
        )

    from ingestion.chunking import chunk_text

    if entry.question:
        chunks = chunk_text(entry.answer, section=entry.category) or [Chunk(entry.answer)]
        title, kind = entry.question, "qa"
    else:
        chunks = chunk_text(entry.answer, section=entry.section)
        title, kind = entry.section or source.name, "text"
    return _Pending(
        key=(entry.question or entry.section or f"entry {position}")[:80],
        item_id=uuid.uuid4(),
        previous=state,
        chunks=chunks,
        title=title,
        url=None,
        kind=kind,
        write=write,
    )


# -- documents -----------------------------------------------------------------------------
async def _sync_documents(
    deps: IngestDeps,
    source: DataSource,
    outcome: SyncOutcome,
    progress: _Progress,
    space_changed: bool,
) -> list[str]:
    from ingestion import documents

    files: list[dict[str, Any]] = source.config.get("files", [])
    async with deps.db.connection() as conn:
        states = await kb.item_states(conn, "kb_documents", source.workspace_id, source.id)
    async with _Writer(deps, source, outcome) as writer:
        seen: set[str] = set()
        hashes: list[str] = []
        for file in files:
            seen.add(file["key"])
            state = states.get(file["key"])
            if _unchanged(state, file["sha256"], space_changed):
                outcome.unchanged += 1
                hashes.append(file["sha256"])
                await progress.step(total=len(files))
                continue
            try:
                data = deps.files.read(file["key"])
                record = await asyncio.to_thread(documents.parse_document, data, file["filename"])
            except (LoaderError, FileNotFoundError) as exc:
                message = (
                    str(exc)
                    if isinstance(exc, LoaderError)
                    else f"{file['filename']}: file missing"
                )
                outcome.errors.append({"item": file["filename"], "message": message})
                await _record_failed_document(deps, source, file, state, message)
                if state is not None and state.status == "ready":
                    hashes.append(state.content_hash)  # the previous version is still served
                await progress.step(total=len(files))
                continue
            hashes.append(file["sha256"])
            await writer.add(_document_item(source, file, record, state))
            await progress.step(total=len(files))
    await _delete_missing(deps, source, "kb_documents", states, seen, outcome)
    if (
        files
        and len(outcome.errors) == len(files)
        and not any(s.status == "ready" for s in states.values())
    ):
        outcome.fatal = (
            outcome.errors[0]["message"]
            if len(files) == 1
            else (f"none of the {len(files)} documents could be read")
        )
    return hashes


async def _record_failed_document(
    deps: IngestDeps,
    source: DataSource,
    file: dict[str, Any],
    state: kb.ItemState | None,
    message: str,
) -> None:
    async with deps.db.transaction() as conn:
        if state is not None and state.status == "ready":
            await kb.note_document_error(conn, source.workspace_id, state.id, message)
        else:
            await kb.upsert_document(
                conn,
                source.workspace_id,
                source.id,
                state.id if state else uuid.uuid4(),
                file=file,
                record=None,
                error=message,
            )


def _document_item(
    source: DataSource, file: dict[str, Any], record: Any, state: kb.ItemState | None
) -> _Pending:
    item_id = state.id if state else uuid.uuid4()

    async def write(conn: Conn, item_id: uuid.UUID) -> None:
        await kb.upsert_document(
            conn, source.workspace_id, source.id, item_id, file=file, record=record
        )

    return _Pending(
        key=file["filename"],
        item_id=item_id,
        previous=state,
        chunks=record.chunks,
        title=record.title,
        url=None,
        kind="document",
        write=write,
        document_id=item_id,
    )


# -- orchestration -------------------------------------------------------------------------
_SYNCERS = {
    "website": _sync_website,
    "sheet": _sync_sheet,
    "custom": _sync_custom,
    "document": _sync_documents,
}


def space_tag(table: str) -> str:
    """Return what a source records about where and how its chunks were written."""
    return f"{table}@{INDEX_VERSION}"


async def sync_source(
    deps: IngestDeps, source: DataSource, report: ProgressFn | None = None
) -> SyncOutcome:
    """Bring the source's knowledge-base content up to date with its origin."""
    outcome = SyncOutcome()
    progress = _Progress(report)
    tag = space_tag(deps.table)
    space_changed = bool(source.embedding_space) and source.embedding_space != tag
    if space_changed:
        log.info("source %s: embedding model or index version changed, re-embedding", source.id)
    try:
        hashes = await _SYNCERS[source.type](deps, source, outcome, progress, space_changed)
    except LoaderError as exc:
        outcome.fatal = str(exc)
        hashes = []
    progress.total = progress.done  # estimates (e.g. files later skipped) settle here
    await progress.step(0, force=True)
    if outcome.fatal is None:
        if space_changed or not source.embedding_space:
            async with deps.db.transaction() as conn:
                await vectors.delete_source_chunks(
                    conn, source.workspace_id, source.id, except_table=deps.table
                )
        outcome.version = content_hash(space_tag(deps.table), sorted(hashes))[:16]
    outcome.counts = await source_counts(deps, source)
    async with deps.db.connection() as conn:
        await vectors.refresh_statistics(conn, deps.table, outcome.chunks_embedded)
    return outcome


async def source_counts(deps: IngestDeps, source: DataSource) -> dict[str, int]:
    """Count what the knowledge base holds for the source."""
    ws, sid = source.workspace_id, source.id
    async with deps.db.connection() as conn:
        return {
            "pages": await kb.count_items(conn, "kb_pages", ws, sid),
            "rows": await kb.count_items(conn, "kb_contacts", ws, sid),
            "chunks": await vectors.count_chunks(conn, deps.table, ws, sid),
            "documents": await kb.count_items(conn, "kb_documents", ws, sid),
        }


async def record_outcome(deps: IngestDeps, source: DataSource, outcome: SyncOutcome) -> DataSource:
    """Store the sync's result on the source row (status, counts, version, error)."""
    error: str | None
    if outcome.fatal:
        status, error = "failed", outcome.fatal
    else:
        status = "ready"
        error = (
            f"{len(outcome.errors)} item(s) failed: "
            + "; ".join(e["message"] for e in outcome.errors[:3])
            if outcome.errors
            else None
        )
    async with deps.db.connection() as conn:
        if outcome.fatal is None:
            await conn.execute(
                "UPDATE data_sources SET embedding_space = %s WHERE workspace_id = %s AND id = %s",
                (space_tag(deps.table), source.workspace_id, source.id),
            )
        updated = await sources_repo.update_source_state(
            conn,
            source.workspace_id,
            source.id,
            status=status,
            counts=outcome.counts,
            version=outcome.version,
            last_error=error,
            synced=outcome.fatal is None,
        )
    return updated or source
