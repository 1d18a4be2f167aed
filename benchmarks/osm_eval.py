"""Engine-independent route evaluator: which OSM nodes and ways does a route pass?

Both engines return a route as a polyline in [[lon, lat], ...]. Every interior
vertex of such a polyline is the position of an OSM node (Valhalla keeps the
full way shape, Jol's geometry is the OSM node chain of its edges); only the
first and last vertex are snapped points between nodes. So the evaluator reads
the OSM file itself with pyosmium, matches each vertex to OSM nodes within
`MATCH_RADIUS_M` with a KD-tree, recovers the ways from consecutive matched
node pairs, and looks the barriers up in the raw tags. Nothing here uses
either engine's own idea of kerbs or crossings, so both are judged alike.

Barrier definitions (documented so the numbers can be argued with):

* steps: the route walks a segment of a `highway=steps` way.
* high kerb: the route passes a node whose `kerb:height` exceeds 3 cm, or, if
  no height is tagged, whose `kerb` is `raised` (the OSM wiki's "> 3 cm").
  A kerb tagged without height or class (`kerb=yes`) is counted apart as
  "unknown kerb".
* crossing: the route uses a crossing way (`footway|path|cycleway=crossing`,
  or a path-like way carrying `crossing=*`), or passes a crossing node
  (`highway=crossing` / `crossing=*`) while entering or leaving it on a
  path-like way -- walking *along* a carriageway through a zebra node is not
  crossing it. A crossing has tactile paving when the crossing way or node, or
  any node of the crossing way (its kerbs), is tagged `tactile_paving=yes`;
  "no" if so tagged, otherwise "unknown".
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import osmium
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

MATCH_RADIUS_M = 1.0  # vertex-to-node tolerance; Valhalla stores 1e-6 degrees (~0.1 m)
ON_SEGMENT_M = 1.5  # how far a snapped end point may lie off the OSM segment it is on
HIGH_KERB_CM = 3.0
_EARTH_RADIUS_M = 6_371_008.8
_MAX_CANDIDATES = 4  # OSM nodes sharing one position are rare; 4 covers them

# Ways a pedestrian may walk (the union both engines use for people on foot).
WALKABLE = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "cycleway",
        "road",
        "bridleway",
        "corridor",
        "elevator",
    }
)
# Path-like ways: on these a pedestrian is off the carriageway.
PATH_LIKE = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor", "elevator"}
)
_KNOWN_KERB_CLASSES = frozenset({"raised", "lowered", "flush", "rolled", "no"})
_NO_FOOT = frozenset({"no", "private"})
_NODE_KEYS = (
    "kerb",
    "kerb:height",
    "highway",
    "crossing",
    "tactile_paving",
    "barrier",
    # access on nodes: the wheelchair property test (tests/test_access_nodes.py) reads these
    "wheelchair",
    "access",
    "foot",
    "railway",
    "entrance",
    # crossing facts spoken in directions (tests/test_directions.py reads these)
    "crossing:island",
    "crossing:lanes",
    "traffic_calming",
)
_WAY_KEYS = (
    "highway",
    "footway",
    "path",
    "cycleway",
    "crossing",
    "tactile_paving",
    "foot",
    "access",
    "area",
    "wheelchair",
    "lanes",
    "crossing:island",
    "crossing:lanes",
    "traffic_calming",
)
_HEIGHT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(mm|cm|m)?\s*$")


def kerb_height_cm(tags: dict[str, str]) -> float | None:
    """Kerb height in centimetres from `kerb:height` (metres unless a unit is given)."""
    match = _HEIGHT.match(tags.get("kerb:height", ""))
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    return value * {"mm": 0.1, "cm": 1.0, "m": 100.0, None: 100.0}[match.group(2)]


def is_high_kerb(tags: dict[str, str]) -> bool:
    """True when the kerb is known to be higher than `HIGH_KERB_CM`."""
    height = kerb_height_cm(tags)
    if height is not None:
        return height > HIGH_KERB_CM
    return tags.get("kerb") == "raised"


def is_unknown_kerb(tags: dict[str, str]) -> bool:
    """A kerb is tagged but neither its height nor a height class is known (e.g. kerb=yes)."""
    if "kerb" not in tags or kerb_height_cm(tags) is not None:
        return False
    return tags["kerb"] not in _KNOWN_KERB_CLASSES


def _tactile(values: list[str | None]) -> str:
    if "yes" in values:
        return "yes"
    return "no" if "no" in values else "unknown"


def _is_crossing_node(tags: dict[str, str]) -> bool:
    return tags.get("highway") == "crossing" or tags.get("crossing", "no") != "no"


def _is_crossing_way(tags: dict[str, str]) -> bool:
    if "crossing" in (tags.get("footway"), tags.get("path"), tags.get("cycleway")):
        return True
    return tags.get("highway") in PATH_LIKE and tags.get("crossing", "no") != "no"


def _walkable(tags: dict[str, str]) -> bool:
    if tags.get("highway") not in WALKABLE or tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot is not None:
        return foot not in _NO_FOOT
    return tags.get("access") not in _NO_FOOT


@dataclass
class RouteFacts:
    """What a route passes, recovered from its geometry alone."""

    nodes: list[int] = field(default_factory=list)  # matched OSM node ids in travel order
    ways: list[int] = field(default_factory=list)  # OSM way ids, consecutive repeats merged
    steps: bool = False
    high_kerbs: list[int] = field(default_factory=list)
    unknown_kerbs: list[int] = field(default_factory=list)  # kerb=yes etc., height untold
    crossings: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, id, tactile)
    unmatched_interior: int = 0  # interior vertices with no OSM node within MATCH_RADIUS_M

    @property
    def untactile_crossing(self) -> bool:
        """Uses at least one crossing not tagged with tactile paving."""
        return any(t != "yes" for _, _, t in self.crossings)


class _Collector(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.coords: dict[int, tuple[float, float]] = {}
        self.node_tags: dict[int, dict[str, str]] = {}
        self.way_nodes: dict[int, list[int]] = {}
        self.way_tags: dict[int, dict[str, str]] = {}

    def node(self, n: osmium.osm.Node) -> None:
        if not n.location.valid():
            return
        self.coords[n.id] = (n.location.lon, n.location.lat)
        tags = {k: n.tags[k] for k in _NODE_KEYS if k in n.tags}
        if tags:
            self.node_tags[n.id] = tags

    def way(self, w: osmium.osm.Way) -> None:
        if "highway" not in w.tags:
            return
        self.way_nodes[w.id] = [n.ref for n in w.nodes]
        self.way_tags[w.id] = {k: w.tags[k] for k in _WAY_KEYS if k in w.tags}


class OsmIndex:
    """OSM nodes/ways of one extract, indexed for matching route geometries."""

    def __init__(self, osm_file: Path) -> None:
        collector = _Collector()
        collector.apply_file(str(osm_file))
        self.node_tags = collector.node_tags
        self.way_tags = collector.way_tags
        self.way_nodes = {
            w: [n for n in refs if n in collector.coords] for w, refs in collector.way_nodes.items()
        }
        self._pair_ways: dict[tuple[int, int], list[int]] = defaultdict(list)
        self._neighbours: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for way, refs in self.way_nodes.items():
            for a, b in pairwise(refs):
                self._pair_ways[(a, b)].append(way)
                self._pair_ways[(b, a)].append(way)
                self._neighbours[a].append((b, way))
                self._neighbours[b].append((a, way))
        ids = sorted(self._neighbours)
        self.node_ids = np.asarray(ids, dtype=np.int64)
        lonlat = np.asarray([collector.coords[n] for n in ids], dtype=np.float64)
        self._lat0 = float(np.radians(lonlat[:, 1].mean()))
        self.node_xy = self._project(lonlat)
        self._tree = cKDTree(self.node_xy)
        self._row = {int(n): i for i, n in enumerate(ids)}

    def _project(self, lonlat: np.ndarray) -> np.ndarray:
        """Equirectangular metres around the mean latitude (error < 0.1 % at city scale)."""
        rad = np.radians(np.asarray(lonlat, dtype=np.float64).reshape(-1, 2))
        return np.column_stack((rad[:, 0] * math.cos(self._lat0), rad[:, 1])) * _EARTH_RADIUS_M

    # -- sampling -------------------------------------------------------------------------

    def walkable_nodes(self) -> np.ndarray:
        """Untagged nodes of walkable ways in the largest walkable component (OSM ids).

        Barrier nodes are left out so an origin never *is* a kerb or crossing.
        """
        edges = [
            (self._row[a], self._row[b])
            for way, refs in self.way_nodes.items()
            if _walkable(self.way_tags[way]) and self.way_tags[way].get("highway") != "steps"
            for a, b in pairwise(refs)
        ]
        rows, cols = np.asarray(edges, dtype=np.int64).T
        n = len(self.node_ids)
        matrix = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, labels = connected_components(matrix, directed=False)
        touched = np.zeros(n, dtype=bool)
        touched[rows] = touched[cols] = True
        largest = np.bincount(labels[touched]).argmax()
        untagged = np.asarray([int(i) not in self.node_tags for i in self.node_ids])
        return self.node_ids[touched & (labels == largest) & untagged]

    def lonlat(self, node_ids: np.ndarray) -> np.ndarray:
        """[[lon, lat], ...] of OSM nodes, in degrees (inverse of the projection)."""
        xy = self.node_xy[[self._row[int(n)] for n in node_ids]] / _EARTH_RADIUS_M
        return np.degrees(np.column_stack((xy[:, 0] / math.cos(self._lat0), xy[:, 1])))

    def distance_m(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Straight-line distance in metres between [[lon, lat], ...] arrays."""
        return np.linalg.norm(self._project(a) - self._project(b), axis=1)

    # -- matching -------------------------------------------------------------------------

    def _candidates(self, xy: np.ndarray) -> list[list[int]]:
        """OSM nodes within MATCH_RADIUS_M of each vertex, nearest first."""
        _, rows = self._tree.query(xy, k=_MAX_CANDIDATES, distance_upper_bound=MATCH_RADIUS_M)
        missing = len(self.node_ids)  # cKDTree's "no neighbour" row
        return [[int(self.node_ids[r]) for r in row if r != missing] for row in rows]

    def _choose_nodes(self, cands: list[list[int]]) -> list[int | None]:
        """Pick one node per vertex, preferring candidates linked to a neighbouring vertex.

        Two OSM nodes can share a position (e.g. a crossing duplicated on a
        sidewalk); the one joined by a way to the previous or next vertex wins.
        """
        chosen: list[int | None] = []
        for i, here in enumerate(cands):
            linked = [
                n
                for n in here
                if any(
                    (n, m) in self._pair_ways
                    for j in (i - 1, i + 1)
                    if 0 <= j < len(cands)
                    for m in cands[j]
                )
            ]
            pick = linked or here
            chosen.append(pick[0] if pick else None)
        return chosen

    def _partial_way(self, node: int, point: np.ndarray) -> int | None:
        """Way whose segment from `node` contains `point` (a snapped route end)."""
        here = self.node_xy[self._row[node]]
        best: tuple[float, int] | None = None
        for other, way in self._neighbours[node]:
            there = self.node_xy[self._row[other]]
            seg = there - here
            t = float(np.clip(np.dot(point - here, seg) / max(np.dot(seg, seg), 1e-9), 0, 1))
            gap = float(np.hypot(*(here + t * seg - point)))
            if t > 0 and gap <= ON_SEGMENT_M and (best is None or gap < best[0]):
                best = (gap, way)
        return None if best is None else best[1]

    def _step_ways(self, chosen: list[int | None], xy: np.ndarray) -> list[tuple[int, list[int]]]:
        """For each route step i -> i+1, the candidate ways it runs along, with index i."""
        steps: list[tuple[int, list[int]]] = []
        for i in range(len(chosen) - 1):
            a, b = chosen[i], chosen[i + 1]
            if a is not None and b is not None:
                ways = self._pair_ways.get((a, b), [])
            elif a is not None:
                ways = [w for w in [self._partial_way(a, xy[i + 1])] if w is not None]
            elif b is not None:
                ways = [w for w in [self._partial_way(b, xy[i])] if w is not None]
            else:
                ways = []
            if ways:
                steps.append((i, ways))
        return steps

    def evaluate(self, coordinates: list[list[float]]) -> RouteFacts:
        """Nodes, ways and barriers of a route given as [[lon, lat], ...] degrees."""
        facts = RouteFacts()
        if len(coordinates) < 2:
            return facts
        xy = self._project(np.asarray(coordinates))
        chosen = self._choose_nodes(self._candidates(xy))
        facts.unmatched_interior = sum(c is None for c in chosen[1:-1])
        for node in chosen:
            if node is not None and (not facts.nodes or facts.nodes[-1] != node):
                facts.nodes.append(node)
        step_ways = self._step_ways(chosen, xy)
        for _, ways in step_ways:
            way = ways[0]
            if not facts.ways or facts.ways[-1] != way:
                facts.ways.append(way)
            if any(self.way_tags[w].get("highway") == "steps" for w in ways):
                facts.steps = True
        facts.high_kerbs = [n for n in facts.nodes if is_high_kerb(self.node_tags.get(n, {}))]
        facts.unknown_kerbs = [n for n in facts.nodes if is_unknown_kerb(self.node_tags.get(n, {}))]
        facts.crossings = self._crossings(chosen, step_ways)
        return facts

    # -- crossings ------------------------------------------------------------------------

    def _way_crossing(self, way: int) -> tuple[str, int, str]:
        values = [self.way_tags[way].get("tactile_paving")]
        values += [self.node_tags.get(n, {}).get("tactile_paving") for n in self.way_nodes[way]]
        return ("way", way, _tactile(values))

    def _crossings(
        self, chosen: list[int | None], step_ways: list[tuple[int, list[int]]]
    ) -> list[tuple[str, int, str]]:
        found: dict[tuple[str, int], str] = {}
        used_crossing_ways: set[int] = set()
        for _, ways in step_ways:
            for way in ways:
                if _is_crossing_way(self.way_tags[way]):
                    used_crossing_ways.add(way)
                    kind, wid, tactile = self._way_crossing(way)
                    found[(kind, wid)] = tactile
        ways_at: dict[int, list[int]] = defaultdict(list)  # vertex index -> ways in and out
        for i, ways in step_ways:
            ways_at[i].append(ways[0])
            ways_at[i + 1].append(ways[0])
        for k, node in enumerate(chosen):
            tags = self.node_tags.get(node, {}) if node is not None else {}
            if not _is_crossing_node(tags):
                continue
            around = ways_at.get(k, [])
            on_path = any(self.way_tags[w].get("highway") in PATH_LIKE for w in around)
            if on_path and not used_crossing_ways.intersection(around):
                found[("node", node)] = _tactile([tags.get("tactile_paving")])
        return [(kind, oid, tactile) for (kind, oid), tactile in found.items()]
