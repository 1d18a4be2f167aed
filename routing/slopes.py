"""Where a route is steep: its steepest grades and the stretches beyond the profile's comfort.

A limit (`max_incline_*_pct`) makes a way impassable; comfort
(`comfort_grade_pct`) only warns. Both read the same directed per-edge grades:
the steepest climb and descent over any smoothing window of the edge in its
travel direction (or the `incline` tag). A stretch is a run of consecutive legs
steeper than comfort in one direction, so its length is as fine as the edges.
"""

from __future__ import annotations

import numpy as np

from routing.geometry import cut_polyline
from routing.graph import StreetGraph

Leg = tuple[int, float, float]
_DIRECTIONS = (("up", "edge_max_up_pct"), ("down", "edge_max_down_pct"))


def steepest_grades(graph: StreetGraph, legs: list[Leg]) -> dict[str, float | str]:
    """Steepest climb and descent (%, >= 0) on the legs with a known slope, else "unknown"."""
    # Grades are nan exactly where the slope is unknown (no DEM there and no tag).
    known = [leg[0] for leg in legs if not np.isnan(graph.arrays["edge_max_up_pct"][leg[0]])]
    if not known:
        return {"up_pct": "unknown", "down_pct": "unknown"}
    return {
        f"{direction}_pct": round(float(graph.arrays[column][known].max()), 1)
        for direction, column in _DIRECTIONS
    }


def steep_stretches(graph: StreetGraph, legs: list[Leg], comfort_pct: float) -> list[dict]:
    """Runs of legs steeper than `comfort_pct` uphill or downhill, in route order.

    Each gives its steepest `grade_pct`, `length_m`, the `lat`/`lon` where it
    starts, its `direction` and its `source` ("dem" unless every piece is tagged).
    """
    found: list[tuple[int, dict]] = []
    for direction, column in _DIRECTIONS:
        run: dict | None = None
        for i, (edge, start, end) in enumerate(legs):
            grade = float(graph.arrays[column][edge])
            if not grade > comfort_pct:  # nan (unknown) is never steep
                run = None
                continue
            length_m = (end - start) * float(graph.arrays["edge_length_m"][edge])
            tagged = not np.isnan(graph.arrays["edge_incline_tag_pct"][edge])
            if run is None:
                first = cut_polyline(graph.edge_coords(edge), start, end)[0]
                run = {
                    "direction": direction,
                    "grade_pct": grade,
                    "length_m": 0.0,
                    "lat": round(float(first[1]), 7),
                    "lon": round(float(first[0]), 7),
                    "source": "tag",
                }
                found.append((i, run))
            run["grade_pct"] = max(run["grade_pct"], grade)
            run["length_m"] += length_m
            if not tagged:
                run["source"] = "dem"
    found.sort(key=lambda pair: pair[0])
    return [
        stretch
        | {"grade_pct": round(stretch["grade_pct"], 1), "length_m": round(stretch["length_m"])}
        for _, stretch in found
    ]
