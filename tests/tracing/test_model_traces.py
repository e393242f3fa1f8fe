"""Model mode: chat model calls appear as llm runs — tokens, model, first token — or as errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import settings_for
from tests.fakes.openai_server import FakeOpenAI, Reply, is_classification, last_user_text
from tests.tracing.conftest import auth, flushed, widget_turn

FAILING = "how do I book a vaccination appointment"
WORKING = "where is your nearest clinic"


def script(body: dict[str, Any]) -> Reply:
    if last_user_text(body) != WORKING:
        return Reply(status=500)
    if is_classification(body):
        arguments = {"intent": "navigation", "confidence": 0.9, "reason": "asks where"}
        return Reply(tool_arguments=arguments, prompt_tokens=120, completion_tokens=12)
    return Reply(
        content="Our Riverside clinic is the nearest one.", prompt_tokens=300, completion_tokens=9
    )


@pytest.fixture(scope="module")
def fake() -> Any:
    server = FakeOpenAI(script).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def settings(db_dsn: str, data_dir: Path, fake: FakeOpenAI) -> Any:
    return settings_for(
        db_dsn,
        data_dir,
        chat_model="fake-model",
        openai_api_key="test",
        openai_base_url=fake.base_url,
        model_timeout_s=5,
    )


async def tree_of(client: Any, company: Any, trace_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/v1/traces/{trace_id}", headers=auth(company))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_failed_model_call_is_an_llm_run_in_error_and_the_turn_still_answers(
    client, runtime, company_b, fake
):
    out = await widget_turn(client, company_b, FAILING)
    assert out["text"] and out["intent"]  # the deterministic fallback answered
    await flushed(runtime)
    tree = await tree_of(client, company_b, out["trace_id"])
    llm = [r for r in tree["runs"] if r["run_type"] == "llm"]
    assert llm, "the model calls are in the trace"
    assert all(r["status"] == "error" for r in llm)
    assert any("500" in r["error"] or "InternalServerError" in r["error"] for r in llm)
    assert tree["root"]["status"] == "success"
    runs = {r["id"]: r for r in tree["runs"]}
    parents = {runs[r["parent_run_id"]]["name"] for r in llm}
    assert parents & {"classify_intent", "compose_response", "RunnableSequence"}
    detail = (
        await client.get(
            f"/api/v1/traces/{out['trace_id']}/runs/{llm[0]['id']}", headers=auth(company_b)
        )
    ).json()
    assert detail["inputs"]["messages"][0][0]["type"] == "system"


async def test_a_streamed_model_answer_records_tokens_model_and_first_token(
    client, runtime, company_b
):
    out = await widget_turn(client, company_b, WORKING)
    assert "Riverside" in out["text"]
    await flushed(runtime)
    tree = await tree_of(client, company_b, out["trace_id"])
    llm = [r for r in tree["runs"] if r["run_type"] == "llm"]
    assert len(llm) == 2 and all(r["status"] == "success" for r in llm)
    for run in llm:
        assert run["model"] == "fake-model" and run["provider"] == "openai"
    streamed = [r for r in llm if r["first_token_time"]]
    assert streamed, "the composition streamed"
    run = streamed[0]
    assert run["start_time"] <= run["first_token_time"] <= run["end_time"]
    assert any(e["name"] == "new_token" for e in run["events"])
    classified = next(r for r in llm if not r["first_token_time"])
    assert (
        classified["prompt_tokens"],
        classified["completion_tokens"],
        classified["total_tokens"],
    ) == (120, 12, 132)
    # tokens add up over the subtree, to the root
    known = [r["total_tokens"] for r in llm if r["total_tokens"] is not None]
    assert tree["root"]["total_tokens"] == sum(known)
