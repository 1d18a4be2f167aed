"""The compiled street artifact, loaded once into numpy arrays (no networkx here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from jol.artifact import (
    ARRAYS,
    MANIFEST,
    STREET_ARRAYS,
    VOCAB,
    ManifestError,
    read_manifest,
    verify_artifacts,
)
from routing.errors import RoutingError


class StreetGraph:
    """Node, edge and geometry arrays of one compiled city.

    Arrays are exposed as attributes without their ``node_``/``edge_`` prefix
    only where that reads better in routing code: ``node_lat``, ``edge_u``,
    ``highway`` (== ``edge_highway``) and so on; every array of ``street.npz``
    is available as ``graph.arrays[name]``. Lengths in metres, heights in
    centimetres, grades in percent, coordinates in degrees.

    The arrays' names and dtypes are the artifact contract's
    (`jol.artifact.STREET_ARRAYS`); each is also a typed attribute.
    """

    node_lat: np.ndarray
    node_lon: np.ndarray
    node_osmid: np.ndarray
    node_has_kerb: np.ndarray
    node_kerb_height_cm: np.ndarray
    node_kerb_kind: np.ndarray
    node_is_crossing: np.ndarray
    node_crossing_signals: np.ndarray
    node_crossing_markings: np.ndarray
    node_crossing_island: np.ndarray  # yes/no/unknown codes
    node_crossing_lanes: np.ndarray  # lanes to cross, -1 unknown
    node_sound: np.ndarray
    node_vibration: np.ndarray
    node_button: np.ndarray
    node_tactile: np.ndarray
    node_barrier: np.ndarray
    node_wheelchair: np.ndarray
    node_is_elevator: np.ndarray
    node_is_entrance: np.ndarray
    node_entrance: np.ndarray
    node_automatic_door: np.ndarray
    node_step_count: np.ndarray
    node_access: np.ndarray
    node_foot: np.ndarray
    node_foot_access: np.ndarray
    node_level: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_osm_way_id: np.ndarray
    edge_reversed: np.ndarray
    edge_highway: np.ndarray
    edge_footway: np.ndarray
    edge_name: np.ndarray
    edge_surface: np.ndarray
    edge_smoothness: np.ndarray
    edge_width_m: np.ndarray
    edge_lit: np.ndarray
    edge_wheelchair: np.ndarray
    edge_is_steps: np.ndarray
    edge_step_count: np.ndarray
    edge_handrail: np.ndarray
    edge_ramp: np.ndarray
    edge_is_crossing: np.ndarray
    edge_crossing_signals: np.ndarray
    edge_crossing_markings: np.ndarray
    edge_crossing_island: np.ndarray
    edge_crossing_lanes: np.ndarray
    edge_lanes: np.ndarray  # lanes of a road way, -1 unknown
    edge_sound: np.ndarray
    edge_vibration: np.ndarray
    edge_tactile: np.ndarray
    edge_kerb_height_cm: np.ndarray
    edge_has_kerb: np.ndarray
    edge_is_road: np.ndarray
    edge_sidewalk: np.ndarray
    edge_sidewalk_separate: np.ndarray
    edge_incline_tag_pct: np.ndarray
    edge_incline_tag_dir: np.ndarray
    edge_is_elevator: np.ndarray
    geom_lon: np.ndarray
    geom_lat: np.ndarray
    geom_offsets: np.ndarray
    edge_grade_pct: np.ndarray
    edge_max_up_pct: np.ndarray
    edge_max_down_pct: np.ndarray
    edge_ascent_m: np.ndarray
    edge_descent_m: np.ndarray
    edge_incline_source: np.ndarray
    node_elev_m: np.ndarray
    node_component: np.ndarray
    edge_reverse: np.ndarray
    cch_order: np.ndarray

    def __init__(
        self, directory: Path, manifest: dict, arrays: dict[str, np.ndarray], vocab: dict
    ) -> None:
        self.directory = directory
        self.manifest = manifest
        self.arrays = arrays
        self.vocab: dict[str, list[str]] = vocab
        missing = [name for name in STREET_ARRAYS if name not in arrays]
        if missing:
            raise RoutingError(
                "artifact_invalid",
                f"compiled graph in {directory} lacks arrays {', '.join(missing)}; rebuild it",
                {"path": str(directory), "files": [ARRAYS]},
            )
        for name in STREET_ARRAYS:
            setattr(self, name, arrays[name])
        self.highway = arrays["edge_highway"]
        self.is_steps = arrays["edge_is_steps"]
        self.node_count = len(arrays["node_lat"])
        self.edge_count = len(arrays["edge_u"])
        self.crossing_way_share = crossing_way_share(self)
        self.steps_way_share = way_length_share(self, arrays["edge_is_steps"])
        self.component_size = np.bincount(arrays["node_component"])
        self.ascent_known = np.nan_to_num(arrays["edge_ascent_m"])
        self.descent_known = np.nan_to_num(arrays["edge_descent_m"])
        # wheelchair=no|limited or access closed on a node that is no barrier, entrance or lift.
        self.node_has_restriction = np.isin(arrays["node_wheelchair"], (0, 2)) | (
            arrays["node_foot_access"] == 0
        )
        self.node_has_barrier = (
            self.node_has_restriction
            | arrays["node_has_kerb"]
            | arrays["node_is_crossing"]
            | (arrays["node_barrier"] > 0)
            | arrays["node_is_elevator"]
            | arrays["node_is_entrance"]
        )
        self.node_street_degree = _street_degree(self)
        self.edge_has_barrier = (
            arrays["edge_is_steps"]
            | (arrays["edge_is_crossing"] & (self.crossing_way_share > 0))
            | arrays["edge_has_kerb"]
            | arrays["edge_is_elevator"]
        )

    @classmethod
    def load(cls, directory: Path, *, verify: bool = True) -> StreetGraph:
        """Load an artifact folder written by ``graph_build.build``.

        With `verify`, each file's sha256 is checked against the manifest first,
        so a truncated or corrupted artifact is refused rather than half-loaded.
        """
        directory = Path(directory)
        try:
            manifest = read_manifest(directory)
        except FileNotFoundError:
            raise RoutingError(
                "artifact_invalid",
                f"no compiled graph in {directory} (missing {MANIFEST}); run `jol build`",
                {"path": str(directory)},
            ) from None
        except ManifestError as exc:
            raise RoutingError(
                "artifact_invalid",
                f"compiled graph in {directory} is damaged ({exc}); rebuild it",
                {"path": str(directory), "files": [MANIFEST]},
            ) from None
        if verify and (bad := verify_artifacts(directory, manifest)):
            raise RoutingError(
                "artifact_invalid",
                f"compiled graph in {directory} is damaged ({', '.join(bad)}); rebuild it",
                {"path": str(directory), "files": bad},
            )
        with np.load(directory / ARRAYS) as npz:
            arrays = {name: npz[name] for name in npz.files}
        vocab = json.loads((directory / VOCAB).read_text())
        return cls(directory, manifest, arrays, vocab)

    def edge_coords(self, edge: int) -> np.ndarray:
        """Vertices of `edge` in travel direction as an [n, 2] array of (lon, lat)."""
        start, end = self.geom_offsets[edge], self.geom_offsets[edge + 1]
        return np.column_stack((self.geom_lon[start:end], self.geom_lat[start:end]))

    def word(self, table: str, code: int) -> str | None:
        """Vocabulary word for a code; None for code 0 (unknown/none)."""
        return self.vocab[table][code] or None if code else None


def way_length_share(graph: StreetGraph, mask: np.ndarray) -> np.ndarray:
    """Each masked edge's share of its OSM way's length (0 elsewhere).

    A way is split into several edges at junctions and barrier nodes; charging
    each piece its share makes the pieces of one way add up to one penalty.
    """
    a = graph.arrays
    share = np.zeros(graph.edge_count, dtype=np.float64)
    if not mask.any():
        return share
    _, inverse = np.unique(a["edge_osm_way_id"][mask], return_inverse=True)
    lengths = a["edge_length_m"][mask].astype(np.float64)
    forward = np.where(~a["edge_reversed"][mask], lengths, 0.0)
    way_length = np.bincount(inverse, weights=forward)
    share[mask] = np.minimum(lengths / np.maximum(way_length[inverse], 1e-6), 1.0)
    return share


def crossing_way_share(graph: StreetGraph) -> np.ndarray:
    """Share of one crossing charged on each edge of a crossing way without a crossing node.

    Crossing ways that have a crossing node are charged at that node instead.
    """
    a = graph.arrays
    crossing = a["edge_is_crossing"]
    share = way_length_share(graph, crossing)
    if not crossing.any():
        return share
    ways, inverse = np.unique(a["edge_osm_way_id"][crossing], return_inverse=True)
    touches = (
        a["node_is_crossing"][a["edge_u"][crossing]] | a["node_is_crossing"][a["edge_v"][crossing]]
    )
    way_has_node = np.zeros(len(ways), dtype=bool)
    np.logical_or.at(way_has_node, inverse, touches)
    share[crossing] = np.where(way_has_node[inverse], 0.0, share[crossing])
    return share


# Carriageways that make a street intersection; driveways and tracks do not.
_MINOR_ROADS = ("service", "track")


def _street_degree(graph: StreetGraph) -> np.ndarray:
    """Streets meeting at each node, each counted once (edges are stored per direction)."""
    a = graph.arrays
    minor = [graph.vocab["highway"].index(w) for w in _MINOR_ROADS if w in graph.vocab["highway"]]
    streets = a["edge_is_road"] & ~a["edge_reversed"] & ~np.isin(a["edge_highway"], minor)
    ends = np.concatenate([a["edge_u"][streets], a["edge_v"][streets]])
    return np.bincount(ends, minlength=graph.node_count)
