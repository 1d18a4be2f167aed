"""How long spoken directions add to a route, on the compiled Almaty graph.

    python benchmarks/directions.py [--pairs 300] [--graph DIR] [--profile blind]

Plans seeded random routes with `Router.route`, then times, for the same
answers in the same run, what the API adds: `routing.directions.maneuvers`
(with the place index for landmarks, as the API does) and the numbered text,
in Russian, Kazakh and English. Prints p50/p95 of the route alone and of the
directions alone, and their ratio. Target: directions p50 under 5 ms beyond the
route itself. Audio (espeak-ng) is not timed here: it is made only when asked.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script from a checkout without `pip install -e`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.main import ensure_graph
from places import PlaceIndex
from routing import directions
from routing.errors import RoutingError
from routing.service import Router

TARGET_P50_MS = 5.0
SEED = 14


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--graph", type=Path)
    parser.add_argument("--profile", default="blind")
    args = parser.parse_args(argv)

    graph_dir = ensure_graph(args.graph)
    router = Router.load(graph_dir)
    places = PlaceIndex.load(graph_dir)
    parameters = next(p for p in router.profiles() if p["name"] == args.profile)["parameters"]
    lat, lon = router.graph.arrays["node_lat"], router.graph.arrays["node_lon"]
    rng = random.Random(SEED)
    route_ms: list[float] = []
    text_ms: dict[str, list[float]] = {"ru": [], "kk": [], "en": []}
    maneuver_counts: list[int] = []
    while len(route_ms) < args.pairs:
        i, j = rng.randrange(len(lat)), rng.randrange(len(lat))
        origin, target = (float(lat[i]), float(lon[i])), (float(lat[j]), float(lon[j]))
        start = time.perf_counter()
        try:
            answer = router.route(origin, target, args.profile)
        except RoutingError:
            continue
        route_ms.append(1000 * (time.perf_counter() - start))
        for lang, times in text_ms.items():
            start = time.perf_counter()
            items = directions.maneuvers(answer, lang, parameters, target, places)
            directions.as_text(items, lang)
            times.append(1000 * (time.perf_counter() - start))
        maneuver_counts.append(len(items))

    print(f"Almaty, profile {args.profile}, {len(route_ms)} routes (seed {SEED})")
    print(f"  maneuvers per route: median {statistics.median(maneuver_counts):.0f}")
    r50, r95 = _p(route_ms, 50), _p(route_ms, 95)
    print(f"  route alone (Router.route):     p50 {r50:6.2f} ms   p95 {r95:6.2f} ms")
    for lang, times in text_ms.items():
        d50, d95 = _p(times, 50), _p(times, 95)
        verdict = "meets" if d50 < TARGET_P50_MS else "MISSES"
        print(
            f"  directions text, {lang}:          p50 {d50:6.2f} ms   p95 {d95:6.2f} ms"
            f"   ({d50 / r50:.2f}x the route; {verdict} the {TARGET_P50_MS:g} ms target)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
