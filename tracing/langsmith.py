"""Optional export to LangSmith through LangChain's own tracer (off unless configured)."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class LangSmithExport:
    """Build a LangChainTracer per turn when LANGSMITH_TRACING and LANGSMITH_API_KEY are set.

    LangChain adds the same tracer by itself when LANGSMITH_TRACING is in the process
    environment; this also honours the values from `.env` (read by Settings) and never
    adds a second one.
    """

    def __init__(self, settings: Any) -> None:
        key = settings.langsmith_api_key
        self.enabled = bool(settings.langsmith_tracing and key and key.get_secret_value())
        self.project = settings.langsmith_project
        self.endpoint = settings.langsmith_endpoint
        self._api_key = key.get_secret_value() if key else None
        self._client: Any = None
        if settings.langsmith_tracing and not self.enabled:
            log.warning(
                "LANGSMITH_TRACING is set but LANGSMITH_API_KEY is not: "
                "runs are not sent to LangSmith"
            )

    def tracer(self) -> Any | None:
        """Return a LangChainTracer for one turn, or None when LangSmith is off."""
        if not self.enabled:
            return None
        from langchain_core.tracers.langchain import LangChainTracer
        from langsmith import Client

        if self._client is None:  # one client (and its background sender) per process
            self._client = Client(api_key=self._api_key, api_url=self.endpoint or None)
        return LangChainTracer(project_name=self.project, client=self._client)
