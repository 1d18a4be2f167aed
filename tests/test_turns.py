"""Turns between route steps: angles, kinds, clock-face hours, on real routes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing.errors import RoutingError
from routing.service import Router
from routing.turns import clock_hour, compass_point, heading_deg, turn_angle_deg, turn_kind


@pytest.mark.parametrize(
    ("b", "expected"),
    [([0.0, 1.0], 0.0), ([1.0, 0.0], 90.0), ([0.0, -1.0], 180.0), ([-1.0, 0.0], 270.0)],
)
def test_heading_is_clockwise_from_north(b: list[float], expected: float) -> None:
    assert heading_deg([0.0, 0.0], b) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("before", "after", "angle"),
    [(350, 10, 20), (10, 350, -20), (0, 180, -180), (90, 0, -90), (270, 0, 90)],
)
def test_turn_angle_wraps_around_north(before: float, after: float, angle: float) -> None:
    assert turn_angle_deg(before, after) == pytest.approx(angle)


@pytest.mark.parametrize(
    ("angle", "kind", "side", "hour"),
    [
        (0, "straight", None, 12),
        (-19, "straight", None, 11),
        (30, "slight", "right", 1),
        (-44, "slight", "left", 11),
        (90, "turn", "right", 3),
        (-90, "turn", "left", 9),
        (150, "sharp", "right", 5),
        (-175, "u_turn", "left", 6),
    ],
)
def test_turn_kind_and_clock_face(angle: float, kind: str, side: str | None, hour: int) -> None:
    assert turn_kind(angle) == (kind, side)
    assert clock_hour(angle) == hour


def test_compass_points() -> None:
    assert [compass_point(h) for h in (0, 44, 91, 180, 230, 359)] == [
        "north",
        "north_east",
        "east",
        "south",
        "south_west",
        "north",
    ]


def _local_xy(point: list[float], origin: list[float]) -> np.ndarray:
    """[lon, lat] to metres east/north of `origin` (plane, fine over tens of metres)."""
    k = math.cos(math.radians(origin[1]))
    return np.array([(point[0] - origin[0]) * k, point[1] - origin[1]]) * 111_195.0


def _routes(router: Router, count: int, seed: int) -> list[dict]:
    a = router.graph.arrays
    rng = np.random.default_rng(seed)
    routes = []
    while len(routes) < count:
        u, v = rng.integers(0, router.graph.node_count, 2)
        try:
            answer = router.route(
                (float(a["node_lat"][u]), float(a["node_lon"][u])),
                (float(a["node_lat"][v]), float(a["node_lon"][v])),
                "default",
            )
        except RoutingError:
            continue
        routes.append(answer["routes"][0])
    return routes


@pytest.mark.parametrize("city", ["almaty", "oslo"])
def test_turn_sides_agree_with_the_geometry(city: str, request: pytest.FixtureRequest) -> None:
    """Each turn's side is the side the next step leaves towards, judged in metres.

    The oracle is independent of routing.turns: the sign of the cross product of
    the ways in and out of the junction, each taken to the neighbouring vertex.
    """
    router: Router = request.getfixturevalue(city)
    checked = 0
    for route in _routes(router, 60, seed=11):
        coords = route["geometry"]["coordinates"]
        segments = route["segments"]
        assert segments[0]["turn"] is None and "compass" in segments[0]["heading"]
        for segment in segments[1:]:
            turn = segment["turn"]
            first = segment["coordinates_range"][0]
            if turn is None or abs(turn["angle_deg"]) < 45 or abs(turn["angle_deg"]) > 135:
                continue
            junction = coords[first]
            inward = -_local_xy(coords[first - 1], junction)
            outward = _local_xy(coords[first + 1], junction)
            if min(np.hypot(*inward), np.hypot(*outward)) < 8.0:
                continue  # a short kink: routing.turns looks farther, the oracle cannot
            cross = inward[0] * outward[1] - inward[1] * outward[0]
            assert turn["side"] == ("left" if cross > 0 else "right"), (segment, turn)
            # The clock hand points within half an hour (15 degrees) of the turn.
            off = (turn["clock"] % 12 * 30 - turn["angle_deg"] + 180) % 360 - 180
            assert abs(off) <= 15, turn
            checked += 1
    assert checked >= 30, checked


def _street_ends(router: Router) -> dict[int, int]:
    """Per node, street ends meeting there: the oracle's own count over the raw arrays."""
    a, vocab = router.graph.arrays, router.graph.vocab["highway"]
    ends: dict[int, int] = {}
    for edge in range(router.graph.edge_count):
        minor = vocab[a["edge_highway"][edge]] in ("service", "track")
        if a["edge_is_road"][edge] and not a["edge_reversed"][edge] and not minor:
            for node in (int(a["edge_u"][edge]), int(a["edge_v"][edge])):
                ends[node] = ends.get(node, 0) + 1
    return ends


def test_unmapped_junctions_are_the_intersections_the_line_passes(almaty: Router) -> None:
    """Almaty maps almost no crossings or kerbs, so nearly every intersection passed counts.

    Routes that meet a crossing way or a crossing or kerb the answer lists are
    left out; a crossing node the route walks along the road through is mapped
    (it is in the arrays) though the answer lists it only when crossed.
    """
    a = almaty.graph.arrays
    ends = _street_ends(almaty)
    node_at = {
        (round(float(lon), 7), round(float(lat), 7)): n
        for n, (lat, lon) in enumerate(zip(a["node_lat"], a["node_lon"], strict=True))
    }
    compared = 0
    for route in _routes(almaty, 40, seed=5):
        coords = route["geometry"]["coordinates"]
        marked = {
            (b["lon"], b["lat"])
            for s in route["segments"]
            for b in s["barriers"]
            if b["kind"] in ("crossing", "kerb")
        }
        crossing_ways = any(s["footway"] == "crossing" for s in route["segments"])
        if marked or crossing_ways:
            continue  # the oracle knows no crossings; keep to routes without any
        passed = [node_at.get((round(x, 7), round(y, 7))) for x, y in coords[1:-1]]
        expected = sum(
            1
            for n in passed
            if n is not None
            and ends.get(n, 0) >= 3
            and not (a["node_is_crossing"][n] or a["node_has_kerb"][n])
        )
        assert route["unknown"]["junctions"] == expected
        compared += 1
    assert compared >= 20, compared
