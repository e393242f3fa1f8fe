"""Make run payloads storable: cap their size with markers, redact secrets and lead data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

REDACTED = "[redacted]"
LEAD_REDACTED = "[redacted: lead data]"
SAME_AS = "__same_as__"
"""Marks a stored value that repeats an earlier run's (the read side expands it)."""

_SECRET_KEY = re.compile(
    r"(?:^|[_-])(?:api[_-]?key|apikey|secret|password|passwd|pwd|authorization|cookie|"
    r"credentials?|private[_-]?key)$|[_-]token$",
    re.IGNORECASE,
)
"""Keys whose values are secrets (a bare "token" is a streamed token, not a secret)."""
_SECRET_TEXT = re.compile(
    r"(?P<bearer>\bBearer\s+[A-Za-z0-9._~+/=-]{8,})"
    r"|(?P<sk>\bsk-[A-Za-z0-9_-]{16,})"
    r"|(?P<sp>\bsp_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{8,})"
    r"|(?P<ls>\blsv2_[A-Za-z0-9_]{16,})"
    r"|(?P<assign>\b(?:password|passwd|pwd|api[_-]?key|secret|token)\s*[:=]\s*[^\s,;&\"']+)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"\+?\d[\d ()./-]{6,}\d")
_LEAD_CONTAINERS = frozenset({"lead_submission", "lead_input", "lead_values"})
"""Keys whose whole value is what a visitor typed into the lead form."""


@dataclass(frozen=True)
class Limits:
    """How much of a payload is kept (the settings' trace caps)."""

    max_field_chars: int = 4000
    max_items: int = 50
    max_payload_bytes: int = 65536
    max_depth: int = 24


def cap_payload(encoded: bytes, limits: Limits) -> bytes:
    """Replace a payload still larger than the cap by a marker with a preview."""
    if len(encoded) <= limits.max_payload_bytes:
        return encoded
    preview = encoded[: min(2000, limits.max_payload_bytes // 2)].decode("utf-8", "ignore")
    return msgspec.json.encode(
        {"_truncated": True, "bytes": len(encoded), "preview": preview + "…"}
    )


class Sanitizer:
    """Make one trace's payloads storable in a single pass: redact, then cap.

    Secrets are always redacted. Lead data — what a visitor typed into the lead form,
    what the thread captured as the lead, and emails/phone numbers the visitor wrote
    in messages — is redacted unless the workspace allows it, wherever those values
    reappear (prompts, composed answers). The company's own contact details from the
    knowledge base are kept. Long texts and lists are cut, each cut marked.
    """

    def __init__(
        self, limits: Limits, *, allow_pii: bool = False, lead_values: Iterable[str] = ()
    ) -> None:
        self.limits = limits
        self.allow_pii = allow_pii
        values = sorted(
            {v.strip() for v in lead_values if len(v.strip()) >= 3}, key=len, reverse=True
        )
        self._lead_cues = tuple({v.lower() for v in values})
        self._lead = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(v) for v in values) + r")(?!\w)", re.IGNORECASE
            )
            if values and not allow_pii
            else None
        )

    def text(self, value: str, *, limit: int | None = None) -> str:
        """Redact and cap one string (at `limit` characters, default the field cap)."""
        if len(value) < 3:
            return value
        if "\x00" in value:  # jsonb cannot hold NUL
            value = value.replace("\x00", "")
        low = value.lower()
        if _has_secret_cue(low):
            value = _SECRET_TEXT.sub(_secret_sub, value)
            low = value.lower()
        if self._lead is not None and any(cue in low for cue in self._lead_cues):
            value = self._lead.sub(LEAD_REDACTED, value)
        limit = limit or self.limits.max_field_chars
        if len(value) > limit:
            return value[:limit] + f"…[truncated {len(value) - limit} chars]"
        return value

    def apply(self, value: Any, key: str = "", depth: int = 0) -> Any:
        """Return a JSON-ready copy of the value, redacted and capped."""
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind is dict:
            return self._dict(value, key, depth)
        if kind is list:
            return self._list(value, key, depth)
        return value

    def _dict(self, value: dict[Any, Any], key: str, depth: int) -> Any:
        if depth >= self.limits.max_depth:
            return "…[truncated: nested too deep]"
        out: dict[str, Any] = {}
        max_keys = self.limits.max_items * 4
        blank_leads = not self.allow_pii
        for i, (k, item) in enumerate(value.items()):
            if i >= max_keys:
                out["…"] = f"[truncated {len(value) - i} more keys]"
                break
            if type(k) is not str:
                k = str(k)
            if item is None:
                out[k] = item
                continue
            kind = type(item)
            if _secret_key(k):
                out[k] = REDACTED if item or kind in (int, float) else item
            elif blank_leads and (k in _LEAD_CONTAINERS or (key == "lead" and k == "values")):
                out[k] = _blank(item)
            elif kind is str:
                out[k] = self.text(item)
            elif kind is dict:
                out[k] = self._dict(item, k, depth + 1)
            elif kind is list:
                out[k] = self._list(item, k, depth + 1)
            else:
                out[k] = item
        return out

    def _list(self, value: list[Any], key: str, depth: int) -> Any:
        if len(value) > 16 and all(type(x) is float for x in value[:16]):
            return f"[vector: {len(value)} numbers]"
        if depth >= self.limits.max_depth:
            return "…[truncated: nested too deep]"
        cap = self.limits.max_items
        kept = [self.apply(item, key, depth + 1) for item in value[:cap]]
        if len(value) > cap:
            kept.append(f"…[truncated {len(value) - cap} more items]")
        return kept


def _has_secret_cue(low: str) -> bool:
    """Cheap substring test before the secret regex (most strings contain no cue)."""
    return (
        "sk-" in low
        or "sp_" in low
        or "api" in low
        or "token" in low
        or "secret" in low
        or "bearer" in low
        or "pass" in low
        or "pwd" in low
        or "lsv2_" in low
    )


_SECRET_KEYS: dict[str, bool] = {}


def _secret_key(key: str) -> bool:
    """Return whether a dict key names a secret (memoised: the same keys recur)."""
    found = _SECRET_KEYS.get(key)
    if found is None:
        found = bool(_SECRET_KEY.search(key))
        if len(_SECRET_KEYS) < 4096:
            _SECRET_KEYS[key] = found
    return found


def _secret_sub(match: re.Match[str]) -> str:
    if match.group("bearer"):
        return "Bearer " + REDACTED
    if match.group("assign"):
        name = re.split(r"\s*[:=]", match.group("assign"), maxsplit=1)[0]
        return f"{name}={REDACTED}"
    return REDACTED


def _blank(value: Any) -> Any:
    """Keep the shape (which fields were given), drop every value."""
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return LEAD_REDACTED if value not in (None, "") else value


_LEAD_SOURCES = frozenset({"message", "history", "lead", *_LEAD_CONTAINERS})
"""Top-level keys of run payloads (graph state, turn input) that can hold lead data."""


def lead_values(payloads: Iterable[Any]) -> set[str]:
    """Collect the lead's personal data from a trace's payloads (see Sanitizer).

    Only the keys that carry it are read: the visitor's message, the thread history's
    visitor messages, the lead form submission and the captured lead's values.
    """
    found: set[str] = set()
    for payload in payloads:
        if not isinstance(payload, dict):
            continue
        for key in _LEAD_SOURCES.intersection(payload):
            value = payload[key]
            if key == "message" and isinstance(value, str):
                _volunteered(value, found)
            elif key == "history" and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and item.get("role") == "user":
                        _volunteered(str(item.get("content") or ""), found)
            elif key == "lead" and isinstance(value, dict):
                _strings(value.get("values"), "values", found)
            elif key in _LEAD_CONTAINERS:
                _strings(value, key, found)
    return found


def _volunteered(text: str, into: set[str]) -> None:
    """Add the emails and phone numbers a visitor wrote in a message."""
    into.update(_EMAIL.findall(text))
    into.update(m for m in _PHONE.findall(text) if sum(c.isdigit() for c in m) >= 7)


def _strings(value: Any, key: str, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
        if "name" in key:  # a full name also shows up as its parts ("Thanks, Jane")
            into.update(part for part in value.split() if len(part) >= 3)
    elif isinstance(value, dict):
        for k, item in value.items():
            _strings(item, k, into)
    elif isinstance(value, list):
        for item in value:
            _strings(item, key, into)
