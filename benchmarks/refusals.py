"""Almaty wheelchair refusals before and after cutting long edges (issue 10, defect 2).

Builds Almaty twice in one run, with long edges kept whole (``split=False``)
and cut (the default), sends the same 200 seeded random pairs through both
with ``wheelchair_manual``, and prints the refusal rate, the refusals by
reason, and how many slope refusals name a stretch that really is too steep.

"Really" is judged independently of ``graph_build.elevation``: the SRTM tiles
are read here with rasterio, sampled bilinearly (scipy ``map_coordinates``)
every 5 m along the named stretch's line, and graded over 90 m windows (the
DEM's resolution; a shorter stretch is extended along its chord, as a person
rolling it would meet the terrain). A blocker carrying ``line``, ``grade_pct``
and ``limit_pct`` (from the failure explanation) is checked along that line;
otherwise the stretch is the edge the blocker's way id and position identify.

    python benchmarks/refusals.py [--pairs 200] [--seed 10]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import rasterio
from scipy.ndimage import map_coordinates

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph_build.build import build_street_artifact
from jol import settings
from jol.cities import load_city
from routing.costs import BLOCK_REASONS
from routing.errors import RoutingError
from routing.service import Router
from services import load_services

_PROFILE = "wheelchair_manual"
_SLOPES = ("too_steep_up", "too_steep_down")
_WINDOW_M = 90.0
_STEP_M = 5.0
_M_PER_DEG = 111_195.0


class _Srtm:
    """SRTM tiles read with rasterio; elevation by bilinear interpolation of pixel centres."""

    def __init__(self, paths: list[Path]) -> None:
        self.tiles = []
        for path in paths:
            with rasterio.open(path) as src:
                self.tiles.append((src.read(1).astype(np.float64), ~src.transform, src.bounds))

    def elevation(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        out = np.full(len(lon), np.nan)
        for z, inverse, bounds in self.tiles:
            inside = (lon >= bounds.left) & (lon <= bounds.right)
            inside &= (lat >= bounds.bottom) & (lat <= bounds.top)
            if inside.any():
                col, row = inverse * (lon[inside], lat[inside])
                # pixel (r, c) holds the sample at its centre, (r + 0.5, c + 0.5) in corner units
                out[inside] = map_coordinates(z, [row - 0.5, col - 0.5], order=1, mode="nearest")
        return out


def _resample(line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points every _STEP_M along [[lon, lat], ...], extended to _WINDOW_M along the chord."""
    lat0 = math.radians(float(line[:, 1].mean()))
    xy = np.column_stack((line[:, 0] * math.cos(lat0), line[:, 1])) * _M_PER_DEG
    cum = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))))
    length = float(cum[-1])
    start = min(0.0, 0.5 * (length - _WINDOW_M))
    span = max(length, _WINDOW_M)
    s = np.linspace(start, start + span, math.ceil(span / _STEP_M) + 1)
    inside = np.clip(s, 0, length)
    x, y = np.interp(inside, cum, xy[:, 0]), np.interp(inside, cum, xy[:, 1])
    chord = xy[-1] - xy[0]
    unit = chord / max(float(np.hypot(*chord)), 1e-9)
    x, y = x + (s - inside) * unit[0], y + (s - inside) * unit[1]
    return np.column_stack((x / _M_PER_DEG / math.cos(lat0), y / _M_PER_DEG)), s


def steepest_pct(dem: _Srtm, line: np.ndarray) -> tuple[float, float]:
    """Steepest rise and drop (percent, both >= 0) over 90 m windows along `line`."""
    points, s = _resample(np.asarray(line, dtype=np.float64))
    z = dem.elevation(points[:, 0], points[:, 1])
    # windows starting at every sample and ending at every sample
    ahead = s + _WINDOW_M <= s[-1] + 1e-6
    behind = s - _WINDOW_M >= s[0] - 1e-6
    rise = np.concatenate(
        (
            np.interp(s[ahead] + _WINDOW_M, s, z) - z[ahead],
            z[behind] - np.interp(s[behind] - _WINDOW_M, s, z),
        )
    )
    rise = rise / _WINDOW_M * 100
    return float(np.max(rise, initial=-np.inf)), float(-np.min(rise, initial=np.inf))


def _stretch(router: Router, block: dict) -> np.ndarray | None:
    """The blocker's line: its own `line`, else the edge its way id and start point identify."""
    if "line" in block:
        return np.asarray(block["line"], dtype=np.float64)
    a = router.graph.arrays
    # Two pieces of a way start at each cut node (one each way): the blocked one is meant.
    blocked = router.metrics.get(_PROFILE, None).costs.edge_blocked
    bit = BLOCK_REASONS[block["reason"]]
    candidates = np.flatnonzero((a["edge_osm_way_id"] == block["osm_id"]) & (blocked & bit > 0))
    for edge in candidates:
        start = router.graph.edge_coords(edge)[0]
        if abs(start[1] - block["lat"]) < 2e-7 and abs(start[0] - block["lon"]) < 2e-7:
            return router.graph.edge_coords(edge)
    return None


def _pairs(router: Router, count: int, seed: int) -> list[tuple[tuple[float, float], ...]]:
    a = router.graph.arrays
    nodes = np.flatnonzero((a["node_component"] == 0) & (a["node_osmid"] > 0))
    rng = np.random.default_rng(seed)
    picks = rng.choice(nodes, size=(count, 2))
    return [
        tuple((float(a["node_lat"][n]), float(a["node_lon"][n])) for n in pair) for pair in picks
    ]


def _run(router: Router, pairs: list, dem: _Srtm) -> dict:
    limits = router.metrics.get(_PROFILE, None).profile.params
    refused, reasons, checked, true_steep, at_snap, from_line = 0, Counter(), 0, 0, 0, 0
    started = time.perf_counter()
    for origin, target in pairs:
        try:
            router.route(origin, target, _PROFILE)
            continue
        except RoutingError as error:
            if error.code != "no_accessible_route":
                reasons[error.code] += 1
                refused += 1
                continue
            details = error.details
        refused += 1
        at_snap += "field" in details
        blocks = details.get("blocking", [])
        reasons.update({b["reason"] for b in blocks} or {"none named"})
        for block in blocks:
            if block["reason"] not in _SLOPES:
                continue
            line = _stretch(router, block)
            if line is None:
                continue
            from_line += "line" in block
            up, down = steepest_pct(dem, line)
            if block["reason"] == "too_steep_up":
                steep = up > limits["max_incline_up_pct"]
            else:
                steep = down > limits["max_incline_down_pct"]
            checked += 1
            true_steep += steep
    return {
        "refused": refused,
        "at_snap": at_snap,
        "reasons": reasons,
        "checked": checked,
        "true_steep": true_steep,
        "from_line": from_line,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    city = load_city(settings.DEFAULT_CITY)
    osm, dems = city.files("osm")[0], city.files("dem")
    dem = _Srtm(dems)
    results, pairs = {}, None
    for label, split in (("before (whole edges)", False), ("after (cut edges)", True)):
        out = settings.cache_dir() / "bench-refusals" / ("cut" if split else "whole")
        started = time.perf_counter()
        manifest = build_street_artifact(
            osm, out, dems=dems, city="Almaty", split=split, progress=lambda _: None
        )
        built_s = time.perf_counter() - started
        router = load_services(out).router
        pairs = pairs or _pairs(router, args.pairs, args.seed)
        results[label] = _run(router, pairs, dem)
        graph = manifest["graph"]
        print(
            f"{label}: graph {graph['nodes']:,} nodes / {graph['edges']:,} edges, "
            f"build {manifest['build_seconds']} s (this run {built_s:.1f} s)"
        )
    for label, r in results.items():
        share = 100 * r["true_steep"] / r["checked"] if r["checked"] else float("nan")
        print(
            f"\n{label}: {r['refused']} of {len(pairs)} refused ({r['at_snap']} at snapping), "
            f"routing {r['seconds']:.1f} s"
        )
        for reason, n in r["reasons"].most_common():
            print(f"  {reason}: {n}")
        print(
            f"  slope stretches named: {r['checked']} ({r['from_line']} with their own line); "
            f"steeper than the limit by an independent DEM read: {r['true_steep']} ({share:.0f} %)"
        )


if __name__ == "__main__":
    main()
