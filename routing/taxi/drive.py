"""The compiled drive graph at service time: snapping, ride times and paths.

Search nodes are directed road pieces and arcs are allowed turns (see
graph_build/drive.py), so a banned turn is never taken. Reaching a piece means
having driven it to its end: a point part-way along piece `e` at fraction `t`
starts with ``(1 - t) * time(e)`` already to go and ends ``(1 - s) * time(f)``
before the end of `f`. Vehicles keep to the right, so a point beside a two-way
road is served by the direction whose kerb is on that side.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from jol import settings
from routing.engine import Metric, make_engine
from routing.geometry import EARTH_RADIUS_M, cumulative_m, cut_polyline

_SAMPLE_SPACING_M = 10.0
_TUNNEL, _BRIDGE = 1, 2


@dataclass(frozen=True)
class DrivePoint:
    """Where a point meets the drive graph: piece `edge` at `fraction`, `distance_m` away."""

    edge: int
    fraction: float
    lat: float
    lon: float
    distance_m: float

    def to_dict(self) -> dict:
        return {"lat": round(self.lat, 6), "lon": round(self.lon, 6), "distance_m": self.distance_m}


@dataclass(frozen=True)
class Ride:
    """One drive between two points: seconds, metres, the (lon, lat) line and its pieces."""

    duration_s: float
    distance_m: float
    coords: list[list[float]]
    pieces: list[int]


class DriveGraph:
    """The drive arrays, one CCH over the turn graph, and a metric per time-of-day band."""

    def __init__(self, directory: Path) -> None:
        with np.load(Path(directory) / settings.DRIVE_FILENAME) as data:
            self.a = {key: data[key] for key in data.files}
        manifest = json.loads((Path(directory) / "manifest.json").read_text())
        self.info = manifest["drive"]
        self.classes: list[str] = self.info["classes"]
        self.edge_count = len(self.a["edge_u"])
        self.base_s = self.a["edge_length_m"] / (self.a["edge_speed_kph"] / 3.6)
        self._engine = make_engine(
            self.edge_count, self.a["turn_from"], self.a["turn_to"], self.a["cch_order"]
        )
        self._metrics: dict[int, Metric] = {}
        self._lock = threading.Lock()
        self._bands = self.info["speeds"]["time_of_day_factor"]["bands"]
        self._tree, self._sample_edge, self._mean_lat = self._index()
        self.reverse = self._reverse()

    # --- time of day -----------------------------------------------------------------
    def band(self, when: datetime | None) -> int:
        """Index of the time-of-day band `when` (city time) falls in; -1 without a time."""
        if when is None:
            return -1
        minute = when.hour * 60 + when.minute
        for i, band in enumerate(self._bands):
            start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (band["from"], band["to"]))
            if start <= minute < end:
                return i
        return -1

    def edge_seconds(self, band: int) -> np.ndarray:
        """Seconds to drive each piece in `band` (free flow without a band)."""
        if band < 0:
            return self.base_s
        factors = self._bands[band]["factor"]
        per_class = np.array([factors.get(c, factors.get("default", 1.0)) for c in self.classes])
        return self.base_s * per_class[self.a["edge_class"]]

    def metric(self, band: int) -> Metric:
        """The customised CCH for a time band, made once."""
        with self._lock:
            if band not in self._metrics:
                seconds = self.edge_seconds(band)
                turn_s = seconds[self.a["turn_to"]] + np.where(
                    self.a["turn_is_u"], settings.TAXI_U_TURN_PENALTY_S, 0.0
                )
                self._metrics[band] = self._engine.metric(turn_s)
            return self._metrics[band]

    # --- snapping ---------------------------------------------------------------------
    def _project(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        scale = np.cos(np.radians(self._mean_lat))
        return np.column_stack(
            [np.radians(lon) * scale * EARTH_RADIUS_M, np.radians(lat) * EARTH_RADIUS_M]
        )

    def _index(self) -> tuple[cKDTree, np.ndarray, float]:
        lat, lon, offsets = self.a["geom_lat"], self.a["geom_lon"], self.a["geom_offsets"]
        self._mean_lat = float(lat.mean()) if len(lat) else 0.0
        xy = self._project(lat, lon)
        points, owners = [], []
        for edge in range(self.edge_count):
            part = xy[offsets[edge] : offsets[edge + 1]]
            for a, b in itertools.pairwise(part):
                steps = max(1, int(np.hypot(*(b - a)) // _SAMPLE_SPACING_M))
                t = np.linspace(0.0, 1.0, steps + 1)[:, None]
                points.append(a + (b - a) * t)
                owners.append(np.full(steps + 1, edge))
        if not points:
            return cKDTree(np.zeros((1, 2))), np.array([-1]), self._mean_lat
        return cKDTree(np.vstack(points)), np.concatenate(owners), self._mean_lat

    def _reverse(self) -> np.ndarray:
        """The piece running the other way along the same way and ends; -1 if one-way."""
        u, v, way = self.a["edge_u"], self.a["edge_v"], self.a["edge_osm_way_id"]
        index = {
            (int(a), int(b), int(w)): i for i, (a, b, w) in enumerate(zip(u, v, way, strict=True))
        }
        return np.array(
            [index.get((int(b), int(a), int(w)), -1) for a, b, w in zip(u, v, way, strict=True)],
            dtype=np.int64,
        )

    def coords(self, edge: int) -> np.ndarray:
        offsets = self.a["geom_offsets"]
        start, end = offsets[edge], offsets[edge + 1]
        return np.column_stack([self.a["geom_lon"][start:end], self.a["geom_lat"][start:end]])

    def candidates(
        self, lat: float, lon: float, usable: np.ndarray, max_m: float, count: int
    ) -> list[DrivePoint]:
        """The nearest `count` usable pieces within `max_m`, nearest first, right-hand side."""
        target = self._project(np.array([lat]), np.array([lon]))[0]
        found: dict[int, DrivePoint] = {}
        k = 64
        while True:
            dist, idx = self._tree.query(target, k=min(k, self._tree.n))
            owners = self._sample_edge[np.atleast_1d(idx)[np.isfinite(np.atleast_1d(dist))]]
            for edge in dict.fromkeys(owners.tolist()):
                key = min(edge, int(self.reverse[edge])) if self.reverse[edge] >= 0 else edge
                if edge >= 0 and usable[edge] and key not in found:
                    point = self._on_edge(edge, target)
                    if point.distance_m <= max_m:
                        found[key] = point
            if len(found) >= count or k >= self._tree.n or np.max(dist) > max_m:
                break
            k *= 4
        ranked = sorted(found.values(), key=lambda p: p.distance_m)
        return [self._kerb_side(p, target, usable) for p in ranked[:count]]

    def snap(self, lat: float, lon: float, usable: np.ndarray | None = None) -> DrivePoint | None:
        """The nearest usable piece within the snapping distance, or None (outside the area)."""
        usable = self.a["edge_main"] if usable is None else usable
        found = self.candidates(lat, lon, usable, settings.SNAP_MAX_DISTANCE_M, 1)
        return found[0] if found else None

    def _on_edge(self, edge: int, target: np.ndarray) -> DrivePoint:
        line = self.coords(edge)
        xy = self._project(line[:, 1], line[:, 0])
        a, b = xy[:-1], xy[1:]
        ab = b - a
        t = np.clip(np.einsum("ij,ij->i", target - a, ab) / np.maximum((ab**2).sum(1), 1e-9), 0, 1)
        near = a + ab * t[:, None]
        d = np.hypot(*(near - target).T)
        i = int(np.argmin(d))
        cumulative = cumulative_m(line)
        along = cumulative[i] + t[i] * (cumulative[i + 1] - cumulative[i])
        fraction = float(along / cumulative[-1]) if cumulative[-1] > 0 else 0.0
        lon, lat = line[i] + (line[i + 1] - line[i]) * t[i]
        return DrivePoint(edge, fraction, float(lat), float(lon), round(float(d[i]), 1))

    def _kerb_side(self, point: DrivePoint, target: np.ndarray, usable: np.ndarray) -> DrivePoint:
        """The direction whose right-hand kerb faces the point (right-hand traffic)."""
        back = int(self.reverse[point.edge])
        if back < 0 or not usable[back]:
            return point
        line = self.coords(point.edge)
        xy = self._project(line[:, 1], line[:, 0])
        on = self._project(np.array([point.lat]), np.array([point.lon]))[0]
        cumulative = cumulative_m(line)
        i = int(np.searchsorted(cumulative, point.fraction * cumulative[-1]))
        i = min(max(i, 1), len(xy) - 1)
        direction = xy[i] - xy[i - 1]
        side = direction[0] * (target - on)[1] - direction[1] * (target - on)[0]
        if side <= 0:  # on the right of the forward piece, or on its centre line
            return point
        return DrivePoint(back, 1.0 - point.fraction, point.lat, point.lon, point.distance_m)

    # --- rides ------------------------------------------------------------------------
    def matrix(self, sources: list[DrivePoint], targets: list[DrivePoint], band: int) -> np.ndarray:
        """Seconds from each source point to each target point; inf where unreachable."""
        seconds = self.edge_seconds(band)
        rows = np.array([p.edge for p in sources], dtype=np.int64)
        cols = np.array([p.edge for p in targets], dtype=np.int64)
        raw = self.metric(band).matrix(rows, cols)
        before = np.array([(1 - p.fraction) * seconds[p.edge] for p in sources])
        after = np.array([(1 - p.fraction) * seconds[p.edge] for p in targets])
        result = raw + before[:, None] - after[None, :]
        same = rows[:, None] == cols[None, :]
        ahead = (
            np.array([p.fraction for p in sources])[:, None]
            <= np.array([p.fraction for p in targets])[None, :]
        )
        direct = (
            np.array([p.fraction for p in targets])[None, :]
            - np.array([p.fraction for p in sources])[:, None]
        ) * seconds[rows][:, None]
        result = np.where(same & ahead, direct, result)
        for i, j in zip(*np.nonzero(same & ~ahead), strict=True):
            ride = self.ride(sources[i], targets[j], band)  # back along the same piece: round
            result[i, j] = np.inf if ride is None else ride.duration_s
        return result

    def _pieces(
        self, start: DrivePoint, end: DrivePoint, band: int
    ) -> tuple[list[int], float] | None:
        """The pieces of the fastest ride, in order, and its seconds; None if unreachable."""
        seconds = self.edge_seconds(band)
        if start.edge == end.edge and start.fraction <= end.fraction:
            return [start.edge], (end.fraction - start.fraction) * seconds[start.edge]
        seeds = self._leaving(start, end, band)
        found = self.metric(band).shortest_path(seeds, [(end.edge, 0.0)])
        if found is None:
            return None
        pieces = [start.edge, *([] if found.source == start.edge else [found.source])]
        pieces += [int(self.a["turn_to"][arc]) for arc in found.edges]
        return pieces, found.cost_s - (1 - end.fraction) * seconds[end.edge]

    def _length_m(self, pieces: list[int], start: DrivePoint, end: DrivePoint) -> float:
        lengths = self.a["edge_length_m"]
        total = float(lengths[pieces].sum()) - start.fraction * lengths[pieces[0]]
        return round(total - (1 - end.fraction) * lengths[pieces[-1]], 1)

    def ride_length_m(self, start: DrivePoint, end: DrivePoint, band: int) -> float | None:
        """Metres of the fastest ride (no line drawn); None if `end` cannot be reached."""
        found = self._pieces(start, end, band)
        return None if found is None else self._length_m(found[0], start, end)

    def ride(self, start: DrivePoint, end: DrivePoint, band: int) -> Ride | None:
        """The fastest ride with its length and line; None if `end` cannot be reached."""
        found = self._pieces(start, end, band)
        if found is None:
            return None
        pieces, cost = found
        coords: list[list[float]] = []
        for i, edge in enumerate(pieces):
            lo = start.fraction if i == 0 else 0.0
            hi = end.fraction if i == len(pieces) - 1 else 1.0
            part = cut_polyline(self.coords(edge), lo, hi).round(6).tolist()
            coords.extend(part[1:] if coords else part)
        return Ride(round(float(cost), 1), self._length_m(pieces, start, end), coords, pieces)

    def _leaving(self, start: DrivePoint, end: DrivePoint, band: int) -> list[tuple[int, float]]:
        """Search seeds for a ride from `start`: its own piece, or, back to an earlier point of
        the same piece, every piece one turn on (the ride must leave and come round)."""
        seconds = self.edge_seconds(band)
        rest = (1 - start.fraction) * seconds[start.edge]
        if start.edge != end.edge:
            return [(start.edge, rest)]
        arcs = np.flatnonzero(self.a["turn_from"] == start.edge)
        heads = self.a["turn_to"][arcs]
        turn = np.where(self.a["turn_is_u"][arcs], settings.TAXI_U_TURN_PENALTY_S, 0.0)
        return [(int(f), rest + seconds[f] + t) for f, t in zip(heads, turn, strict=True)]

    def stoppable(self) -> np.ndarray:
        """Pieces a vehicle may stop on to deploy a ramp (issue 15's kerbside rule)."""
        from_class = np.array([c not in _NO_STOP for c in self.classes] + [True])
        cls = self.a["edge_class"]
        flags = self.a["edge_flags"]
        return from_class[cls] & ((flags & (_TUNNEL | _BRIDGE)) == 0) & self.a["edge_main"]


# Mirrors graph_build/drive.py NO_STOP_CLASSES (routing may not import graph_build).
_NO_STOP = frozenset(
    {
        *("motorway", "motorway_link", "trunk", "trunk_link"),
        *("primary_link", "secondary_link", "tertiary_link"),
    }
)
