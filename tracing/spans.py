"""Child runs for work that emits no LangChain callbacks itself: retrieval and embeddings.

A span opens a run through the callback manager of the runnable that is executing
(LangChain keeps its config in a context variable), so the run nests under the
current graph node or tool in every attached tracer — ours and LangSmith's alike.
Outside a traced run a span costs one context-variable lookup.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from langchain_core.runnables.config import (
    get_async_callback_manager_for_config,
    patch_config,
    var_child_runnable_config,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

SNIPPET_CHARS = 240
TOP_HITS = 25
"""Search hits kept in a retriever run's outputs (the rest are counted)."""


class Span:
    """An open child run; set `outputs` before the block ends."""

    __slots__ = ("outputs", "run")

    def __init__(self, run: Any) -> None:
        self.run = run
        self.outputs: Any = None

    @property
    def active(self) -> bool:
        """Return True when the span records to at least one tracer."""
        return self.run is not None


def tracing_active() -> bool:
    """Return True when the running code is inside a run that has callback handlers."""
    config = var_child_runnable_config.get()
    if not config:
        return False
    callbacks = config.get("callbacks")
    if isinstance(callbacks, list):
        return bool(callbacks)
    return bool(getattr(callbacks, "handlers", None))


@asynccontextmanager
async def span(
    name: str, run_type: str, inputs: dict[str, Any], *, metadata: dict[str, Any] | None = None
) -> AsyncIterator[Span]:
    """Run the block as a child run of the current run (run_type retriever, embedding, …).

    Tracing trouble never reaches the block: if the run cannot be opened the block
    runs untraced, and a failure to close it is logged.
    """
    config = var_child_runnable_config.get()
    run = await _open(config, name, run_type, inputs, metadata) if config else None
    if run is None:
        yield Span(None)
        return
    retriever = run_type == "retriever"
    token = var_child_runnable_config.set(patch_config(config, callbacks=run.get_child()))
    current = Span(run)
    try:
        yield current
    except BaseException as exc:
        try:
            await (run.on_retriever_error(exc) if retriever else run.on_chain_error(exc))
        except Exception:  # noqa: BLE001
            log.debug("could not close span %s", name, exc_info=True)
        raise
    else:
        try:
            if retriever:
                await run.on_retriever_end(current.outputs or [])
            else:
                await run.on_chain_end(current.outputs or {})
        except Exception:  # noqa: BLE001
            log.debug("could not close span %s", name, exc_info=True)
    finally:
        var_child_runnable_config.reset(token)


async def _open(
    config: Any,
    name: str,
    run_type: str,
    inputs: dict[str, Any],
    metadata: dict[str, Any] | None,
) -> Any:
    """Start the child run through the current callback manager; None when untraced."""
    if not config.get("callbacks"):
        return None
    try:
        manager = get_async_callback_manager_for_config(config)
        if not manager.handlers:
            return None
        if metadata:
            manager.add_metadata(metadata, inherit=False)
        if run_type == "retriever":
            # The full inputs ride along as a keyword: our tracer stores them, others ignore it.
            return await manager.on_retriever_start(
                None, str(inputs.get("query", "")), name=name, inputs=inputs
            )
        return await manager.on_chain_start(None, inputs, name=name, run_type=run_type)
    except Exception:  # noqa: BLE001 - tracing must never break the traced work
        log.debug("could not open span %s", name, exc_info=True)
        return None


def traced(
    name: str,
    run_type: str,
    *,
    inputs: Callable[..., dict[str, Any]],
    outputs: Callable[[Any], Any],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate an async function so each call inside a traced run is a child run.

    `inputs` receives the call's arguments and returns the run's inputs; `outputs`
    receives the result and returns the run's outputs (a retriever returns documents).
    """

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not tracing_active():
                return await fn(*args, **kwargs)
            async with span(name, run_type, inputs(*args, **kwargs)) as current:
                result = await fn(*args, **kwargs)
                if current.active:
                    current.outputs = outputs(result)
                return result

        return wrapper

    return decorate


def hit_documents(hits: Sequence[Any]) -> list[Any]:
    """Describe the best search hits as retriever documents (page_content + metadata), ranked."""
    docs: list[Any] = []
    for rank, hit in enumerate(hits[:TOP_HITS], 1):
        content = getattr(hit, "content", "") or ""
        docs.append(
            {
                "page_content": content[:SNIPPET_CHARS]
                + ("…" if len(content) > SNIPPET_CHARS else ""),
                "metadata": {
                    "rank": rank,
                    "title": getattr(hit, "title", None),
                    "kind": getattr(hit, "kind", None),
                    "url": getattr(hit, "url", None),
                    "section": getattr(hit, "section", None),
                    "source_id": getattr(hit, "source_id", None),
                    "item_id": getattr(hit, "item_id", None),
                    "score": getattr(hit, "score", None),
                    "similarity": getattr(hit, "similarity", None),
                    "keyword_rank": getattr(hit, "keyword_rank", None),
                },
            }
        )
    if len(hits) > TOP_HITS:
        docs.append(f"…[{len(hits) - TOP_HITS} more hits]")
    return docs


def search_inputs(
    scope: Any,
    query: str,
    vector: Any = None,
    *,
    kinds: Sequence[str] | None = None,
    k: int = 12,
    candidates: int | None = None,
) -> dict[str, Any]:
    """Describe a hybrid search call (tools.base.search) as retriever inputs."""
    return {
        "query": query,
        "k": k,
        "kinds": list(kinds) if kinds else None,
        "candidates": candidates,
        "sources": len(getattr(scope, "source_ids", ()) or ()),
        "query_embedded": vector is not None,
    }
