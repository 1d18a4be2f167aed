"""A path on the graph to the route answer JSON: geometry, segments, barriers, unknowns.

A path is a list of legs ``(edge, start, end)``: fractions of the edge's length
in its travel direction, so the first and last legs can start or end mid-edge
where the origin and destination were snapped.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from jol.artifact import INCLINE_TAG, NO, UNKNOWN, YES
from routing.costs import BLOCK_REASONS, Costs
from routing.geometry import cut_polyline
from routing.graph import StreetGraph
from routing.turns import add_turns

Leg = tuple[int, float, float]

_TRI = {YES: "yes", NO: "no", UNKNOWN: "unknown"}
_NODE_REASONS = {"kerb_too_high", "kerb_unknown", "barrier", "wheelchair_no", "access_no"}
_REASON_TEXT = {
    "steps": "steps",
    "kerb_too_high": "kerb higher than the profile allows",
    "kerb_unknown": "kerb of unknown height (profile avoids unknown kerbs)",
    "too_steep_up": "uphill steeper than the profile allows",
    "too_steep_down": "downhill steeper than the profile allows",
    "too_narrow": "narrower than the profile needs",
    "width_unknown": "width unknown (profile avoids unknown widths)",
    "incline_unknown": "slope unknown (profile avoids unknown slopes)",
    "surface": "surface impassable for the profile",
    "smoothness": "surface too rough for the profile",
    "wheelchair_no": "tagged not wheelchair accessible",
    "barrier": "barrier impassable for the profile",
    "access_no": "closed to the public (access=no/private or foot=no)",
}


_UNKNOWN_INCLINE = {
    "grade_pct": "unknown",
    "max_up_pct": "unknown",
    "max_down_pct": "unknown",
    "source": "unknown",
}


def _tri(value: int) -> str:
    return _TRI.get(int(value), "unknown")


def _number_or_unknown(value: float, digits: int = 1) -> float | str:
    return "unknown" if math.isnan(value) else round(float(value), digits)


class RouteBuilder:
    """Turns legs into the route answer for one graph and one profile's costs."""

    def __init__(self, graph: StreetGraph, costs: Costs) -> None:
        self.graph = graph
        self.costs = costs
        self.a = graph.arrays

    # --- barriers -------------------------------------------------------------------
    def _node_point(self, node: int) -> dict:
        return {
            "osm_id": int(self.a["node_osmid"][node]),
            "osm_type": "node",
            "lat": round(float(self.a["node_lat"][node]), 7),
            "lon": round(float(self.a["node_lon"][node]), 7),
        }

    def _crossing(
        self, tactile: int, signals: int, sound: int, vibration: int, markings: int
    ) -> dict:
        return {
            "kind": "crossing",
            "signals": _tri(signals),
            "sound": _tri(sound),
            "vibration": _tri(vibration),
            "tactile_paving": _tri(tactile),
            "markings": _tri(markings),
        }

    @staticmethod
    def _island_lanes(island: int, lanes: int) -> dict:
        """What is crossed: a refuge island halfway, and how many lanes (unknown if untagged)."""
        return {"island": _tri(island), "lanes": int(lanes) if lanes > 0 else "unknown"}

    def node_barriers(self, node: int, via_edge: int) -> list[dict]:
        """Barriers met on entering `node` from `via_edge`."""
        a, found = self.a, []
        if a["node_has_kerb"][node]:
            kind = self.graph.word("kerb", a["node_kerb_kind"][node])
            found.append(
                {
                    "kind": "kerb",
                    "kerb": kind or "unknown",
                    "height_cm": _number_or_unknown(a["node_kerb_height_cm"][node]),
                    "tactile_paving": _tri(a["node_tactile"][node]),
                }
                | self._node_point(node)
            )
        if a["node_is_crossing"][node] and not a["edge_is_road"][via_edge]:

            def pick(name: str) -> int:
                value = a[f"node_{name}"][node]
                return value if value != UNKNOWN else a[f"edge_{name}"][via_edge]

            crossing = self._crossing(
                pick("tactile"),
                pick("crossing_signals"),
                pick("sound"),
                pick("vibration"),
                pick("crossing_markings"),
            )
            # Lanes only of roads through this node: the way it sits on may cross another road.
            found.append(
                crossing
                | self._island_lanes(pick("crossing_island"), a["node_crossing_lanes"][node])
                | {"button_operated": _tri(a["node_button"][node])}
                | self._node_point(node)
            )
        if a["node_barrier"][node]:
            found.append(
                {
                    "kind": "barrier",
                    "barrier": self.graph.word("barrier", a["node_barrier"][node]),
                }
                | self._access(node)
                | self._node_point(node)
            )
        if a["node_is_elevator"][node]:
            found.append({"kind": "elevator"} | self._access(node) | self._node_point(node))
        if a["node_is_entrance"][node]:
            found.append(
                {
                    "kind": "entrance",
                    "entrance": self.graph.word("entrance", a["node_entrance"][node]) or "yes",
                    "automatic_door": _tri(a["node_automatic_door"][node]),
                }
                | self._access(node)
                | self._node_point(node)
            )
        named = a["node_barrier"][node] or a["node_is_elevator"][node]
        if not (named or a["node_is_entrance"][node]) and self.graph.node_has_restriction[node]:
            found.append({"kind": "restriction"} | self._access(node) | self._node_point(node))
        return found

    def _access(self, node: int) -> dict:
        """A node's own access tags, as the route and a refusal report them."""
        a = self.a
        wheelchair = int(a["node_wheelchair"][node])
        return {
            "wheelchair": "limited" if wheelchair == 2 else _tri(wheelchair),
            "access": self.graph.word("access", a["node_access"][node]) or "unknown",
            "foot": self.graph.word("access", a["node_foot"][node]) or "unknown",
        }

    def edge_barriers(self, edge: int) -> list[dict]:
        """Barriers that are the edge itself: steps, a crossing way, a kerb tagged on the way."""
        a, found = self.a, []
        start = self.graph.edge_coords(edge)[0]
        where = {
            "osm_id": int(a["edge_osm_way_id"][edge]),
            "osm_type": "way",
            "lat": round(float(start[1]), 7),
            "lon": round(float(start[0]), 7),
        }
        if a["edge_is_steps"][edge]:
            count = int(a["edge_step_count"][edge])
            found.append(
                {
                    "kind": "steps",
                    "step_count": count if count >= 0 else "unknown",
                    "handrail": _tri(a["edge_handrail"][edge]),
                    "ramp": _tri(a["edge_ramp"][edge]),
                }
                | where
            )
        if a["edge_is_crossing"][edge] and self.graph.crossing_way_share[edge] > 0:
            crossing = self._crossing(
                a["edge_tactile"][edge],
                a["edge_crossing_signals"][edge],
                a["edge_sound"][edge],
                a["edge_vibration"][edge],
                a["edge_crossing_markings"][edge],
            )
            island_lanes = self._island_lanes(
                a["edge_crossing_island"][edge], a["edge_crossing_lanes"][edge]
            )
            found.append(crossing | island_lanes | where)
        if a["edge_has_kerb"][edge]:
            found.append(
                {"kind": "kerb", "height_cm": _number_or_unknown(a["edge_kerb_height_cm"][edge])}
                | where
            )
        if a["edge_is_elevator"][edge]:
            found.append({"kind": "elevator"} | where)
        return found

    def blocking(self, legs: list[Leg], params: dict | None = None) -> list[dict]:
        """What makes a (relaxed) path impassable for the profile, in path order.

        Each item sits where the path meets it: a blocked way at the start of the
        blocked part of the path (consecutive pieces of one way blocked for one
        reason make one stretch, drawn as `line`), a node where the path enters
        it. With the profile's `params`, items carry the measured value and the limit.
        """
        blocks: list[dict] = []
        current: dict[str, dict] = {}  # reason -> the stretch the previous leg belonged to
        seen_nodes: set[int] = set()
        for edge, start, end in legs:
            current = self._blocked_pieces(edge, start, end, current, blocks, params or {})
            head = int(self.graph.edge_v[edge])
            node_bits = self.costs.node_blocked[head]
            if end >= 1 and node_bits and head not in seen_nodes:
                seen_nodes.add(head)
                met = self.node_barriers(head, edge) or [{"kind": "node"} | self._node_point(head)]
                for name, bit in BLOCK_REASONS.items():
                    if node_bits & bit and name in _NODE_REASONS:
                        item = met[0] | {"reason": name, "message": _REASON_TEXT[name]}
                        blocks.append(item | _node_measure(item, name, params or {}))
                current = {}
        return [_finish_stretch(block) for block in blocks]

    def _blocked_pieces(
        self,
        edge: int,
        start: float,
        end: float,
        current: dict[str, dict],
        blocks: list[dict],
        params: dict,
    ) -> dict[str, dict]:
        """Add leg (edge, start, end) to the stretches it continues, or start new ones."""
        reasons = [n for n, bit in BLOCK_REASONS.items() if self.costs.edge_blocked[edge] & bit]
        if not reasons:
            return {}
        way = int(self.a["edge_osm_way_id"][edge])
        piece = cut_polyline(self.graph.edge_coords(edge), start, end)
        length_m = (end - start) * float(self.a["edge_length_m"][edge])
        following = {}
        for reason in reasons:
            measure = self._edge_measure(edge, reason)
            stretch = current.get(reason)
            if stretch is not None and stretch["osm_id"] == way:
                _extend_stretch(stretch, piece, length_m, measure)
            else:
                stretch = self._stretch(edge, reason, piece, length_m, params)
                blocks.append(stretch)
            following[reason] = stretch
        return following

    def _edge_measure(self, edge: int, reason: str) -> float | None:
        """The measured value behind an edge's block (grade, width, kerb height), None if none."""
        column = _EDGE_MEASURE.get(reason)
        if column is None:
            return None
        value = float(self.a[column][edge])
        return None if math.isnan(value) else value

    def _stretch(
        self, edge: int, reason: str, piece: np.ndarray, length_m: float, params: dict
    ) -> dict:
        """A blocked stretch beginning on `edge`, placed where the path meets it."""
        found = self.edge_barriers(edge)
        item = (found[0] if found else self._way_point(edge)) | {
            "reason": reason,
            "message": _REASON_TEXT[reason],
            "lat": round(float(piece[0][1]), 7),
            "lon": round(float(piece[0][0]), 7),
            "_pieces": [piece],
            "_length_m": length_m,
            "_measure": self._edge_measure(edge, reason),
        }
        limit = _LIMITS.get(reason)
        if limit is not None and limit[1] in params:
            item[limit[0]] = params[limit[1]]
        return item

    def candidate(self, legs: list[Leg]) -> dict:
        """The least-bad path of a failed route, to draw: its line and length."""
        coords, _ = self._leg_geometry(legs)
        edges = np.fromiter((leg[0] for leg in legs), dtype=np.int64, count=len(legs))
        share = np.fromiter((leg[2] - leg[1] for leg in legs), dtype=np.float64, count=len(legs))
        return {
            "geometry": {"type": "LineString", "coordinates": np.round(coords, 7).tolist()},
            "distance_m": round(float((share * self.a["edge_length_m"][edges]).sum()), 1),
        }

    def _way_point(self, edge: int) -> dict:
        start = self.graph.edge_coords(edge)[0]
        highway = self.graph.word("highway", self.a["edge_highway"][edge])
        return {
            "kind": "way",
            "highway": highway,
            "osm_id": int(self.a["edge_osm_way_id"][edge]),
            "osm_type": "way",
            "lat": round(float(start[1]), 7),
            "lon": round(float(start[0]), 7),
        }

    # --- segments -------------------------------------------------------------------
    def _leg_geometry(self, legs: list[Leg]) -> tuple[np.ndarray, np.ndarray]:
        """Route vertices (n, 2) and, per leg, the index of its last vertex.

        Middle legs are whole edges and are gathered with one index array; only
        the first and last legs may be cut where the points were snapped.
        """
        graph = self.graph
        ends = [
            cut_polyline(graph.edge_coords(leg[0]), leg[1], leg[2]) for leg in (legs[0], legs[-1])
        ]
        if len(legs) == 1:
            return ends[0], np.array([len(ends[0]) - 1])
        middle = np.fromiter((leg[0] for leg in legs[1:-1]), dtype=np.int64, count=len(legs) - 2)
        lo, hi = (
            graph.geom_offsets[middle] + 1,
            graph.geom_offsets[middle + 1],
        )  # drop shared first vertex
        counts = hi - lo
        index = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        middle_xy = np.column_stack((graph.geom_lon[index], graph.geom_lat[index]))
        coords = np.concatenate([ends[0], middle_xy, ends[1][1:]])
        per_leg = np.concatenate([[len(ends[0])], counts, [len(ends[1]) - 1]])
        return coords, np.cumsum(per_leg) - 1

    def _inclines(self, edges: np.ndarray, lengths: np.ndarray, lo: np.ndarray) -> list[dict]:
        """Each segment's slope (segments start at the leg indices `lo`), unknown if any part is."""
        a = self.a
        sources = a["edge_incline_source"][edges]
        unknown = np.add.reduceat((sources == 0).astype(np.int64), lo) > 0
        tagged = np.add.reduceat((sources == INCLINE_TAG).astype(np.int64), lo) > 0
        total = np.add.reduceat(lengths, lo)
        grade = np.add.reduceat(a["edge_grade_pct"][edges] * lengths, lo) / np.maximum(total, 1e-9)
        # float64 before rounding: float32 values print as 1.7999999523 in JSON.
        up = np.maximum.reduceat(a["edge_max_up_pct"][edges].astype(np.float64), lo)
        down = np.maximum.reduceat(a["edge_max_down_pct"][edges].astype(np.float64), lo)
        rows = zip(
            (unknown | (total <= 0)).tolist(),
            np.round(grade, 1).tolist(),
            np.round(up, 1).tolist(),
            np.round(down, 1).tolist(),
            tagged.tolist(),
            strict=True,
        )
        return [
            _UNKNOWN_INCLINE.copy()
            if is_unknown
            else {
                "grade_pct": g,
                "max_up_pct": u,
                "max_down_pct": d,
                "source": "tag" if is_tagged else "dem",
            }
            for is_unknown, g, u, d, is_tagged in rows
        ]

    def _barriers(self, legs: list[Leg]) -> list[list[dict]]:
        """Barriers met on each leg, looked up only where the graph flags one."""
        found: list[list[dict]] = []
        for i, (edge, _, end) in enumerate(legs):
            here: list[dict] = []
            if self.graph.edge_has_barrier[edge]:
                here.extend(self.edge_barriers(edge))
            head = int(self.graph.edge_v[edge])
            if end >= 1 and i < len(legs) - 1 and self.graph.node_has_barrier[head]:
                here.extend(self.node_barriers(head, edge))
            found.append(here)
        return found

    def _segments(self, edges: np.ndarray, lengths: np.ndarray, times: np.ndarray, lo: np.ndarray):
        """Per-segment fields of a path split into segments starting at leg indices `lo`.

        Aggregates are computed for all segments at once; a segment's tags are
        its first edge's (a segment is one OSM way).
        """
        a, word = self.a, self.graph.word
        first = edges[lo]
        columns = zip(
            a["edge_osm_way_id"][first].tolist(),
            a["edge_name"][first].tolist(),
            a["edge_highway"][first].tolist(),
            a["edge_footway"][first].tolist(),
            np.round(np.add.reduceat(lengths, lo), 1).tolist(),
            np.round(np.add.reduceat(times, lo), 1).tolist(),
            a["edge_surface"][first].tolist(),
            a["edge_smoothness"][first].tolist(),
            self._inclines(edges, lengths, lo),
            a["edge_width_m"][first].tolist(),
            a["edge_lit"][first].tolist(),
            a["edge_is_road"][first].tolist(),
            a["edge_sidewalk"][first].tolist(),
            strict=True,
        )
        return [
            {
                "osm_way_id": way,
                "name": word("name", name),
                "highway": word("highway", highway),
                "footway": word("footway", footway),
                "length_m": length,
                "duration_s": duration,
                "surface": word("surface", surface) or "unknown",
                "smoothness": word("smoothness", smoothness) or "unknown",
                "incline": incline,
                "width": _number_or_unknown(width),
                "lit": _tri(lit),
                "sidewalk": _tri(sidewalk) if is_road else None,
            }
            for (
                way,
                name,
                highway,
                footway,
                length,
                duration,
                surface,
                smoothness,
                incline,
                width,
                lit,
                is_road,
                sidewalk,
            ) in columns
        ]

    def route(self, legs: list[Leg]) -> dict:
        """The ``routes[i]`` object for a path."""
        a = self.a
        edges = np.fromiter((leg[0] for leg in legs), dtype=np.int64, count=len(legs))
        share = np.fromiter((leg[2] - leg[1] for leg in legs), dtype=np.float64, count=len(legs))
        lengths = share * a["edge_length_m"][edges]
        times = share * self.costs.time_s[edges]
        coords, last_vertex = self._leg_geometry(legs)
        ways = a["edge_osm_way_id"][edges]
        lo = np.concatenate([[0], np.flatnonzero(ways[1:] != ways[:-1]) + 1])
        bounds = np.append(lo, len(legs)).tolist()
        last = last_vertex.tolist()
        barriers = self._barriers(legs)
        segments = self._segments(edges, lengths, times, lo)
        for segment, (start, stop) in zip(segments, itertools.pairwise(bounds), strict=True):
            segment["coordinates_range"] = [last[start - 1] if start else 0, last[stop - 1]]
            segment["barriers"] = [b for leg_barriers in barriers[start:stop] for b in leg_barriers]
        coords = np.round(coords, 7)
        add_turns(segments, coords)
        route = {
            "distance_m": round(sum(s["length_m"] for s in segments), 1),
            "duration_s": round(sum(s["duration_s"] for s in segments), 1),
            "ascent_m": round(float((share * self.graph.ascent_known[edges]).sum()), 1),
            "descent_m": round(float((share * self.graph.descent_known[edges]).sum()), 1),
            "geometry": {"type": "LineString", "coordinates": coords.tolist()},
            "segments": segments,
        }
        all_barriers = [b for s in segments for b in s["barriers"]]
        route["barrier_counts"] = _count_kinds(all_barriers)
        route["unmapped_junctions"] = self._unmapped_junctions(edges, lo)
        route["unknown"] = self._unknown(edges, lengths, all_barriers)
        route["unknown"]["junctions"] = len(route["unmapped_junctions"])
        return route

    def _unknown(self, edges: np.ndarray, lengths: np.ndarray, barriers: list[dict]) -> dict:
        a = self.a

        def unknown_length(condition: np.ndarray) -> float:
            return round(float(lengths[condition].sum()), 1)

        return {
            "kerbs": sum(
                1 for b in barriers if b["kind"] == "kerb" and b["height_cm"] == "unknown"
            ),
            "crossings": sum(
                1
                for b in barriers
                if b["kind"] == "crossing" and "unknown" in (b["signals"], b["tactile_paving"])
            ),
            "surface_m": unknown_length(a["edge_surface"][edges] == 0),
            "incline_m": unknown_length(a["edge_incline_source"][edges] == 0),
            "width_m": unknown_length(
                np.isnan(a["edge_width_m"][edges]) & ~a["edge_is_road"][edges]
            ),
            "lit_m": unknown_length(a["edge_lit"][edges] == UNKNOWN),
        }

    def _unmapped_junctions(self, edges: np.ndarray, lo: np.ndarray) -> list[dict]:
        """Street intersections passed where no crossing or kerb is mapped, in path order.

        Each is the node (OSM id, lat, lon) and `segment`, the index of the step
        it belongs to: the step that starts there when the way changes at it,
        so a blind traveller hears of the street to cross where the turn is said.

        An intersection is a node where three or more street ends meet
        (driveways and tracks aside). There the person may cross a street, with
        kerbs unless someone mapped them flush; in most of Almaty nobody has.
        Which side of the street they walk is not known, so these count
        intersections passed, not streets crossed.
        """
        if len(edges) < 2:
            return []
        a = self.a
        into, out = edges[:-1], edges[1:]
        nodes = self.graph.edge_v[into]
        mapped = (
            a["node_is_crossing"][nodes]
            | a["node_has_kerb"][nodes]
            | a["edge_is_crossing"][into]
            | a["edge_is_crossing"][out]
        )
        at = np.flatnonzero((self.graph.node_street_degree[nodes] >= 3) & ~mapped)
        # Leg i + 1 leaves the junction; its segment is the last one starting at or before it.
        segment = np.searchsorted(lo, at + 1, side="right") - 1
        return [
            self._node_point(int(nodes[i])) | {"segment": int(k)}
            for i, k in zip(at.tolist(), segment.tolist(), strict=True)
        ]


def _count_kinds(barriers: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for barrier in barriers:
        counts[barrier["kind"]] = counts.get(barrier["kind"], 0) + 1
    return counts


# Blocked edge reason -> the array holding its measured value.
_EDGE_MEASURE = {
    "too_steep_up": "edge_max_up_pct",
    "too_steep_down": "edge_max_down_pct",
    "too_narrow": "edge_width_m",
    "kerb_too_high": "edge_kerb_height_cm",
}
_MEASURE_KEY = {
    "too_steep_up": "grade_pct",
    "too_steep_down": "grade_pct",
    "too_narrow": "width_m",
    "kerb_too_high": "kerb_cm",
    "kerb_unknown": "kerb_cm",
}
# Reason -> (answer key, profile parameter) of the limit the measured value broke.
_LIMITS = {
    "too_steep_up": ("limit_pct", "max_incline_up_pct"),
    "too_steep_down": ("limit_pct", "max_incline_down_pct"),
    "too_narrow": ("limit_m", "min_width_m"),
    "kerb_too_high": ("limit_cm", "max_kerb_cm"),
    "kerb_unknown": ("limit_cm", "max_kerb_cm"),
}


def _extend_stretch(
    stretch: dict, piece: np.ndarray, length_m: float, measure: float | None
) -> None:
    """Grow a blocked stretch by the next piece of the same way; keep its worst value."""
    stretch["_pieces"].append(piece)
    stretch["_length_m"] += length_m
    if measure is None:
        return
    old = stretch["_measure"]
    narrower = stretch["reason"] == "too_narrow"
    if old is None or (measure < old if narrower else measure > old):
        stretch["_measure"] = measure


def _finish_stretch(item: dict) -> dict:
    """Turn a stretch's working fields into its public ones: value, length and line."""
    if "_pieces" not in item:
        return item
    pieces = item.pop("_pieces")
    measure = item.pop("_measure")
    length_m = item.pop("_length_m")
    key = _MEASURE_KEY.get(item["reason"])
    if key is not None:
        item[key] = "unknown" if measure is None else round(measure, 1)
    line = np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]])
    item["length_m"] = round(length_m, 1)
    item["line"] = np.round(line, 7).tolist()
    return item


def _node_measure(item: dict, reason: str, params: dict) -> dict:
    """The kerb height met at a blocking node, and the profile's limit."""
    if reason not in ("kerb_too_high", "kerb_unknown"):
        return {}
    found = {"kerb_cm": item.get("height_cm", "unknown")}
    key, parameter = _LIMITS[reason]
    if parameter in params:
        found[key] = params[parameter]
    return found
