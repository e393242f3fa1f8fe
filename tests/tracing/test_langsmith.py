"""LangSmith export: off by default; when configured, LangChain's own tracer joins each turn."""

from __future__ import annotations

import uuid

from langchain_core.callbacks import AsyncCallbackManager
from langchain_core.tracers.langchain import LangChainTracer

from signpost.settings import Settings
from tracing import LangSmithExport, TraceScope, TraceWriter, Tracing, TurnTracer

SCOPE = TraceScope(workspace_id=uuid.uuid4())


def handlers_for(settings: Settings) -> list[object]:
    writer = TraceWriter(db=None)
    return Tracing(writer, LangSmithExport(settings)).callbacks(SCOPE)


def test_langsmith_is_off_by_default():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.langsmith_tracing is False and settings.langsmith_api_key is None
    handlers = handlers_for(settings)
    assert [type(h) for h in handlers] == [TurnTracer]


def test_tracing_without_an_api_key_stays_off():
    settings = Settings(langsmith_tracing=True, _env_file=None)  # type: ignore[call-arg]
    assert not any(isinstance(h, LangChainTracer) for h in handlers_for(settings))


def test_the_environment_variables_turn_it_on(monkeypatch):
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2_pt_0123456789abcdef")
    monkeypatch.setenv("LANGSMITH_PROJECT", "signpost-test")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.langsmith_tracing is True
    assert settings.langsmith_api_key.get_secret_value() == "lsv2_pt_0123456789abcdef"
    assert settings.langsmith_project == "signpost-test"


def test_enabling_it_adds_langchains_tracer_to_each_turn():
    # A closed loopback port as the endpoint: nothing leaves the machine.
    settings = Settings(
        langsmith_tracing=True,
        langsmith_api_key="lsv2_pt_0123456789abcdef",
        langsmith_project="signpost-test",
        langsmith_endpoint="http://127.0.0.1:9",
        _env_file=None,
    )  # type: ignore[call-arg]
    tracing = Tracing(TraceWriter(db=None), LangSmithExport(settings))
    first, second = tracing.callbacks(SCOPE), tracing.callbacks(SCOPE)
    tracers = [h for h in first if isinstance(h, LangChainTracer)]
    assert len(tracers) == 1 and any(isinstance(h, TurnTracer) for h in first)
    assert tracers[0].project_name == "signpost-test"
    # one tracer per turn (its run maps live as long as it does), one client per process
    other = next(h for h in second if isinstance(h, LangChainTracer))
    assert other is not tracers[0] and other.client is tracers[0].client
    # the callback manager LangChain builds for the run keeps exactly one LangChainTracer
    manager = AsyncCallbackManager.configure(first)
    assert sum(isinstance(h, LangChainTracer) for h in manager.handlers) == 1
