"""Entry point of `jol build --gtfs`: compile feeds into the artifact folder.

Writes transit.npz + transit.json beside the street graph and a `transit`
section in manifest.json (feeds with sha256, files with sha256, feed reports).
Feeds are keyed by their sha256: when every feed is unchanged and the files
still hash to what was recorded, nothing is recompiled; a changed feed
recompiles only the transit part, never the street graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from transit import codes
from transit.compile import compile_feeds
from transit.feed import FeedTables, load_feed
from transit.timetable import META, NPZ, Timetable

# Bump when the compiled layout changes so old transit parts are recompiled.
TRANSIT_FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def build_transit_artifact(
    feeds: Sequence[Path],
    out_dir: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] = print,
) -> dict | None:
    """Compile `feeds` into `out_dir`; returns the manifest's transit section (None: no feeds).

    Raises transit.errors.FeedError when a feed is unusable.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not feeds:
        write_manifest_section(out_dir, None)
        return None
    inputs = _inputs(feeds)
    section = None if force else _reusable(out_dir, inputs)
    if section is not None:
        progress("transit feeds unchanged; compiled timetable reused")
    else:
        section = _compile(out_dir, inputs, progress)
    write_manifest_section(out_dir, section)
    return section


def repair_recorded(out_dir: Path, *, progress: Callable[[str], None] = print) -> dict | None:
    """Recompile the transit part from the feeds the manifest records if its files are
    damaged or missing; returns the section (None: no transit recorded, or it cannot be
    repaired - the reason goes to `progress`, the street graph still serves)."""
    path = Path(out_dir) / MANIFEST
    try:
        section = json.loads(path.read_text(encoding="utf-8")).get("transit")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(section, dict) or not section.get("feeds"):
        return None
    feeds = [Path(f["path"]) for f in section["feeds"]]
    from transit.errors import FeedError

    try:
        return build_transit_artifact(feeds, Path(out_dir), progress=progress)
    except (FeedError, OSError) as exc:
        progress(f"transit part not rebuilt: {exc}")
        return None


def write_manifest_section(out_dir: Path, section: dict | None) -> None:
    """Put (or, with None, remove) the `transit` section of out_dir/manifest.json."""
    path = Path(out_dir) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if manifest.get("transit") == section:
        return  # unchanged: a reused build does not rewrite the manifest
    if section is None:
        manifest.pop("transit", None)
    else:
        manifest["transit"] = section
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    os.replace(tmp, path)


def format_report(section: dict) -> list[str]:
    """Short human lines per feed for the build's output."""
    lines = []
    for r in section.get("report", []):
        modes = ", ".join(f"{n} {m}" for m, n in r["routes_by_mode"].items())
        lines.append(
            f"{r['feed']}: {r['stops']} stops, {r['trips']} trips, routes {modes}; service "
            f"{r['service_first_date']}..{r['service_last_date']}; unknown accessibility: "
            f"{r['unknown_stop_pct']}% of stops, {r['unknown_trip_pct']}% of trips; "
            f"{r['warnings']} warnings"
            + ("; ESTIMATED timetable" if r["estimated_timetable"] else "")
        )
    return lines


def _inputs(feeds: Sequence[Path]) -> list[dict]:
    out, keys = [], set()
    for path in feeds:
        path = Path(path).resolve()
        key = re.sub(r"[^a-z0-9]+", "_", path.name.lower().removesuffix(".zip")).strip("_")
        key = key.removesuffix("_gtfs") or "feed"
        base, n = key, 2
        while key in keys:  # two feeds named alike still get distinct id prefixes
            key, n = f"{base}{n}", n + 1
        keys.add(key)
        out.append({"key": key, "path": str(path), "sha256": _sha256(path), "bytes": _size(path)})
    return out


def _reusable(out_dir: Path, inputs: list[dict]) -> dict | None:
    path = out_dir / MANIFEST
    try:
        section = json.loads(path.read_text(encoding="utf-8")).get("transit")
    except (OSError, ValueError, AttributeError):
        section = None
    if not isinstance(section, dict) or section.get("format_version") != TRANSIT_FORMAT_VERSION:
        return _from_meta(out_dir, inputs)
    recorded = [(f.get("key"), f.get("sha256")) for f in section.get("feeds", [])]
    if recorded != [(f["key"], f["sha256"]) for f in inputs]:
        return None
    files = section.get("files", {})
    if all((out_dir / n).is_file() and _sha256(out_dir / n) == files.get(n) for n in (NPZ, META)):
        return section
    return None


def _from_meta(out_dir: Path, inputs: list[dict]) -> dict | None:
    """A street rebuild rewrites manifest.json; transit.json still says what it was made of."""
    try:
        meta = json.loads((out_dir / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    section = meta.get("section")
    if not isinstance(section, dict) or section.get("format_version") != TRANSIT_FORMAT_VERSION:
        return None
    if [(f["key"], f["sha256"]) for f in section.get("feeds", [])] != [
        (f["key"], f["sha256"]) for f in inputs
    ]:
        return None
    if not (out_dir / NPZ).is_file() or _sha256(out_dir / NPZ) != section["files"].get(NPZ):
        return None
    return {**section, "files": {**section["files"], META: _sha256(out_dir / META)}}


def _compile(out_dir: Path, inputs: list[dict], progress: Callable[[str], None]) -> dict:
    started = time.monotonic()
    tables = []
    for item in inputs:
        progress(f"reading GTFS {item['path']}")
        tables.append(load_feed(Path(item["path"]), item["key"]))
    arrays, meta = compile_feeds(tables)
    report = [_report(t, arrays, meta, i) for i, t in enumerate(tables)]
    feeds = [
        {**item, **{k: f[k] for k in ("estimated_timetable", "estimated_rule", "timezone")}}
        for item, f in zip(inputs, meta["feeds"], strict=True)
    ]
    tt = Timetable(arrays, meta)
    npz_path, _ = tt.save(out_dir)
    section: dict[str, Any] = {
        "format_version": TRANSIT_FORMAT_VERSION,
        "feeds": feeds,
        "files": {NPZ: _sha256(npz_path)},
        "report": report,
        "build_seconds": round(time.monotonic() - started, 2),
    }
    # transit.json carries its own section copy (without its own hash) for reuse checks.
    meta["section"] = section
    meta["report"] = report
    meta_path = out_dir / META
    meta_path.write_text(json.dumps(meta, ensure_ascii=False))
    section = {**section, "files": {**section["files"], META: _sha256(meta_path)}}
    progress(f"compiled transit timetable in {section['build_seconds']} s")
    return section


def _report(t: FeedTables, arrays: dict, meta: dict, index: int) -> dict:
    mine = arrays["stop_feed"] == index
    served = np.zeros(len(mine), bool)
    served[arrays["pos_stop"]] = True
    stops = mine & served
    unknown_stops = (arrays["stop_wheelchair"][stops] == codes.UNKNOWN).mean() if stops.any() else 0
    wheel = t.trips.get("wheelchair_accessible")
    unknown_trips = 1.0 if wheel is None else float((~wheel.isin([1, 2])).mean())
    modes: dict[str, int] = {}
    for route_type in t.routes.route_type:
        word = codes.mode_word(int(route_type))
        modes[word] = modes.get(word, 0) + 1
    first, last = _service_range(arrays, meta, t.key)
    feed = meta["feeds"][index]
    return {
        "feed": t.key,
        "stops": int(mine.sum()),
        "served_stops": int(stops.sum()),
        "trips": len(t.trips),
        "compiled_departures": int(np.isin(arrays["trip_template"], _templates(meta, t.key)).sum()),
        "routes_by_mode": modes,
        "service_first_date": first,
        "service_last_date": last,
        "unknown_stop_pct": round(100 * float(unknown_stops), 1),
        "unknown_trip_pct": round(100 * unknown_trips, 1),
        "warnings": len(t.warnings),
        "estimated_timetable": feed["estimated_timetable"],
    }


def _templates(meta: dict, key: str) -> np.ndarray:
    prefix = f"{key}:"
    ids = meta["template_trip_ids"]
    return np.array([i for i, tid in enumerate(ids) if tid.startswith(prefix)])


def _service_range(arrays: dict, meta: dict, key: str) -> tuple[str | None, str | None]:
    from datetime import date

    cols = [i for i, s in enumerate(meta["service_ids"]) if s.startswith(f"{key}:")]
    if not cols or not len(arrays["service_active"]):
        return None, None
    days = np.flatnonzero(arrays["service_active"][:, cols].any(axis=1))
    if not len(days):
        return None, None
    first = int(arrays["service_first_day"][0])
    return (
        date.fromordinal(first + int(days[0])).isoformat(),
        date.fromordinal(first + int(days[-1])).isoformat(),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _size(path: Path) -> int:
    return Path(path).stat().st_size


def build_for_cli(
    feeds: Sequence[Path], out_dir: Path, *, force: bool, progress: Callable[[str], None]
) -> tuple[int, dict | None]:
    """`jol build`'s call: (exit code, summary for its JSON line); feed errors never raise.

    A bad feed is reported as the common error shape naming file, row and column.
    """
    from transit.errors import FeedError

    try:
        section = build_transit_artifact(feeds, out_dir, force=force, progress=progress)
    except FeedError as error:
        details = error.problem.to_dict()
        return 2, {"error": {"code": "bad_feed", "message": str(error), "details": details}}
    if section is None:
        return 0, None
    for line in format_report(section):
        progress(line)
    return 0, {"feeds": [f["key"] for f in section["feeds"]], "report": section["report"]}
