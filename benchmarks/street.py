"""Street router speed and memory, against networkx measured in the same run.

    pip install -e '.[bench]' && python benchmarks/street.py [--queries 500] [--cities almaty oslo]

For each city it
1. compiles the graph from scratch in a child process (build time, peak RSS);
2. loads the artifact in a fresh child process (service start time, RSS);
3. times `--queries` random routes per profile in-process (p50/p95, full JSON answer);
4. times the same shortest paths with networkx `shortest_path` on the same graph
   and the same weights (a sample, it is slow) and prints the ratio;
5. times one-to-many searches (one source to every node within 1, 2 and 5 km of
   walking, the metric being metres on the edges the default profile may use) and a
   100 x 100 matrix (default profile, seconds), each against networkx single-source
   Dijkstra (with the radius as cutoff) per source on the same graph and weights;
6. starts `jol serve` (gunicorn) and times the same queries over HTTP on loopback.
Targets (issue 2): p50 < 5 ms in-process, >= 50x networkx, Almaty build < 60 s,
start < 2 s, memory < 1 GiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _jol_server import jol_server

from jol import settings
from jol.cities import load_city

# Each city's inputs are those of its data/<key>.toml (jol/cities.py).
CITIES = {k: (load_city(k).paths("osm")[0], load_city(k).paths("dem")) for k in ("almaty", "oslo")}
# networkx takes ~5 ms (Almaty) to ~20 ms (Oslo) a query: 200 pairs give a stable median.
NETWORKX_SAMPLE = 200
# One-to-many radii (metres) and sources per radius; the matrix is MATRIX_SIZE square.
REACH_RADII_M = (1000, 2000, 5000)
REACH_SOURCES = 50
MATRIX_SIZE = 100


def _child(code: str) -> dict:
    """Run Python `code` in a child; it prints one JSON line; add the child's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_rss_note"] = "max over children so far" if before else "this child"
    return result


def build(city: str, out: Path) -> dict:
    osm, dems = CITIES[city]
    data = settings.data_dir()
    code = f"""
import json, time
from pathlib import Path
from graph_build.build import build_street_artifact
t = time.perf_counter()
m = build_street_artifact(Path({str(data / osm)!r}), Path({str(out)!r}),
    dems=[Path(p) for p in {[str(data / d) for d in dems]!r}], city={city!r}, force=True,
    progress=lambda _: None)
print(json.dumps({{"seconds": time.perf_counter() - t, "graph": m["graph"]}}))
"""
    return _child(code)


def start(out: Path) -> dict:
    code = f"""
import json, time
t = time.perf_counter()
from services import load_services
r = load_services({str(out)!r})
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""
    return _child(code)


def _pairs(
    router, count: int, seed: int
) -> list[tuple[tuple[float, float], tuple[float, float], int, int]]:
    a = router.graph.arrays
    main = np.flatnonzero(a["node_component"] == 0)
    rng = np.random.default_rng(seed)
    picks = rng.choice(main, size=(count, 2))
    return [
        (
            (float(a["node_lat"][u]), float(a["node_lon"][u])),
            (float(a["node_lat"][v]), float(a["node_lon"][v])),
            int(u),
            int(v),
        )
        for u, v in picks
    ]


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def in_process(router, pairs, profile: str) -> tuple[list[float], int]:
    from routing.errors import RoutingError

    times, failures = [], 0
    for origin, target, _, _ in pairs:
        t = time.perf_counter()
        try:
            router.route(origin, target, profile)
        except RoutingError:
            failures += 1
        times.append(time.perf_counter() - t)
    return times, failures


def networkx_baseline(router, pairs, profile: str) -> tuple[list[float], list[float]]:
    """networkx shortest_path and Jol's engine on the same node pairs and weights."""
    import networkx as nx

    metrics = router.metrics.get(profile)
    graph = _nx_graph(router, metrics.costs.edge_s)
    sample = [(u, v) for _, _, u, v in pairs[:NETWORKX_SAMPLE]]
    # Each engine in its own loop, so neither runs on caches the other just evicted.
    nx_times = []
    for u, v in sample:
        t = time.perf_counter()
        with contextlib.suppress(nx.NetworkXNoPath, nx.NodeNotFound):
            nx.shortest_path(graph, u, v, weight="weight")
        nx_times.append(time.perf_counter() - t)
    engine_times = []
    for u, v in sample:
        t = time.perf_counter()
        metrics.metric.shortest_path([(u, 0.0)], [(v, 0.0)])
        engine_times.append(time.perf_counter() - t)
    return nx_times, engine_times


def _nx_graph(router, cost: np.ndarray):
    """networkx DiGraph of the finite edges, keeping the cheaper of parallel edges."""
    import networkx as nx

    g = router.graph
    graph = nx.DiGraph()
    finite = np.isfinite(cost)
    for u, v, w in zip(
        g.edge_u[finite].tolist(), g.edge_v[finite].tolist(), cost[finite].tolist(), strict=True
    ):
        if not graph.has_edge(u, v) or graph[u][v]["weight"] > w:
            graph.add_edge(u, v, weight=w)
    return graph


def _engines(router, cost: np.ndarray) -> dict:
    """The CCH and the scipy fallback, both customised for `cost`."""
    from routing.engine import CchEngine, DijkstraEngine

    g = router.graph
    order = g.arrays["cch_order"]
    return {
        "cch": CchEngine(g.node_count, g.edge_u, g.edge_v, order).metric(cost),
        "scipy": DijkstraEngine(g.node_count, g.edge_u, g.edge_v, order).metric(cost),
    }


def one_to_many_baseline(router, pairs) -> list[str]:
    """Every node within each radius of one source: the engines against networkx, per source."""
    import networkx as nx

    from routing.costs import compute_costs
    from routing.profiles import load_profiles

    g = router.graph
    usable = np.isfinite(compute_costs(g, load_profiles()["default"]).edge_s)
    # Metres as the cost, so a cost limit is a walking radius.
    length_m = np.where(usable, g.arrays["edge_length_m"], np.inf)
    graph, metrics = _nx_graph(router, length_m), _engines(router, length_m)
    sources = [u for _, _, u, _ in pairs[:REACH_SOURCES]]
    lines = []
    for radius_m in REACH_RADII_M:
        nx_times, found = [], []
        for source in sources:
            t = time.perf_counter()
            reached = nx.single_source_dijkstra_path_length(
                graph, source, cutoff=radius_m, weight="weight"
            )
            nx_times.append(time.perf_counter() - t)
            found.append(len(reached))
        cells = [f"networkx p50 {_percentiles(nx_times)[0]:.2f} ms"]
        for name, metric in metrics.items():
            times = []
            for source in sources:
                t = time.perf_counter()
                metric.one_to_many([(source, 0.0)], limit_s=float(radius_m))
                times.append(time.perf_counter() - t)
            p50 = _percentiles(times)[0]
            cells.append(f"{name} {p50:.3f} ms ({_percentiles(nx_times)[0] / p50:.1f}x)")
        lines.append(
            f"one-to-many within {radius_m / 1000:.0f} km "
            f"(median {np.median(found):.0f} nodes): " + "; ".join(cells)
        )
    return lines


def matrix_baseline(router, pairs) -> str:
    """A MATRIX_SIZE square table of default-profile seconds: engines against networkx."""
    import networkx as nx

    from routing.costs import compute_costs
    from routing.profiles import load_profiles

    cost = compute_costs(router.graph, load_profiles()["default"]).edge_s
    graph, metrics = _nx_graph(router, cost), _engines(router, cost)
    sources = [u for _, _, u, _ in pairs[:MATRIX_SIZE]]
    targets = [v for _, _, _, v in pairs[:MATRIX_SIZE]]
    t = time.perf_counter()
    for source in sources:
        reached = nx.single_source_dijkstra_path_length(graph, source, weight="weight")
        [reached.get(target, np.inf) for target in targets]
    nx_ms = (time.perf_counter() - t) * 1000
    cells = [f"networkx {nx_ms:.0f} ms"]
    for name, metric in metrics.items():
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            metric.matrix(sources, targets)
            runs.append(time.perf_counter() - t)
        ms = float(np.median(runs)) * 1000
        cells.append(f"{name} {ms:.1f} ms ({nx_ms / ms:.0f}x)")
    return f"{MATRIX_SIZE} x {MATRIX_SIZE} matrix: " + "; ".join(cells)


def over_http(graph_dir: Path, pairs, profiles: list[str]) -> tuple[dict, float]:
    """Latency per profile through gunicorn on loopback, and the workers' peak RSS (MiB)."""
    import requests

    # One client address sends every request: lift the route bucket, or this times 429s.
    unlimited = {"JOL_RATE_LIMITS": "route=off"}
    with jol_server(graph_dir, name="street-server", env=unlimited) as server:
        base = server.base
        session = requests.Session()
        results = {}
        for profile in profiles:
            times = []
            for origin, target, _, _ in pairs:
                body: dict[str, Any] = {
                    "from": {"lat": origin[0], "lon": origin[1]},
                    "to": {"lat": target[0], "lon": target[1]},
                    "profile": profile,
                }
                t = time.perf_counter()
                reply = session.post(f"{base}/api/v1/route", json=body, timeout=30)
                times.append(time.perf_counter() - t)
                if reply.status_code not in (200, 422):  # an answer, or no accessible route
                    raise RuntimeError(f"server answered {reply.status_code}: {reply.text[:200]}")
            results[profile] = _percentiles(times)
        return results, _tree_peak_rss_mib(server.pid)


def _tree_peak_rss_mib(pid: int) -> float:
    """Largest VmHWM (peak resident memory) among a process and its children, MiB."""
    peak = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if entry.name == str(pid) or fields.get("PPid", "").strip() == str(pid):
            peak = max(peak, float(fields.get("VmHWM", "0 kB").split()[0]) / 1024)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--cities", nargs="+", default=list(CITIES), choices=list(CITIES))
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    from services import load_services

    with tempfile.TemporaryDirectory(prefix="jol-bench-") as tmp:
        for city in args.cities:
            out = Path(tmp) / city
            built = build(city, out)
            started = start(out)
            router = load_services(out).router
            profiles = [p["name"] for p in router.profiles()]
            pairs = _pairs(router, args.queries, seed=42)
            print(f"\n== {city}: {built['graph']['nodes']} nodes, {built['graph']['edges']} edges")
            print(
                f"build {built['seconds']:.1f} s (peak RSS {built['peak_rss_mib']:.0f} MiB); "
                f"service start {started['seconds']:.2f} s"
            )
            print(f"{'profile':22} {'p50 ms':>8} {'p95 ms':>8} {'no route':>9}")
            for profile in profiles:
                times, failures = in_process(router, pairs, profile)
                p50, p95 = _percentiles(times)
                print(f"{profile:22} {p50:8.2f} {p95:8.2f} {failures:9d}")
            for profile in ("default", "wheelchair_manual"):
                nx_times, engine_times = networkx_baseline(router, pairs, profile)
                nx50, _ = _percentiles(nx_times)
                eng50, _ = _percentiles(engine_times)
                full50, _ = _percentiles(in_process(router, pairs[:NETWORKX_SAMPLE], profile)[0])
                print(
                    f"networkx shortest_path [{profile}] p50 {nx50:.1f} ms; "
                    f"Jol engine {eng50:.3f} ms ({nx50 / eng50:.0f}x); "
                    f"Jol full answer {full50:.2f} ms ({nx50 / full50:.0f}x)"
                )
            for line in one_to_many_baseline(router, pairs):
                print(line)
            print(matrix_baseline(router, pairs))
            if not args.no_http:
                http, rss = over_http(out, pairs, profiles)
                print(
                    "over HTTP (gunicorn, loopback): "
                    + ", ".join(f"{p} p50 {v[0]:.1f}/p95 {v[1]:.1f} ms" for p, v in http.items())
                )
                print(f"server peak RSS per process {rss:.0f} MiB")
            own_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"this process peak RSS {own_peak_mib:.0f} MiB")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
