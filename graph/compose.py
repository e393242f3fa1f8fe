"""Deterministic composition: grounded text and UI blocks from tool results and templates."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.state import Focus
from prompts import load_data
from tools.pages import CARD_MARGIN
from tools.textmatch import (
    asks_for_last,
    best_sentences,
    content_stems,
    overlap,
    question_concepts,
)

SUPPORT_MIN_SCORE = 0.38
SUPPORT_NEAR_MARGIN = 0.08
PAGE_MIN_SIMILARITY = 0.3
CONTACT_MIN_CONFIDENCE = 0.12


@dataclass
class Draft:
    """A composed turn before the output guard: text, blocks, citations, fallback, new focus."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    fallback: bool = False
    focus: Focus | None = None
    context: str = ""
    """The grounding a model composer would get (passages, pages, contacts)."""


class Templates:
    """Response variants from prompts/templates.yaml, picked stably per turn."""

    def __init__(self, turn_id: str) -> None:
        self.data = load_data("templates.yaml")
        self.seed = int(hashlib.sha256(turn_id.encode()).hexdigest()[:8], 16)

    def pick(self, group_: str, template_: str, /, **values: Any) -> str:
        """Return one variant of a template, filled."""
        variants = self.data[group_][template_]
        return str(variants[self.seed % len(variants)]).format(**values).strip()


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip()
    if text and text[-1] not in ".!?…:":
        text += "."
    return text


def _clip(text: str, limit: int = 420) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > limit // 3 else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def answer_from(
    question: str,
    passages: Sequence[str],
    *,
    limit: int = 2,
    subject: str = "",
    sections: Sequence[str] = (),
) -> str:
    """Return the sentences (or spec rows) of the passages that best answer the question."""
    found: list[tuple[float, int, int, str]] = []
    for index, passage in enumerate(passages):
        context = sections[index] if index < len(sections) else ""
        snippets = best_sentences(question, passage, limit=limit, subject=subject, context=context)
        for snippet in snippets:
            found.append((snippet.score, index, snippet.position, snippet.text))
    later = -1 if asks_for_last(question) else 1
    best = sorted(found, key=lambda f: (-f[0], f[1], later * f[2]))
    picked: list[tuple[int, int, str]] = []
    for _, index, position, text in best:
        text = text.replace(" | ", ": ", 1).replace(" | ", ", ")
        if all(text != p[2] for p in picked):
            picked.append((index, position, text))
        if len(picked) == limit:
            break
    return " ".join(_sentence(t) for _, _, t in sorted(picked))


def _link_block(pages: Sequence[dict[str, Any]], limit: int = 3) -> dict[str, Any]:
    seen: list[str] = []
    links = []
    for page in pages:
        if page["url"] in seen:
            continue
        seen.append(page["url"])
        links.append({"label": page["title"], "url": page["url"]})
        if len(links) == limit:
            break
    return {"type": "links", "links": links}


def _card(page: dict[str, Any], cta: str = "View product") -> dict[str, Any]:
    snippet = page.get("description") or page.get("summary") or ""
    return {
        "title": page["title"],
        "url": page["url"],
        "image_url": page.get("thumbnail_url"),
        "snippet": _clip(snippet, 160),
        "cta": cta,
    }


_NAME_END = re.compile(r"\s+[–—|:]\s+|\s+-\s+")


def subject_name(title: str) -> str:
    """Return the name part of a page title ("Vault 15 – modular home battery" → "Vault 15")."""
    return _NAME_END.split(title, maxsplit=1)[0].strip() or title


def _page_focus(page: dict[str, Any]) -> Focus:
    kind = "product" if page["kind"] == "product" else "page"
    return {
        "kind": kind,
        "title": page["title"],
        "url": page["url"],
        "item_id": page["id"],
        "subject": subject_name(page["title"]),
    }


def _context_of_pages(pages: Sequence[dict[str, Any]]) -> str:
    lines = []
    for page in pages[:3]:
        lines.append(f"[{page['title']}] ({page['url']}) {page.get('summary', '')}")
        for passage in page.get("passages", [])[:2]:
            lines.append(f"  - {passage['text']}")
        if page.get("price"):
            lines.append(f"  - price: {page['price']}")
    return "\n".join(lines)


def page_answer(question: str, page: dict[str, Any], *, limit: int = 2, subject: str = "") -> str:
    """Return the sentences of a page's passages that best answer the question."""
    passages = page.get("passages", [])
    return answer_from(
        question,
        [p["text"] for p in passages],
        limit=limit,
        subject=subject or page["title"],
        sections=[p.get("section") or "" for p in passages],
    )


def compose_navigation(question: str, result: dict[str, Any], t: Templates) -> Draft | None:
    """Answer with the best page(s): a grounded sentence and link buttons."""
    pages = result.get("pages") or []
    if not pages or pages[0]["similarity"] < PAGE_MIN_SIMILARITY and pages[0]["title_match"] < 0.5:
        return None
    top = pages[0]
    answer = page_answer(question, top)
    if answer:
        text = t.pick("navigation", "with_answer", answer=answer, title=top["title"])
    else:
        text = t.pick(
            "navigation",
            "page",
            title=top["title"],
            summary=_sentence(_clip(top.get("summary") or top.get("description") or "", 260)),
        )
    return Draft(
        text=text,
        blocks=[_link_block(pages)],
        focus=_page_focus(top),
        context=_context_of_pages(pages),
    )


def _names(question: str, page: dict[str, Any]) -> bool:
    """Return True when the question names the product (not just shares a word with it).

    "what services do you offer for pets?" shares "pet" with "Exotic Pet Care – Rabbits,
    Birds & Reptiles" but names none of the services; "is the vault 15 heavy" names one.
    """
    subject = content_stems(subject_name(page["title"]))
    asked = content_stems(question)
    # A name leads its title ("Nomad 2 portable power station"): its first word, or half
    # of the name part before a dash, must be asked for.
    said = bool(subject) and (subject[0] in asked or overlap(subject, asked) >= 0.5)
    return page["title_match"] >= 0.5 and said


def compose_product(question: str, result: dict[str, Any], t: Templates) -> Draft | None:
    """Answer about products: facts of the one asked about, or a few options as cards."""
    pages = result.get("pages") or []
    if not pages:
        return None
    cards = result.get("cards") or []
    products = cards or [p for p in pages if p["kind"] == "product"]
    leading = pages[0]
    if not products or (
        leading["kind"] == "other"
        and leading["score"] >= products[0]["score"] + CARD_MARGIN
        and not any(p["url"].startswith(leading["url"]) for p in products)
    ):
        # The offering asked about is a plain page (/pricing/, a service at the top level),
        # well ahead of any product: answer with that page, not with distant cards. A page
        # listing the products (/services/ above /services/dental/) is not such a page.
        return compose_navigation(question, result, t)
    named = [p for p in products if _names(question, p)]
    asks_price = "price" in question_concepts(question)
    if len(named) == 1:
        top = named[0]
        answer = page_answer(question, top)
        if asks_price and top.get("price") and top["price"] not in answer:
            answer = (answer + " " if answer else "") + f"Price: {top['price']}."
        text = (
            t.pick("product", "one", title=top["title"], answer=answer)
            if answer
            else t.pick(
                "product",
                "one_summary",
                title=top["title"],
                summary=_sentence(_clip(top.get("summary") or "", 280)),
            )
        )
        chosen = [top] + [p for p in products if p is not top][:2]
    elif len(named) >= 2:
        parts = []
        for page in named[:3]:
            fact = page_answer(question, page, limit=1, subject=" ".join(n["title"] for n in named))
            fact = fact or _sentence(_clip(page.get("summary") or "", 160))
            parts.append(f"{page['title']}: {fact}")
        text = " ".join(parts)
        chosen = named[:4]
        top = named[0]
    else:
        items = [
            f"{p['title']}" + (f" ({p['price']})" if p.get("price") else "") for p in products[:4]
        ]
        text = t.pick("product", "several", items=_join(items))
        chosen = products[:4]
        top = products[0]
    blocks: list[dict[str, Any]] = [{"type": "cards", "cards": [_card(p) for p in chosen[:4]]}]
    if leading["kind"] != "product" and leading["score"] >= top["score"] - 0.05:
        # e.g. "what does a whole setup cost?": the pricing page answers as well as any card
        blocks.append(_link_block([leading], limit=1))
    return Draft(
        text=text, blocks=blocks, focus=_page_focus(top), context=_context_of_pages(chosen)
    )


def compose_support(question: str, result: dict[str, Any], t: Templates) -> Draft | None:
    """Answer from the best support passage, with citations."""
    passages = result.get("passages") or []
    if not passages or passages[0]["score"] < SUPPORT_MIN_SCORE:
        return None
    top = passages[0]
    near = top["score"] - SUPPORT_NEAR_MARGIN  # as good as the best: may answer, is cited
    if top["kind"] == "qa":
        answer = (
            answer_from(question, [top["text"]], limit=3) if len(top["text"]) > 500 else top["text"]
        )
        answer = _clip(answer or top["text"], 600)
    else:
        # Passages about as good as the best may hold the sentence that answers: a warranty
        # table row beats the product page's introduction.
        close = [p for p in passages[:3] if p["kind"] != "qa" and p["score"] >= near]
        answer = answer_from(
            question,
            [p["text"] for p in close],
            limit=2,
            sections=[p.get("section") or "" for p in close],
        )
        answer = answer or _clip(top["text"], 400)
        # Cite first the passage the answer was taken from.
        source = next((p for p in close if answer[:40] in p["text"]), top)
        passages = [source] + [p for p in passages if p is not source]
    cited = [p for p in passages[:3] if p["score"] >= near][:2]
    citations = []
    for passage in cited:
        snippet = _clip(passage["text"], 240)
        citations.append(
            {
                "source_id": passage["source_id"],
                "title": passage["title"],
                "url": None if passage["kind"] == "document" else passage.get("url"),
                "snippet": snippet,
            }
        )
    context = "\n".join(f"[{p['title']}] {p['text']}" for p in passages[:3])
    focus: Focus = {
        "kind": "answer",
        "title": top["title"],
        "url": top.get("url"),
        "item_id": None,
        "subject": top["title"],
    }
    return Draft(
        text=t.pick("support", "answer", answer=answer),
        citations=citations,
        focus=focus,
        context=context,
    )


def _reach(contact: dict[str, Any]) -> str:
    channels = [c for c in (contact.get("email"), contact.get("phone")) if c]
    return f" — {' or '.join(channels)}" if channels else ""


def _who(contact: dict[str, Any]) -> str:
    detail = ", ".join(p for p in (contact.get("role"), contact.get("_region")) if p)
    return f"{contact['name']} ({detail})" if detail else contact["name"]


def public_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """Return the protocol Contact (internal ranking fields removed)."""
    return {k: v for k, v in contact.items() if not k.startswith("_")}


def compose_contact(result: dict[str, Any], t: Templates) -> Draft | None:
    """Name the best person to contact and show contact cards."""
    contacts = result.get("contacts") or []
    if not contacts or float(result.get("confidence", 1.0)) < CONTACT_MIN_CONFIDENCE:
        return None  # e.g. a person the team list does not have: say so, offer a human
    top = contacts[0]
    text = t.pick("contact", "one", who=_who(top), reach=_reach(top))
    focus: Focus = {
        "kind": "contact",
        "title": top["name"],
        "url": None,
        "item_id": None,
        "subject": top["name"],
    }
    context = "\n".join(
        f"- {_who(c)}: {c.get('email') or ''} {c.get('phone') or ''}" for c in contacts[:3]
    )
    return Draft(
        text=text,
        blocks=[{"type": "contacts", "contacts": [public_contact(c) for c in contacts[:3]]}],
        focus=focus,
        context=context,
    )


def lead_form_block(
    fields: Sequence[dict[str, Any]],
    reason: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return the lead form block (values pre-fill what the visitor already gave)."""
    return {
        "type": "lead_form",
        "fields": [
            {
                "name": f["name"],
                "label": f["label"],
                "required": f.get("required", True),
                "type": f.get("type", "text"),
            }
            for f in fields
        ],
        "reason": reason,
        "errors": errors or {},
        "values": {k: v for k, v in (values or {}).items() if k in {f["name"] for f in fields}},
    }


def document_focus(docs: Sequence[dict[str, Any]]) -> Focus | None:
    """Return the thread's subject after a document request (its first document)."""
    if not docs:
        return None
    doc = docs[0]
    return {
        "kind": "document",
        "title": doc["title"],
        "url": None,
        "item_id": doc.get("document_id"),
        "subject": subject_name(doc["title"]),
    }


def titles_of(docs: Sequence[dict[str, Any]]) -> str:
    """Return document titles joined for a sentence."""
    return _join([d["title"] for d in docs])


_FIRST_NAME = re.compile(r"^\s*([^\s,]+)")


def first_name(values: dict[str, str]) -> str:
    """Return a friendly first name (or 'there')."""
    match = _FIRST_NAME.match(values.get("name", ""))
    return match.group(1) if match else "there"
