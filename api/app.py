"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.controllers.chatbots import ChatbotController
from api.controllers.conversations import (
    ConversationController,
    LeadController,
    PreviewController,
)
from api.controllers.demo import STATIC_DIR, demo_page, widget_js
from api.controllers.documents import download_document
from api.controllers.sources import JobController, SourceController
from api.controllers.system import healthz, public_icon, readyz
from api.controllers.traces import TraceController
from api.controllers.ui import UIController, register_template_filters
from api.controllers.ui_session import provide_workspace_id, session_config
from api.controllers.ui_traces import TraceUIController
from api.controllers.widget import WidgetController
from api.deps import provide_conn, provide_runtime
from api.errors import EXCEPTION_HANDLERS
from signpost.runtime import Runtime
from signpost.settings import Settings, get_settings

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, dsn: str | None = None
) -> Litestar:
    """Build the app; the lifespan opens the runtime (on `dsn` if given) unless one is handed in."""
    settings = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or await Runtime.start(settings, dsn=dsn)
        app.state.runtime = rt
        try:
            yield
        finally:
            if owned:
                await rt.close()

    return Litestar(
        # A runtime handed in (tests, evals) is usable without running the lifespan.
        state=State({"runtime": runtime} if runtime is not None else {}),
        route_handlers=[
            healthz,
            readyz,
            public_icon,
            download_document,
            ChatbotController,
            SourceController,
            JobController,
            WidgetController,
            PreviewController,
            ConversationController,
            LeadController,
            widget_js,
            demo_page,
            UIController,
            TraceController,
            TraceUIController,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                include_in_schema=False,
                cache_control=CacheControlHeader(max_age=300, public=True),
            ),
        ],
        # The builder pages sign in with an encrypted cookie session; the API accepts it
        # (with a CSRF header for writes) as well as the Bearer key.
        middleware=[session_config(settings).middleware],
        template_config=TemplateConfig(
            directory=TEMPLATE_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=register_template_filters,
        ),
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "conn": Provide(provide_conn),
            "workspace_id": Provide(provide_workspace_id),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Signpost API",
            version="1.0.0",
            description="Build and run website chatbots. Builder routes take "
            "`Authorization: Bearer <workspace API key>`.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            components=Components(
                security_schemes={"workspaceKey": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"workspaceKey": []}],
        ),
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
        debug=False,
    )


def app_from_environment() -> Litestar:
    """Build the app from the process settings (a `signpost serve --workers N` worker)."""
    return create_app(get_settings())
