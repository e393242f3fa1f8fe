"""Create, read, update and delete chatbots; validate their configuration."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.lead_sink import LeadSheet
from signpost.errors import NotFound, ValidationFailed
from signpost.protocol import DEFAULT_LEAD_FIELDS, KNOWN_LEAD_FIELDS, LeadField
from store import chatbots as repo
from store.chatbots import Chatbot
from store.db import Conn
from store.files import FileStore

DEFAULT_GREETING = "Hi! How can I help you today?"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class UiConfig(BaseModel):
    """How the widget looks."""

    model_config = ConfigDict(extra="forbid")

    primary_color: str = Field("#2563eb", description="Hex colour of the launcher and header.")
    position: Literal["bottom-right", "bottom-left"] = "bottom-right"
    launcher_text: str = Field("Chat with us", max_length=40)

    @field_validator("primary_color")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _COLOR.match(value):
            raise ValueError("must be a hex colour like #2563eb")
        return value.lower()


class LeadFieldIn(BaseModel):
    """A lead form field given in full."""

    model_config = ConfigDict(extra="forbid")

    name: str
    label: str | None = Field(None, max_length=80)
    required: bool = True
    type: Literal["text", "email", "tel", "textarea"] | None = None


def normalize_lead_fields(raw: list[str | LeadFieldIn | dict[str, Any]]) -> list[LeadField]:
    """Turn `["name", "email"]` or full field objects into LeadFields; validate the set."""
    fields: list[LeadField] = []
    for item in raw:
        spec = LeadFieldIn(name=item) if isinstance(item, str) else LeadFieldIn.model_validate(item)
        name = spec.name.strip().lower()
        if not _FIELD_NAME.match(name):
            raise ValueError(f"lead field name {spec.name!r} must be lower-case letters, digits, _")
        known = KNOWN_LEAD_FIELDS.get(name)
        fields.append(
            LeadField(
                name=name,
                label=spec.label or (known.label if known else name.replace("_", " ").capitalize()),
                required=spec.required
                if not isinstance(item, str) or not known
                else known.required,
                type=spec.type or (known.type if known else "text"),
            )
        )
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError("lead field names must be unique")
    if not any(f.name in ("email", "phone") and f.required for f in fields):
        raise ValueError("lead fields must include a required email or phone field")
    return fields


def normalize_origin(value: str) -> str:
    """Return `scheme://host[:port]` for an origin, or raise ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://www.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} must be an origin only (scheme, host, port), no path")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class _ChatbotFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("allowed_origins", check_fields=False)
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(normalize_origin(v) for v in value))

    @field_validator("lead_fields", check_fields=False)
    @classmethod
    def _lead_fields(cls, value: list[Any] | None) -> list[LeadField] | None:
        return None if value is None else normalize_lead_fields(value)


class ChatbotCreate(_ChatbotFields):
    """Body of POST /chatbots."""

    name: ShortText
    greeting: str = Field(DEFAULT_GREETING, min_length=1, max_length=500)
    suggested_questions: list[ShortText] = Field(default_factory=list, max_length=8)
    ui: UiConfig = Field(default_factory=UiConfig)
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    lead_fields: list[str | LeadFieldIn] = Field(
        default_factory=lambda: list(DEFAULT_LEAD_FIELDS),
        min_length=1,
        max_length=10,
        validate_default=True,
    )
    status: Literal["draft", "published"] = "draft"
    lead_sheet: LeadSheet | None = Field(
        None,
        description="Append each new lead to this Google Sheet (shared with the "
        "service account as Editor); null = off.",
    )


class ChatbotPatch(_ChatbotFields):
    """Body of PATCH /chatbots/{id}: only the fields given change."""

    name: ShortText | None = None
    greeting: str | None = Field(None, min_length=1, max_length=500)
    suggested_questions: list[ShortText] | None = Field(None, max_length=8)
    ui: UiConfig | None = None
    allowed_origins: list[str] | None = Field(None, max_length=50)
    lead_fields: list[str | LeadFieldIn] | None = Field(None, min_length=1, max_length=10)
    status: Literal["draft", "published"] | None = None
    lead_sheet: LeadSheet | None = Field(None, description="null turns the lead sheet off.")


NULLABLE = frozenset({"lead_sheet"})
"""Fields a PATCH may set to null (to turn a feature off)."""


def _columns(data: _ChatbotFields, *, fields: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(data, name)
        if name == "lead_fields":
            value = [f.model_dump() for f in value]
        elif name == "ui":
            value = value.model_dump()
        elif name == "lead_sheet":
            # settings holds the optional integrations; the lead sheet is its only key so far
            values["settings"] = {"lead_sheet": value.model_dump() if value else None}
            continue
        values[name] = value
    return values


def new_public_key() -> str:
    """Return a fresh widget key: public, unguessable, not a credential for anything else."""
    return "pk_" + secrets.token_urlsafe(18)


async def create_chatbot(conn: Conn, workspace_id: uuid.UUID, data: ChatbotCreate) -> Chatbot:
    """Create a chatbot with a fresh public key."""
    values = _columns(data, fields=set(ChatbotCreate.model_fields))
    values["public_key"] = new_public_key()
    return await repo.insert_chatbot(conn, workspace_id, values)


async def get_chatbot(conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID) -> Chatbot:
    """Return the chatbot or raise NotFound."""
    bot = await repo.get_chatbot(conn, workspace_id, chatbot_id)
    if bot is None:
        raise NotFound(f"chatbot {chatbot_id} not found")
    return bot


async def update_chatbot(
    conn: Conn, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, patch: ChatbotPatch
) -> Chatbot:
    """Apply the fields present in the patch."""
    given = {
        name
        for name in patch.model_fields_set
        if getattr(patch, name) is not None or name in NULLABLE
    }
    nulls = patch.model_fields_set - given
    if nulls:
        raise ValidationFailed(
            f"these fields cannot be null: {', '.join(sorted(nulls))}",
            details=[{"field": n, "message": "may not be null"} for n in sorted(nulls)],
        )
    bot = await repo.update_chatbot(conn, workspace_id, chatbot_id, _columns(patch, fields=given))
    if bot is None:
        raise NotFound(f"chatbot {chatbot_id} not found")
    return bot


async def delete_chatbot(
    conn: Conn, files: FileStore, workspace_id: uuid.UUID, chatbot_id: uuid.UUID
) -> Chatbot:
    """Delete the chatbot, its links and its icon (sources stay); return what was deleted."""
    bot = await get_chatbot(conn, workspace_id, chatbot_id)
    if not await repo.delete_chatbot(conn, workspace_id, chatbot_id):
        raise NotFound(f"chatbot {chatbot_id} not found")
    if bot.icon_key:
        files.delete(bot.icon_key)
    return bot
