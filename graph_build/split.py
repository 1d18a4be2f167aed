"""Long edges cut into pieces no longer than a setting, so a slope limit blocks only the steep part.

osmnx merges every chain of untagged nodes, and in the 2012 Almaty data one
edge can run for kilometres across changing terrain. Graded as one edge, a
single steep stretch makes the whole of it impassable, and snapping cannot
reach its flat end. Cutting it every ~100 m (about one SRTM pixel) gives each
piece its own directed grade, length and geometry; every piece keeps its OSM
way id and tags. Both directions of a way are cut at the same new nodes, so
``edge_reverse`` pairs the pieces as it paired the whole edges.

New nodes carry no OSM id (negative ids) and no tags: they are points on a way,
not features.
"""

from __future__ import annotations

import math

import numpy as np

from graph_build.elevation import cumulative_length_m

# Edges that are one barrier as a whole (a flight, a lift, a crossing, a kerb
# on a way): their penalties are per edge or per way, so they are never cut.
_WHOLE = ("edge_is_steps", "edge_is_elevator", "edge_is_crossing", "edge_has_kerb")
_VERTEX_TOLERANCE_M = 0.01  # vertices this close to a cut point are dropped


def _pieces(arrays: dict[str, np.ndarray], reverse: np.ndarray, max_piece_m: float) -> np.ndarray:
    """How many pieces each edge becomes; the two directions of a way agree."""
    count = np.maximum(1, np.ceil(arrays["edge_length_m"] / max_piece_m)).astype(np.int64)
    whole = np.zeros(len(count), dtype=bool)
    for name in _WHOLE:
        whole |= arrays[name]
    count[whole] = 1
    index = np.arange(len(count))
    canonical = np.where(reverse >= 0, np.minimum(index, reverse), index)
    return count[canonical]


def _cut(lon: np.ndarray, lat: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """A polyline cut into `n` pieces of equal length: (lon, lat, share of the length) each."""
    cum = cumulative_length_m(lat, lon)
    total = cum[-1]
    if total <= 0:
        return [(lon, lat, 1.0)]
    pieces = []
    for i in range(n):
        lo, hi = total * i / n, total * (i + 1) / n
        # A vertex within a centimetre of a cut would repeat the cut point (float noise in
        # `cum`), giving the route a zero-length step and counting its junction twice.
        inner = (cum > lo + _VERTEX_TOLERANCE_M) & (cum < hi - _VERTEX_TOLERANCE_M)
        ends_lon = np.interp([lo, hi], cum, lon)
        ends_lat = np.interp([lo, hi], cum, lat)
        piece_lon = np.concatenate(([ends_lon[0]], lon[inner], [ends_lon[1]]))
        piece_lat = np.concatenate(([ends_lat[0]], lat[inner], [ends_lat[1]]))
        pieces.append((piece_lon, piece_lat, (hi - lo) / total))
    return pieces


def split_long_edges(
    arrays: dict[str, np.ndarray],
    reverse: np.ndarray,
    max_piece_m: float,
    blank_node: dict[str, object],
) -> dict[str, np.ndarray]:
    """Node, edge and geometry arrays with every edge longer than `max_piece_m` cut into pieces.

    `reverse` pairs each edge with the one running back along the same piece of
    way (-1 if none); `blank_node` gives the value of every ``node_*`` array for
    a node with no tags. Returns new arrays; the input is left alone.
    """
    if max_piece_m <= 0 or math.isinf(max_piece_m):
        return arrays
    count = _pieces(arrays, reverse, max_piece_m)
    off, glon, glat = arrays["geom_offsets"], arrays["geom_lon"], arrays["geom_lat"]
    n_nodes = len(arrays["node_lat"])
    new_nodes: list[tuple[float, float]] = []
    # canonical edge -> (inner node ids in its direction, its pieces)
    cut_of: dict[int, tuple[list[int], list]] = {}
    source, us, vs, lengths, lons, lats = [], [], [], [], [], []
    for e in range(len(count)):
        u, v = int(arrays["edge_u"][e]), int(arrays["edge_v"][e])
        geometry = glon[off[e] : off[e + 1]], glat[off[e] : off[e + 1]]
        n = int(count[e])
        if n == 1:
            source.append(e)
            us.append(u)
            vs.append(v)
            lengths.append(float(arrays["edge_length_m"][e]))
            lons.append(geometry[0])
            lats.append(geometry[1])
            continue
        r = int(reverse[e])
        if r >= 0 and r in cut_of:  # run the twin's pieces backwards, through its nodes
            inner, twin = cut_of[r]
            nodes = [u, *reversed(inner), v]
            pieces = [(p_lon[::-1], p_lat[::-1], length) for p_lon, p_lat, length in twin[::-1]]
        else:
            cut = _cut(geometry[0], geometry[1], n)
            inner = []
            for p_lon, p_lat, _ in cut[:-1]:
                inner.append(n_nodes + len(new_nodes))
                new_nodes.append((float(p_lon[-1]), float(p_lat[-1])))
            whole_m = float(arrays["edge_length_m"][e])
            pieces = [(p_lon, p_lat, share * whole_m) for p_lon, p_lat, share in cut]
            cut_of[e] = (inner, pieces)
            nodes = [u, *inner, v]
        for i, (p_lon, p_lat, length) in enumerate(pieces):
            source.append(e)
            us.append(nodes[i])
            vs.append(nodes[i + 1])
            lengths.append(length)
            lons.append(p_lon)
            lats.append(p_lat)
    return _assemble(arrays, new_nodes, blank_node, source, us, vs, lengths, lons, lats)


def _assemble(
    arrays: dict[str, np.ndarray],
    new_nodes: list[tuple[float, float]],
    blank_node: dict[str, object],
    source: list[int],
    us: list[int],
    vs: list[int],
    lengths: list[float],
    lons: list[np.ndarray],
    lats: list[np.ndarray],
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    k = len(new_nodes)
    for name, values in arrays.items():
        if name.startswith("node_"):
            extra = np.full(k, blank_node[name.removeprefix("node_")], dtype=values.dtype)
            out[name] = np.concatenate((values, extra))
    if k:
        out["node_lon"][-k:] = [lon for lon, _ in new_nodes]
        out["node_lat"][-k:] = [lat for _, lat in new_nodes]
        out["node_osmid"][-k:] = -np.arange(1, k + 1)
    index = np.asarray(source, dtype=np.int64)
    for name, values in arrays.items():
        if name.startswith("edge_"):
            out[name] = values[index]
    out["edge_u"] = np.asarray(us, dtype=arrays["edge_u"].dtype)
    out["edge_v"] = np.asarray(vs, dtype=arrays["edge_v"].dtype)
    out["edge_length_m"] = np.asarray(lengths, dtype=arrays["edge_length_m"].dtype)
    out["geom_lon"] = np.concatenate(lons).astype(np.float64)
    out["geom_lat"] = np.concatenate(lats).astype(np.float64)
    sizes = np.fromiter((len(x) for x in lons), dtype=np.int64, count=len(lons))
    out["geom_offsets"] = np.concatenate(([0], np.cumsum(sizes)))
    return out
