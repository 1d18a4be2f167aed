"""The real `jol serve` (gunicorn) on loopback: slow clients, raw HTTP faults, its log.

The Flask test client cannot show any of this: it has no sockets, no worker
pool and no HTTP parser. So each test talks to one `jol serve` subprocess
(the small Herrenberg graph, two workers as by default) over raw sockets,
with bounded loops that stop by themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest import city_graph_dir

from jol import settings

HOST = "127.0.0.1"
ANSWER_WITHIN_S = 1.0  # the bar: normal requests answered within 1 s
# Two points inside the Herrenberg extract; 200 or a 422 no-route both count as answered.
ROUTE = {
    "from": {"lat": 48.5960, "lon": 8.8700},
    "to": {"lat": 48.6000, "lon": 8.8750},
    "profile": "wheelchair_manual",
}
SECRET_FROM = "48.59613,8.87011"  # a GET route link's origin, must not reach the log


@dataclass(frozen=True)
class Server:
    """A running `jol serve`: its port, its process and the file holding its output."""

    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _serve_command(graph: Path, port: int) -> list[str]:
    serve = [sys.executable, "-m", "cli", "serve", "--graph", str(graph)]
    return [*serve, "--host", HOST, "--port", str(port)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    graph = city_graph_dir("herrenberg")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            _serve_command(graph, port),
            cwd=settings.REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers stop with it
        )
    running = Server(port, proc, log)
    try:
        _wait_healthy(running)
        yield running
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, server.log_text()
        try:
            if requests.get(f"{server.base}/api/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"jol serve not healthy:\n{server.log_text()}")


def _assert_served_promptly(server: Server, rounds: int) -> list[float]:
    """Health and route requests, each on a fresh connection, each answered within 1 s."""
    took = []
    for _ in range(rounds):
        for method, path, body in (
            ("GET", "/api/v1/health", None),
            ("POST", "/api/v1/route", ROUTE),
        ):
            start = time.monotonic()
            answer = requests.request(
                method, server.base + path, json=body, timeout=ANSWER_WITHIN_S
            )
            took.append(time.monotonic() - start)
            assert answer.status_code in (200, 422), answer.text
            assert answer.json()
    assert max(took) < ANSWER_WITHIN_S
    return took


def _read_answer(sock: socket.socket) -> tuple[int, dict, bytes]:
    """The status, headers (lower-case names) and body of one answer."""
    received = b""
    while True:
        part = sock.recv(65536)
        if not part:
            break
        received += part
        head, sep, body = received.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.I) if sep else None
        if length and len(body) >= int(length.group(1)):
            break
    assert received, "connection closed without an answer"
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = _headers(lines[1:])
    return int(lines[0].split()[1]), headers, body


def _raw(server: Server, data: bytes, timeout_s: float = 5.0) -> tuple[int, dict, bytes]:
    """Send raw bytes on a fresh connection and read the answer."""
    with socket.create_connection((HOST, server.port), timeout=timeout_s) as sock:
        sock.sendall(data)
        return _read_answer(sock)


def _headers(lines: list[str]) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in lines)
    return {name.lower(): value for name, value in pairs}


def _assert_error(status: int, headers: dict, body: bytes, expected_status: int) -> dict:
    assert status == expected_status, body
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and error["code"]
    return error


# -- defect 1: slow clients ---------------------------------------------------


def _open(server: Server, count: int) -> list[socket.socket]:
    return [socket.create_connection((HOST, server.port), timeout=5) for _ in range(count)]


@pytest.mark.slow
def test_200_idle_and_half_sent_connections_do_not_stop_service(server: Server) -> None:
    idle = _open(server, 70)
    partial_headers = _open(server, 70)
    partial_bodies = _open(server, 60)
    try:
        for sock in partial_headers:
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nAccept: app")
        for sock in partial_bodies:
            sock.sendall(
                b"POST /api/v1/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"from": {"lat'
            )
        _assert_served_promptly(server, rounds=5)
    finally:
        for sock in idle + partial_headers + partial_bodies:
            sock.close()


@pytest.mark.slow
def test_50_clients_sending_a_byte_a_second_do_not_stop_service(server: Server) -> None:
    heads = [b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"] * 25
    body = json.dumps(ROUTE).encode()
    posts = [
        b"POST /api/v1/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    ] * 25
    # The POSTs send their headers at once and then trickle the body.
    slow = _open(server, 50)
    for sock, head in zip(slow[25:], posts, strict=True):
        sock.sendall(head)
    payloads = heads + [body] * 25
    stop = threading.Event()

    def trickle() -> None:
        position = 0
        while not stop.is_set() and position < 10:  # bounded: at most 10 bytes each
            for sock, payload in zip(slow, payloads, strict=True):
                with contextlib.suppress(OSError):  # the server may close a slow one early
                    sock.sendall(payload[position : position + 1])
            position += 1
            stop.wait(1.0)

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        deadline = time.monotonic() + 3.0  # a few seconds of slow sending is enough
        rounds = 0
        while time.monotonic() < deadline:
            _assert_served_promptly(server, rounds=1)
            rounds += 1
            time.sleep(0.1)
        assert rounds >= 3
    finally:
        stop.set()
        sender.join(timeout=5)
        for sock in slow:
            sock.close()


@pytest.mark.slow
def test_idle_connections_and_unfinished_bodies_are_timed_out(server: Server) -> None:
    """Header and body read timeouts: an idle socket is closed, a stalled body gets a 408."""
    idle, stalled = _open(server, 2)
    with idle, stalled:
        stalled.sendall(b"POST /api/v1/route HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        wait_s = settings.SERVER_BODY_TIMEOUT_S + 5
        idle.settimeout(wait_s)
        start = time.monotonic()
        assert idle.recv(1024) == b""  # closed without a word
        assert time.monotonic() - start < settings.SERVER_HEADER_TIMEOUT_S + 3
        stalled.settimeout(wait_s)
        status, headers, body = _read_answer(stalled)
        error = _assert_error(status, headers, body, 408)
        assert error["code"] == "request_timeout"


# -- defect 6: the server's own errors are JSON; no Host-header redirect -----


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /api/v1/health?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"NOT A REQUEST LINE\r\nHost: x\r\n\r\n", 400),
        (b"POST /api/v1/route HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ],
    ids=["request-line-over-4k", "header-over-8k", "bad-request-line", "content-length-minus-1"],
)
def test_server_refusals_are_json(server: Server, raw: bytes, status: int) -> None:
    _assert_error(*_raw(server, raw), status)


def test_options_is_not_an_html_page(server: Server) -> None:
    status, headers, body = _raw(
        server, b"OPTIONS /api/v1/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    if status == 204:
        assert body == b""
        assert {"GET", "POST"} <= {m.strip() for m in headers["allow"].split(",")}
        assert "content-type" not in headers
    else:
        assert headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["//api/v1/health", "//api/v1/profiles/", "/api//v1/health"])
def test_double_slash_never_redirects_to_the_clients_host(server: Server, path: str) -> None:
    status, headers, _ = _raw(
        server, f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".encode()
    )
    location = headers.get("location", "")
    assert "evil.example" not in location
    if 300 <= status < 400:
        assert location.startswith("/") and not location.startswith("//"), location
    else:
        assert headers["content-type"].startswith("application/json")


# -- defects 4 and 2: chunked bodies ------------------------------------------


def _chunked_post(body: bytes, size_line: bytes | None = None) -> bytes:
    size = size_line if size_line is not None else f"{len(body):x}".encode()
    return (
        b"POST /api/v1/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + size
        + b"\r\n"
        + body
        + b"\r\n0\r\n\r\n"
    )


def test_chunked_body_over_the_limit_is_413(server: Server) -> None:
    padding = "x" * (settings.MAX_REQUEST_BYTES + 1024)
    body = json.dumps({**ROUTE, "padding": padding}).encode()
    error = _assert_error(*_raw(server, _chunked_post(body)), 413)
    assert error["code"] == "request_too_large"
    assert error["details"]["max_bytes"] == settings.MAX_REQUEST_BYTES


def test_chunked_body_within_the_limit_is_routed(server: Server) -> None:
    status, _, body = _raw(server, _chunked_post(json.dumps(ROUTE).encode()))
    assert status in (200, 422), body
    assert "routes" in json.loads(body) or json.loads(body)["error"]["code"]


def test_invalid_chunk_size_is_400(server: Server) -> None:
    raw = _chunked_post(json.dumps(ROUTE).encode(), size_line=b"zz")
    _assert_error(*_raw(server, raw), 400)


# -- defect 8: privacy of the access log ---------------------------------------


def test_access_log_holds_no_coordinates_or_profile(server: Server) -> None:
    link = f"/api/v1/route?from={SECRET_FROM}&to=48.60021,8.87533&profile=wheelchair_manual"
    answer = requests.get(server.base + link, timeout=5)
    assert answer.status_code in (200, 422)
    deadline = time.monotonic() + 5
    while "GET /api/v1/route" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log_text()
    assert "GET /api/v1/route" in log  # the request is logged: path, status, time
    for secret in (SECRET_FROM, "48.59613", "wheelchair_manual", "from=", "?"):
        assert secret not in log.split("GET /api/v1/route", 1)[1].splitlines()[0]
    assert SECRET_FROM not in log and "wheelchair_manual" not in log


# -- defect 9 and issue 9: control socket, busy port ---------------------------


def test_control_socket_is_private_to_the_instance(server: Server) -> None:
    match = re.search(r"Control socket listening at (\S+)", server.log_text())
    if match is None:
        return  # no control socket at all: nothing shared either
    path = Path(match.group(1))
    shared_defaults = {
        Path(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent")) / "gunicorn.ctl",
        Path.home() / ".gunicorn" / "gunicorn.ctl",
    }
    assert path not in shared_defaults
    assert path.exists()


def test_serve_on_a_busy_port_says_so_once(server: Server) -> None:
    graph = city_graph_dir("herrenberg")
    done = subprocess.run(
        _serve_command(graph, server.port),
        cwd=settings.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"jol: port {server.port} is already in use"]
