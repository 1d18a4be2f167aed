"""The accessibility promises of the street router, on real OSM extracts.

Every expectation is measured from the real router on real data; pairs come
from the graphs themselves (a fixed seed), never from hand-picked answers.
"""

from __future__ import annotations

import numpy as np
import pytest

from routing.errors import RoutingError
from routing.service import Router
from web.errors import routing_status

WHEELED = ("wheelchair_manual", "wheelchair_electric", "pram")


def _node_point(router: Router, node: int) -> tuple[float, float]:
    a = router.graph.arrays
    return float(a["node_lat"][node]), float(a["node_lon"][node])


def _route_or_error(router: Router, origin, target, profile: str, overrides=None):
    try:
        return router.route(origin, target, profile, overrides), None
    except RoutingError as error:
        return None, error


def _barriers(answer: dict, kind: str) -> list[dict]:
    return [b for s in answer["routes"][0]["segments"] for b in s["barriers"] if b["kind"] == kind]


def _uses_steps(answer: dict, *, ramps_count: bool = True) -> bool:
    """Whether a route climbs steps; flights with a wheelchair ramp count only if `ramps_count`."""
    flights = _barriers(answer, "steps")
    return any(ramps_count or flight["ramp"] != "yes" for flight in flights)


def _pairs_across_steps(router: Router, count: int, seed: int = 7) -> list[tuple]:
    """Points ~30 m beyond each end of sampled flights of steps (graph nodes)."""
    a = router.graph.arrays
    steps = np.flatnonzero(a["edge_is_steps"] & ~a["edge_reversed"])
    rng = np.random.default_rng(seed)
    chosen = rng.choice(steps, size=min(count, len(steps)), replace=False)
    return [
        (_node_point(router, a["edge_u"][e]), _node_point(router, a["edge_v"][e])) for e in chosen
    ]


def test_wheelchair_routes_never_use_steps_where_the_walk_does(tagged_city: Router) -> None:
    walks_with_steps = 0
    for origin, target in _pairs_across_steps(tagged_city, 60):
        walk, _ = _route_or_error(tagged_city, origin, target, "default")
        if walk is None or not _uses_steps(walk):
            continue
        walks_with_steps += 1
        for profile in WHEELED:
            answer, error = _route_or_error(tagged_city, origin, target, profile)
            if answer is not None:
                assert not _uses_steps(answer, ramps_count=False), (profile, origin, target)
            else:
                assert error.code == "no_accessible_route"
                assert error.details["blocking"], "a failed route must name what blocks it"
    assert walks_with_steps >= 10, "the sample must contain walks that really use steps"


def test_no_wheelchair_route_crosses_a_kerb_above_its_limit(oslo: Router) -> None:
    """Oslo's kerbs are lowered (3 cm) or flush: a 2 cm chair must avoid the lowered ones."""
    a = oslo.graph.arrays
    lowered = np.flatnonzero(a["node_has_kerb"] & (a["node_kerb_height_cm"] == 3))
    rng = np.random.default_rng(3)
    crossed_at_3cm = 0
    for node in rng.choice(lowered, size=40, replace=False):
        edges = np.flatnonzero(a["edge_v"] == node)
        ends = [int(a["edge_u"][e]) for e in edges[:2]]
        if len(ends) < 2:
            continue
        origin, target = _node_point(oslo, ends[0]), _node_point(oslo, ends[1])
        usual, _ = _route_or_error(oslo, origin, target, "wheelchair_manual")
        if usual is not None:
            heights = [b["height_cm"] for b in _barriers(usual, "kerb")]
            assert all(h == "unknown" or h <= 3 for h in heights)
            crossed_at_3cm += heights.count(3.0)
        strict, error = _route_or_error(
            oslo, origin, target, "wheelchair_manual", {"max_kerb_cm": 2}
        )
        if strict is not None:
            heights = [b["height_cm"] for b in _barriers(strict, "kerb")]
            assert all(h == "unknown" or h <= 2 for h in heights), heights
        else:
            assert {b["reason"] for b in error.details["blocking"]} & {"kerb_too_high"}
    assert crossed_at_3cm >= 5, "with its usual 3 cm limit the chair does cross lowered kerbs"


def test_unknown_kerbs_are_avoided_when_the_profile_says_avoid(oslo: Router) -> None:
    a = oslo.graph.arrays
    unknown = np.flatnonzero(a["node_has_kerb"] & np.isnan(a["node_kerb_height_cm"]))
    checked = 0
    for node in unknown:
        edges = np.flatnonzero(a["edge_v"] == node)
        if len(edges) < 2:
            continue
        origin = _node_point(oslo, int(a["edge_u"][edges[0]]))
        target = _node_point(oslo, int(a["edge_u"][edges[1]]))
        answer, _ = _route_or_error(
            oslo, origin, target, "wheelchair_manual", {"unknown_kerb": "avoid"}
        )
        if answer is not None:
            assert all(b["height_cm"] != "unknown" for b in _barriers(answer, "kerb"))
            checked += 1
    assert checked >= 3


def _crossing_quality(answer: dict) -> tuple[int, int]:
    crossings = _barriers(answer, "crossing")
    good = [c for c in crossings if "yes" in (c["tactile_paving"], c["sound"])]
    return len(crossings), len(good)


def test_blind_routes_prefer_tactile_or_audible_crossings(oslo: Router) -> None:
    """Near crossings with tactile paving or sound, blind routes use them more often than walks."""
    a = oslo.graph.arrays
    good_nodes = np.flatnonzero(
        a["node_is_crossing"] & ((a["node_tactile"] == 1) | (a["node_sound"] == 1))
    )
    rng = np.random.default_rng(11)
    totals = {"default": [0, 0], "blind": [0, 0]}
    for node in rng.choice(good_nodes, size=80, replace=False):
        lat, lon = _node_point(oslo, node)
        # Two points ~150-250 m apart on either side of a well-equipped crossing.
        bearing = rng.uniform(0, np.pi)
        d = rng.uniform(0.0014, 0.0022)
        origin = (lat + d * np.cos(bearing), lon + 2 * d * np.sin(bearing))
        target = (lat - d * np.cos(bearing), lon - 2 * d * np.sin(bearing))
        for profile in totals:
            answer, _ = _route_or_error(oslo, origin, target, profile)
            if answer is None:
                continue
            crossings, good = _crossing_quality(answer)
            totals[profile][0] += crossings
            totals[profile][1] += good
    share = {p: good / max(all_, 1) for p, (all_, good) in totals.items()}
    print("share of crossings with tactile paving or sound:", share, totals)
    assert totals["blind"][0] >= 20
    assert share["blind"] > share["default"] + 0.1


def test_no_accessible_route_names_a_real_blocking_barrier(oslo: Router) -> None:
    a = oslo.graph.arrays
    node_ids = set(a["node_osmid"].tolist())
    way_ids = set(a["edge_osm_way_id"].tolist())
    failures = 0
    for origin, target in _pairs_across_steps(oslo, 200, seed=5):
        _, error = _route_or_error(oslo, origin, target, "wheelchair_manual")
        if error is None:
            continue
        assert error.code == "no_accessible_route"
        assert routing_status(error) == 422
        if error.details["reason"] == "not_connected":  # an island no way reaches, steps or not
            assert error.details["blocking"] == []
            continue
        blocking = error.details["blocking"]
        assert blocking
        for barrier in blocking:
            known = node_ids if barrier["osm_type"] == "node" else way_ids
            assert barrier["osm_id"] in known
            assert barrier["reason"] and barrier["kind"]
            assert abs(barrier["lat"] - origin[0]) < 0.05 and abs(barrier["lon"] - origin[1]) < 0.1
        failures += 1
    assert failures >= 1, "the sample must contain a pair only steps connect"


def test_slopes_are_directed_uphill_blocks_downhill_passes(almaty: Router) -> None:
    north, south = (43.262, 76.935), (43.238, 76.945)  # the city climbs to the south
    limits = {"max_incline_up_pct": 2.0, "max_incline_down_pct": 100}
    downhill = almaty.route(south, north, "wheelchair_manual", limits)
    assert downhill["routes"][0]["descent_m"] > downhill["routes"][0]["ascent_m"]
    with pytest.raises(RoutingError) as raised:
        almaty.route(north, south, "wheelchair_manual", limits)
    reasons = {b["reason"] for b in raised.value.details["blocking"]}
    assert "too_steep_up" in reasons


def test_reported_slopes_respect_the_profile(almaty: Router) -> None:
    rng = np.random.default_rng(2)
    a = almaty.graph.arrays
    main = np.flatnonzero(a["node_component"] == 0)
    checked = 0
    for _ in range(60):
        u, v = rng.choice(main, 2)
        answer, _ = _route_or_error(
            almaty, _node_point(almaty, u), _node_point(almaty, v), "wheelchair_manual"
        )
        if answer is None:
            continue
        checked += 1
        for segment in answer["routes"][0]["segments"]:
            incline = segment["incline"]
            if incline["source"] != "unknown":
                assert incline["max_up_pct"] <= 8.33 + 0.05
                assert incline["max_down_pct"] <= 10 + 0.05
    assert checked >= 30


def test_overrides_are_applied_and_reported(almaty: Router) -> None:
    origin, target = (43.2548, 76.9449), (43.2449, 76.9499)
    plain = almaty.route(origin, target, "wheelchair_manual")
    slow = almaty.route(origin, target, "wheelchair_manual", {"speed_mps": 0.45})
    assert slow["overrides"] == {"speed_mps": 0.45}
    assert slow["routes"][0]["duration_s"] == pytest.approx(
        2 * plain["routes"][0]["duration_s"], rel=0.02
    )


def test_every_profile_finds_a_route_in_central_almaty(almaty: Router) -> None:
    for profile in (p["name"] for p in almaty.profiles()):
        answer = almaty.route((43.2548, 76.9449), (43.2449, 76.9499), profile)
        assert 900 < answer["routes"][0]["distance_m"] < 3000, profile


def test_cch_and_dijkstra_agree(oslo: Router) -> None:
    from routing.engine import DijkstraEngine

    g = oslo.graph
    cost = oslo.metrics.get("wheelchair_manual").costs.edge_s
    cch = oslo.metrics.get("wheelchair_manual").metric
    plain = DijkstraEngine(g.node_count, g.edge_u, g.edge_v).metric(cost)
    rng = np.random.default_rng(9)
    compared = 0
    for _ in range(25):
        u, v = (int(x) for x in rng.choice(g.node_count, 2))
        fast, slow = (
            cch.shortest_path([(u, 0.0)], [(v, 0.0)]),
            plain.shortest_path([(u, 0.0)], [(v, 0.0)]),
        )
        assert (fast is None) == (slow is None)
        if fast is not None:
            compared += 1
            assert fast.cost_s == pytest.approx(slow.cost_s, abs=0.05)
            assert fast.edges[0] in np.flatnonzero(g.edge_u == u)
    assert compared >= 15


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_override_metrics_evicted_by_one_thread_after_use_in_another(almaty: Router) -> None:
    """The threaded server evicts cached override metrics from any request thread.

    The CCH binding's query objects may only be freed by the thread that made them;
    this used to leak them with an "unsendable" error on every cross-thread eviction.
    """
    import gc
    import threading

    from routing.metrics import OVERRIDE_CACHE_SIZE

    origin, target = (43.2380, 76.9450), (43.2440, 76.9560)
    answers: list[dict] = []

    def ask(max_incline: float) -> None:
        answers.append(almaty.route(origin, target, "default", {"max_incline_up_pct": max_incline}))

    asked, evicted = threading.Event(), threading.Event()

    def keep_alive_worker() -> None:  # like a keep-alive connection's thread
        ask(12.5)
        asked.set()
        evicted.wait(timeout=60)

    worker = threading.Thread(target=keep_alive_worker)
    worker.start()
    asked.wait(timeout=60)
    for step in range(OVERRIDE_CACHE_SIZE + 2):  # evict the worker's metric here
        ask(13.0 + step / 10)
    gc.collect()
    evicted.set()
    worker.join()
    assert len(answers) == OVERRIDE_CACHE_SIZE + 3
    assert all(a["routes"][0]["distance_m"] > 0 for a in answers)


def test_snapping_uses_only_edges_the_profile_can_use(tagged_city: Router) -> None:
    a = tagged_city.graph.arrays
    steps = np.flatnonzero(a["edge_is_steps"] & ~a["edge_reversed"])[:30]
    for edge in steps:
        coords = tagged_city.graph.edge_coords(int(edge))
        middle = coords[len(coords) // 2]
        try:
            answer = tagged_city.route(
                (middle[1], middle[0]), (middle[1], middle[0]), "wheelchair_manual"
            )
        except RoutingError as error:
            assert error.code in ("outside_area", "no_accessible_route")
            continue
        assert answer["routes"][0]["segments"][0]["highway"] != "steps"


@pytest.mark.parametrize(
    ("origin", "target", "profile", "overrides", "code", "status"),
    [
        ((43.25, 76.94), (43.24, 76.95), "rocket", None, "unknown_profile", 400),
        (
            (43.25, 76.94),
            (43.24, 76.95),
            "wheelchair_manual",
            {"max_kerb_cm": 99},
            "invalid_override",
            400,
        ),
        (
            (43.25, 76.94),
            (43.24, 76.95),
            "wheelchair_manual",
            {"max_kerb_cm": "high"},
            "invalid_override",
            400,
        ),
        (
            (43.25, 76.94),
            (43.24, 76.95),
            "wheelchair_manual",
            {"wings": True},
            "invalid_override",
            400,
        ),
        (
            (43.25, 76.94),
            (43.24, 76.95),
            "wheelchair_manual",
            {"unknown_kerb": "maybe"},
            "invalid_override",
            400,
        ),
        ((51.128, 71.430), (43.24, 76.95), "default", None, "outside_area", 422),  # Astana
        ((43.25, 76.94), (91.0, 76.95), "default", None, "invalid_request", 400),
        (("x", 1), (43.24, 76.95), "default", None, "invalid_request", 400),
    ],
)
def test_bad_input_gets_a_clear_error(
    almaty, origin, target, profile, overrides, code, status
) -> None:
    with pytest.raises(RoutingError) as raised:
        almaty.route(origin, target, profile, overrides)
    assert raised.value.code == code
    assert routing_status(raised.value) == status
    assert raised.value.message
    body = raised.value.to_dict()
    assert set(body["error"]) == {"code", "message", "details"}


def test_a_point_in_the_sea_is_outside_the_area(oslo: Router) -> None:
    inner_oslofjord = (59.898, 10.714)  # water south-east of Bygdøynes
    with pytest.raises(RoutingError) as raised:
        oslo.route(inner_oslofjord, (59.91, 10.75), "default")
    assert raised.value.code == "outside_area"
    assert raised.value.details["field"] == "from"


def test_a_point_among_only_impassable_ways_is_explained_not_called_outside(almaty: Router) -> None:
    """With no slope tolerated at all, the ways near a point exist but none can be used."""
    flat_only = {"max_incline_up_pct": 0, "max_incline_down_pct": 0}
    with pytest.raises(RoutingError) as raised:
        almaty.route((43.2548, 76.9449), (43.2449, 76.9499), "wheelchair_manual", flat_only)
    error = raised.value
    assert error.code == "no_accessible_route"
    reasons = {b["reason"] for b in error.details["blocking"]}
    assert reasons & {"too_steep_up", "too_steep_down"}
