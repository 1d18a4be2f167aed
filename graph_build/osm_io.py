"""Read OSM input files (XML, bz2 XML, PBF) and make them loadable by osmnx.

Extracts cut by a bounding box keep ways whose node references point outside
the cut; `osmnx.graph_from_xml` then fails with "Some edges missing nodes".
`prepare_osm_xml` repairs such ways exactly as
`almaty-osm-2012/PROVENANCE.md` documents for the shared clean file: each
damaged way keeps its longest run of consecutive present nodes, and ways left
with fewer than two nodes are dropped. Everything else (tags, ids, versions,
relations) is copied unchanged.

`scan_osm` is a single fast pass that summarises a file, including how many
elements carry each accessibility-relevant tag.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import osmium

# Bump when the repair rule or output format changes, so cached files are redone.
_PREPARE_VERSION = 1

_XML_SUFFIXES = (".osm", ".osm.bz2")
_PBF_SUFFIX = ".osm.pbf"
_SUPPORTED_SUFFIXES = (*_XML_SUFFIXES, _PBF_SUFFIX)
_HASH_CHUNK_BYTES = 1 << 20

# Tags counted by `scan_osm`. Grammar: "key" counts elements carrying the key,
# "key=value" elements with exactly that value, "prefix:*" every concrete key
# under the prefix (each counted under its own name, e.g. "sidewalk:left").
ACCESSIBILITY_TAGS: tuple[str, ...] = (
    "highway=steps",
    "highway=elevator",
    "footway=sidewalk",
    "footway=crossing",
    "crossing",
    "crossing:markings",
    "traffic_signals:sound",
    "traffic_signals:vibration",
    "button_operated",
    "tactile_paving",
    "kerb",
    "kerb:height",
    "wheelchair",
    "ramp",
    "ramp:wheelchair",
    "incline",
    "surface",
    "smoothness",
    "width",
    "est_width",
    "step_count",
    "handrail",
    "lit",
    "level",
    "door",
    "entrance",
    "automatic_door",
    "sidewalk",
    "sidewalk:*",
)


class OsmInputError(ValueError):
    """The OSM input file has an unsupported type or cannot be parsed."""


@dataclass(frozen=True)
class PreparedOsm:
    """Result of `prepare_osm_xml`.

    `xml_path` loads with `osmnx.graph_from_xml`. `rewritten` is False when the
    input was already clean OSM XML (.osm or .osm.bz2) and `xml_path` is the
    input file itself (no copy); True when it is a file written in `workdir`.
    """

    xml_path: Path
    source_sha256: str
    ways_repaired: int
    ways_dropped: int
    rewritten: bool


@dataclass(frozen=True)
class OsmSummary:
    """Result of `scan_osm`.

    `bbox` is (min_lon, min_lat, max_lon, max_lat) in degrees (WGS84) over all
    nodes with a valid location, or None if there are none. `newest_timestamp`
    is ISO 8601 UTC ("2012-03-13T17:07:43Z"), or None when the file carries no
    timestamps. `tag_counts` maps each `ACCESSIBILITY_TAGS` entry (prefix
    entries expanded to the concrete keys found) to a number of elements.
    """

    newest_timestamp: str | None
    bbox: tuple[float, float, float, float] | None
    nodes: int
    ways: int
    relations: int
    tag_counts: dict[str, int]


def prepare_osm_xml(path: Path, workdir: Path) -> PreparedOsm:
    """Return OSM XML for `path` that osmnx loads, repairing ways cut by a bbox.

    `path` is .osm, .osm.bz2 or .osm.pbf. Results are cached in `workdir` by the
    source's sha256: a second call for the same bytes reads a small JSON record
    and does no OSM parsing. Raises FileNotFoundError if `path` does not exist
    and OsmInputError if it is not a readable OSM file of a supported type.
    """
    path = Path(path)
    is_pbf = _check_input(path)
    sha = _sha256(path)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    out_path = workdir / f"{sha[:16]}.prepared.osm"
    record_path = workdir / f"{sha[:16]}.prepared.json"

    cached = _read_record(record_path, sha, source=path, out_path=out_path)
    if cached is not None:
        return cached

    present = _node_ids(path)
    if not is_pbf and _count_damaged_ways(path, present) == 0:
        result = PreparedOsm(path, sha, 0, 0, rewritten=False)
    else:
        repaired, dropped = _write_repaired(path, out_path, present)
        result = PreparedOsm(out_path, sha, repaired, dropped, rewritten=True)
    _write_record(record_path, result)
    return result


def scan_osm(path: Path) -> OsmSummary:
    """Summarise an OSM file in one pyosmium pass (see `OsmSummary`).

    Raises FileNotFoundError if `path` does not exist and OsmInputError if it
    is not a readable OSM file of a supported type.
    """
    path = Path(path)
    _check_input(path)
    exact, valued, prefixes = _compile_tag_patterns(ACCESSIBILITY_TAGS)
    counts = dict.fromkeys([p for p in ACCESSIBILITY_TAGS if not p.endswith(":*")], 0)
    n_nodes = n_ways = n_relations = 0
    newest = 0.0
    min_lon = min_lat = float("inf")
    max_lon = max_lat = float("-inf")

    for obj in _iter_osm(path):
        if isinstance(obj, osmium.osm.Node):
            n_nodes += 1
            loc = obj.location
            if loc.valid():
                lon, lat = loc.lon, loc.lat
                min_lon, max_lon = min(min_lon, lon), max(max_lon, lon)
                min_lat, max_lat = min(min_lat, lat), max(max_lat, lat)
        elif isinstance(obj, osmium.osm.Way):
            n_ways += 1
        elif isinstance(obj, osmium.osm.Relation):
            n_relations += 1
        # An unset timestamp reads as the Unix epoch, which is never a real edit.
        newest = max(newest, obj.timestamp.timestamp())
        if len(obj.tags):
            _count_tags(obj.tags, exact, valued, prefixes, counts)

    bbox = None if min_lon == float("inf") else (min_lon, min_lat, max_lon, max_lat)
    stamp = None
    if newest > 0:
        stamp = datetime.fromtimestamp(newest, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return OsmSummary(stamp, bbox, n_nodes, n_ways, n_relations, counts)


def longest_present_run(refs: Sequence[int], present: osmium.index.IdSet) -> list[int]:
    """Longest run of consecutive refs found in `present` (first one on ties)."""
    best_start = best_len = 0
    start = 0
    for i, ref in enumerate(refs):
        if ref not in present:
            start = i + 1
        elif i + 1 - start > best_len:
            best_start, best_len = start, i + 1 - start
    return list(refs[best_start : best_start + best_len])


def _check_input(path: Path) -> bool:
    """Validate existence and suffix; return True for PBF, False for XML."""
    if not path.exists():
        raise FileNotFoundError(f"OSM input file not found: {path}")
    if not path.is_file():
        raise OsmInputError(f"OSM input is not a file: {path}")
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIX):
        return True
    if name.endswith(_XML_SUFFIXES):
        return False
    supported = ", ".join(_SUPPORTED_SUFFIXES)
    raise OsmInputError(f"Unsupported OSM file type {path} (expected one of {supported})")


def _iter_osm(path: Path, entities: osmium.osm.osm_entity_bits | None = None) -> Iterator:
    """Iterate pyosmium objects, turning libosmium parse failures into OsmInputError."""
    processor = (
        osmium.FileProcessor(str(path))
        if entities is None
        else osmium.FileProcessor(str(path), entities)
    )
    try:
        yield from processor
    except RuntimeError as exc:
        # libosmium reports every malformed-input problem as RuntimeError.
        raise OsmInputError(f"Cannot read OSM file {path}: {exc}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _node_ids(path: Path) -> osmium.index.IdSet:
    # IdSet is a C++ bitmap: a Python set would need ~100 B per node on city-size files.
    ids = osmium.index.IdSet()
    for node in _iter_osm(path, osmium.osm.NODE):
        ids.set(node.id)
    return ids


def _count_damaged_ways(path: Path, present: osmium.index.IdSet) -> int:
    damaged = 0
    ways = 0
    for way in _iter_osm(path, osmium.osm.WAY):
        ways += 1
        if any(ref.ref not in present for ref in way.nodes):
            damaged += 1
    if ways == 0:
        raise OsmInputError(f"OSM file {path} contains no ways")
    return damaged


def _write_repaired(src: Path, dst: Path, present: osmium.index.IdSet) -> tuple[int, int]:
    """Copy `src` to OSM XML `dst`, repairing damaged ways; return (repaired, dropped)."""
    repaired = dropped = kept_ways = 0
    # Write beside the target and rename, so an interrupted run never leaves a
    # half-written file that a later call would mistake for a cached result.
    tmp = dst.with_name(f".{dst.stem}-{uuid.uuid4().hex}.osm")
    try:
        writer = osmium.SimpleWriter(str(tmp), header=_read_header(src), overwrite=True)
        try:
            for obj in _iter_osm(src):
                if isinstance(obj, osmium.osm.Way):
                    refs = [ref.ref for ref in obj.nodes]
                    if all(ref in present for ref in refs):
                        writer.add_way(obj)
                        kept_ways += 1
                        continue
                    run = longest_present_run(refs, present)
                    if len(run) < 2:
                        dropped += 1
                        continue
                    repaired += 1
                    kept_ways += 1
                    writer.add_way(obj.replace(nodes=run))
                else:
                    writer.add(obj)
        finally:
            writer.close()
        if kept_ways == 0:
            raise OsmInputError(f"OSM file {src} contains no ways with two or more present nodes")
        tmp.replace(dst)
    finally:
        tmp.unlink(missing_ok=True)
    return repaired, dropped


def _read_header(path: Path) -> osmium.io.Header:
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    except RuntimeError as exc:
        raise OsmInputError(f"Cannot read OSM file {path}: {exc}") from exc
    try:
        source = reader.header()
    finally:
        reader.close()
    header = osmium.io.Header()
    header.set("generator", "jol graph_build.osm_io")
    box = source.box()
    if box.valid():
        header.add_box(box)
    return header


def _read_record(
    record_path: Path, sha: str, *, source: Path, out_path: Path
) -> PreparedOsm | None:
    """Return the cached result for `sha`, or None if absent, stale or incomplete."""
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if record.get("version") != _PREPARE_VERSION or record.get("source_sha256") != sha:
        return None
    rewritten = bool(record["rewritten"])
    if rewritten and not out_path.is_file():
        return None
    xml_path = out_path if rewritten else source
    return PreparedOsm(
        xml_path, sha, int(record["ways_repaired"]), int(record["ways_dropped"]), rewritten
    )


def _write_record(record_path: Path, result: PreparedOsm) -> None:
    record = {
        "version": _PREPARE_VERSION,
        "source_sha256": result.source_sha256,
        "ways_repaired": result.ways_repaired,
        "ways_dropped": result.ways_dropped,
        "rewritten": result.rewritten,
    }
    tmp = record_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
    tmp.replace(record_path)


def _compile_tag_patterns(
    patterns: Iterable[str],
) -> tuple[frozenset[str], dict[str, list[str]], list[str]]:
    """Split patterns into (exact keys, {key: [values]}, key prefixes ending in ':')."""
    exact: list[str] = []
    valued: dict[str, list[str]] = {}
    prefixes: list[str] = []
    for pattern in patterns:
        if pattern.endswith(":*"):
            prefixes.append(pattern[:-1])
        elif "=" in pattern:
            key, value = pattern.split("=", 1)
            valued.setdefault(key, []).append(value)
        else:
            exact.append(pattern)
    return frozenset(exact), valued, prefixes


def _count_tags(
    tags: osmium.osm.TagList,
    exact: frozenset[str],
    valued: dict[str, list[str]],
    prefixes: list[str],
    counts: dict[str, int],
) -> None:
    for tag in tags:
        key = tag.k
        if key in exact:
            counts[key] += 1
        values = valued.get(key)
        if values and tag.v in values:
            counts[f"{key}={tag.v}"] += 1
        for prefix in prefixes:
            if key.startswith(prefix):
                counts[key] = counts.get(key, 0) + 1
