"""Shared fixtures: one embedded PostgreSQL per session, a fresh database per module."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Tests never talk to a real model endpoint or Redis unless a test sets them up itself.
for _var in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "SIGNPOST_CHAT_MODEL",
    "DATABASE_URL",
    "REDIS_URL",
    "SIGNPOST_EMBEDDING_MODEL",
    "LANGSMITH_TRACING",
):
    os.environ.pop(_var, None)

from signpost.settings import Settings  # noqa: E402
from store.db import upgrade_schema  # noqa: E402
from store.embedded import EmbeddedPostgres  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DB = "signpost_template"


@pytest.fixture(scope="session")
def pg() -> Iterator[EmbeddedPostgres]:
    """Start one embedded PostgreSQL for the whole test session."""
    base = Path(tempfile.mkdtemp(prefix="signpost-test-pg-", dir="/tmp"))
    server = EmbeddedPostgres(base)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def template_dsn(pg: EmbeddedPostgres) -> str:
    """Create a database with every migration applied, used as a template."""
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    await upgrade_schema(pg.dsn(TEMPLATE_DB))
    return pg.dsn(TEMPLATE_DB)


def create_database(pg: EmbeddedPostgres, template_dsn: str) -> str:
    """Create a fresh database from the migrated template and return its DSN."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    return pg.dsn(name)


@pytest.fixture(scope="module")
def db_dsn(pg: EmbeddedPostgres, template_dsn: str) -> str:
    """Return a fresh, migrated database for this test module."""
    return create_database(pg, template_dsn)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a private data dir for this module."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def settings(db_dsn: str, data_dir: Path) -> Settings:
    """Settings for an in-process runtime on this module's database."""
    return settings_for(db_dsn, data_dir)


@pytest.fixture(scope="module")
async def runtime(settings: Settings, db_dsn: str) -> AsyncIterator[object]:
    """Open a runtime (pool, file store) on this module's database."""
    from signpost.runtime import Runtime

    rt = await Runtime.start(settings, dsn=db_dsn)
    yield rt
    await rt.close()


@pytest.fixture(scope="module")
async def client(runtime: object) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, in this event loop (buffers streams).

    Litestar's AsyncTestClient runs the app on a separate thread and loop, which the
    runtime's loop-bound pool cannot cross; httpx's ASGI transport stays in this loop.
    """
    from api.app import create_app

    app = create_app(runtime=runtime)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


@dataclass(frozen=True)
class WorkspaceAuth:
    """A workspace and the headers that authenticate as it."""

    id: uuid.UUID
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def make_workspace(runtime: object, name: str = "Test workspace") -> WorkspaceAuth:
    """Create a workspace with an API key."""
    from store import workspaces

    async with runtime.db.transaction() as conn:  # type: ignore[attr-defined]
        ws = await workspaces.create_workspace(conn, name)
        key = await workspaces.create_api_key(conn, ws.id)
    return WorkspaceAuth(id=ws.id, key=key)


@pytest.fixture(scope="module")
async def ws(runtime: object) -> WorkspaceAuth:
    """A workspace for this module."""
    return await make_workspace(runtime, "Module workspace")


@pytest.fixture(scope="module")
async def other_ws(runtime: object) -> WorkspaceAuth:
    """A second workspace, to check isolation."""
    return await make_workspace(runtime, "Other workspace")


@dataclass(frozen=True)
class IngestedCompany:
    """A company provisioned and ingested once per session, cloned per module."""

    template_db: str
    data_dir: Path
    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    public_key: str
    api_key: str
    source_ids: dict[str, uuid.UUID]


def settings_for(dsn: str, data_dir: Path, **overrides: object) -> Settings:
    """Return test settings on `dsn`: deterministic, no Redis, a small pool; `overrides` win."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": dsn,
        "redis_url": None,
        "chat_model": None,
        "openai_api_key": None,
        "openai_base_url": None,
        "public_url": "http://testserver.local",
        "db_pool_min": 1,
        "db_pool_max": 6,
        "_env_file": None,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def company_b(
    pg: EmbeddedPostgres, template_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> IngestedCompany:
    """Provision and ingest the Fernbrook company (tests/fixtures/company_b) once, published."""
    from evals.suite import load_suite
    from services.provision import provision
    from signpost.runtime import Runtime
    from store import sources as sources_repo

    name = "company_b_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    dsn = pg.dsn(name)
    data = tmp_path_factory.mktemp("company_b_data")
    suite = load_suite(ROOT / "tests" / "fixtures" / "company_b" / "suite.yaml")
    spec = suite.spec.model_copy(deep=True)
    spec.bot.status = "published"
    rt = await Runtime.start(settings_for(dsn, data), dsn=dsn, turns=False)
    try:
        async with rt.db.transaction() as conn:
            built = await provision(
                conn, rt.files, spec, base_dir=suite.base_dir, workspace_name="Fernbrook"
            )
        for job_id in await _queued_jobs(rt):
            await rt.jobs.submit(job_id)
        await rt.jobs.wait_idle(300)
        async with rt.db.connection() as conn:
            for sid in built.source_ids.values():
                source = await sources_repo.get_source(conn, built.workspace_id, sid)
                assert source is not None and source.status == "ready", source
    finally:
        await rt.close()
    return IngestedCompany(
        template_db=name,
        data_dir=data,
        workspace_id=built.workspace_id,
        chatbot_id=built.chatbot_id,
        public_key=built.public_key,
        api_key=built.api_key or "",
        source_ids=built.source_ids,
    )


async def _queued_jobs(rt: object) -> list[uuid.UUID]:
    from store import jobs as jobs_repo

    async with rt.db.connection() as conn:  # type: ignore[attr-defined]
        return await jobs_repo.stale_jobs(conn)


def clone_company(pg: EmbeddedPostgres, company: IngestedCompany, target_dir: Path) -> str:
    """Copy the ingested company's database and files for one module; return the DSN."""
    import shutil

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{company.template_db}"')
    shutil.copytree(company.data_dir, target_dir, dirs_exist_ok=True)
    return pg.dsn(name)
