"""The Signpost chat protocol v1: buckets, intents, TurnOutput and UI blocks.

Every surface (graph, API, widget, evals, traces) imports these names; none
invents its own shape. See shared/docs/protocol.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Bucket = Literal["guidance", "contact", "support", "doc_referral"]
SourceType = Literal["website", "sheet", "custom", "document"]
Intent = Literal[
    "navigation", "product", "support", "contact", "document", "lead", "greeting", "out_of_scope"
]
ToolName = Literal["page_navigator", "contact_lookup", "faq_retriever", "document_referral"]
LeadStatus = Literal["none", "requested", "captured", "declined"]

BUCKETS: tuple[Bucket, ...] = ("guidance", "contact", "support", "doc_referral")
SOURCE_TYPES: tuple[SourceType, ...] = ("website", "sheet", "custom", "document")
INTENTS: tuple[Intent, ...] = (
    "navigation",
    "product",
    "support",
    "contact",
    "document",
    "lead",
    "greeting",
    "out_of_scope",
)

BUCKET_ACCEPTS: dict[Bucket, tuple[SourceType, ...]] = {
    "guidance": ("website", "custom"),
    "contact": ("sheet", "custom", "website"),
    "support": ("custom", "website", "document"),
    "doc_referral": ("document",),
}
"""Source types each bucket accepts; linking anything else is refused."""

INTENT_TOOL: dict[Intent, ToolName | None] = {
    "navigation": "page_navigator",
    "product": "page_navigator",
    "support": "faq_retriever",
    "contact": "contact_lookup",
    "document": "document_referral",
    "lead": None,
    "greeting": None,
    "out_of_scope": None,
}

TOOL_BUCKET: dict[ToolName, Bucket] = {
    "page_navigator": "guidance",
    "contact_lookup": "contact",
    "faq_retriever": "support",
    "document_referral": "doc_referral",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Link(_Model):
    """A link button."""

    label: str
    url: str


class Card(_Model):
    """A product card."""

    title: str
    url: str
    image_url: str | None = None
    snippet: str = ""
    cta: str = "View product"


class Contact(_Model):
    """A person (or desk) to contact."""

    name: str
    role: str | None = None
    department: str | None = None
    email: str | None = None
    phone: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class LeadField(_Model):
    """One field of the lead form."""

    name: str
    label: str
    required: bool = True
    type: Literal["text", "email", "tel", "textarea"] = "text"


class DocumentLink(_Model):
    """A released document: a signed, expiring link."""

    document_id: str
    title: str
    url: str
    expires_at: str


class LinksBlock(_Model):
    """Link buttons, best first."""

    type: Literal["links"] = "links"
    links: list[Link]


class CardsBlock(_Model):
    """Product cards, best first."""

    type: Literal["cards"] = "cards"
    cards: list[Card]


class ContactsBlock(_Model):
    """Contacts, best first."""

    type: Literal["contacts"] = "contacts"
    contacts: list[Contact]


class LeadFormBlock(_Model):
    """The lead form; `errors` maps field name to a message after an invalid submission."""

    type: Literal["lead_form"] = "lead_form"
    fields: list[LeadField]
    reason: str = ""
    errors: dict[str, str] = Field(default_factory=dict)
    values: dict[str, str] = Field(default_factory=dict)
    """Values the visitor already gave (pre-fill), e.g. from a free-text message."""


class DocumentsBlock(_Model):
    """Released documents with signed links (only after the lead is captured)."""

    type: Literal["documents"] = "documents"
    documents: list[DocumentLink]


UIBlock = Annotated[
    LinksBlock | CardsBlock | ContactsBlock | LeadFormBlock | DocumentsBlock,
    Field(discriminator="type"),
]


class Citation(_Model):
    """Where a statement came from; `url` is null for gated documents."""

    source_id: str
    title: str
    url: str | None = None
    snippet: str = ""


class LeadState(_Model):
    """The thread's lead-capture state as shown to the client."""

    status: LeadStatus = "none"
    fields_required: list[str] = Field(default_factory=list)


class TurnOutput(_Model):
    """What one chat turn produces."""

    thread_id: str
    turn_id: str
    trace_id: str
    intent: Intent
    tool: ToolName | None = None
    text: str
    ui_blocks: list[UIBlock] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    lead: LeadState = Field(default_factory=LeadState)
    fallback: bool = False


DEFAULT_LEAD_FIELDS: tuple[str, ...] = ("name", "email")

KNOWN_LEAD_FIELDS: dict[str, LeadField] = {
    "name": LeadField(name="name", label="Your name", type="text"),
    "email": LeadField(name="email", label="Email", type="email"),
    "phone": LeadField(name="phone", label="Phone", type="tel"),
    "company": LeadField(name="company", label="Company", type="text"),
    "message": LeadField(name="message", label="Message", required=False, type="textarea"),
}
"""Labels and input types for the usual lead fields; others get a generated label."""
