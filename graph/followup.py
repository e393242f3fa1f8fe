"""Resolve follow-up questions against the thread's current subject."""

from __future__ import annotations

from collections.abc import Sequence

from graph.state import Focus
from tools.textmatch import content_stems, overlap, question_concepts, tokens

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
    if any(names_item(content_stems(name), stems) for name in known_names if name):
        subject = content_stems(focus["subject"])
        return bool(subject) and names_item(subject, stems)
    refers_back = any(w in _ANAPHORA for w in words)
    short = len(stems) <= 3
    starts_with_and = bool(words) and words[0] in {"and", "also", "what", "how", "ok", "so"}
    return refers_back or (short and (starts_with_and or len(words) <= 6))


def names_item(name_stems: Sequence[str], message_stems: Sequence[str]) -> bool:
    """Return whether a message names an item: its leading words, or most of its name.

    "the HX5 payload" names "HX5"; "that plan agreement" names "Wellness Plan Agreement"
    (two of its three words), while one shared common word names nothing.
    """
    if not name_stems:
        return False
    if overlap(name_stems[:2], message_stems) >= 1.0:
        return True
    pool = set(message_stems)
    shared = sum(1 for s in dict.fromkeys(name_stems) if s in pool)
    return shared >= 2 and shared >= len(set(name_stems)) / 2


def resolve_query(
    message: str, focus: Focus | None, followup: bool, previous: str | None = None
) -> str:
    """Return the search query: the message, plus the subject's name for a follow-up.

    An elliptical follow-up keeps asking what the previous question asked: after "what
    time is the first boat to Tolsay?", "and the last one back?" asks for a time too, so
    the concepts of the previous question that the message does not replace come along
    ("… time").
    """
    if not followup or focus is None or not focus.get("subject"):
        return message
    query = f"{message} {focus['subject']}"
    if previous and not question_concepts(message):
        carried = sorted(question_concepts(previous))
        if carried:
            query = f"{query} {' '.join(carried)}"
    return query
