"""An embedder wrapper whose calls inside a traced turn appear as embedding runs."""

from __future__ import annotations

from typing import Any

from tracing.spans import span, tracing_active


class TracedEmbeddings:
    """Delegate to the wrapped embedder; trace `aembed_query` / `aembed_documents`.

    Everything else (sync calls, `warm_up`, attributes) passes straight through.
    """

    def __init__(self, inner: Any, model_id: str | None = None) -> None:
        self._inner = inner
        self._meta = {"ls_model_name": model_id} if model_id else None

    @property
    def inner(self) -> Any:
        """Return the wrapped embedder."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed one text (an embedding run when traced)."""
        if not tracing_active():
            return await self._inner.aembed_query(text)  # type: ignore[no-any-return]
        async with span("embed_query", "embedding", {"input": [text]}, metadata=self._meta) as s:
            vector = await self._inner.aembed_query(text)
            s.outputs = {"vectors": 1, "dimensions": len(vector)}
        return vector  # type: ignore[no-any-return]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed several texts (an embedding run when traced)."""
        if not tracing_active():
            return await self._inner.aembed_documents(texts)  # type: ignore[no-any-return]
        async with span(
            "embed_documents", "embedding", {"input": list(texts)}, metadata=self._meta
        ) as s:
            vectors = await self._inner.aembed_documents(texts)
            s.outputs = {"vectors": len(vectors), "dimensions": len(vectors[0]) if vectors else 0}
        return vectors  # type: ignore[no-any-return]


class TracedSpace:
    """An EmbeddingSpace whose embedder is traced; every other attribute is the space's."""

    def __init__(self, space: Any) -> None:
        self._space = space
        self.embeddings = TracedEmbeddings(space.embeddings, getattr(space, "model_id", None))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._space, name)
