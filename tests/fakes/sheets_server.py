"""A Google Sheets API v4 stand-in on loopback: enough of it for gspread to read and append.

The responses have the shapes the real API returns (recorded from it: spreadsheet metadata,
values.get, values.update, values.append, error bodies). Tabs keep their rows in memory so a
test can read what was written; `fail_next` queues error statuses for the next write calls.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class FakeSpreadsheet:
    """One spreadsheet: tab title → rows of cell strings."""

    key: str
    title: str = "Leads"
    tabs: dict[str, list[list[str]]] = field(default_factory=lambda: {"Sheet1": []})


class FakeSheets:
    """A threaded HTTP server answering the Sheets API for the spreadsheets it holds."""

    def __init__(self) -> None:
        self.books: dict[str, FakeSpreadsheet] = {}
        self.requests: list[tuple[str, str]] = []
        self.fail_next: list[int] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, key: str, **tabs: list[list[str]]) -> FakeSpreadsheet:
        book = FakeSpreadsheet(key, tabs=tabs or {"Sheet1": []})
        self.books[key] = book
        return book

    def start(self) -> FakeSheets:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _tab_and_range(book: FakeSpreadsheet, a1: str) -> tuple[str, str]:
    a1 = unquote(a1)
    if "!" in a1:
        tab, rng = a1.rsplit("!", 1)
        tab = tab.strip("'").replace("''", "'")
    elif a1 in book.tabs:
        tab, rng = a1, ""
    else:
        tab, rng = next(iter(book.tabs)), a1
    return tab, rng


def _first_row(rng: str) -> int:
    match = re.match(r"[A-Z]*(\d+)", rng)
    return int(match.group(1)) if match else 1


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSheets

    def _book(self, key: str) -> FakeSpreadsheet | None:
        return self.fake.books.get(key)

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.fake.lock:
            self.fake.requests.append((method, unquote(parts.path)))
        if method == "POST" and parts.path.endswith("/token"):
            self._send(
                200, {"access_token": "ya29.fake", "expires_in": 3599, "token_type": "Bearer"}
            )
            return
        match = re.match(r"^/v4/spreadsheets/([^/]+)(/values/(.+))?$", parts.path)
        if not match:
            self._error(404, "Requested entity was not found.")
            return
        book = self._book(match.group(1))
        if book is None:
            self._error(404, "Requested entity was not found.")
            return
        if match.group(2) is None:
            self._metadata(book)
            return
        target = match.group(3)
        if method != "GET" and self.fake.fail_next:
            with self.fake.lock:
                status = self.fake.fail_next.pop(0)
            self._error(status, "The service is currently unavailable.")
            return
        body = self._body()
        if method == "GET":
            self._values_get(book, target)
        elif method == "PUT":
            self._values_update(book, target, body)
        elif method == "POST" and target.endswith(":append"):
            self._values_append(book, target.removesuffix(":append"), body, query)
        else:
            self._error(400, "Unsupported request.")

    def _metadata(self, book: FakeSpreadsheet) -> None:
        sheets = [
            {
                "properties": {
                    "sheetId": i,
                    "title": title,
                    "index": i,
                    "sheetType": "GRID",
                    "gridProperties": {"rowCount": 1000, "columnCount": 26},
                }
            }
            for i, title in enumerate(book.tabs)
        ]
        self._send(
            200,
            {
                "spreadsheetId": book.key,
                "properties": {"title": book.title, "locale": "en_GB"},
                "sheets": sheets,
            },
        )

    def _values_get(self, book: FakeSpreadsheet, target: str) -> None:
        tab, rng = _tab_and_range(book, target)
        if tab not in book.tabs:
            self._error(400, f"Unable to parse range: {target}")
            return
        rows = book.tabs[tab]
        numbers = [int(n) for n in re.findall(r"\d+", rng)]
        start = numbers[0] - 1 if numbers else 0
        end = numbers[1] if len(numbers) > 1 else (start + 1 if len(numbers) == 1 else len(rows))
        values = rows[start:end]
        out: dict[str, Any] = {"range": f"'{tab}'!{rng or 'A1:Z1000'}", "majorDimension": "ROWS"}
        if values:
            out["values"] = values
        self._send(200, out)

    def _values_update(self, book: FakeSpreadsheet, target: str, body: dict[str, Any]) -> None:
        tab, rng = _tab_and_range(book, target)
        rows = book.tabs.setdefault(tab, [])
        start = _first_row(rng) - 1
        for i, row in enumerate(body.get("values", [])):
            while len(rows) <= start + i:
                rows.append([])
            rows[start + i] = [str(c) for c in row]
        self._send(
            200,
            {
                "spreadsheetId": book.key,
                "updatedRange": f"'{tab}'!{rng}",
                "updatedRows": len(body.get("values", [])),
            },
        )

    def _values_append(
        self, book: FakeSpreadsheet, target: str, body: dict[str, Any], query: dict[str, list[str]]
    ) -> None:
        tab, _ = _tab_and_range(book, target)
        if query.get("valueInputOption") != ["RAW"]:
            self._error(400, "valueInputOption is required")
            return
        rows = book.tabs.setdefault(tab, [])
        new = [[str(c) for c in row] for row in body.get("values", [])]
        rows.extend(new)
        self._send(
            200,
            {
                "spreadsheetId": book.key,
                "tableRange": f"'{tab}'!A1",
                "updates": {"updatedRange": f"'{tab}'!A{len(rows)}", "updatedRows": len(new)},
            },
        )

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def _error(self, status: int, message: str) -> None:
        self._send(
            status,
            {
                "error": {
                    "code": status,
                    "message": message,
                    "status": _STATUS_NAMES.get(status, "UNKNOWN"),
                }
            },
        )

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def log_message(self, *args: Any) -> None:
        pass
