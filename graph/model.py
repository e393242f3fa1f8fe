"""Chat model access (OpenAI-compatible): structured classification and grounded composition."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from graph.context import ModelSettings
from graph.state import Message
from prompts import load_prompt

log = logging.getLogger(__name__)


class IntentChoice(BaseModel):
    """The visitor's intent for this message."""

    intent: Literal[
        "navigation",
        "product",
        "support",
        "contact",
        "document",
        "lead",
        "greeting",
        "out_of_scope",
    ] = Field(description="The one intent that best describes what the visitor wants now.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure you are, 0 to 1.")
    reason: str = Field(description="One short sentence explaining the choice.")


class ModelClients:
    """ChatOpenAI clients for one endpoint (built once per process)."""

    def __init__(self, settings: ModelSettings) -> None:
        from langchain_openai import ChatOpenAI

        self.settings = settings
        common: dict[str, Any] = {
            "model": settings.chat_model,
            "base_url": settings.base_url,
            "api_key": settings.api_key or "not-needed",
            "timeout": settings.timeout_s,
            "max_retries": 0,  # a failed call falls back to deterministic mode at once
        }
        self.classifier = ChatOpenAI(temperature=0, **common).with_structured_output(
            IntentChoice, method="function_calling"
        )
        self.composer = ChatOpenAI(temperature=settings.temperature, streaming=True, **common)


def history_messages(history: Sequence[Message], limit: int) -> list[BaseMessage]:
    """Return the last `limit` turns as chat messages, oldest first (chronological)."""
    out: list[BaseMessage] = []
    for message in list(history)[-2 * limit :]:
        cls = HumanMessage if message["role"] == "user" else AIMessage
        out.append(cls(content=message["content"]))
    return out


async def classify(
    clients: ModelClients,
    *,
    bot_name: str,
    message: str,
    history: Sequence[Message],
    evidence: str,
    history_turns: int,
    config: Any = None,
) -> IntentChoice:
    """Ask the model for the intent; raises on timeout or error (the caller falls back)."""
    prompt = load_prompt("classify.md")
    messages = [
        SystemMessage(content=prompt.format(bot_name=bot_name, evidence=evidence)),
        *history_messages(history, history_turns),
        HumanMessage(content=message),
    ]
    result = await asyncio.wait_for(
        clients.classifier.ainvoke(messages, config=config), clients.settings.timeout_s
    )
    if not isinstance(result, IntentChoice):
        raise ValueError("the model returned no classification")
    return result


async def compose_stream(
    clients: ModelClients,
    *,
    bot_name: str,
    intent: str,
    message: str,
    history: Sequence[Message],
    context: str,
    instructions: str,
    history_turns: int,
    config: Any = None,
) -> AsyncIterator[str]:
    """Stream a grounded answer, token by token."""
    prompt = load_prompt("compose.md")
    messages = [
        SystemMessage(
            content=prompt.format(
                bot_name=bot_name, intent=intent, context=context, instructions=instructions
            )
        ),
        *history_messages(history, history_turns),
        HumanMessage(content=message),
    ]
    stream = clients.composer.astream(messages, config=config)
    deadline = asyncio.get_running_loop().time() + clients.settings.timeout_s
    iterator = stream.__aiter__()
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError("the model took too long")
        try:
            chunk = await asyncio.wait_for(iterator.__anext__(), remaining)
        except StopAsyncIteration:
            return
        text = chunk.text if hasattr(chunk, "text") else str(chunk.content)
        if callable(text) and not isinstance(text, str):  # older langchain-core: a method
            text = text()
        if text:
            yield str(text)
