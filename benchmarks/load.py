"""Load test: `jol serve` (gunicorn, default workers) on the Almaty graph, over loopback.

    python benchmarks/load.py                 # 3 runs of 60 s, 4 client threads
    python benchmarks/load.py --seconds 10 --threads 8 --max-requests 2000
    python benchmarks/load.py --runs clean    # the normal mix alone

Starts `python -m cli serve` on a free 127.0.0.1 port as a subprocess, waits
for GET /api/v1/health, then sends a fixed, seeded mix of requests from this
process with a bounded number of client threads until `--seconds` pass or
`--max-requests` have been sent, and stops the server:

* POST /api/v1/route (70 %): several profiles, between two points of the
  largest walkable component of the compiled graph (the built-up area), each
  nudged up to ~30 m, 300 m - 4 km apart as the crow flies; half of them with
  a departure time, by day or after dark;
* GET /api/v1/places?q=... (20 %): a fixed list of ru/kk/en names;
* GET /api/v1/profiles (10 %).

The same mix is sent in up to three runs against one server, so each is judged
against a clean run of the same invocation on the same machine:

* `clean`: the mix alone;
* `slow`: beside it, 200 idle and half-sent connections (no bytes, half a
  header, half a body; reopened whenever the server drops one) and 50 that
  send one byte a second, as an attacker or a bad network would;
* `streets`: beside it, 4 clients looping on `/api/v1/streets` with a
  city-wide bbox and limit=10000 (the heaviest answer Jol gives).

Each run prints its table; the end compares route p50 and p99 across runs.

Plan and matrix endpoints are looked up in the served /openapi.json; absent
ones are reported, not faked. With `--taxi SHARE` that share of requests goes to
the Invataxi endpoints (estimate 50 %, a 50 x 50 matrix 30 %, assign 15 %, a
10-booking plan 5 %) with a dispatcher key made for the run (`JOL_API_KEYS`).
Request i is drawn from an RNG seeded with (seed, i), so the mix is the same
whichever thread sends it.

Prints throughput (requests/s over the measured window), p50/p99 latency in
milliseconds per endpoint and overall, and counts. Errors (of the normal mix
only; the abusers' answers are counted apart) are any 5xx, a
connection error or timeout, or a 4xx other than the route's documented 422
answers, which are valid and counted apart: `no_accessible_route` and
`outside_area` (a jittered point can land over 500 m from any way at the edge
of the extract). Exits 1 if any error.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import secrets
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __package__ in (None, ""):  # run as a script from a checkout without `pip install -e`
    sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from _jol_server import jol_server

from jol import settings

HTTP_TIMEOUT_S = 30.0
EARTH_RADIUS_M = 6_371_000.0
JITTER_DEG = 0.0003  # ~30 m: points near, not exactly on, graph nodes
MIN_PAIR_M, MAX_PAIR_M = 300.0, 4000.0
ROUTE_PROFILES = (
    "default",
    "low_vision",
    "wheelchair_manual",
    "wheelchair_electric",
    "pram",
    "blind",
    "elderly",
)
DEPART_SHARE = 0.5  # route requests that carry a departure time
PLACE_QUERIES = ("Абая", "аптека", "школа", "парк", "Достык", "Dostyk", "Tole bi", "больница")
# Cumulative shares of the mix: route, then places, then profiles.
MIX = (("route", 0.7), ("places", 0.9), ("profiles", 1.0))
MISSING_ENDPOINTS = ("plan", "matrix")
RUNS = ("clean", "slow", "streets")
# Slow clients: connections of each kind held open during the `slow` run.
SLOW_IDLE, SLOW_HALF_HEADERS, SLOW_HALF_BODIES, SLOW_TRICKLING = 70, 70, 60, 50
SLOW_TICK_S = 1.0  # the trickling ones send one byte per tick
HALF_HEADERS = b"GET /api/v1/health HTTP/1.1\r\nHost: load\r\nAccept: app"
HALF_BODY = (
    b"POST /api/v1/route HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\n"
    b'Content-Length: 1000\r\n\r\n{"from": {"lat'
)
TRICKLE = b"GET /api/v1/health HTTP/1.1\r\nHost: load\r\nX-Slow: " + b"a" * 4000
# Streets abusers: the largest bbox and limit the API accepts, in a loop.
STREETS_ABUSERS = 4
# The heaviest streets request the API accepts (a larger limit is refused with a cheap 400).
STREETS_ABUSE_PATH = f"/api/v1/streets?bbox=76.7,43.0,77.2,43.5&limit={settings.STREETS_MAX_LIMIT}"
# Invataxi mix (--taxi): cumulative shares within the taxi part.
TAXI_MIX = (("taxi_estimate", 0.5), ("taxi_matrix", 0.8), ("taxi_assign", 0.95), ("taxi_plan", 1.0))
TAXI_KEY_HEADER = "X-API-Key"


@dataclass
class Tally:
    """Latencies (ms) and outcome counts of one endpoint; guarded by the caller's lock."""

    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    no_route: int = 0
    outside: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


# --- request mix -------------------------------------------------------------------


def _nodes(graph_dir: Path) -> np.ndarray:
    """(lat, lon) degrees of the nodes of the graph's largest component."""
    with np.load(graph_dir / "street.npz") as npz:
        main = npz["node_component"] == 0
        return np.column_stack((npz["node_lat"][main], npz["node_lon"][main]))


def _distance_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equirectangular distance in metres between (lat, lon) rows; fine at city scale."""
    lat0 = np.radians((a[..., 0] + b[..., 0]) / 2)
    dy = np.radians(b[..., 0] - a[..., 0])
    dx = np.radians(b[..., 1] - a[..., 1]) * np.cos(lat0)
    return EARTH_RADIUS_M * np.hypot(dx, dy)


def _route_body(rng: np.random.Generator, nodes: np.ndarray) -> dict[str, Any]:
    """A route request between two jittered nodes 300 m - 4 km apart (bounded retries)."""
    origin = nodes[rng.integers(len(nodes))]
    for _ in range(50):
        destination = nodes[rng.integers(len(nodes))]
        if MIN_PAIR_M <= _distance_m(origin, destination) <= MAX_PAIR_M:
            break
    a, b = origin + rng.uniform(-JITTER_DEG, JITTER_DEG, 2), destination
    b = b + rng.uniform(-JITTER_DEG, JITTER_DEG, 2)
    body = {
        "from": {"lat": round(float(a[0]), 6), "lon": round(float(a[1]), 6)},
        "to": {"lat": round(float(b[0]), 6), "lon": round(float(b[1]), 6)},
        "profile": ROUTE_PROFILES[int(rng.integers(len(ROUTE_PROFILES)))],
    }
    if rng.random() < DEPART_SHARE:  # some by day, some after dark: both lighting paths
        month, hour, minute = rng.integers(1, 13), rng.integers(0, 24), rng.integers(0, 60)
        body["depart_at"] = f"2026-{month:02d}-15T{hour:02d}:{minute:02d}"
    return body


def _spot(rng: np.random.Generator, nodes: np.ndarray) -> dict[str, float]:
    lat, lon = nodes[int(rng.integers(len(nodes)))] + rng.uniform(-JITTER_DEG, JITTER_DEG, 2)
    return {"lat": round(float(lat), 6), "lon": round(float(lon), 6)}


def gear(i: int) -> list[str]:
    """Every third vehicle or booking has (needs) a lift, the rest a ramp."""
    return ["lift"] if i % 3 == 0 else ["ramp"]


def _taxi_request(kind: str, rng: np.random.Generator, nodes: np.ndarray) -> dict[str, Any]:
    """A body for one Invataxi endpoint, from jittered walkable nodes."""
    fleet = [{"id": f"v{i}", **_spot(rng, nodes), "equipment": gear(i)} for i in range(5)]
    if kind == "taxi_estimate":
        return {"pickup": _spot(rng, nodes), "dropoff": _spot(rng, nodes), "vehicles": fleet}
    if kind == "taxi_matrix":
        return {"locations": [_spot(rng, nodes) for _ in range(50)], "annotations": ["duration"]}
    if kind == "taxi_assign":
        asks = [{"id": i, "pickup": _spot(rng, nodes), "equipment": gear(i)} for i in range(3)]
        return {"vehicles": fleet, "requests": asks}
    shift = [8 * 3600, 18 * 3600]
    vehicles = [{"id": f"v{i}", "start": _spot(rng, nodes), "shift": shift, "capacity": 2,
                 "equipment": gear(i)} for i in range(3)]  # fmt: skip
    bookings = []
    for i in range(10):
        start = int(rng.integers(9 * 3600, 16 * 3600))
        bookings.append({"id": i, "pickup": _spot(rng, nodes), "dropoff": _spot(rng, nodes),
                         "window": [start, start + 1800], "equipment": gear(i + 1)})  # fmt: skip
    return {"vehicles": vehicles, "bookings": bookings}


def request_for(
    index: int, seed: int, nodes: np.ndarray, taxi_share: float = 0.0
) -> tuple[str, str, str, Any]:
    """(endpoint, method, path, JSON body or None) of request number `index`."""
    rng = np.random.default_rng([seed, index])
    draw = rng.random()
    if draw < taxi_share:
        kind = next(name for name, upto in TAXI_MIX if draw / taxi_share < upto)
        path = "/api/v1/taxi/" + kind.removeprefix("taxi_")
        return kind, "POST", path, _taxi_request(kind, rng, nodes)
    draw = (draw - taxi_share) / (1 - taxi_share)
    kind = next(name for name, upto in MIX if draw < upto)
    if kind == "route":
        return kind, "POST", "/api/v1/route", _route_body(rng, nodes)
    if kind == "places":
        q = PLACE_QUERIES[int(rng.integers(len(PLACE_QUERIES)))]
        return kind, "GET", "/api/v1/places?" + requests.compat.urlencode({"q": q}), None
    return kind, "GET", "/api/v1/profiles", None


# --- server ----------------------------------------------------------------------


def missing_endpoints(base: str) -> dict[str, list[str]]:
    """For each of plan and matrix, the served paths that mention it (empty = absent)."""
    paths = requests.get(f"{base}/openapi.json", timeout=HTTP_TIMEOUT_S).json()["paths"]
    return {name: [p for p in paths if name in p.lower()] for name in MISSING_ENDPOINTS}


# --- load ------------------------------------------------------------------------


def _classify(kind: str, response: requests.Response) -> str:
    """'ok', 'no_route', 'outside' or 'error' for one answer."""
    if response.status_code == 200:
        return "ok"
    if (kind == "route" or kind.startswith("taxi_")) and response.status_code == 422:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return "error"
        outcomes = {"no_accessible_route": "no_route", "no_kerbside": "no_route"}
        return (outcomes | {"outside_area": "outside"}).get(code, "error")
    return "error"


def _record(tally: Tally, outcome: str, elapsed_ms: float, sample: str) -> None:
    tally.latencies_ms.append(elapsed_ms)
    if outcome == "ok":
        tally.ok += 1
    elif outcome == "no_route":
        tally.no_route += 1
    elif outcome == "outside":
        tally.outside += 1
    else:
        tally.errors += 1
        if len(tally.error_samples) < 5:
            tally.error_samples.append(sample)


def _send(session: requests.Session, base: str, method: str, path: str, body: Any):
    if method == "POST":
        key = os.environ.get("JOL_LOAD_TAXI_KEY", "") if "/taxi/" in path else ""
        headers = {TAXI_KEY_HEADER: key} if key else None
        return session.post(base + path, json=body, timeout=HTTP_TIMEOUT_S, headers=headers)
    return session.get(base + path, timeout=HTTP_TIMEOUT_S)


def _client(
    base: str,
    nodes: np.ndarray,
    seed: int,
    counter: Iterator[int],
    stop_at: float,
    max_requests: int,
    tallies: dict[str, Tally],
    lock: threading.Lock,
    taxi_share: float = 0.0,
) -> None:
    """One client thread: takes request numbers until the deadline or the request cap."""
    session = requests.Session()
    while time.monotonic() < stop_at:
        with lock:
            index = next(counter)
        if index >= max_requests:
            return
        kind, method, path, body = request_for(index, seed, nodes, taxi_share)
        started = time.perf_counter()
        try:
            response = _send(session, base, method, path, body)
            outcome, sample = _classify(kind, response), f"{response.status_code} {path}: "
            sample += response.text[:200]
        except requests.RequestException as exc:
            outcome, sample = "error", f"{type(exc).__name__} {path}: {exc}"[:300]
        elapsed_ms = (time.perf_counter() - started) * 1000
        with lock:
            _record(tallies[kind], outcome, elapsed_ms, sample)


def run_load(
    base: str,
    nodes: np.ndarray,
    seconds: float,
    threads: int,
    max_requests: int,
    seed: int,
    taxi_share: float = 0.0,
) -> tuple[dict[str, Tally], float]:
    """Drive the server; returns per-endpoint tallies and the measured wall time (s)."""
    kinds = [name for name, _ in MIX] + ([name for name, _ in TAXI_MIX] if taxi_share else [])
    tallies = {name: Tally() for name in kinds}
    lock, counter = threading.Lock(), itertools.count()
    started = time.monotonic()
    args = (base, nodes, seed, counter, started + seconds, max_requests, tallies, lock, taxi_share)
    pool = [threading.Thread(target=_client, args=args, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        # Each thread stops taking work at the deadline; one request may still be in flight.
        thread.join(timeout=seconds + HTTP_TIMEOUT_S + 5)
    return tallies, time.monotonic() - started


# --- abusers ---------------------------------------------------------------------


@dataclass
class AbuseTally:
    """What the abusers did: connections opened (dropped ones are reopened) or answers got."""

    opened: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def _connect(port: int, first: bytes) -> socket.socket | None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        if first:
            sock.sendall(first)
        sock.setblocking(False)
        return sock
    except OSError:
        return None


def _dropped(sock: socket.socket) -> bool:
    """Whether the server closed (or answered, e.g. a 408) this connection."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        sock.recv(4096)
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def _still_open(sock: socket.socket, trickle_from: int | None) -> bool:
    """Send a trickling connection its next byte; False once the server has dropped it."""
    if _dropped(sock):
        return False
    if trickle_from is None:
        return True
    at = trickle_from % len(TRICKLE)
    try:
        sock.send(TRICKLE[at : at + 1])
    except OSError:
        return False
    return True


def slow_clients(port: int, stop: threading.Event, tally: AbuseTally) -> None:
    """Hold idle, half-sent and one-byte-a-second connections open until `stop`."""
    firsts = (
        [b""] * SLOW_IDLE
        + [HALF_HEADERS] * SLOW_HALF_HEADERS
        + [HALF_BODY] * SLOW_HALF_BODIES
        + [b""] * SLOW_TRICKLING
    )
    first_trickling = len(firsts) - SLOW_TRICKLING
    socks: list[socket.socket | None] = [None] * len(firsts)
    sent = [0] * len(firsts)
    while not stop.is_set():
        for slot, first in enumerate(firsts):
            sock = socks[slot]
            trickle_from = sent[slot] if slot >= first_trickling else None
            if sock is not None and not _still_open(sock, trickle_from):
                sock.close()
                sock = None
            if sock is None:
                sock, sent[slot] = _connect(port, first), 0
                tally.opened += sock is not None
            elif trickle_from is not None:
                sent[slot] += 1
            socks[slot] = sock
        stop.wait(SLOW_TICK_S)
    for sock in socks:
        if sock is not None:
            sock.close()


def streets_abuser(base: str, stop: threading.Event, tally: AbuseTally, lock: threading.Lock):
    """Loop on the heaviest streets request until `stop`; count the answers by status."""
    session = requests.Session()
    while not stop.is_set():
        try:
            status = str(session.get(base + STREETS_ABUSE_PATH, timeout=HTTP_TIMEOUT_S).status_code)
        except requests.RequestException as exc:
            status = type(exc).__name__
        with lock:
            tally.statuses[status] = tally.statuses.get(status, 0) + 1


def _start_abusers(run: str, base: str, port: int, stop: threading.Event, tally: AbuseTally):
    lock = threading.Lock()
    if run == "slow":
        threads = [threading.Thread(target=slow_clients, args=(port, stop, tally), daemon=True)]
    elif run == "streets":
        args = (base, stop, tally, lock)
        threads = [
            threading.Thread(target=streets_abuser, args=args, daemon=True)
            for _ in range(STREETS_ABUSERS)
        ]
    else:
        threads = []
    for thread in threads:
        thread.start()
    return threads


def run_scenario(
    run: str, base: str, nodes: np.ndarray, args: argparse.Namespace
) -> tuple[dict[str, Tally], float, AbuseTally]:
    """The normal mix for `args.seconds`, with this run's abusers beside it."""
    stop, tally = threading.Event(), AbuseTally()
    port = int(base.rsplit(":", 1)[1])
    abusers = _start_abusers(run, base, port, stop, tally)
    if abusers:
        time.sleep(2 * SLOW_TICK_S)  # let the abusers take their places first
    try:
        tallies, wall_s = run_load(
            base, nodes, args.seconds, args.threads, args.max_requests, args.seed, args.taxi
        )
    finally:
        stop.set()
        for thread in abusers:
            thread.join(timeout=HTTP_TIMEOUT_S + 5)
    return tallies, wall_s, tally


# --- report ----------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def _line(name: str, count: int, tally: Tally, wall_s: float) -> str:
    lat = tally.latencies_ms
    return (
        f"{name:<10} {count:>8} {count / wall_s:>9.1f} {_percentile(lat, 50):>9.1f} "
        f"{_percentile(lat, 99):>9.1f} {tally.ok:>7} {tally.no_route:>9} {tally.outside:>8} "
        f"{tally.errors:>7}"
    )


def report(tallies: dict[str, Tally], wall_s: float) -> dict[str, Any]:
    """Print the table; returns the overall figures."""
    total = Tally()
    for tally in tallies.values():
        total.latencies_ms += tally.latencies_ms
        total.ok += tally.ok
        total.no_route += tally.no_route
        total.outside += tally.outside
        total.errors += tally.errors
        total.error_samples += tally.error_samples
    print(
        f"{'endpoint':<10} {'requests':>8} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'ok':>7} {'no_route':>9} {'outside':>8} {'errors':>7}"
    )
    for name, tally in tallies.items():
        print(_line(name, len(tally.latencies_ms), tally, wall_s))
    print(_line("overall", len(total.latencies_ms), total, wall_s))
    for sample in total.error_samples[:10]:
        print(f"  error: {sample}")
    return {
        "requests": len(total.latencies_ms),
        "seconds": round(wall_s, 1),
        "throughput_rps": round(len(total.latencies_ms) / wall_s, 1),
        "p50_ms": round(_percentile(total.latencies_ms, 50), 1),
        "p99_ms": round(_percentile(total.latencies_ms, 99), 1),
        "no_accessible_route": total.no_route,
        "outside_area": total.outside,
        "errors": total.errors,
    }


def _graph_dir(graph: Path | None) -> Path:
    return (graph or settings.default_graph_dir()).resolve()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each run, s")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--max-requests", type=int, default=100_000, help="hard cap on requests")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    parser.add_argument(
        "--runs",
        nargs="+",
        choices=RUNS,
        default=list(RUNS),
        help="runs in order, repeats allowed (default: all three; `clean` is the baseline; "
        "on a busy machine `clean slow clean streets` shows the drift)",
    )
    parser.add_argument("--taxi", type=float, default=0.0, help="share of Invataxi requests")
    args = parser.parse_args(argv)
    if not 0 <= args.taxi < 1:
        parser.error("need 0 <= --taxi < 1")
    if args.taxi:
        # A key made for this run only; the server inherits it from the environment.
        os.environ["JOL_LOAD_TAXI_KEY"] = secrets.token_hex(16)
        os.environ["JOL_API_KEYS"] = "dispatcher:" + os.environ["JOL_LOAD_TAXI_KEY"]
    if not (0 < args.seconds <= 3600 and 1 <= args.threads <= 64 and args.max_requests >= 1):
        parser.error("need 0 < --seconds <= 3600, 1 <= --threads <= 64, --max-requests >= 1")

    results: dict[str, dict[str, Any]] = {}
    # Every client here shares 127.0.0.1, so the per-client route bucket would turn the
    # normal traffic into 429s; the streets bucket stays on, as it is the defence measured.
    with jol_server(args.graph, name="load-server", env={"JOL_RATE_LIMITS": "route=off"}) as server:
        # `jol serve` built (or repaired) the graph before serving; sample its nodes now.
        nodes = _nodes(_graph_dir(args.graph))
        for name, paths in missing_endpoints(server.base).items():
            used = "exercised (--taxi)" if args.taxi else "not exercised (add --taxi 0.1)"
            state = f"present ({', '.join(paths)}), {used}" if paths else "absent"
            print(f"{name} endpoint in /openapi.json: {state}")
        for number, run in enumerate(args.runs, start=1):
            tallies, wall_s, abuse = run_scenario(run, server.base, nodes, args)
            label = run if run not in results else f"{run}#{number}"  # a run may repeat
            print(f"\n== run: {label} ==")
            summary = report(tallies, wall_s)
            summary["route_p50_ms"] = round(_percentile(tallies["route"].latencies_ms, 50), 1)
            summary["route_p99_ms"] = round(_percentile(tallies["route"].latencies_ms, 99), 1)
            if run == "slow":
                summary["slow_connections_opened"] = abuse.opened
            if run == "streets":
                summary["streets_answers"] = abuse.statuses
            print(json.dumps({"run": label, **summary}))
            results[label] = summary
        # Counted after the load: gunicorn boots workers after it starts answering.
        print(
            f"\nserver: jol serve on {server.base}, {server.worker_count()} gunicorn workers; "
            f"client: {args.threads} threads, {args.seconds:g} s per run, cap "
            f"{args.max_requests} requests, seed {args.seed}, {len(nodes)} candidate nodes"
        )
    _compare(results)
    return 1 if any(summary["errors"] for summary in results.values()) else 0


def _compare(results: dict[str, dict[str, Any]]) -> None:
    """Route latency of every run beside the clean one of this invocation."""
    print(f"\n{'run':<10} {'route p50 ms':>13} {'route p99 ms':>13} {'req/s':>8} {'errors':>7}")
    for run, summary in results.items():
        print(
            f"{run:<10} {summary['route_p50_ms']:>13.1f} {summary['route_p99_ms']:>13.1f} "
            f"{summary['throughput_rps']:>8.1f} {summary['errors']:>7}"
        )


if __name__ == "__main__":
    sys.exit(main())
