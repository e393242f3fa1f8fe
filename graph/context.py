"""Per-run context of the turn graph: who is asking, in which mode, with which services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["live", "preview", "eval"]


@dataclass(frozen=True)
class ModelSettings:
    """Which chat model (if any) composes and classifies, and how long it may take."""

    chat_model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 20.0
    temperature: float = 0.2

    @property
    def enabled(self) -> bool:
        """Return True when a model endpoint is configured (else deterministic mode)."""
        return bool(self.chat_model)


@dataclass(frozen=True)
class TurnServices:
    """Process services nodes reach through the context (never through globals or env)."""

    db: Any
    """store.db.Database: the shared pool."""
    space: Any
    """ingestion.embeddings.EmbeddingSpace: the embedder."""
    chunk_table: str
    signer: Any
    """services.documents.LinkSigner: signs document links."""
    base_url: str
    models: Any = None
    """graph.model.ModelClients: chat model clients (None in deterministic mode)."""
    submit_job: Any = None
    """async (job_id) -> None: hands a queued background job to the job runner."""


@dataclass(frozen=True)
class Context:
    """Frozen per-run knobs; the same compiled graph serves every mode."""

    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    services: TurnServices
    mode: Mode = "live"
    model: ModelSettings = field(default_factory=ModelSettings)
    top_k: int = 5
    history_turns: int = 6
    """How many earlier turns the classifier and composer see."""
