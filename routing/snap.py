"""Snap a (lat, lon) to the nearest point on an edge the profile can use.

Edges are sampled every few metres into a KD-tree in a local metric
projection; the exact nearest point is then found on the candidate edges'
polylines. Points farther than ``settings.SNAP_MAX_DISTANCE_M`` from any usable
edge are outside the area (the sea, another city, a typo in a coordinate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from jol import settings
from routing.geometry import EARTH_RADIUS_M, cumulative_m
from routing.graph import StreetGraph

_SAMPLE_SPACING_M = 10.0
# Snap to islands of fewer nodes only when nothing bigger is near: a point
# snapped to a disconnected courtyard path can reach nowhere.
_MIN_COMPONENT_NODES = 50


@dataclass(frozen=True)
class Snap:
    """Where a point meets the graph: on forward edge `edge` at `fraction` of its length.

    `usable` is False for a snap onto the nearest way when no way near the
    point is usable by the profile: only a failure explanation starts there.
    """

    edge: int
    fraction: float
    lat: float
    lon: float
    distance_m: float
    usable: bool = True


class Snapper:
    """KD-tree over points sampled along every edge (one direction of each way)."""

    def __init__(self, graph: StreetGraph) -> None:
        self.graph = graph
        self._lat0 = float(np.mean(graph.node_lat)) if graph.node_count else 0.0
        self._cos = np.cos(np.radians(self._lat0))
        forward = ~graph.arrays["edge_reversed"] | (graph.arrays["edge_reverse"] < 0)
        self._xy = self._project(np.column_stack((graph.geom_lon, graph.geom_lat)))
        points, self._owner = _sample_edges(graph, forward, self._xy, _SAMPLE_SPACING_M)
        self._tree = cKDTree(points)

    def _project(self, lonlat: np.ndarray) -> np.ndarray:
        """Degrees (lon, lat) to local metres (x east, y north)."""
        lonlat = np.atleast_2d(lonlat)
        x = np.radians(lonlat[:, 0]) * EARTH_RADIUS_M * self._cos
        y = np.radians(lonlat[:, 1]) * EARTH_RADIUS_M
        return np.column_stack((x, y))

    def snap(self, lat: float, lon: float, usable: np.ndarray) -> Snap | None:
        """Nearest point on an edge with `usable[edge]` (either direction), or None if too far."""
        target = self._project(np.array([[lon, lat]]))[0]
        graph = self.graph
        for k in (
            settings.SNAP_CANDIDATES,
            settings.SNAP_CANDIDATES * 8,
            settings.SNAP_CANDIDATES * 64,
        ):
            k = min(k, len(self._owner))
            if k == 0:
                return None
            distances, index = self._tree.query(
                target, k=k, distance_upper_bound=settings.SNAP_MAX_DISTANCE_M
            )
            found = np.atleast_1d(index)[np.isfinite(np.atleast_1d(distances))]
            edges = np.unique(self._owner[found])
            reverse = graph.arrays["edge_reverse"][edges]
            ok = usable[edges] | ((reverse >= 0) & usable[np.maximum(reverse, 0)])
            edges = edges[ok]
            big = (
                graph.component_size[graph.arrays["node_component"][graph.edge_u[edges]]]
                >= _MIN_COMPONENT_NODES
            )
            if big.any():
                edges = edges[big]
            if len(edges):
                return self._nearest_on_edges(edges, target)
            if len(found) < k:  # the tree had nothing more within range
                return None
        return None

    def _nearest_on_edges(self, edges: np.ndarray, target: np.ndarray) -> Snap:
        """Exact nearest point to `target` (local metres) over every segment of `edges` at once."""
        offsets = self.graph.geom_offsets
        counts = offsets[edges + 1] - offsets[edges] - 1  # segments per edge
        owner = np.repeat(edges, counts)
        starts = np.repeat(offsets[edges] - np.cumsum(counts) + counts, counts) + np.arange(
            counts.sum()
        )
        a, b = self._xy[starts], self._xy[starts + 1]
        seg = b - a
        t = np.clip(
            ((target - a) * seg).sum(axis=1) / np.maximum((seg**2).sum(axis=1), 1e-12), 0, 1
        )
        gaps = np.hypot(*(a + seg * t[:, None] - target).T)
        best = int(np.argmin(gaps))
        edge, vertex = int(owner[best]), int(starts[best] - offsets[owner[best]])
        # A point's share of a segment survives any linear map, so the snapped
        # point and its fraction are computed in lon/lat with the answer's measure.
        lonlat = self.graph.edge_coords(edge)
        point = lonlat[vertex] + (lonlat[vertex + 1] - lonlat[vertex]) * t[best]
        along = cumulative_m(lonlat)
        fraction = (along[vertex] + t[best] * (along[vertex + 1] - along[vertex])) / max(
            along[-1], 1e-9
        )
        return Snap(edge, float(fraction), float(point[1]), float(point[0]), float(gaps[best]))


def _sample_edges(graph: StreetGraph, keep: np.ndarray, xy: np.ndarray, spacing: float):
    """Points every <= `spacing` metres along the edges in `keep`, and the edge owning each.

    `xy` holds every geometry vertex in local metres.
    """
    offsets = graph.geom_offsets
    owner_of_vertex = np.repeat(np.arange(graph.edge_count), np.diff(offsets))
    is_start = np.ones(len(xy), dtype=bool)
    is_start[offsets[1:] - 1] = False  # an edge's last vertex starts no segment
    is_start &= keep[owner_of_vertex]
    starts = np.flatnonzero(is_start)
    a, b = xy[starts], xy[starts + 1]
    steps = np.maximum((np.hypot(*(b - a).T) // spacing).astype(np.int64), 1)
    seg = np.repeat(np.arange(len(starts)), steps)
    within = np.arange(len(seg)) - np.repeat(np.cumsum(steps) - steps, steps) + 1
    t = (within / steps[seg])[:, None]
    firsts = offsets[:-1][keep]
    points = np.concatenate([xy[firsts], a[seg] + (b[seg] - a[seg]) * t])
    owners = np.concatenate([np.flatnonzero(keep), owner_of_vertex[starts][seg]])
    return points, owners.astype(np.int32)
