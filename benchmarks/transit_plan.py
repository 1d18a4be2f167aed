"""Door-to-door journey plans (routing.journeys) on Almaty and on the Atlanta pair.

    python benchmarks/transit_plan.py [--plans 300] [--baseline 30] [--seed 1] [--no-http]

Per city: `--plans` random plans between points near random stops (jittered ~100 m),
alternating the `default` and `wheelchair_manual` profiles, departing 07:00-08:00.
A plan is everything `POST /api/v1/plan` does: snapping, access and egress street
searches, RAPTOR (`next_journeys`, 60 min window), the street-only candidate and
the walk legs' answers. Timed in-process (after the per-profile stop links, timed
separately) and over HTTP against `jol serve` (benchmarks/_jol_server.py, rate
limits off). The baseline is benchmarks/transit_raptor.py's time-expanded Dijkstra
(networkx) on the same compiled timetable and date, built in this run; it answers
stop-to-stop transit only, so its ratio flatters it.

On Atlanta, where the bench extra (pyvalhalla-weekly) is installed, the same plans
go to Valhalla's `multimodal` costing on transit tiles built from the same .osm.pbf
and feeds (benchmarks/_valhalla_transit.py, which explains the time-zone and
schedule-date quirks); wheelchair_manual plans ask for `transit.wheelchair` and
pedestrian `type: wheelchair`. Printed beside Jol's: answered plans, plans riding
transit, boardings of trips with wheelchair_accessible=2 or at stops with
wheelchair_boarding=2 (and at stops whose feed says nothing), judged from the raw
GTFS, and latency. Skipped with a message where pyvalhalla is missing.

The issue names this file benchmarks/transit.py; that name shadows the `transit`
package wherever benchmarks/ is on sys.path (tests/test_directions.py puts it there).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._jol_server import jol_server
from benchmarks.transit_raptor import (
    RADIUS_M,
    WALK_MPS,
    _baseline,
    _pct,
    _queries,
    _time_expanded,
)
from jol import settings
from routing import journeys
from routing.errors import RoutingError
from routing.service import Router
from transit import raptor
from transit.timetable import Timetable

PROFILES = ("default", "wheelchair_manual")
ATLANTA = settings.data_dir() / "atlanta-osm-gtfs-pair"
DAYS = {"almaty": date(2026, 5, 5), "atlanta": date(2021, 10, 5)}


def _graph(name: str) -> Path:
    """The compiled graph + timetable folder of one city (built once, then reused)."""
    if name == "almaty":
        from cli.main import ensure_default_graph

        return ensure_default_graph()
    from graph_build.build import build_street_artifact
    from transit.build import build_for_cli

    out = settings.cache_dir() / "bench" / "atlanta-transit"
    osm = ATLANTA / "cobb-county.filtered.osm.pbf"
    build_street_artifact(osm, out, dems=[], city="cobb-county", progress=lambda _: None)
    feeds = [ATLANTA / "marta-bus-856-only.gtfs.zip", ATLANTA / "cobblinc-bus-30-only.gtfs.zip"]
    build_for_cli(feeds, out, force=False, progress=lambda _: None)
    return out


def _plans(router, tt, day: date, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    metrics = router.metrics.get("default", None)
    stops = np.flatnonzero(journeys.stop_links(router, tt, metrics, "default", None).reachable)
    out = []
    for i in range(n):
        a, b = (tt.stop_latlon(int(s)) for s in rng.sample(stops.tolist(), 2))
        jitter = [rng.uniform(-0.001, 0.001) for _ in range(4)]
        depart = datetime(day.year, day.month, day.day, 7, rng.randrange(60))
        out.append(
            {
                "from": {"lat": a[0] + jitter[0], "lon": a[1] + jitter[1]},
                "to": {"lat": b[0] + jitter[2], "lon": b[1] + jitter[3]},
                "profile": PROFILES[i % 2],
                "depart_at": depart.isoformat(),
            }
        )
    return out


def _boardings(answer: dict) -> list[tuple[str, str]]:
    """(GTFS stop_id, trip_id) of each ride of the best itinerary, without Jol's feed prefix."""
    legs = answer["itineraries"][0].get("legs", [])
    return [
        (leg["from_stop_id"].split(":", 1)[-1], leg["trip_id"].split(":", 1)[-1])
        for leg in legs
        if leg["mode"] != "walk" and "from_stop_id" in leg
    ]


def _in_process(
    router, tt, plans: list[dict]
) -> tuple[list[float], dict[str, int], list[list[tuple[str, str]] | None], list[float | None]]:
    seconds, outcomes = [], {"transit": 0, "street": 0, "error": 0}
    boards: list[list[tuple[str, str]] | None] = []
    door_s: list[float | None] = []  # depart_at to the best itinerary's arrival
    for body in plans:
        t0 = time.perf_counter()
        try:
            answer = journeys.plan_journeys(
                router,
                tt,
                (body["from"]["lat"], body["from"]["lon"]),
                (body["to"]["lat"], body["to"]["lon"]),
                body["profile"],
                depart_at=datetime.fromisoformat(body["depart_at"]),
            )
            outcomes[answer["itineraries"][0]["kind"]] += 1
            boards.append(_boardings(answer))
            arrival = datetime.fromisoformat(answer["itineraries"][0]["arrival"])
            depart = datetime.fromisoformat(body["depart_at"])
            door_s.append((arrival.replace(tzinfo=None) - depart).total_seconds())
        except RoutingError:
            outcomes["error"] += 1
            boards.append(None)
            door_s.append(None)
        seconds.append(time.perf_counter() - t0)
    return seconds, outcomes, boards, door_s


def _judge(boards: list, stop_wc: dict[str, str], trip_wc: dict[str, str], profile_of) -> str:
    """Answered / riding / inaccessible and unknown boardings, per profile, as one line."""
    parts = []
    for profile in PROFILES:
        mine = [b for i, b in enumerate(boards) if profile_of(i) == profile]
        rides = [r for b in mine if b for r in b]
        bad = sum(stop_wc.get(s) == "2" or trip_wc.get(t) == "2" for s, t in rides)
        unknown = sum(stop_wc.get(s) == "0" for s, _ in rides)
        unmatched = sum(s not in stop_wc for s, _ in rides)
        parts.append(
            f"{profile}: answered {sum(b is not None for b in mine)}/{len(mine)}, "
            f"riding {sum(bool(b) for b in mine)}, boardings {len(rides)} "
            f"(inaccessible {bad}, stop access unknown {unknown}, not in the feeds {unmatched})"
        )
    return "; ".join(parts)


def _valhalla(
    plans: list[dict], jol_boards: list, jol_door_s: list, jol_seconds: list[float], day: date
) -> None:
    """The same Atlanta plans through Valhalla's multimodal costing, printed beside Jol's."""
    try:
        from benchmarks import _valhalla_transit as vt
    except ImportError as exc:
        print(f"atlanta: Valhalla comparison skipped: {exc} (pip install -e '.[bench]')")
        return
    if vt.missing_tools():
        print(f"atlanta: Valhalla comparison skipped: the wheel lacks {vt.missing_tools()}")
        return
    feeds = [ATLANTA / "marta-bus-856-only.gtfs.zip", ATLANTA / "cobblinc-bus-30-only.gtfs.zip"]
    osm = ATLANTA / "cobb-county.filtered.osm.pbf"
    out = settings.cache_dir() / "valhalla" / "atlanta-transit"
    config, v_day = vt.build_transit_tiles(osm, feeds, out, day)
    engine = vt.ValhallaTransit(config, feeds)
    shift = v_day - day
    seconds, boards, door_s = [], [], []
    for body in plans:
        depart = datetime.fromisoformat(body["depart_at"]) + shift
        t0 = time.perf_counter()
        answer = engine.plan(
            (body["from"]["lat"], body["from"]["lon"]),
            (body["to"]["lat"], body["to"]["lon"]),
            depart,
            wheelchair=body["profile"] != "default",
        )
        seconds.append(time.perf_counter() - t0)
        # Valhalla names no trip; the trip side is judged on Jol's rides only.
        boards.append(None if answer is None else [(s, "") for s in answer[0]])
        door_s.append(None if answer is None else answer[1])
    stop_wc, trip_wc = vt.raw_wheelchair(feeds)
    n_trips_2 = sum(v == "2" for v in trip_wc.values())
    n_stops_2 = sum(v == "2" for v in stop_wc.values())
    print(
        f"atlanta: raw GTFS: {n_stops_2} stops wheelchair_boarding=2, "
        f"{n_trips_2} trips wheelchair_accessible=2; Valhalla asked for {v_day} "
        f"(= {day} moved {shift.days} days, see benchmarks/_valhalla_transit.py)"
    )

    def profile_of(i: int) -> str:
        return plans[i]["profile"]

    print(f"atlanta: Jol      {_judge(jol_boards, stop_wc, trip_wc, profile_of)}")
    print(f"atlanta: Valhalla {_judge(boards, stop_wc, trip_wc, profile_of)}")
    both = [
        (j, v)
        for body, j, v in zip(plans, jol_door_s, door_s, strict=True)
        if body["profile"] == "default" and j is not None and v is not None
    ]
    if both:
        jol_min = float(np.median([j for j, _ in both])) / 60
        val_min = float(np.median([v for _, v in both])) / 60
        print(
            f"atlanta: depart_at to arrival, {len(both)} default plans both answered: "
            f"Jol median {jol_min:.1f} min, Valhalla median {val_min:.1f} min"
        )
    print(
        f"atlanta: {len(plans)} plans in-process latency: Jol p50 {_pct(jol_seconds, 50):.1f} ms, "
        f"p95 {_pct(jol_seconds, 95):.1f} ms; Valhalla {vt.valhalla.__version__} p50 "
        f"{_pct(seconds, 50):.1f} ms, p95 {_pct(seconds, 95):.1f} ms"
    )


def _over_http(graph_dir: Path, plans: list[dict]) -> list[float]:
    seconds = []
    with jol_server(graph_dir, "transit", env={"JOL_RATE_LIMITS": "off"}) as server:
        session = requests.Session()
        session.post(f"{server.base}/api/v1/plan", json=plans[0], timeout=120)  # links per worker
        session.post(f"{server.base}/api/v1/plan", json=plans[1], timeout=120)
        for body in plans:
            t0 = time.perf_counter()
            answer = session.post(f"{server.base}/api/v1/plan", json=body, timeout=60)
            seconds.append(time.perf_counter() - t0)
            assert answer.status_code in (200, 422), answer.text[:300]
    return seconds


def run(name: str, n: int, n_baseline: int, seed: int, http: bool) -> None:
    graph_dir = _graph(name)
    router, tt = Router.load(graph_dir), Timetable.load(graph_dir)
    day = DAYS[name]
    for profile in PROFILES:
        t0 = time.perf_counter()
        journeys.stop_links(router, tt, router.metrics.get(profile, None), profile, None)
        took_s = time.perf_counter() - t0
        print(f"{name}: stop links + transfer walks for {profile}: {took_s:.2f} s")
    plans = _plans(router, tt, day, n, seed)
    local, outcomes, boards, door_s = _in_process(router, tt, plans)
    p50 = _pct(local, 50)
    print(
        f"{name}: {n} plans in-process (access, egress, RAPTOR, street candidate, legs): "
        f"p50 {p50:.1f} ms, p95 {_pct(local, 95):.1f} ms; best itinerary {outcomes}"
    )
    if name == "atlanta":
        _valhalla(plans, boards, door_s, local, day)
    if http:
        remote = _over_http(graph_dir, plans)
        print(
            f"{name}: {n} plans over HTTP (jol serve): p50 {_pct(remote, 50):.1f} ms, "
            f"p95 {_pct(remote, 95):.1f} ms"
        )
    pairs = tt.transfer_candidates(RADIUS_M)
    fp = raptor.Footpaths.from_pairs(tt.n_stops, pairs[0], pairs[1], pairs[2] / WALK_MPS)
    t0 = time.perf_counter()
    graph = _time_expanded(tt, day, fp)
    build_s = time.perf_counter() - t0
    base = [_baseline(graph, q) for q in _queries(tt, day, n_baseline, seed, pairs)]
    b50 = _pct(base, 50)
    print(
        f"{name}: time-expanded Dijkstra (networkx, stop to stop, one departure, graph built in "
        f"{build_s:.1f} s), {len(base)} queries: p50 {b50:.1f} ms; "
        f"plan p50 / baseline p50 = {p50 / b50:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cities", nargs="+", default=["almaty", "atlanta"])
    parser.add_argument("--no-http", dest="http", action="store_false")
    args = parser.parse_args()
    for name in args.cities:
        run(name, args.plans, args.baseline, args.seed, args.http)


if __name__ == "__main__":
    main()
