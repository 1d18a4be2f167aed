"""Place search speed on the compiled Almaty place index, against a plain scan.

    python benchmarks/place_search.py [--repeat 20] [--graph DIR]

Times `PlaceIndex.search` (numpy string arrays, one lexsort) on a fixed set of
queries typed the way users type them (one letter, a street word, Latin, Kazakh,
a word that matches nothing), with `near` and the API's largest limit, and the
same queries through a baseline measured in the same run: a Python loop over
every place name that normalizes each name per query and keeps substring
matches, sorted by name length. Prints p50/p95 per engine and the ratio.
Target: p50 under 5 ms, so typing in the page's combobox never waits on search.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script from a checkout without `pip install -e`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow.parquet as pq

from cli.main import ensure_graph
from jol import settings
from places import PlaceIndex, normalize

QUERIES = ("а", "ул", "abay", "Достык", "больница", "Халықаралық Әуежай", "zzz", "пр", "Tole bi")
NEAR = (43.24, 76.91)
TARGET_P50_MS = 5.0


def _scan_baseline(names: list[str]) -> Callable[[str, int], list[str]]:
    """Substring search the obvious way: normalize every name, every time."""

    def search(query: str, limit: int) -> list[str]:
        needle = normalize(query)
        hits = [name for name in names if needle in normalize(name)]
        return sorted(hits, key=len)[:limit]

    return search


def _time_ms(search: Callable[[str], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for query in QUERIES:
            start = time.perf_counter()
            search(query)
            times.append(1000 * (time.perf_counter() - start))
    return times


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the query set")
    parser.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    args = parser.parse_args(argv)
    graph_dir = ensure_graph(args.graph)
    index = PlaceIndex.load(graph_dir)
    names = pq.read_table(graph_dir / settings.PLACES_FILENAME, columns=["name"])
    baseline = _scan_baseline([n or "" for n in names.column("name").to_pylist()])
    limit = settings.PLACES_MAX_LIMIT

    jol = _time_ms(lambda q: index.search(q, limit=limit, near=NEAR), args.repeat)
    # The baseline is slow; a few passes give a stable median.
    scan = _time_ms(lambda q: baseline(q, limit), max(1, args.repeat // 10))
    print(f"{len(index)} places, {len(QUERIES)} queries, limit {limit}, near {NEAR}")
    print(f"{'engine':<10}{'calls':>8}{'p50 ms':>10}{'p95 ms':>10}")
    for name, times in (("jol", jol), ("scan", scan)):
        print(f"{name:<10}{len(times):>8}{_p(times, 50):>10.2f}{_p(times, 95):>10.2f}")
    ratio = statistics.median(scan) / statistics.median(jol)
    verdict = "meets" if _p(jol, 50) < TARGET_P50_MS else "MISSES"
    print(f"jol is {ratio:.0f}x faster than the scan at p50; {verdict} the {TARGET_P50_MS} ms goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
