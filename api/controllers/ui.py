"""Builder pages at /ui/: sign-in, chatbots, sources, buckets, preview, conversations, leads.

Server-rendered Jinja pages with a little hand-written JS (api/static/builder.js). Every
action calls the same services and repositories as the REST API; the builder session's
workspace replaces the Bearer key (api/controllers/ui_session.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.controllers.ui_session import (
    CSRF_FIELD,
    csrf_token,
    csrf_valid,
    session_of,
    session_workspace,
    sign_in,
    sign_out,
)
from api.deps import ConnDep, RuntimeDep
from services import buckets as bucket_service
from services import chatbots as chatbot_service
from services import icons, ingest
from services import sources as source_service
from services.sources import Upload
from signpost.errors import AppError, NotFound
from signpost.protocol import BUCKET_ACCEPTS, BUCKETS, KNOWN_LEAD_FIELDS
from store import buckets as bucket_repo
from store import chatbots as chatbot_repo
from store import conversations, leads, workspaces
from store import sources as source_repo
from store.chatbots import Chatbot
from store.db import Conn
from store.sources import DataSource

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src * data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

BUCKET_INFO: dict[str, tuple[str, str]] = {
    "guidance": ("Guidance", "Route visitors to the right page of your site."),
    "contact": ("Contacts", "Find the right person, email or phone number."),
    "support": ("Support", "Answer how-to, troubleshooting and policy questions."),
    "doc_referral": ("Document referral", "Offer documents, released after lead capture."),
}
TYPE_LABELS = {
    "website": "Website",
    "sheet": "Sheet",
    "custom": "Custom text",
    "document": "Documents",
}
LIVE_JOB = ("queued", "running")
PAGE_SIZE = 25

UiWorkspace = NamedDependency[uuid.UUID]
"""The signed-in builder session's workspace (see `provide_ui_workspace`)."""


class SignInRequired(Exception):
    """The page needs a signed-in builder session."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfFailed(Exception):
    """A form was posted without the session's CSRF token."""


@dataclass
class Form:
    """A posted form: text fields (possibly repeated) and files, CSRF already checked."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """Return the last value of a field, stripped."""
        values = self.fields.get(name)
        return values[-1].strip() if values else default

    def getall(self, name: str) -> list[str]:
        """Return every value of a repeated field."""
        return self.fields.get(name, [])

    def lines(self, name: str) -> list[str]:
        """Return the non-blank lines of a textarea."""
        return [line.strip() for line in self.get(name).splitlines() if line.strip()]

    def uploads(self, name: str) -> list[Upload]:
        """Return the non-empty files of a file field."""
        return [u for u in self.files.get(name, []) if u.data]


async def read_form(request: Request[Any, Any, Any]) -> Form:
    """Read a urlencoded or multipart form and check its CSRF token."""
    try:
        data = await request.form()
    except HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed body is the client's problem
        raise CsrfFailed(f"could not read the form: {exc}") from None
    form = Form()
    for key, value in data.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                upload = Upload(
                    filename=value.filename,
                    content_type=value.content_type or "",
                    data=await value.read(),
                )
                form.files.setdefault(key, []).append(upload)
        else:
            form.fields.setdefault(key, []).append(str(value))
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        raise CsrfFailed("the form expired")
    return form


async def provide_ui_workspace(request: Request[Any, Any, Any], conn: ConnDep) -> uuid.UUID:
    """Return the signed-in workspace or send the browser to the sign-in page."""
    workspace_id = await session_workspace(request, conn)
    if workspace_id is None:
        raise SignInRequired(request.url.path)
    return workspace_id


def flash(request: Request[Any, Any, Any], text: str, kind: str = "success") -> None:
    """Queue a message for the next page the browser sees."""
    session = session_of(request)
    session.setdefault("flash", []).append({"kind": kind, "text": text})
    request.scope["session"] = session


def see_other(path: str) -> Redirect:
    """Redirect after a POST."""
    return Redirect(path=path, status_code=303)


def safe_next(value: str | None) -> str:
    """Return a local builder path to continue to after sign-in (no open redirects)."""
    if value and value.startswith("/ui/") and not value.startswith("//"):
        return value
    return "/ui/chatbots"


async def render(
    request: Request[Any, Any, Any],
    conn: Conn,
    workspace_id: uuid.UUID | None,
    name: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render a builder page with the layout's context (workspace, CSRF token, messages)."""
    workspace = await workspaces.get_workspace(conn, workspace_id) if workspace_id else None
    session = session_of(request)
    messages = session.pop("flash", []) if session else []
    return Template(
        template_name=f"ui/{name}",
        context={
            "workspace": workspace,
            "csrf": csrf_token(request),
            "flashes": messages,
            "path": request.url.path,
            "type_labels": TYPE_LABELS,
            **context,
        },
        status_code=status_code,
        headers=PAGE_HEADERS,
    )


def _error_page(request: Request[Any, Any, Any], status: int, title: str, text: str) -> Template:
    return Template(
        template_name="ui/error.html",
        context={
            "workspace": None,
            "csrf": "",
            "flashes": [],
            "path": request.url.path,
            "title": title,
            "text": text,
            "status": status,
        },
        status_code=status,
        headers=PAGE_HEADERS,
    )


def _sign_in_handler(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    return Redirect(path=f"/ui/login?next={quote(exc.next_path)}", status_code=303)


def _csrf_handler(request: Request[Any, Any, Any], exc: CsrfFailed) -> Response[Any]:
    return _error_page(
        request,
        403,
        "This form has expired",
        "For your security the form could not be accepted. Go back, reload the page and try again.",
    )


def _app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    """Show a service error (unknown chatbot, no job runner ...) as a builder page."""
    title = "Not found" if isinstance(exc, NotFound) else "Something went wrong"
    text = exc.message[:1].upper() + exc.message[1:] if exc.message else title
    return _error_page(request, exc.status_code, title, text)


# ------------------------------------------------------------------ view models


def lead_rows(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the lead-field editor rows: the usual fields, the bot's own, one blank row."""
    current = {f["name"]: f for f in fields}
    rows = []
    for name, known in KNOWN_LEAD_FIELDS.items():
        f = current.get(name)
        rows.append(
            {
                "name": name,
                "known": True,
                "on": f is not None,
                "label": f["label"] if f else known.label,
                "required": f["required"] if f else known.required,
                "type": known.type,
            }
        )
    for f in fields:
        if f["name"] not in KNOWN_LEAD_FIELDS:
            rows.append({**f, "known": False, "on": True})
    rows.append(
        {"name": "", "known": False, "on": False, "label": "", "required": False, "type": "text"}
    )
    return rows


def bot_values(bot: Chatbot | None) -> dict[str, Any]:
    """Return the settings form's values for a chatbot (defaults for a new one)."""
    if bot is None:
        defaults = chatbot_service.ChatbotCreate.model_validate({"name": "New chatbot"})
        return {
            "name": "",
            "greeting": defaults.greeting,
            "suggested_questions": "",
            "primary_color": defaults.ui.primary_color,
            "position": defaults.ui.position,
            "launcher_text": defaults.ui.launcher_text,
            "allowed_origins": "",
            "status": "draft",
            "lead_rows": lead_rows([f.model_dump() for f in defaults.lead_fields]),  # type: ignore[union-attr]
            "lead_sheet_spreadsheet": "",
            "lead_sheet_worksheet": "",
        }
    sheet = (bot.settings or {}).get("lead_sheet") or {}
    return {
        "name": bot.name,
        "greeting": bot.greeting,
        "suggested_questions": "\n".join(bot.suggested_questions),
        "primary_color": bot.ui.get("primary_color", "#2563eb"),
        "position": bot.ui.get("position", "bottom-right"),
        "launcher_text": bot.ui.get("launcher_text", "Chat with us"),
        "allowed_origins": "\n".join(bot.allowed_origins),
        "status": bot.status,
        "lead_rows": lead_rows(bot.lead_fields),
        "lead_sheet_spreadsheet": sheet.get("spreadsheet") or "",
        "lead_sheet_worksheet": sheet.get("worksheet") or "",
    }


def form_values(form: Form) -> dict[str, Any]:
    """Return the settings form's values as posted (to show them again with errors)."""
    rows = []
    i = 0
    while f"lf-{i}-name" in form.fields:
        name = form.get(f"lf-{i}-name")
        known = form.get(f"lf-{i}-known") == "1"
        rows.append(
            {
                "name": name,
                "known": known,
                "on": bool(form.get(f"lf-{i}-on")) or (not known and bool(name)),
                "label": form.get(f"lf-{i}-label"),
                "required": bool(form.get(f"lf-{i}-required")),
                "type": form.get(f"lf-{i}-type", "text") or "text",
            }
        )
        i += 1
    if not rows or rows[-1]["name"]:
        rows.append(
            {
                "name": "",
                "known": False,
                "on": False,
                "label": "",
                "required": False,
                "type": "text",
            }
        )
    return {
        "name": form.get("name"),
        "greeting": form.get("greeting"),
        "suggested_questions": form.get("suggested_questions"),
        "primary_color": form.get("primary_color"),
        "position": form.get("position"),
        "launcher_text": form.get("launcher_text"),
        "allowed_origins": form.get("allowed_origins"),
        "status": form.get("status"),
        "lead_rows": rows,
        "lead_sheet_spreadsheet": form.get("lead_sheet_spreadsheet"),
        "lead_sheet_worksheet": form.get("lead_sheet_worksheet"),
    }


def chatbot_body(form: Form) -> dict[str, Any]:
    """Turn the posted settings form into the body the chatbot services validate."""
    values = form_values(form)
    lead_fields = []
    for row in values["lead_rows"]:
        if row["on"] and row["name"]:
            spec: dict[str, Any] = {"name": row["name"], "required": row["required"]}
            if row["label"]:
                spec["label"] = row["label"]
            if not row["known"]:
                known_type = row["type"] in ("text", "email", "tel", "textarea")
                spec["type"] = row["type"] if known_type else "text"
            lead_fields.append(spec)
    return {
        "name": values["name"],
        "greeting": values["greeting"],
        "suggested_questions": form.lines("suggested_questions"),
        "ui": {
            "primary_color": values["primary_color"],
            "position": values["position"],
            "launcher_text": values["launcher_text"],
        },
        "allowed_origins": form.lines("allowed_origins"),
        "lead_fields": lead_fields,
        "status": values["status"] or "draft",
        "lead_sheet": {
            "spreadsheet": values["lead_sheet_spreadsheet"],
            "worksheet": values["lead_sheet_worksheet"] or None,
        }
        if values["lead_sheet_spreadsheet"]
        else None,
    }


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Map a validation error to {form field: message}, first message per field."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = list(err["loc"])
        names = [str(x) for x in loc if isinstance(x, str)]
        index = next((x for x in loc if isinstance(x, int)), None)
        if names and names[0] == "ui" and len(names) > 1:
            key = names[1]
        else:
            key = names[0] if names else "form"
        message = str(err["msg"]).removeprefix("Value error, ")
        message = message[:1].upper() + message[1:]
        if index is not None and key in ("suggested_questions", "allowed_origins"):
            message = f"line {index + 1}: {message}"
        out.setdefault(key, message)
    return out


async def all_sources(conn: Conn, workspace_id: uuid.UUID) -> list[DataSource]:
    """Return every source of the workspace, newest first."""
    found: list[DataSource] = []
    while True:
        page, total = await source_repo.list_sources(
            conn, workspace_id, limit=100, offset=len(found)
        )
        found.extend(page)
        if not page or len(found) >= total:
            return found


def safe_url(value: Any) -> str:
    """Return the URL when it is http(s), mailto: or a local path; else "#" (no javascript:)."""
    text = str(value or "").strip()
    if text.lower().startswith(("http://", "https://", "mailto:", "tel:")):
        return text
    return text if text.startswith("/") and not text.startswith("//") else "#"


def register_template_filters(engine: Any) -> None:
    """Add the builder's Jinja filters (`safe_url`)."""
    engine.engine.filters["safe_url"] = safe_url
    engine.engine.filters["bucket_title"] = lambda name: BUCKET_INFO.get(name, (name,))[0]


def counts_text(counts: dict[str, int]) -> str:
    """Return "42 pages · 250 chunks" for the non-zero counts."""
    return " · ".join(f"{n} {k if n != 1 else k.rstrip('s')}" for k, n in counts.items() if n)


class UIController(Controller):
    """The builder's pages."""

    path = "/ui"
    include_in_schema = False
    dependencies = {"ws_id": Provide(provide_ui_workspace)}
    exception_handlers = {  # noqa: RUF012
        SignInRequired: _sign_in_handler,
        CsrfFailed: _csrf_handler,
        AppError: _app_error_handler,
    }

    # ------------------------------------------------------------ sign-in

    @get("/")
    async def home(self) -> Redirect:
        """Open the chatbot list."""
        return Redirect(path="/ui/chatbots", status_code=302)

    @get("/login")
    async def login_page(
        self, request: Request[Any, Any, Any], conn: ConnDep, next: FromQuery[str | None] = None
    ) -> Template | Redirect:
        """Show the sign-in form (paste the workspace API key)."""
        if await session_workspace(request, conn) is not None:
            return Redirect(path=safe_next(next), status_code=302)
        return await render(request, conn, None, "login.html", next=safe_next(next), error=None)

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], conn: ConnDep) -> Template | Redirect:
        """Verify the API key and start a session."""
        form = await read_form(request)
        key = form.get("api_key")
        workspace_id = await workspaces.workspace_for_key(conn, key) if key else None
        if workspace_id is None:
            return await render(
                request,
                conn,
                None,
                "login.html",
                status_code=401,
                next=safe_next(form.get("next")),
                error="That key was not accepted. Paste the whole workspace API key (it starts "
                "with sp_); a revoked key no longer works.",
            )
        sign_in(request, workspace_id, key)
        return see_other(safe_next(form.get("next")))

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session."""
        await read_form(request)
        sign_out(request)
        return see_other("/ui/login")

    # ------------------------------------------------------------ chatbots

    @get("/chatbots")
    async def chatbots(
        self, request: Request[Any, Any, Any], conn: ConnDep, ws_id: UiWorkspace
    ) -> Template:
        """List the workspace's chatbots."""
        bots, total = await chatbot_repo.list_chatbots(conn, ws_id, limit=100, offset=0)
        return await render(request, conn, ws_id, "chatbots.html", bots=bots, total=total)

    @get("/chatbots/new")
    async def new_chatbot(
        self, request: Request[Any, Any, Any], conn: ConnDep, ws_id: UiWorkspace
    ) -> Template:
        """Show the form for a new chatbot."""
        return await render(
            request,
            conn,
            ws_id,
            "chatbot.html",
            bot=None,
            values=bot_values(None),
            errors={},
            tab="settings",
        )

    @post("/chatbots/new")
    async def create_chatbot(
        self,
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Template | Redirect:
        """Create the chatbot (and its icon), then open its settings."""
        form = await read_form(request)
        try:
            data = chatbot_service.ChatbotCreate.model_validate(chatbot_body(form))
        except ValidationError as exc:
            return await render(
                request,
                conn,
                ws_id,
                "chatbot.html",
                status_code=422,
                bot=None,
                values=form_values(form),
                errors=field_errors(exc),
                tab="settings",
            )
        bot = await chatbot_service.create_chatbot(conn, ws_id, data)
        errors = await self._save_icon(conn, runtime, bot, form)
        flash(
            request, f"Created “{bot.name}”. Next: link sources on the Knowledge tab, then build."
        )
        if errors:
            flash(request, errors["icon"], "error")
        return see_other(f"/ui/chatbots/{bot.id}")

    @get("/chatbots/{chatbot_id:uuid}")
    async def chatbot(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Template:
        """Show the settings form beside the live preview."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        return await render(
            request,
            conn,
            ws_id,
            "chatbot.html",
            bot=bot,
            values=bot_values(bot),
            errors={},
            tab="settings",
            base_url=runtime.base_url,
        )

    @post("/chatbots/{chatbot_id:uuid}")
    async def update_chatbot(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Template | Redirect:
        """Save the settings (and a new icon when one is chosen)."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        form = await read_form(request)
        try:
            patch = chatbot_service.ChatbotPatch.model_validate(chatbot_body(form))
            bot = await chatbot_service.update_chatbot(conn, ws_id, chatbot_id, patch)
        except ValidationError as exc:
            return await render(
                request,
                conn,
                ws_id,
                "chatbot.html",
                status_code=422,
                bot=bot,
                values=form_values(form),
                errors=field_errors(exc),
                tab="settings",
                base_url=runtime.base_url,
            )
        except AppError as exc:
            return await render(
                request,
                conn,
                ws_id,
                "chatbot.html",
                status_code=exc.status_code,
                bot=bot,
                values=form_values(form),
                errors={"form": exc.message},
                tab="settings",
                base_url=runtime.base_url,
            )
        errors = await self._save_icon(conn, runtime, bot, form)
        if errors:
            return await render(
                request,
                conn,
                ws_id,
                "chatbot.html",
                status_code=422,
                bot=bot,
                values=bot_values(bot),
                errors=errors,
                tab="settings",
                base_url=runtime.base_url,
            )
        flash(request, "Settings saved. The preview shows the new version.")
        return see_other(f"/ui/chatbots/{bot.id}")

    @staticmethod
    async def _save_icon(conn: Conn, runtime: Any, bot: Chatbot, form: Form) -> dict[str, str]:
        uploads = form.uploads("icon")
        if not uploads:
            return {}
        try:
            await icons.set_icon(
                conn, runtime.files, bot, uploads[0].data, max_bytes=runtime.settings.max_icon_bytes
            )
        except AppError as exc:
            return {"icon": exc.message}
        return {}

    @post("/chatbots/{chatbot_id:uuid}/delete")
    async def delete_chatbot(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Redirect:
        """Delete the chatbot (its sources stay in the workspace)."""
        await read_form(request)
        bot = await chatbot_service.delete_chatbot(conn, runtime.files, ws_id, chatbot_id)
        flash(request, f"Deleted “{bot.name}”.")
        return see_other("/ui/chatbots")

    # ------------------------------------------------------------ knowledge (buckets + build)

    @get("/chatbots/{chatbot_id:uuid}/knowledge")
    async def knowledge(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
    ) -> Template:
        """Show the four bucket pickers and the build panel."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        links = await bucket_repo.get_bucket_links(conn, ws_id, chatbot_id)
        return await self._knowledge(request, conn, ws_id, bot, links)

    async def _knowledge(
        self,
        request: Request[Any, Any, Any],
        conn: Conn,
        ws_id: UiWorkspace,
        bot: Chatbot,
        links: dict[str, list[Any]],
        *,
        ticked: dict[str, list[str]] | None = None,
        status_code: int = 200,
        error: str | None = None,
    ) -> Template:
        """Render the Knowledge tab: the saved `links`, with `ticked` boxes after a refused save."""
        sources = await all_sources(conn, ws_id)
        saved = {b: {str(s) for s in links.get(b, [])} for b in BUCKETS}
        chosen = {b: set(ticked.get(b, [])) for b in BUCKETS} if ticked is not None else saved
        buckets = [
            {
                "name": b,
                "title": BUCKET_INFO[b][0],
                "purpose": BUCKET_INFO[b][1],
                "accepts": BUCKET_ACCEPTS[b],
                "accepts_text": " / ".join(TYPE_LABELS[t].lower() for t in BUCKET_ACCEPTS[b]),
                "options": [s for s in sources if s.type in BUCKET_ACCEPTS[b]],
                "chosen": chosen[b],
            }
            for b in BUCKETS
        ]
        linked_ids = set().union(*saved.values())
        linked = [s for s in sources if str(s.id) in linked_ids]
        linked_buckets = {sid: [b for b in BUCKETS if sid in saved[b]] for sid in linked_ids}
        session = session_of(request)
        build = session.pop(f"build:{bot.id}", None) if session else None
        return await render(
            request,
            conn,
            ws_id,
            "knowledge.html",
            status_code=status_code,
            bot=bot,
            buckets=buckets,
            linked=linked,
            linked_buckets=linked_buckets,
            build=build,
            error=error,
            tab="knowledge",
            counts_text=counts_text,
            has_sources=bool(sources),
        )

    @post("/chatbots/{chatbot_id:uuid}/buckets")
    async def save_buckets(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
    ) -> Template | Redirect:
        """Replace the four buckets' links (the service enforces the accepted types)."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        form = await read_form(request)
        body: dict[str, list[str]] = {b: form.getall(b) for b in BUCKETS}
        try:
            links = bucket_service.parse_bucket_body(body)
            await bucket_service.set_buckets(conn, ws_id, chatbot_id, links)
        except AppError as exc:
            saved = await bucket_repo.get_bucket_links(conn, ws_id, chatbot_id)
            return await self._knowledge(
                request,
                conn,
                ws_id,
                bot,
                saved,
                ticked=body,
                status_code=exc.status_code,
                error=f"The links were not saved: {exc.message}.",
            )
        flash(request, "Sources linked. Build the knowledge base to use them.")
        return see_other(f"/ui/chatbots/{chatbot_id}/knowledge")

    @post("/chatbots/{chatbot_id:uuid}/build")
    async def build(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Redirect:
        """Check every linked source and record the knowledge-base version."""
        await read_form(request)
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        result = await ingest.build_chatbot(runtime, bot)
        session = session_of(request)
        # Only the verdict rides in the cookie; the page lists the linked sources' live state.
        session[f"build:{bot.id}"] = {
            "ready": result.ready,
            "kb_version": result.kb_version,
            "linked": len(result.sources),
        }
        request.scope["session"] = session
        return see_other(f"/ui/chatbots/{chatbot_id}/knowledge#build")

    # ------------------------------------------------------------ sources

    @get("/sources")
    async def sources(
        self,
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Template:
        """List the workspace's sources with their sync state; forms to add more."""
        found = await all_sources(conn, ws_id)
        session = session_of(request)
        jobs: dict[str, str] = dict(session.get("jobs", {}))
        live: dict[str, Any] = {}
        for source_id, job_id in list(jobs.items()):
            try:
                job = await ingest.get_job(runtime, ws_id, uuid.UUID(job_id))
            except (NotFound, ValueError):
                job = None
            if job is not None and job.status in LIVE_JOB:
                live[source_id] = job
            else:
                jobs.pop(source_id)
        if session:
            session["jobs"] = jobs
        return await render(
            request,
            conn,
            ws_id,
            "sources.html",
            sources=found,
            jobs=live,
            counts_text=counts_text,
            form=session.pop("source_form", None) or {},
        )

    def _remember_job(self, request: Request[Any, Any, Any], source_id: Any, job_id: Any) -> None:
        session = session_of(request)
        jobs = dict(session.get("jobs", {}))
        jobs[str(source_id)] = str(job_id)
        session["jobs"] = dict(list(jobs.items())[-20:])
        request.scope["session"] = session

    def _keep_form(
        self, request: Request[Any, Any, Any], kind: str, form: Form, error: str
    ) -> None:
        """Keep the error and the typed values (not files or text) to show beside the form."""
        values = {
            k: form.get(k)[:500] for k in ("name", "url", "spreadsheet", "worksheet", "max_pages")
        }
        session = session_of(request)
        session["source_form"] = {"kind": kind, "error": error[:1000], **values}
        request.scope["session"] = session

    @post("/sources")
    async def add_source(
        self,
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Redirect:
        """Create a website, Google Sheet or custom text source and start its sync."""
        form = await read_form(request)
        kind = form.get("type")
        body: dict[str, Any] = {"type": kind, "name": form.get("name")}
        if kind == "website":
            body |= {"url": form.get("url"), "max_pages": form.get("max_pages") or 200}
        elif kind == "sheet":
            body |= {
                "spreadsheet": form.get("spreadsheet"),
                "worksheet": form.get("worksheet") or None,
            }
        elif kind == "custom":
            body |= {"text": form.fields.get("text", [""])[-1]}
        try:
            data = source_service.SourceCreate.model_validate(body).root
            source = await source_service.create_source(conn, ws_id, data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{k.replace('_', ' ')}: {v}" for k, v in field_errors(exc).items()
            )
            self._keep_form(request, kind, form, f"The source was not added — {problems}")
            return see_other(f"/ui/sources#add-{kind}")
        except AppError as exc:
            self._keep_form(request, kind, form, f"The source was not added — {exc.message}")
            return see_other(f"/ui/sources#add-{kind}")
        job = await ingest.request_sync(runtime, ws_id, source.id)
        self._remember_job(request, source.id, job.id)
        flash(request, f"Added “{source.name}”; syncing now.")
        return see_other("/ui/sources")

    @post("/sources/upload")
    async def upload_source(
        self,
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Redirect:
        """Create a document or sheet source from uploaded files and start its sync."""
        try:
            form = await read_form(request)
        except HTTPException as exc:
            if exc.status_code != 413:
                raise
            flash(request, "The upload is larger than the server accepts.", "error")
            return see_other("/ui/sources")
        kind = form.get("type")
        try:
            source, rejected = await source_service.create_uploaded_source(
                conn,
                runtime.files,
                ws_id,
                kind=kind,
                name=form.get("name"),
                uploads=form.uploads("file"),
            )
        except AppError as exc:
            self._keep_form(
                request, "upload-" + kind, form, f"Nothing was uploaded — {exc.message}"
            )
            return see_other(f"/ui/sources#add-upload-{kind}")
        job = await ingest.request_sync(runtime, ws_id, source.id)
        self._remember_job(request, source.id, job.id)
        flash(request, f"Uploaded “{source.name}”; syncing now.")
        for r in rejected:
            flash(request, f"Skipped {r.filename}: {r.message}", "error")
        return see_other("/ui/sources")

    @post("/sources/{source_id:uuid}/sync")
    async def sync_source(
        self,
        source_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Redirect:
        """Re-sync a source (unchanged items are skipped)."""
        await read_form(request)
        job = await ingest.request_sync(runtime, ws_id, source_id)
        self._remember_job(request, source_id, job.id)
        flash(request, "Sync started.")
        return see_other("/ui/sources")

    @post("/sources/{source_id:uuid}/delete")
    async def delete_source(
        self,
        source_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        runtime: RuntimeDep,
    ) -> Redirect:
        """Delete a source, its links and its indexed content."""
        await read_form(request)
        source = await source_service.get_source(conn, ws_id, source_id)
        await source_service.delete_source(conn, runtime.files, ws_id, source_id)
        flash(request, f"Deleted “{source.name}”.")
        return see_other("/ui/sources")

    # ------------------------------------------------------------ conversations and leads

    @get("/chatbots/{chatbot_id:uuid}/conversations")
    async def conversations(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        mode: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        """List conversations, most recent first, optionally of one mode."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        mode = mode if mode in ("live", "preview", "eval") else None
        page = max(page, 1)
        rows, total = await conversations.list_conversations(
            conn, ws_id, chatbot_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, mode=mode
        )
        return await render(
            request,
            conn,
            ws_id,
            "conversations.html",
            bot=bot,
            rows=rows,
            total=total,
            mode=mode,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            tab="conversations",
        )

    @get("/chatbots/{chatbot_id:uuid}/conversations/{thread_id:str}")
    async def transcript(
        self,
        chatbot_id: FromPath[uuid.UUID],
        thread_id: FromPath[str],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
    ) -> Template:
        """Show one conversation's transcript with each answer's intent, blocks and sources."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        owner = await conversations.thread_owner(conn, thread_id)
        if owner is None or owner["workspace_id"] != ws_id or owner["chatbot_id"] != chatbot_id:
            raise NotFound(f"conversation {thread_id} not found")
        messages = await conversations.list_messages(conn, ws_id, thread_id, limit=1000)
        return await render(
            request,
            conn,
            ws_id,
            "transcript.html",
            bot=bot,
            owner=owner,
            thread_id=thread_id,
            messages=messages,
            tab="conversations",
        )

    @get("/chatbots/{chatbot_id:uuid}/leads")
    async def leads(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        ws_id: UiWorkspace,
        page: FromQuery[int] = 1,
    ) -> Template:
        """List the leads the chatbot captured, with the documents each received."""
        bot = await chatbot_service.get_chatbot(conn, ws_id, chatbot_id)
        page = max(page, 1)
        found, total = await leads.list_leads(
            conn, ws_id, chatbot_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        extra = sorted({k for lead in found for k in (lead.fields or {})})
        return await render(
            request,
            conn,
            ws_id,
            "leads.html",
            bot=bot,
            leads=found,
            total=total,
            extra=extra,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            tab="leads",
        )
