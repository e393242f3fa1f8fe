"""Seed the demo company (demo/) into an empty store and remember how to reach it."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import yaml

from services.provision import ProvisionSpec, provision
from signpost.runtime import Runtime
from store import chatbots as chatbot_repo
from store import sources as source_repo
from store import workspaces

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo"
_STATE_FILE = "demo.json"


def load_demo_spec(demo_dir: Path = DEMO_DIR) -> ProvisionSpec:
    """Read demo/demo.yaml."""
    return ProvisionSpec.model_validate(yaml.safe_load((demo_dir / "demo.yaml").read_text()))


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


async def seed_demo(runtime: Runtime, demo_dir: Path = DEMO_DIR) -> dict[str, Any]:
    """Create the demo workspace, sources and published bot; return its ids and API key."""
    spec = load_demo_spec(demo_dir)
    spec.bot.status = "published"
    async with runtime.db.transaction() as conn:
        built = await provision(
            conn, runtime.files, spec, base_dir=demo_dir, workspace_name="Demo workspace"
        )
    state = {
        "workspace_id": str(built.workspace_id),
        "chatbot_id": str(built.chatbot_id),
        "public_key": built.public_key,
        "api_key": built.api_key,
        "source_ids": {k: str(v) for k, v in built.source_ids.items()},
    }
    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The demo key is kept (0600) so later `make run`s can print it again.
    _write_private(runtime.settings.data_dir / _STATE_FILE, json.dumps(state, indent=2))
    return state


def read_state(runtime: Runtime) -> dict[str, Any] | None:
    """Return the stored demo ids, if this data dir was seeded."""
    path = runtime.settings.data_dir / _STATE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())  # type: ignore[no-any-return]


async def _source_statuses(runtime: Runtime, workspace_id: uuid.UUID) -> list[str]:
    async with runtime.db.connection() as conn:
        sources, _ = await source_repo.list_sources(conn, workspace_id, limit=100, offset=0)
    return [s.status for s in sources]


def _ingest_note(statuses: list[str]) -> dict[str, str]:
    """Say when the demo cannot answer fully yet: sources still ingesting, or failed."""
    waiting = sum(1 for s in statuses if s in ("pending", "syncing"))
    failed = statuses.count("failed")
    parts = []
    if waiting:
        parts.append(
            f"{waiting} of {len(statuses)} demo sources are still ingesting in the background;"
            " answers are complete once the builder's Sources page shows them ready"
        )
    if failed:
        parts.append(f"{failed} demo source(s) failed to sync: see the builder's Sources page")
    return {"note": ". ".join(parts)} if parts else {}


async def prepare(runtime: Runtime, *, seed: bool) -> dict[str, Any]:
    """Seed when asked and the store is empty; return what the start-up banner shows."""
    async with runtime.db.connection() as conn:
        empty = await workspaces.count_workspaces(conn) == 0
    state = read_state(runtime)
    if seed and empty:
        log.info("empty store: seeding the demo workspace from %s", DEMO_DIR)
        state = await seed_demo(runtime)
    if not state:
        return {"note": "no demo seeded; create a workspace with `signpost workspace create NAME`"}
    async with runtime.db.connection() as conn:
        bot = await chatbot_repo.get_chatbot(
            conn, uuid.UUID(state["workspace_id"]), uuid.UUID(state["chatbot_id"])
        )
    if bot is None:
        return {"note": "the demo chatbot was deleted"}
    return {
        **_ingest_note(await _source_statuses(runtime, bot.workspace_id)),
        "api_key": state["api_key"],
        "urls": {
            "Demo page": f"/demo/{bot.public_key}",
            "Builder": "/ui/  (sign in with the demo API key)",
            "Traces": "/ui/traces",
            "Demo bot": f"/api/v1/chatbots/{bot.id}",
        },
    }
