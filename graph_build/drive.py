"""The drivable network for Invataxi ETAs, compiled beside the street graph (issue 15).

The same OSM file osmnx reads for the street graph is read again with one-way
streets kept (``bidirectional=False``) and only the ways osmnx's ``drive``
network type admits. Turn restrictions are `restriction` relations, which osmnx
does not read, so osmium reads them and the graph is made *edge based*: each
directed road piece is a search node and each allowed turn between two pieces
an arc. A banned turn simply has no arc, so the CCH (ordered here, like the
street graph's) can never take it.

Speeds: a way's ``maxspeed`` where mapped, else the per-class default of
``drive_speeds.json`` (which says where its numbers come from). Time-of-day
factors are read by the service from the same file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import osmnx as ox

from graph_build import tags as T
from jol import settings

SPEEDS_FILE = Path(__file__).with_name("drive_speeds.json")
_KEEP = "jol_keep"
_WAY_TAGS = (
    *("highway", "oneway", "junction", "maxspeed", "tunnel", "bridge", "access"),
    *("motor_vehicle", "motorcar", "service", "area", "name", "layer", "covered"),
)
# osmnx's "drive" network filter (osmnx._overpass._get_network_filter), as a predicate
# because graph_from_xml reads every way of a file.
_NOT_DRIVE_HIGHWAYS = frozenset(
    {
        *("abandoned", "bridleway", "bus_guideway", "construction", "corridor", "cycleway"),
        *("elevator", "escalator", "footway", "no", "path", "pedestrian", "planned"),
        *("platform", "proposed", "raceway", "razed", "service", "steps", "track"),
    }
)
_NOT_DRIVE_SERVICE = frozenset(
    {"alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"}
)
# Classes a vehicle must never stop on to deploy a ramp (with tunnels and bridges).
NO_STOP_CLASSES = frozenset(
    {
        *("motorway", "motorway_link", "trunk", "trunk_link"),
        *("primary_link", "secondary_link", "tertiary_link"),
    }
)
# Restriction kinds modelled: every `no_*` bans one turn, every `only_*` all others.
_RESTRICTIONS = re.compile(r"^(no|only)_(left_turn|right_turn|straight_on|u_turn)$")
_MPH = 1.609344


def is_drivable(data: dict) -> bool:
    """Whether an unsimplified edge's way belongs to osmnx's drive network."""
    highway = T.first(data.get("highway"))
    if highway is None or highway in _NOT_DRIVE_HIGHWAYS or T.first(data.get("area")) == "yes":
        return False
    if T.first(data.get("service")) in _NOT_DRIVE_SERVICE:
        return False
    for key in ("motor_vehicle", "motorcar"):
        if T.first(data.get(key)) == "no":
            return False
    return T.first(data.get("access")) != "private"


def parse_maxspeed_kph(value: object) -> float | None:
    """km/h from a ``maxspeed`` value ("60", "40 mph", "RU:urban"); None if not a number."""
    text = (T.first(value) or "").strip().lower()
    zones = {"urban": 60.0, "rural": 90.0, "motorway": 110.0, "living_street": 20.0}
    if ":" in text and text.split(":", 1)[1] in zones:
        return zones[text.split(":", 1)[1]]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?", text)
    if not match:
        return None
    speed = float(match.group(1)) * (_MPH if match.group(2) == "mph" else 1.0)
    return speed if 0 < speed < 200 else None


def read_restrictions(osm_path: Path) -> list[tuple[str, int, int, int]]:
    """(kind, from way, via node, to way) of every simple turn restriction in the file."""

    class _Handler(osmium.SimpleHandler):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, int, int, int]] = []

        def relation(self, rel: osmium.osm.Relation) -> None:
            kind = rel.tags.get("restriction") or rel.tags.get("restriction:motorcar")
            if rel.tags.get("type") != "restriction" or not kind or not _RESTRICTIONS.match(kind):
                return
            roles: dict[str, list[tuple[str, int]]] = {}
            for member in rel.members:
                roles.setdefault(member.role, []).append((member.type, member.ref))
            parts = [roles.get(role, []) for role in ("from", "via", "to")]
            if all(len(p) == 1 for p in parts) and [p[0][0] for p in parts] == ["w", "n", "w"]:
                self.found.append((kind, parts[0][0][1], parts[1][0][1], parts[2][0][1]))

    handler = _Handler()
    handler.apply_file(str(osm_path))
    return handler.found


def load_drive_graph(xml_path: Path, via_nodes: Iterable[int]) -> nx.MultiDiGraph:
    """Directed drive graph (one-way streets one way), simplified but never across ways.

    Restriction via nodes stay graph nodes so their turns stay visible.
    """
    saved = (ox.settings.useful_tags_way, ox.settings.log_console)
    ox.settings.useful_tags_way = list(_WAY_TAGS)
    try:
        graph = ox.graph_from_xml(xml_path, bidirectional=False, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way, ox.settings.log_console = saved
    drop = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if not is_drivable(d)]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n, degree in graph.degree() if degree == 0])
    for node in set(via_nodes) & set(graph.nodes):
        graph.nodes[node][_KEEP] = 1
    return ox.simplify_graph(graph, node_attrs_include=[_KEEP], edge_attrs_differ=["osmid"])


def _speed_table() -> tuple[dict[str, float], float]:
    table = json.loads(SPEEDS_FILE.read_text())
    return {k: float(v) for k, v in table["speeds_kph"].items()}, float(table["default_kph"])


def _edge_arrays(graph: nx.MultiDiGraph) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per directed road piece: ends, length, speed, class code, way, flags, geometry."""
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    speeds, default_kph = _speed_table()
    classes: list[str] = []
    rows: dict[str, list] = {k: [] for k in ("u", "v", "len", "kph", "tag", "cls", "way", "flag")}
    lat, lon, offsets = [], [], [0]
    for u, v, data in graph.edges(data=True):
        highway = T.first(data.get("highway")) or "road"
        if highway not in classes:
            classes.append(highway)
        tagged = parse_maxspeed_kph(data.get("maxspeed"))
        flags = (T.first(data.get("tunnel")) not in (None, "no")) | (
            (T.first(data.get("bridge")) not in (None, "no")) << 1
        )
        for key, value in (
            ("u", index[u]),
            ("v", index[v]),
            ("len", float(data["length"])),
            ("kph", tagged or speeds.get(highway, default_kph)),
            ("tag", tagged is not None),
            ("cls", classes.index(highway)),
            ("way", int(T.first(data.get("osmid")) or 0)),
            ("flag", int(flags)),
        ):
            rows[key].append(value)
        geometry = data.get("geometry")
        if geometry is not None:
            xs, ys = geometry.xy
        else:
            xs = [graph.nodes[u]["x"], graph.nodes[v]["x"]]
            ys = [graph.nodes[u]["y"], graph.nodes[v]["y"]]
        lon.extend(xs)
        lat.extend(ys)
        offsets.append(len(lat))
    arrays = {
        "node_osm_id": np.array(nodes, dtype=np.int64),
        "node_lat": np.array([graph.nodes[n]["y"] for n in nodes]),
        "node_lon": np.array([graph.nodes[n]["x"] for n in nodes]),
        "edge_u": np.array(rows["u"], dtype=np.int32),
        "edge_v": np.array(rows["v"], dtype=np.int32),
        "edge_length_m": np.array(rows["len"], dtype=np.float64),
        "edge_speed_kph": np.array(rows["kph"], dtype=np.float32),
        "edge_speed_tagged": np.array(rows["tag"], dtype=bool),
        "edge_class": np.array(rows["cls"], dtype=np.int16),
        "edge_osm_way_id": np.array(rows["way"], dtype=np.int64),
        "edge_flags": np.array(rows["flag"], dtype=np.int8),
        "geom_lat": np.array(lat),
        "geom_lon": np.array(lon),
        "geom_offsets": np.array(offsets, dtype=np.int64),
    }
    return arrays, classes


def _turns(
    arrays: dict[str, np.ndarray], restrictions: list[tuple[str, int, int, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Allowed turns (from piece, to piece, U-turn flag) and how many restrictions applied."""
    u, v, way = arrays["edge_u"], arrays["edge_v"], arrays["edge_osm_way_id"]
    osm = arrays["node_osm_id"]
    order = np.argsort(u, kind="stable")
    starts = np.searchsorted(u[order], np.arange(len(osm) + 1))
    banned: set[tuple[int, int, int]] = set()
    only: dict[tuple[int, int], int] = {}
    for kind, from_way, via, to_way in restrictions:
        if kind.startswith("only_"):
            only[(from_way, via)] = to_way
        else:
            banned.add((from_way, via, to_way))
    applied: set[tuple[int, int]] = set()
    tails, heads, uturn = [], [], []
    for e in range(len(u)):
        node = int(v[e])
        via, from_way = int(osm[node]), int(way[e])
        for f in order[starts[node] : starts[node + 1]].tolist():
            back = int(v[f]) == int(u[e]) and int(way[f]) == from_way
            key = (from_way, via, int(way[f]))
            if key in banned and (back or from_way != key[2]):
                applied.add((from_way, via))
                continue
            if (from_way, via) in only and only[(from_way, via)] != key[2]:
                applied.add((from_way, via))
                continue
            tails.append(e)
            heads.append(f)
            uturn.append(back)
    return (
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(uturn, dtype=bool),
        len(applied),
    )


def _main_component(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Pieces in the largest strongly connected part of the turn graph (kerbs snap only there)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(arrays["edge_u"])
    ones = np.ones(len(arrays["turn_from"]), dtype=np.int8)
    graph = coo_matrix((ones, (arrays["turn_from"], arrays["turn_to"])), shape=(n, n))
    if n == 0:
        return np.zeros(0, dtype=bool)
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels == np.argmax(np.bincount(labels))


def _order(arrays: dict[str, np.ndarray]) -> np.ndarray:
    import routingkit_cch

    if len(arrays["edge_u"]) == 0:  # no drivable road (RoutingKit crashes on an empty graph)
        return np.zeros(0, dtype=np.int32)
    offsets = arrays["geom_offsets"]
    middle = (offsets[:-1] + offsets[1:] - 1) // 2
    order = routingkit_cch.compute_order_inertial(
        len(arrays["edge_u"]),
        arrays["turn_from"].tolist(),
        arrays["turn_to"].tolist(),
        arrays["geom_lat"][middle].tolist(),
        arrays["geom_lon"][middle].tolist(),
    )
    return np.asarray(order, dtype=np.int32)


def build_drive(xml_path: Path, osm_path: Path, out_dir: Path) -> dict:
    """Compile the drive graph into ``out_dir / settings.DRIVE_FILENAME``; its manifest section."""
    restrictions = read_restrictions(osm_path)
    graph = load_drive_graph(xml_path, (via for _, _, via, _ in restrictions))
    arrays, classes = _edge_arrays(graph)
    del graph
    turn_from, turn_to, uturn, applied = _turns(arrays, restrictions)
    arrays |= {"turn_from": turn_from, "turn_to": turn_to, "turn_is_u": uturn}
    arrays["edge_main"] = _main_component(arrays)
    arrays["cch_order"] = _order(arrays)
    # numpy's stub types savez's keyword arrays as bool.
    np.savez(out_dir / settings.DRIVE_FILENAME, **arrays)  # type: ignore[arg-type]
    return {
        "file": settings.DRIVE_FILENAME,
        "classes": classes,
        "nodes": len(arrays["node_lat"]),
        "edges": len(arrays["edge_u"]),
        "turns": len(turn_from),
        "restrictions_read": len(restrictions),
        "restrictions_applied": applied,
        "speed_tagged_edges": int(arrays["edge_speed_tagged"].sum()),
        "speeds": json.loads(SPEEDS_FILE.read_text()),
    }
