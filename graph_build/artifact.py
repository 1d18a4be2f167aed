"""Names, checksums and the manifest contract of the compiled artifact, shared by the
builder and its readers.

Kept free of heavy imports so the service can verify an artifact without
loading osmnx or networkx. A manifest is trusted only after `read_manifest` has
checked its shape against `MANIFEST_SCHEMA`: valid JSON of the wrong shape
(`[]`, `"x"`, `{"inputs": {"a": 1}}`) must be refused or rebuilt, never crash
whoever reads it.
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

# Codes stored in edge_incline_source.
INCLINE_UNKNOWN, INCLINE_DEM, INCLINE_TAG = 0, 1, 2

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
        "graph": {
            "type": "object",
            "required": ["nodes", "edges"],
            "properties": {"nodes": _COUNT, "edges": _COUNT},
        },
        "artifacts": {"type": "object", "additionalProperties": _SHA256},
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
        # Optional: the Invataxi drive graph (graph_build/drive.py), checked by its sha256 above.
        "drive": {
            "type": "object",
            "required": ["file", "edges", "turns"],
            "properties": {"file": {"type": "string"}, "edges": _COUNT, "turns": _COUNT},
        },
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
