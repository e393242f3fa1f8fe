"""The runner's orchestration on real Postgres and real ingestion, with scripted turns.

The turns are scripted so these tests pin what the runner does (provision, ingest,
build, threads, concurrency, errors, cleanup) independently of the graph's answers;
test_eval_run.py runs the real graph.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from evals.runner import EvalAborted, RunOptions, run_suite
from evals.suite import Suite, Turn, load_suite
from signpost.protocol import TurnOutput

try:
    import services.turns  # noqa: F401  (Runtime.start compiles the turn graph)
except ImportError as exc:
    pytestmark = pytest.mark.skip(reason=f"the turn graph is not available yet: {exc}")

SUITE = """\
name: tiny
bot: {name: Tiny Bot, lead_fields: [name, email]}
sources:
  - {id: site, type: website, path: site/, base_url: "https://tiny.example/"}
  - {id: faq, type: custom, path: faq.md}
  - {id: team, type: sheet, path: team.csv}
buckets:
  guidance: [site]
  support: [faq]
  contact: [team]
cases:
  - id: nav
    turns:
      - user: pricing?
        expect: {intent: navigation, urls_any: ["https://tiny.example/pricing/"]}
  - id: doc
    turns:
      - user: brochure please
        expect: {intent: document, gated: true}
      - lead: {name: Dana, email: dana@example.org}
        expect: {gated: false, documents_any: [Brochure]}
  - id: boom
    turns:
      - user: boom
      - user: after
        expect: {intent: greeting}
  - id: hello
    turns:
      - user: hi
        expect: {intent: greeting, tool: null}
"""


def write_site(base: Path) -> None:
    (base / "site" / "pricing").mkdir(parents=True, exist_ok=True)
    page = (
        "<html><head><title>{t}</title></head>"
        "<body><main><h1>{t}</h1><p>{b}</p></main></body></html>"
    )
    (base / "site" / "index.html").write_text(
        page.format(t="Tiny", b="Welcome. See our <a href='/pricing/'>pricing</a>.")
    )
    (base / "site" / "pricing" / "index.html").write_text(
        page.format(t="Pricing", b="Pro costs 10 euro a month. Basic is free.")
    )
    (base / "faq.md").write_text("Q: What are your hours?\nA: Nine to five, Monday to Friday.\n")
    (base / "team.csv").write_text("name,email,role\nDana Reyes,dana@tiny.example,Sales\n")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    base = tmp_path_factory.mktemp("tiny-suite")
    write_site(base)
    (base / "suite.yaml").write_text(SUITE)
    return load_suite(base / "suite.yaml")


SIGNED = "https://bot.example/d/abcdefghijklmnopqrstuvwxyz"


class GraphError(RuntimeError):
    """Like services.turns.TurnFailed: an error that knows its turn's trace."""

    trace_id = "trace-of-the-failed-turn"


@dataclass
class Scripted:
    """Answers each turn from a script and records what the runner sent."""

    runtime: Any
    calls: list[tuple[str | None, dict[str, str] | None, str | None]] = field(default_factory=list)
    source_statuses: set[str] = field(default_factory=set)
    active: int = 0
    peak: int = 0

    async def __call__(
        self, rt: Any, ws: uuid.UUID, bot: uuid.UUID, turn: Turn, thread_id: str | None
    ) -> TurnOutput:
        from store import sources as sources_repo

        self.calls.append((turn.user, turn.lead, thread_id))
        async with rt.db.connection() as conn:
            rows, _ = await sources_repo.list_sources(conn, ws, limit=50, offset=0)
        self.source_statuses |= {r.status for r in rows}
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(0.05)
            if turn.user == "boom":
                raise GraphError("the graph fell over")
            return self.answer(turn, thread_id or f"thr_{uuid.uuid4().hex}")
        finally:
            self.active -= 1

    @staticmethod
    def answer(turn: Turn, thread_id: str) -> TurnOutput:
        base: dict[str, Any] = {
            "thread_id": thread_id,
            "turn_id": uuid.uuid4().hex,
            "trace_id": str(uuid.uuid4()),
            "text": "ok",
        }
        if turn.user == "pricing?":
            base |= {
                "intent": "navigation",
                "tool": "page_navigator",
                "ui_blocks": [
                    {
                        "type": "links",
                        "links": [{"label": "Pricing", "url": "https://tiny.example/pricing/"}],
                    }
                ],
            }
        elif turn.user == "brochure please":
            base |= {
                "intent": "document",
                "tool": "document_referral",
                "ui_blocks": [
                    {"type": "lead_form", "fields": [{"name": "email", "label": "Email"}]}
                ],
                "lead": {"status": "requested", "fields_required": ["name", "email"]},
            }
        elif turn.lead is not None:
            base |= {
                "intent": "document",
                "tool": "document_referral",
                "ui_blocks": [
                    {
                        "type": "documents",
                        "documents": [
                            {
                                "document_id": "d1",
                                "title": "Brochure",
                                "url": SIGNED,
                                "expires_at": "2030-01-01",
                            }
                        ],
                    }
                ],
                "lead": {"status": "captured", "fields_required": []},
            }
        else:
            base |= {"intent": "greeting"}
        return TurnOutput.model_validate(base)


async def workspace_count(runtime: Any) -> int:
    from store import workspaces

    async with runtime.db.connection() as conn:
        return await workspaces.count_workspaces(conn)


async def test_runner_ingests_then_runs_each_case_on_its_own_thread_and_cleans_up(
    runtime: Any, suite: Suite, data_dir: Path
) -> None:
    before = await workspace_count(runtime)
    scripted = Scripted(runtime)
    result = await run_suite(runtime, suite, options=RunOptions(concurrency=2), turn_fn=scripted)

    assert scripted.source_statuses == {"ready"}, "cases run only after every source is ready"
    assert [s["status"] for s in result.info.sources] == ["ready"] * 3
    assert result.info.kb_version and result.info.mode == "deterministic"
    assert result.info.prompt_versions and result.info.started_at
    assert 1 <= scripted.peak <= 2, "at most --concurrency cases at once"

    assert [c.id for c in result.cases] == ["nav", "doc", "boom", "hello"]
    passed = {c.id: c.passed for c in result.cases}
    assert passed == {"nav": True, "doc": True, "boom": False, "hello": True}
    calls = {user or "lead": thread for user, _lead, thread in scripted.calls}
    assert calls["pricing?"] is None and calls["brochure please"] is None and calls["hi"] is None
    doc = result.cases[1]
    assert calls["lead"] == doc.turns[0].output.thread_id, "a lead turn continues its thread"
    assert ("brochure please", None, None) in scripted.calls
    assert any(
        lead == {"name": "Dana", "email": "dana@example.org"} for _u, lead, _t in scripted.calls
    )
    assert len(doc.trace_ids) == 2 and all(t.latency_ms and t.latency_ms >= 50 for t in doc.turns)
    assert result.metrics.gate_violations == 0

    assert await workspace_count(runtime) == before, "the eval workspace is deleted"
    files = data_dir / "files" / "sources"
    assert not files.exists() or not any(files.iterdir()), "stored source files are deleted"


async def test_a_turn_that_raises_fails_its_case_and_skips_the_rest_of_it(
    runtime: Any, suite: Suite
) -> None:
    scripted = Scripted(runtime)
    result = await run_suite(runtime, suite.select(["boom", "hello"]), turn_fn=scripted)
    boom, hello = result.cases
    assert [f.as_dict() for f in boom.failures] == [
        {
            "turn": 0,
            "key": "error",
            "expected": "a TurnOutput",
            "actual": "GraphError: the graph fell over",
        },
        {
            "turn": 1,
            "key": "error",
            "expected": "the turn to run",
            "actual": "not run: turn 0 raised",
        },
    ]
    assert "after" not in [u for u, _l, _t in scripted.calls]
    assert boom.trace_ids == ["trace-of-the-failed-turn"], "a failed turn still opens its trace"
    assert hello.passed
    assert result.metrics.intent_accuracy == 0.5  # the skipped turn counts as wrong


async def test_keep_leaves_the_workspace_in_place(runtime: Any, suite: Suite) -> None:
    from store import workspaces

    before = await workspace_count(runtime)
    result = await run_suite(
        runtime, suite.select(["hello"]), options=RunOptions(keep=True), turn_fn=Scripted(runtime)
    )
    assert result.info.kept and await workspace_count(runtime) == before + 1
    async with runtime.db.transaction() as conn:
        assert await workspaces.delete_workspace(conn, uuid.UUID(result.info.workspace_id))


async def test_a_source_that_fails_to_sync_aborts_the_run_naming_it(
    runtime: Any, tmp_path: Path
) -> None:
    (tmp_path / "team.csv").write_text("name,email\n")
    (tmp_path / "suite.yaml").write_text(
        "name: broken\nbot: {name: Broken}\nsources: [{id: people, type: sheet, path: team.csv}]\n"
        "buckets: {contact: [people]}\ncases: [{id: a, turns: [{user: hi}]}]\n"
    )
    before = await workspace_count(runtime)
    scripted = Scripted(runtime)
    with pytest.raises(EvalAborted, match=r"source 'people' \(sheet\) is failed: .*no rows"):
        await run_suite(runtime, load_suite(tmp_path / "suite.yaml"), turn_fn=scripted)
    assert scripted.calls == [], "no case runs on a broken knowledge base"
    assert await workspace_count(runtime) == before
