"""What the HTTP server leaves to the application: whole bodies, OPTIONS and redirects.

- The request body is read here, before Flask, in full and within
  settings.SERVER_BODY_TIMEOUT_S: a chunked body (no Content-Length) longer than
  MAX_REQUEST_BYTES is a 413, not a silently cut document that then fails as
  malformed JSON; a broken chunk is a 400; a body that trickles in is a 408.
  Every one in the common error format.
- OPTIONS is answered 204 with `Allow`, not an empty `text/html` 200.
- A redirect never names a host: Werkzeug builds `Location` from the client's
  own `Host` header (`//api/v1/health` with `Host: evil.example` went to
  `http://evil.example/...`), so Location is cut to a path on this server.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from jol import settings

_CHUNK_BYTES = 16 * 1024
_BODY_METHODS_WITHOUT_LENGTH = ("POST", "PUT", "PATCH")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _BodyTimeout(Exception):
    """The client did not finish sending its body in time."""


def install(app: Flask) -> None:
    """Put the guard in front of `app` and its OPTIONS/redirect fixes behind it."""
    app.url_map.merge_slashes = False  # `//x` is not `/x`; rules added from here on
    limit = app.config.get("MAX_CONTENT_LENGTH") or settings.MAX_REQUEST_BYTES
    app.wsgi_app = BodyGuard(app.wsgi_app, limit_bytes=limit)  # type: ignore[method-assign]

    @app.after_request
    def _no_host_in_redirects(response: Response) -> Response:
        location = response.headers.get("Location")
        if location:
            response.headers["Location"] = _relative(location)
        if request.method == "OPTIONS" and response.status_code == 200 and not response.data:
            response.status_code = 204
            response.headers.pop("Content-Type", None)
        return response


def _relative(location: str) -> str:
    parts = urlsplit(location)
    path = "/" + parts.path.lstrip("/")  # never `//host`, which browsers read as another host
    return path + (f"?{parts.query}" if parts.query else "")


class BodyGuard:
    """WSGI middleware: the body is read whole (bounded in size and time) or refused."""

    def __init__(self, app: WsgiApp, *, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length_text = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and not length_text:
            return self.app(environ, start_response)
        if length_text.isdigit() and int(length_text) > self.limit_bytes:
            return self._too_large(start_response)
        if not length_text.isdigit() and not chunked:
            return _error(start_response, 400, "invalid_request", "invalid Content-Length")
        try:
            with _deadline(settings.SERVER_BODY_TIMEOUT_S):
                body = self._read(environ["wsgi.input"], None if chunked else int(length_text))
        except _BodyTimeout:
            return _error(
                start_response,
                408,
                "request_timeout",
                "request body not received in time",
                {"timeout_s": settings.SERVER_BODY_TIMEOUT_S},
            )
        except Exception:  # the server's parser refused the stream (a broken chunk)
            return _error(start_response, 400, "invalid_request", "malformed request body")
        if body is None:
            return self._too_large(start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores a length beside it
        return self.app(environ, start_response)

    def _read(self, stream: Any, length: int | None) -> bytes | None:
        """The whole body, or None if it is longer than the limit."""
        want = self.limit_bytes + 1 if length is None else length
        parts: list[bytes] = []
        got = 0
        while got < want:
            part = stream.read(min(_CHUNK_BYTES, want - got))
            if not part:
                break
            parts.append(part)
            got += len(part)
        return None if got > self.limit_bytes else b"".join(parts)

    def _too_large(self, start_response: Callable[..., Any]) -> list[bytes]:
        return _error(
            start_response,
            413,
            "request_too_large",
            f"request body over {self.limit_bytes} bytes",
            {"max_bytes": self.limit_bytes},
        )


def _error(
    start_response: Callable[..., Any],
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> list[bytes]:
    reasons = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large"}
    body = json.dumps({"error": {"code": code, "message": message, "details": details or {}}})
    start_response(
        f"{status} {reasons[status]}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [body.encode()]


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _BodyTimeout after `seconds` where the server is gevent's (cooperative reads).

    Elsewhere (Flask's test client, a threaded server) reads cannot be
    interrupted from here; the server's own timeouts apply.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("socket"):
        yield
        return
    from gevent import Timeout

    with Timeout(seconds, _BodyTimeout):
        yield
