"""Shared benchmark set-up: a throw-away embedded PostgreSQL and an ingested suite company."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0–100) of the values (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 2)


def _cpu_times() -> list[int] | None:
    try:
        with open("/proc/stat") as fh:
            return [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None


_STARTED = _cpu_times()


def stolen_share() -> float | None:
    """Return the share of CPU time the hypervisor took since the benchmark started.

    On a shared VM the host can take a large share (steal time); figures measured then
    are not comparable with quiet runs, so every report carries this number.
    """
    now = _cpu_times()
    if _STARTED is None or now is None or len(now) < 8:
        return None
    delta = [b - a for a, b in zip(_STARTED, now, strict=False)]
    total = sum(delta[:8])
    return round(delta[7] / total, 3) if total > 0 else None


def cpu_model() -> str | None:
    """Return the CPU's model name: embedding speed depends on its vector units."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def process_tree(pid: int) -> list[Any]:
    """Return the process and all its descendants (psutil handles)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def postgres_processes(pgdata: Path) -> list[Any]:
    """Return the postmaster serving `pgdata` and its backends."""
    import psutil

    target = str(pgdata)
    for proc in psutil.process_iter(["cmdline"]):
        if target in (proc.info["cmdline"] or []):
            return process_tree(proc.pid)
    return []


def cpu_seconds(procs: list[Any]) -> float:
    """Return the user + system CPU seconds the live processes have used so far."""
    import psutil

    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def machine() -> dict[str, Any]:
    """Describe where the numbers were measured."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "cpu_stolen_share": stolen_share(),
    }


@contextlib.asynccontextmanager
async def embedded_runtime(**settings: Any) -> AsyncIterator[Any]:
    """Start a private embedded PostgreSQL and a Runtime on it; remove everything after."""
    from signpost.runtime import Runtime
    from signpost.settings import Settings
    from store.embedded import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="signpost-bench-", dir="/tmp"))
    pg = EmbeddedPostgres(base)
    dsn = pg.start()
    values: dict[str, Any] = {
        "database_url": dsn,
        "data_dir": base / "data",
        "redis_url": None,
        "chat_model": None,
        "openai_api_key": None,
        "openai_base_url": None,
        "public_url": "http://bench.local",
        "_env_file": None,
    }
    rt = await Runtime.start(Settings(**(values | settings)), dsn=dsn)
    try:
        yield rt
    finally:
        await rt.close()
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)


async def ingest_suite(rt: Any, spec_path: Path, *, publish: bool = True) -> Any:
    """Provision a company from a bot/sources/buckets spec, wait for ingestion."""
    import yaml

    from services.provision import ProvisionSpec, provision
    from store import jobs as jobs_repo

    spec = ProvisionSpec.model_validate(yaml.safe_load(spec_path.read_text()))
    if publish:
        spec.bot.status = "published"
    async with rt.db.transaction() as conn:
        built = await provision(
            conn,
            rt.files,
            spec,
            base_dir=spec_path.parent,
            workspace_name=f"bench {uuid.uuid4().hex[:6]}",
        )
    async with rt.db.connection() as conn:
        for job_id in await jobs_repo.stale_jobs(conn):
            await rt.jobs.submit(job_id)
    await rt.jobs.wait_idle(600)
    return built
