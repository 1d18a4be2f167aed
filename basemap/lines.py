"""Street lines for the page's fallback base map, cut from the compiled graph.

When map tiles cannot be reached (offline, blocked tile server) the page still
needs context under a route, so it draws Jol's own streets. This module answers
"which street lines lie in this bbox" from the StreetGraph arrays alone; it
never touches OSM files, networkx or Flask.

Coordinates are degrees (WGS84), lengths metres.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# Drawn first when an answer must be cut to `limit`: the street skeleton reads
# better than a random sample of footpaths. Lower rank = more important.
_HIGHWAY_RANK = {
    "motorway": 0,
    "trunk": 0,
    "primary": 1,
    "secondary": 2,
    "tertiary": 3,
    "unclassified": 4,
    "residential": 4,
    "living_street": 5,
    "pedestrian": 5,
    "service": 6,
    "footway": 7,
    "path": 7,
    "cycleway": 7,
    "steps": 7,
    "track": 8,
}
_OTHER_RANK = 9
_COORD_DECIMALS = 6  # ~0.1 m, more than enough for a base map


class _GraphArrays(Protocol):
    """The parts of routing.graph.StreetGraph this module reads."""

    directory: Path
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_osm_way_id: np.ndarray
    highway: np.ndarray
    geom_offsets: np.ndarray
    geom_lon: np.ndarray
    geom_lat: np.ndarray


@dataclass(frozen=True)
class StreetLines:
    """GeoJSON-ready street lines with a bbox filter.

    Holds one entry per undirected street piece (the graph stores each walkable
    way in both directions; drawing both would double the payload).
    """

    edges: np.ndarray  # int64 [K] edge ids kept (one direction only)
    min_lon: np.ndarray  # float64 [K], degrees
    min_lat: np.ndarray
    max_lon: np.ndarray
    max_lat: np.ndarray
    order_key: np.ndarray  # int64 [K]; smaller is drawn first when truncating
    highway_names: list[str]  # vocab["highway"], code -> name
    graph: Any  # the StreetGraph the edges index into

    @classmethod
    def from_graph(cls, graph: _GraphArrays) -> StreetLines:
        """Index every undirected edge of `graph` by its bounding box."""
        u = np.asarray(graph.edge_u, dtype=np.int64)
        v = np.asarray(graph.edge_v, dtype=np.int64)
        offsets = np.asarray(graph.geom_offsets, dtype=np.int64)
        keep = _one_direction(u, v)
        edges = np.flatnonzero(keep).astype(np.int64)
        starts = offsets[edges]
        ends = offsets[edges + 1]
        # reduceat needs non-empty ranges; edges always have >= 2 vertices.
        min_lon, max_lon = _range_min_max(graph.geom_lon, starts, ends)
        min_lat, max_lat = _range_min_max(graph.geom_lat, starts, ends)
        names = _highway_vocab(graph)
        ranks = np.array([_HIGHWAY_RANK.get(n, _OTHER_RANK) for n in names] or [0])
        codes = np.asarray(graph.highway, dtype=np.int64)[edges]
        edge_rank = np.where((codes >= 0) & (codes < len(names)), ranks[codes], _OTHER_RANK)
        # Longer pieces first within a rank: fewer lines cover more of the map.
        length_dm = np.asarray(graph.edge_length_m, dtype=np.float64)[edges] * 10
        order_key = edge_rank.astype(np.int64) * 10**9 - np.minimum(length_dm, 10**9 - 1).astype(
            np.int64
        )
        return cls(edges, min_lon, min_lat, max_lon, max_lat, order_key, names, graph)

    def core_bbox(self, share: float) -> list[float] | None:
        """[min_lon, min_lat, max_lon, max_lat] (degrees) holding the central `share`
        of street pieces: the page's first view, which would otherwise open on
        the whole extract including its empty edges."""
        if self.edges.size == 0:
            return None
        tail = (1.0 - share) / 2 * 100
        lon = (self.min_lon + self.max_lon) / 2
        lat = (self.min_lat + self.max_lat) / 2
        low_lon, high_lon = np.percentile(lon, [tail, 100 - tail])
        low_lat, high_lat = np.percentile(lat, [tail, 100 - tail])
        return [round(float(v), 6) for v in (low_lon, low_lat, high_lon, high_lat)]

    def query(self, bbox: tuple[float, float, float, float], limit: int) -> tuple[list[dict], bool]:
        """Street features intersecting `bbox` = (min_lon, min_lat, max_lon, max_lat), degrees.

        Returns (features, truncated): at most `limit` GeoJSON LineString
        features, major streets first; `truncated` is True when more matched.
        """
        min_lon, min_lat, max_lon, max_lat = bbox
        hit = (
            (self.max_lon >= min_lon)
            & (self.min_lon <= max_lon)
            & (self.max_lat >= min_lat)
            & (self.min_lat <= max_lat)
        )
        idx = np.flatnonzero(hit)
        truncated = idx.size > limit
        if truncated:
            chosen = np.argpartition(self.order_key[idx], limit - 1)[:limit]
            idx = idx[chosen]
        idx = idx[np.argsort(self.order_key[idx], kind="stable")]
        return [self._feature(int(self.edges[i])) for i in idx], bool(truncated)

    def _feature(self, e: int) -> dict:
        g = self.graph
        a, b = int(g.geom_offsets[e]), int(g.geom_offsets[e + 1])
        coords = np.column_stack((g.geom_lon[a:b], g.geom_lat[a:b])).round(_COORD_DECIMALS)
        code = int(g.highway[e])
        highway = self.highway_names[code] if 0 <= code < len(self.highway_names) else "unknown"
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coords.tolist()},
            "properties": {
                "osm_way_id": int(g.edge_osm_way_id[e]),
                "highway": highway,
                "length_m": round(float(g.edge_length_m[e]), 1),
            },
        }


def grid_bbox(
    bbox: tuple[float, float, float, float], grid_deg: float
) -> tuple[float, float, float, float]:
    """`bbox` (min_lon, min_lat, max_lon, max_lat) widened outward to a `grid_deg` grid.

    Map views that differ by a few pixels then ask the same question, so their
    answer is computed once and cached. Rounding to 9 decimals first keeps a bbox
    already on the grid (76.93 is 7692.999... grid steps in binary) where it is.
    """
    low = (math.floor(round(v / grid_deg, 9)) * grid_deg for v in bbox[:2])
    high = (math.ceil(round(v / grid_deg, 9)) * grid_deg for v in bbox[2:])
    min_lon, min_lat = (round(v, 9) for v in low)
    max_lon, max_lat = (round(v, 9) for v in high)
    return (max(min_lon, -180.0), max(min_lat, -90.0), min(max_lon, 180.0), min(max_lat, 90.0))


def _one_direction(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Mask keeping one of each (u→v, v→u) pair; one-way-only edges are kept too.

    A backward edge is dropped only when a forward edge joins the same two
    nodes, so a street stored in one direction never vanishes.
    """
    forward = u < v
    # Both directions of a street share the key of their sorted node pair.
    lo = np.minimum(u, v)
    hi = np.maximum(u, v)
    key = lo * (int(max(u.max(initial=0), v.max(initial=0))) + 1) + hi
    keep = forward.copy()
    backward = u > v
    # A backward edge is kept only if no forward edge shares its node pair.
    fwd_keys = np.unique(key[forward])
    keep |= backward & ~np.isin(key, fwd_keys)
    keep |= u == v  # loops: one record each, nothing to deduplicate against
    return keep


def _range_min_max(
    values: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-range min and max of `values[starts[i]:ends[i]]`."""
    if starts.size == 0:
        empty = np.empty(0, dtype=np.float64)
        return empty, empty
    values = np.asarray(values, dtype=np.float64)
    # reduceat over concatenated ranges: build the index list explicitly because
    # ranges may be non-contiguous once half the edges are dropped.
    lengths = ends - starts
    flat = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) + np.arange(
        lengths.sum()
    )
    seg_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sel = values[flat]
    return np.minimum.reduceat(sel, seg_starts), np.maximum.reduceat(sel, seg_starts)


def _highway_vocab(graph: _GraphArrays) -> list[str]:
    """vocab["highway"] from the graph object, else from vocab.json beside it."""
    vocab = getattr(graph, "vocab", None)
    if not isinstance(vocab, dict):
        path = Path(graph.directory) / "vocab.json"
        vocab = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    names = vocab.get("highway", [])
    if isinstance(names, dict):  # {name: code} form
        out = [""] * (max(names.values(), default=-1) + 1)
        for name, code in names.items():
            out[int(code)] = str(name)
        return out
    return [str(n) for n in names]
