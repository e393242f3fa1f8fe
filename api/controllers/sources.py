"""Builder API: data sources of the workspace."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from api.deps import ConnDep, RuntimeDep, WorkspaceId
from api.schemas import JobOut, Page, SourceOut, SyncStarted
from api.uploads import read_form
from services import ingest
from services import sources as service
from store import sources as repo

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Items to skip.")]
TypeFilter = Annotated[
    Literal["website", "sheet", "custom", "document"] | None,
    QueryParameter(description="Only sources of this type."),
]


class SourceController(Controller):
    """Create, list, read and delete data sources."""

    path = "/api/v1/sources"
    tags = ["sources"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self,
        data: JSONBody[service.SourceCreate],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> SourceOut:
        """Create a website, sheet (Google Sheets) or custom text source."""
        source = await service.create_source(conn, workspace_id, data.root)
        job = await ingest.request_sync(runtime, workspace_id, source.id)
        return SourceOut.of(source).model_copy(update={"job_id": str(job.id)})

    @post("/upload", status_code=HTTP_201_CREATED)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> SourceOut:
        """Create a document or sheet source from files.

        Multipart fields: `type` (document | sheet), `name`, and `file` (repeat `file` to
        upload several documents into one source). Files that are refused are listed in
        `rejected_files`; the others are kept.
        """
        fields, files = await read_form(request)
        uploads = [u for key, u in files if key == "file"]
        source, rejected = await service.create_uploaded_source(
            conn,
            runtime.files,
            workspace_id,
            kind=fields.get("type", ""),
            name=fields.get("name", ""),
            uploads=uploads,
        )
        job = await ingest.request_sync(runtime, workspace_id, source.id)
        out = SourceOut.of(source).model_copy(update={"job_id": str(job.id)})
        if rejected:
            out.rejected_files = [{"filename": r.filename, "message": r.message} for r in rejected]
        return out

    @post("/{source_id:uuid}/sync", status_code=HTTP_202_ACCEPTED)
    async def sync(
        self, source_id: FromPath[uuid.UUID], workspace_id: WorkspaceId, runtime: RuntimeDep
    ) -> SyncStarted:
        """Re-sync the source incrementally (unchanged items are skipped)."""
        job = await ingest.request_sync(runtime, workspace_id, source_id)
        return SyncStarted(job_id=str(job.id), status=job.status)

    @get("/")
    async def list(
        self,
        conn: ConnDep,
        workspace_id: WorkspaceId,
        limit: Limit = 20,
        offset: Offset = 0,
        type: TypeFilter = None,
    ) -> Page[SourceOut]:
        """List the workspace's sources, newest first."""
        sources, total = await repo.list_sources(
            conn, workspace_id, limit=limit, offset=offset, type=type
        )
        items = [SourceOut.of(s, full=False) for s in sources]
        return Page[SourceOut](items=items, total=total, limit=limit, offset=offset)

    @get("/{source_id:uuid}")
    async def read(
        self, source_id: FromPath[uuid.UUID], conn: ConnDep, workspace_id: WorkspaceId
    ) -> SourceOut:
        """Return one source with its status and counts."""
        return SourceOut.of(await service.get_source(conn, workspace_id, source_id))

    @delete("/{source_id:uuid}", status_code=HTTP_204_NO_CONTENT)
    async def remove(
        self,
        source_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> None:
        """Delete the source, unlink it from every bucket and drop its indexed content."""
        await service.delete_source(conn, runtime.files, workspace_id, source_id)


class JobController(Controller):
    """Background jobs (source syncs)."""

    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get("/{job_id:uuid}")
    async def read(
        self, job_id: FromPath[uuid.UUID], workspace_id: WorkspaceId, runtime: RuntimeDep
    ) -> JobOut:
        """Return the job: status, progress (done/total), per-item errors, timestamps."""
        return JobOut.of(await ingest.get_job(runtime, workspace_id, job_id))
