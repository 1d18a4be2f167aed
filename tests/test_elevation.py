"""Elevation sampling and directed grades on the real Almaty SRTM tiles."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from graph_build.elevation import Dem, InclineTag, directed_grades, parse_incline
from jol.settings import GRADE_SMOOTHING_M, data_dir

DEM_DIR = data_dir() / "almaty-dem"
WEST = DEM_DIR / "N43E076.hgt"
EAST = DEM_DIR / "N43E077.hgt"
M_PER_DEG_LAT = 111_195.0  # mean-radius metres per degree of latitude
SRTM_STEP = 1.0 / 1200.0  # 3 arc-seconds in degrees

pytestmark = pytest.mark.skipif(not WEST.exists(), reason="shared DEM data not present")


@pytest.fixture(scope="module")
def dem() -> Dem:
    return Dem.open([WEST, EAST])


def _raw_hgt(path: Path) -> np.ndarray:
    """The tile decoded straight from the .hgt format, independent of rasterio."""
    return np.fromfile(path, dtype=">i2").reshape(1201, 1201)


def _south_line(lat0: float, lon0: float, length_m: float, n: int) -> tuple[np.ndarray, ...]:
    lat = np.linspace(lat0, lat0 - length_m / M_PER_DEG_LAT, n)
    return lat, np.full(n, lon0)


def _one_edge(dem: Dem, lat: np.ndarray, lon: np.ndarray):
    return directed_grades(dem, lat, lon, np.array([0, lat.size], dtype=np.int64))


# --- Dem.sample ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "expected", "tol"),
    [
        (43.238, 76.945, 874.0, 15.0),  # Republic Square
        (43.272, 76.938, 762.0, 15.0),  # Almaty-2 station
        (43.157, 77.058, 1700.0, 50.0),  # Medeu (steep valley: SRTM error is larger)
    ],
)
def test_known_landmarks(dem: Dem, lat: float, lon: float, expected: float, tol: float) -> None:
    assert dem.sample(lat, lon) == pytest.approx(expected, abs=tol)


def test_pixel_centres_are_the_raw_samples(dem: Dem) -> None:
    # SRTM is pixel-is-point: row r, column c lies exactly at (44 - r/1200, 76 + c/1200).
    raw = _raw_hgt(WEST)
    rows = np.array([300, 909, 500])
    cols = np.array([1100, 1134, 1000])
    got = dem.sample(44.0 - rows * SRTM_STEP, 76.0 + cols * SRTM_STEP)
    np.testing.assert_allclose(got, raw[rows, cols].astype(float), atol=1e-6)


def test_bilinear_between_samples(dem: Dem) -> None:
    raw = _raw_hgt(WEST).astype(float)
    r, c = 909, 1134
    lat = 44.0 - (r + 0.25) * SRTM_STEP
    lon = 76.0 + (c + 0.5) * SRTM_STEP
    expected = (
        0.75 * (raw[r, c] + raw[r, c + 1]) / 2 + 0.25 * (raw[r + 1, c] + raw[r + 1, c + 1]) / 2
    )
    assert dem.sample(lat, lon) == pytest.approx(expected, abs=1e-6)


def test_seam_is_continuous(dem: Dem) -> None:
    # City latitudes; further south the foothills alone change ~10 m in 20 m.
    lat = np.linspace(43.20, 43.45, 11)
    dlon = 10.0 / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
    west = dem.sample(lat, 77.0 - dlon)
    east = dem.sample(lat, 77.0 + dlon)
    assert np.all(np.isfinite(west)) and np.all(np.isfinite(east))
    assert np.max(np.abs(west - east)) < 5.0


def test_seam_column_agrees_in_both_tiles() -> None:
    lat = np.linspace(43.05, 43.55, 11)
    west_only = Dem.open([WEST]).sample(lat, 77.0)
    east_only = Dem.open([EAST]).sample(lat, 77.0)
    assert np.all(np.isfinite(west_only))
    np.testing.assert_allclose(west_only, east_only)


def test_zip_tiles_read_the_same(dem: Dem) -> None:
    zipped = Dem.open([Path(f"{WEST}.zip"), Path(f"{EAST}.zip")])
    lat = np.array([43.238, 43.272, 43.157, 43.35])
    lon = np.array([76.945, 76.938, 77.058, 77.04])
    np.testing.assert_array_equal(zipped.sample(lat, lon), dem.sample(lat, lon))


def test_voids_and_outside_are_nan(dem: Dem) -> None:
    raw = _raw_hgt(EAST)
    rows, cols = np.nonzero(raw == -32768)
    # A void in the Almaty part of the eastern tile, found rather than assumed.
    in_bbox = (44.0 - rows * SRTM_STEP > 43.05) & (cols * SRTM_STEP < 0.25)
    r, c = rows[in_bbox][0], cols[in_bbox][0]
    void_lat = 44.0 - r * SRTM_STEP
    void_lon = 77.0 + c * SRTM_STEP
    assert np.isnan(dem.sample(void_lat, void_lon))
    # Any cell touching the void is unknown, even where the void's weight is small.
    assert np.isnan(dem.sample(void_lat + 0.9 * SRTM_STEP, void_lon - 0.9 * SRTM_STEP))
    outside = dem.sample(np.array([45.0, 43.5, 42.5]), np.array([76.5, 75.5, 76.5]))
    assert np.all(np.isnan(outside))


def test_sample_keeps_shape(dem: Dem) -> None:
    lat = np.full((3, 4), 43.238)
    assert dem.sample(lat, 76.945).shape == (3, 4)


def test_covers(dem: Dem) -> None:
    assert dem.covers(43.238, 76.945)
    assert dem.covers([43.05, 43.55], [76.55, 77.25])
    assert not dem.covers(45.0, 76.9)
    assert not Dem.open([WEST]).covers(43.2, 77.1)


def test_missing_tile_is_named() -> None:
    missing = DEM_DIR / "N99E999.hgt"
    with pytest.raises(FileNotFoundError, match="N99E999"):
        Dem.open([WEST, missing])


# --- directed_grades ------------------------------------------------------------


def test_walking_south_climbs(dem: Dem) -> None:
    lat, lon = _south_line(43.26, 76.93, 1000.0, 11)
    g = _one_edge(dem, lat, lon)
    assert 1.0 <= g.grade_pct[0] <= 6.0
    # The mean grade is the endpoint difference over the edge length.
    rise = g.elev_end_m[0] - g.elev_start_m[0]
    assert g.grade_pct[0] == pytest.approx(100.0 * rise / 1000.0, rel=1e-3)
    assert g.ascent_m[0] - g.descent_m[0] == pytest.approx(rise, abs=1e-3)
    assert g.max_up_pct[0] >= g.grade_pct[0]

    r = _one_edge(dem, lat[::-1].copy(), lon[::-1].copy())
    assert r.grade_pct[0] == pytest.approx(-g.grade_pct[0], rel=1e-5)
    assert r.max_up_pct[0] == pytest.approx(g.max_down_pct[0], abs=1e-4)
    assert r.max_down_pct[0] == pytest.approx(g.max_up_pct[0], abs=1e-4)
    assert r.ascent_m[0] == pytest.approx(g.descent_m[0], abs=1e-3)
    assert r.elev_start_m[0] == g.elev_end_m[0]


def test_short_edge_gets_terrain_grade(dem: Dem) -> None:
    lat, lon = _south_line(43.25, 76.93, 20.0, 2)
    g = _one_edge(dem, lat, lon)
    grade = float(g.grade_pct[0])
    assert math.isfinite(grade)
    assert 0.1 < grade < 30.0
    # Independent check: the DEM difference over the smoothing window centred
    # on the edge midpoint, measured along the edge.
    mid = lat.mean()
    half = 0.5 * GRADE_SMOOTHING_M / M_PER_DEG_LAT
    ends = dem.sample(np.array([mid + half, mid - half]), lon[:1])
    assert grade == pytest.approx(100.0 * (ends[1] - ends[0]) / GRADE_SMOOTHING_M, rel=1e-3)
    assert g.max_up_pct[0] == pytest.approx(grade, rel=1e-5)
    assert g.max_down_pct[0] == 0.0
    assert g.ascent_m[0] == pytest.approx(0.2 * grade, rel=1e-3)


def test_batch_matches_single_edges(dem: Dem) -> None:
    edges = [
        _south_line(43.26, 76.93, 1000.0, 11),
        _south_line(43.25, 76.93, 20.0, 2),
        (np.array([43.24, 43.241, 43.2405]), np.array([76.99, 76.995, 77.002])),  # crosses seam
        _south_line(43.30, 76.90, 300.0, 4),
    ]
    lat = np.concatenate([e[0] for e in edges])
    lon = np.concatenate([e[1] for e in edges])
    offsets = np.concatenate(([0], np.cumsum([e[0].size for e in edges])))
    batch = directed_grades(dem, lat, lon, offsets)
    for i, (la, lo) in enumerate(edges):
        single = _one_edge(dem, la, lo)
        for name in ("elev_start_m", "grade_pct", "max_up_pct", "max_down_pct", "ascent_m"):
            assert getattr(batch, name)[i] == pytest.approx(getattr(single, name)[0], abs=1e-4)
    assert batch.grade_pct.dtype == np.float32 and batch.grade_pct.shape == (4,)


def test_unknown_terrain_gives_nan(dem: Dem) -> None:
    raw = _raw_hgt(EAST)
    rows, cols = np.nonzero(raw == -32768)
    in_bbox = (44.0 - rows * SRTM_STEP > 43.05) & (cols * SRTM_STEP < 0.25)
    void_lat = 44.0 - rows[in_bbox][0] * SRTM_STEP
    void_lon = 77.0 + cols[in_bbox][0] * SRTM_STEP
    across_void = _south_line(void_lat + 0.002, void_lon, 400.0, 5)
    outside = _south_line(45.0, 76.9, 200.0, 3)
    lat = np.concatenate((across_void[0], outside[0]))
    lon = np.concatenate((across_void[1], outside[1]))
    g = directed_grades(dem, lat, lon, np.array([0, 5, 8]))
    assert np.isfinite(g.elev_start_m[0])
    assert np.isnan(g.max_up_pct[0]) and np.isnan(g.max_down_pct[0]) and np.isnan(g.ascent_m[0])
    for name in ("elev_start_m", "elev_end_m", "grade_pct", "max_up_pct", "ascent_m"):
        assert np.isnan(getattr(g, name)[1])


def test_rejects_malformed_offsets(dem: Dem) -> None:
    lat, lon = _south_line(43.26, 76.93, 100.0, 3)
    with pytest.raises(ValueError):
        directed_grades(dem, lat, lon, np.array([0, 1, 3]))  # one-vertex edge
    with pytest.raises(ValueError):
        directed_grades(dem, lat, lon, np.array([0, 2]))  # does not cover all vertices


@hyp_settings(max_examples=25, deadline=None)
@given(
    lat0=st.floats(43.18, 43.38),
    lon0=st.floats(76.80, 77.05),
    steps=st.lists(
        st.tuples(st.floats(-0.002, 0.002), st.floats(-0.002, 0.002)), min_size=1, max_size=6
    ),
)
def test_reversal_swaps_up_and_down(
    dem: Dem, lat0: float, lon0: float, steps: list[tuple[float, float]]
) -> None:
    lat = lat0 + np.concatenate(([0.0], np.cumsum([s[0] for s in steps])))
    lon = lon0 + np.concatenate(([0.0], np.cumsum([s[1] for s in steps])))
    # A zero-length edge has no direction, so its grades are rightly unknown.
    assume(np.hypot(lat[-1] - lat[0], lon[-1] - lon[0]) > 1e-5)
    offsets = np.array([0, lat.size, 2 * lat.size])
    g = directed_grades(
        dem, np.concatenate((lat, lat[::-1])), np.concatenate((lon, lon[::-1])), offsets
    )
    np.testing.assert_allclose(g.grade_pct[1], -g.grade_pct[0], atol=1e-3)
    np.testing.assert_allclose(g.max_up_pct[1], g.max_down_pct[0], atol=1e-3)
    np.testing.assert_allclose(g.max_down_pct[1], g.max_up_pct[0], atol=1e-3)
    np.testing.assert_allclose(g.ascent_m[1], g.descent_m[0], atol=1e-3)
    assert g.max_up_pct[0] >= 0 and g.max_down_pct[0] >= 0


# --- parse_incline ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "grade", "direction"),
    [
        ("5%", 5.0, 1),
        ("-3 %", -3.0, -1),
        ("+12.5%", 12.5, 1),
        ("0", 0.0, 0),
        ("0%", 0.0, 0),
        ("-0%", 0.0, 0),
        ("8", 8.0, 1),
        ("5,5%", 5.5, 1),
        ("\u22124%", -4.0, -1),
        ("10°", 100.0 * math.tan(math.radians(10.0)), 1),
        ("-45 °", -100.0, -1),
        ("up", None, 1),
        (" Down ", None, -1),
        ("steep", None, 0),
        ("yes", None, 0),
        ("no", None, 0),
        ("5-10%", None, 0),
        ("90°", None, 0),
        ("", None, 0),
        ("%", None, 0),
        (None, None, 0),
    ],
)
def test_parse_incline(value: str | None, grade: float | None, direction: int) -> None:
    tag = parse_incline(value)
    assert isinstance(tag, InclineTag)
    assert tag.direction == direction
    if grade is None:
        assert tag.grade_pct is None
    else:
        assert tag.grade_pct == pytest.approx(grade, abs=1e-9)


@given(st.text(max_size=12))
def test_parse_incline_never_raises(value: str) -> None:
    tag = parse_incline(value)
    assert tag.direction in (-1, 0, 1)
    assert tag.grade_pct is None or math.isfinite(tag.grade_pct)
