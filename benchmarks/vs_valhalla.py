"""Jol against Valhalla on the same OSM extracts, the same pairs, in one run.

From a fresh clone (data in ../shared/data or $JOL_DATA_DIR):

    pip install -e '.[bench]' && python benchmarks/vs_valhalla.py

For Oslo (accessibility-rich OSM) and Almaty (2012 OSM), 300 random
origin-destination pairs (seed 7, 300 m - 4 km apart as the crow flies, both
ends on the largest walkable component) go through:

* Valhalla in-process (`valhalla.Actor`, pedestrian costing with type
  wheelchair / blind / foot) -- tiles built by `benchmarks/_valhalla.py`;
* Jol in-process (`routing.service.Router`), profiles wheelchair_manual /
  blind / default;
* Jol over HTTP: a real gunicorn server on 127.0.0.1 started here and stopped
  at the end.

Both engines' routes are judged by one evaluator (`benchmarks/osm_eval.py`)
that maps route geometry back onto the raw OSM nodes and ways. Per engine and
profile it prints answered pairs, latency p50/p95 (milliseconds, over every
call including "no route" answers), median route length (metres, over pairs
both engines answered) and how many routes use steps, pass a kerb higher than
3 cm, a kerb of unknown height, or a crossing without tactile paving (and, in
brackets, how many such crossings all routes together use). Then
Jol/Valhalla ratios. Builds go to <cache_dir>/valhalla/<city> and
<cache_dir>/bench/<city> and are reused while the input is unchanged.

Options: --pairs N, --seed S, --cities oslo almaty, --no-http, --valhalla-only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __package__ in (None, ""):  # run as a script from a checkout without `pip install -e`
    sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import _valhalla
import osm_eval
from _jol_server import jol_server

from jol import settings
from jol.cities import load_city

MIN_PAIR_M = 300.0
MAX_PAIR_M = 4000.0
WARMUP_CALLS = 10  # untimed calls per engine and profile, so caches and JITs settle
HTTP_TIMEOUT_S = 30.0
# Engines stay referenced until exit: freed memory of one city would otherwise be
# reused by the next city's engine and hide its RSS growth.
_KEEP_ALIVE: list[Any] = []

# (Jol profile, Valhalla profile) compared on the same pairs.
PROFILE_PAIRS = (("wheelchair_manual", "wheelchair"), ("blind", "blind"), ("default", "pedestrian"))


@dataclass(frozen=True)
class City:
    name: str
    pbf: str  # relative to data_dir()
    dems: tuple[str, ...] = ()  # relative to data_dir(); Oslo has no DEM here


CITIES = {
    "oslo": City("oslo", "osm-accessibility-fixtures/oslo-east-filtered.osm.pbf"),
    "almaty": City(
        "almaty",
        "almaty-osm-2012/almaty-2012.osm.pbf",
        tuple(i.path for i in load_city("almaty").inputs if i.kind == "dem"),
    ),
}


@dataclass
class Answer:
    """One engine's answer to one pair: metres, seconds, [[lon, lat], ...], OSM way ids."""

    distance_m: float
    coordinates: list[list[float]]
    way_ids: list[int]


@dataclass
class Run:
    """All answers of one engine for one profile on one city."""

    engine: str
    profile: str
    latency_ms: list[float] = field(default_factory=list)
    answers: list[Answer | None] = field(default_factory=list)
    facts: list[osm_eval.RouteFacts | None] = field(default_factory=list)


# -- pairs -----------------------------------------------------------------------------------


def sample_pairs(index: osm_eval.OsmIndex, count: int, seed: int) -> np.ndarray:
    """`count` pairs as [count, 2, 2] (origin/destination, lon/lat) in degrees.

    Straight-line distance between MIN_PAIR_M and MAX_PAIR_M, so every pair is
    within both engines' walking limits (Valhalla's wheelchair max is 10 km).
    """
    nodes = index.walkable_nodes()
    lonlat = index.lonlat(nodes)
    rng = np.random.default_rng(seed)
    pairs: list[np.ndarray] = []
    while len(pairs) < count:
        a = lonlat[rng.integers(len(nodes), size=count)]
        b = lonlat[rng.integers(len(nodes), size=count)]
        gap = index.distance_m(a, b)
        keep = (gap >= MIN_PAIR_M) & (gap <= MAX_PAIR_M)
        pairs.extend(np.stack((a[keep], b[keep]), axis=1))
    return np.asarray(pairs[:count])


# -- engines ---------------------------------------------------------------------------------

Engine = Callable[[tuple[float, float], tuple[float, float], str], Answer | None]


def _valhalla_engine(engine: _valhalla.ValhallaEngine) -> Engine:
    def route(origin: tuple[float, float], dest: tuple[float, float], profile: str):
        answer = engine.route(origin, dest, profile, with_way_ids=False)
        if answer is None:
            return None
        return Answer(answer["distance_m"], answer["coordinates"], answer["encoded_shapes"])

    return route


def _jol_answer(body: dict[str, Any]) -> Answer:
    best = body["routes"][0]
    ways = [int(s["osm_way_id"]) for s in best.get("segments", []) if s.get("osm_way_id")]
    return Answer(float(best["distance_m"]), best["geometry"]["coordinates"], ways)


def _jol_engine(router: Any) -> Engine:
    from routing.errors import RoutingError

    def route(origin: tuple[float, float], dest: tuple[float, float], profile: str):
        try:
            return _jol_answer(router.route(origin, dest, profile))
        except RoutingError:
            return None

    return route


def _jol_http_engine(base_url: str) -> Engine:
    import requests

    session = requests.Session()

    def route(origin: tuple[float, float], dest: tuple[float, float], profile: str):
        body = {
            "from": {"lat": origin[0], "lon": origin[1]},
            "to": {"lat": dest[0], "lon": dest[1]},
            "profile": profile,
        }
        reply = session.post(f"{base_url}/api/v1/route", json=body, timeout=HTTP_TIMEOUT_S)
        if reply.status_code == 422:  # no_accessible_route / outside_area
            return None
        reply.raise_for_status()
        return _jol_answer(reply.json())

    return route


def _rss_mb(pid: int) -> float:
    """Resident memory of one process, in MiB."""
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def _pss_mb(pid: int) -> float:
    """Proportional memory of a process tree, in MiB.

    gunicorn's --preload workers share the graph's pages with the master;
    summing RSS would count them once per process, PSS splits them.
    """
    import psutil

    root = psutil.Process(pid)
    return sum(p.memory_full_info().pss for p in [root, *root.children(recursive=True)]) / 2**20


def _du_mb(directory: Path) -> float:
    """Total size of the files under `directory`, in MiB."""
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20


# -- running ---------------------------------------------------------------------------------


def run_engine(name: str, engine: Engine, profile: str, pairs: np.ndarray) -> Run:
    """Time `engine` on every pair (after WARMUP_CALLS untimed ones)."""
    run = Run(name, profile)
    ends = [((o[1], o[0]), (d[1], d[0])) for o, d in pairs]  # engines take (lat, lon)
    for origin, dest in ends[:WARMUP_CALLS]:
        engine(origin, dest, profile)
    for origin, dest in ends:
        started = time.perf_counter()
        answer = engine(origin, dest, profile)
        run.latency_ms.append((time.perf_counter() - started) * 1000.0)
        run.answers.append(answer)
    return run


def evaluate(run: Run, index: osm_eval.OsmIndex) -> None:
    run.facts = [None if a is None else index.evaluate(a.coordinates) for a in run.answers]


def _valhalla_way_ids(run: Run, engine: _valhalla.ValhallaEngine) -> None:
    """Replace encoded shapes with way ids, outside the timed loop (it is a 2nd request)."""
    for answer in run.answers:
        if answer is not None:
            shapes: list[Any] = answer.way_ids
            answer.way_ids = [w for s in shapes for w in engine.way_ids(s, run.profile)]


# -- report ----------------------------------------------------------------------------------


@dataclass
class Row:
    city: str
    profile: str
    engine: str
    answered: int
    p50: float
    p95: float
    http_p50: float | None
    http_p95: float | None
    length_m: float
    steps: int
    high_kerb: int
    unknown_kerb: int
    untactile: int
    untactile_total: int


def _row(city: str, run: Run, both: np.ndarray, http: Run | None) -> Row:
    facts = [f for f in run.facts if f is not None]
    lengths = [a.distance_m for a, ok in zip(run.answers, both, strict=True) if ok and a]
    return Row(
        city=city,
        profile=run.profile,
        engine=run.engine,
        answered=len(facts),
        p50=float(np.percentile(run.latency_ms, 50)),
        p95=float(np.percentile(run.latency_ms, 95)),
        http_p50=float(np.percentile(http.latency_ms, 50)) if http else None,
        http_p95=float(np.percentile(http.latency_ms, 95)) if http else None,
        length_m=float(np.median(lengths)) if lengths else float("nan"),
        steps=sum(f.steps for f in facts),
        high_kerb=sum(bool(f.high_kerbs) for f in facts),
        unknown_kerb=sum(bool(f.unknown_kerbs) for f in facts),
        untactile=sum(f.untactile_crossing for f in facts),
        untactile_total=sum(t != "yes" for f in facts for _, _, t in f.crossings),
    )


_HEADER = (
    f"{'city':<7}{'profile':<18}{'engine':<9}{'routes':>7}{'p50 ms':>9}{'p95 ms':>9}"
    f"{'http p50':>10}{'http p95':>10}{'median m':>10}{'steps':>7}{'kerb>3cm':>9}"
    f"{'kerb ?':>8}{'xing !tact':>11}{'(crossings)':>12}"
)


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _print_row(row: Row) -> None:
    print(
        f"{row.city:<7}{row.profile:<18}{row.engine:<9}{row.answered:>7}{row.p50:>9.2f}"
        f"{row.p95:>9.2f}{_fmt(row.http_p50, '.2f'):>10}{_fmt(row.http_p95, '.2f'):>10}"
        f"{row.length_m:>10.0f}{row.steps:>7}{row.high_kerb:>9}{row.unknown_kerb:>8}"
        f"{row.untactile:>11}{row.untactile_total:>12}"
    )


def _ratio(a: float, b: float) -> str:
    if b == 0:
        return "=" if a == 0 else "inf"
    return f"{a / b:.2f}"


def _print_ratio(jol: Row, val: Row) -> None:
    print(
        f"{'':<7}{'  Jol/Valhalla':<27}{_ratio(jol.answered, val.answered):>7}"
        f"{_ratio(jol.p50, val.p50):>9}{_ratio(jol.p95, val.p95):>9}{'':>20}"
        f"{_ratio(jol.length_m, val.length_m):>10}{_ratio(jol.steps, val.steps):>7}"
        f"{_ratio(jol.high_kerb, val.high_kerb):>9}{_ratio(jol.unknown_kerb, val.unknown_kerb):>8}"
        f"{_ratio(jol.untactile, val.untactile):>11}"
        f"{_ratio(jol.untactile_total, val.untactile_total):>12}"
    )


def _way_agreement(run: Run) -> float:
    """Mean Jaccard overlap of the engine's own way ids and the evaluator's (1 = same)."""
    scores = [
        len(set(a.way_ids) & set(f.ways)) / len(set(a.way_ids) | set(f.ways))
        for a, f in zip(run.answers, run.facts, strict=True)
        if a is not None and f is not None and (a.way_ids or f.ways)
    ]
    return float(np.mean(scores)) if scores else float("nan")


# -- main ------------------------------------------------------------------------------------


def _build_jol(city: City, pbf: Path) -> Path:
    from graph_build.build import build_street_artifact

    out = settings.cache_dir() / "bench" / city.name
    dems = [settings.data_dir() / d for d in city.dems]
    build_street_artifact(
        pbf, out, dems=dems, city=city.name, progress=lambda m: print("  jol:", m)
    )
    return out


def _run_valhalla(config: Path, pairs: np.ndarray, memory: dict[str, float]) -> dict:
    """Valhalla on every profile; memory is the RSS growth once its tiles are in use."""
    before = _rss_mb(os.getpid())
    valhalla = _valhalla.ValhallaEngine(config)
    _KEEP_ALIVE.append(valhalla)
    route = _valhalla_engine(valhalla)
    runs: dict[tuple[str, str], Run] = {}
    for jol_profile, val_profile in PROFILE_PAIRS:
        print(f"  valhalla: {len(pairs)} pairs, {val_profile}", flush=True)
        runs[("valhalla", jol_profile)] = run_engine("valhalla", route, val_profile, pairs)
    memory["valhalla in-process"] = _rss_mb(os.getpid()) - before
    for run in runs.values():
        _valhalla_way_ids(run, valhalla)
    return runs


def _run_jol(graph_dir: Path, pairs: np.ndarray, memory: dict[str, float]) -> dict:
    """Jol in-process on every profile; memory is the RSS growth from loading and routing."""
    from services import load_services

    before = _rss_mb(os.getpid())
    router = load_services(graph_dir).router
    _KEEP_ALIVE.append(router)
    route = _jol_engine(router)
    runs: dict[tuple[str, str], Run] = {}
    for jol_profile, _ in PROFILE_PAIRS:
        print(f"  jol: {len(pairs)} pairs, {jol_profile}", flush=True)
        runs[("jol", jol_profile)] = run_engine("jol", route, jol_profile, pairs)
    memory["jol in-process"] = _rss_mb(os.getpid()) - before
    return runs


def _run_http(graph_dir: Path, pairs: np.ndarray, memory: dict[str, float]) -> dict:
    """Jol over loopback HTTP against a gunicorn server started (and stopped) here."""
    runs: dict[tuple[str, str], Run] = {}
    # One client address sends every request: lift the route bucket, or this times 429s.
    with jol_server(graph_dir, env={"JOL_RATE_LIMITS": "route=off"}) as server:
        print(f"  jol server up at {server.base}", flush=True)
        route = _jol_http_engine(server.base)
        for jol_profile, _ in PROFILE_PAIRS:
            print(f"  jol-http: {len(pairs)} pairs, {jol_profile}", flush=True)
            runs[("http", jol_profile)] = run_engine("jol-http", route, jol_profile, pairs)
        memory["jol server incl. workers (PSS)"] = _pss_mb(server.pid)
    return runs


def bench_city(city: City, args: argparse.Namespace) -> list[Row]:
    """Build both engines' data for `city`, route the pairs, print checks; table rows."""
    print(f"\n== {city.name}: preparing", flush=True)
    source = settings.data_dir() / city.pbf
    if not source.is_file():
        raise SystemExit(f"missing data file: {source}")
    pbf = _valhalla.repair_pbf(source, settings.cache_dir() / "valhalla" / city.name)
    config = _valhalla.build_tiles(pbf, settings.cache_dir() / "valhalla" / city.name)
    graph_dir = None if args.valhalla_only else _build_jol(city, pbf)
    index = osm_eval.OsmIndex(pbf)
    pairs = sample_pairs(index, args.pairs, args.seed)
    memory: dict[str, float] = {}
    runs = _run_valhalla(config, pairs, memory)
    if graph_dir is not None:
        runs |= _run_jol(graph_dir, pairs, memory)
        if not args.no_http:
            runs |= _run_http(graph_dir, pairs, memory)
    for run in runs.values():
        evaluate(run, index)
    rows = _report_city(city.name, runs)
    print("  memory (RSS growth): " + ", ".join(f"{k} {v:.0f} MiB" for k, v in memory.items()))
    disk = {"valhalla tiles": config.parent / "tiles", "jol artifact": graph_dir}
    print("  data on disk: " + ", ".join(f"{k} {_du_mb(d):.1f} MiB" for k, d in disk.items() if d))
    return rows


def _report_city(city: str, runs: dict[tuple[str, str], Run]) -> list[Row]:
    rows: list[Row] = []
    checks: list[str] = []
    for jol_profile, _ in PROFILE_PAIRS:
        val = runs[("valhalla", jol_profile)]
        jol = runs.get(("jol", jol_profile))
        answered = [a is not None for a in val.answers]
        if jol:
            answered = [v and j is not None for v, j in zip(answered, jol.answers, strict=True)]
        both = np.asarray(answered)
        rows.append(_row(city, val, both, None))
        checks.append(f"valhalla/{val.profile} {_way_agreement(val):.3f}")
        if jol:
            rows.insert(len(rows) - 1, _row(city, jol, both, runs.get(("http", jol_profile))))
            checks.append(f"jol/{jol_profile} {_way_agreement(jol):.3f}")
            http = runs.get(("http", jol_profile))
            if http:
                same = sum(
                    (h is None) == (j is None)
                    and (h is None or abs(h.distance_m - j.distance_m) < 0.5)
                    for h, j in zip(http.answers, jol.answers, strict=True)
                )
                checks.append(f"http==in-process {jol_profile} {same}/{len(http.answers)}")
    unmatched = sum(f.unmatched_interior for r in runs.values() for f in r.facts if f)
    print(
        f"  evaluator check: way-id agreement {', '.join(checks)}; "
        f"unmatched interior vertices {unmatched}"
    )
    return rows


def _print_table(rows: Sequence[Row]) -> None:
    print("\n" + _HEADER)
    print("-" * len(_HEADER))
    for i, row in enumerate(rows):
        _print_row(row)
        prev = rows[i - 1] if i else None
        if row.engine == "valhalla" and prev and prev.engine == "jol" and prev.city == row.city:
            _print_ratio(prev, row)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cities", nargs="+", choices=sorted(CITIES), default=["oslo", "almaty"])
    parser.add_argument("--no-http", action="store_true", help="skip the Jol HTTP server")
    parser.add_argument("--valhalla-only", action="store_true", help="no Jol (evaluator check)")
    args = parser.parse_args(argv)
    (settings.cache_dir() / "bench").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = [row for name in args.cities for row in bench_city(CITIES[name], args)]
    _print_table(rows)
    span = f"{MIN_PAIR_M:.0f}-{MAX_PAIR_M:.0f} m"
    print(
        f"\n{args.pairs} pairs per city (seed {args.seed}, {span}); latency over all calls; "
        "median length over pairs both engines answered; barrier columns count routes "
        "(brackets: crossings); ratio '=' means both zero; "
        f"total {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
