"""One error format for every answer Jol's web service gives.

Every failure, from a malformed request to an unexpected exception, is
answered as `{"error": {"code", "message", "details"}}` with a matching HTTP
status, so clients never have to parse an HTML error page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from routing.errors import RoutingError

_log = logging.getLogger(__name__)

# Werkzeug's HTTP errors mapped to stable machine-readable codes.
HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


# The HTTP status of each routing error code (routing.errors.ERROR_KINDS lists them).
ROUTING_STATUS = {
    "invalid_request": 400,
    "unknown_profile": 400,
    "invalid_override": 400,
    "outside_area": 422,
    "no_accessible_route": 422,
    "outside_service_dates": 422,
    "no_kerbside": 422,
    "no_drive_route": 422,
    "request_too_large": 413,
    "artifact_invalid": 503,
}


def routing_status(error: RoutingError) -> int:
    """The HTTP status a RoutingError is answered with (400 for a code not listed)."""
    return ROUTING_STATUS.get(error.code, 400)


class ApiError(Exception):
    """A request the web layer refuses before routing is asked anything."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_request",
        http_status: int = 400,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details or {}
        self.headers = headers or {}  # e.g. Retry-After on a 429


def invalid(field: str, message: str, **details: Any) -> ApiError:
    """A 400 `invalid_request` naming the offending request field."""
    return ApiError(f"{field}: {message}", details={"field": field, **details})


def error_response(
    code: str, message: str, status: int, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    """The JSON body and status every error handler returns."""
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status


def register_error_handlers(app: Flask) -> None:
    """Install handlers so no path, method or exception yields an HTML page."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[Response, int]:
        response, status = error_response(exc.code, exc.message, exc.http_status, exc.details)
        response.headers.update(exc.headers)
        return response, status

    @app.errorhandler(RoutingError)
    def _routing_error(exc: RoutingError) -> tuple[Response, int]:
        return error_response(exc.code, exc.message, routing_status(exc), exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        code = HTTP_CODES.get(status, "http_error")
        details: dict[str, Any] = {}
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:
            details["allowed"] = sorted(allowed)
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            details["max_bytes"] = limit
        response, status = error_response(code, exc.description or exc.name, status, details)
        if status == 405 and "allowed" in details:
            response.headers["Allow"] = ", ".join(details["allowed"])
        return response, status

    @app.errorhandler(OverflowError)
    @app.errorhandler(RecursionError)
    def _input_too_big(exc: Exception) -> tuple[Response, int]:
        # Last resort: params.parse_json and the number checks refuse these inputs
        # first; an API request that still overflows a float or the parser's stack
        # carried a number or nesting no valid request has.
        if not request.path.startswith("/api/"):
            return _unexpected(exc)
        _log.warning("refused an API request: %s: %s", type(exc).__name__, exc)
        return error_response(
            "invalid_request", "A number or nesting in the request is too large.", 400
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        # Logged in full for operators; clients get no stack trace or internals.
        _log.exception("unhandled error")
        return error_response("internal_error", "Internal server error.", 500)
