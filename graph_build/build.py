"""Compile OSM (+ DEM) into the street artifact that `routing` loads.

Artifact folder layout:
- ``street.npz``: node, edge and geometry arrays (see ``graph_build.arrays``) plus slopes;
- ``vocab.json``: the string tables the arrays' codes index into;
- ``places.parquet``: named places and facilities (``graph_build.places``);
- ``manifest.json``: inputs with sha256, tag counts, counts, build time and each
  artifact file's sha256, which `routing` checks before trusting the arrays.

A build is skipped when the manifest's inputs and format version match and the
artifact files still hash to what the manifest says.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph_build.arrays import blank_node_row, graph_to_arrays
from graph_build.drive import build_drive
from graph_build.elevation import Dem, directed_grades
from graph_build.osm_io import prepare_osm_xml, scan_osm
from graph_build.places import build_places, write_places
from graph_build.split import split_long_edges
from graph_build.street import load_pedestrian_graph
from jol import settings
from jol.artifact import (
    ARRAYS,
    ARTIFACT_FILES,
    INCLINE_DEM,
    INCLINE_TAG,
    INCLINE_UNKNOWN,
    MANIFEST,
    VOCAB,
    ManifestError,
    read_manifest,
    sha256_file,
    verify_artifacts,
)
from jol.cities import find_city


def _inputs(osm: Path, dems: Sequence[Path]) -> list[dict]:
    entries: list[dict[str, object]] = [{"kind": "osm", "path": str(osm)}]
    entries += [{"kind": "dem", "path": str(p)} for p in dems]
    for entry in entries:
        path = Path(str(entry["path"]))
        if not path.is_file():
            raise FileNotFoundError(f"input file not found: {path}")
        entry["sha256"] = sha256_file(path)
        entry["bytes"] = path.stat().st_size
    return entries


def artifact_is_current(out_dir: Path, inputs: list[dict], max_piece_m: float = 0.0) -> bool:
    """True if `out_dir` holds an intact artifact compiled from exactly `inputs`."""
    try:
        manifest = read_manifest(out_dir)
    except (FileNotFoundError, ManifestError):
        return False  # rebuilt from the inputs given, so a bad manifest is simply replaced
    if manifest.get("format_version") != settings.ARTIFACT_FORMAT_VERSION:
        return False
    key = [(i["kind"], i["sha256"]) for i in inputs]
    if [(i["kind"], i["sha256"]) for i in manifest.get("inputs", [])] != key:
        return False
    if manifest.get("graph", {}).get("max_piece_m", 0.0) != max_piece_m:
        return False
    return verify_artifacts(out_dir, manifest) == []


def _slopes(arrays: dict[str, np.ndarray], dems: Sequence[Path]) -> dict[str, np.ndarray]:
    """Directed grades from the DEM, overridden by `incline` tags where mapped."""
    n_edges = len(arrays["edge_u"])
    nan = np.full(n_edges, np.nan, dtype=np.float32)
    grade, up, down, ascent, descent = nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy()
    node_elev = np.full(len(arrays["node_lat"]), np.nan, dtype=np.float32)
    if dems:
        dem = Dem.open(list(dems))
        g = directed_grades(dem, arrays["geom_lat"], arrays["geom_lon"], arrays["geom_offsets"])
        grade, up, down, ascent, descent = (
            g.grade_pct,
            g.max_up_pct,
            g.max_down_pct,
            g.ascent_m,
            g.descent_m,
        )
        node_elev = dem.sample(arrays["node_lat"], arrays["node_lon"]).astype(np.float32)
    source = np.where(np.isnan(grade), INCLINE_UNKNOWN, INCLINE_DEM).astype(np.int8)
    tagged = ~np.isnan(arrays["edge_incline_tag_pct"])
    tag = arrays["edge_incline_tag_pct"][tagged]
    length = arrays["edge_length_m"][tagged]
    grade = grade.copy()
    grade[tagged] = tag
    up, down = up.copy(), down.copy()
    up[tagged] = np.maximum(tag, 0)
    down[tagged] = np.maximum(-tag, 0)
    ascent, descent = ascent.copy(), descent.copy()
    ascent[tagged] = np.maximum(tag, 0) * length / 100
    descent[tagged] = np.maximum(-tag, 0) * length / 100
    source[tagged] = INCLINE_TAG
    return {
        "edge_grade_pct": grade.astype(np.float32),
        "edge_max_up_pct": up.astype(np.float32),
        "edge_max_down_pct": down.astype(np.float32),
        "edge_ascent_m": ascent.astype(np.float32),
        "edge_descent_m": descent.astype(np.float32),
        "edge_incline_source": source,
        "node_elev_m": node_elev,
    }


def _components(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Weakly connected component id per node, 0 being the largest."""
    n = len(arrays["node_lat"])
    ones = np.ones(len(arrays["edge_u"]), dtype=np.int8)
    matrix = coo_matrix((ones, (arrays["edge_u"], arrays["edge_v"])), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="weak")
    order = np.argsort(-np.bincount(labels), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels].astype(np.int32)


def _reverse_edges(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Index of the edge running the other way along the same piece of way, -1 if none.

    Length is part of the key because a ring way can join the same two nodes
    by two different pieces; the direction flag tells the two runs of a closed
    loop (u == v) apart.
    """
    keys = list(
        zip(
            arrays["edge_u"].tolist(),
            arrays["edge_v"].tolist(),
            arrays["edge_osm_way_id"].tolist(),
            np.round(arrays["edge_length_m"], 2).tolist(),
            arrays["edge_reversed"].tolist(),
            strict=True,
        )
    )
    index = {key: i for i, key in enumerate(keys)}
    reverse = [index.get((v, u, way, length, not back), -1) for (u, v, way, length, back) in keys]
    return np.asarray(reverse, dtype=np.int32)


def _contraction_order(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Nested-dissection node order for the CCH, computed once here, not at service start."""
    import routingkit_cch

    order = routingkit_cch.compute_order_inertial(
        len(arrays["node_lat"]),
        arrays["edge_u"].tolist(),
        arrays["edge_v"].tolist(),
        arrays["node_lat"].tolist(),
        arrays["node_lon"].tolist(),
    )
    return np.asarray(order, dtype=np.int32)


def build_street_artifact(
    osm: Path,
    out_dir: Path,
    *,
    dems: Sequence[Path] = (),
    city: str = "",
    time_zone: str | None = None,
    city_names: dict[str, str] | None = None,
    force: bool = False,
    split: bool = True,
    progress: Callable[[str], None] = print,
) -> dict:
    """Compile `osm` (and optional DEM tiles) into `out_dir`; returns the manifest.

    `city`, `time_zone` (IANA) and `city_names` (per language) describe the city
    (jol/cities.py reads them from data/<city>.toml) and go into the manifest.

    Skips the work and returns the existing manifest when the artifact is
    current (same input hashes, intact files) unless `force`. With a DEM, long
    edges are cut into pieces of at most ``settings.EDGE_MAX_PIECE_M`` unless
    `split` is False (kept for before/after comparisons in benchmarks).
    """
    started = time.perf_counter()
    osm, out_dir = Path(osm), Path(out_dir)
    inputs = _inputs(osm, [Path(p) for p in dems])
    max_piece_m = settings.EDGE_MAX_PIECE_M if split and dems else 0.0
    if (
        not force
        and artifact_is_current(out_dir, inputs, max_piece_m)
        and _same_city(out_dir, time_zone, city_names)
    ):
        progress(f"artifact in {out_dir} is current; nothing to build")
        return json.loads((out_dir / MANIFEST).read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    progress(f"reading {osm.name}")
    summary = scan_osm(osm)
    prepared = prepare_osm_xml(osm, settings.cache_dir() / "osm-prepared")
    progress(f"building the pedestrian graph (osmnx); repaired {prepared.ways_repaired} ways")
    graph = load_pedestrian_graph(prepared.xml_path)
    progress(f"compiling {graph.number_of_nodes()} nodes, {graph.number_of_edges()} directed edges")
    arrays, vocab = graph_to_arrays(graph)
    del graph
    if max_piece_m > 0:
        arrays = split_long_edges(arrays, _reverse_edges(arrays), max_piece_m, blank_node_row())
        progress(f"cut long edges: {len(arrays['node_lat'])} nodes, {len(arrays['edge_u'])} edges")
    progress(
        "slopes from " + (", ".join(Path(p).name for p in dems) if dems else "incline tags only")
    )
    arrays |= _slopes(arrays, dems)
    arrays["node_component"] = _components(arrays)
    arrays["edge_reverse"] = _reverse_edges(arrays)
    arrays["cch_order"] = _contraction_order(arrays)
    progress("named places and facilities")
    write_places(build_places(osm), out_dir)
    progress("drive graph for Invataxi (one-way streets, turn restrictions)")
    drive = build_drive(prepared.xml_path, osm, out_dir)
    # numpy's stub types savez's keyword arrays as bool.
    np.savez(out_dir / ARRAYS, **arrays)  # type: ignore[arg-type]
    (out_dir / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False))
    manifest = {
        "format_version": settings.ARTIFACT_FORMAT_VERSION,
        "city": city,
        "time_zone": time_zone,
        "city_names": city_names or {},
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "build_seconds": round(time.perf_counter() - started, 2),
        "inputs": inputs,
        "osm": {
            "newest_timestamp": summary.newest_timestamp,
            "bbox": summary.bbox,
            "nodes": summary.nodes,
            "ways": summary.ways,
            "ways_repaired": prepared.ways_repaired,
            "ways_dropped": prepared.ways_dropped,
            "tag_counts": summary.tag_counts,
        },
        "graph": {
            "nodes": len(arrays["node_lat"]),
            "edges": len(arrays["edge_u"]),
            "max_piece_m": max_piece_m,
        },
        "artifacts": {
            name: sha256_file(out_dir / name) for name in (*ARTIFACT_FILES, settings.DRIVE_FILENAME)
        },
        "drive": drive,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    progress(f"built {out_dir} in {manifest['build_seconds']} s")
    return manifest


def _locate_input(entry: dict, manifest_path: Path) -> Path:
    """Where a recorded input is now: its recorded path, else the same file in data_dir().

    A clone that moved (another checkout, another CI folder) finds its data again
    under the configured data folder, trusted only if its sha256 is the recorded one.
    """
    recorded = Path(entry["path"])
    if recorded.is_file():
        return recorded
    for candidate in (
        settings.data_dir() / recorded.parent.name / recorded.name,
        settings.data_dir() / recorded.name,
    ):
        if candidate.is_file() and sha256_file(candidate) == entry.get("sha256"):
            return candidate
    raise FileNotFoundError(
        f"input file not found: {recorded} (recorded in {manifest_path}), nor an identical "
        f"copy under {settings.data_dir()}; cannot rebuild the damaged graph"
    )


def _recorded_inputs(manifest: dict, manifest_path: Path) -> tuple[Path, list[Path]]:
    """OSM file and DEM tiles a manifest says the artifact was compiled from; all must exist."""
    inputs = manifest.get("inputs") or []
    osm = [_locate_input(i, manifest_path) for i in inputs if i.get("kind") == "osm"]
    if len(osm) != 1:
        raise FileNotFoundError(f"{manifest_path} records no OSM input; run `jol build --out`")
    return osm[0], [_locate_input(i, manifest_path) for i in inputs if i.get("kind") == "dem"]


def rebuild_from_manifest(out_dir: Path, *, progress: Callable[[str], None] = print) -> dict | None:
    """Rebuild `out_dir` from the inputs its manifest records if its files are damaged.

    Returns the manifest (a new one after a rebuild), or None when the folder holds
    no manifest to rebuild from. An intact artifact is returned as is without
    reading its inputs, so a shipped graph works without the raw data. Raises
    FileNotFoundError naming the path when a recorded input file is gone.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        manifest = read_manifest(out_dir)
    except ManifestError as exc:
        manifest, reason = _rebuildable_manifest(out_dir, str(exc)), f"damaged ({exc})"
    else:
        bad = verify_artifacts(out_dir, manifest)
        if not bad and manifest["format_version"] == settings.ARTIFACT_FORMAT_VERSION:
            return manifest
        reason = f"damaged ({', '.join(bad)})" if bad else "of an older format"
    progress(f"compiled graph in {out_dir} is {reason}; rebuilding from its recorded inputs")
    osm, dems = _recorded_inputs(manifest, manifest_path)
    return build_street_artifact(
        osm,
        out_dir,
        dems=dems,
        city=manifest.get("city", ""),
        **_city_description(manifest),
        force=True,
        progress=progress,
    )


def _city_description(manifest: dict) -> dict:
    """The time zone and names a rebuilt manifest carries: the old manifest's, or, for one
    written before manifests held them (format 6), those of its city's data file."""
    if "time_zone" in manifest:
        return {"time_zone": manifest["time_zone"], "city_names": manifest.get("city_names")}
    known = find_city(str(manifest.get("city", "")))
    if known is None:
        return {"time_zone": None, "city_names": None}
    return {"time_zone": known.time_zone, "city_names": known.names}


def _same_city(out_dir: Path, time_zone: str | None, city_names: dict[str, str] | None) -> bool:
    """Whether the built manifest describes the city as the caller does: a changed time
    zone or names (data/<city>.toml) rebuilds, as a changed input does. A caller that
    states neither (None) accepts what was built."""
    manifest = json.loads((out_dir / MANIFEST).read_text())
    same_zone = time_zone is None or manifest.get("time_zone") == time_zone
    return same_zone and (city_names is None or manifest.get("city_names") == city_names)


def _rebuildable_manifest(out_dir: Path, problem: str) -> dict:
    """The damaged manifest if it still says what the graph was built from; else refuse.

    Without its inputs nothing can be rebuilt: the one-line FileNotFoundError
    (exit 2 in the CLI) names the folder and the command that builds it afresh.
    """
    try:
        return read_manifest(out_dir, complete=False)
    except ManifestError:
        raise FileNotFoundError(
            f"compiled graph in {out_dir} cannot be used or rebuilt: {problem}; "
            f"run `jol build --out {out_dir}` (with --osm FILE [--dem TILE] for another city)"
        ) from None
