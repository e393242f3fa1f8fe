"""Dependencies the controllers declare: the runtime, a connection, the caller's workspace."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from signpost.errors import Unauthorized
from signpost.runtime import Runtime
from store import workspaces
from store.db import Conn

RuntimeDep = NamedDependency[Runtime]
"""The process runtime (settings, database, file store, jobs, graph)."""
ConnDep = NamedDependency[Conn]
"""A pooled connection for the request."""
WorkspaceId = NamedDependency[uuid.UUID]
"""The workspace the API key authenticates (builder routes)."""


def provide_runtime(state: State) -> Runtime:
    """Return the process runtime built in the lifespan."""
    return state.runtime  # type: ignore[no-any-return]


async def provide_conn(runtime: RuntimeDep) -> AsyncIterator[Conn]:
    """Lend a pooled connection for the request."""
    async with runtime.db.connection() as conn:
        yield conn


def bearer_token(request: Request) -> str | None:
    """Return the bearer token of the Authorization header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def provide_workspace_id(request: Request, conn: ConnDep) -> uuid.UUID:
    """Authenticate the workspace API key (Authorization: Bearer <key>)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <workspace API key>'")
    workspace_id = await workspaces.workspace_for_key(conn, token)
    if workspace_id is None:
        raise Unauthorized("invalid or revoked API key")
    return workspace_id
