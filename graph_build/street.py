"""OSM XML to a simplified, directed pedestrian graph with osmnx.

osmnx parses the file and merges chains of degree-2 nodes, but two rules keep
accessibility facts from being merged away: every barrier node (kerb, crossing,
gate, elevator, entrance, station entrance, any node tagged ``wheelchair``,
``access`` or ``foot``) stays a graph node, and edges never merge across
OSM ways, so each edge belongs to exactly one way and one set of tags.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import osmnx as ox

from graph_build import tags as T

# Node attribute that forces osmnx to keep a node as an edge endpoint.
_KEEP = "jol_keep"
_BARRIER_HIGHWAYS = frozenset({"crossing", "traffic_signals", "elevator", "stop", "give_way"})
_BARRIER_NODE_KEYS = (
    "kerb",
    "kerb:height",
    "barrier",
    "crossing",
    "tactile_paving",
    "entrance",
    "door",
    # Access facts on any node: they block or warn only if the node stays in the graph.
    "wheelchair",
    "access",
    "foot",
)
_NEVER_WALKABLE = frozenset({"motorway", "motorway_link"})


@contextlib.contextmanager
def _osmnx_tags() -> Iterator[None]:
    """Make osmnx load the accessibility tags, restoring its settings afterwards."""
    saved = (ox.settings.useful_tags_node, ox.settings.useful_tags_way, ox.settings.log_console)
    ox.settings.useful_tags_node = list(T.NODE_TAGS)
    ox.settings.useful_tags_way = list(T.WAY_TAGS)
    try:
        yield
    finally:
        ox.settings.useful_tags_node, ox.settings.useful_tags_way, ox.settings.log_console = saved


def is_walkable(data: dict) -> bool:
    """Whether an unsimplified edge's way may be used on foot or by wheelchair at all."""
    highway = T.first(data.get("highway"))
    if highway is None or highway in _NEVER_WALKABLE:
        return False
    foot = (T.first(data.get("foot")) or "").lower()
    if foot == "no":
        return False
    access = (T.first(data.get("access")) or "").lower()
    if access in ("no", "private") and foot not in ("yes", "designated", "permissive"):
        return False
    return highway in T.PEDESTRIAN_HIGHWAYS or highway in ("trunk", "trunk_link")


def _is_barrier_node(data: dict) -> bool:
    if any(T.first(data.get(key)) for key in _BARRIER_NODE_KEYS):
        return True
    if T.entrance_kind(data) is not None:
        return True
    return (T.first(data.get("highway")) or "") in _BARRIER_HIGHWAYS


def load_pedestrian_graph(xml_path: Path) -> nx.MultiDiGraph:
    """Parse OSM XML into a simplified pedestrian MultiDiGraph (both directions of every way).

    Edge attribute ``length`` is in metres; ``reversed`` is True on the edge that
    runs against the OSM way's direction (matters for ``incline``).
    """
    with _osmnx_tags():
        graph = ox.graph_from_xml(xml_path, bidirectional=True, simplify=False, retain_all=True)
    drop = [
        (u, v, k) for u, v, k, data in graph.edges(keys=True, data=True) if not is_walkable(data)
    ]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([node for node, degree in graph.degree() if degree == 0])
    for _, data in graph.nodes(data=True):
        if _is_barrier_node(data):
            data[_KEEP] = 1
    return ox.simplify_graph(graph, node_attrs_include=[_KEEP], edge_attrs_differ=["osmid"])
