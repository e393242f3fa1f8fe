"""Builder API: chatbots, their icons and their bucket links."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.deps import ConnDep, RuntimeDep, WorkspaceId
from api.schemas import BucketsOut, BuildOut, ChatbotOut, Page
from api.uploads import read_files
from services import buckets as bucket_service
from services import chatbots as service
from services import icons, ingest
from signpost.errors import ValidationFailed
from store import buckets as bucket_repo
from store import chatbots as repo

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Items to skip.")]


class ChatbotController(Controller):
    """CRUD for chatbots of the caller's workspace."""

    path = "/api/v1/chatbots"
    tags = ["chatbots"]

    @post("/")
    async def create(
        self,
        data: JSONBody[service.ChatbotCreate],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> ChatbotOut:
        """Create a chatbot (draft unless `status` says otherwise)."""
        bot = await service.create_chatbot(conn, workspace_id, data)
        return ChatbotOut.of(bot, runtime.base_url)

    @get("/")
    async def list(
        self,
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[ChatbotOut]:
        """List the workspace's chatbots, newest first."""
        bots, total = await repo.list_chatbots(conn, workspace_id, limit=limit, offset=offset)
        items = [ChatbotOut.of(b, runtime.base_url) for b in bots]
        return Page[ChatbotOut](items=items, total=total, limit=limit, offset=offset)

    @get("/{chatbot_id:uuid}")
    async def read(
        self,
        chatbot_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> ChatbotOut:
        """Return one chatbot."""
        bot = await service.get_chatbot(conn, workspace_id, chatbot_id)
        return ChatbotOut.of(bot, runtime.base_url)

    @patch("/{chatbot_id:uuid}")
    async def update(
        self,
        chatbot_id: FromPath[uuid.UUID],
        data: JSONBody[service.ChatbotPatch],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> ChatbotOut:
        """Change the fields given; the others keep their values."""
        bot = await service.update_chatbot(conn, workspace_id, chatbot_id, data)
        return ChatbotOut.of(bot, runtime.base_url)

    @delete("/{chatbot_id:uuid}", status_code=HTTP_204_NO_CONTENT)
    async def remove(
        self,
        chatbot_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> None:
        """Delete the chatbot, its links and its icon (sources stay in the workspace)."""
        await service.delete_chatbot(conn, runtime.files, workspace_id, chatbot_id)

    @put("/{chatbot_id:uuid}/icon")
    async def upload_icon(
        self,
        chatbot_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> ChatbotOut:
        """Set the chatbot's icon: multipart field `file`, PNG/JPEG/WebP up to 1 MB."""
        bot = await service.get_chatbot(conn, workspace_id, chatbot_id)
        uploads = await read_files(request, field="file")
        if len(uploads) != 1:
            raise ValidationFailed("send exactly one image in the multipart field 'file'")
        bot = await icons.set_icon(
            conn, runtime.files, bot, uploads[0].data, max_bytes=runtime.settings.max_icon_bytes
        )
        return ChatbotOut.of(bot, runtime.base_url)

    @get("/{chatbot_id:uuid}/buckets")
    async def read_buckets(
        self, chatbot_id: FromPath[uuid.UUID], conn: ConnDep, workspace_id: WorkspaceId
    ) -> BucketsOut:
        """Return the source ids linked to each bucket."""
        await service.get_chatbot(conn, workspace_id, chatbot_id)
        return BucketsOut.of(await bucket_repo.get_bucket_links(conn, workspace_id, chatbot_id))

    @put("/{chatbot_id:uuid}/buckets")
    async def write_buckets(
        self,
        chatbot_id: FromPath[uuid.UUID],
        data: JSONBody[dict[str, Any]],
        conn: ConnDep,
        workspace_id: WorkspaceId,
    ) -> BucketsOut:
        """Replace all four buckets; a bucket left out is emptied. All or nothing."""
        await service.get_chatbot(conn, workspace_id, chatbot_id)
        links = bucket_service.parse_bucket_body(data)
        return BucketsOut.of(
            await bucket_service.set_buckets(conn, workspace_id, chatbot_id, links)
        )

    @post("/{chatbot_id:uuid}/build", status_code=200)
    async def build(
        self,
        chatbot_id: FromPath[uuid.UUID],
        conn: ConnDep,
        workspace_id: WorkspaceId,
        runtime: RuntimeDep,
    ) -> BuildOut:
        """Check the linked sources and record the knowledge-base version.

        `ready` is true once every linked source has synced successfully.
        """
        bot = await service.get_chatbot(conn, workspace_id, chatbot_id)
        result = await ingest.build_chatbot(runtime, bot)
        return BuildOut(ready=result.ready, kb_version=result.kb_version, sources=result.sources)
