"""Invataxi speed on the Almaty drive graph (issue 15): 100 x 100 and 500 x 500 ETA
matrices and a 60-booking, 10-vehicle shift plan, each timed in this run beside
networkx single-source Dijkstra per source on the same turn graph and weights.

Targets: 100 x 100 under 0.1 s, 500 x 500 under 2 s, the shift plan under 2 s.
Run: python benchmarks/taxi.py
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np

from cli.main import ensure_default_graph
from routing.service import Router
from routing.taxi.service import Taxi

TARGETS_S = {100: 0.1, 500: 2.0, "plan": 2.0}


def _shift(n_bookings: int, n_vehicles: int, seed: int = 7) -> dict:
    """A seeded day shift in central Almaty: every third vehicle and fourth booking a lift."""
    rng = np.random.default_rng(seed)

    def spot() -> dict:
        return {"lat": float(rng.uniform(43.22, 43.27)), "lon": float(rng.uniform(76.88, 76.96))}

    vehicles = [
        {"id": f"v{i}", "start": spot(), "shift": [7 * 3600, 19 * 3600], "capacity": 2,
         "equipment": ["lift"] if i % 3 == 0 else ["ramp"]}
        for i in range(n_vehicles)
    ]  # fmt: skip
    bookings = []
    for i in range(n_bookings):
        start = int(rng.integers(8 * 3600, 17 * 3600))
        bookings.append({"id": f"b{i}", "pickup": spot(), "dropoff": spot(),
                         "window": [start, start + 1800], "passengers": 1,
                         "equipment": ["lift"] if i % 4 == 0 else ["ramp"]})  # fmt: skip
    return {"vehicles": vehicles, "bookings": bookings}


def _networkx_graph(taxi: Taxi) -> nx.DiGraph:
    d = taxi.drive
    seconds = d.edge_seconds(-1)
    graph = nx.DiGraph()
    for a, b, u in zip(d.a["turn_from"], d.a["turn_to"], d.a["turn_is_u"], strict=True):
        graph.add_edge(int(a), int(b), weight=float(seconds[b] + (30.0 if u else 0.0)))
    return graph


def main() -> None:
    graph_dir = ensure_default_graph()
    taxi = Taxi.load(graph_dir, Router.load(graph_dir))
    assert taxi is not None
    d = taxi.drive
    main_edges = np.flatnonzero(d.a["edge_main"])
    rng = np.random.default_rng(15)
    nxg = _networkx_graph(taxi)
    print(f"drive graph: {d.edge_count} road pieces, {len(d.a['turn_from'])} turns")
    for n in (100, 500):
        edges = rng.choice(main_edges, n, replace=False)
        metric = d.metric(-1)
        metric.matrix(edges[:2], edges[:2])  # warm
        started = time.perf_counter()
        table = metric.matrix(edges, edges)
        ours = time.perf_counter() - started
        sample = edges[: min(n, 20)]
        started = time.perf_counter()
        for source in sample:
            nx.single_source_dijkstra_path_length(nxg, int(source))
        theirs = (time.perf_counter() - started) / len(sample) * n
        finite = np.isfinite(table).mean()
        print(
            f"{n} x {n}: {ours:.3f} s (target {TARGETS_S[n]} s), networkx per source "
            f"{theirs:.2f} s (from {len(sample)} sources) = {theirs / ours:.0f}x; "
            f"{finite:.1%} reachable"
        )
    body = _shift(60, 10)
    started = time.perf_counter()
    answer = taxi.plan(body)
    took = time.perf_counter() - started
    served = answer["summary"]["served"]
    print(f"plan 60 bookings x 10 vehicles: {took:.2f} s (target 2 s), {served} served")


if __name__ == "__main__":
    main()
