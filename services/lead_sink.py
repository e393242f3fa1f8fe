"""Lead sink: append each new lead of a chatbot to a Google Sheet, as a background job.

A chatbot opts in with `lead_sheet: {spreadsheet, worksheet?}` (kept in its settings).
Capturing a new lead queues one `lead_sink` job in the same transaction as the lead;
the job runner (in-process or Celery) appends one row through gspread. Rate limits,
server errors and network blinks are retried with backoff; a sheet that is missing or
not shared with the service account fails the job with a message saying what to fix.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError, SpreadsheetNotFound, WorksheetNotFound
from gspread.utils import InsertDataOption, ValueInputOption
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingestion.records import LoaderError
from ingestion.sheets import google_client, spreadsheet_key
from store import jobs as jobs_repo
from store import leads as leads_repo
from store.db import Conn, Database

log = logging.getLogger(__name__)

BASE_COLUMNS = ("Captured at", "Name", "Email", "Phone")
TAIL_COLUMNS = ("Documents", "Thread", "Lead id")
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class LeadSheet(BaseModel):
    """Where a chatbot's new leads are appended."""

    model_config = ConfigDict(extra="forbid")

    spreadsheet: str = Field(
        ..., min_length=1, max_length=500, description="The Google Sheet's URL or key."
    )
    worksheet: str | None = Field(
        None, max_length=100, description="Tab title; the first tab when omitted."
    )

    @field_validator("spreadsheet")
    @classmethod
    def _key(cls, value: str) -> str:
        try:
            spreadsheet_key(value)
        except LoaderError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()


class SinkUnavailable(ConnectionError):
    """Google answered with a rate limit or a server error: retry the job later."""


class SinkRefused(Exception):
    """The sheet cannot take the row until someone fixes the set-up (sharing, the tab...)."""


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One lead as a sheet row: the fixed columns, then the bot's own fields by name."""

    captured_at: datetime
    name: str | None
    email: str | None
    phone: str | None
    fields: dict[str, Any]
    documents: list[str]
    thread_id: str | None
    lead_id: uuid.UUID

    def cells(self, header: list[str]) -> list[str]:
        """Return the row's cells in the order of the sheet's header."""
        known = {
            "Captured at": self.captured_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "Name": self.name or "",
            "Email": self.email or "",
            "Phone": self.phone or "",
            "Documents": ", ".join(self.documents),
            "Thread": self.thread_id or "",
            "Lead id": str(self.lead_id),
        }
        extra = {_label(k): str(v) for k, v in self.fields.items()}
        return [known.get(column, extra.get(column, "")) for column in header]

    def header(self) -> list[str]:
        """Return the header a fresh sheet gets."""
        extra = [_label(k) for k in self.fields if _label(k) not in BASE_COLUMNS + TAIL_COLUMNS]
        return [*BASE_COLUMNS, *extra, *TAIL_COLUMNS]


def _label(field_name: str) -> str:
    return field_name.replace("_", " ").capitalize()


def append_lead(
    sheet: LeadSheet,
    row: LeadRow,
    *,
    credentials_file: Path | None,
    endpoint: str | None = None,
    client: gspread.Client | None = None,
) -> int:
    """Append the lead under the sheet's header (writing one first on an empty tab).

    Columns the sheet's header does not name are added to its end, so a lead field added
    later still lands in the sheet. Returns the number of cells written.
    """
    key, gid = spreadsheet_key(sheet.spreadsheet)
    try:
        gc = client or google_client(credentials_file, endpoint, write=True)
        book = gc.open_by_key(key)
        if sheet.worksheet:
            tab = book.worksheet(sheet.worksheet)
        elif gid is not None:
            tab = book.get_worksheet_by_id(gid)
        else:
            tab = book.sheet1
        header = [h.strip() for h in tab.row_values(1)]
        if not any(header):
            header = row.header()
            tab.update([header], "A1", value_input_option=ValueInputOption.raw)
        missing = [c for c in row.header() if c not in header]
        if missing:
            header = [*header, *missing]
            tab.update([header], "A1", value_input_option=ValueInputOption.raw)
        cells = row.cells(header)
        tab.append_row(
            cells,
            value_input_option=ValueInputOption.raw,
            insert_data_option=InsertDataOption.insert_rows,
            table_range="A1",
        )
        return len(cells)
    except WorksheetNotFound as exc:
        raise SinkRefused(
            f"the Google Sheet has no tab named {sheet.worksheet!r}: fix the worksheet name"
        ) from exc
    except SpreadsheetNotFound as exc:
        raise SinkRefused(_not_shared(key)) from exc
    except PermissionError as exc:
        raise SinkRefused(_not_shared(key)) from exc
    except APIError as exc:
        if exc.code in TRANSIENT_STATUS:
            raise SinkUnavailable(f"Google Sheets answered {exc.code}; retrying") from exc
        if exc.code in (403, 404):
            raise SinkRefused(_not_shared(key)) from exc
        message = exc.error.get("message", "")
        raise SinkRefused(f"Google Sheets API error {exc.code}: {message}") from exc
    except GoogleAuthError as exc:
        raise SinkRefused(f"Google rejected the service-account key ({exc})") from exc
    except requests.RequestException as exc:
        raise SinkUnavailable(f"could not reach the Google Sheets API: {exc}") from exc


def _not_shared(key: str) -> str:
    return (
        f"Google Sheet '{key}' was not found or the service account may not edit it: "
        "share the sheet with the service account's client_email as Editor"
    )


async def queue_delivery(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, lead_id: uuid.UUID
) -> uuid.UUID | None:
    """Queue the sheet delivery of a new lead (in the caller's transaction); return the job."""
    return await jobs_repo.enqueue_lead_sink(conn, workspace_id, chatbot_id, lead_id)


async def deliver(db: Database, settings: Any, job: jobs_repo.Job) -> str:
    """Run a claimed `lead_sink` job; return its final status.

    Transient Google errors propagate as ConnectionError so the runner retries the job.
    """
    async with db.connection() as conn:
        problem, sheet, row = await _load(conn, job)
    if problem is None and sheet is not None and row is not None:
        try:
            written = await asyncio.to_thread(
                append_lead,
                sheet,
                row,
                credentials_file=settings.google_service_account_file,
                endpoint=settings.google_sheets_endpoint,
            )
        except SinkRefused as exc:
            problem = str(exc)
        except LoaderError as exc:  # no credentials configured
            problem = str(exc)
    async with db.connection() as conn:
        if problem is not None:
            log.warning("lead sink job %s failed: %s", job.id, problem)
            await jobs_repo.finish(
                conn,
                job.id,
                status="failed",
                errors_=[{"item": str(job.lead_id), "message": problem}],
                result=None,
            )
            return "failed"
        await jobs_repo.progress(conn, job.id, 1, 1)
        await jobs_repo.finish(
            conn, job.id, status="succeeded", errors_=[], result={"cells": written}
        )
    return "succeeded"


async def _load(
    conn: Conn, job: jobs_repo.Job
) -> tuple[str | None, LeadSheet | None, LeadRow | None]:
    if job.lead_id is None:
        return "the job names no lead", None, None
    lead = await leads_repo.get_lead(conn, job.workspace_id, job.lead_id)
    if lead is None:
        return "the lead was deleted", None, None
    cur = await conn.execute(
        "SELECT settings -> 'lead_sheet' AS sheet FROM chatbots "
        "WHERE workspace_id = %s AND id = %s",
        (job.workspace_id, lead.chatbot_id),
    )
    found = await cur.fetchone()
    if found is None or not found["sheet"]:
        return "the chatbot no longer sends leads to a sheet", None, None
    row = LeadRow(
        captured_at=lead.created_at,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        fields=dict(lead.fields or {}),
        documents=[d.title for d in lead.documents],
        thread_id=lead.thread_id,
        lead_id=lead.id,
    )
    return None, LeadSheet.model_validate(found["sheet"]), row
