"""Hand-built TurnOutputs for the eval tests."""

from __future__ import annotations

from typing import Any

from signpost.protocol import TurnOutput

SIGNED = "https://bot.example/d/eyJkb2MiOiJwb3J0Zm9saW8ifQ.sig123456"


def out(intent: str = "navigation", **fields: Any) -> TurnOutput:
    """Return a TurnOutput with sensible defaults; `fields` override them."""
    data: dict[str, Any] = {
        "thread_id": "thr_1",
        "turn_id": "turn_1",
        "trace_id": "trace-1",
        "intent": intent,
        "tool": None,
        "text": "",
        "ui_blocks": [],
        "citations": [],
        "lead": {"status": "none", "fields_required": []},
        "fallback": False,
    }
    data.update(fields)
    return TurnOutput.model_validate(data)


def links(*urls: str) -> dict[str, Any]:
    return {"type": "links", "links": [{"label": "Page", "url": u} for u in urls]}


def cards(*urls: str) -> dict[str, Any]:
    return {"type": "cards", "cards": [{"title": u, "url": u} for u in urls]}


def contacts(*people: dict[str, Any]) -> dict[str, Any]:
    return {"type": "contacts", "contacts": list(people)}


def lead_form(reason: str = "to send you the Portfolio 2026") -> dict[str, Any]:
    return {
        "type": "lead_form",
        "fields": [{"name": "name", "label": "Your name"}, {"name": "email", "label": "Email"}],
        "reason": reason,
    }


def documents(*docs: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "documents",
        "documents": [
            {
                "document_id": f"doc-{i}",
                "title": title,
                "url": url,
                "expires_at": "2026-01-01T00:00:00Z",
            }
            for i, (title, url) in enumerate(docs)
        ],
    }
