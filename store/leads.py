"""Leads, the documents released to them, and every download of a released document."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from psycopg.types.json import Jsonb

from store.db import Conn

CONTACT_COLUMNS = ("name", "email", "phone")
"""Lead values kept in their own columns; every other field goes to `fields`."""

_LEAD_COLUMNS = (
    "id, workspace_id, chatbot_id, thread_id, name, email, phone, fields, mode, created_at, "
    "updated_at"
)


@dataclass(frozen=True, slots=True)
class ReleasedDocument:
    """A document a lead received: its title as released, when, and in which thread."""

    document_id: uuid.UUID
    title: str
    released_at: datetime
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Lead:
    """A lead row, with the documents it received when listed."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    thread_id: str | None
    name: str | None
    email: str | None
    phone: str | None
    fields: dict[str, Any]
    mode: str
    created_at: datetime
    updated_at: datetime
    documents: list[ReleasedDocument] = field(default_factory=list)


class LeadUpsert(NamedTuple):
    """What storing a submission did: which lead, and whether it is new."""

    lead_id: uuid.UUID
    created: bool


@dataclass(frozen=True, slots=True)
class Releasable:
    """A document that may be released: ready, and linked to the bot's doc_referral bucket."""

    id: uuid.UUID
    title: str


@dataclass(frozen=True, slots=True)
class DownloadTarget:
    """What a signed link points at, as it stands now."""

    lead_ok: bool
    """The lead exists for this chatbot in this workspace."""
    released: bool
    """The document was released to this lead (a release record exists)."""
    document_id: uuid.UUID | None = None
    """None when the document no longer exists or is not ready."""
    file_key: str | None = None
    filename: str | None = None
    content_type: str | None = None
    title: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Download:
    """One download of a released document."""

    id: uuid.UUID
    chatbot_id: uuid.UUID
    lead_id: uuid.UUID | None
    document_id: uuid.UUID
    ip: str | None
    user_agent: str | None
    downloaded_at: datetime


def _split_values(values: Mapping[str, str]) -> tuple[dict[str, str | None], dict[str, str]]:
    contact = {key: (values.get(key) or None) for key in CONTACT_COLUMNS}
    extra = {k: v for k, v in values.items() if k not in CONTACT_COLUMNS and v}
    return contact, extra


async def _match_lead(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    mode: str,
    email: str | None,
    phone: str | None,
) -> uuid.UUID | None:
    """Return the lead this person already is: same email, else same phone (no other email)."""
    cur = await conn.execute(
        """SELECT id FROM leads
           WHERE workspace_id = %(w)s AND chatbot_id = %(c)s AND mode = %(m)s AND (
                 (%(e)s::text IS NOT NULL AND lower(email) = lower(%(e)s::text))
              OR (%(p)s::text IS NOT NULL AND phone = %(p)s::text
                  AND (email IS NULL OR %(e)s::text IS NULL)))
           ORDER BY (lower(email) IS NOT DISTINCT FROM lower(%(e)s::text)) DESC, updated_at DESC
           LIMIT 1""",
        {"w": workspace_id, "c": chatbot_id, "m": mode, "e": email, "p": phone},
    )
    row = await cur.fetchone()
    return row["id"] if row else None


async def upsert_lead(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    values: Mapping[str, str],
    *,
    thread_id: str | None = None,
    mode: str = "live",
) -> LeadUpsert:
    """Store validated lead values, updating the lead of a returning visitor.

    The same person is recognised per chatbot (and mode) by email, case-insensitively,
    else by phone. A returning visitor's new values replace the old ones; values they
    leave out are kept.
    """
    contact, extra = _split_values(values)
    if not contact["email"] and not contact["phone"]:
        raise ValueError("a lead needs an email address or a phone number")
    async with conn.transaction():
        # Serialise submissions per chatbot so two tabs cannot create the same person twice.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"lead:{chatbot_id}",)
        )
        existing = await _match_lead(
            conn, workspace_id, chatbot_id, mode, contact["email"], contact["phone"]
        )
        if existing is None:
            lead_id = uuid.uuid4()
            await conn.execute(
                """INSERT INTO leads (id, workspace_id, chatbot_id, thread_id, name, email, phone,
                                      fields, mode)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (
                    lead_id,
                    workspace_id,
                    chatbot_id,
                    thread_id,
                    contact["name"],
                    contact["email"],
                    contact["phone"],
                    Jsonb(extra),
                    mode,
                ),
            )
            return LeadUpsert(lead_id=lead_id, created=True)
        await conn.execute(
            """UPDATE leads SET name = COALESCE(%s, name), email = COALESCE(%s, email),
                      phone = COALESCE(%s, phone), fields = fields || %s,
                      thread_id = COALESCE(%s, thread_id), updated_at = now()
               WHERE workspace_id = %s AND id = %s""",
            (
                contact["name"],
                contact["email"],
                contact["phone"],
                Jsonb(extra),
                thread_id,
                workspace_id,
                existing,
            ),
        )
        return LeadUpsert(lead_id=existing, created=False)


async def get_lead(conn: Conn, workspace_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
    """Return the lead with the documents it received, or None."""
    cur = await conn.execute(
        f"SELECT {_LEAD_COLUMNS} FROM leads WHERE workspace_id = %s AND id = %s",
        (workspace_id, lead_id),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    documents = await released_documents(conn, workspace_id, [lead_id])
    return Lead(**row, documents=documents.get(lead_id, []))


async def list_leads(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    *,
    limit: int = 50,
    offset: int = 0,
    mode: str | None = None,
) -> tuple[list[Lead], int]:
    """Return one page of a chatbot's leads (newest first, with their documents) and the total."""
    cur = await conn.execute(
        f"""SELECT {_LEAD_COLUMNS}, count(*) OVER () AS total FROM leads
            WHERE workspace_id = %(w)s AND chatbot_id = %(c)s
              AND (%(m)s::text IS NULL OR mode = %(m)s::text)
            ORDER BY created_at DESC, id LIMIT %(limit)s OFFSET %(offset)s""",
        {"w": workspace_id, "c": chatbot_id, "m": mode, "limit": limit, "offset": offset},
    )
    rows = await cur.fetchall()
    total = rows[0]["total"] if rows else await _count_leads(conn, workspace_id, chatbot_id, mode)
    documents = await released_documents(conn, workspace_id, [r["id"] for r in rows])
    leads = [
        Lead(**{k: v for k, v in r.items() if k != "total"}, documents=documents.get(r["id"], []))
        for r in rows
    ]
    return leads, int(total)


async def _count_leads(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, mode: str | None
) -> int:
    cur = await conn.execute(
        "SELECT count(*) AS n FROM leads WHERE workspace_id = %s AND chatbot_id = %s "
        "AND (%s::text IS NULL OR mode = %s::text)",
        (workspace_id, chatbot_id, mode, mode),
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def released_documents(
    conn: Conn, workspace_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ReleasedDocument]]:
    """Return lead id → the documents it received, first released first."""
    if not lead_ids:
        return {}
    cur = await conn.execute(
        """SELECT lead_id, document_id, title, released_at, thread_id FROM lead_documents
           WHERE workspace_id = %s AND lead_id = ANY(%s)
           ORDER BY released_at, title""",
        (workspace_id, list(lead_ids)),
    )
    found: dict[uuid.UUID, list[ReleasedDocument]] = {}
    for row in await cur.fetchall():
        lead_id = row.pop("lead_id")
        found.setdefault(lead_id, []).append(ReleasedDocument(**row))
    return found


async def releasable_documents(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, document_ids: Sequence[uuid.UUID]
) -> list[Releasable]:
    """Return those of the documents that are ready and offered by the bot's doc_referral bucket.

    The result keeps the order of `document_ids` (rank order).
    """
    if not document_ids:
        return []
    cur = await conn.execute(
        """SELECT d.id, d.title FROM kb_documents d
           WHERE d.workspace_id = %s AND d.id = ANY(%s) AND d.status = 'ready'
             AND EXISTS (SELECT 1 FROM bucket_links b
                         WHERE b.workspace_id = d.workspace_id AND b.chatbot_id = %s
                           AND b.bucket = 'doc_referral' AND b.source_id = d.source_id)""",
        (workspace_id, list(document_ids), chatbot_id),
    )
    by_id = {row["id"]: Releasable(**row) for row in await cur.fetchall()}
    return [by_id[i] for i in dict.fromkeys(document_ids) if i in by_id]


async def record_released(
    conn: Conn,
    workspace_id: uuid.UUID,
    lead_id: uuid.UUID,
    documents: Sequence[Releasable],
    *,
    thread_id: str | None = None,
) -> None:
    """Record that the lead received the documents (a repeat refreshes the release time)."""
    if not documents:
        return
    await conn.execute(
        """INSERT INTO lead_documents (workspace_id, lead_id, document_id, title, thread_id)
           SELECT %s, %s, x.document_id, x.title, %s
           FROM unnest(%s::uuid[], %s::text[]) AS x(document_id, title)
           ON CONFLICT (lead_id, document_id) DO UPDATE SET
               title = EXCLUDED.title, thread_id = EXCLUDED.thread_id, released_at = now()""",
        (
            workspace_id,
            lead_id,
            thread_id,
            [d.id for d in documents],
            [d.title for d in documents],
        ),
    )


async def download_target(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    lead_id: uuid.UUID,
    document_id: uuid.UUID,
) -> DownloadTarget:
    """Return what a signed link for (chatbot, lead, document) points at now."""
    cur = await conn.execute(
        """SELECT
               EXISTS (SELECT 1 FROM leads l WHERE l.workspace_id = %(w)s AND l.id = %(l)s
                       AND l.chatbot_id = %(c)s) AS lead_ok,
               EXISTS (SELECT 1 FROM lead_documents r WHERE r.workspace_id = %(w)s
                       AND r.lead_id = %(l)s AND r.document_id = %(d)s) AS released,
               d.id AS document_id, d.file_key, d.filename, d.content_type, d.title,
               (SELECT (f ->> 'size')::bigint
                  FROM data_sources s,
                       jsonb_array_elements(CASE WHEN jsonb_typeof(s.config -> 'files') = 'array'
                                                 THEN s.config -> 'files' ELSE '[]' END) AS f
                 WHERE s.workspace_id = d.workspace_id AND s.id = d.source_id
                   AND f ->> 'key' = d.file_key
                 LIMIT 1) AS size
           FROM (SELECT 1) AS one
           LEFT JOIN kb_documents d
                  ON d.workspace_id = %(w)s AND d.id = %(d)s AND d.status = 'ready'""",
        {"w": workspace_id, "c": chatbot_id, "l": lead_id, "d": document_id},
    )
    row = await cur.fetchone()
    assert row is not None  # the query always returns one row
    return DownloadTarget(**row)


async def record_download(
    conn: Conn,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    lead_id: uuid.UUID | None,
    document_id: uuid.UUID,
    *,
    ip: str | None,
    user_agent: str | None,
) -> uuid.UUID:
    """Log one download of a document and return the log entry's id."""
    download_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO document_downloads (id, workspace_id, chatbot_id, lead_id, document_id, ip,
                                           user_agent)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (download_id, workspace_id, chatbot_id, lead_id, document_id, ip, user_agent),
    )
    return download_id


async def list_downloads(
    conn: Conn,
    workspace_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[Download]:
    """Return the downloads of a document, newest first."""
    cur = await conn.execute(
        """SELECT id, chatbot_id, lead_id, document_id, ip, user_agent, downloaded_at
           FROM document_downloads WHERE workspace_id = %s AND document_id = %s
           ORDER BY downloaded_at DESC, id LIMIT %s OFFSET %s""",
        (workspace_id, document_id, limit, offset),
    )
    return [Download(**row) for row in await cur.fetchall()]
