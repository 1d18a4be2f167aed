"""Run `jol serve` (gunicorn, gevent workers as web/server_conf.py sets them) for a benchmark.

Shared by street.py, vs_valhalla.py and load.py so all three measure the same
production server the same way: started through this interpreter (no PATH
needed), in its own process group (stopping it stops its workers too), with its
output in a log under the cache folder, and only used once /api/v1/health answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from jol import settings

START_TIMEOUT_S = 600.0  # with no compiled graph yet, `jol serve` builds it first (~15-60 s)
STOP_TIMEOUT_S = 30.0
_POLL_S = 0.2


@dataclass(frozen=True)
class JolServer:
    """A running server: its base URL, the gunicorn master's pid and the log file."""

    base: str
    pid: int
    log: Path

    def worker_count(self) -> int:
        """Workers gunicorn has booted so far (from its log)."""
        return self.log.read_text(errors="replace").count("Booting worker")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jol serve exited with {proc.returncode}; see {log}")
        try:
            if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(_POLL_S)
    raise RuntimeError(f"jol serve not healthy after {START_TIMEOUT_S:.0f} s; see {log}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the master's group (graceful), SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def jol_server(
    graph_dir: Path | None, name: str = "server", env: dict[str, str] | None = None
) -> Iterator[JolServer]:
    """Serve `graph_dir` (None: the default Almaty data) on a free loopback port for the block.

    `env` adds environment variables for the server (e.g. JOL_RATE_LIMITS).
    """
    port = _free_port()
    log = settings.cache_dir() / "bench" / f"{name}-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if graph_dir is not None:
        command += ["--graph", str(graph_dir)]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=settings.REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, proc, log)
        yield JolServer(base=base, pid=proc.pid, log=log)
    finally:
        _stop(proc)
