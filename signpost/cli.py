"""The `signpost` command line: serve, db, workspace, demo."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
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


def run_with_runtime(settings: Settings, fn: Callable[[Any], Awaitable[T]], dsn: str | None = None) -> T:
    """Open a Runtime, run `fn(runtime)`, close it."""
    from signpost.runtime import Runtime

    async def main() -> T:
        runtime = await Runtime.start(settings, dsn=dsn)
        try:
            return await fn(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Signpost: self-hosted website chatbots."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default SIGNPOST_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default SIGNPOST_PORT or 8000).")
@click.option("--seed-demo", is_flag=True, help="Seed the demo workspace when the store is empty.")
def serve(host: str | None, port: int | None, seed_demo: bool) -> None:
    """Apply migrations and serve the API (embedded Postgres unless DATABASE_URL is set)."""
    import uvicorn

    from api.app import create_app
    from signpost import demo
    from store.db import resolve_dsn

    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = _settings().model_copy(update=overrides)
    configure_logging(settings.log_level)
    dsn, embedded = resolve_dsn(settings)
    try:
        info = run_with_runtime(settings, lambda rt: demo.prepare(rt, seed=seed_demo), dsn=dsn)
        _print_banner(settings, info)
        app = create_app(settings, dsn=dsn)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
            timeout_graceful_shutdown=5,
        )
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


@main.command("demo")
def demo_command() -> None:
    """Seed the demo workspace and chatbot (once; prints the demo API key)."""
    from signpost import demo

    settings = _settings()
    configure_logging("WARNING")
    info = run_with_runtime(settings, lambda rt: demo.prepare(rt, seed=True))
    _print_banner(settings, info)


if __name__ == "__main__":
    main()
