"""Moved to `jol.artifact` (the bottom layer, so routing reads it without graph_build).

Kept as an alias so code written against the old path keeps working.
"""

from jol.artifact import (  # noqa: F401
    ARRAYS,
    ARTIFACT_FILES,
    INCLINE_DEM,
    INCLINE_TAG,
    INCLINE_UNKNOWN,
    MANIFEST,
    MANIFEST_SCHEMA,
    REBUILD_SCHEMA,
    VOCAB,
    ManifestError,
    read_manifest,
    sha256_file,
    verify_artifacts,
)
