"""gunicorn configuration for `jol serve`: every server setting in one module.

`jol serve` runs `gunicorn --config python:web.server_conf` and adds only
--bind and --workers from its own flags; the values come from jol/settings.py.
Why these: gevent workers hold a slow or idle client as a greenlet rather than
a whole worker (sync workers let two idle sockets stop the service), the
header and body timeouts then drop such clients, and the access log leaves out
query strings (a route link's query is a person's location and disability).
docs/deploy.md describes the reverse proxy a deployment adds in front.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jol import settings


def _runtime_dir() -> Path:
    """A private folder for this server instance's control socket and pid file.

    gunicorn's default control socket ($XDG_RUNTIME_DIR/gunicorn.ctl) is shared by
    every gunicorn of the user, so a second `jol serve` would take over the first
    one's. `JOL_RUNTIME_DIR` names the folder; otherwise a fresh one is made and
    removed again when the server exits.
    """
    named = os.environ.get("JOL_RUNTIME_DIR")
    if named:
        path = Path(named)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="jol-serve-"))


_RUNTIME = _runtime_dir()

worker_class = settings.SERVER_WORKER_CLASS
worker_connections = settings.SERVER_WORKER_CONNECTIONS
# gunicorn's async workers wait at most `keepalive` seconds for a request line
# and headers, on a fresh connection as on a kept-alive one.
keepalive = settings.SERVER_HEADER_TIMEOUT_S
timeout = settings.SERVER_WORKER_TIMEOUT_S
graceful_timeout = settings.SERVER_GRACEFUL_TIMEOUT_S
limit_request_line = settings.SERVER_MAX_REQUEST_LINE_BYTES
limit_request_field_size = settings.SERVER_MAX_HEADER_BYTES
limit_request_fields = settings.SERVER_MAX_HEADER_FIELDS
preload_app = True  # load the graph once in the master; workers share its pages

control_socket = str(_RUNTIME / "gunicorn.ctl")
pidfile = str(_RUNTIME / "gunicorn.pid")

accesslog = "-"
if settings.access_log_full():
    access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
else:
    # Method, path without its query, status, bytes and milliseconds only.
    access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def on_starting(server: Any) -> None:
    """Say where this instance's control socket is (for `gunicornc`)."""
    server.log.info("control socket and pid file in %s", _RUNTIME)


def on_exit(server: Any) -> None:
    """Remove the runtime folder this instance made for itself."""
    if not os.environ.get("JOL_RUNTIME_DIR"):
        shutil.rmtree(_RUNTIME, ignore_errors=True)
