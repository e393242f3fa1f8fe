"""Tracing overhead benchmark: in-process turns with and without the trace tracer, one run.

Deterministic mode on the ingested demo company. Each round runs every thread twice —
once traced (run tree captured and written to Postgres by the background writer),
once untraced — alternating which goes first, so drift and noise hit both alike.
Prints one JSON object. Target (issue 7): overhead ≤ 10% of turn latency (p50).

    .venv/bin/python bench/bench_tracing.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from bench_turn import THREADS
from common import ROOT, embedded_runtime, ingest_suite, machine, percentile

TARGET_OVERHEAD_PCT = 10.0


async def main(rounds: int) -> dict[str, object]:
    from services.turns import TurnRequest

    async with embedded_runtime() as rt:
        built = await ingest_suite(rt, ROOT / "demo" / "demo.yaml")
        ws, bot = built.workspace_id, built.chatbot_id
        tracing = rt.turns.tracing
        writer = tracing.writer

        async def run_thread(messages: list[str], traced: bool) -> list[float]:
            tracing.writer = writer if traced else None  # no writer: no tracer attached
            thread_id = None
            times = []
            for message in messages:
                started = time.perf_counter()
                request = TurnRequest(message=message, thread_id=thread_id)
                out = await rt.turns.run(ws, bot, request, "eval")
                times.append((time.perf_counter() - started) * 1000)
                thread_id = out.thread_id
            return times

        for messages in THREADS:  # warm caches both ways
            await run_thread(messages, True)
            await run_thread(messages, False)
        latencies: dict[bool, list[float]] = {True: [], False: []}
        for r in range(rounds):
            for i, messages in enumerate(THREADS):
                for traced in (True, False) if (r + i) % 2 == 0 else (False, True):
                    latencies[traced] += await run_thread(messages, traced)
        tracing.writer = writer
        started = time.perf_counter()
        await writer.flush(60)
        flush_ms = (time.perf_counter() - started) * 1000
        stats = writer.stats.as_dict()
    on, off = latencies[True], latencies[False]
    paired = [a - b for a, b in zip(on, off, strict=True)]
    p50_on, p50_off = percentile(on, 50), percentile(off, 50)
    overhead = round((p50_on - p50_off) / p50_off * 100, 2)
    mean_on, mean_off = statistics.mean(on), statistics.mean(off)
    return {
        "benchmark": "tracing_overhead_in_process",
        "mode": "deterministic",
        "turns_each": len(on),
        "untraced": {
            "p50_ms": p50_off,
            "p95_ms": percentile(off, 95),
            "mean_ms": round(mean_off, 2),
        },
        "traced": {"p50_ms": p50_on, "p95_ms": percentile(on, 95), "mean_ms": round(mean_on, 2)},
        "overhead_pct_p50": overhead,
        "overhead_pct_mean": round((mean_on - mean_off) / mean_off * 100, 2),
        "paired_median_delta_ms": round(statistics.median(paired), 2),
        "final_flush_ms": round(flush_ms, 2),
        "writer": stats,
        "target_overhead_pct": TARGET_OVERHEAD_PCT,
        "met": overhead <= TARGET_OVERHEAD_PCT,
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds)), indent=2))
