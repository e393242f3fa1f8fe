"""Fixtures of the turn-graph tests: company B cloned per module, event and leak helpers."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IngestedCompany, clone_company, settings_for

SIGNED_LINK = re.compile(r"/d/[A-Za-z0-9_\-]{8,}")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return this module's data dir (the cloned company's files land here)."""
    return tmp_path_factory.mktemp("graph-data")


@pytest.fixture(scope="module")
def db_dsn(pg: Any, company_b: IngestedCompany, data_dir: Path) -> str:
    """Return this module's own copy of the provisioned, ingested company B."""
    return clone_company(pg, company_b, data_dir)


@dataclass(frozen=True)
class Company:
    """Company B as the tests of one module see it."""

    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    source_ids: dict[str, uuid.UUID]
    documents: tuple[dict[str, Any], ...]
    """kb_documents rows of the docs source: id, title, filename, file_key."""

    @property
    def file_names(self) -> tuple[str, ...]:
        """Return every document file name and storage key (none may leak before capture)."""
        names: list[str] = []
        for doc in self.documents:
            names += [doc["filename"], doc["file_key"]]
        return tuple(n for n in names if n)

    def document(self, title_word: str) -> dict[str, Any]:
        """Return the document whose title contains the word."""
        found = [d for d in self.documents if title_word.lower() in d["title"].lower()]
        assert len(found) == 1, (title_word, [d["title"] for d in self.documents])
        return found[0]


@pytest.fixture(scope="module")
async def company(company_b: IngestedCompany, runtime: Any) -> Company:
    """Return company B on this module's database, after checking every source is ready."""
    from store import sources as sources_repo

    async with runtime.db.connection() as conn:
        for sid in company_b.source_ids.values():
            source = await sources_repo.get_source(conn, company_b.workspace_id, sid)
            assert source is not None and source.status == "ready", source
        cur = await conn.execute(
            "SELECT id, title, filename, file_key FROM kb_documents "
            "WHERE workspace_id = %s AND source_id = %s AND status = 'ready' ORDER BY title",
            (company_b.workspace_id, company_b.source_ids["docs"]),
        )
        documents = tuple(await cur.fetchall())
    assert len(documents) == 3, documents
    return Company(
        workspace_id=company_b.workspace_id,
        chatbot_id=company_b.chatbot_id,
        source_ids=dict(company_b.source_ids),
        documents=documents,
    )


def leaked(payload: Any, file_names: Iterable[str]) -> list[str]:
    """Return what of a gated document shows in the payload: signed links, file names."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    lowered = text.lower()
    found = [m.group() for m in SIGNED_LINK.finditer(text)]
    found += [name for name in file_names if name and name.lower() in lowered]
    return found


async def collect(stream: Any) -> list[dict[str, Any]]:
    """Return every event of a turn stream."""
    return [event async for event in stream]


def completed(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the TurnOutput of the one turn.completed event."""
    done = [e for e in events if e["event"] == "turn.completed"]
    assert len(done) == 1, [e["event"] for e in events]
    return done[0]["data"]


def block_types(output: Any) -> list[str]:
    """Return the UI block types of a TurnOutput (model or dict)."""
    data = output if isinstance(output, dict) else output.model_dump(mode="json")
    return [b["type"] for b in data["ui_blocks"]]


def block(output: Any, kind: str) -> dict[str, Any]:
    """Return the one UI block of a type."""
    data = output if isinstance(output, dict) else output.model_dump(mode="json")
    found = [b for b in data["ui_blocks"] if b["type"] == kind]
    assert len(found) == 1, data["ui_blocks"]
    return found[0]


# -- driving turns ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    """Every event of one turn, with shortcuts to its TurnOutput."""

    events: list[dict[str, Any]]

    @property
    def output(self) -> dict[str, Any]:
        """Return the TurnOutput of the turn.completed event."""
        return completed(self.events)

    @property
    def thread_id(self) -> str:
        """Return the thread the turn ran on."""
        return self.output["thread_id"]

    @property
    def deltas(self) -> list[str]:
        """Return the text.delta pieces in order."""
        return [e["data"]["delta"] for e in self.events if e["event"] == "text.delta"]

    @property
    def types(self) -> list[str]:
        """Return the UI block types of the output."""
        return block_types(self.output)

    def block(self, kind: str) -> dict[str, Any]:
        """Return the output's one UI block of a type."""
        return block(self.output, kind)


async def chat(
    runtime: Any,
    company: Company,
    message: str | None = None,
    *,
    lead: dict[str, str] | None = None,
    thread: str | Turn | None = None,
) -> Turn:
    """Run one turn (a message or a lead submission) through the runtime's turn engine."""
    from services.turns import TurnRequest

    thread_id = thread.thread_id if isinstance(thread, Turn) else thread
    request = TurnRequest(message=message, lead=lead, thread_id=thread_id)
    events = await collect(
        runtime.turns.stream(company.workspace_id, company.chatbot_id, request, "eval")
    )
    assert events[-1]["event"] == "turn.completed", events[-1]
    return Turn(events)


def urls(output: Any, kind: str) -> list[str]:
    """Return the urls of a links / cards / documents block, in rank order."""
    data = block(output, kind)
    return [item["url"] for item in data[kind]]


def assert_not_leaked(payload: Any, company: Company) -> None:
    """Fail when a signed link or a document file name / storage key shows in the payload."""
    found = leaked(payload, company.file_names)
    assert not found, f"gated document leaked: {found}"


# -- model mode ---------------------------------------------------------------------------------
class ScriptedModel:
    """The fake OpenAI server, scripted per visitor message.

    `labels[message]` is the intent the structured classification returns (or a Reply,
    e.g. a 500 or a delay); `answers[message]` the streamed composition (text, a Reply,
    or a function of the request body). A message with no script gets a 500 for both:
    the graph must then fall back to deterministic mode.
    """

    def __init__(self) -> None:
        from tests.fakes.openai_server import FakeOpenAI

        self.labels: dict[str, Any] = {}
        self.answers: dict[str, Any] = {}
        self.fake = FakeOpenAI(self._reply)

    def _reply(self, body: dict[str, Any]) -> Any:
        from tests.fakes.openai_server import Reply, is_classification, last_user_text

        message = last_user_text(body)
        script = (self.labels if is_classification(body) else self.answers).get(message)
        if callable(script):
            script = script(body)
        if isinstance(script, str) and is_classification(body):
            arguments = {"intent": script, "confidence": 0.93, "reason": "scripted"}
            return Reply(tool_arguments=arguments)
        if isinstance(script, str):
            return Reply(content=script)
        return script or Reply(status=500)

    @property
    def base_url(self) -> str:
        """Return the server's /v1 URL."""
        return self.fake.base_url

    def requests_for(self, message: str, *, classification: bool) -> list[dict[str, Any]]:
        """Return the requests the server received for a message (one kind)."""
        from tests.fakes.openai_server import is_classification, last_user_text

        return [
            body
            for body in list(self.fake.requests)
            if last_user_text(body) == message and is_classification(body) == classification
        ]


@pytest.fixture(scope="module")
def model() -> Any:
    """A scripted OpenAI-compatible server on loopback for this module."""
    scripted = ScriptedModel()
    scripted.fake.start()
    yield scripted
    scripted.fake.stop()


def model_settings(db_dsn: str, data_dir: Path, base_url: str, timeout_s: float = 2.0) -> Any:
    """Return settings that run the graph in model mode against the fake server."""
    return settings_for(
        db_dsn,
        data_dir,
        chat_model="fake-model",
        openai_api_key="test-key",
        openai_base_url=base_url,
        model_timeout_s=timeout_s,
    )


SUGGESTION = re.compile(r"Suggested answer \(you may rephrase\): (.*?)\n\nContext:", re.DOTALL)


def system_prompt(body: dict[str, Any]) -> str:
    """Return the system message of a chat-completions request."""
    return next(m["content"] for m in body["messages"] if m["role"] == "system")


def echo_suggestion(body: dict[str, Any]) -> Any:
    """Answer a composition request with the suggested answer it carries (a faithful model)."""
    from tests.fakes.openai_server import Reply

    match = SUGGESTION.search(system_prompt(body))
    assert match, system_prompt(body)
    return Reply(content=match.group(1).strip())
