"""Names and checksums of the compiled artifact, shared by the builder and its readers.

Kept free of heavy imports so the service can verify an artifact without
loading osmnx or networkx.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jol import settings

MANIFEST = "manifest.json"
ARRAYS = "street.npz"
VOCAB = "vocab.json"
ARTIFACT_FILES = (ARRAYS, VOCAB, settings.PLACES_FILENAME)

# Codes stored in edge_incline_source.
INCLINE_UNKNOWN, INCLINE_DEM, INCLINE_TAG = 0, 1, 2


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
