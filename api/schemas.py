"""Response shapes of the builder API (request bodies live with their services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from services.icons import icon_url
from signpost.protocol import LeadField
from store.chatbots import Chatbot
from store.sources import DataSource

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(description="Items across all pages.")
    limit: int
    offset: int


class ChatbotOut(BaseModel):
    """A chatbot as the builder sees it."""

    id: str
    name: str
    greeting: str
    suggested_questions: list[str]
    ui: dict[str, Any]
    allowed_origins: list[str]
    lead_fields: list[LeadField]
    status: str
    public_key: str
    icon_url: str | None
    kb_version: str | None
    lead_sheet: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, bot: Chatbot, base_url: str) -> ChatbotOut:
        """Build from a row."""
        return cls(
            id=str(bot.id),
            name=bot.name,
            greeting=bot.greeting,
            suggested_questions=bot.suggested_questions,
            ui=bot.ui,
            allowed_origins=bot.allowed_origins,
            lead_fields=[LeadField.model_validate(f) for f in bot.lead_fields],
            status=bot.status,
            public_key=bot.public_key,
            icon_url=icon_url(base_url, bot.icon_key),
            kb_version=bot.kb_version,
            lead_sheet=(bot.settings or {}).get("lead_sheet"),
            created_at=bot.created_at,
            updated_at=bot.updated_at,
        )


class SourceOut(BaseModel):
    """A data source with its sync state."""

    id: str
    type: str
    name: str
    config: dict[str, Any]
    status: str
    counts: dict[str, int]
    version: str | None
    last_synced_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    rejected_files: list[dict[str, str]] | None = None
    job_id: str | None = Field(None, description="The sync job started by this request.")

    @classmethod
    def of(cls, source: DataSource, *, full: bool = True) -> SourceOut:
        """Build from a row; list views leave out large config values (custom text)."""
        config = dict(source.config)
        if source.type == "custom":
            text = config.get("text", "")
            config["characters"] = len(text)
            if not full:
                config.pop("text", None)
        if "files" in config:
            config["files"] = [
                {k: f[k] for k in ("filename", "size", "sha256", "content_type") if k in f}
                for f in config["files"]
            ]
        return cls(
            id=str(source.id),
            type=source.type,
            name=source.name,
            config=config,
            status=source.status,
            counts=source.counts,
            version=source.version,
            last_synced_at=source.last_synced_at,
            last_error=source.last_error,
            created_at=source.created_at,
            updated_at=source.updated_at,
        )


class JobOut(BaseModel):
    """A background job with its progress and per-item errors."""

    id: str
    kind: str
    source_id: str | None
    status: str
    progress: dict[str, int]
    errors: list[dict[str, Any]]
    result: dict[str, Any] | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Any) -> JobOut:
        """Build from a row."""
        return cls(
            id=str(job.id),
            kind=job.kind,
            source_id=str(job.source_id) if job.source_id else None,
            status=job.status,
            progress={"done": job.progress_done, "total": job.progress_total},
            errors=job.errors,
            result=job.result,
            attempts=job.attempts,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class SyncStarted(BaseModel):
    """A sync was queued (or one was already queued or running)."""

    job_id: str
    status: str


class BuildOut(BaseModel):
    """Whether every linked source is ready, and the knowledge-base version they make."""

    ready: bool
    kb_version: str
    sources: list[dict[str, Any]]


class BucketsOut(BaseModel):
    """Source ids linked to each bucket of a chatbot."""

    guidance: list[str]
    contact: list[str]
    support: list[str]
    doc_referral: list[str]

    @classmethod
    def of(cls, links: dict[str, list[Any]]) -> BucketsOut:
        """Build from bucket → ids."""
        return cls(**{bucket: [str(i) for i in ids] for bucket, ids in links.items()})
