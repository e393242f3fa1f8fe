"""Read contact sheets (CSV, XLSX, Google Sheets) as strings and recognise their columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
import openpyxl
import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.service_account import Credentials
from gspread.auth import READONLY_SCOPES
from gspread.exceptions import APIError, SpreadsheetNotFound
from openpyxl.utils.exceptions import InvalidFileException

from ingestion.records import ContactRecord, LoaderError

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t"
_GOOGLE_SHEETS_BASE = "https://sheets.googleapis.com/v4/spreadsheets"
WRITE_SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
"""Enough to append rows to a sheet shared with the service account as Editor."""
_CREDENTIALS_HINT = (
    "Google Sheets sources need a service-account JSON: set GOOGLE_SERVICE_ACCOUNT_FILE"
)


@dataclass
class SheetTable:
    """A sheet as text: normalised unique headers and rows of the same width."""

    headers: list[str]
    rows: list[list[str]]


# -- building a table from raw rows ----------------------------------------------------------
def table_from_rows(
    raw_rows: Iterable[Sequence[str]], *, what: str = "the sheet", skip_blank_rows: bool = False
) -> SheetTable:
    """Build a table: the first non-blank row is the header; empty columns are dropped.

    Blank rows inside the data are kept (as rows of "") unless `skip_blank_rows`, so a
    row's position is its row in the sheet. Raise LoaderError naming `what` when there
    is no non-blank row at all.
    """
    rows = [[cell.strip() for cell in row] for row in raw_rows]
    filled = [i for i, row in enumerate(rows) if any(row)]
    if not filled:
        raise LoaderError(f"{what} is empty: expected a header row with column names")
    header, data = rows[filled[0]], rows[filled[0] + 1 : filled[-1] + 1]
    if skip_blank_rows:
        data = [row for row in data if any(row)]
    width = max(len(row) for row in (header, *data))
    header = header + [""] * (width - len(header))
    data = [row + [""] * (width - len(row)) for row in data]
    # Spreadsheet exports often carry trailing columns with neither a header nor a value.
    keep = [i for i in range(width) if header[i] or any(row[i] for row in data)]
    return SheetTable(
        headers=normalise_headers([header[i] for i in keep], positions=[i + 1 for i in keep]),
        rows=[[row[i] for i in keep] for row in data],
    )


def normalise_headers(headers: Sequence[str], positions: Sequence[int] | None = None) -> list[str]:
    """Collapse whitespace, name empty headers "Column N" and make duplicates unique."""
    positions = positions or range(1, len(headers) + 1)
    names = [
        " ".join(h.split()) or f"Column {pos}" for h, pos in zip(headers, positions, strict=True)
    ]
    taken = {name.casefold() for name in names}
    seen: set[str] = set()
    unique: list[str] = []
    for name in names:
        candidate, n = name, 1
        # "Email", "Email" → "Email", "Email (2)" — unless a real "Email (2)" column exists
        while candidate.casefold() in seen or (n > 1 and candidate.casefold() in taken):
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate.casefold())
        unique.append(candidate)
    return unique


# -- CSV -------------------------------------------------------------------------------------
def read_csv(data: bytes) -> SheetTable:
    """Read a CSV file (comma, semicolon or tab separated) keeping every value as written."""
    if data.startswith(b"PK\x03\x04"):
        raise LoaderError("this file is an Excel workbook, not CSV: upload it with a .xlsx name")
    text = _decode(data)
    if not text.strip():
        raise LoaderError("the CSV file is empty: expected a header row with column names")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    try:
        raw = [[_unwrap_excel_text(cell) for cell in row] for row in reader]
    except csv.Error as exc:
        raise LoaderError(f"the CSV file could not be parsed: {exc}") from exc
    return table_from_rows(raw, what="the CSV file", skip_blank_rows=True)


def _decode(data: bytes) -> str:
    # Excel's "Unicode text" export is UTF-16 with a BOM; everything else is UTF-8 or,
    # from older Windows tools, cp1252.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    sample = text[:_SNIFF_BYTES]
    if len(text) > _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # do not hand the sniffer half a row
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    # The sniffer guesses from character frequencies and can be fooled (e.g. by commas in
    # quoted text of a semicolon file); accept its answer only if parsing agrees.
    scores = {d: _consistency(sample, d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: scores[d])
    if sniffed and scores[sniffed] >= scores[best]:
        return sniffed
    return best


def _consistency(sample: str, delimiter: str) -> tuple[int, float]:
    """Score a delimiter: rows agreeing with the header's width, then that width."""
    try:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
    except csv.Error:
        return (0, 0.0)
    if not rows or len(rows[0]) < 2:
        return (0, 0.0)
    width = len(rows[0])
    agreeing = sum(1 for r in rows[:200] if len(r) == width)
    return (agreeing, width / 100)


def _unwrap_excel_text(cell: str) -> str:
    # ="00123" is how Excel users force text in a CSV; the sheet shows 00123.
    match = re.fullmatch(r'\s*="(.*)"\s*', cell, flags=re.S)
    return match.group(1) if match else cell


# -- XLSX ------------------------------------------------------------------------------------
def read_xlsx(data: bytes, worksheet: str | None = None) -> SheetTable:
    """Read one worksheet of an .xlsx file (the named one or the first) as displayed text."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise LoaderError(
            "the file is not a readable .xlsx workbook (an old .xls? save it as .xlsx or CSV)"
        ) from exc
    try:
        # book.worksheets leaves out chart sheets, which hold no cells
        title = _choose_worksheet([ws.title for ws in book.worksheets], worksheet)
        rows = [
            [_cell_text(cell.value, getattr(cell, "number_format", None)) for cell in row]
            for row in book[title].iter_rows()
        ]
    finally:
        book.close()
    return table_from_rows(rows, what=f"worksheet '{title}'")


def _choose_worksheet(titles: Sequence[str], wanted: str | None) -> str:
    if not titles:
        raise LoaderError("the workbook has no worksheets")
    if not wanted or not wanted.strip():
        return titles[0]
    for title in titles:
        if title == wanted:
            return title
    for title in titles:  # forgive case and stray spaces typed into the source form
        if title.strip().casefold() == wanted.strip().casefold():
            return title
    available = ", ".join(f"'{t}'" for t in titles)
    raise LoaderError(f"worksheet '{wanted}' not found; available worksheets: {available}")


def _cell_text(value: Any, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel displays booleans
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, int | float):
        return _number_text(value, number_format or "General")
    return str(value)


def _number_text(value: float, number_format: str) -> str:
    fmt = number_format.strip()
    integral = float(value).is_integer()
    if integral and re.fullmatch(r"0+", fmt):
        return str(int(value)).zfill(len(fmt))  # "00000" keeps an ID's leading zeros
    decimals = len(m.group(1)) if (m := re.search(r"\.(0+)", fmt)) else 0
    if re.fullmatch(r"0(\.0+)?%", fmt):
        return f"{value * 100:.{decimals}f}%"
    if re.fullmatch(r"(#,##)?0(\.0+)?", fmt):
        return f"{value:{',' if ',' in fmt else ''}.{decimals}f}"
    if integral and abs(value) < 1e16:
        return str(int(value))  # ints stay "123", never "123.0"
    return f"{value:.15g}"  # Excel shows at most 15 significant digits


# -- Google Sheets ---------------------------------------------------------------------------
def read_google_sheet(
    spreadsheet_id: str,
    worksheet: str | None = None,
    *,
    credentials_file: Path | None,
    client: gspread.Client | None = None,
    endpoint: str | None = None,
) -> SheetTable:
    """Read one worksheet of a Google Sheet (by title, or the first) as the strings it shows.

    `spreadsheet_id` may be the key or the sheet's URL. `endpoint` replaces the Sheets
    API base URL (a recorded-response server); with it, credentials are optional.
    """
    key, gid = spreadsheet_key(spreadsheet_id)
    gc = client or _google_client(credentials_file, endpoint)
    try:
        chosen = _google_worksheet(gc.open_by_key(key).worksheets(), worksheet, gid)
        # get_all_values, not get_all_records: records numericise "00123" and drop the
        # data of duplicate headers.
        values = chosen.get_all_values()
    except SpreadsheetNotFound as exc:
        raise LoaderError(_not_shared(key, gc, credentials_file)) from exc
    except PermissionError as exc:  # gspread's translation of a 403 in open_by_key
        raise LoaderError(_forbidden(exc.__cause__, key, gc, credentials_file)) from exc
    except APIError as exc:
        raise LoaderError(_api_problem(exc, key, gc, credentials_file)) from exc
    except GoogleAuthError as exc:
        raise LoaderError(
            f"Google rejected the service-account key ({exc}): check that the key is current"
        ) from exc
    except requests.RequestException as exc:
        raise LoaderError(f"could not reach the Google Sheets API: {exc}") from exc
    return table_from_rows(values, what=f"worksheet '{chosen.title}'")


def spreadsheet_key(value: str) -> tuple[str, int | None]:
    """Return the spreadsheet key and the tab id (gid) of a Sheets URL or a bare key."""
    value = value.strip()
    if not value:
        raise LoaderError("no spreadsheet given: paste the Google Sheet's URL or its key")
    if "/" not in value:
        return value, None
    match = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", value)
    if not match:
        raise LoaderError(f"'{value}' is not a Google Sheets URL (…/spreadsheets/d/<key>/…)")
    gid = re.search(r"[#&?]gid=(\d+)", value)
    return match.group(1), int(gid.group(1)) if gid else None


def _google_worksheet(
    sheets: Sequence[gspread.Worksheet], wanted: str | None, gid: int | None
) -> gspread.Worksheet:
    if not wanted and gid is not None:
        # a URL copied from the browser points at the tab the user was looking at
        for sheet in sheets:
            if sheet.id == gid:
                return sheet
    title = _choose_worksheet([s.title for s in sheets], wanted)
    return next(s for s in sheets if s.title == title)


def google_client(
    credentials_file: Path | None, endpoint: str | None, *, write: bool = False
) -> gspread.Client:
    """Return a Sheets client for the service account (read-only scopes unless `write`).

    `endpoint` replaces the Sheets API base URL (a recorded-response server).
    """
    scopes = WRITE_SCOPES if write else READONLY_SCOPES
    return _google_client(credentials_file, endpoint, scopes=scopes)


def _google_client(
    credentials_file: Path | None, endpoint: str | None, *, scopes: list[str] = READONLY_SCOPES
) -> gspread.Client:
    if credentials_file is None:
        if endpoint:  # a local recorded-response server needs no Google account
            return gspread.Client(auth=None, session=_RebasedSession(endpoint))  # type: ignore[arg-type]
        raise LoaderError(_CREDENTIALS_HINT)
    credentials = _service_account_credentials(credentials_file, scopes)
    if endpoint:
        session = _RebasedAuthorizedSession(credentials, endpoint)
        return gspread.Client(credentials, session, http_client=gspread.BackOffHTTPClient)
    # what gspread.service_account() builds, with read-only scopes unless we append leads
    return gspread.Client(credentials, http_client=gspread.BackOffHTTPClient)


def _service_account_credentials(path: Path, scopes: list[str] = READONLY_SCOPES) -> Credentials:
    if not path.is_file():
        raise LoaderError(f"GOOGLE_SERVICE_ACCOUNT_FILE points to {path}, which does not exist")
    try:
        return Credentials.from_service_account_file(str(path), scopes=scopes)
    except (ValueError, KeyError) as exc:
        raise LoaderError(
            f"{path} is not a service-account key (JSON with client_email and private_key): "
            "create a key under IAM → Service accounts → Keys in Google Cloud"
        ) from exc


def _rebase(url: str, endpoint: str) -> str:
    base = endpoint.rstrip("/")
    if not base.endswith("/v4/spreadsheets"):
        base += "/v4/spreadsheets"
    return base + url[len(_GOOGLE_SHEETS_BASE) :] if url.startswith(_GOOGLE_SHEETS_BASE) else url


class _RebasedSession(requests.Session):
    """An unauthenticated session sending Sheets API calls to another base URL."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self._endpoint = endpoint

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Send the request to the rebased URL."""
        return super().request(method, _rebase(url, self._endpoint), *args, **kwargs)


class _RebasedAuthorizedSession(AuthorizedSession):
    """A service-account session sending Sheets API calls to another base URL."""

    def __init__(self, credentials: Credentials, endpoint: str) -> None:
        super().__init__(credentials)
        self._endpoint = endpoint

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Send the request to the rebased URL."""
        return super().request(method, _rebase(url, self._endpoint), *args, **kwargs)


def _client_email(gc: gspread.Client, credentials_file: Path | None) -> str | None:
    auth = getattr(gc.http_client, "auth", None)
    if email := getattr(auth, "service_account_email", None):
        return str(email)
    if credentials_file is not None:
        try:
            return json.loads(credentials_file.read_text()).get("client_email")
        except (OSError, ValueError, AttributeError):
            return None
    return None


def _share_hint(gc: gspread.Client, credentials_file: Path | None) -> str:
    who = _client_email(gc, credentials_file) or "the client_email of the service-account key"
    return f"share the sheet with {who} (Viewer is enough)"


def _not_shared(key: str, gc: gspread.Client, credentials_file: Path | None) -> str:
    return (
        f"Google Sheet '{key}' was not found or is not shared with the service account: "
        f"check the URL and {_share_hint(gc, credentials_file)}"
    )


def _forbidden(
    cause: BaseException | None, key: str, gc: gspread.Client, credentials_file: Path | None
) -> str:
    message = str(cause.error.get("message", "")) if isinstance(cause, APIError) else ""
    if "has not been used" in message or "is disabled" in message:
        return (
            "the Google Sheets API is not enabled for the service account's project: "
            "enable it in Google Cloud (APIs & Services → Library → Google Sheets API)"
        )
    return f"no permission to read Google Sheet '{key}': {_share_hint(gc, credentials_file)}"


def _api_problem(exc: APIError, key: str, gc: gspread.Client, credentials_file: Path | None) -> str:
    if exc.code == 404:
        return _not_shared(key, gc, credentials_file)
    if exc.code == 403:
        return _forbidden(exc, key, gc, credentials_file)
    if exc.code == 401:
        return "Google rejected the service-account credentials: create a new key and retry"
    if exc.code == 429:
        return "the Google Sheets rate limit was reached: retry the sync in a minute"
    return f"Google Sheets API error {exc.code}: {exc.error.get('message', '')}"


# -- recognising contact columns ---------------------------------------------------------
# Header words per field, weighted by how surely they name it. Region words are weighted
# so that Region/Territory beats Country, which beats Office/City.
_KEYS: dict[str, dict[str, float]] = {
    "name": {
        "name": 1.0,
        "fullname": 1.0,
        "person": 0.9,
        "contact": 0.8,
        "employee": 0.8,
        "staff": 0.7,
        "member": 0.6,
        "colleague": 0.7,
    },
    "role": {
        "role": 1.0,
        "jobtitle": 1.0,
        "position": 1.0,
        "designation": 1.0,
        "title": 0.9,
        "job": 0.9,
        "function": 0.9,
        "occupation": 0.9,
        "responsibility": 0.6,
    },
    "department": {
        "department": 1.0,
        "dept": 1.0,
        "businessunit": 1.0,
        "team": 0.95,
        "division": 0.95,
        "unit": 0.9,
        "group": 0.85,
        "practice": 0.7,
    },
    "region": {
        "region": 1.0,
        "territory": 1.0,
        "market": 0.9,
        "area": 0.85,
        "country": 0.8,
        "location": 0.7,
        "office": 0.65,
        "city": 0.6,
        "branch": 0.6,
        "site": 0.55,
        "clinic": 0.55,
    },
    "email": {"email": 1.0, "mail": 0.9},
    "phone": {
        "phone": 1.0,
        "telephone": 1.0,
        "tel": 1.0,
        "phonenumber": 1.0,
        "directline": 1.0,
        "mobile": 0.95,
        "cell": 0.95,
        "cellphone": 0.95,
        "landline": 0.9,
        "direct": 0.9,
        "whatsapp": 0.8,
        "fax": 0.3,
    },
    "languages": {
        "languages": 1.0,
        "language": 1.0,
        "speaks": 1.0,
        "spoken": 0.9,
        "lang": 0.9,
        "langs": 0.9,
        "mothertongue": 0.9,
    },
}
# Trailing words that do not change what a header names ("Email address", "Team name").
_TRANSPARENT: dict[str, frozenset[str]] = {
    "phone": frozenset({"number", "no", "nr", "num", "line", "nos"}),
    "email": frozenset({"address", "addr", "id"}),
    "department": frozenset({"name"}),
    "region": frozenset({"name"}),
    "role": frozenset({"name"}),
}
# Leading words that qualify without changing the field ("Work phone", "Full name").
_NEUTRAL: dict[str, frozenset[str]] = {
    "name": frozenset({"full", "display", "complete", "contact"}),
    "role": frozenset({"current", "official"}),
    "department": frozenset({"business", "sales", "home"}),
    "region": frozenset({"sales", "home", "main", "primary", "base"}),
    "email": frozenset({"work", "business", "primary", "main", "contact", "office"}),
    "phone": frozenset({"work", "business", "primary", "main", "office", "contact", "mobile"}),
    "languages": frozenset({"spoken", "other", "working"}),
}
# A header ending in one of these holds something else about the thing ("Employee ID").
_NOT_VALUE_HEADS = frozenset(
    {
        "id",
        "code",
        "no",
        "nr",
        "number",
        "num",
        "ref",
        "reference",
        "count",
        "date",
        "since",
        "url",
        "link",
        "website",
        "photo",
        "image",
        "picture",
        "avatar",
        "note",
        "notes",
        "comment",
        "comments",
        "manager",
        "type",
        "status",
        "hours",
        "address",
    }
)
_COMPOUNDS = {
    ("e", "mail"): "email",
    ("full", "name"): "fullname",
    ("job", "title"): "jobtitle",
    ("business", "unit"): "businessunit",
    ("cell", "phone"): "cellphone",
    ("direct", "line"): "directline",
    ("direct", "dial"): "directline",
    ("contact", "number"): "phonenumber",
    ("contact", "no"): "phonenumber",
    ("phone", "number"): "phonenumber",
    ("mother", "tongue"): "mothertongue",
    ("first", "name"): "firstname",
    ("given", "name"): "firstname",
    ("last", "name"): "lastname",
    ("family", "name"): "lastname",
    ("sur", "name"): "lastname",
}
# "Company name" is not a person's name, nor is "Manager name" the contact's own.
_NOT_THE_PERSON = frozenset(
    {
        "company",
        "organisation",
        "organization",
        "org",
        "employer",
        "business",
        "firm",
        "account",
        "customer",
        "client",
        "product",
        "project",
        "file",
        "user",
        "brand",
        "vendor",
        "supplier",
        "partner",
        "site",
        "building",
        "event",
        "manager",
        "assistant",
        "supervisor",
        "backup",
        "deputy",
        "emergency",
        "spouse",
        "parent",
    }
)
_FIRST_NAME = frozenset({"firstname", "first", "forename", "givenname", "given"})
_LAST_NAME = frozenset({"lastname", "last", "surname", "familyname", "family"})
_MIN_SCORE = 0.5
# separators outside parentheses: "Chinese (Mandarin/Cantonese)" is one language
_LANGUAGE_SPLIT = re.compile(r"\s*(?:[,;/|&]|\band\b)(?![^()]*\))\s*", flags=re.I)
_EMAIL = re.compile(r"[^@\s<>(),;:]+@[^@\s<>(),;:]+\.[^@\s<>(),;:.]{2,}")


def header_tokens(header: str) -> list[str]:
    """Return the lower-case words of a header, known compounds joined ("e mail" → email)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header)  # camelCase → camel Case
    merged: list[str] = []
    for word in re.findall(r"[^\W_]+", spaced.casefold()):
        if merged and (merged[-1], word) in _COMPOUNDS:
            merged[-1] = _COMPOUNDS[(merged[-1], word)]
        else:
            merged.append(word)
    return [w for w in merged if len(w) > 1 or w.isdigit()]


def _strip_transparent(words: list[str], field: str) -> list[str]:
    transparent = _TRANSPARENT.get(field, frozenset())
    end = len(words)
    while end > 1 and words[end - 1] in transparent:
        end -= 1
    return words[:end]


def _owned_by_other(words: list[str], field: str) -> bool:
    """Tell whether the header names another field: its head word is that field's."""
    own_head = _strip_transparent(words, field)[-1]
    for other, keys in _KEYS.items():
        if other == field:
            continue
        stripped = _strip_transparent(words, other)
        # "Contact email" is not a name: its head is email's. "Team name" is not a name
        # either: it is department's once department drops its transparent "name".
        if stripped[-1] in keys and (len(stripped) < len(words) or own_head not in _KEYS[field]):
            return True
    return False


def field_score(field: str, header: str) -> float:
    """Score how surely `header` names `field` (0 = not at all, 1 = certainly)."""
    tokens = header_tokens(header)
    words = [w for w in tokens if not w.isdigit()]  # "Phone 2" is still a phone
    if not words or _owned_by_other(words, field):
        return 0.0
    keys = _KEYS[field]
    head_words = _strip_transparent(words, field)
    head, modifiers = head_words[-1], head_words[:-1]
    if field == "name" and _NOT_THE_PERSON.intersection(modifiers):
        return 0.0
    if head in keys:
        base = keys[head]
    elif head in _NOT_VALUE_HEADS:
        return 0.0  # "Employee ID" holds an ID, not an employee
    else:
        base = 0.8 * max((keys.get(w, 0.0) for w in modifiers), default=0.0)
    known = keys.keys() | _NEUTRAL.get(field, frozenset())
    unknown = sum(1 for w in modifiers if w not in known) + (len(tokens) > len(words))
    # each unexplained word lowers the score, so "Email" beats "Manager email" or "Email 2"
    return max(0.0, base - 0.05 * unknown)


@dataclass(frozen=True)
class ColumnMap:
    """Which column (index into the headers) holds each recognised field."""

    fields: dict[str, int]
    first_name: int | None = None
    last_name: int | None = None


def recognise_columns(headers: Sequence[str]) -> ColumnMap:
    """Assign each recognised field its best-scoring column; a column serves one field."""
    first = _find(headers, _FIRST_NAME)
    last = _find(headers, _LAST_NAME)
    split_name = {i for i in (first, last) if i is not None}
    candidates = sorted(
        (
            (-field_score(field, header), col, field)
            for col, header in enumerate(headers)
            if col not in split_name
            for field in _KEYS
        ),
    )
    assigned: dict[str, int] = {}
    used: set[int] = set()
    for negative, col, field in candidates:
        if -negative < _MIN_SCORE:
            break
        if field not in assigned and col not in used:
            assigned[field] = col
            used.add(col)
    return ColumnMap(fields=assigned, first_name=first, last_name=last)


def _find(headers: Sequence[str], heads: frozenset[str]) -> int | None:
    for col, header in enumerate(headers):
        words = header_tokens(header)
        if words and words[-1] in heads | {"name"} and any(w in heads for w in words):
            return col
    return None


def contacts_from_table(table: SheetTable) -> list[ContactRecord]:
    """Turn every non-empty row into a ContactRecord, all columns kept in `fields`."""
    width = max([len(table.headers), *(len(row) for row in table.rows)])
    headers = normalise_headers(table.headers + [""] * (width - len(table.headers)))
    columns = recognise_columns(headers)
    contacts = []
    for number, row in enumerate(table.rows, start=1):
        values = [v.strip() for v in row] + [""] * (width - len(row))
        if any(values):
            contacts.append(_contact(number, headers, values, columns))
    return contacts


def _contact(
    number: int, headers: list[str], values: list[str], columns: ColumnMap
) -> ContactRecord:
    def get(field: str) -> str | None:
        col = columns.fields.get(field)
        return (values[col] or None) if col is not None else None

    return ContactRecord(
        row_number=number,
        # every column, blank ones too, so all rows share one header set
        fields=dict(zip(headers, values, strict=True)),
        name=get("name") or _joined_name(values, columns),
        role=get("role"),
        department=get("department"),
        region=get("region"),
        email=valid_email(get("email") or ""),
        phone=get("phone"),
        languages=split_languages(get("languages") or ""),
    )


def _joined_name(values: list[str], columns: ColumnMap) -> str | None:
    parts = [values[c] for c in (columns.first_name, columns.last_name) if c is not None]
    return " ".join(p for p in parts if p) or None


def valid_email(value: str) -> str | None:
    """Return the first plausible address in `value` (has @ and a dotted domain), else None."""
    match = _EMAIL.search(value)
    return match.group(0) if match else None


def split_languages(value: str) -> list[str]:
    """Split "English, French and German" into its languages, order kept, duplicates dropped."""
    seen: dict[str, str] = {}
    for part in _LANGUAGE_SPLIT.split(value):
        part = part.strip(" .")
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())
