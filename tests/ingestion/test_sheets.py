"""Sheets: CSV/XLSX/Google Sheets read as the strings they show, every row a contact."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import gspread
import openpyxl
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ingestion.records import LoaderError
from ingestion.sheets import (
    SheetTable,
    contacts_from_table,
    read_csv,
    read_google_sheet,
    read_xlsx,
    recognise_columns,
)

FIXTURES = Path(__file__).parent / "fixtures" / "google"
SHEET_KEY = "1kQm3VbR7xWnL2pT9sYdE4uHcJ6aZ0fGiO8rN5tBvXyA"
CLIENT_EMAIL = "signpost-reader@acme-sheets.iam.gserviceaccount.com"
ACCESS_TOKEN = "ya29.c.recorded-test-token"


# -- CSV ---------------------------------------------------------------------------------------
def test_odd_headers_are_recognised_and_every_column_kept():
    data = (
        b'"  Full Name ",E-Mail Address,Tel.,Team / Dept,Country,Speaks\n'
        b"Ada Lovelace,ada@acme.example,+44 20 7946 0000,Engineering,United Kingdom,"
        b"English and French\n"
    )
    table = read_csv(data)
    assert table.headers == [
        "Full Name",
        "E-Mail Address",
        "Tel.",
        "Team / Dept",
        "Country",
        "Speaks",
    ]
    [ada] = contacts_from_table(table)
    assert (ada.name, ada.email, ada.phone, ada.department, ada.region) == (
        "Ada Lovelace",
        "ada@acme.example",
        "+44 20 7946 0000",
        "Engineering",
        "United Kingdom",
    )
    assert ada.languages == ["English", "French"]
    assert ada.role is None
    assert ada.fields["Speaks"] == "English and French"
    assert ada.row_number == 1


def test_semicolon_csv_with_commas_inside_values():
    data = (
        b"Name;Role;Department;Email\n"
        b"Jan Smit;Sales Director, Benelux;Sales;jan@acme.example\n"
        b'"de Vries, Eva";Support;Customer Care, NL;eva@acme.example\n'
    )
    table = read_csv(data)
    assert table.headers == ["Name", "Role", "Department", "Email"]
    jan, eva = contacts_from_table(table)
    assert jan.role == "Sales Director, Benelux"
    assert eva.name == "de Vries, Eva" and eva.department == "Customer Care, NL"


def test_tab_separated_csv():
    table = read_csv(b"Name\tPhone\nAda\t0161 496 0000\n")
    assert table.rows == [["Ada", "0161 496 0000"]]


def test_cp1252_file_is_decoded():
    data = "Name,Office,Notes\nZoë Müller,Zürich,Budget €5k – ask first\n".encode("cp1252")
    [row] = read_csv(data).rows
    assert row == ["Zoë Müller", "Zürich", "Budget €5k – ask first"]


def test_utf8_bom_does_not_leak_into_the_first_header():
    table = read_csv("\ufeffName,Email\nAda,ada@acme.example\n".encode())
    assert table.headers[0] == "Name"


def test_quoted_newlines_stay_inside_their_cell():
    data = (
        b"Name,Notes,Phone\n"
        b'Ada,"Call before noon.\nNever on Fridays.",+44 20 7946 0000\n'
        b'Grace,"Pager; ask reception,\nor email",020 7946 0018\n'
    )
    table = read_csv(data)
    assert len(table.rows) == 2
    assert table.rows[0][1] == "Call before noon.\nNever on Fridays."
    assert table.rows[1] == ["Grace", "Pager; ask reception,\nor email", "020 7946 0018"]


def test_leading_zeros_and_phone_numbers_stay_as_written():
    data = (
        b"Employee ID,Name,Phone,Postcode\n"
        b"00123,Ada,+44 20 7946 0000,01234\n"
        b'0042,Grace,="0161 496 0000",0001\n'
    )
    ada, grace = contacts_from_table(read_csv(data))
    assert ada.fields["Employee ID"] == "00123" and ada.fields["Postcode"] == "01234"
    assert ada.phone == "+44 20 7946 0000"
    assert grace.fields["Employee ID"] == "0042"
    assert grace.phone == "0161 496 0000"  # Excel's ="…" text guard is unwrapped
    assert ada.name == "Ada"  # "Employee ID" holds an ID, not a name


def test_duplicate_headers_keep_both_columns():
    data = b"Name,Email,Email,,Phone\nAda,ada@acme.example,team@acme.example,desk 4,0161 496 0000\n"
    table = read_csv(data)
    assert table.headers == ["Name", "Email", "Email (2)", "Column 4", "Phone"]
    [ada] = contacts_from_table(table)
    assert ada.email == "ada@acme.example"
    assert ada.fields["Email (2)"] == "team@acme.example"
    assert ada.fields["Column 4"] == "desk 4"


def test_short_rows_are_padded_and_long_rows_keep_their_extra_cells():
    data = b"Name,Email\nAda\nGrace,grace@acme.example,Night shift\n"
    table = read_csv(data)
    assert table.headers == ["Name", "Email", "Column 3"]
    assert table.rows == [["Ada", "", ""], ["Grace", "grace@acme.example", "Night shift"]]
    ada, grace = contacts_from_table(table)
    assert ada.fields == {"Name": "Ada", "Email": "", "Column 3": ""}
    assert grace.fields["Column 3"] == "Night shift"


def test_blank_rows_and_blank_trailing_columns_are_dropped_from_csv():
    data = b"Name,Email,,\n\n,,,\nAda,ada@acme.example,,\n  ,  ,,\nGrace,grace@acme.example,,\n"
    table = read_csv(data)
    assert table.headers == ["Name", "Email"]
    assert [c.row_number for c in contacts_from_table(table)] == [1, 2]


def test_header_only_sheet_has_no_contacts():
    table = read_csv(b"Name,Email,Phone\n")
    assert table.headers == ["Name", "Email", "Phone"] and table.rows == []
    assert contacts_from_table(table) == []


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_empty_file_is_a_loader_error(data: bytes):
    with pytest.raises(LoaderError, match="empty"):
        read_csv(data)


def test_xlsx_bytes_given_as_csv_say_what_they_are():
    with pytest.raises(LoaderError, match=r"\.xlsx"):
        read_csv(_xlsx({"Sheet": [["Name"], ["Ada"]]}))


def test_a_thousand_rows_become_a_thousand_contacts():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Name", "Email", "Phone", "Region"])
    for i in range(1, 1001):
        writer.writerow(
            [
                f"{i:05d}",
                f"Person {i}",
                f"p{i}@acme.example",
                f"+44 20 7946 {i:04d}",
                "EMEA" if i % 2 else "APAC",
            ]
        )
    contacts = contacts_from_table(read_csv(out.getvalue().encode()))
    assert len(contacts) == 1000
    assert [c.row_number for c in contacts] == list(range(1, 1001))
    last = contacts[-1]
    assert (last.name, last.email, last.phone, last.region, last.fields["ID"]) == (
        "Person 1000",
        "p1000@acme.example",
        "+44 20 7946 1000",
        "APAC",
        "01000",
    )


def test_first_and_last_name_columns_are_combined():
    data = (
        b"First name,Last name,Job title,Email\n"
        b"Ada,Lovelace,Analyst,ada@acme.example\n"
        b",Hopper,Admiral,grace@acme.example\n"
    )
    ada, hopper = contacts_from_table(read_csv(data))
    assert ada.name == "Ada Lovelace" and ada.role == "Analyst"
    assert hopper.name == "Hopper"
    assert ada.fields["First name"] == "Ada" and ada.fields["Last name"] == "Lovelace"


def test_region_prefers_region_over_country_over_office():
    data = b"Name,Office,Country,Sales territory\nAda,Manchester,United Kingdom,Northern Europe\n"
    [ada] = contacts_from_table(read_csv(data))
    assert ada.region == "Northern Europe"
    assert ada.fields["Office"] == "Manchester" and ada.fields["Country"] == "United Kingdom"
    [grace] = contacts_from_table(read_csv(b"Name,City,Country\nGrace,Leeds,UK\n"))
    assert grace.region == "UK"


def test_invalid_email_stays_in_fields_but_is_not_the_email():
    data = (
        b"Name,Email\nAda,ada at acme dot example\nGrace,grace@localhost\n"
        b"Alan,mailto:alan@acme.example\n"
    )
    ada, grace, alan = contacts_from_table(read_csv(data))
    assert ada.email is None and ada.fields["Email"] == "ada at acme dot example"
    assert grace.email is None
    assert alan.email == "alan@acme.example"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Dutch; English; German", ["Dutch", "English", "German"]),
        ("English and French", ["English", "French"]),
        ("English / Urdu | Hindi, Punjabi", ["English", "Urdu", "Hindi", "Punjabi"]),
        ("Chinese (Mandarin/Cantonese), English", ["Chinese (Mandarin/Cantonese)", "English"]),
        ("", []),
    ],
)
def test_languages_are_split_on_common_separators(value: str, expected: list[str]):
    table = SheetTable(headers=["Name", "Spoken languages"], rows=[["Ada", value]])
    [ada] = contacts_from_table(table)
    assert ada.languages == expected


def test_a_row_with_only_some_columns_is_still_a_contact_and_empty_rows_are_skipped():
    table = SheetTable(
        headers=["Name", "Email", "Notes"],
        rows=[["", "", "Reception desk, ground floor"], ["", "", ""], ["Ada", "", ""]],
    )
    desk, ada = contacts_from_table(table)
    assert desk.row_number == 1 and desk.name is None and desk.fields["Notes"].startswith("Rec")
    assert ada.row_number == 3  # numbering follows the sheet, not the kept rows


@dataclass(frozen=True)
class HeaderCase:
    headers: tuple[str, ...]
    expected: dict[str, str]


HEADER_CASES = [
    HeaderCase(
        (
            "Employee ID",
            "Full Name",
            "Job Title",
            "Team",
            "Region",
            "E-mail",
            "Phone",
            "Languages",
            "Office",
            "Notes",
        ),
        {
            "name": "Full Name",
            "role": "Job Title",
            "department": "Team",
            "region": "Region",
            "email": "E-mail",
            "phone": "Phone",
            "languages": "Languages",
        },
    ),
    HeaderCase(
        ("Contact", "Position", "Business unit", "Market", "Mail", "Mobile no.", "Language"),
        {
            "name": "Contact",
            "role": "Position",
            "department": "Business unit",
            "region": "Market",
            "email": "Mail",
            "phone": "Mobile no.",
            "languages": "Language",
        },
    ),
    HeaderCase(
        ("Person", "Designation", "Division", "Territory", "EmailAddress", "Direct line"),
        {
            "name": "Person",
            "role": "Designation",
            "department": "Division",
            "region": "Territory",
            "email": "EmailAddress",
            "phone": "Direct line",
        },
    ),
    HeaderCase(  # "Team name" is a department, "Company name" is nobody's name
        ("Company name", "Team name", "Contact email", "Office phone", "Country code"),
        {"department": "Team name", "email": "Contact email", "phone": "Office phone"},
    ),
    HeaderCase(
        ("Employee", "Function", "Unit", "Location", "Telephone", "Email ID", "Speaks"),
        {
            "name": "Employee",
            "role": "Function",
            "department": "Unit",
            "region": "Location",
            "phone": "Telephone",
            "email": "Email ID",
            "languages": "Speaks",
        },
    ),
]


@pytest.mark.parametrize("case", HEADER_CASES, ids=lambda c: c.headers[0])
def test_header_variants_map_to_their_field(case: HeaderCase):
    columns = recognise_columns(list(case.headers))
    assert {f: case.headers[i] for f, i in columns.fields.items()} == case.expected


# -- XLSX --------------------------------------------------------------------------------------
def _xlsx(
    sheets: dict[str, list[list[Any]]], formats: dict[tuple[str, str], str] | None = None
) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    for (title, cell), number_format in (formats or {}).items():
        book[title][cell].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _contacts_workbook() -> bytes:
    contacts: list[list[Any]] = [
        ["Staff no.", "Name", "Phone", "Extension", "Start date", "Score", "Share", "Email"],
        [
            "00123",
            "Ada Lovelace",
            "+44 20 7946 0000",
            4012,
            dt.date(2024, 3, 14),
            3.5,
            0.125,
            "ada@acme.example",
        ],
        [None] * 8,
        [
            42,
            "Grace Hopper",
            "0161 496 0000",
            7,
            dt.datetime(2023, 11, 2, 9, 30),
            1234.0,
            1,
            "grace@acme.example",
        ],
    ]
    offices = [["Office", "City"], ["HQ", "London"]]
    return _xlsx(
        {"Offices": offices, "Contacts": contacts},
        formats={("Contacts", "A4"): "00000", ("Contacts", "G2"): "0.0%", ("Contacts", "G4"): "0%"},
    )


def test_xlsx_values_become_the_strings_the_sheet_shows():
    table = read_xlsx(_contacts_workbook(), "Contacts")
    assert table.headers[:3] == ["Staff no.", "Name", "Phone"]
    ada, blank, grace = table.rows
    assert ada == [
        "00123",
        "Ada Lovelace",
        "+44 20 7946 0000",
        "4012",
        "2024-03-14",
        "3.5",
        "12.5%",
        "ada@acme.example",
    ]
    assert blank == [""] * 8  # kept, so row numbers match the sheet
    assert grace == [
        "00042",
        "Grace Hopper",
        "0161 496 0000",
        "7",
        "2023-11-02 09:30",
        "1234",
        "100%",
        "grace@acme.example",
    ]
    contacts = contacts_from_table(table)
    assert [(c.row_number, c.name, c.phone) for c in contacts] == [
        (1, "Ada Lovelace", "+44 20 7946 0000"),
        (3, "Grace Hopper", "0161 496 0000"),
    ]


def test_xlsx_first_worksheet_is_the_default_and_names_are_forgiving():
    data = _contacts_workbook()
    assert read_xlsx(data).headers == ["Office", "City"]
    assert read_xlsx(data, " contacts ").headers[1] == "Name"


def test_unknown_worksheet_names_the_available_ones():
    with pytest.raises(LoaderError) as excinfo:
        read_xlsx(_contacts_workbook(), "People")
    message = str(excinfo.value)
    assert "'People'" in message and "'Offices'" in message and "'Contacts'" in message


def test_xlsx_header_may_start_below_blank_rows():
    data = _xlsx({"S": [[None, None], ["Name", "Email"], ["Ada", "ada@acme.example"]]})
    assert read_xlsx(data) == SheetTable(["Name", "Email"], [["Ada", "ada@acme.example"]])


@pytest.mark.parametrize("data", [b"Name,Email\nAda,ada@acme.example\n", b"PK\x03\x04broken"])
def test_not_an_xlsx_file_is_a_loader_error(data: bytes):
    with pytest.raises(LoaderError, match="xlsx"):
        read_xlsx(data)


def test_empty_worksheet_is_a_loader_error():
    with pytest.raises(LoaderError, match="'Blank' is empty"):
        read_xlsx(_xlsx({"Blank": []}))


# -- Google Sheets: recorded API responses -----------------------------------------------------
def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def recorded_sheets_api(path: str) -> tuple[int, Any]:
    """Answer a Sheets API v4 GET the way the real API answered it (recorded responses)."""
    match = re.fullmatch(r"/v4/spreadsheets/([^/]+)(?:/values/(.+))?", path)
    if not match or match[1] != SHEET_KEY:
        return 404, _fixture("error_404.json")
    if match[2] is None:
        return 200, _fixture("spreadsheet.json")
    title = unquote(match[2]).removeprefix("'").removesuffix("'").replace("''", "'")
    recorded = FIXTURES / f"values_{title.lower().replace(' ', '_')}.json"
    if not recorded.exists():
        return 400, {
            "error": {
                "code": 400,
                "message": f"Unable to parse range: {title}",
                "status": "INVALID_ARGUMENT",
            }
        }
    return 200, _fixture(recorded.name)


class RecordedSession(requests.Session):
    """A requests session that answers from the recorded responses instead of the network."""

    def __init__(self, override: tuple[int, Any] | None = None) -> None:
        super().__init__()
        self.override = override
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method, url, params=None, **kwargs):  # type: ignore[override]
        self.calls.append((method.upper(), url, dict(params or {})))
        assert urlsplit(url).netloc == "sheets.googleapis.com"
        status, body = self.override or recorded_sheets_api(urlsplit(url).path)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json; charset=UTF-8"
        response.encoding = "utf-8"
        response.url = url
        return response


def _recorded_client(override: tuple[int, Any] | None = None) -> gspread.Client:
    return gspread.Client(auth=None, session=RecordedSession(override))  # type: ignore[arg-type]


def test_google_sheet_rows_come_back_as_the_strings_the_sheet_shows():
    client = _recorded_client()
    table = read_google_sheet(SHEET_KEY, None, credentials_file=None, client=client)
    assert table.headers == [
        "Staff no.",
        "Name",
        "Job title",
        "Team",
        "Region",
        "Email",
        "Phone",
        "Languages",
        "Email (2)",
        "Start date",
    ]
    assert table.rows[0][0] == "00107" and table.rows[0][-1] == "03/01/2011"
    contacts = contacts_from_table(table)
    assert [c.row_number for c in contacts] == [1, 2, 4, 5]  # the blank sheet row 4 is skipped
    ingrid, sanne, wouter, aisha = contacts
    assert ingrid.fields["Email (2)"] == "office@acme.example"
    assert ingrid.email == "ingrid.vos@acme.example" and ingrid.phone is None
    assert sanne.phone == "+31 10 555 0161" and sanne.languages == ["Dutch", "English", "French"]
    assert wouter.email is None and wouter.fields["Email"] == "wouter.jansen(at)acme.example"
    assert wouter.fields["Start date"] == ""  # the API trims trailing cells; padded back
    assert aisha.phone == "020 7946 0018" and aisha.region == "UK & Ireland"
    # values were asked for as formatted (displayed) strings, never unformatted numbers
    calls = client.http_client.session.calls  # type: ignore[attr-defined]
    assert all(c[2].get("valueRenderOption") in (None, "FORMATTED_VALUE") for c in calls)


def test_google_worksheet_is_chosen_by_name():
    table = read_google_sheet(
        SHEET_KEY, "Partner network", credentials_file=None, client=_recorded_client()
    )
    [tom, petra] = contacts_from_table(table)
    assert (tom.name, tom.region, tom.phone) == ("Tom Baker", "United Kingdom", "0044 161 496 0123")
    assert tom.fields["Partner"] == "Helio Installers Ltd"
    assert petra.email == "p.schulz@sunfix.example"


def test_google_sheet_url_with_gid_opens_that_tab():
    url = f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit#gid=1837562019"
    table = read_google_sheet(url, None, credentials_file=None, client=_recorded_client())
    assert table.headers[0] == "Partner"


def test_unknown_google_worksheet_names_the_available_ones():
    with pytest.raises(LoaderError, match="available worksheets: 'Contacts', 'Partner network'"):
        read_google_sheet(SHEET_KEY, "Staff", credentials_file=None, client=_recorded_client())


def test_sheet_not_shared_with_the_service_account_says_to_share_it():
    with pytest.raises(LoaderError) as excinfo:
        read_google_sheet(
            "1NotSharedWithUsAtAll", None, credentials_file=None, client=_recorded_client()
        )
    message = str(excinfo.value)
    assert "not shared with the service account" in message
    assert "share the sheet with" in message


def test_disabled_sheets_api_says_to_enable_it():
    client = _recorded_client(override=(403, _fixture("error_403_api_disabled.json")))
    with pytest.raises(LoaderError, match="enable it in Google Cloud"):
        read_google_sheet(SHEET_KEY, None, credentials_file=None, client=client)


def test_missing_credentials_name_the_setting():
    with pytest.raises(LoaderError, match="set GOOGLE_SERVICE_ACCOUNT_FILE"):
        read_google_sheet(SHEET_KEY, None, credentials_file=None)


def test_credentials_file_that_is_not_a_service_account_key(tmp_path: Path):
    oauth_client = tmp_path / "client_secret.json"
    oauth_client.write_text(json.dumps({"installed": {"client_id": "x"}}))
    with pytest.raises(LoaderError, match="not a service-account key"):
        read_google_sheet(SHEET_KEY, None, credentials_file=oauth_client)
    with pytest.raises(LoaderError, match="does not exist"):
        read_google_sheet(SHEET_KEY, None, credentials_file=tmp_path / "missing.json")


# -- Google Sheets: the real client path against a loopback server -----------------------------
class _SheetsHandler(BaseHTTPRequestHandler):
    """Serves OAuth tokens and recorded Sheets API responses on loopback."""

    def do_POST(self) -> None:  # noqa: N802 — the token exchange of a service account
        length = int(self.headers.get("Content-Length", 0))
        form = self.rfile.read(length).decode()
        assert "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in form
        self._send(200, {"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"})

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            self._send(
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "status": "UNAUTHENTICATED",
                    }
                },
            )
            return
        self._send(*recorded_sheets_api(urlsplit(self.path).path))

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sheets_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SheetsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def service_account_file(sheets_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-sheets",
                "private_key_id": "5f2c0c8e1d7a4b3f9e6d2a1b0c9d8e7f6a5b4c3d",
                "private_key": pem,
                "client_email": CLIENT_EMAIL,
                "client_id": "104829461937512093847",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": f"{sheets_server}/token",
                "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            }
        )
    )
    return path


def test_service_account_reads_sheet_through_endpoint_override(
    sheets_server: str, service_account_file: Path
):
    table = read_google_sheet(
        SHEET_KEY, "Contacts", credentials_file=service_account_file, endpoint=sheets_server
    )
    assert len(contacts_from_table(table)) == 4
    assert table.rows[1][:2] == ["00112", "Sanne de Graaf"]


def test_not_shared_error_names_the_service_account_email(
    sheets_server: str, service_account_file: Path
):
    with pytest.raises(LoaderError, match=f"share the sheet with {re.escape(CLIENT_EMAIL)}"):
        read_google_sheet(
            "1SomeoneElsesSheet",
            None,
            credentials_file=service_account_file,
            endpoint=sheets_server,
        )


def test_endpoint_override_without_credentials_reaches_the_server_unauthenticated(
    sheets_server: str,
):
    with pytest.raises(LoaderError, match="rejected the service-account credentials"):
        read_google_sheet(SHEET_KEY, None, credentials_file=None, endpoint=sheets_server)
