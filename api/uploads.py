"""Read multipart uploads into memory-bounded Upload records."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from services.sources import Upload
from signpost.errors import ValidationFailed


def _is_multipart(request: Request[Any, Any, Any]) -> bool:
    kind = request.headers.get("content-type", "").lower()
    # a urlencoded form can carry the text fields; it then simply has no files
    return kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


async def read_form(
    request: Request[Any, Any, Any],
) -> tuple[dict[str, str], list[tuple[str, Upload]]]:
    """Return the text fields and the (field, file) pairs of a multipart body."""
    if not _is_multipart(request):
        raise ValidationFailed("send the body as multipart/form-data")
    try:
        form = await request.form()
    except HTTPException:
        raise  # e.g. 413 from the body-size limit
    except Exception as exc:  # noqa: BLE001 - a malformed body is the client's problem
        raise ValidationFailed(f"could not read the multipart body: {exc}") from None
    fields: dict[str, str] = {}
    files: list[tuple[str, Upload]] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            files.append(
                (
                    key,
                    Upload(
                        filename=value.filename or "file",
                        content_type=value.content_type or "",
                        data=data,
                    ),
                )
            )
        else:
            fields[key] = str(value)
    return fields, files


async def read_files(request: Request[Any, Any, Any], *, field: str) -> list[Upload]:
    """Return the files sent in the multipart field `field`."""
    _, files = await read_form(request)
    return [upload for key, upload in files if key == field]
