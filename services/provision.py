"""Build a workspace, its sources and a chatbot from a declarative spec.

The spec is the `bot` / `sources` / `buckets` part of the eval-suite format
(shared/docs/eval-suite.md); the demo seed and the eval runner both use it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services import buckets as bucket_service
from services import chatbots as chatbot_service
from services import sources as source_service
from signpost.errors import ValidationFailed
from signpost.protocol import BUCKETS
from store import jobs as jobs_repo
from store import workspaces
from store.db import Conn
from store.files import FileStore


class BotSpec(BaseModel):
    """The chatbot part of a spec."""

    model_config = ConfigDict(extra="allow")

    name: str
    greeting: str | None = None
    lead_fields: list[Any] | None = None
    suggested_questions: list[str] | None = None
    allowed_origins: list[str] | None = None
    ui: dict[str, Any] | None = None
    status: str | None = None


class SourceSpec(BaseModel):
    """One source of a spec; `path` is relative to the spec file."""

    model_config = ConfigDict(extra="forbid")

    id: str
    type: str
    path: str | None = None
    base_url: str | None = None
    url: str | None = None
    name: str | None = None
    text: str | None = None


class ProvisionSpec(BaseModel):
    """What to build: a bot, its sources, and which bucket each source feeds."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    bot: BotSpec
    sources: list[SourceSpec] = Field(default_factory=list)
    buckets: dict[str, list[str]] = Field(default_factory=dict)


@dataclass
class Provisioned:
    """Ids of what was built."""

    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    public_key: str
    api_key: str | None
    source_ids: dict[str, uuid.UUID] = field(default_factory=dict)


async def provision(
    conn: Conn,
    files: FileStore,
    spec: ProvisionSpec,
    *,
    base_dir: Path,
    workspace_name: str,
    workspace_id: uuid.UUID | None = None,
    with_api_key: bool = True,
) -> Provisioned:
    """Create (or reuse) a workspace, create every source and the bot, link the buckets."""
    unknown = set(spec.buckets) - set(BUCKETS)
    if unknown:
        raise ValidationFailed(f"unknown bucket(s) in spec: {', '.join(sorted(unknown))}")
    api_key = None
    if workspace_id is None:
        ws = await workspaces.create_workspace(conn, workspace_name)
        workspace_id = ws.id
        if with_api_key:
            api_key = await workspaces.create_api_key(conn, ws.id)

    source_ids: dict[str, uuid.UUID] = {}
    for src in spec.sources:
        name = src.name or src.id
        if src.path:
            source = await source_service.create_local_source(
                conn,
                files,
                workspace_id,
                kind=src.type,
                name=name,
                path=(base_dir / src.path),
                base_url=src.base_url,
            )
        elif src.type == "custom" and src.text:
            source = await source_service.create_source(
                conn,
                workspace_id,
                source_service.CustomSourceIn(type="custom", name=name, text=src.text),
            )
        elif src.type == "website" and src.url:
            source = await source_service.create_source(
                conn,
                workspace_id,
                source_service.WebsiteSourceIn(type="website", name=name, url=src.url),
            )
        else:
            raise ValidationFailed(f"source {src.id!r}: give a path (or url/text)")
        source_ids[src.id] = source.id

    bot_fields = {
        k: v
        for k, v in spec.bot.model_dump(exclude_none=True).items()
        if k in chatbot_service.ChatbotCreate.model_fields
    }
    bot = await chatbot_service.create_chatbot(
        conn, workspace_id, chatbot_service.ChatbotCreate.model_validate(bot_fields)
    )
    links: dict[str, list[uuid.UUID]] = {b: [] for b in BUCKETS}
    for bucket, refs in spec.buckets.items():
        for ref in refs:
            if ref not in source_ids:
                raise ValidationFailed(f"bucket {bucket!r} names unknown source {ref!r}")
            links[bucket].append(source_ids[ref])
    await bucket_service.set_buckets(conn, workspace_id, bot.id, links)
    for source_id in source_ids.values():
        # Queued in the database; a job runner (this process's or a worker) picks them up.
        await jobs_repo.enqueue_sync(conn, workspace_id, source_id)
    return Provisioned(
        workspace_id=workspace_id,
        chatbot_id=bot.id,
        public_key=bot.public_key,
        api_key=api_key,
        source_ids=source_ids,
    )
