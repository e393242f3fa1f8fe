"""Health, readiness and public files (icons)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.params import FromPath
from litestar.response import Stream
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from api.deps import ConnDep, RuntimeDep
from services.icons import CONTENT_TYPES
from signpost.errors import NotFound
from store import chatbots as chatbot_repo


@get("/healthz", tags=["system"])
async def healthz() -> dict[str, str]:
    """Answer while the process is up."""
    return {"status": "ok"}


@get("/readyz", tags=["system"])
async def readyz(runtime: RuntimeDep) -> Response[dict[str, Any]]:
    """Answer 200 when the database is reachable, else 503; include the trace writer's counts."""
    traces = runtime.traces.stats.as_dict() if getattr(runtime, "traces", None) else None
    if await runtime.db.ping():
        return Response({"status": "ready", "database": "ok", "traces": traces})
    return Response(
        {"status": "not ready", "database": "unreachable", "traces": traces},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
    )


@get("/public/icons/{name:str}", tags=["public"], include_in_schema=True)
async def public_icon(name: FromPath[str], runtime: RuntimeDep, conn: ConnDep) -> Stream:
    """Serve a chatbot icon (public, cacheable)."""
    key = f"icons/{name}"
    if await chatbot_repo.get_chatbot_by_icon(conn, key) is None:
        raise NotFound("icon not found")
    ext = name.rsplit(".", 1)[-1]
    try:
        body = runtime.files.stream(key)
    except (FileNotFoundError, ValueError):
        raise NotFound("icon not found") from None
    return Stream(
        body,
        media_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
        },
    )
