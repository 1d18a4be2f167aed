"""Snap a (lat, lon) to the nearest point on an edge the profile can use.

Edges are sampled every few metres into a KD-tree in a local metric
projection; the exact nearest point is then found on the candidate edges'
polylines. Points farther than ``settings.SNAP_MAX_DISTANCE_M`` from any usable
edge are outside the area (the sea, another city, a typo in a coordinate).
"""

from __future__ import annotations

import dataclasses
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
# A snap this close to the end of a flight a point lies beside is on the point's side.
_SAME_SIDE_M = 3.0


@dataclass(frozen=True)
class Snap:
    """Where a point meets the graph: on forward edge `edge` at `fraction` of its length.

    `usable` is False for a snap onto the nearest way when no way near the
    point is usable by the profile: only a failure explanation starts there.
    `across` names the barrier way (a flight of steps) between the point and
    its snap when no usable way on the point's side of it was found.
    """

    edge: int
    fraction: float
    lat: float
    lon: float
    distance_m: float
    usable: bool = True
    # The barrier way (edge) the point was moved across to reach a usable way, or -1.
    across: int = -1


class Snapper:
    """KD-tree over points sampled along every edge (one direction of each way)."""

    def __init__(self, graph: StreetGraph) -> None:
        self.graph = graph
        self._lat0 = float(np.mean(graph.node_lat)) if graph.node_count else 0.0
        self._cos = np.cos(np.radians(self._lat0))
        forward = ~graph.arrays["edge_reversed"] | (graph.arrays["edge_reverse"] < 0)
        self._forward = forward
        self._xy = self._project(np.column_stack((graph.geom_lon, graph.geom_lat)))
        points, self._owner = _sample_edges(graph, forward, self._xy, _SAMPLE_SPACING_M)
        self._tree = cKDTree(points)
        # Flights of steps get a small tree of their own: every snap looks for one nearby.
        flights = forward & graph.arrays["edge_is_steps"]
        points, self._steps_owner = _sample_edges(graph, flights, self._xy, _SAMPLE_SPACING_M)
        self._steps_tree = cKDTree(points) if len(points) else None

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

    def snap_beside_steps(
        self, lat: float, lon: float, usable: np.ndarray, blocked_steps: np.ndarray
    ) -> Snap | None:
        """Like `snap`, but never silently across a flight of steps in `blocked_steps`.

        A point nearer to such a flight than to any usable way lies on or beside
        it, at the end nearer along the flight. The plain snap may land on the
        far side (the other end of the flight): then the point is snapped to its
        own end, if a usable way leaves there, or the snap says what it crossed.
        """
        plain = self.snap(lat, lon, usable)
        if plain is None:
            return plain
        beside = self._nearest_flight(lat, lon, blocked_steps, plain.distance_m)
        if beside is None:
            return plain
        graph = self.graph
        end = int(
            graph.edge_u[beside.edge] if beside.fraction <= 0.5 else graph.edge_v[beside.edge]
        )
        end_xy = self._project(np.array([[graph.node_lon[end], graph.node_lat[end]]]))[0]
        plain_xy = self._project(np.array([[plain.lon, plain.lat]]))[0]
        if np.hypot(*(plain_xy - end_xy)) <= _SAME_SIDE_M:
            return plain
        component = self.graph.arrays["node_component"]
        joined = component[end] == component[graph.edge_u[plain.edge]]
        # An end on a small island of its own reaches nothing: say what was crossed instead.
        own = None
        if joined or graph.component_size[component[end]] >= _MIN_COMPONENT_NODES:
            own = self._at_node(end, usable, lat, lon)
        if own is not None:
            return own
        return dataclasses.replace(plain, across=beside.edge)

    def _nearest_flight(
        self, lat: float, lon: float, blocked_steps: np.ndarray, within_m: float
    ) -> Snap | None:
        """Nearest point on a flight in `blocked_steps` nearer than `within_m`, else None.

        Flights mapped apart from the network count: the point is still there.
        """
        if self._steps_tree is None:
            return None
        target = self._project(np.array([[lon, lat]]))[0]
        k = min(settings.SNAP_CANDIDATES, len(self._steps_owner))
        distances, index = self._steps_tree.query(
            target, k=k, distance_upper_bound=within_m + _SAMPLE_SPACING_M
        )
        found = np.atleast_1d(index)[np.isfinite(np.atleast_1d(distances))]
        edges = np.unique(self._steps_owner[found])
        edges = edges[blocked_steps[edges]]
        if not len(edges):
            return None
        nearest = self._nearest_on_edges(edges, target)
        return nearest if nearest.distance_m < within_m else None

    def _at_node(self, node: int, usable: np.ndarray, lat: float, lon: float) -> Snap | None:
        """A snap at `node` on a usable way that leaves or enters it, or None if none does."""
        graph = self.graph
        reverse = graph.arrays["edge_reverse"]
        touching = np.flatnonzero((graph.edge_u == node) | (graph.edge_v == node))
        touching = touching[
            usable[touching] | ((reverse[touching] >= 0) & usable[np.maximum(reverse[touching], 0)])
        ]
        if not len(touching):
            return None
        edge = int(touching[0])
        if not self._forward[edge]:  # snaps name the sampled direction of a two-way way
            edge = int(reverse[edge])
        fraction = 0.0 if graph.edge_u[edge] == node else 1.0
        target = self._project(np.array([[lon, lat]]))[0]
        node_xy = self._project(np.array([[graph.node_lon[node], graph.node_lat[node]]]))[0]
        return Snap(
            edge,
            fraction,
            float(graph.node_lat[node]),
            float(graph.node_lon[node]),
            float(np.hypot(*(node_xy - target))),
        )

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
