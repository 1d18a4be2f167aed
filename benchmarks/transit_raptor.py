"""RAPTOR speed on Almaty and on the Atlanta pair, against a time-expanded Dijkstra.

    python benchmarks/transit_raptor.py [--queries 300] [--baseline 30] [--seed 1]

Per feed set: 300 random stop-to-stop queries (access and egress: every served
stop within 300 m of a random origin/destination stop, walked at 1.2 m/s;
footpaths the same), Range-RAPTOR over a 60 min window, p50/p95 in ms. The
baseline is an earliest-arrival Dijkstra (networkx) on a time-expanded graph of
the same compiled timetable and date, built once over a slice of the day; it
answers one departure, not a 60 min range, so RAPTOR is also timed on one
departure (window 0) for the same queries, and both ratios are printed.
Both run in this process, on this machine, in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jol.settings import data_dir
from transit import raptor
from transit.compile import compile_feeds
from transit.feed import load_feed
from transit.timetable import Timetable

WALK_MPS = 1.2
RADIUS_M = 300.0
DEPART_FROM_S, DEPART_TO_S = 7 * 3600, 8 * 3600
SLICE_END_S = 10 * 3600 + 1800  # the baseline graph holds events up to here

SETS = {
    "almaty": ([("almaty-transit/almaty_gtfs.zip", "almaty")], date(2026, 5, 5)),
    "atlanta": (
        [
            ("atlanta-osm-gtfs-pair/marta-bus-856-only.gtfs.zip", "marta"),
            ("atlanta-osm-gtfs-pair/cobblinc-bus-30-only.gtfs.zip", "cobb"),
        ],
        date(2021, 10, 5),
    ),
}


def _timetable(feeds) -> Timetable:
    arrays, meta = compile_feeds([load_feed(data_dir() / p, k) for p, k in feeds])
    return Timetable(arrays, meta)


def _near(tt: Timetable, pairs, stop: int) -> list[tuple[int, int]]:
    frm, to, dist = pairs
    sel = frm == stop
    out = [(stop, 0)] + [
        (int(t), int(d / WALK_MPS)) for t, d in zip(to[sel], dist[sel], strict=True)
    ]
    return out


def _queries(tt: Timetable, day: date, n: int, seed: int, pairs) -> list[raptor.Query]:
    rng = random.Random(seed)
    stops = [int(s) for s in tt.boardable_stops()]
    out = []
    for _ in range(n):
        a, b = rng.sample(stops, 2)
        out.append(
            raptor.Query(
                day,
                rng.randrange(DEPART_FROM_S, DEPART_TO_S),
                _near(tt, pairs, a),
                dict(_near(tt, pairs, b)),
                window_s=3600,
            )
        )
    return out


def _time_expanded(tt: Timetable, day: date, footpaths: raptor.Footpaths) -> tuple:
    """Time-expanded graph of the day's trips departing before SLICE_END_S."""
    g = nx.DiGraph()
    active = tt.services_active(day)
    runs = active[np.maximum(tt.trip_service, 0)] & (tt.trip_service >= 0)
    runs &= tt.trip_first_dep < SLICE_END_S
    deps: dict[int, list[tuple[int, tuple]]] = {}
    arrivals = []
    for trip in np.flatnonzero(runs):
        stops, arr, dep = tt.trip_times(int(trip))
        for i in range(len(stops)):
            s = int(stops[i])
            dn, an = ("d", int(trip), i), ("a", int(trip), i)
            deps.setdefault(s, []).append((int(dep[i]), dn))
            arrivals.append((s, int(arr[i]), an))
            g.add_edge(an, dn, weight=int(dep[i] - arr[i]))
            if i + 1 < len(stops):
                g.add_edge(dn, ("a", int(trip), i + 1), weight=int(arr[i + 1] - dep[i]))
    times = {}
    for s, chain in deps.items():
        chain.sort()
        times[s] = np.array([t for t, _ in chain])
        for (t1, n1), (t2, n2) in itertools.pairwise(chain):
            g.add_edge(n1, n2, weight=t2 - t1)
    for s, t, an in arrivals:
        # Stay at the stop, or walk a footpath, then wait for the next departure there.
        targets = [(s, 0)] + [
            (int(footpaths.to[e]), int(footpaths.seconds[e]))
            for e in range(footpaths.ptr[s], footpaths.ptr[s + 1])
        ]
        for to, walk in targets:
            if to in times:
                j = int(np.searchsorted(times[to], t + walk))
                if j < len(times[to]):
                    g.add_edge(an, deps[to][j][1], weight=int(deps[to][j][0] - t))
    return g, deps, times, arrivals


def _baseline(graph, q: raptor.Query) -> float:
    g, deps, times, arrivals = graph
    g.add_node("src")
    for s, acc in q.access:
        if s in times:
            j = int(np.searchsorted(times[s], q.depart_s + acc))
            if j < len(times[s]):
                g.add_edge("src", deps[s][j][1], weight=int(deps[s][j][0] - q.depart_s))
    for s, _, an in arrivals:
        if s in q.egress:
            g.add_edge(an, "dst", weight=int(q.egress[s]))
    started = time.perf_counter()
    with contextlib.suppress(nx.NetworkXNoPath, nx.NodeNotFound):
        nx.dijkstra_path_length(g, "src", "dst")
    elapsed = time.perf_counter() - started
    g.remove_nodes_from(["src", "dst"])
    return elapsed


def _pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) * 1000.0 if values else float("nan")


def run(name: str, n: int, n_baseline: int, seed: int) -> None:
    feeds, day = SETS[name]
    started = time.perf_counter()
    tt = _timetable(feeds)
    pairs = tt.transfer_candidates(RADIUS_M)
    fp = raptor.Footpaths.from_pairs(tt.n_stops, pairs[0], pairs[1], pairs[2] / WALK_MPS)
    print(f"{name}: compiled {tt.n_trips} departures in {time.perf_counter() - started:.1f} s")
    queries = _queries(tt, day, n, seed, pairs)
    raptor_s, answered = [], 0
    for q in queries:
        t0 = time.perf_counter()
        journeys = raptor.search(tt, q, fp, raptor.BoardingFilter(min_transfer_s=60))
        raptor_s.append(time.perf_counter() - t0)
        answered += bool(journeys)
    paged_s = []
    for q in queries:
        t0 = time.perf_counter()
        raptor.next_journeys(tt, q, fp, raptor.BoardingFilter(min_transfer_s=60), limit=5)
        paged_s.append(time.perf_counter() - t0)
    # Like for like with the baseline: one departure, no range.
    single_s = []
    for q in queries[:n_baseline]:
        t0 = time.perf_counter()
        raptor.search(tt, replace(q, window_s=0), fp, raptor.BoardingFilter(min_transfer_s=60))
        single_s.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    graph = _time_expanded(tt, day, fp)
    build_s = time.perf_counter() - t0
    base_s = [_baseline(graph, q) for q in queries[:n_baseline]]
    p50, p95 = _pct(raptor_s, 50), _pct(raptor_s, 95)
    b50 = _pct(base_s, 50)
    print(
        f"{name}: RAPTOR range 60 min, {n} queries ({answered} answered): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, mean {statistics.mean(raptor_s) * 1000:.1f} ms"
    )
    print(
        f"{name}: time-expanded Dijkstra (networkx, one departure, {graph[0].number_of_nodes()} "
        f"nodes built in {build_s:.1f} s), first {len(base_s)} queries: p50 {b50:.1f} ms, "
        f"p95 {_pct(base_s, 95):.1f} ms; RAPTOR range p50 / baseline p50 = {p50 / b50:.2f}"
    )
    print(
        f"{name}: RAPTOR next_journeys (5 pages max, same window), {n} queries: "
        f"p50 {_pct(paged_s, 50):.1f} ms, p95 {_pct(paged_s, 95):.1f} ms"
    )
    s50 = _pct(single_s, 50)
    print(
        f"{name}: RAPTOR one departure, same {len(single_s)} queries: p50 {s50:.1f} ms, "
        f"p95 {_pct(single_s, 95):.1f} ms; RAPTOR p50 / baseline p50 = {s50 / b50:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=30, help="queries timed on the baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    args = parser.parse_args()
    for name in args.sets:
        run(name, args.queries, args.baseline, args.seed)


if __name__ == "__main__":
    main()
