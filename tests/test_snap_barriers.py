"""No silent snap across a flight of steps.

A point on or beside a flight lies at one of its ends. The nearest way a
wheelchair can use may be at the other end: snapping there told the person
they had arrived (a 0 m route) with the steps between them and the goal. Now
the point snaps at its own end where a usable way leaves it, and otherwise the
route warns `snapped_across_barrier`. Cases are the real flights of the Oslo
and Helsinki extracts, points 1.5 m inside each end of a flight.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import city_router

from routing.errors import RoutingError
from routing.geometry import cut_polyline
from routing.service import Router

INSIDE_M = 1.5
SAME_SIDE_M = 3.0  # routing.snap: a snap this near a flight's end is on that end's side


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance between two (lat, lon) points."""
    scale = math.cos(math.radians(a[0]))
    dx = math.radians(b[1] - a[1]) * scale
    dy = math.radians(b[0] - a[0])
    return math.hypot(dx, dy) * 6_371_008.8


def _flight_ends(router: Router, count: int, seed: int):
    """(edge, point near u, point near v, u, v) for random flights at least 4 m long."""
    a = router.graph.arrays
    flights = np.flatnonzero(a["edge_is_steps"] & ~a["edge_reversed"] & (a["edge_length_m"] >= 4))
    rng = np.random.default_rng(seed)
    for edge in rng.choice(flights, size=min(count, len(flights)), replace=False):
        coords = router.graph.edge_coords(edge)
        inside = INSIDE_M / float(a["edge_length_m"][edge])
        near_u = cut_polyline(coords, 0.0, inside)[-1]
        near_v = cut_polyline(coords, 1 - inside, 1.0)[0]
        yield (
            int(edge),
            (float(near_u[1]), float(near_u[0])),
            (float(near_v[1]), float(near_v[0])),
            int(a["edge_u"][edge]),
            int(a["edge_v"][edge]),
        )


def _node(router: Router, node: int) -> tuple[float, float]:
    return float(router.graph.node_lat[node]), float(router.graph.node_lon[node])


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_a_route_across_a_flight_is_never_silently_zero(city: str) -> None:
    router = city_router(city)
    steps_ways = set(router.graph.arrays["edge_osm_way_id"][router.graph.is_steps].tolist())
    short = 0
    for edge, near_u, near_v, u, v in _flight_ends(router, 150, seed=3):
        try:
            answer = router.route(near_u, near_v, "wheelchair_manual")
        except RoutingError as error:
            assert error.code == "no_accessible_route"
            continue
        route = answer["routes"][0]
        moved = [w["params"] for w in route["warnings"] if w["code"] == "snapped_across_barrier"]
        for params in moved:
            assert params["osm_id"] in steps_ways and params["point"] in ("from", "to")
        if route["distance_m"] >= _metres(near_u, near_v) / 2:
            continue
        # "Arrived" although a flight lies between: silent only if each point snapped at its
        # own end of the flight (a U-shaped flight has both ends by one way).
        short += 1
        home = [
            _metres((answer["snap"][f]["lat"], answer["snap"][f]["lon"]), _node(router, n))
            <= INSIDE_M + SAME_SIDE_M
            for f, n in (("from", u), ("to", v))
        ]
        assert moved or all(home), (edge, near_u, near_v, route["distance_m"])
    assert short >= 1, "the sample must contain flights with no usable way at one end"


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_a_point_by_a_flight_snaps_at_its_own_end(city: str) -> None:
    """Where the nearest usable way is at the far end, the point snaps at its own end or the
    route says it was moved across the flight."""
    router = city_router(city)
    metrics = router.metrics.get("wheelchair_manual", None)
    cases = 0
    for _, near_u, _, u, v in _flight_ends(router, 300, seed=5):
        plain = router.planner.snapper.snap(*near_u, metrics.usable)
        if plain is None:
            continue
        own, far = _node(router, u), _node(router, v)
        if _metres((plain.lat, plain.lon), far) > 3 or _metres(own, far) < 8:
            continue  # the plain snap is not at the far end of a real flight
        try:
            answer = router.route(near_u, far, "wheelchair_manual")
        except RoutingError:
            continue
        snapped = answer["snap"]["from"]
        warned = any(
            w["code"] == "snapped_across_barrier" and w["params"]["point"] == "from"
            for w in answer["routes"][0]["warnings"]
        )
        at_home = _metres((snapped["lat"], snapped["lon"]), own) < 0.5
        assert at_home or warned, (near_u, snapped)
        cases += 1
    assert cases >= 1, "the sample must contain points whose nearest usable way is past a flight"


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_page_can_say_the_warning(lang: str) -> None:
    from web.page import translations

    table = translations()[lang]
    assert "{point}" in table["warning_snapped_across_barrier"]
    assert table["point_from"] and table["point_to"]
