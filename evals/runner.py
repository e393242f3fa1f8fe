"""Run a suite: build an isolated workspace and bot, ingest, run each case through the graph."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from evals.expectations import Failure, check_turn
from evals.metrics import CaseResult, Metrics, TurnResult, compute_metrics
from evals.suite import Case, Suite, Turn
from signpost.errors import AppError
from signpost.protocol import TurnOutput

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]

TurnFn = Callable[[Any, uuid.UUID, uuid.UUID, Turn, "str | None"], Awaitable[TurnOutput]]
"""Run one turn: (runtime, workspace_id, chatbot_id, turn, thread_id or None) → TurnOutput."""

_FINISHED = ("succeeded", "failed")


class EvalAborted(RuntimeError):
    """The run could not complete (a source failed, the graph is missing, ...); says why."""


class Progress(Protocol):
    """Receives progress while a suite runs (the CLI draws bars from it)."""

    def ingest(self, done: float, total: int, description: str) -> None:
        """Report ingestion progress: `done` of `total` sources (fractions for running ones)."""
        ...

    def cases_started(self, total: int) -> None:
        """Report that `total` cases are about to run."""
        ...

    def case_done(self, result: CaseResult) -> None:
        """Report one finished case."""
        ...


class _Silent:
    def ingest(self, done: float, total: int, description: str) -> None:
        pass

    def cases_started(self, total: int) -> None:
        pass

    def case_done(self, result: CaseResult) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    """How to run: cases in parallel, whether to keep the workspace, how long ingestion may take."""

    concurrency: int = 4
    keep: bool = False
    ingest_timeout_s: float = 1800.0


@dataclass
class RunInfo:
    """What the run was measured on (recorded in the report)."""

    mode: str
    model: str
    embedding_model: str
    prompt_versions: dict[str, str]
    git_commit: str | None
    git_dirty: bool | None
    database: str
    base_url: str
    concurrency: int
    started_at: str
    kb_version: str | None = None
    duration_s: float = 0.0
    workspace_id: str | None = None
    chatbot_id: str | None = None
    kept: bool = False
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunResult:
    """A finished run: the suite, each case's result in suite order, the metrics and run info."""

    suite: Suite
    cases: list[CaseResult]
    metrics: Metrics
    info: RunInfo


def graph_turn_fn() -> TurnFn:
    """Return a TurnFn over `services.turns.run_turn` in eval mode (the API's graph)."""
    try:
        from services.turns import TurnRequest, run_turn
    except ImportError as exc:
        raise EvalAborted(f"the turn graph is not available (services.turns): {exc}") from exc

    async def run(
        runtime: Any,
        workspace_id: uuid.UUID,
        chatbot_id: uuid.UUID,
        turn: Turn,
        thread_id: str | None,
    ) -> TurnOutput:
        request = TurnRequest(message=turn.user, lead=turn.lead, thread_id=thread_id)
        return await run_turn(
            runtime,
            workspace_id=workspace_id,
            chatbot_id=chatbot_id,
            request=request,
            mode="eval",
        )

    return run


async def run_suite(
    runtime: Any,
    suite: Suite,
    *,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    turn_fn: TurnFn | None = None,
) -> RunResult:
    """Provision, ingest and build the suite's bot, run its cases, clean up (unless keep).

    Raises EvalAborted when the run cannot complete: the graph is missing, provisioning
    is refused, a source does not become ready, or ingestion times out.
    """
    from services.provision import provision

    options = options or RunOptions()
    progress = progress or _Silent()
    turn_fn = turn_fn or graph_turn_fn()
    info = run_info(runtime, options)
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    try:
        async with runtime.db.transaction() as conn:
            built = await provision(
                conn,
                runtime.files,
                suite.spec,
                base_dir=suite.base_dir,
                workspace_name=f"eval {suite.name} {stamp}",
                with_api_key=False,
            )
    except AppError as exc:
        raise EvalAborted(f"could not build the suite's workspace: {_app_error(exc)}") from exc
    info.workspace_id, info.chatbot_id = str(built.workspace_id), str(built.chatbot_id)
    info.kept = options.keep
    try:
        await _ingest(runtime, built.workspace_id, built.source_ids, progress, options)
        info.sources, info.kb_version = await _build(
            runtime, built.workspace_id, built.chatbot_id, built.source_ids
        )
        progress.cases_started(len(suite.cases))
        cases = await _run_cases(
            runtime,
            built.workspace_id,
            built.chatbot_id,
            suite.cases,
            turn_fn,
            progress,
            max(1, options.concurrency),
        )
    finally:
        if not options.keep:
            await _cleanup(runtime, built.workspace_id, list(built.source_ids.values()))
    info.duration_s = round(time.perf_counter() - started, 3)
    return RunResult(suite=suite, cases=cases, metrics=compute_metrics(cases), info=info)


def run_info(runtime: Any, options: RunOptions) -> RunInfo:
    """Describe what this run measures: mode, model, prompts, database, code version."""
    from prompts import prompt_versions

    settings = runtime.settings
    commit, dirty = git_commit()
    return RunInfo(
        mode="model" if settings.chat_model else "deterministic",
        model=settings.chat_model or "deterministic",
        embedding_model=str(getattr(runtime.space, "model_id", "")),
        prompt_versions=prompt_versions(),
        git_commit=commit,
        git_dirty=dirty,
        database="external" if settings.database_url else "embedded",
        base_url=runtime.base_url,
        concurrency=options.concurrency,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def git_commit(cwd: Path = ROOT) -> tuple[str | None, bool | None]:
    """Return the short commit and whether the work tree is dirty; (None, None) off git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return head or None, bool(status.strip())


# -- ingestion ---------------------------------------------------------------------------------
async def _ingest(
    runtime: Any,
    workspace_id: uuid.UUID,
    source_ids: dict[str, uuid.UUID],
    progress: Progress,
    options: RunOptions,
) -> None:
    from store import jobs as jobs_repo

    if not source_ids:
        return
    if runtime.jobs is None:
        raise EvalAborted("the runtime has no job runner; start it with jobs enabled")
    async with runtime.db.connection() as conn:
        queued = [
            job
            for job_id in await jobs_repo.stale_jobs(conn)
            if (job := await jobs_repo.get_job(conn, workspace_id, job_id)) is not None
        ]
    # provision() only queues the jobs in the database; this process's runner must be told.
    for job in queued:
        await runtime.jobs.submit(job.id)
    names = {sid: name for name, sid in source_ids.items()}
    job_ids = [job.id for job in queued]
    deadline = time.monotonic() + options.ingest_timeout_s
    while True:
        async with runtime.db.connection() as conn:
            jobs = [await jobs_repo.get_job(conn, workspace_id, jid) for jid in job_ids]
        live = [j for j in jobs if j is not None]
        finished = [j for j in live if j.status in _FINISHED]
        running = [j for j in live if j.status not in _FINISHED]
        done = len(finished) + sum(
            j.progress_done / j.progress_total for j in running if j.progress_total
        )
        progress.ingest(done, len(source_ids), _ingest_label(running, names, runtime.jobs))
        if not running:
            return
        if time.monotonic() > deadline:
            raise EvalAborted(
                f"ingestion did not finish within {options.ingest_timeout_s:.0f}s "
                f"({_ingest_label(running, names, runtime.jobs)})"
            )
        await _wait_for_runner(runtime.jobs, 0.5)


def _ingest_label(jobs: list[Any], names: dict[uuid.UUID, str], runner: Any) -> str:
    """Say which sources are being ingested, or which wait for a worker."""
    if not jobs:
        return "ingested"
    busy = [names.get(j.source_id, "?") for j in jobs if j.status == "running"]
    if busy:
        return "ingesting " + ", ".join(busy)
    waiting = ", ".join(names.get(j.source_id, "?") for j in jobs)
    # Celery jobs wait for `signpost worker`; the in-process runner starts them itself.
    hint = "" if hasattr(runner, "wait_idle") else " (is `signpost worker` running?)"
    return f"queued: {waiting}{hint}"


async def _wait_for_runner(runner: Any, seconds: float) -> None:
    """Wait until the runner is idle (in-process) or `seconds` pass, whichever is first."""
    wait_idle = getattr(runner, "wait_idle", None)
    if wait_idle is None:  # Celery: jobs run in a worker process; poll.
        await asyncio.sleep(seconds)
        return
    try:
        await wait_idle(timeout=seconds)
    except TimeoutError:
        return
    # Idle returns at once when another process runs our jobs: don't spin on it.
    await asyncio.sleep(0.05)


async def _build(
    runtime: Any, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, source_ids: dict[str, uuid.UUID]
) -> tuple[list[dict[str, Any]], str]:
    from services.ingest import build_chatbot
    from store import chatbots as chatbot_repo
    from store import sources as sources_repo

    async with runtime.db.connection() as conn:
        rows = {
            s.id: s
            for s in await sources_repo.get_sources(conn, workspace_id, list(source_ids.values()))
        }
    summary, problems = [], []
    for name, sid in source_ids.items():
        row = rows.get(sid)
        status = row.status if row else "missing"
        summary.append(
            {
                "id": name,
                "type": row.type if row else None,
                "status": status,
                "counts": row.counts if row else {},
                "last_error": row.last_error if row else None,
            }
        )
        if status != "ready":
            detail = (row.last_error if row else None) or "no error recorded"
            problems.append(f"source {name!r} ({row.type if row else '?'}) is {status}: {detail}")
    if problems:
        raise EvalAborted("; ".join(problems))
    async with runtime.db.connection() as conn:
        bot = await chatbot_repo.get_chatbot(conn, workspace_id, chatbot_id)
    if bot is None:
        raise EvalAborted("the suite's chatbot disappeared before the build")
    built = await build_chatbot(runtime, bot)
    not_ready = [f"{s['name']} is {s['status']}" for s in built.sources if s["status"] != "ready"]
    if not_ready:
        raise EvalAborted("the knowledge base is not ready: " + "; ".join(not_ready))
    return summary, built.kb_version


# -- cases -------------------------------------------------------------------------------------
async def _run_cases(
    runtime: Any,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    cases: tuple[Case, ...],
    turn_fn: TurnFn,
    progress: Progress,
    concurrency: int,
) -> list[CaseResult]:
    gate = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> CaseResult:
        async with gate:
            result = await run_case(runtime, workspace_id, chatbot_id, case, turn_fn)
        progress.case_done(result)
        return result

    return list(await asyncio.gather(*(one(case) for case in cases)))


async def run_case(
    runtime: Any, workspace_id: uuid.UUID, chatbot_id: uuid.UUID, case: Case, turn_fn: TurnFn
) -> CaseResult:
    """Run a case's turns in order on one fresh thread and check each turn's expectations.

    A turn that raises fails with key `error` (keeping the exception's `trace_id`, if
    it has one); the turns after it are not run and fail with key `error` too (their
    thread is in an unknown state).
    """
    thread_id: str | None = None
    results: list[TurnResult] = []
    broken_at: int | None = None
    for index, turn in enumerate(case.turns):
        if broken_at is not None:
            skipped = Failure(
                index, "error", "the turn to run", f"not run: turn {broken_at} raised"
            )
            results.append(TurnResult(index, turn.expect, None, None, (skipped,)))
            continue
        began = time.perf_counter()
        try:
            output = await turn_fn(runtime, workspace_id, chatbot_id, turn, thread_id)
            if not isinstance(output, TurnOutput):
                output = TurnOutput.model_validate(output)
        except Exception as exc:  # noqa: BLE001 - one broken turn must not end the run
            latency = (time.perf_counter() - began) * 1000
            # The failure is in the report; the traceback only at debug level.
            log.warning("case %s turn %d raised %s: %s", case.id, index, type(exc).__name__, exc)
            log.debug("case %s turn %d", case.id, index, exc_info=True)
            failure = Failure(index, "error", "a TurnOutput", f"{type(exc).__name__}: {exc}")
            results.append(
                TurnResult(
                    index,
                    turn.expect,
                    None,
                    round(latency, 3),
                    (failure,),
                    error_trace_id=getattr(exc, "trace_id", None),
                )
            )
            broken_at = index
            continue
        latency = (time.perf_counter() - began) * 1000
        thread_id = output.thread_id
        failures = tuple(check_turn(turn.expect, output, turn=index))
        results.append(TurnResult(index, turn.expect, output, round(latency, 3), failures))
    return CaseResult(id=case.id, turns=tuple(results))


# -- cleanup -----------------------------------------------------------------------------------
async def _cleanup(runtime: Any, workspace_id: uuid.UUID, source_ids: list[uuid.UUID]) -> None:
    """Delete the eval workspace: its sources (chunks, stored files), then the rest by cascade."""
    from services import sources as source_service
    from services.retention import delete_threads
    from store import workspaces

    try:
        async with runtime.db.connection() as conn:
            cur = await conn.execute(
                "SELECT thread_id FROM conversations WHERE workspace_id = %s", (workspace_id,)
            )
            threads = [row["thread_id"] for row in await cur.fetchall()]
        await delete_threads(runtime, threads)  # checkpoints are not covered by the cascade
        async with runtime.db.transaction() as conn:
            for sid in source_ids:
                try:
                    await source_service.delete_source(conn, runtime.files, workspace_id, sid)
                except AppError:  # already gone
                    pass
            await workspaces.delete_workspace(conn, workspace_id)
    except Exception:  # noqa: BLE001 - a failed cleanup must not hide the run's outcome
        log.warning("could not delete eval workspace %s", workspace_id, exc_info=True)


def _app_error(exc: AppError) -> str:
    details = exc.details if isinstance(exc.details, list) else []
    extra = "; ".join(
        f"{d.get('file') or d.get('field') or ''}: {d.get('message', '')}".strip(": ")
        for d in details
        if isinstance(d, dict)
    )
    return f"{exc.message} ({extra})" if extra else exc.message
