"""Valhalla as a reference engine for the benchmarks: tile build and in-process routing.

Valhalla comes from the `pyvalhalla-weekly` wheel (the `bench` extra). Tiles are
built by the wheel's bundled `valhalla_build_tiles` executable into
`<cache_dir>/valhalla/<name>/` and reused while the source .osm.pbf (and the
Valhalla version) is unchanged. Routing goes through `valhalla.Actor`, i.e. the
C++ library in this process, never an HTTP server.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import osmium
import valhalla
from valhalla.utils.decode_polyline import decode_polyline

# Jol's benchmark profile names -> Valhalla pedestrian costing `type`.
PEDESTRIAN_TYPES = {"wheelchair": "wheelchair", "blind": "blind", "pedestrian": "foot"}

# Valhalla log lines worth echoing as build progress; the full log goes to build.log.
_PROGRESS = re.compile(r"\[INFO\]\S*\s+((?:Parsing|Creating|Building|Enhancing|Validating)\b.*)")
_STAMP = "source.stamp"
_SHAPE_PRECISION = 6  # Valhalla encodes route shapes as polyline6


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quiet(config: dict[str, Any]) -> dict[str, Any]:
    """Silence every Valhalla service log; otherwise each route prints a line."""
    for section in config.values():
        if isinstance(section, dict) and isinstance(section.get("logging"), dict):
            section["logging"]["type"] = ""
    return config


def _config(tile_dir: Path) -> dict[str, Any]:
    """Default Valhalla config pointing at `tile_dir`, without the optional databases.

    There is no admin, timezone, traffic or landmark database here; leaving the
    defaults would only produce warnings about missing /data/valhalla files.
    """
    config = valhalla.get_config(tile_extract="", tile_dir=tile_dir, verbose=False)
    mjolnir = config["mjolnir"]
    for key in ("admin", "timezone", "traffic_extract", "landmarks"):
        mjolnir[key] = ""
    mjolnir["data_processing"]["use_admin_db"] = False
    return _quiet(config)


def _run_build(config_path: Path, pbf: Path, log_path: Path) -> None:
    """Run valhalla_build_tiles, echoing stage lines and keeping the full log."""
    cmd = [sys.executable, "-m", "valhalla", "valhalla_build_tiles", "-c", str(config_path)]
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            [*cmd, str(pbf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            match = _PROGRESS.search(line)
            if match:
                print(f"    valhalla: {match.group(1)}", flush=True)
    if proc.returncode != 0:
        raise RuntimeError(f"valhalla_build_tiles failed ({proc.returncode}); see {log_path}")


def build_tiles(pbf: Path, out_dir: Path) -> Path:
    """Build Valhalla tiles for `pbf` into `out_dir` and return its valhalla.json.

    Skips the build when `out_dir/source.stamp` records the same pbf sha256 and
    Valhalla version. Prints progress and the build time (seconds).
    """
    stamp = json.dumps({"sha256": _sha256(pbf), "valhalla": valhalla.__version__})
    config_path = out_dir / "valhalla.json"
    stamp_path = out_dir / _STAMP
    tile_dir = out_dir / "tiles"
    if stamp_path.is_file() and stamp_path.read_text() == stamp and config_path.is_file():
        print(f"  valhalla tiles up to date: {out_dir}")
        return config_path
    print(f"  building valhalla tiles for {pbf.name} -> {out_dir}", flush=True)
    tile_dir.mkdir(parents=True, exist_ok=True)
    stamp_path.unlink(missing_ok=True)
    config = _config(tile_dir)
    # The builder is the one place where Valhalla's log is useful.
    config["mjolnir"]["logging"]["type"] = "std_out"
    config["mjolnir"]["logging"]["color"] = False
    config_path.write_text(json.dumps(config, indent=1))
    started = time.perf_counter()
    _run_build(config_path, pbf, out_dir / "build.log")
    print(f"  valhalla tiles built in {time.perf_counter() - started:.1f} s", flush=True)
    config_path.write_text(json.dumps(_config(tile_dir), indent=1))
    stamp_path.write_text(stamp)
    return config_path


def _missing_refs(pbf: Path) -> set[int]:
    """OSM node ids referenced by ways but absent from the file (bbox-cut extracts)."""
    present: set[int] = set()
    referenced: set[int] = set()
    for obj in osmium.FileProcessor(str(pbf)):
        if obj.is_node():
            present.add(obj.id)
        elif obj.is_way():
            referenced.update(n.ref for n in obj.nodes)
    return referenced - present


def _longest_present_run(refs: list[int], missing: set[int]) -> list[int]:
    best: list[int] = []
    run: list[int] = []
    for ref in refs:
        if ref in missing:
            run = []
            continue
        run.append(ref)
        if len(run) > len(best):
            best = list(run)
    return best


def repair_pbf(pbf: Path, out_dir: Path) -> Path:
    """Return a pbf whose ways reference only nodes present in the file.

    Valhalla builds tiles from a bbox-cut extract but warns that the absent
    nodes "have not had coordinates initialized", so edges could get bogus
    geometry. Each affected way keeps its longest run of present nodes (ways
    left with fewer than 2 nodes are dropped) -- the same rule as the shared
    `*-clean.osm.bz2` files, so Jol and Valhalla see the same ways. Returns `pbf`
    itself when nothing references a missing node.
    """
    missing = _missing_refs(pbf)
    if not missing:
        return pbf
    out = out_dir / f"{pbf.name.removesuffix('.osm.pbf')}-repaired.osm.pbf"
    stamp_path = out.with_suffix(".stamp")
    stamp = _sha256(pbf)
    if out.is_file() and stamp_path.is_file() and stamp_path.read_text() == stamp:
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    changed = dropped = 0
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            if obj.is_way() and any(n.ref in missing for n in obj.nodes):
                kept = _longest_present_run([n.ref for n in obj.nodes], missing)
                changed += 1
                if len(kept) < 2:
                    dropped += 1
                    continue
                writer.add_way(obj.replace(nodes=kept))
            else:
                writer.add(obj)
    stamp_path.write_text(stamp)
    print(
        f"  repaired {pbf.name}: {changed} ways cut to present nodes ({dropped} dropped) -> {out}"
    )
    return out


class ValhallaEngine:
    """In-process Valhalla pedestrian routing (wheelchair / blind / foot)."""

    def __init__(self, config_path: Path) -> None:
        self.actor = valhalla.Actor(config_path)

    @staticmethod
    def _costing(profile: str) -> dict[str, Any]:
        if profile not in PEDESTRIAN_TYPES:
            raise ValueError(
                f"unknown profile {profile!r}; expected one of {list(PEDESTRIAN_TYPES)}"
            )
        return {"pedestrian": {"type": PEDESTRIAN_TYPES[profile]}}

    def _raw_route(
        self, origin: tuple[float, float], destination: tuple[float, float], profile: str
    ) -> dict[str, Any] | None:
        request = {
            "locations": [
                {"lat": origin[0], "lon": origin[1]},
                {"lat": destination[0], "lon": destination[1]},
            ],
            "costing": "pedestrian",
            "costing_options": self._costing(profile),
            "units": "kilometers",
            "directions_type": "none",
        }
        try:
            return self.actor.route(request)
        except RuntimeError:
            # Valhalla raises for "no path", "no suitable edges near location", ...
            return None

    def _trace_way_ids(self, encoded_shape: str, profile: str, match: str) -> list[int]:
        answer = self.actor.trace_attributes(
            {
                "encoded_polyline": encoded_shape,
                "shape_match": match,
                "costing": "pedestrian",
                "costing_options": self._costing(profile),
                "filters": {"attributes": ["edge.way_id"], "action": "include"},
            }
        )
        ids: list[int] = []
        for edge in answer.get("edges", []):
            if not ids or ids[-1] != edge["way_id"]:
                ids.append(int(edge["way_id"]))
        return ids

    def way_ids(self, encoded_shape: str, profile: str) -> list[int]:
        """OSM way ids along a route shape, in travel order, consecutive repeats merged.

        `edge_walk` follows the exact edges of the shape rather than map-matching
        it, so the ids are those of the route itself. It occasionally gives up on
        Valhalla's own shapes; map matching an exact shape is then the fallback.
        Returns [] if both fail.
        """
        for match in ("edge_walk", "walk_or_snap"):
            try:
                return self._trace_way_ids(encoded_shape, profile, match)
            except RuntimeError:
                continue
        return []

    def route(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        profile: str,
        *,
        with_way_ids: bool = True,
    ) -> dict[str, Any] | None:
        """Route between (lat, lon) points; None when Valhalla finds no route.

        Returns distance_m (metres), duration_s (seconds), coordinates as
        [[lon, lat], ...], encoded_shapes (polyline6 per leg, for `way_ids`) and, if
        asked, way_ids (OSM way ids in travel order).
        """
        answer = self._raw_route(origin, destination, profile)
        if answer is None:
            return None
        legs = answer["trip"]["legs"]
        shape: list[list[float]] = []
        for leg in legs:
            points = decode_polyline(leg["shape"], precision=_SHAPE_PRECISION)
            # Legs share their joining point; keep it once.
            shape.extend([list(p) for p in points][1 if shape else 0 :])
        summary = answer["trip"]["summary"]
        result: dict[str, Any] = {
            "distance_m": summary["length"] * 1000.0,
            "duration_s": summary["time"],
            "coordinates": shape,
            "encoded_shapes": [leg["shape"] for leg in legs],
        }
        if with_way_ids:
            result["way_ids"] = [w for leg in legs for w in self.way_ids(leg["shape"], profile)]
        return result
