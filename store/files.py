"""File storage behind one small interface (local directory now; S3 can implement it)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[a-z0-9_-]+(/[A-Za-z0-9._-]+)+$")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What was stored: the key to fetch it by, its size and content hash."""

    key: str
    size: int
    sha256: str


class FileStore(Protocol):
    """Where uploaded files live; keys are opaque, slash-separated, never user-chosen."""

    def put(self, key: str, data: bytes) -> StoredFile:
        """Store `data` under `key` atomically (replacing any previous content)."""
        ...

    def read(self, key: str) -> bytes:
        """Return the stored bytes; raise FileNotFoundError when absent."""
        ...

    def stream(self, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """Yield the stored bytes in chunks; raise FileNotFoundError when absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every file under `prefix/`."""
        ...

    def exists(self, key: str) -> bool:
        """Return True when the key holds a file."""
        ...


def _check(key: str) -> str:
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class LocalFileStore:
    """Files under a directory (the data dir's `files/`), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _check(key)

    def put(self, key: str, data: bytes) -> StoredFile:
        """Store `data` under `key` atomically (replacing any previous content)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def read(self, key: str) -> bytes:
        """Return the stored bytes; raise FileNotFoundError when absent."""
        return self._path(key).read_bytes()

    def stream(self, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """Yield the stored bytes in chunks; raise FileNotFoundError when absent."""
        fh = self._path(key).open("rb")

        def chunks() -> Iterator[bytes]:
            with fh:
                while block := fh.read(chunk_size):
                    yield block

        return chunks()

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Remove every file under `prefix/`."""
        base = self.root / _check(prefix + "/x").rsplit("/", 1)[0]
        if base.is_dir():
            for path in sorted(base.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            base.rmdir()

    def exists(self, key: str) -> bool:
        """Return True when the key holds a file."""
        return self._path(key).is_file()
