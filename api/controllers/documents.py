"""Public download of released documents through signed, expiring links (`GET /d/{token}`)."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote

from litestar import MediaType, Request, Response, get
from litestar.params import FromPath
from litestar.response import Stream

from api.deps import ConnDep, RuntimeDep
from api.errors import error_body
from services.documents import (
    LinkExpired,
    LinkInvalid,
    LinkSigner,
    open_download,
    signer_from_settings,
)
from signpost.errors import AppError, NotFound
from signpost.runtime import Runtime

_SIGNER_KEY = "document_link_signer"

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
"""Sent with every answer of this route: the URL is a bearer credential."""

_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def link_signer(runtime: Runtime) -> LinkSigner:
    """Return the runtime's link signer, built once from its settings."""
    signer = runtime.extras.get(_SIGNER_KEY)
    if not isinstance(signer, LinkSigner):
        signer = signer_from_settings(runtime.settings)
        runtime.extras[_SIGNER_KEY] = signer
    return signer


def content_disposition(filename: str) -> str:
    """Return an RFC 6266 attachment header: an ASCII fallback plus `filename*` when needed."""
    name = filename.replace("/", "_").replace("\\", "_").strip() or "download"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    fallback = _ascii(stem) or "download"
    if ext:
        fallback = f"{fallback}.{_ascii(ext) or 'bin'}"
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r'[^\x20-\x7e]|["\\%]', "_", folded).strip()


def _wants_html(request: Request) -> bool:
    best = request.accept.best_match(["application/json", "text/html"], default="application/json")
    return best == "text/html"


def _page_text(exc: AppError, signer: LinkSigner) -> tuple[str, str]:
    """Return the (title, explanation) a visitor sees for a failed download."""
    if isinstance(exc, LinkExpired):
        hours = int(signer.ttl.total_seconds() // 3600)
        span = f"{hours} hours" if hours != 1 else "1 hour"
        return (
            "This download link has expired",
            f"To keep documents private, download links work for {span}. Go back to the chat "
            "on the website and ask for the document again to get a fresh link.",
        )
    if isinstance(exc, NotFound):
        return (
            "This document is no longer available",
            "The website owner has removed this document. Ask in the chat whether a newer "
            "version is available.",
        )
    return (
        "This download link is not valid",
        "The link may be incomplete or changed. Copy the whole link from the chat, or ask "
        "the chat for the document again.",
    )


def error_page(status: int, title: str, message: str) -> str:
    """Return a small self-contained HTML page (no scripts, no external resources)."""
    title, message = html.escape(title), html.escape(message)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{title}</title>
<style>
  body {{ margin: 0; min-height: 100vh; display: flex; align-items: center;
         justify-content: center; background: #f5f6f8; color: #1f2933;
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
  main {{ max-width: 30rem; margin: 1.5rem; padding: 2rem; background: #fff;
          border-radius: 12px; box-shadow: 0 1px 3px rgba(0, 0, 0, .12); }}
  h1 {{ font-size: 1.25rem; margin: 0 0 .75rem; }}
  p {{ margin: 0; color: #52606d; }}
  .code {{ margin-top: 1.25rem; font-size: .8rem; color: #9aa5b1; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p>{message}</p>
<p class="code">Error {status}</p>
</main>
</body>
</html>
"""


def _failure(request: Request, exc: AppError, signer: LinkSigner) -> Response[object]:
    if _wants_html(request):
        title, message = _page_text(exc, signer)
        return Response(
            content=error_page(exc.status_code, title, message),
            status_code=exc.status_code,
            media_type=MediaType.HTML,
            headers={**PRIVATE_HEADERS, "Content-Security-Policy": _PAGE_CSP},
        )
    return Response(
        content=error_body(exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        media_type=MediaType.JSON,
        headers=PRIVATE_HEADERS,
    )


@get("/d/{token:str}", tags=["public"], summary="Download a released document")
async def download_document(
    token: FromPath[str], request: Request, runtime: RuntimeDep, conn: ConnDep
) -> Response[object] | Stream:
    """Stream a released document to whoever holds a valid link.

    410 when the link expired, 403 when it is not genuine (or its lead is gone), 404 when
    the document was deleted; as an HTML page for browsers, else the JSON error body.
    """
    signer = link_signer(runtime)
    try:
        download = await open_download(
            conn,
            runtime.files,
            signer,
            token,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    except (LinkExpired, LinkInvalid, NotFound) as exc:
        return _failure(request, exc, signer)
    headers = {
        **PRIVATE_HEADERS,
        "Content-Disposition": content_disposition(download.filename),
        # An HTML or SVG document opened anyway must not run in this origin.
        "Content-Security-Policy": "sandbox",
    }
    if download.size is not None:
        headers["Content-Length"] = str(download.size)
    return Stream(download.stream, media_type=download.content_type, headers=headers)
