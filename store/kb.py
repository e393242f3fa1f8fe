"""Knowledge-base rows: pages, contacts, documents and custom-text entries of a source."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import sql
from psycopg.types.json import Jsonb

from ingestion.records import ContactRecord, DocumentRecord, PageRecord
from store.db import Conn

ItemTable = Literal["kb_pages", "kb_contacts", "kb_documents", "kb_entries"]
_KEY_COLUMN: dict[str, str] = {
    "kb_pages": "url",
    "kb_contacts": "row_number",
    "kb_documents": "file_key",
    "kb_entries": "content_hash",
}


@dataclass(frozen=True, slots=True)
class ItemState:
    """What is stored for one item: its id and content hash (to skip unchanged ones)."""

    id: uuid.UUID
    content_hash: str
    status: str = "ready"


async def item_states(
    conn: Conn, table: ItemTable, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> dict[Any, ItemState]:
    """Return key → state for every stored item of the source."""
    key = _KEY_COLUMN[table]
    status = sql.SQL(", status") if table == "kb_documents" else sql.SQL("")
    cur = await conn.execute(
        sql.SQL(
            "SELECT {key} AS key, id, content_hash{status} FROM {t} "
            "WHERE workspace_id = %s AND source_id = %s"
        ).format(key=sql.Identifier(key), t=sql.Identifier(table), status=status),
        (workspace_id, source_id),
    )
    return {
        row["key"]: ItemState(row["id"], row["content_hash"], row.get("status", "ready"))
        for row in await cur.fetchall()
    }


async def delete_items(
    conn: Conn, table: ItemTable, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> int:
    """Delete items by id (their chunks are deleted by the caller, same transaction)."""
    if not ids:
        return 0
    cur = await conn.execute(
        sql.SQL("DELETE FROM {t} WHERE workspace_id = %s AND id = ANY(%s)").format(
            t=sql.Identifier(table)
        ),
        (workspace_id, list(ids)),
    )
    return cur.rowcount


async def count_items(
    conn: Conn, table: ItemTable, workspace_id: uuid.UUID, source_id: uuid.UUID
) -> int:
    """Return how many items of the source the table holds (documents: ready ones)."""
    extra = sql.SQL(" AND status = 'ready'") if table == "kb_documents" else sql.SQL("")
    cur = await conn.execute(
        sql.SQL(
            "SELECT count(*) AS n FROM {t} WHERE workspace_id = %s AND source_id = %s{extra}"
        ).format(t=sql.Identifier(table), extra=extra),
        (workspace_id, source_id),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def upsert_page(
    conn: Conn, workspace_id: uuid.UUID, source_id: uuid.UUID, page_id: uuid.UUID, page: PageRecord
) -> None:
    """Insert or replace a page row."""
    await conn.execute(
        """INSERT INTO kb_pages (id, workspace_id, source_id, url, title, description, text, kind,
                                 thumbnail_url, price, keywords, headings, summary, content_hash)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (source_id, url) DO UPDATE SET
               title = EXCLUDED.title, description = EXCLUDED.description, text = EXCLUDED.text,
               kind = EXCLUDED.kind, thumbnail_url = EXCLUDED.thumbnail_url,
               price = EXCLUDED.price, keywords = EXCLUDED.keywords,
               headings = EXCLUDED.headings, summary = EXCLUDED.summary,
               content_hash = EXCLUDED.content_hash, updated_at = now()""",
        (
            page_id,
            workspace_id,
            source_id,
            page.url,
            page.title,
            page.description,
            page.text,
            page.kind,
            page.thumbnail_url,
            page.price,
            Jsonb(page.keywords),
            Jsonb(page.headings),
            page.summary,
            page.content_hash,
        ),
    )


async def upsert_contact(
    conn: Conn,
    workspace_id: uuid.UUID,
    source_id: uuid.UUID,
    contact_id: uuid.UUID,
    contact: ContactRecord,
) -> None:
    """Insert or replace a contact row (keyed by its row number in the sheet)."""
    await conn.execute(
        """INSERT INTO kb_contacts (id, workspace_id, source_id, row_number, fields, name, role,
                                    department, region, email, phone, languages, content_hash)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (source_id, row_number) DO UPDATE SET
               fields = EXCLUDED.fields, name = EXCLUDED.name, role = EXCLUDED.role,
               department = EXCLUDED.department, region = EXCLUDED.region,
               email = EXCLUDED.email, phone = EXCLUDED.phone, languages = EXCLUDED.languages,
               content_hash = EXCLUDED.content_hash, updated_at = now()""",
        (
            contact_id,
            workspace_id,
            source_id,
            contact.row_number,
            Jsonb(contact.fields),
            contact.name,
            contact.role,
            contact.department,
            contact.region,
            contact.email,
            contact.phone,
            Jsonb(contact.languages),
            contact.content_hash,
        ),
    )


async def upsert_document(
    conn: Conn,
    workspace_id: uuid.UUID,
    source_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    file: dict[str, Any],
    record: DocumentRecord | None,
    error: str | None = None,
) -> None:
    """Insert or replace a document row; `record=None` records a failed parse."""
    title = record.title if record else file["filename"]
    await conn.execute(
        """INSERT INTO kb_documents (id, workspace_id, source_id, file_key, filename, content_type,
                                     title, summary, tags, page_count, metadata, content_hash,
                                     status, error)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (source_id, file_key) DO UPDATE SET
               filename = EXCLUDED.filename, content_type = EXCLUDED.content_type,
               title = EXCLUDED.title, summary = EXCLUDED.summary, tags = EXCLUDED.tags,
               page_count = EXCLUDED.page_count, metadata = EXCLUDED.metadata,
               content_hash = EXCLUDED.content_hash, status = EXCLUDED.status,
               error = EXCLUDED.error, updated_at = now()""",
        (
            document_id,
            workspace_id,
            source_id,
            file["key"],
            file["filename"],
            file.get("content_type", ""),
            title,
            record.summary if record else "",
            Jsonb(record.tags if record else []),
            record.page_count if record else None,
            Jsonb(record.metadata if record else {}),
            file["sha256"],
            "ready" if record else "failed",
            error,
        ),
    )


async def note_document_error(
    conn: Conn, workspace_id: uuid.UUID, document_id: uuid.UUID, error: str
) -> None:
    """Record why a new version failed while the previous good version stays served."""
    await conn.execute(
        "UPDATE kb_documents SET error = %s, updated_at = now() WHERE workspace_id = %s AND id = %s",
        (error, workspace_id, document_id),
    )


async def insert_entry(
    conn: Conn,
    workspace_id: uuid.UUID,
    source_id: uuid.UUID,
    entry_id: uuid.UUID,
    *,
    position: int,
    question: str | None,
    answer: str,
    category: str,
    content_hash: str,
) -> None:
    """Insert a custom-text entry (entries are immutable: a change is a new hash)."""
    await conn.execute(
        """INSERT INTO kb_entries (id, workspace_id, source_id, position, question, answer,
                                   category, content_hash)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (entry_id, workspace_id, source_id, position, question, answer, category, content_hash),
    )


async def set_entry_position(
    conn: Conn, workspace_id: uuid.UUID, entry_id: uuid.UUID, position: int
) -> None:
    """Keep an unchanged entry's position in step with the text's current order."""
    await conn.execute(
        "UPDATE kb_entries SET position = %s WHERE workspace_id = %s AND id = %s",
        (position, workspace_id, entry_id),
    )


# -- reads for the bucket tools ----------------------------------------------------------
_PAGE_COLUMNS = (
    "id, source_id, url, title, description, kind, thumbnail_url, price, keywords, summary, "
    "headings"
)


async def pages_by_ids(
    conn: Conn, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Return page rows (without full text) by id."""
    if not ids:
        return {}
    cur = await conn.execute(
        f"SELECT {_PAGE_COLUMNS} FROM kb_pages WHERE workspace_id = %s AND id = ANY(%s)",
        (workspace_id, list(ids)),
    )
    return {row["id"]: row for row in await cur.fetchall()}


async def page_catalog(
    conn: Conn, workspace_id: uuid.UUID, source_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Return every page of the sources (without full text): titles, kinds, URLs."""
    if not source_ids:
        return []
    cur = await conn.execute(
        f"SELECT {_PAGE_COLUMNS} FROM kb_pages WHERE workspace_id = %s AND source_id = ANY(%s) "
        "ORDER BY url",
        (workspace_id, list(source_ids)),
    )
    return list(await cur.fetchall())


async def entries_by_ids(
    conn: Conn, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Return custom-text entries by id."""
    if not ids:
        return {}
    cur = await conn.execute(
        "SELECT id, source_id, question, answer, category FROM kb_entries "
        "WHERE workspace_id = %s AND id = ANY(%s)",
        (workspace_id, list(ids)),
    )
    return {row["id"]: row for row in await cur.fetchall()}


async def document_catalog(
    conn: Conn, workspace_id: uuid.UUID, source_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Return the ready documents of the sources: id, title, summary, tags, file name."""
    if not source_ids:
        return []
    cur = await conn.execute(
        "SELECT id, source_id, title, summary, tags, filename, file_key, page_count "
        "FROM kb_documents WHERE workspace_id = %s AND source_id = ANY(%s) AND status = 'ready' "
        "ORDER BY title",
        (workspace_id, list(source_ids)),
    )
    return list(await cur.fetchall())


async def document_file_names(
    conn: Conn, workspace_id: uuid.UUID, source_ids: Sequence[uuid.UUID]
) -> list[str]:
    """Return the file names and storage keys of every document of the sources (for the guard)."""
    if not source_ids:
        return []
    cur = await conn.execute(
        "SELECT filename, file_key FROM kb_documents WHERE workspace_id = %s "
        "AND source_id = ANY(%s)",
        (workspace_id, list(source_ids)),
    )
    names: list[str] = []
    for row in await cur.fetchall():
        names.extend([row["filename"], row["file_key"]])
    return names


async def contact_rows(
    conn: Conn, workspace_id: uuid.UUID, source_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Return every contact row of the sources, in sheet order."""
    if not source_ids:
        return []
    cur = await conn.execute(
        "SELECT id, source_id, row_number, fields, name, role, department, region, email, phone, "
        "languages FROM kb_contacts WHERE workspace_id = %s AND source_id = ANY(%s) "
        "ORDER BY source_id, row_number",
        (workspace_id, list(source_ids)),
    )
    return list(await cur.fetchall())
