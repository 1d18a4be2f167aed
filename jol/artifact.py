"""The compiled artifact's contract: file names, array names and dtypes, codes, and the
manifest's shape, shared by the builder (graph_build) and its readers (routing, CLI).

It sits at the bottom layer (beside settings) so routing can read an artifact
without importing graph_build, and is kept free of heavy imports so the service
can verify an artifact without loading osmnx or networkx. A manifest is trusted
only after `read_manifest` has checked its shape against `MANIFEST_SCHEMA`: valid
JSON of the wrong shape (`[]`, `"x"`, `{"inputs": {"a": 1}}`) must be refused or
rebuilt, never crash whoever reads it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema

from jol import settings

MANIFEST = "manifest.json"
ARRAYS = "street.npz"
VOCAB = "vocab.json"
ARTIFACT_FILES = (ARRAYS, VOCAB, settings.PLACES_FILENAME)

# Tri-state codes of yes/no tags (edge_lit, node_tactile, edge_handrail, ...); a
# tag that is absent or unreadable is UNKNOWN, never guessed.
YES, NO, UNKNOWN = 1, 0, -1
# Codes stored in edge_incline_source.
INCLINE_UNKNOWN, INCLINE_DEM, INCLINE_TAG = 0, 1, 2

# Every array of street.npz and its dtype: node_* per node, edge_* per directed
# edge, geom_* per vertex (geom_offsets per edge + 1), cch_order per node.
STREET_ARRAYS: dict[str, str] = {
    "node_lat": "float64",
    "node_lon": "float64",
    "node_osmid": "int64",
    "node_has_kerb": "bool",
    "node_kerb_height_cm": "float32",
    "node_kerb_kind": "int16",
    "node_is_crossing": "bool",
    "node_crossing_signals": "int8",
    "node_crossing_markings": "int8",
    # Refuge island: a tri-state; lanes to cross, lanes of a road: a count, -1 unknown.
    "node_crossing_island": "int8",
    "node_crossing_lanes": "int8",
    "node_sound": "int8",
    "node_vibration": "int8",
    "node_button": "int8",
    "node_tactile": "int8",
    "node_barrier": "int16",
    "node_wheelchair": "int8",
    "node_is_elevator": "bool",
    "node_is_entrance": "bool",
    "node_entrance": "int16",
    "node_automatic_door": "int8",
    "node_step_count": "int16",
    "node_access": "int16",
    "node_foot": "int16",
    "node_foot_access": "int8",
    "node_level": "int16",
    "edge_u": "int32",
    "edge_v": "int32",
    "edge_length_m": "float32",
    "edge_osm_way_id": "int64",
    "edge_reversed": "bool",
    "edge_highway": "int16",
    "edge_footway": "int16",
    "edge_name": "int32",
    "edge_surface": "int16",
    "edge_smoothness": "int16",
    "edge_width_m": "float32",
    "edge_lit": "int8",
    "edge_wheelchair": "int8",
    "edge_is_steps": "bool",
    "edge_step_count": "int16",
    "edge_handrail": "int8",
    "edge_ramp": "int8",
    "edge_is_crossing": "bool",
    "edge_crossing_signals": "int8",
    "edge_crossing_markings": "int8",
    "edge_crossing_island": "int8",
    "edge_crossing_lanes": "int8",
    "edge_lanes": "int8",
    "edge_sound": "int8",
    "edge_vibration": "int8",
    "edge_tactile": "int8",
    "edge_kerb_height_cm": "float32",
    "edge_has_kerb": "bool",
    "edge_is_road": "bool",
    "edge_sidewalk": "int8",
    "edge_sidewalk_separate": "bool",
    "edge_incline_tag_pct": "float32",
    "edge_incline_tag_dir": "int8",
    "edge_is_elevator": "bool",
    "geom_lon": "float64",
    "geom_lat": "float64",
    "geom_offsets": "int64",
    "edge_grade_pct": "float32",
    "edge_max_up_pct": "float32",
    "edge_max_down_pct": "float32",
    "edge_ascent_m": "float32",
    "edge_descent_m": "float32",
    "edge_incline_source": "int8",
    "node_elev_m": "float32",
    "node_component": "int32",
    "edge_reverse": "int32",
    "cch_order": "int32",
}
# Word tables of vocab.json: code i of edge_<table> / node_<table> is word i; 0 is none.
VOCAB_TABLES = (
    *("highway", "footway", "name", "surface", "smoothness"),
    *("kerb", "barrier", "entrance", "access", "level"),
)

_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_COUNT = {"type": "integer", "minimum": 0}
# What a rebuild needs: the recorded inputs, exactly one of them the OSM file.
# Other kinds (dem, later gtfs) and extra keys are allowed so the format can grow.
_INPUTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["kind", "path", "sha256"],
        "properties": {
            "kind": {"type": "string", "minLength": 1},
            "path": {"type": "string", "minLength": 1},
            "sha256": _SHA256,
            "bytes": _COUNT,
        },
    },
    "contains": {"properties": {"kind": {"const": "osm"}}},
    "minContains": 1,
    "maxContains": 1,
}
# An optional part's section: free-form now, an object so readers can test for it.
REBUILD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["inputs"],
    "properties": {"city": {"type": "string"}, "inputs": _INPUTS},
}
# Everything the builder writes that a reader (service, CLI, health) relies on.
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        *("format_version", "city", "built_at", "build_seconds"),
        *("inputs", "osm", "graph", "artifacts"),
    ],
    "properties": {
        "format_version": {"type": "integer"},
        "city": {"type": "string"},
        # The city's IANA time zone and its names per language, from data/<city>.toml;
        # routing reads a naive depart time on this clock (absent: mean solar time).
        "time_zone": {"type": ["string", "null"]},
        "city_names": {"type": "object", "additionalProperties": {"type": "string"}},
        "built_at": {"type": "string"},
        "build_seconds": {"type": "number", "minimum": 0},
        "inputs": _INPUTS,
        "osm": {
            "type": "object",
            "properties": {
                "newest_timestamp": {"type": ["string", "null"]},
                "bbox": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 4,
                            "maxItems": 4,
                        },
                    ]
                },
            },
        },
        # One section per part of the artifact: `graph` is the street part (street.npz,
        # vocab.json); `transit` and `drive` are written by their builders when present.
        "graph": {
            "type": "object",
            "required": ["nodes", "edges"],
            "properties": {"nodes": _COUNT, "edges": _COUNT},
        },
        # Optional: written by transit/build.py when GTFS feeds were compiled.
        "transit": {
            "type": "object",
            "required": ["format_version", "feeds", "files"],
            "properties": {
                "feeds": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["key", "path", "sha256"],
                        "properties": {"sha256": _SHA256},
                    },
                },
                "files": {"type": "object", "additionalProperties": _SHA256},
            },
        },
        # Optional: the Invataxi drive graph (graph_build/drive.py), checked by its sha256.
        "drive": {
            "type": "object",
            "required": ["file", "edges", "turns"],
            "properties": {"file": {"type": "string"}, "edges": _COUNT, "turns": _COUNT},
        },
        "artifacts": {"type": "object", "additionalProperties": _SHA256},
    },
}


class ManifestError(ValueError):
    """manifest.json is unreadable, not JSON, or of the wrong shape; the message says which."""


def read_manifest(directory: Path, *, complete: bool = True) -> dict:
    """The manifest of `directory`, checked against MANIFEST_SCHEMA (or, with
    `complete=False`, only against REBUILD_SCHEMA: what a rebuild needs).

    Raises FileNotFoundError if there is none and ManifestError naming the problem
    (e.g. "inputs/0/sha256: 1 is not of type 'string'") if it cannot be trusted.
    """
    path = Path(directory) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path} is unreadable ({exc.__class__.__name__})") from None
    try:
        manifest = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ManifestError(f"{path} is not JSON") from None
    error = jsonschema.exceptions.best_match(_validator(complete).iter_errors(manifest))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        # The message quotes the offending value, which may be anything: keep one short line.
        message = " ".join(error.message.split())[:_MESSAGE_CHARS]
        raise ManifestError(f"{path} has the wrong shape ({where}: {message})")
    return manifest


_MESSAGE_CHARS = 120


@functools.cache
def _validator(complete: bool) -> jsonschema.Draft202012Validator:
    # Built once: checking the schema itself on every read is slow.
    return jsonschema.Draft202012Validator(MANIFEST_SCHEMA if complete else REBUILD_SCHEMA)


def _no_constant(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_artifacts(out_dir: Path, manifest: dict) -> list[str]:
    """Names of artifact files that are missing or do not match the manifest's sha256."""
    expected = manifest.get("artifacts", {})
    bad = [name for name in ARTIFACT_FILES if name not in expected]
    for name, digest in expected.items():
        path = Path(out_dir) / name
        if not path.is_file() or sha256_file(path) != digest:
            bad.append(name)
    return bad
