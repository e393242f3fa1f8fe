"""Multi-turn threads through the checkpointed graph (deterministic mode), and a process restart."""

from __future__ import annotations

from typing import Any

import httpx

from store import conversations
from tests.graph.conftest import Company, Turn, assert_not_leaked, chat, urls

SITE = "https://fernbrookvets.example"
VISITOR = {"name": "Priya Raman", "email": "priya.raman@example.com", "phone": "(503) 555-0123"}


async def _lead_rows(runtime: Any, company: Company, email: str) -> list[dict[str, Any]]:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "SELECT id, name, email, phone, thread_id FROM leads "
            "WHERE chatbot_id = %s AND lower(email) = lower(%s)",
            (company.chatbot_id, email),
        )
        return list(await cur.fetchall())


def _released(turn: Turn, company: Company, *title_words: str) -> list[dict[str, Any]]:
    documents = turn.block("documents")["documents"]
    assert [d["title"] for d in documents] == [company.document(w)["title"] for w in title_words]
    for doc in documents:
        assert doc["url"].startswith("http://testserver.local/d/")
        assert doc["expires_at"]
        assert doc["document_id"] == str(company.document(doc["title"].split()[0])["id"])
    return documents


async def test_follow_up_is_about_the_product_of_the_previous_turn(
    runtime: Any, company: Company
) -> None:
    first = await chat(runtime, company, "do you clean cats' teeth?")
    assert first.output["intent"] == "product"
    assert urls(first.output, "cards")[0] == SITE + "/services/dental-care/"
    cost = await chat(runtime, company, "what does it cost?", thread=first)
    assert cost.thread_id == first.thread_id
    assert cost.output["intent"] == "product"
    assert urls(cost.output, "cards")[0] == SITE + "/services/dental-care/"
    assert "$495" in cost.output["text"]
    # The same words on a fresh thread have no subject to lean on.
    alone = await chat(runtime, company, "what does it cost?")
    assert "$495" not in alone.output["text"]


async def test_follow_up_after_another_product_switches_subject(
    runtime: Any, company: Company
) -> None:
    first = await chat(runtime, company, "do you treat guinea pigs and parrots?")
    assert urls(first.output, "cards")[0] == SITE + "/services/exotic-pets/"
    cost = await chat(runtime, company, "and how much is an exam for them?", thread=first)
    assert "$82" in cost.output["text"], cost.output["text"]
    other = await chat(
        runtime, company, "ok and what about cleaning a dog's teeth, price?", thread=first
    )
    assert "$495" in other.output["text"], other.output["text"]


async def test_form_ignored_then_submitted_releases_the_pending_document(
    runtime: Any, company: Company, client: httpx.AsyncClient
) -> None:
    ask = await chat(runtime, company, "is there something I can read on caring for an old cat?")
    assert ask.types == ["lead_form"]
    assert ask.output["lead"]["status"] == "requested"

    # The visitor ignores the form and keeps chatting: answered normally, gate still closed.
    aside = await chat(
        runtime, company, "how much do you charge if I don't turn up for my appointment", thread=ask
    )
    assert aside.output["intent"] == "support" and "$35" in aside.output["text"]
    assert aside.output["lead"]["status"] == "requested"
    assert "documents" not in aside.types
    assert_not_leaked(aside.events, company)
    hours = await chat(runtime, company, "what time do you close on saturdays?", thread=ask)
    assert "4:00 pm" in hours.output["text"], hours.output
    assert_not_leaked(hours.events, company)

    done = await chat(runtime, company, lead=VISITOR, thread=ask)
    out = done.output
    assert (out["intent"], out["tool"]) == ("lead", None)
    assert out["lead"]["status"] == "captured"
    assert "Senior Pet Care Guide" in out["text"]
    (doc,) = _released(done, company, "Senior")
    rows = await _lead_rows(runtime, company, VISITOR["email"])
    assert len(rows) == 1 and rows[0]["thread_id"] == ask.thread_id
    assert (rows[0]["name"], rows[0]["phone"]) == ("Priya Raman", "+15035550123")

    # The released link really downloads the file.
    response = await client.get(httpx.URL(doc["url"]).raw_path.decode())
    assert response.status_code == 200
    assert "senior" in response.text.lower()

    # Later documents in the same thread come straight away, no form.
    more = await chat(
        runtime, company, "could you also send the welcome booklet for new clients?", thread=ask
    )
    assert more.output["intent"] == "document" and more.output["lead"]["status"] == "captured"
    _released(more, company, "Welcome")


async def test_free_text_lead_in_a_sentence_releases_the_document(
    runtime: Any, company: Company
) -> None:
    ask = await chat(
        runtime, company, "could I get a copy of your wellness plan terms and conditions?"
    )
    assert ask.types == ["lead_form"]
    given = await chat(
        runtime,
        company,
        "sure, I'm Marco Bellini and you can email me at marco.bellini@example.net "
        "or call 503-555-0175",
        thread=ask,
    )
    out = given.output
    assert out["intent"] == "lead" and out["lead"]["status"] == "captured"
    _released(given, company, "Agreement")
    rows = await _lead_rows(runtime, company, "marco.bellini@example.net")
    assert [(r["name"], r["phone"]) for r in rows] == [("Marco Bellini", "+15035550175")]


async def test_invalid_email_shows_the_form_again_with_the_error(
    runtime: Any, company: Company
) -> None:
    ask = await chat(runtime, company, "is there a welcome booklet for new clients?")
    bad = await chat(runtime, company, lead=VISITOR | {"email": "priya at gmail"}, thread=ask)
    out = bad.output
    assert out["lead"]["status"] == "requested"
    assert bad.types == ["lead_form"]
    form = bad.block("lead_form")
    assert set(form["errors"]) == {"email"}
    assert "valid email" in form["errors"]["email"]
    # What was valid is kept, so the visitor only fixes the email.
    assert form["values"] == {"name": "Priya Raman", "phone": "+15035550123"}
    assert "New Client Welcome Guide" in form["reason"]
    assert_not_leaked(bad.events, company)

    missing = await chat(
        runtime, company, lead={"name": "Priya Raman", "email": VISITOR["email"]}, thread=ask
    )
    assert set(missing.block("lead_form")["errors"]) == {"phone"}
    assert missing.output["lead"]["status"] == "requested"

    fixed = await chat(
        runtime, company, lead=VISITOR | {"email": "priya.r@example.org"}, thread=ask
    )
    assert fixed.output["lead"]["status"] == "captured"
    _released(fixed, company, "Welcome")


async def test_invalid_email_in_free_text_is_not_captured(runtime: Any, company: Company) -> None:
    ask = await chat(
        runtime, company, "do you have something I can read about looking after an elderly dog"
    )
    typo = await chat(
        runtime, company, "ok: Sam Ortiz, sam.ortiz@@example.com, 503-555-0190", thread=ask
    )
    assert typo.output["lead"]["status"] == "requested"
    assert "lead_form" in typo.types and "documents" not in typo.types
    assert_not_leaked(typo.events, company)


async def test_declining_the_form_keeps_the_document_and_the_chat_going(
    runtime: Any, company: Company
) -> None:
    ask = await chat(
        runtime, company, "could I get a copy of your wellness plan terms and conditions?"
    )
    no = await chat(runtime, company, "no thanks, I'd rather not give my details", thread=ask)
    out = no.output
    assert out["lead"]["status"] == "declined"
    assert no.types == []
    assert "Wellness Plan Agreement" in out["text"]
    assert_not_leaked(no.events, company)
    # Still helpful afterwards, still gated.
    next_turn = await chat(runtime, company, "who handles press enquiries?", thread=ask)
    assert next_turn.block("contacts")["contacts"][0]["name"] == "Devin Ruiz"
    assert next_turn.output["lead"]["status"] == "declined"
    # Asking again shows the form again; nothing was released meanwhile.
    again = await chat(
        runtime, company, "actually, can I have the wellness plan agreement after all?", thread=ask
    )
    assert again.types == ["lead_form"] and again.output["lead"]["status"] == "requested"


async def test_a_partly_named_earlier_document_is_not_read_as_a_follow_up(
    runtime: Any, company: Company
) -> None:
    ask = await chat(
        runtime, company, "could I get a copy of your wellness plan terms and conditions?"
    )
    await chat(runtime, company, "who handles press enquiries?", thread=ask)
    again = await chat(
        runtime, company, "actually, can I have that plan agreement after all?", thread=ask
    )
    assert again.output["intent"] == "document"
    assert again.types == ["lead_form"]


async def test_threads_survive_a_restart(db_dsn: str, runtime: Any, company: Company) -> None:
    """Close one runtime, start another on the same database: the thread carries on."""
    from signpost.runtime import Runtime

    first_process = await Runtime.start(runtime.settings, dsn=db_dsn, jobs=False)
    try:
        ask = await chat(first_process, company, "do you have anything to read about older pets?")
        assert ask.types == ["lead_form"]
        thread = ask.thread_id
        product = await chat(
            first_process,
            company,
            "my dog's teeth are yellow and gross, can you help",
            thread=thread,
        )
        assert urls(product.output, "cards")[0] == SITE + "/services/dental-care/"
    finally:
        await first_process.close()

    second_process = await Runtime.start(runtime.settings, dsn=db_dsn, jobs=False)
    try:
        state = await second_process.turns.graph().aget_state(
            {"configurable": {"thread_id": thread}}
        )
        history = state.values["history"]
        assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
        assert history[0]["content"] == "do you have anything to read about older pets?"
        lead = state.values["lead"]
        assert lead["status"] == "requested"
        assert [d["title"] for d in lead["pending"]] == ["Senior Pet Care Guide"]

        # The subject survived: a follow-up is about the dental cleaning.
        cost = await chat(second_process, company, "what does it cost?", thread=thread)
        assert cost.thread_id == thread and "$495" in cost.output["text"]
        # The lead state survived: submitting the form releases the document asked for before.
        done = await chat(
            second_process, company, lead=VISITOR | {"email": "restart@example.com"}, thread=thread
        )
        assert done.thread_id == thread
        assert done.output["lead"]["status"] == "captured"
        _released(done, company, "Senior")
        async with second_process.db.connection() as conn:
            messages = await conversations.list_messages(conn, company.workspace_id, thread)
        assert [m["role"] for m in messages] == ["user", "assistant"] * 4
    finally:
        await second_process.close()
