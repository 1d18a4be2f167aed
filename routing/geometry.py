"""Distances along polylines, measured one way everywhere.

Snapping computes where on an edge a point lands and the answer cuts the edge
there; both must use the same measure of "how far along", or the route line
starts metres away from the snapped point on long, bent edges.
"""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def cumulative_m(lonlat: np.ndarray) -> np.ndarray:
    """Metres from the first vertex to each vertex of a (lon, lat) polyline.

    Equirectangular at the polyline's mean latitude: exact enough for street
    edges (a few km at most) and cheap.
    """
    scale = math.cos(math.radians(float(lonlat[:, 1].mean())))
    dx = np.radians(np.diff(lonlat[:, 0])) * scale
    dy = np.radians(np.diff(lonlat[:, 1]))
    return np.concatenate([[0.0], np.cumsum(np.hypot(dx, dy)) * EARTH_RADIUS_M])


def cut_polyline(coords: np.ndarray, start: float, end: float) -> np.ndarray:
    """Part of a (lon, lat) polyline between two fractions of its length."""
    if start <= 0 and end >= 1:
        return coords
    cumulative = cumulative_m(coords)
    total = cumulative[-1] or 1.0
    wanted = np.array([start, end]) * total
    xs = np.interp(wanted, cumulative, coords[:, 0])
    ys = np.interp(wanted, cumulative, coords[:, 1])
    inside = (cumulative > wanted[0]) & (cumulative < wanted[1])
    return np.vstack([[xs[0], ys[0]], coords[inside], [xs[1], ys[1]]])
