"""Chatbot icons: validated raster images served back at a public URL."""

from __future__ import annotations

import io
import uuid

from PIL import Image, UnidentifiedImageError

from signpost.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from store import chatbots as repo
from store.chatbots import Chatbot
from store.db import Conn
from store.files import FileStore

_FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
_MAX_SIDE = 4096
CONTENT_TYPES = {ext: mime for ext, mime in _FORMATS.values()}


def validate_icon(data: bytes, *, max_bytes: int) -> str:
    """Return the file extension for a valid PNG/JPEG/WebP icon, or raise a ClientError."""
    if not data:
        raise ValidationFailed("the icon file is empty")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the icon is {len(data)} bytes; the limit is {max_bytes} bytes")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head:
        # SVG can carry script; a raster icon is all the widget needs.
        raise UnsupportedMediaType("SVG icons are refused: upload a PNG, JPEG or WebP image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(
            "the icon is not a readable PNG, JPEG or WebP image", details={"reason": str(exc)}
        ) from None
    if fmt not in _FORMATS:
        raise UnsupportedMediaType(f"{fmt} icons are not accepted: upload PNG, JPEG or WebP")
    if width > _MAX_SIDE or height > _MAX_SIDE:
        raise ValidationFailed(f"the icon is {width}×{height}; at most {_MAX_SIDE} px a side")
    return _FORMATS[fmt][0]


async def set_icon(
    conn: Conn, files: FileStore, bot: Chatbot, data: bytes, *, max_bytes: int
) -> Chatbot:
    """Store a new icon for the chatbot and drop the previous one."""
    ext = validate_icon(data, max_bytes=max_bytes)
    key = f"icons/{uuid.uuid4().hex}.{ext}"
    files.put(key, data)
    try:
        updated = await repo.update_chatbot(conn, bot.workspace_id, bot.id, {"icon_key": key})
    except BaseException:
        files.delete(key)
        raise
    assert updated is not None
    if bot.icon_key:
        files.delete(bot.icon_key)
    return updated


def icon_url(base_url: str, icon_key: str | None) -> str | None:
    """Return the public URL of a stored icon."""
    if not icon_key:
        return None
    return f"{base_url}/public/{icon_key}"
