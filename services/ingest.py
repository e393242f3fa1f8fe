"""Start syncs, read jobs, and build a chatbot's knowledge base."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ingestion.records import content_hash
from signpost.errors import NotFound, Unavailable
from store import buckets as buckets_repo
from store import jobs as jobs_repo
from store import sources as sources_repo
from store.chatbots import Chatbot
from store.chatbots import update_chatbot as update_chatbot_row
from store.jobs import Job


async def request_sync(runtime: Any, workspace_id: uuid.UUID, source_id: uuid.UUID) -> Job:
    """Queue a sync of the source (or return the one already queued/running)."""
    async with runtime.db.connection() as conn:
        if await sources_repo.get_source(conn, workspace_id, source_id) is None:
            raise NotFound(f"source {source_id} not found")
        job, created = await jobs_repo.enqueue_sync(conn, workspace_id, source_id)
    if created:
        if runtime.jobs is None:
            raise Unavailable("this process runs no job runner")
        await runtime.jobs.submit(job.id)
    return job


async def get_job(runtime: Any, workspace_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """Return the job or raise NotFound."""
    async with runtime.db.connection() as conn:
        job = await jobs_repo.get_job(conn, workspace_id, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Whether the chatbot's linked sources are all ready, and the KB version they make."""

    ready: bool
    kb_version: str
    sources: list[dict[str, Any]]


async def build_chatbot(runtime: Any, bot: Chatbot) -> BuildResult:
    """Check every linked source and record the knowledge-base version on the chatbot."""
    async with runtime.db.connection() as conn:
        links = await buckets_repo.get_bucket_links(conn, bot.workspace_id, bot.id)
        ids = list(dict.fromkeys(sid for ids in links.values() for sid in ids))
        sources = {s.id: s for s in await sources_repo.get_sources(conn, bot.workspace_id, ids)}
        listed = [
            {
                "id": str(sid),
                "name": sources[sid].name,
                "type": sources[sid].type,
                "buckets": [b for b, linked in links.items() if sid in linked],
                "status": sources[sid].status,
                "counts": sources[sid].counts,
                "version": sources[sid].version,
                "last_error": sources[sid].last_error,
            }
            for sid in ids
        ]
        ready = bool(ids) and all(s["status"] == "ready" for s in listed)
        version = content_hash(
            sorted((b, str(sid)) for b, linked in links.items() for sid in linked),
            sorted((str(sid), sources[sid].version or "") for sid in ids),
        )[:16]
        await update_chatbot_row(conn, bot.workspace_id, bot.id, {"kb_version": version})
    return BuildResult(ready=ready, kb_version=version, sources=listed)
