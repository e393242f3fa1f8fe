"""The turn tracer and payload sanitiser, on real LangChain/LangGraph runs (no database)."""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

import msgspec
import pytest
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph

from tracing import TraceScope, TurnTracer
from tracing.records import Trace
from tracing.sanitize import LEAD_REDACTED, REDACTED, Limits, Sanitizer, cap_payload, lead_values
from tracing.spans import span, traced

SCOPE = TraceScope(
    workspace_id=uuid.uuid4(),
    chatbot_id=uuid.uuid4(),
    thread_id="thr_t",
    turn_id="turn_t",
    mode="eval",
)


class Collected:
    """A sink that keeps what the tracer hands over (the writer's side of the contract)."""

    def __init__(self) -> None:
        self.traces: list[Trace] = []
        self.errors: list[str] = []

    def submit(self, trace: Trace) -> bool:
        self.traces.append(trace)
        return True

    def record_error(self, where: str, exc: BaseException) -> None:
        self.errors.append(f"{where}: {exc}")


class State(TypedDict, total=False):
    question: str
    found: list[str]
    answer: str


@tool
async def lookup(question: str) -> str:
    """Look the question up."""
    return f"looked up {question}"


async def _embed(text: str) -> list[float]:
    async with span("embed_query", "embedding", {"input": [text]}) as s:
        s.outputs = {"vectors": 1, "dimensions": 3}
    return [0.1, 0.2, 0.3]


@traced("hybrid_search", "retriever", inputs=lambda q: {"query": q}, outputs=lambda r: r)
async def search(question: str) -> list[dict[str, Any]]:
    await _embed(question)
    return [{"page_content": "Opening hours", "metadata": {"rank": 1}}]


async def use_tool(state: State, config: RunnableConfig) -> dict[str, Any]:
    return {"answer": await lookup.ainvoke({"question": state["question"]}, config=config)}


async def retrieve(state: State) -> dict[str, Any]:
    docs = await search(state["question"])
    return {"found": [d["page_content"] for d in docs]}


def graph() -> Any:
    builder = StateGraph(State)
    builder.add_node(use_tool)
    builder.add_node(retrieve)
    builder.add_edge(START, "use_tool")
    builder.add_edge("use_tool", "retrieve")
    builder.add_edge("retrieve", END)
    return builder.compile(name="turn")


async def run_traced(app: Any, payload: dict[str, Any]) -> tuple[Collected, uuid.UUID]:
    sink = Collected()
    run_id = uuid.uuid4()
    await app.ainvoke(payload, {"callbacks": [TurnTracer(sink, SCOPE)], "run_id": run_id})
    return sink, run_id


async def test_a_run_leaves_one_tree_root_nodes_tool_retriever_embedding():
    sink, run_id = await run_traced(graph(), {"question": "when are you open"})
    assert len(sink.traces) == 1 and not sink.errors
    runs = {r.name: r for r in sink.traces[0].runs}
    root = runs["turn"]
    assert root.id == run_id and root.parent_run_id is None and root.trace_id == run_id
    assert {r.trace_id for r in runs.values()} == {run_id}
    assert runs["use_tool"].parent_run_id == root.id
    assert runs["retrieve"].parent_run_id == root.id
    assert runs["lookup"].parent_run_id == runs["use_tool"].id and runs["lookup"].run_type == "tool"
    assert runs["hybrid_search"].parent_run_id == runs["retrieve"].id
    assert runs["hybrid_search"].run_type == "retriever"
    assert runs["embed_query"].parent_run_id == runs["hybrid_search"].id
    assert runs["embed_query"].run_type == "embedding"
    assert runs["use_tool"].metadata["langgraph_node"] == "use_tool"
    assert runs["retrieve"].metadata["langgraph_step"] == 2
    assert all(r.status == "success" and r.end_time >= r.start_time for r in runs.values())
    retrieved = msgspec.json.decode(runs["hybrid_search"].outputs["documents"])
    assert retrieved[0]["page_content"] == "Opening hours"


async def test_dotted_order_nests_children_under_parents_in_execution_order():
    sink, _ = await run_traced(graph(), {"question": "where are you"})
    runs = sink.traces[0].runs
    by_id = {r.id: r for r in runs}
    for run in runs:
        segment = run.dotted_order.rsplit(".", 1)[-1]
        assert segment.endswith(str(run.id))
        assert segment[:8].isdigit() and segment[8] == "T"  # %Y%m%dT%H%M%S%fZ + id
        if run.parent_run_id is not None:
            assert run.dotted_order.startswith(by_id[run.parent_run_id].dotted_order + ".")
    ordered = [r.name for r in sorted(runs, key=lambda r: r.dotted_order)]
    assert ordered.index("turn") == 0
    assert ordered.index("use_tool") < ordered.index("lookup") < ordered.index("retrieve")
    assert ordered.index("retrieve") < ordered.index("hybrid_search") < ordered.index("embed_query")


async def test_a_failing_node_marks_its_run_and_the_root_with_the_traceback():
    async def broken(state: State) -> dict[str, Any]:
        raise ValueError("the index is gone")

    builder = StateGraph(State)
    builder.add_node(broken)
    builder.add_edge(START, "broken")
    sink = Collected()
    with pytest.raises(ValueError):
        await builder.compile(name="turn").ainvoke(
            {"question": "x"}, {"callbacks": [TurnTracer(sink, SCOPE)]}
        )
    runs = {r.name: r for r in sink.traces[0].runs}
    assert runs["broken"].status == "error" and runs["turn"].status == "error"
    assert "ValueError" in runs["broken"].error and "Traceback" in runs["broken"].error
    assert "the index is gone" in runs["broken"].error


async def test_runs_langgraph_hides_are_left_out_like_in_langsmith():
    async def leaf(x: str) -> str:
        return x.upper()

    async def plumbing(x: str, config: RunnableConfig) -> str:
        return await RunnableLambda(leaf, name="leaf").ainvoke(x, config)

    async def outer(x: str, config: RunnableConfig) -> str:
        await RunnableLambda(plumbing, name="plumbing").ainvoke(
            x, {**config, "tags": ["langsmith:hidden"]}
        )
        return await RunnableLambda(leaf, name="visible").ainvoke(x, config)

    sink = Collected()
    config: RunnableConfig = {"callbacks": [TurnTracer(sink, SCOPE)]}
    await RunnableLambda(outer, name="outer").ainvoke("hi", config)
    runs = {r.name: r for r in sink.traces[0].runs}
    assert set(runs) == {"outer", "visible"}
    assert runs["visible"].parent_run_id == runs["outer"].id


async def test_annotations_read_from_outputs_land_on_every_run():
    async def load(state: dict[str, Any]) -> dict[str, Any]:
        return {"bot": {"kb_version": "kb-7"}, "output": {"intent": "support", "tool": None}}

    sink = Collected()
    tracer = TurnTracer(
        sink,
        SCOPE,
        annotate={
            "kb_version": ("bot", "kb_version"),
            "intent": ("output", "intent"),
            "tool": ("output", "tool"),
        },
    )
    await RunnableLambda(load, name="turn").ainvoke({}, {"callbacks": [tracer]})
    (root,) = sink.traces[0].runs
    assert root.metadata["kb_version"] == "kb-7"
    assert root.intent == "support" and root.tool is None


# -- payloads -----------------------------------------------------------------------------------

LIMITS = Limits(max_field_chars=100, max_items=3, max_payload_bytes=2048)


def test_long_texts_lists_and_payloads_are_cut_with_a_marker():
    sanitizer = Sanitizer(LIMITS, allow_pii=True)
    out = sanitizer.apply(
        {
            "text": "a" * 250,
            "items": list(range(10)),
            "vector": [0.5] * 384,
            "nested": {"short": "ok"},
        }
    )
    assert out["text"] == "a" * 100 + "…[truncated 150 chars]"
    assert out["items"] == [0, 1, 2, "…[truncated 7 more items]"]
    assert out["vector"] == "[vector: 384 numbers]"
    assert out["nested"] == {"short": "ok"}
    big = msgspec.json.encode({"blob": "x" * 5000})
    capped = msgspec.json.decode(cap_payload(big, LIMITS))
    assert capped["_truncated"] is True and capped["bytes"] == len(big)
    assert len(cap_payload(big, LIMITS)) < len(big)


@pytest.mark.parametrize("allow_pii", [False, True])
def test_secrets_are_always_redacted(allow_pii):
    sanitizer = Sanitizer(LIMITS, allow_pii=allow_pii)
    out = sanitizer.apply(
        {
            "api_key": "abc123",
            "headers": {"Authorization": "Bearer abcdef123456"},
            "note": "call with Bearer tok_0123456789abcdef please",
            "log": "used key sk-proj0123456789ABCDEFGHIJ and sp_abcdefghijkl_secretsecret99",
            "config": "password=hunter2 user=kim",
            "max_tokens": 200,
        }
    )
    assert out["api_key"] == REDACTED and out["headers"]["Authorization"] == REDACTED
    assert "tok_0123456789abcdef" not in out["note"] and "Bearer [redacted]" in out["note"]
    assert "sk-proj" not in out["log"] and "secretsecret99" not in out["log"]
    assert "hunter2" not in out["config"] and "user=kim" in out["config"]
    assert out["max_tokens"] == 200


def lead_turn_payloads() -> list[Any]:
    return [
        {
            "message": "I'm Jane Rowe, jane.rowe@example.org or +1 503 555 0199",
            "lead_submission": None,
        },
        {"lead_submission": {"name": "Jane Rowe", "email": "jane.rowe@example.org"}},
        {
            "lead": {
                "status": "captured",
                "values": {"name": "Jane Rowe", "phone": "+1 503 555 0199"},
            },
            "history": [{"role": "user", "content": "mail me at jane.rowe@example.org"}],
        },
        {
            "text": "Thanks, Jane! We will write to jane.rowe@example.org. "
            "Our clinic desk is hello@fernbrookvets.example.",
            "contacts": [{"email": "hello@fernbrookvets.example", "phone": "(503) 555-0100"}],
        },
    ]


def test_lead_personal_data_is_redacted_wherever_it_reappears():
    payloads = lead_turn_payloads()
    sanitizer = Sanitizer(Limits(), allow_pii=False, lead_values=lead_values(payloads))
    out = [sanitizer.apply(p) for p in payloads]
    text = msgspec.json.encode(out).decode()
    for value in ("jane.rowe@example.org", "Jane Rowe", "503 555 0199", "Jane!"):
        assert value not in text
    assert out[1]["lead_submission"] == {"name": LEAD_REDACTED, "email": LEAD_REDACTED}
    assert out[2]["lead"]["values"] == {"name": LEAD_REDACTED, "phone": LEAD_REDACTED}
    assert out[2]["lead"]["status"] == "captured"
    # the company's own contact details (knowledge base) stay readable
    assert out[3]["contacts"][0]["email"] == "hello@fernbrookvets.example"
    assert "hello@fernbrookvets.example" in out[3]["text"]


def test_a_workspace_that_opts_in_keeps_lead_data():
    payloads = lead_turn_payloads()
    sanitizer = Sanitizer(Limits(), allow_pii=True, lead_values=lead_values(payloads))
    out = [sanitizer.apply(p) for p in payloads]
    assert out[1]["lead_submission"]["email"] == "jane.rowe@example.org"
    assert "Jane" in out[3]["text"] and "jane.rowe@example.org" in out[0]["message"]
