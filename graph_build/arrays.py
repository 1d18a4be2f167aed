"""A simplified osmnx graph to flat numpy arrays: the only form routing ever sees.

Nodes and directed edges get dense integer ids; strings become codes into
vocabularies (code 0 is always "unknown" or "none"); tri-states use
``graph_build.tags`` codes (1 yes, 0 no, -1 unknown); numbers use nan for unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from graph_build import tags as T
from graph_build.elevation import parse_incline


@dataclass
class _Vocab:
    """String <-> small-int code table; code 0 means unknown/none."""

    words: list[str] = field(default_factory=lambda: [""])
    index: dict[str, int] = field(default_factory=lambda: {"": 0})
    keep_case: bool = False  # names keep their case; tag values are folded

    def code(self, value: object) -> int:
        word = T.first(value) or ""
        word = word if self.keep_case else word.lower()
        if word not in self.index:
            self.index[word] = len(self.words)
            self.words.append(word)
        return self.index[word]


_NODE_SPEC: dict[str, type] = {
    "lat": np.float64,
    "lon": np.float64,
    "osmid": np.int64,
    "has_kerb": np.bool_,
    "kerb_height_cm": np.float32,
    "kerb_kind": np.int16,
    "is_crossing": np.bool_,
    "crossing_signals": np.int8,
    "crossing_markings": np.int8,
    "crossing_island": np.int8,
    "crossing_lanes": np.int8,
    "sound": np.int8,
    "vibration": np.int8,
    "button": np.int8,
    "tactile": np.int8,
    "barrier": np.int16,
    "wheelchair": np.int8,
    "is_elevator": np.bool_,
    "is_entrance": np.bool_,
    "entrance": np.int16,
    "automatic_door": np.int8,
    "step_count": np.int16,
    "access": np.int16,
    "foot": np.int16,
    "foot_access": np.int8,
    "level": np.int16,
}

_EDGE_SPEC: dict[str, type] = {
    "u": np.int32,
    "v": np.int32,
    "length_m": np.float32,
    "osm_way_id": np.int64,
    "reversed": np.bool_,
    "highway": np.int16,
    "footway": np.int16,
    "name": np.int32,
    "surface": np.int16,
    "smoothness": np.int16,
    "width_m": np.float32,
    "lit": np.int8,
    "wheelchair": np.int8,
    "is_steps": np.bool_,
    "step_count": np.int16,
    "handrail": np.int8,
    "ramp": np.int8,
    "is_crossing": np.bool_,
    "crossing_signals": np.int8,
    "crossing_markings": np.int8,
    "crossing_island": np.int8,
    "crossing_lanes": np.int8,
    "lanes": np.int8,
    "sound": np.int8,
    "vibration": np.int8,
    "tactile": np.int8,
    "kerb_height_cm": np.float32,
    "has_kerb": np.bool_,
    "is_road": np.bool_,
    "sidewalk": np.int8,
    "sidewalk_separate": np.bool_,
    "incline_tag_pct": np.float32,
    "incline_tag_dir": np.int8,
    "is_elevator": np.bool_,
}


def _node_row(data: dict, vocab: dict[str, _Vocab]) -> dict:
    highway = (T.first(data.get("highway")) or "").lower()
    crossing_word = (T.first(data.get("crossing")) or "").lower()
    return {
        "lat": data["y"],
        "lon": data["x"],
        "has_kerb": T.has_kerb(data.get("kerb"), data.get("barrier")),
        "kerb_height_cm": T.kerb_height_cm(data.get("kerb"), data.get("kerb:height")),
        "kerb_kind": vocab["kerb"].code(data.get("kerb")),
        "is_crossing": highway == "crossing" or crossing_word not in ("", "no"),
        "crossing_signals": T.crossing_signals(data),
        "crossing_markings": T.crossing_markings(data),
        "crossing_island": T.crossing_island(data),
        # The crossed road's lanes fill this in after all edges are read (_crossed_lanes).
        "crossing_lanes": T.lane_count(data.get("crossing:lanes")),
        "sound": T.tristate(data.get("traffic_signals:sound"), yes=("yes", "locate", "walk")),
        "vibration": T.tristate(data.get("traffic_signals:vibration")),
        "button": T.tristate(data.get("button_operated")),
        "tactile": T.tristate(data.get("tactile_paving"), yes=("yes", "incorrect", "contrasted")),
        "barrier": vocab["barrier"].code(data.get("barrier")),
        "wheelchair": T.wheelchair(data.get("wheelchair")),
        "is_elevator": highway == "elevator",
        "is_entrance": T.entrance_kind(data) is not None,
        "entrance": vocab["entrance"].code(T.entrance_kind(data)),
        "automatic_door": T.tristate(
            data.get("automatic_door"), yes=("yes", "motion", "button", "continuous")
        ),
        "step_count": T.step_count(data.get("step_count")),
        "access": vocab["access"].code(data.get("access")),
        "foot": vocab["access"].code(data.get("foot")),
        "foot_access": T.foot_access(data),
        "level": vocab["level"].code(data.get("level")),
    }


def blank_node_row() -> dict[str, object]:
    """Every ``node_*`` value of a node with no tags (a point added on a way)."""
    vocab = {name: _Vocab() for name in ("kerb", "barrier", "entrance", "access", "level")}
    return _node_row({"x": math.nan, "y": math.nan}, vocab) | {"osmid": 0}


def _edge_row(data: dict, vocab: dict[str, _Vocab]) -> dict:
    highway = (T.first(data.get("highway")) or "").lower()
    footway = (T.first(data.get("footway")) or "").lower()
    incline = parse_incline(T.first(data.get("incline")))
    sign = -1.0 if data.get("reversed") else 1.0
    width = T.length_m(data.get("width"))
    if math.isnan(width):
        width = T.length_m(data.get("est_width"))
    is_crossing = (
        footway == "crossing"
        or highway == "crossing"
        or (
            T.first(data.get("crossing")) is not None and highway in ("footway", "path", "cycleway")
        )
    )
    conveying = T.first(data.get("conveying")) is not None
    return {
        "osm_way_id": int(data["osmid"]),
        "reversed": bool(data.get("reversed")),
        "length_m": float(data["length"]),
        "highway": vocab["highway"].code(highway),
        "footway": vocab["footway"].code(footway),
        "name": vocab["name"].code(data.get("name")),
        "surface": vocab["surface"].code(data.get("surface")),
        "smoothness": vocab["smoothness"].code(data.get("smoothness")),
        "width_m": width,
        "lit": T.tristate(data.get("lit"), yes=("yes", "24/7", "automatic", "limited")),
        "wheelchair": T.wheelchair(data.get("wheelchair")),
        "is_steps": highway == "steps" or conveying,
        "step_count": T.step_count(data.get("step_count")),
        "handrail": T.handrail(data),
        # Only a wheelchair ramp opens steps to wheels: plain `ramp=yes` is often a bicycle gutter.
        "ramp": T.tristate(data.get("ramp:wheelchair")),
        "is_crossing": is_crossing,
        "crossing_signals": T.crossing_signals(data) if is_crossing else T.UNKNOWN,
        "crossing_markings": T.crossing_markings(data) if is_crossing else T.UNKNOWN,
        "crossing_island": T.crossing_island(data) if is_crossing else T.UNKNOWN,
        "crossing_lanes": T.lane_count(data.get("crossing:lanes")) if is_crossing else -1,
        "lanes": T.lane_count(data.get("lanes")),
        "sound": T.tristate(data.get("traffic_signals:sound"), yes=("yes", "locate", "walk")),
        "vibration": T.tristate(data.get("traffic_signals:vibration")),
        "tactile": T.tristate(data.get("tactile_paving"), yes=("yes", "incorrect", "contrasted")),
        "kerb_height_cm": T.kerb_height_cm(data.get("kerb"), data.get("kerb:height")),
        "has_kerb": T.has_kerb(data.get("kerb"), None),
        "is_road": highway in T.ROAD_HIGHWAYS or highway in ("trunk", "trunk_link"),
        "sidewalk": T.has_sidewalk(data),
        "sidewalk_separate": T.sidewalk_separate(data),
        "incline_tag_pct": math.nan if incline.grade_pct is None else sign * incline.grade_pct,
        "incline_tag_dir": int(sign) * incline.direction,
        "is_elevator": highway == "elevator",
    }


def _columns(rows: list[dict], spec: dict[str, type]) -> dict[str, np.ndarray]:
    return {key: np.array([row[key] for row in rows], dtype=dtype) for key, dtype in spec.items()}


def _crossed_lanes(arrays: dict[str, np.ndarray]) -> None:
    """Lanes to cross at each crossing not tagged with ``crossing:lanes``: the most lanes of
    a road way meeting the crossing node (for a crossing way, any of its pieces' ends).

    Roads untagged with ``lanes`` leave it unknown (-1); nothing is guessed from the highway.
    """
    road = arrays["edge_is_road"] & (arrays["edge_lanes"] > 0)
    at_node = np.full(len(arrays["node_lat"]), -1, dtype=np.int8)
    for end in ("edge_u", "edge_v"):
        np.maximum.at(at_node, arrays[end][road], arrays["edge_lanes"][road])
    node_fill = arrays["node_is_crossing"] & (arrays["node_crossing_lanes"] < 0)
    arrays["node_crossing_lanes"][node_fill] = at_node[node_fill]
    # A crossing way is cut where it meets the road: every piece of it crosses that road.
    crossing = np.flatnonzero(arrays["edge_is_crossing"])
    ways, inverse = np.unique(arrays["edge_osm_way_id"][crossing], return_inverse=True)
    ends = np.maximum(at_node[arrays["edge_u"][crossing]], at_node[arrays["edge_v"][crossing]])
    per_way = np.full(len(ways), -1, dtype=np.int8)
    np.maximum.at(per_way, inverse, ends)
    lanes = arrays["edge_crossing_lanes"]
    lanes[crossing] = np.where(lanes[crossing] < 0, per_way[inverse], lanes[crossing])


def graph_to_arrays(graph: nx.MultiDiGraph) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Flatten a simplified pedestrian graph into ``node_*``, ``edge_*`` and ``geom_*`` arrays.

    Returns the arrays and the vocabularies their string codes index into.
    Geometry: edge e's vertices are ``geom_lon/geom_lat[geom_offsets[e]:geom_offsets[e+1]]``
    in travel direction (degrees).
    """
    vocab = {
        name: _Vocab(keep_case=name == "name")
        for name in (
            "highway",
            "footway",
            "name",
            "surface",
            "smoothness",
            "kerb",
            "barrier",
            "entrance",
            "access",
            "level",
        )
    }
    node_ids = {osmid: index for index, osmid in enumerate(graph.nodes)}
    node_rows = []
    for osmid, data in graph.nodes(data=True):
        row = _node_row(data, vocab)
        row["osmid"] = osmid
        node_rows.append(row)
    edge_rows, lons, lats, offsets = [], [], [], [0]
    for u, v, data in graph.edges(data=True):
        row = _edge_row(data, vocab)
        row["u"], row["v"] = node_ids[u], node_ids[v]
        edge_rows.append(row)
        if "geometry" in data:
            xs, ys = data["geometry"].xy
        else:
            xs = (graph.nodes[u]["x"], graph.nodes[v]["x"])
            ys = (graph.nodes[u]["y"], graph.nodes[v]["y"])
        lons.extend(xs)
        lats.extend(ys)
        offsets.append(len(lons))
    arrays = {f"node_{key}": value for key, value in _columns(node_rows, _NODE_SPEC).items()}
    arrays |= {f"edge_{key}": value for key, value in _columns(edge_rows, _EDGE_SPEC).items()}
    _crossed_lanes(arrays)
    arrays["geom_lon"] = np.asarray(lons, dtype=np.float64)
    arrays["geom_lat"] = np.asarray(lats, dtype=np.float64)
    arrays["geom_offsets"] = np.asarray(offsets, dtype=np.int64)
    return arrays, {name: table.words for name, table in vocab.items()}
