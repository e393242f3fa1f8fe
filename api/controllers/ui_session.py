"""Builder sign-in sessions: an encrypted cookie holding the workspace key, CSRF tokens.

The builder pages (and the builder's live preview, which calls the REST API from the
browser) authenticate with this session instead of a Bearer key. The cookie is
AES-GCM encrypted with a key derived from the service secret, HttpOnly, SameSite=Lax,
and Secure when the public URL is https. Every request re-checks the key, so revoking
it ends the session at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any

from litestar import Request
from litestar.middleware.session.client_side import CookieBackendConfig

from api.deps import ConnDep, bearer_token
from api.deps import provide_workspace_id as provide_key_workspace_id
from signpost.errors import Forbidden, Unauthorized
from signpost.settings import Settings
from store import workspaces
from store.db import Conn

SESSION_COOKIE = "signpost_session"
SESSION_MAX_AGE_S = 12 * 3600
"""A sign-in lasts this long at most, however active the session is."""
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Public surfaces never carry or set the builder session.
SESSION_EXCLUDE = [
    "^/api/v1/widget/",
    "^/widget\\.js",
    "^/demo/",
    "^/d/",
    "^/public/",
    "^/static/",
    "^/healthz",
    "^/readyz",
    "^/schema",
]


def session_secret(settings: Settings) -> bytes:
    """Derive the 32-byte session encryption key from the service secret."""
    return hmac.new(
        settings.resolved_secret_key().encode(), b"signpost/builder-session/v1", hashlib.sha256
    ).digest()


def session_config(settings: Settings) -> CookieBackendConfig:
    """Return the cookie session configuration for the app."""
    return CookieBackendConfig(
        secret=session_secret(settings),
        key=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
        exclude=SESSION_EXCLUDE,
    )


def session_of(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Return the request's session dict (empty on routes the middleware skips)."""
    session = request.scope.get("session")
    return session if isinstance(session, dict) else {}


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """Return the session's CSRF token, creating the session's token on first use."""
    session = request.scope.get("session")
    if not isinstance(session, dict):
        return ""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def csrf_valid(request: Request[Any, Any, Any], submitted: str | None) -> bool:
    """Return whether `submitted` matches the session's CSRF token."""
    expected = session_of(request).get("csrf")
    if not isinstance(expected, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def sign_in(request: Request[Any, Any, Any], workspace_id: uuid.UUID, api_key: str) -> None:
    """Start a builder session for the workspace (a fresh CSRF token comes with it)."""
    request.scope["session"] = {
        "ws": str(workspace_id),
        "key": api_key,
        "iat": int(time.time()),
        "csrf": secrets.token_urlsafe(24),
    }


def sign_out(request: Request[Any, Any, Any]) -> None:
    """End the builder session (the middleware clears the cookie)."""
    request.scope["session"] = {}


async def session_workspace(request: Request[Any, Any, Any], conn: Conn) -> uuid.UUID | None:
    """Return the signed-in workspace, or None when there is no valid, unexpired session."""
    session = session_of(request)
    key, issued = session.get("key"), session.get("iat")
    if not isinstance(key, str) or not isinstance(issued, int):
        return None
    if time.time() - issued > SESSION_MAX_AGE_S:
        return None
    workspace_id = await workspaces.workspace_for_key(conn, key)
    if workspace_id is None or str(workspace_id) != session.get("ws"):
        return None
    return workspace_id


async def provide_workspace_id(request: Request[Any, Any, Any], conn: ConnDep) -> uuid.UUID:
    """Authenticate a builder API call: a Bearer workspace key, else the builder session.

    A session-authenticated call that changes anything must carry the session's CSRF
    token in the X-CSRF-Token header (the builder's pages and preview widget send it).
    """
    if bearer_token(request) is not None or "key" not in session_of(request):
        return await provide_key_workspace_id(request, conn)
    workspace_id = await session_workspace(request, conn)
    if workspace_id is None:
        raise Unauthorized("the builder session has expired: sign in again at /ui/login")
    if request.method not in SAFE_METHODS and not csrf_valid(
        request, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden("missing or invalid CSRF token (send the X-CSRF-Token header)")
    return workspace_id
