"""One JSON error shape for every error: ``{"error": {"code": ..., "message": ..., "details": ...}}``.

Raise an ApiError subclass anywhere in a request; the handler registered by ``init_app`` renders it. Werkzeug's
own HTTP errors (404, 405, 413...) and unexpected exceptions are rendered in the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(ApiError):
    status, code = 422, "validation_failed"


class TooManyRequests(ApiError):
    status, code = 429, "too_many_requests"


class ServiceUnavailable(ApiError):
    status, code = 503, "store_unavailable"


def _code_for(status: int, fallback: str) -> str:
    for cls in ApiError.__subclasses__():
        if cls.status == status:
            return cls.code
    return fallback


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def unexpected_error(e: Exception) -> ApiError:
    """What an exception no handler expected becomes: 503 with Retry-After when a store is down, else 500 (logged)."""
    from statusmon.meta.db import MetaUnavailable
    from statusmon.store.base import StoreUnavailable

    if isinstance(e, StoreUnavailable):
        log.warning("store unavailable: %s", e)
        return ServiceUnavailable("The time-series store is unavailable", headers={"Retry-After": "5"})
    if isinstance(e, MetaUnavailable):  # PostgreSQL down (statusmon.meta.pg)
        log.warning("metadata unavailable: %s", e)
        meta = ServiceUnavailable("The metadata database is unavailable", headers={"Retry-After": "5"})
        meta.code = "metadata_unavailable"
        return meta
    log.error("unhandled error", exc_info=e)
    err = ApiError("Internal server error")
    err.status, err.code = 500, "internal_error"
    return err


def http_error(e: HTTPException) -> ApiError:
    """Werkzeug's own HTTP errors (404, 405, 413, a client gone mid-body...) in the one error shape."""
    code = _code_for(e.code or 500, (e.name or "error").lower().replace(" ", "_"))
    headers = {}
    if e.code == 405 and e.response is None:
        headers = {"Allow": ", ".join(getattr(e, "valid_methods", None) or [])}
    err = ApiError(e.description or e.name, headers=headers)
    err.status, err.code = e.code or 500, code
    return err


def as_api_error(e: Exception) -> ApiError:
    """Any exception a request raised, as the one error shape renders it (what the handlers below do by type)."""
    if isinstance(e, ApiError):
        return e
    if isinstance(e, HTTPException):
        return http_error(e)
    return unexpected_error(e)


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    resp = jsonify(error_body(code, message, details))
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(e: ApiError) -> Response:
        return error_response(e.status, e.code, e.message, e.details, e.headers)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        err = http_error(e)
        return error_response(err.status, err.code, err.message, err.details, err.headers)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Response:
        err = unexpected_error(e)
        return error_response(err.status, err.code, err.message, err.details, err.headers)
