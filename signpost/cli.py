"""The `signpost` command line: serve, db, workspace, demo, eval."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from signpost.logging import configure_logging
from signpost.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"signpost: {exc}", err=True)
        sys.exit(2)


def run_with_runtime(
    settings: Settings,
    fn: Callable[[Any], Awaitable[T]],
    dsn: str | None = None,
    *,
    jobs: bool = False,
    turns: bool = False,
) -> T:
    """Open a Runtime (with a job runner / turn engine if asked), run `fn(runtime)`, close it."""
    from signpost.runtime import Runtime

    async def main() -> T:
        runtime = await Runtime.start(settings, dsn=dsn, jobs=jobs, turns=turns)
        try:
            return await fn(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Signpost: self-hosted website chatbots."""


@main.command()
@click.option(
    "--host", default=None, help="Interface to bind (default SIGNPOST_HOST or 127.0.0.1)."
)
@click.option("--port", default=None, type=int, help="Port (default SIGNPOST_PORT or 8000).")
@click.option("--seed-demo", is_flag=True, help="Seed the demo workspace when the store is empty.")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 32),
    help="Server processes (default SIGNPOST_WORKERS or 1).",
)
def serve(host: str | None, port: int | None, seed_demo: bool, workers: int | None) -> None:
    """Apply migrations and serve the API (embedded Postgres unless DATABASE_URL is set)."""
    import uvicorn

    from api.app import create_app
    from signpost import demo
    from signpost.serving import serve_workers
    from store.db import resolve_dsn

    overrides = {
        k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None
    }
    settings = _settings().model_copy(update=overrides)
    configure_logging(settings.log_level)
    dsn, embedded = resolve_dsn(settings)
    try:
        info = run_with_runtime(settings, lambda rt: demo.prepare(rt, seed=seed_demo), dsn=dsn)
        _print_banner(settings, info)
        options: dict[str, Any] = {
            "host": settings.host,
            "port": settings.port,
            "proxy_headers": True,
            "log_level": settings.log_level.lower(),
            "timeout_graceful_shutdown": 5,
        }
        if settings.workers > 1:
            # Worker processes build their own app (pool, turn engine, job runner) from the
            # environment; they reach the embedded server this process started by its DSN.
            os.environ["DATABASE_URL"] = dsn
            os.environ["SIGNPOST_PORT"] = str(settings.port)
            serve_workers("api.app:app_from_environment", settings.workers, options)
        else:
            uvicorn.run(create_app(settings, dsn=dsn), **options)
    finally:
        if embedded is not None:
            embedded.stop()


def _print_banner(settings: Settings, info: dict[str, Any]) -> None:
    base = settings.base_url
    lines = [
        "",
        "Signpost is starting",
        f"  API          {base}/api/v1/",
        f"  OpenAPI      {base}/schema/swagger",
        f"  Health       {base}/readyz",
        f"  Database     {'embedded PostgreSQL in ' + str(settings.data_dir / 'pg') if not settings.database_url else 'DATABASE_URL'}",
        f"  Jobs         {'Celery on ' + settings.redis_url if settings.redis_url else 'in-process'}",
        f"  Model        {settings.chat_model or 'none (deterministic mode)'}",
    ]
    for label, value in info.get("urls", {}).items():
        lines.append(f"  {label:<12} {base}{value}")
    if info.get("api_key"):
        lines.append(f"  Demo API key {info['api_key']}")
    if info.get("note"):
        lines.append(f"  {info['note']}")
    click.echo("\n".join(lines) + "\n")


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from store.db import resolve_dsn, upgrade_schema

    settings = _settings()
    configure_logging(settings.log_level)
    dsn, embedded = resolve_dsn(settings)
    try:
        applied = asyncio.run(upgrade_schema(dsn))
    finally:
        if embedded is not None:
            embedded.stop()
    if applied:
        for m in applied:
            click.echo(f"applied {m.version:04d}_{m.name}")
    else:
        click.echo("database is up to date")


@main.group()
def workspace() -> None:
    """Workspace commands."""


@workspace.command("create")
@click.argument("name")
def workspace_create(name: str) -> None:
    """Create a workspace and print its id and API key (shown only now)."""
    from store import workspaces

    async def create(rt: Any) -> tuple[Any, str]:
        async with rt.db.transaction() as conn:
            ws = await workspaces.create_workspace(conn, name)
            key = await workspaces.create_api_key(conn, ws.id)
        return ws, key

    settings = _settings()
    configure_logging("WARNING")
    ws, key = run_with_runtime(settings, create)
    click.echo(f"workspace_id: {ws.id}")
    click.echo(f"api_key: {key}")


@main.command()
@click.option("--concurrency", default=1, show_default=True, help="Jobs run in parallel.")
@click.option(
    "--beat/--no-beat",
    default=True,
    show_default=True,
    help="Also run the periodic scheduler (retention); run it on one worker only.",
)
def worker(concurrency: int, beat: bool) -> None:
    """Run a Celery worker for background jobs (needs REDIS_URL)."""
    from ingestion.celery_app import worker_main

    settings = _settings()
    configure_logging(settings.log_level)
    if not settings.redis_url:
        click.echo(
            "signpost: REDIS_URL is not set; without it jobs run inside `signpost serve`", err=True
        )
        sys.exit(2)
    worker_main(settings.redis_url, concurrency=concurrency, loglevel=settings.log_level, beat=beat)


@main.group()
def sources() -> None:
    """Add and sync data sources."""


@sources.command("add")
@click.option("--workspace", "workspace_id", required=True, help="Workspace id.")
@click.option(
    "--type", "kind", required=True, type=click.Choice(["website", "sheet", "custom", "document"])
)
@click.option("--name", required=True)
@click.option("--url", help="website: start URL (crawled), or the base URL of --path.")
@click.option(
    "--path",
    type=click.Path(exists=True, path_type=Path),
    help="website: folder of .html files; sheet/document/custom: a file or folder.",
)
@click.option("--spreadsheet", help="sheet: Google Sheets id or URL.")
@click.option("--worksheet", help="sheet: worksheet title.")
@click.option("--text", help="custom: the text itself.")
@click.option("--max-pages", default=200, show_default=True, type=int)
@click.option("--no-sync", is_flag=True, help="Only create the source.")
def sources_add(
    workspace_id: str,
    kind: str,
    name: str,
    url: str | None,
    path: Path | None,
    spreadsheet: str | None,
    worksheet: str | None,
    text: str | None,
    max_pages: int,
    no_sync: bool,
) -> None:
    """Create a source in a workspace and sync it with a progress bar."""
    from services import sources as source_service
    from signpost.errors import AppError

    ws = _uuid(workspace_id)

    async def add(rt: Any) -> Any:
        async with rt.db.transaction() as conn:
            if path is not None:
                return await source_service.create_local_source(
                    conn, rt.files, ws, kind=kind, name=name, path=path, base_url=url
                )
            body: dict[str, Any] = {"type": kind, "name": name}
            if kind == "website":
                body |= {"url": url, "max_pages": max_pages}
            elif kind == "sheet":
                body |= {"spreadsheet": spreadsheet, "worksheet": worksheet}
            elif kind == "custom":
                body |= {"text": text}
            data = source_service.SourceCreate.model_validate(body).root
            return await source_service.create_source(conn, ws, data)

    settings = _settings()
    configure_logging("WARNING")
    try:
        source = run_with_runtime(settings, add)
    except (AppError, ValueError) as exc:
        click.echo(f"signpost: {getattr(exc, 'message', exc)}", err=True)
        sys.exit(1)
    click.echo(f"source_id: {source.id}")
    if not no_sync:
        _sync_with_progress(settings, ws, source.id)


@sources.command("sync")
@click.argument("source_id")
@click.option("--workspace", "workspace_id", required=True, help="Workspace id.")
def sources_sync(source_id: str, workspace_id: str) -> None:
    """Sync a source incrementally, with a progress bar."""
    _sync_with_progress(_settings(), _uuid(workspace_id), _uuid(source_id))


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        click.echo(f"signpost: {value!r} is not an id", err=True)
        sys.exit(2)


def _sync_with_progress(settings: Settings, workspace_id: Any, source_id: Any) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from services import ingest
    from signpost.errors import AppError
    from store import jobs as jobs_repo
    from store import sources as sources_repo

    configure_logging("WARNING")

    async def run(rt: Any) -> tuple[Any, Any]:
        job = await ingest.request_sync(rt, workspace_id, source_id)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as bar:
            task = bar.add_task("syncing", total=None)
            while True:
                async with rt.db.connection() as conn:
                    current = await jobs_repo.get_job(conn, workspace_id, job.id)
                if current is None:
                    raise click.ClickException(
                        f"job {job.id} disappeared (was the source deleted?)"
                    )
                job = current
                bar.update(
                    task,
                    completed=job.progress_done,
                    total=job.progress_total or None,
                    description=job.status,
                )
                if job.status in ("succeeded", "failed"):
                    break
                await asyncio.sleep(0.3)
        async with rt.db.connection() as conn:
            source = await sources_repo.get_source(conn, workspace_id, source_id)
        return job, source

    try:
        job, source = run_with_runtime(settings, run, jobs=True)
    except AppError as exc:
        click.echo(f"signpost: {exc.message}", err=True)
        sys.exit(1)
    counts = ", ".join(f"{k} {v}" for k, v in source.counts.items())
    click.echo(f"{job.status}: {counts}")
    for err in job.errors:
        click.echo(f"  error: {err.get('item') or '-'}: {err['message']}", err=True)
    if job.status != "succeeded":
        sys.exit(1)


@main.command("demo")
def demo_command() -> None:
    """Seed the demo workspace and chatbot (once; prints the demo API key)."""
    from signpost import demo

    settings = _settings()
    configure_logging("WARNING")
    info = run_with_runtime(settings, lambda rt: demo.prepare(rt, seed=True))
    _print_banner(settings, info)


@main.group("eval")
def eval_group() -> None:
    """Run eval suites and compare their reports."""


def _split_ids(values: tuple[str, ...]) -> list[str]:
    return [i.strip() for v in values for i in v.split(",") if i.strip()]


@eval_group.command("run")
@click.argument("suite_path", metavar="SUITE.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON report here.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the self-contained HTML report here.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report JSON to stdout instead of the summary table.",
)
@click.option(
    "--min-pass-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Exit 1 when the pass rate is below this (0–1).",
)
@click.option(
    "--max-gate-violations",
    type=click.IntRange(min=0),
    default=None,
    help="Exit 1 when there are more gate violations than this.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Cases run in parallel.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="ID",
    help="Run only these case ids (repeat, or comma-separate).",
)
@click.option("--keep", is_flag=True, help="Keep the eval workspace (and its traces) afterwards.")
def eval_run(
    suite_path: Path,
    report_path: Path | None,
    html_path: Path | None,
    as_json: bool,
    min_pass_rate: float | None,
    max_gate_violations: int | None,
    concurrency: int,
    only: tuple[str, ...],
    keep: bool,
) -> None:
    """Build the suite's bot in a fresh workspace, run every case, report.

    Exit status: 0 when the run completed (whatever the pass rate) unless a
    --min-pass-rate / --max-gate-violations threshold is missed (1); 2 for an
    invalid suite or settings; 3 when the run was aborted (e.g. a source failed).
    """
    import json

    from rich.console import Console

    from evals import runner
    from evals.html import write_html
    from evals.progress import RichProgress
    from evals.report import build_report, print_summary, write_report
    from evals.suite import SuiteError, load_suite

    try:
        suite = load_suite(suite_path).select(_split_ids(only))
    except SuiteError as exc:
        click.echo(f"signpost eval: {exc}", err=True)
        sys.exit(2)
    settings = _settings()
    configure_logging("WARNING")
    options = runner.RunOptions(concurrency=concurrency, keep=keep)
    try:
        with RichProgress(Console(stderr=True)) as progress:
            result = run_with_runtime(
                settings,
                lambda rt: runner.run_suite(rt, suite, options=options, progress=progress),
                jobs=True,
                turns=True,
            )
    except runner.EvalAborted as exc:
        click.echo(f"signpost eval: aborted: {exc}", err=True)
        sys.exit(3)
    report = build_report(result)
    if report_path:
        write_report(report, report_path)
    if html_path:
        write_html(report, html_path)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_summary(report, Console())
        for label, path in (("report", report_path), ("html", html_path)):
            if path:
                click.echo(f"{label}: {path}")
        if keep:
            click.echo(
                f"kept workspace {result.info.workspace_id}, chatbot {result.info.chatbot_id}"
            )
    status = 0
    if min_pass_rate is not None and report["pass_rate"] < min_pass_rate:
        click.echo(
            f"signpost eval: pass rate {report['pass_rate']:.4f} is below "
            f"--min-pass-rate {min_pass_rate}",
            err=True,
        )
        status = 1
    violations = report["metrics"]["gate_violations"]
    if max_gate_violations is not None and violations > max_gate_violations:
        click.echo(
            f"signpost eval: {violations} gate violation(s) exceed "
            f"--max-gate-violations {max_gate_violations}",
            err=True,
        )
        status = 1
    sys.exit(status)


@eval_group.command("compare")
@click.argument("base", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=0.02,
    show_default=True,
    help="Largest allowed drop of a rate metric (pass_rate, accuracies, hit@3, MRR).",
)
@click.option(
    "--latency-tolerance",
    type=click.FloatRange(min=0),
    default=None,
    help="Gate on latency too: largest allowed relative slow-down (0.2 = 20%).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def eval_compare(
    base: Path, new: Path, tolerance: float, latency_tolerance: float | None, as_json: bool
) -> None:
    """Show per-metric deltas and flipped cases; exit 1 when a metric regressed beyond tolerance.

    Gate violations gate on any increase; latencies only with --latency-tolerance.
    """
    import json

    from evals.compare import compare_reports, print_comparison
    from evals.report import load_report

    try:
        base_report, new_report = load_report(base), load_report(new)
    except ValueError as exc:
        click.echo(f"signpost eval: {exc}", err=True)
        sys.exit(2)
    comparison = compare_reports(
        base_report, new_report, tolerance=tolerance, latency_tolerance=latency_tolerance
    )
    if as_json:
        click.echo(json.dumps(comparison.as_dict(), indent=2))
    else:
        print_comparison(comparison)
    sys.exit(comparison.exit_code)


if __name__ == "__main__":
    main()
