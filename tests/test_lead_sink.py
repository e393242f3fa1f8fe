"""Lead sink: new live leads are appended to the chatbot's Google Sheet by a retried job.

The Sheets API is a loopback stand-in (tests/fakes/sheets_server.py); gspread, the job
runner, the graph and the widget API are the real ones.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.lead_sink import LeadRow, LeadSheet, SinkRefused, SinkUnavailable, append_lead
from signpost.settings import Settings
from store import jobs as jobs_repo
from tests.conftest import WorkspaceAuth, make_workspace, settings_for
from tests.fakes.sheets_server import FakeSheets

SHEET = "1LeadsSheetKeyForTestsAbcdefghijklmnopqrstu"


@pytest.fixture(scope="module")
def sheets() -> Iterator[FakeSheets]:
    fake = FakeSheets().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def settings(db_dsn: str, data_dir: Path, sheets: FakeSheets) -> Settings:
    return settings_for(db_dsn, data_dir, google_sheets_endpoint=sheets.url)


def lead_row(**fields: str) -> LeadRow:
    return LeadRow(
        captured_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        name="Ada Byrne",
        email="ada@byrne.example",
        phone=None,
        fields=dict(fields),
        documents=["Price list"],
        thread_id="th_1",
        lead_id=uuid.UUID(int=7),
    )


def test_an_empty_tab_gets_a_header_then_the_row(sheets: FakeSheets):
    book = sheets.add("1EmptyTabKey", Sheet1=[])
    append_lead(
        LeadSheet(spreadsheet="1EmptyTabKey"),
        lead_row(company="Byrne & Co"),
        credentials_file=None,
        endpoint=sheets.url,
    )
    header, row = book.tabs["Sheet1"]
    assert header == [
        "Captured at",
        "Name",
        "Email",
        "Phone",
        "Company",
        "Documents",
        "Thread",
        "Lead id",
    ]
    assert row == [
        "2026-11-02 09:30:00 UTC",
        "Ada Byrne",
        "ada@byrne.example",
        "",
        "Byrne & Co",
        "Price list",
        "th_1",
        str(uuid.UUID(int=7)),
    ]


def test_rows_follow_the_sheets_own_column_order_and_new_fields_are_added_at_the_end(
    sheets: FakeSheets,
):
    book = sheets.add(
        "1ExistingKey", Leads=[["Email", "Name", "Notes"], ["old@x.example", "Old", "vip"]]
    )
    url = "https://docs.google.com/spreadsheets/d/1ExistingKey/edit#gid=0"
    append_lead(
        LeadSheet(spreadsheet=url, worksheet="Leads"),
        lead_row(budget="5k"),
        credentials_file=None,
        endpoint=sheets.url,
    )
    rows = book.tabs["Leads"]
    assert rows[0][:3] == ["Email", "Name", "Notes"] and "Budget" in rows[0]
    assert rows[1] == ["old@x.example", "Old", "vip"]
    new = dict(zip(rows[0], rows[2], strict=True))
    assert new["Email"] == "ada@byrne.example" and new["Name"] == "Ada Byrne"
    assert new["Notes"] == "" and new["Budget"] == "5k"


def test_values_stay_text_and_are_not_interpreted_as_formulas(sheets: FakeSheets):
    book = sheets.add("1FormulaKey", Sheet1=[])
    append_lead(
        LeadSheet(spreadsheet="1FormulaKey"),
        lead_row(message='=HYPERLINK("x")'),
        credentials_file=None,
        endpoint=sheets.url,
    )
    assert '=HYPERLINK("x")' in book.tabs["Sheet1"][1]
    appends = [
        path for method, path in sheets.requests if method == "POST" and "1FormulaKey" in path
    ]
    assert appends and appends[-1].endswith(":append")


def test_a_missing_tab_or_an_unshared_sheet_says_what_to_fix(sheets: FakeSheets):
    sheets.add("1OneTabKey", Sheet1=[])
    with pytest.raises(SinkRefused, match="no tab named 'Leads'"):
        append_lead(
            LeadSheet(spreadsheet="1OneTabKey", worksheet="Leads"),
            lead_row(),
            credentials_file=None,
            endpoint=sheets.url,
        )
    with pytest.raises(SinkRefused, match="share the sheet with the service account"):
        append_lead(
            LeadSheet(spreadsheet="1NobodySharedThis"),
            lead_row(),
            credentials_file=None,
            endpoint=sheets.url,
        )


def test_rate_limits_and_server_errors_are_retryable(sheets: FakeSheets):
    sheets.add(
        "1BusyKey",
        Sheet1=[["Captured at", "Name", "Email", "Phone", "Documents", "Thread", "Lead id"]],
    )
    sheets.fail_next[:] = [503]
    with pytest.raises(SinkUnavailable):
        append_lead(
            LeadSheet(spreadsheet="1BusyKey"),
            lead_row(),
            credentials_file=None,
            endpoint=sheets.url,
        )
    assert isinstance(SinkUnavailable("x"), ConnectionError)  # what the job runner retries


@pytest.mark.parametrize("value", ["", "https://example.com/not-a-sheet", "   "])
def test_a_lead_sheet_must_name_a_spreadsheet(value: str):
    with pytest.raises(ValueError):
        LeadSheet(spreadsheet=value)


# -- end to end: widget turn → lead stored → job → sheet ---------------------------------------
@pytest.fixture(scope="module")
async def owner(runtime) -> WorkspaceAuth:
    return await make_workspace(runtime, "Lead sink")


async def _bot(client, owner: WorkspaceAuth, **extra) -> dict:
    body = {"name": "Sink bot", "status": "published", "lead_fields": ["name", "email"], **extra}
    resp = await client.post("/api/v1/chatbots", json=body, headers=owner.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def _submit(client, bot: dict, lead: dict) -> dict:
    resp = await client.post(
        f"/api/v1/widget/{bot['public_key']}/turns",
        json={"lead": lead},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _sink_jobs(runtime, owner: WorkspaceAuth) -> list[jobs_repo.Job]:
    await runtime.jobs.wait_idle(30)
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT id FROM jobs WHERE workspace_id = %s AND kind = 'lead_sink' ORDER BY created_at",
            (owner.id,),
        )
        ids = [r["id"] for r in await cur.fetchall()]
        return [await jobs_repo.get_job(conn, owner.id, i) for i in ids]


async def test_a_new_lead_is_appended_once_and_a_returning_visitor_is_not_appended_again(
    client, runtime, owner, sheets: FakeSheets
):
    book = sheets.add(SHEET, Sheet1=[])
    bot = await _bot(client, owner, lead_sheet={"spreadsheet": SHEET})
    assert bot["lead_sheet"] == {"spreadsheet": SHEET, "worksheet": None}

    out = await _submit(client, bot, {"name": "Maeve Quinn", "email": "maeve@quinn.example"})
    assert out["lead"]["status"] == "captured"
    jobs = await _sink_jobs(runtime, owner)
    assert [j.status for j in jobs] == ["succeeded"]
    header, row = book.tabs["Sheet1"]
    assert dict(zip(header, row, strict=True))["Email"] == "maeve@quinn.example"

    again = await _submit(client, bot, {"name": "Maeve Q.", "email": "MAEVE@quinn.example"})
    assert again["lead"]["status"] == "captured"
    assert len(await _sink_jobs(runtime, owner)) == 1
    assert len(book.tabs["Sheet1"]) == 2


async def test_an_unavailable_sheet_is_retried_until_the_row_lands(
    client, runtime, owner, sheets: FakeSheets
):
    book = sheets.add("1FlakySheetKey", Sheet1=[])
    bot = await _bot(client, owner, lead_sheet={"spreadsheet": "1FlakySheetKey"})
    sheets.fail_next[:] = [503]
    await _submit(client, bot, {"name": "Rory Flynn", "email": "rory@flynn.example"})
    await asyncio.sleep(0.1)
    await runtime.jobs.wait_idle(60)
    job = (await _sink_jobs(runtime, owner))[-1]
    assert job.status == "succeeded" and job.attempts >= 2
    assert [r[2] for r in book.tabs["Sheet1"][1:]] == ["rory@flynn.example"]


async def test_a_sheet_that_refuses_fails_the_job_with_the_reason_and_the_lead_is_kept(
    client, runtime, owner
):
    bot = await _bot(client, owner, lead_sheet={"spreadsheet": "1NeverSharedKey"})
    out = await _submit(client, bot, {"name": "Nia Hart", "email": "nia@hart.example"})
    assert out["lead"]["status"] == "captured"
    job = (await _sink_jobs(runtime, owner))[-1]
    assert job.status == "failed" and "share the sheet" in job.errors[0]["message"]
    resp = await client.get(f"/api/v1/chatbots/{bot['id']}/leads", headers=owner.headers)
    assert [lead["email"] for lead in resp.json()["items"]] == ["nia@hart.example"]


async def test_preview_leads_and_bots_without_a_sheet_queue_nothing(client, runtime, owner):
    before = len(await _sink_jobs(runtime, owner))
    plain = await _bot(client, owner)
    await _submit(client, plain, {"name": "Ola", "email": "ola@example.org"})
    with_sheet = await _bot(client, owner, lead_sheet={"spreadsheet": SHEET})
    resp = await client.post(
        f"/api/v1/chatbots/{with_sheet['id']}/preview/turns",
        json={"lead": {"name": "Builder", "email": "builder@example.org"}},
        headers={**owner.headers, "Accept": "application/json"},
    )
    assert resp.status_code == 200 and resp.json()["lead"]["status"] == "captured"
    assert len(await _sink_jobs(runtime, owner)) == before


async def test_the_api_validates_and_turns_the_lead_sheet_off(client, owner):
    resp = await client.post(
        "/api/v1/chatbots",
        headers=owner.headers,
        json={"name": "Bad", "lead_sheet": {"spreadsheet": "https://x.example/a"}},
    )
    assert resp.status_code == 422 and "Google Sheets URL" in resp.text
    bot = await _bot(client, owner, lead_sheet={"spreadsheet": SHEET, "worksheet": "Leads"})
    resp = await client.patch(
        f"/api/v1/chatbots/{bot['id']}", json={"lead_sheet": None}, headers=owner.headers
    )
    assert resp.status_code == 200 and resp.json()["lead_sheet"] is None
    resp = await client.patch(
        f"/api/v1/chatbots/{bot['id']}", json={"name": None}, headers=owner.headers
    )
    assert resp.status_code == 422
