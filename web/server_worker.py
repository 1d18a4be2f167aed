"""gunicorn's gevent worker, with its own refusals answered in Jol's JSON error format.

gunicorn answers a request it cannot parse (request line over the limit, a
header too large, `Content-Length: -1`, a broken chunk) itself, before Flask
sees it, with an HTML page. Jol's clients are promised
`{"error": {"code", "message", "details"}}` for every error, so this worker
writes that instead. It logs the kind of fault only, never the request line
(which may hold a person's coordinates).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.ggevent import GeventWorker

# (status, reason phrase, code, message) per kind of malformed request; first match wins.
_REFUSALS: tuple[tuple[type[Exception], int, str, str, str], ...] = (
    (errors.InvalidResponseHeader, 500, "Internal Server Error", "internal_error", ""),
    (errors.InvalidResponseHeaderName, 500, "Internal Server Error", "internal_error", ""),
    (errors.LimitRequestLine, 414, "URI Too Long", "uri_too_long", "request line too long"),
    (
        errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        "request headers too large or too many",
    ),
    (
        errors.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "not_implemented",
        "unsupported transfer coding",
    ),
    (errors.ExpectationFailed, 417, "Expectation Failed", "invalid_request", "unmet Expect"),
    (errors.ForbiddenProxyRequest, 403, "Forbidden", "forbidden", "proxy request forbidden"),
    (errors.ConfigurationProblem, 500, "Internal Server Error", "internal_error", ""),
    (errors.ParseException, 400, "Bad Request", "invalid_request", "malformed HTTP request"),
    (Exception, 500, "Internal Server Error", "internal_error", ""),
)


def error_bytes(status: int, reason: str, code: str, message: str, details: dict) -> bytes:
    """A complete HTTP/1.1 error answer in Jol's format; the connection closes after it."""
    body = json.dumps({"error": {"code": code, "message": message, "details": details}})
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + body.encode()


def _refusal(exc: BaseException) -> tuple[int, str, str, str, dict] | None:
    if isinstance(exc, ssl.SSLError):
        return None
    for kind, status, reason, code, message in _REFUSALS:
        if isinstance(exc, kind):
            # The exception's own text would echo the request back; name its kind instead.
            details = {"reason": type(exc).__name__} if status < 500 else {}
            return status, reason, code, message or "Internal server error.", details
    return None


class JolGeventWorker(GeventWorker):
    """Many connections per process (greenlets), JSON for every error gunicorn writes itself."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        refusal = _refusal(exc)
        if refusal is None:
            super().handle_error(req, client, addr, exc)  # TLS faults: gunicorn's own answer
            return
        status, reason, code, message, details = refusal
        if status >= 500:
            self.log.exception("error handling a request")
        else:
            self.log.warning("refused a malformed request: %s %s", status, type(exc).__name__)
        try:
            util.write_nonblock(client, error_bytes(status, reason, code, message, details))
        except Exception:  # the client is gone; nothing to tell it
            self.log.debug("could not send the error answer")
