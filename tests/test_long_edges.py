"""Long edges are cut so a slope limit blocks only the steep stretch (issue 10, defect 2).

The 2012 Almaty extract has edges kilometres long; graded whole, one steep
stretch closed all of it and snapping could not reach its flat end.
"""

from __future__ import annotations

import math

import numpy as np

from jol import settings
from routing.errors import RoutingError
from routing.service import Router

_EARTH_M_PER_DEG = 111_195.0


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (a[0] - b[0]) * _EARTH_M_PER_DEG
    east = (a[1] - b[1]) * _EARTH_M_PER_DEG * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def test_no_almaty_edge_is_longer_than_a_piece_and_pieces_pair_up(almaty: Router) -> None:
    a = almaty.graph.arrays
    whole = a["edge_is_steps"] | a["edge_is_elevator"] | a["edge_is_crossing"] | a["edge_has_kerb"]
    assert a["edge_length_m"][~whole].max() <= settings.EDGE_MAX_PIECE_M + 0.01
    reverse = a["edge_reverse"]
    paired = np.flatnonzero(reverse >= 0)
    assert len(paired) == len(reverse)  # every piece of a two-way street has its twin
    assert np.array_equal(reverse[reverse[paired]], paired)
    assert np.array_equal(a["edge_osm_way_id"][paired], a["edge_osm_way_id"][reverse[paired]])
    assert np.array_equal(a["edge_u"][paired], a["edge_v"][reverse[paired]])
    assert np.allclose(a["edge_max_up_pct"][paired], a["edge_max_down_pct"][reverse[paired]])
    # pieces still join end to end: each edge's geometry starts at its tail node
    starts = a["geom_offsets"][:-1]
    assert np.allclose(a["geom_lat"][starts], a["node_lat"][a["edge_u"]])
    assert np.allclose(a["geom_lon"][starts], a["node_lon"][a["edge_u"]])


def test_the_refused_pair_of_the_issue_is_now_answered(almaty: Router) -> None:
    """The first 1.2 km grade 8.0 % / -8.1 % independently: passable for a manual chair."""
    answer = almaty.route((43.3624644, 76.8997523), (43.3496387, 76.9570348), "wheelchair_manual")
    route = answer["routes"][0]
    assert route["distance_m"] > 4000
    assert answer["snap"]["from"]["distance_m"] < 50


def test_a_refusal_names_a_stretch_near_the_point_not_the_far_end_of_its_edge(
    almaty: Router,
) -> None:
    origin = (43.2514421, 77.0224958)
    try:
        almaty.route(origin, (43.2548, 76.9449), "wheelchair_manual")
    except RoutingError as error:
        assert error.code == "no_accessible_route"
        first = error.details["blocking"][0]
        # before the cut this named 43.2586689,76.9926294, 2.5 km away from the point
        assert _metres(origin, (first["lat"], first["lon"])) < settings.EDGE_MAX_PIECE_M
