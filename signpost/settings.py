"""Process settings, read once from the environment and `.env`."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """Raised at start-up when a setting is invalid; the message names the variable."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything the process needs to know about its environment.

    Per-run knobs (model, top_k, mode) are not here: they travel in the graph's
    Context. Nodes and tools never read this object directly.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path(".data"), validation_alias=_env("SIGNPOST_DATA_DIR"))
    """Embedded Postgres, uploaded files and the generated secret key live here."""
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    """External PostgreSQL (with pgvector); unset means the embedded server."""
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    """Celery broker for background jobs; unset means jobs run in-process."""

    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    chat_model: str | None = Field(None, validation_alias=_env("SIGNPOST_CHAT_MODEL"))
    """Chat model name on the OpenAI-compatible endpoint; unset means deterministic mode."""
    embedding_model: str | None = Field(None, validation_alias=_env("SIGNPOST_EMBEDDING_MODEL"))
    """Embedding model on the OpenAI-compatible endpoint; unset means the local model."""
    model_cache_dir: Path | None = Field(None, validation_alias=_env("SIGNPOST_MODEL_CACHE"))
    """Where the local embedding model's ONNX conversion is cached (default ~/.cache/signpost)."""
    embedding_batch_engine: Literal["auto", "onnxruntime"] = Field(
        "auto", validation_alias=_env("SIGNPOST_EMBEDDING_BATCH_ENGINE")
    )
    """How the local model embeds sync batches: OpenVINO when installed (auto), or onnxruntime."""
    model_timeout_s: float = Field(20.0, gt=0, validation_alias=_env("SIGNPOST_MODEL_TIMEOUT"))

    secret_key: SecretStr | None = Field(None, validation_alias=_env("SIGNPOST_SECRET_KEY"))
    """Signs document links and sessions; generated into the data dir when unset."""

    host: str = Field("127.0.0.1", validation_alias=_env("SIGNPOST_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("SIGNPOST_PORT"))
    workers: int = Field(1, ge=1, le=32, validation_alias=_env("SIGNPOST_WORKERS"))
    """Server processes for `signpost serve` (each with its own pool and turn engine)."""
    public_url: str | None = Field(None, validation_alias=_env("SIGNPOST_PUBLIC_URL"))
    """Base URL visitors reach the service at (signed links, icon URLs)."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("SIGNPOST_LOG_LEVEL")
    )

    db_pool_min: int = Field(2, ge=1, validation_alias=_env("SIGNPOST_DB_POOL_MIN"))
    db_pool_max: int = Field(20, ge=4, validation_alias=_env("SIGNPOST_DB_POOL_MAX"))

    max_upload_bytes: int = Field(
        25 * 1024 * 1024, gt=0, validation_alias=_env("SIGNPOST_MAX_UPLOAD_BYTES")
    )
    max_icon_bytes: int = Field(1024 * 1024, gt=0, validation_alias=_env("SIGNPOST_MAX_ICON_BYTES"))

    document_link_ttl_hours: float = Field(
        24.0, gt=0, le=24 * 90, validation_alias=_env("SIGNPOST_DOCUMENT_LINK_TTL_HOURS")
    )
    """How long a released document link stays valid."""
    thread_ttl_days: int = Field(30, ge=1, validation_alias=_env("SIGNPOST_THREAD_TTL_DAYS"))
    """Threads idle longer than this are pruned (transcript, checkpoints); leads are kept."""

    tracing: bool = Field(True, validation_alias=_env("SIGNPOST_TRACING"))
    """Record every turn's run tree in Postgres (the trace viewer and /api/v1/traces)."""
    trace_retention_days: int = Field(
        30, ge=1, validation_alias=_env("SIGNPOST_TRACE_RETENTION_DAYS")
    )
    """Traces older than this are pruned by the periodic maintenance job."""
    trace_max_field_chars: int = Field(
        4000, ge=64, validation_alias=_env("SIGNPOST_TRACE_MAX_FIELD_CHARS")
    )
    """Longest text kept per value in a run's inputs/outputs; the rest becomes a marker."""
    trace_max_items: int = Field(50, ge=1, validation_alias=_env("SIGNPOST_TRACE_MAX_ITEMS"))
    """Longest list kept per value in a run's inputs/outputs."""
    trace_max_payload_bytes: int = Field(
        65536, ge=1024, validation_alias=_env("SIGNPOST_TRACE_MAX_PAYLOAD_BYTES")
    )
    """Largest inputs/outputs JSON stored per run; larger ones are replaced by a marker."""
    trace_queue_size: int = Field(1000, ge=1, validation_alias=_env("SIGNPOST_TRACE_QUEUE_SIZE"))
    """Traces waiting to be written; beyond it new traces are dropped (and counted)."""
    langsmith_tracing: bool = Field(
        False, validation_alias=_env("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2")
    )
    """Also send runs to LangSmith (needs LANGSMITH_API_KEY)."""
    langsmith_api_key: SecretStr | None = Field(
        None, validation_alias=_env("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")
    )
    langsmith_project: str | None = Field(None, validation_alias=_env("LANGSMITH_PROJECT"))
    langsmith_endpoint: str | None = Field(None, validation_alias=_env("LANGSMITH_ENDPOINT"))

    rate_limit_visitor: str = Field(
        "20/minute", validation_alias=_env("SIGNPOST_RATE_LIMIT_VISITOR")
    )
    """Widget turns per visitor (IP + thread), as N/second|minute|hour."""
    rate_limit_bot: str = Field("600/minute", validation_alias=_env("SIGNPOST_RATE_LIMIT_BOT"))
    """Widget turns per chatbot across all visitors."""

    google_service_account_file: Path | None = Field(
        None, validation_alias=_env("GOOGLE_SERVICE_ACCOUNT_FILE", "SIGNPOST_GOOGLE_CREDENTIALS")
    )
    """Service-account JSON for Google Sheets sources and lead sinks."""
    google_sheets_endpoint: str | None = Field(
        None, validation_alias=_env("SIGNPOST_GOOGLE_SHEETS_ENDPOINT")
    )
    """Override of the Sheets API base URL (a recorded-response server in tests)."""

    @field_validator("database_url", "redis_url", "openai_base_url", "public_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("rate_limit_visitor", "rate_limit_bot")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @field_validator("openai_base_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @property
    def model_mode(self) -> bool:
        """Return True when a chat model endpoint is configured."""
        return bool(self.chat_model)

    @property
    def document_link_ttl(self) -> timedelta:
        """Return the validity of released document links."""
        return timedelta(hours=self.document_link_ttl_hours)

    @property
    def base_url(self) -> str:
        """Return the URL visitors reach this service at."""
        if self.public_url:
            return self.public_url
        host = "localhost" if self.host in ("0.0.0.0", "127.0.0.1", "::") else self.host
        return f"http://{host}:{self.port}"

    def resolved_secret_key(self) -> str:
        """Return the secret key, generating it once into the data dir when unset."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _generated_secret(self.data_dir)


_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(value: str) -> tuple[int, int]:
    """Parse "N/period" into (N, seconds); raise ValueError for anything else."""
    count, _, period = value.strip().partition("/")
    if not count.isdigit() or int(count) < 1 or period.strip().rstrip("s") not in _PERIODS:
        raise ValueError("must look like 20/minute (periods: second, minute, hour, day)")
    return int(count), _PERIODS[period.strip().rstrip("s")]


def _generated_secret(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


_ENV_NAMES = {
    name: (
        field.validation_alias.choices[0]
        if isinstance(field.validation_alias, AliasChoices)
        else name.upper()
    )
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, raising SettingsError naming the bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"{_ENV_NAMES.get(field, field)}: {err['msg']}")
        raise SettingsError("invalid settings — " + "; ".join(problems)) from None
    if settings.chat_model and not (settings.openai_api_key or settings.openai_base_url):
        raise SettingsError(
            "invalid settings — SIGNPOST_CHAT_MODEL is set but neither OPENAI_API_KEY nor "
            "OPENAI_BASE_URL is: set the endpoint (and key) or unset SIGNPOST_CHAT_MODEL"
        )
    if settings.db_pool_max < settings.db_pool_min:
        raise SettingsError("invalid settings — SIGNPOST_DB_POOL_MAX is below SIGNPOST_DB_POOL_MIN")
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (loaded once)."""
    return load_settings()
