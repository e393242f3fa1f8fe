"""Turn latency benchmark: in-process turns through the Postgres checkpointer, deterministic mode.

Prints one JSON object: p50/p95 per turn over a mix of intents, fresh threads and
follow-ups, on the ingested demo company. Target (issue 4): p50 ≤ 25 ms, p95 ≤ 60 ms.

    .venv/bin/python bench/bench_turn.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from common import ROOT, embedded_runtime, ingest_suite, machine, percentile

TARGETS = {"turn_p50_ms": 25.0, "turn_p95_ms": 60.0}
# Visitor messages written for this benchmark (not the eval suite's), one thread each;
# lists are multi-turn threads.
THREADS: list[list[str]] = [
    ["where can i read about your privacy rules"],
    ["which battery would suit a family home", "and how much does it cost"],
    ["the app shows an error code, what now"],
    ["who do i talk to about an order in germany"],
    ["could you send me the product portfolio"],
    ["hello"],
    ["what's the capital of peru"],
    ["do you sell solar panels", "how big are they"],
    ["how long is the warranty on inverters"],
    ["I'm Kim, kim@example.org, please call me back"],
]


async def main(rounds: int) -> dict[str, object]:
    from services.turns import TurnRequest

    async with embedded_runtime() as rt:
        built = await ingest_suite(rt, ROOT / "demo" / "demo.yaml")
        ws, bot = built.workspace_id, built.chatbot_id

        async def run_thread(messages: list[str]) -> list[float]:
            thread_id = None
            times = []
            for message in messages:
                started = time.perf_counter()
                out = await rt.turns.run(
                    ws, bot, TurnRequest(message=message, thread_id=thread_id), "eval"
                )
                times.append((time.perf_counter() - started) * 1000)
                thread_id = out.thread_id
            return times

        for messages in THREADS:  # warm caches (catalogs, contact index, prepared statements)
            await run_thread(messages)
        latencies: list[float] = []
        for _ in range(rounds):
            for messages in THREADS:
                latencies += await run_thread(messages)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    return {
        "benchmark": "turn_latency_in_process",
        "mode": "deterministic",
        "turns": len(latencies),
        "turn_p50_ms": p50,
        "turn_p95_ms": p95,
        "turn_max_ms": round(max(latencies), 2),
        "targets": TARGETS,
        "met": {
            "turn_p50_ms": p50 <= TARGETS["turn_p50_ms"],
            "turn_p95_ms": p95 <= TARGETS["turn_p95_ms"],
        },
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds)), indent=2))
