"""Signed, expiring document links: sign, release to a lead, verify and open a download."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import mimetypes
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from signpost.errors import Forbidden, Gone, NotFound
from signpost.protocol import DocumentLink
from signpost.settings import Settings
from store import leads as repo
from store.db import Conn
from store.files import FileStore

DEFAULT_LINK_TTL = timedelta(hours=24)
TOKEN_VERSION = 1
MAX_TOKEN_CHARS = 512
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
_KEY_CONTEXT = b"signpost/document-link/v1"
_SAFE_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")
_MAX_USER_AGENT = 500


class LinkInvalid(Forbidden):
    """The link was not issued by this service (tampered, wrong key, malformed) or is void."""

    code = "link_invalid"


class LinkExpired(Gone):
    """The link was genuine but its time is up."""

    code = "link_expired"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a verified link grants: one document, to one lead of one chatbot, until expiry."""

    workspace_id: uuid.UUID
    chatbot_id: uuid.UUID
    lead_id: uuid.UUID
    document_id: uuid.UUID
    expires_at: datetime
    key_id: str


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str) -> bytes:
    """Decode unpadded base64url strictly; a non-canonical spelling is refused."""
    if not _SEGMENT.match(segment):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if _b64encode(data) != segment:
        raise ValueError("non-canonical base64url")
    return data


def _derive(secret: str) -> tuple[str, bytes]:
    """Return (key id, signing key) for a secret; the raw secret never signs directly."""
    key = hmac.new(secret.encode("utf-8"), _KEY_CONTEXT, hashlib.sha256).digest()
    kid = _b64encode(hashlib.sha256(b"kid:" + key).digest()[:6])
    return kid, key


def rfc3339(moment: datetime) -> str:
    """Return a UTC timestamp as RFC 3339 with a Z suffix, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    return moment


class LinkSigner:
    """Sign and verify document links with HMAC-SHA256.

    A token is `base64url(JSON claims) "." base64url(HMAC)`. The claims name the
    workspace, chatbot, lead and document by id, the expiry and the signing key's id;
    never a file name or storage key. Older secrets passed as `previous` still verify,
    so the secret can rotate without voiding links already sent.
    """

    def __init__(
        self, secret: str, ttl: timedelta = DEFAULT_LINK_TTL, *, previous: Sequence[str] = ()
    ) -> None:
        if not secret:
            raise ValueError("a link signing secret is required")
        if ttl <= timedelta(0):
            raise ValueError("the link lifetime must be positive")
        self.ttl = ttl
        self.key_id, self._key = _derive(secret)
        self._keys = dict(_derive(old) for old in previous)
        self._keys[self.key_id] = self._key

    def _mac(self, key: bytes, payload: str) -> bytes:
        return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()

    def sign(
        self,
        chatbot_id: uuid.UUID,
        lead_id: uuid.UUID,
        document_id: uuid.UUID,
        *,
        workspace_id: uuid.UUID,
        now: datetime | None = None,
    ) -> tuple[str, datetime]:
        """Return a token for the document and the moment it expires.

        The workspace is signed in too, so every lookup the link triggers stays scoped.
        """
        expires_at = (_now(now) + self.ttl).astimezone(UTC).replace(microsecond=0)
        claims = {
            "v": TOKEN_VERSION,
            "k": self.key_id,
            "w": _b64encode(workspace_id.bytes),
            "c": _b64encode(chatbot_id.bytes),
            "l": _b64encode(lead_id.bytes),
            "d": _b64encode(document_id.bytes),
            "e": int(expires_at.timestamp()),
        }
        payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{_b64encode(self._mac(self._key, payload))}", expires_at

    def verify(self, token: str, *, now: datetime | None = None) -> LinkClaims:
        """Return the claims of a genuine, unexpired token.

        Raises LinkInvalid for anything not signed by a known key, and LinkExpired for a
        genuine token past its expiry.
        """
        claims = self._authentic_claims(token)
        expires_at = datetime.fromtimestamp(int(claims["e"]), UTC)  # type: ignore[call-overload]
        if _now(now) >= expires_at:
            raise LinkExpired(
                "this download link has expired", details={"expired_at": rfc3339(expires_at)}
            )
        return LinkClaims(
            workspace_id=_claim_uuid(claims["w"]),
            chatbot_id=_claim_uuid(claims["c"]),
            lead_id=_claim_uuid(claims["l"]),
            document_id=_claim_uuid(claims["d"]),
            expires_at=expires_at,
            key_id=str(claims["k"]),
        )

    def _authentic_claims(self, token: str) -> dict[str, object]:
        invalid = LinkInvalid("this download link is not valid")
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            raise invalid
        payload, signature = token.split(".")
        try:
            claims = json.loads(_b64decode(payload))
            mac = _b64decode(signature)
        except (ValueError, UnicodeDecodeError):
            raise invalid from None
        kid = claims.get("k") if isinstance(claims, dict) else None
        key = self._keys.get(kid) if isinstance(kid, str) else None
        # Unknown key ids still cost one comparison, so timing says nothing about them.
        expected = self._mac(key or self._key, payload)
        if not hmac.compare_digest(expected, mac) or key is None or not _well_formed(claims):
            raise invalid
        return claims

    def link(self, base_url: str, token: str) -> str:
        """Return the public URL of a token."""
        return f"{base_url.rstrip('/')}/d/{token}"


def _well_formed(claims: dict[str, object]) -> bool:
    if claims.get("v") != TOKEN_VERSION or type(claims.get("e")) is not int:
        return False
    for name in ("w", "c", "l", "d"):
        value = claims.get(name)
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{22}", value):
            return False
    return True


def _claim_uuid(value: object) -> uuid.UUID:
    """Return the UUID a claim spells as 22 characters of base64url."""
    return uuid.UUID(bytes=_b64decode(str(value)))


def signer_from_settings(settings: Settings) -> LinkSigner:
    """Build the process's signer from settings (secret key and link lifetime)."""
    return LinkSigner(settings.resolved_secret_key(), settings.document_link_ttl)


async def release_documents(
    conn: Conn,
    signer: LinkSigner,
    base_url: str,
    workspace_id: uuid.UUID,
    chatbot_id: uuid.UUID,
    lead_id: uuid.UUID,
    document_ids: Sequence[uuid.UUID | str],
    thread_id: str | None,
    *,
    now: datetime | None = None,
) -> list[DocumentLink]:
    """Sign links to the documents for a captured lead and record the release.

    Only documents of the workspace that are ready and offered by the chatbot's
    doc_referral bucket are released; others are silently left out. The result keeps
    the given (rank) order.
    """
    lead = await repo.get_lead(conn, workspace_id, lead_id)
    if lead is None or lead.chatbot_id != chatbot_id:
        raise NotFound(f"lead {lead_id} not found")
    wanted = [_as_uuid(d) for d in document_ids]
    documents = await repo.releasable_documents(
        conn, workspace_id, chatbot_id, [d for d in wanted if d is not None]
    )
    if not documents:
        return []
    await repo.record_released(conn, workspace_id, lead_id, documents, thread_id=thread_id)
    links = []
    for doc in documents:
        token, expires_at = signer.sign(
            chatbot_id, lead_id, doc.id, workspace_id=workspace_id, now=now
        )
        links.append(
            DocumentLink(
                document_id=str(doc.id),
                title=doc.title,
                url=signer.link(base_url, token),
                expires_at=rfc3339(expires_at),
            )
        )
    return links


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DownloadFile:
    """An opened download: the byte stream and how to present it."""

    stream: Iterator[bytes]
    filename: str
    content_type: str
    size: int | None

    def __iter__(self) -> Iterator[object]:
        """Unpack as (stream, filename, content_type, size)."""
        return iter((self.stream, self.filename, self.content_type, self.size))


def content_type_for(filename: str, stored: str | None) -> str:
    """Return the media type to serve: by extension first, else the stored one if sane."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    guessed = guessed or {"md": "text/markdown", "markdown": "text/markdown"}.get(extension)
    if guessed:
        return guessed
    stored = (stored or "").split(";")[0].strip().lower()
    return stored if _SAFE_TYPE.match(stored) else "application/octet-stream"


async def open_download(
    conn: Conn,
    files: FileStore,
    signer: LinkSigner,
    token: str,
    *,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> DownloadFile:
    """Verify a link, log the download and open the file.

    Raises LinkExpired (410), LinkInvalid (403) when the link is forged or its lead or
    release is gone, and NotFound (404) when the document was deleted.
    """
    claims = signer.verify(token, now=now)
    target = await repo.download_target(
        conn, claims.workspace_id, claims.chatbot_id, claims.lead_id, claims.document_id
    )
    if not target.lead_ok or not target.released:
        raise LinkInvalid("this download link is no longer valid")
    if target.document_id is None or not target.file_key or not target.filename:
        raise NotFound("this document is no longer available", code="document_not_found")
    try:
        stream = files.stream(target.file_key)
    except (FileNotFoundError, ValueError):
        raise NotFound("this document is no longer available", code="document_not_found") from None
    await repo.record_download(
        conn,
        claims.workspace_id,
        claims.chatbot_id,
        claims.lead_id,
        claims.document_id,
        ip=ip[:64] if ip else None,
        user_agent=user_agent[:_MAX_USER_AGENT] if user_agent else None,
    )
    return DownloadFile(
        stream=stream,
        filename=target.filename,
        content_type=content_type_for(target.filename, target.content_type),
        size=target.size,
    )
