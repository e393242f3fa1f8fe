"""Resolve follow-up questions against the thread's current subject."""

from __future__ import annotations

from collections.abc import Sequence

from graph.state import Focus
from tools.textmatch import content_stems, overlap, tokens

_ANAPHORA = frozenset(
    "it its it's itself that this these those they them their one ones he she him her "
    "his hers there".split()
)


def is_followup(message: str, focus: Focus | None, known_names: Sequence[str] = ()) -> bool:
    """Return True when the message leans on the previous subject instead of naming one.

    A message that refers back ("how much does it weigh?", "and the price?") or is too
    short to stand alone continues the thread; one that names another known item
    (a product, page or document of this bot) starts a new subject.
    """
    if focus is None:
        return False
    words = tokens(message)
    stems = content_stems(message)
    if any(overlap(content_stems(name)[:2], stems) >= 1.0 for name in known_names if name):
        subject = content_stems(focus["subject"])
        return bool(subject) and overlap(subject[:2], stems) >= 1.0
    refers_back = any(w in _ANAPHORA for w in words)
    short = len(stems) <= 3
    starts_with_and = bool(words) and words[0] in {"and", "also", "what", "how", "ok", "so"}
    return refers_back or (short and (starts_with_and or len(words) <= 6))


def resolve_query(message: str, focus: Focus | None, followup: bool) -> str:
    """Return the search query: the message, plus the subject's name for a follow-up."""
    if not followup or focus is None or not focus.get("subject"):
        return message
    return f"{message} {focus['subject']}"
