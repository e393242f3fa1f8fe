"""One exception hierarchy for the whole service; the API maps it to HTTP once."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ClientError(AppError):
    """The request was wrong; the message says how."""

    status_code = 400
    code = "bad_request"


class Unauthorized(ClientError):
    """Missing or invalid credentials."""

    status_code = 401
    code = "unauthorized"


class Forbidden(ClientError):
    """Credentials fine, but this is not allowed."""

    status_code = 403
    code = "forbidden"


class NotFound(ClientError):
    """The resource does not exist in this workspace."""

    status_code = 404
    code = "not_found"


class Conflict(ClientError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"


class Gone(ClientError):
    """The resource existed but has expired."""

    status_code = 410
    code = "gone"


class PayloadTooLarge(ClientError):
    """The body or file is above the configured limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ClientError):
    """The file type is not accepted here."""

    status_code = 415
    code = "unsupported_media_type"


class ValidationFailed(ClientError):
    """The body parsed but its values are not acceptable."""

    status_code = 422
    code = "validation_error"


class RateLimited(ClientError):
    """Too many requests; retry after `retry_after` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class Unavailable(AppError):
    """A dependency (database, model endpoint) is not reachable."""

    status_code = 503
    code = "unavailable"
