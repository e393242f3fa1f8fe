"""The embeddable widget script (`GET /widget.js`) and a demo host page (`GET /demo/{key}`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from api.controllers.documents import error_page
from api.deps import ConnDep, RuntimeDep
from services import widget as widget_service
from signpost.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
WIDGET_FILE = STATIC_DIR / "widget.js"

WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=300, stale-while-revalidate=86400",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}
"""A public script: any site may load it; browsers revalidate it every few minutes."""


@dataclass(frozen=True, slots=True)
class _Script:
    body: bytes
    etag: str
    mtime_ns: int


_cache: dict[Path, _Script] = {}


def widget_script(path: Path = WIDGET_FILE) -> _Script:
    """Return the widget script and its ETag (re-read only when the file changes)."""
    mtime_ns = path.stat().st_mtime_ns
    cached = _cache.get(path)
    if cached is None or cached.mtime_ns != mtime_ns:
        body = path.read_bytes()
        cached = _Script(body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"', mtime_ns)
        _cache[path] = cached
    return cached


@get(
    "/widget.js",
    tags=["public"],
    summary="The embeddable chat widget",
    media_type="application/javascript",
    include_in_schema=True,
)
async def widget_js(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Serve the widget: `<script src="…/widget.js" data-bot="PUBLIC_KEY" async></script>`."""
    script = widget_script()
    headers = {**WIDGET_HEADERS, "ETag": script.etag}
    if script.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(
        script.body, media_type="application/javascript; charset=utf-8", headers=headers
    )


@get("/demo/{public_key:str}", tags=["public"], summary="A demo page embedding the widget")
async def demo_page(
    public_key: FromPath[str], request: Request[Any, Any, Any], conn: ConnDep, runtime: RuntimeDep
) -> Template | Response[str]:
    """Render a fake company homepage with hostile CSS that embeds the published widget."""
    try:
        bot = await widget_service.published_bot(conn, public_key)
    except NotFound:
        return Response(
            error_page(
                404,
                "No published chatbot here",
                "This demo page shows a published chatbot. Check the key, or publish the "
                "chatbot in the builder first.",
            ),
            status_code=404,
            media_type=MediaType.HTML,
        )
    base = runtime.base_url
    here = widget_service.normalized_origin(f"{request.url.scheme}://{request.url.netloc}")
    return Template(
        template_name="demo.html",
        context={
            "bot": bot,
            "script_src": f"{base}/widget.js",
            "public_key": bot.public_key,
            "origin_mismatch": here != widget_service.normalized_origin(base),
            "base_url": base,
        },
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )
