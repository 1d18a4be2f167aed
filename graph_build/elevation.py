"""Elevation from SRTM tiles and directed slopes of street edges.

Build-time only: the graph build samples the DEM once and stores per-edge
grades; routing never touches rasters.

Units: latitude/longitude in degrees (WGS84), elevations in metres above the
EGM96 geoid, horizontal distances in metres, grades in percent (100 * rise / run).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import ArrayLike, NDArray

from jol import settings

# Mean Earth radius (IUGG); a local equirectangular projection is accurate to
# well under 0.1 % over the few hundred metres of one street edge.
_EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG_LAT = math.pi * _EARTH_RADIUS_M / 180.0

# Tolerance (in sample-index units) for deciding that a smoothing window still
# fits inside an edge's sampled span despite floating-point rounding.
_WINDOW_FIT_EPS = 1e-6


@dataclass(frozen=True)
class _Tile:
    """One raster held in memory, georeferenced by its pixel *centres*.

    `z[r, c]` is the elevation (m, NaN for voids) at latitude
    `lat0 + r * dlat` and longitude `lon0 + c * dlon`.
    """

    z: NDArray[np.float32]
    lat0: float
    lon0: float
    dlat: float
    dlon: float

    @property
    def lat_range(self) -> tuple[float, float]:
        last = self.lat0 + (self.z.shape[0] - 1) * self.dlat
        return (min(self.lat0, last), max(self.lat0, last))

    @property
    def lon_range(self) -> tuple[float, float]:
        last = self.lon0 + (self.z.shape[1] - 1) * self.dlon
        return (min(self.lon0, last), max(self.lon0, last))


def _read_tile(path: Path) -> _Tile:
    if not path.exists():
        raise FileNotFoundError(f"DEM tile not found: {path}")
    with rasterio.open(path) as src:
        t = src.transform
        if t.b != 0.0 or t.d != 0.0:
            raise ValueError(f"rotated rasters are not supported: {path}")
        raw = src.read(1)
        z = raw.astype(np.float32)
        if src.nodata is not None:
            z[raw == src.nodata] = np.nan
        # GDAL describes SRTM samples as pixel-is-area cells whose corner is
        # half a pixel outside the tile; the sample itself sits at the cell
        # centre, so row 0 / col 0 is exactly on the tile's integer degree.
        return _Tile(
            z=z,
            lat0=t.f + 0.5 * t.e,
            lon0=t.c + 0.5 * t.a,
            dlat=t.e,
            dlon=t.a,
        )


class Dem:
    """Elevation model made of one or more tiles, sampled bilinearly.

    Tiles are kept separate and each point is answered by the first tile
    whose sample grid encloses it. Adjacent SRTM tiles share their edge row
    or column, so bilinear values agree on the seam and are continuous.
    """

    def __init__(self, tiles: Sequence[_Tile]) -> None:
        if not tiles:
            raise ValueError("a Dem needs at least one tile")
        self._tiles = tuple(tiles)

    @classmethod
    def open(cls, paths: Sequence[Path]) -> Dem:
        """Read the tiles at `paths` (.hgt, .hgt.zip or any rasterio format) into memory."""
        return cls([_read_tile(Path(p)) for p in paths])

    def covers(self, lat: ArrayLike, lon: ArrayLike) -> bool:
        """True when every given point lies inside some tile's sample grid.

        A bounding-box test only: a covered point may still be a void (NaN).
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        la, lo = np.broadcast_arrays(la, lo)
        covered = np.zeros(la.shape, dtype=bool)
        for tile in self._tiles:
            covered |= _inside(tile, la, lo)
        return bool(covered.all())

    def sample(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
        """Bilinear elevation (m) at each point; NaN outside coverage or next to a void.

        `lat` and `lon` (degrees) broadcast against each other; the result has
        their broadcast shape.
        """
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        la, lo = np.broadcast_arrays(la, lo)
        shape = la.shape
        la = la.ravel()
        lo = lo.ravel()
        out = np.full(la.shape, np.nan)
        todo = np.ones(la.shape, dtype=bool)
        for tile in self._tiles:
            idx = np.flatnonzero(todo & _inside(tile, la, lo))
            if idx.size:
                out[idx] = _bilinear(tile, la[idx], lo[idx])
                todo[idx] = False
        return out.reshape(shape)


def _inside(tile: _Tile, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.bool_]:
    lat_lo, lat_hi = tile.lat_range
    lon_lo, lon_hi = tile.lon_range
    return (lat >= lat_lo) & (lat <= lat_hi) & (lon >= lon_lo) & (lon <= lon_hi)


def _bilinear(
    tile: _Tile, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> NDArray[np.float64]:
    nrows, ncols = tile.z.shape
    r = (lat - tile.lat0) / tile.dlat
    c = (lon - tile.lon0) / tile.dlon
    # Clamping keeps points on the last row/column inside the grid; their
    # fractional weight then lands fully on that last sample.
    r0 = np.clip(np.floor(r).astype(np.intp), 0, nrows - 2)
    c0 = np.clip(np.floor(c).astype(np.intp), 0, ncols - 2)
    fr = np.clip(r - r0, 0.0, 1.0)
    fc = np.clip(c - c0, 0.0, 1.0)
    z = tile.z
    z00 = z[r0, c0].astype(np.float64)
    z01 = z[r0, c0 + 1].astype(np.float64)
    z10 = z[r0 + 1, c0].astype(np.float64)
    z11 = z[r0 + 1, c0 + 1].astype(np.float64)
    # A void neighbour makes the value unknown even when its weight is zero:
    # voids mark radar shadow on steep terrain, so nearby values are suspect.
    top = z00 * (1.0 - fc) + z01 * fc
    bottom = z10 * (1.0 - fc) + z11 * fc
    return top * (1.0 - fr) + bottom * fr


@dataclass(frozen=True)
class DirectedGrades:
    """Per-edge elevation and slope in travel direction; float32 arrays [E], NaN = unknown.

    - `elev_start_m`, `elev_end_m`: elevation (m) at the first / last vertex.
    - `grade_pct`: mean signed grade start->end (%); for edges shorter than
      the smoothing window, the terrain grade along the edge's bearing over
      a window centred on its midpoint.
    - `max_up_pct`, `max_down_pct`: steepest climb / descent (%, >= 0) over
      any smoothing window along the edge.
    - `ascent_m`, `descent_m`: total climb / drop (m, >= 0) along the edge.
    """

    elev_start_m: NDArray[np.float32]
    elev_end_m: NDArray[np.float32]
    grade_pct: NDArray[np.float32]
    max_up_pct: NDArray[np.float32]
    max_down_pct: NDArray[np.float32]
    ascent_m: NDArray[np.float32]
    descent_m: NDArray[np.float32]


def directed_grades(
    dem: Dem,
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    offsets: NDArray[np.int64],
    smoothing_m: float = settings.GRADE_SMOOTHING_M,
    spacing_m: float = settings.DEM_SAMPLE_SPACING_M,
) -> DirectedGrades:
    """Elevations and directed grades of every edge polyline.

    `lat`, `lon` (degrees) hold the vertices of all edges in travel order,
    edge `e` owning `offsets[e]:offsets[e + 1]` (at least two vertices each).
    Each edge is resampled every <= `spacing_m` metres and grades are measured
    over windows of `smoothing_m` horizontal metres, because one SRTM pixel
    (~90 m) is longer than most edges. Edges shorter than the window are
    extended symmetrically along their start->end bearing so that they get
    the terrain slope rather than interpolation noise.

    For edges at least `smoothing_m` long, `ascent_m - descent_m` equals
    `elev_end_m - elev_start_m`; for shorter ones ascent/descent are the
    edge length times the smoothed grade, so sums along a path follow the
    terrain rather than the two endpoint samples.
    """
    if smoothing_m <= 0 or spacing_m <= 0:
        raise ValueError("smoothing_m and spacing_m must be positive")
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    _check_polylines(lat, lon, offsets)
    n_edges = offsets.size - 1
    if n_edges == 0:
        empty = np.empty(0, dtype=np.float32)
        return DirectedGrades(*(empty.copy() for _ in range(7)))

    first = offsets[:-1]
    last = offsets[1:] - 1
    cum, length = _cumulative_length(lat, lon, offsets)

    # Sampled span [a, a + span] in metres along the edge; a < 0 for short edges.
    span = np.maximum(length, smoothing_m)
    start = np.minimum(0.0, 0.5 * (length - smoothing_m))
    n_samples = np.maximum(2, np.ceil(span / spacing_m).astype(np.int64) + 1)
    base = np.concatenate(([0], np.cumsum(n_samples)))
    total = int(base[-1])
    edge_of_sample = np.repeat(np.arange(n_edges), n_samples)
    k = np.arange(total) - base[edge_of_sample]
    step = span / (n_samples - 1)
    s = start[edge_of_sample] + k * step[edge_of_sample]

    s_lat, s_lon = _positions(lat, lon, offsets, cum, length, edge_of_sample, s)
    z = dem.sample(s_lat, s_lon)

    z_start = dem.sample(lat[first], lon[first])
    z_end = dem.sample(lat[last], lon[last])

    g_max, g_min = _window_extremes(z, base, n_samples, step, smoothing_m, edge_of_sample)
    short = length < smoothing_m
    window_grade = g_max  # short edges have exactly one window
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_grade = np.where(short, window_grade, (z_end - z_start) / length)

    ascent, descent = _profile_climb(z, base)
    ascent = np.where(short, length * np.maximum(window_grade, 0.0), ascent)
    descent = np.where(short, length * np.maximum(-window_grade, 0.0), descent)

    return DirectedGrades(
        elev_start_m=z_start.astype(np.float32),
        elev_end_m=z_end.astype(np.float32),
        grade_pct=(100.0 * mean_grade).astype(np.float32),
        max_up_pct=(100.0 * np.maximum(g_max, 0.0)).astype(np.float32),
        max_down_pct=(100.0 * np.maximum(-g_min, 0.0)).astype(np.float32),
        ascent_m=ascent.astype(np.float32),
        descent_m=descent.astype(np.float32),
    )


def _check_polylines(
    lat: NDArray[np.float64], lon: NDArray[np.float64], offsets: NDArray[np.int64]
) -> None:
    if lat.ndim != 1 or lat.shape != lon.shape:
        raise ValueError("lat and lon must be 1-D arrays of equal length")
    if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != lat.size:
        raise ValueError("offsets must run from 0 to len(lat)")
    if np.any(np.diff(offsets) < 2):
        raise ValueError("every edge needs at least two vertices")


def _local_metres(
    lat0: NDArray[np.float64],
    lon0: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """East and north offsets (m) from point 0 to point 1, equirectangular at their mid-latitude."""
    coslat = np.cos(np.radians(0.5 * (lat0 + lat1)))
    return (lon1 - lon0) * _M_PER_DEG_LAT * coslat, (lat1 - lat0) * _M_PER_DEG_LAT


def cumulative_length_m(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance (m) of each vertex of one polyline from its first vertex."""
    east, north = _local_metres(lat[:-1], lon[:-1], lat[1:], lon[1:])
    return np.concatenate(([0.0], np.cumsum(np.hypot(east, north))))


def _cumulative_length(
    lat: NDArray[np.float64], lon: NDArray[np.float64], offsets: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distance (m) of each vertex from its edge's first vertex, and each edge's length (m)."""
    east, north = _local_metres(lat[:-1], lon[:-1], lat[1:], lon[1:])
    seg = np.hypot(east, north)
    # Jumps from one edge's last vertex to the next edge's first are not road.
    seg[offsets[1:-1] - 1] = 0.0
    running = np.concatenate(([0.0], np.cumsum(seg)))
    n_vertices = np.diff(offsets)
    cum = running - np.repeat(running[offsets[:-1]], n_vertices)
    length = cum[offsets[1:] - 1]
    return cum, length


def _positions(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    offsets: NDArray[np.int64],
    cum: NDArray[np.float64],
    length: NDArray[np.float64],
    edge_of_sample: NDArray[np.int64],
    s: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coordinates of the points `s` metres along their edges (extrapolated beyond the ends)."""
    first = offsets[:-1]
    last = offsets[1:] - 1
    n_vertices = np.diff(offsets)
    vertex_edge = np.repeat(np.arange(first.size), n_vertices)

    # One sorted key per vertex lets a single searchsorted find every sample's
    # segment across all edges at once.
    stride = float(length.max()) + 1.0
    vertex_key = vertex_edge * stride + cum
    e = edge_of_sample
    s_in = np.clip(s, 0.0, length[e])
    seg = np.searchsorted(vertex_key, e * stride + s_in, side="right") - 1
    seg = np.clip(seg, first[e], last[e] - 1)
    seg_len = cum[seg + 1] - cum[seg]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(seg_len > 0, (s_in - cum[seg]) / seg_len, 0.0)
    t = np.clip(t, 0.0, 1.0)
    p_lat = lat[seg] + t * (lat[seg + 1] - lat[seg])
    p_lon = lon[seg] + t * (lon[seg + 1] - lon[seg])

    # Beyond the ends, continue along the start->end bearing; a closed loop
    # has no such bearing, so it falls back to its first segment's.
    ue, un = _local_metres(lat[first], lon[first], lat[last], lon[last])
    chord = np.hypot(ue, un)
    fe, fn = _local_metres(lat[first], lon[first], lat[first + 1], lon[first + 1])
    use_first = chord < 1e-3
    ue = np.where(use_first, fe, ue)
    un = np.where(use_first, fn, un)
    norm = np.hypot(ue, un)
    with np.errstate(invalid="ignore", divide="ignore"):
        ue = ue / norm
        un = un / norm
    overshoot = s - s_in  # negative before the start, positive after the end
    outside = overshoot != 0.0
    ov = overshoot[outside]
    eo = e[outside]
    p_lat[outside] += ov * un[eo] / _M_PER_DEG_LAT
    p_lon[outside] += ov * ue[eo] / (_M_PER_DEG_LAT * np.cos(np.radians(p_lat[outside])))
    return p_lat, p_lon


def _interp_index(
    z: NDArray[np.float64], base: NDArray[np.int64], n: NDArray[np.int64], f: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Profile value at fractional sample index `f` within each window's edge."""
    f = np.clip(f, 0.0, (n - 1).astype(np.float64))
    i0 = np.minimum(np.floor(f).astype(np.int64), n - 2)
    t = f - i0
    return z[base + i0] * (1.0 - t) + z[base + i0 + 1] * t


def _window_extremes(
    z: NDArray[np.float64],
    base: NDArray[np.int64],
    n_samples: NDArray[np.int64],
    step: NDArray[np.float64],
    window_m: float,
    edge_of_sample: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Largest and smallest grade (rise/run) over all windows of `window_m` per edge.

    Windows start at every sample and also end at every sample; using both
    makes the set of windows the same when an edge is walked backwards, so
    reversing an edge swaps its extremes exactly.
    """
    e = edge_of_sample
    k = (np.arange(z.size) - base[e]).astype(np.float64)
    m = window_m / step[e]  # window length in sample steps
    n = n_samples[e]
    b = base[e]
    fwd = k + m <= (n - 1) + _WINDOW_FIT_EPS
    bwd = k - m >= -_WINDOW_FIT_EPS
    g_fwd = (_interp_index(z, b, n, k + m) - z) / window_m
    g_bwd = (z - _interp_index(z, b, n, k - m)) / window_m
    # Windows that do not fit are neutral (-inf / +inf) rather than NaN so
    # that only a real void makes an edge's extremes unknown.
    hi = np.maximum(np.where(fwd, g_fwd, -np.inf), np.where(bwd, g_bwd, -np.inf))
    lo = np.minimum(np.where(fwd, g_fwd, np.inf), np.where(bwd, g_bwd, np.inf))
    # Samples are grouped by edge and every edge has at least the window that
    # starts at its first sample; reduceat propagates NaN from voids.
    starts = base[:-1]
    return np.maximum.reduceat(hi, starts), np.minimum.reduceat(lo, starts)


def _profile_climb(
    z: NDArray[np.float64], base: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sum of rises and of drops (m) between consecutive samples of each edge's profile."""
    d = np.diff(z)
    up = np.maximum(d, 0.0)
    down = np.maximum(-d, 0.0)
    # Differences across an edge boundary belong to no edge.
    cross = base[1:-1] - 1
    up[cross] = 0.0
    down[cross] = 0.0
    starts = base[:-1]
    return np.add.reduceat(up, starts), np.add.reduceat(down, starts)


@dataclass(frozen=True)
class InclineTag:
    """A parsed OSM `incline=*` value, in the way's direction.

    `grade_pct` is the signed grade (%) or None when the magnitude is unknown;
    `direction` is +1 uphill, -1 downhill, 0 unknown or flat.
    """

    grade_pct: float | None
    direction: int


_UNKNOWN_INCLINE = InclineTag(grade_pct=None, direction=0)
_INCLINE_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%|°|deg)?$")


def parse_incline(value: str | None) -> InclineTag:
    """Parse an OSM `incline` value ("5%", "-3 %", "10°", "0", "up", "down", ...).

    Degrees are converted to percent via tan. A bare number is read as
    percent, the common usage. Words other than up/down ("steep", "yes",
    "no", ...) and anything unparsable give an unknown tag; this never raises.
    """
    if value is None:
        return _UNKNOWN_INCLINE
    text = value.strip().lower().replace("\u2212", "-").replace(",", ".")
    if text == "up":
        return InclineTag(grade_pct=None, direction=1)
    if text == "down":
        return InclineTag(grade_pct=None, direction=-1)
    match = _INCLINE_RE.match(text)
    if match is None:
        return _UNKNOWN_INCLINE
    number = float(match.group(1))
    if match.group(2) in ("°", "deg"):
        if abs(number) >= 90.0:
            return _UNKNOWN_INCLINE
        grade = 100.0 * math.tan(math.radians(number))
    else:
        grade = number
    if not math.isfinite(grade):
        return _UNKNOWN_INCLINE
    direction = 1 if grade > 0 else -1 if grade < 0 else 0
    return InclineTag(grade_pct=grade + 0.0, direction=direction)
