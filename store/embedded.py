"""Embedded PostgreSQL (pgserver: PostgreSQL 16 + pgvector) in the data directory."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_DATABASE = "signpost"


def _private_runtime_dir() -> None:
    # pgserver reads platformdirs' runtime dir at import time and warns without one.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"signpost-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


class EmbeddedPostgres:
    """Handle on the pgserver instance that owns `<data_dir>/pg`.

    Processes sharing one data dir share one server; the last one to exit stops it.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return a DSN for the signpost database."""
        _private_runtime_dir()
        import pgserver

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        self._ensure_database()
        return self.dsn(_DATABASE)

    def dsn(self, database: str) -> str:
        """Return the libpq URL of `database` on this server (socket connection)."""
        assert self._server is not None, "start() first"
        return self._server.get_uri(database)

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (_DATABASE,)
            ).fetchone()
            if not exists:
                try:
                    conn.execute(f'CREATE DATABASE "{_DATABASE}"')
                except psycopg.errors.DuplicateDatabase:
                    pass  # another process won the race

    def stop(self) -> None:
        """Release this process's handle; the server stops when no process holds one."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
