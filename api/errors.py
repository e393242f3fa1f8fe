"""Map every error to one body shape: {"code", "message", "details"}."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from signpost.errors import AppError, RateLimited

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Return the one error body shape."""
    return {"code": code, "message": message, "details": details}


def _response(
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    request: Request[Any, Any, Any] | None = None,
) -> Response:
    headers = dict(headers or {})
    origin = getattr(request.state, "cors_origin", None) if request is not None else None
    if origin:
        # An allowed widget origin must be able to read the error (e.g. 429, 422).
        headers |= {
            "Access-Control-Allow-Origin": origin,
            "Vary": "Origin",
            "Access-Control-Expose-Headers": "Retry-After",
        }
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def app_error_handler(request: Request, exc: AppError) -> Response:
    """Render a service error."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return _response(
        exc.status_code, error_body(exc.code, exc.message, exc.details), headers, request
    )


def _validation_details(extra: Any) -> list[dict[str, Any]]:
    details = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            field = item.get("key") or item.get("loc") or ""
            details.append(
                {"field": field, "message": item.get("message", ""), "in": item.get("source")}
            )
    return details


def validation_handler(request: Request, exc: ValidationException) -> Response:
    """Render a request that did not parse or validate: 400 for bad syntax, 422 otherwise."""
    detail = str(exc.detail or "")
    details = _validation_details(exc.extra)
    if details:
        parts = [f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details]
        message = "invalid request — " + "; ".join(parts)
    else:
        message = detail or "invalid request"
    return _response(422, error_body("validation_error", message, details or None), None, request)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    """Render framework HTTP errors (404 route, 405, 413 body size…) in the one shape."""
    status = exc.status_code
    if isinstance(exc.__cause__, SerializationException | msgspec.DecodeError):
        return _response(
            400,
            error_body("invalid_json", f"the body is not valid JSON: {exc.__cause__}"),
            None,
            request,
        )
    if isinstance(exc, NotFoundException):
        message = "not found"
    elif isinstance(exc, NotAuthorizedException):
        message = exc.detail or "unauthorized"
    else:
        message = exc.detail or "error"
    if status == 413:
        message = "the request body is larger than allowed"
    headers = dict(exc.headers or {})
    return _response(
        status, error_body(_HTTP_CODES.get(status, "error"), message), headers, request
    )


def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Log the unexpected and answer a generic 500 (no internals leak)."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        error_body("internal_error", "an unexpected error occurred; it has been logged"),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
