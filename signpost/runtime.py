"""The process's long-lived components, built once at start-up and shared by every surface."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from signpost.settings import Settings
from store.db import Database
from store.files import FileStore, LocalFileStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Settings, the database, file storage — what API, CLI, workers and evals share."""

    settings: Settings
    db: Database
    files: FileStore

    @classmethod
    async def start(cls, settings: Settings, *, dsn: str | None = None) -> Runtime:
        """Open the database (embedded or external), apply migrations, wire storage."""
        db = await Database.open(settings, dsn=dsn)
        files = LocalFileStore(settings.data_dir / "files")
        return cls(settings=settings, db=db, files=files)

    @property
    def base_url(self) -> str:
        """Return the public base URL of this service."""
        return self.settings.base_url

    async def close(self) -> None:
        """Release everything start() opened."""
        await self.db.close()
