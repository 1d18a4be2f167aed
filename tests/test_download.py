"""Tests for graph_build.download with the network faked only at the HTTP boundary.

Nominatim, Overpass and the GTFS server are replaced by `responses`; everything
behind them (osmnx geocoding, pyosmium validation, osmnx graph loading, zip
checks) runs for real on real OSM/GTFS bytes from the shared data folder.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import gtfs_kit
import osmnx as ox
import pytest
import requests
import responses
from responses import matchers

from graph_build.download import DownloadError, download_gtfs, download_osm
from graph_build.osm_io import prepare_osm_xml, scan_osm
from jol.settings import data_dir

HERRENBERG_BZ2 = data_dir() / "osm-accessibility-fixtures" / "herrenberg-minimal.osm.bz2"
CALTRAIN_ZIP = data_dir() / "gtfs-accessibility-fixtures" / "caltrain-2017-07-24.gtfs.zip"
SAMPLE_ZIP = (
    data_dir() / "gtfs-accessibility-fixtures" / "sample-gtfs-feed-0.13.0-SYNTHETIC.gtfs.zip"
)
CALTRAIN_SHA256 = "f9f035f772950b00d1f385dfe453c9e524854e9a1007d59e4df6e1f1cbcfcd94"

OVERPASS_API = "https://overpass-api.de/api"
NOMINATIM_API = "https://nominatim.openstreetmap.org/"
GTFS_URL = "https://transit.example.test/feeds/caltrain.zip"

# A hexagon around the Herrenberg fixture's data bbox (8.845-8.903 E,
# 48.583-48.610 N per its PROVENANCE.md). It is not the town's real boundary;
# ids in the Nominatim answer below are placeholders, only the shape is real.
HEXAGON_LONLAT = [
    (8.840, 48.596),
    (8.860, 48.578),
    (8.890, 48.578),
    (8.910, 48.596),
    (8.890, 48.615),
    (8.860, 48.615),
    (8.840, 48.596),
]

# Shape of overpass-api.de/api/status: line 5 starting with a number means
# free slots, so osmnx's rate limiter computes a zero pause.
OVERPASS_STATUS = (
    "Connected as: 1681265224\n"
    "Current time: 2024-05-01T10:00:00Z\n"
    "Announced endpoint: none\n"
    "Rate limit: 2\n"
    "2 slots available now.\n"
    "Currently running queries (pid, space limit, time limit, start time):\n"
)


def _nominatim_answer(geojson: dict) -> list[dict]:
    return [
        {
            "place_id": 1,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
            "osm_type": "relation",
            "osm_id": 1,
            "lat": "48.5963",
            "lon": "8.8708",
            "class": "boundary",
            "type": "administrative",
            "place_rank": 16,
            "importance": 0.55,
            "addresstype": "town",
            "name": "Herrenberg",
            "display_name": "Herrenberg, Landkreis Böblingen, Baden-Württemberg, Deutschland",
            "boundingbox": ["48.5780", "48.6150", "8.8400", "8.9100"],
            "geojson": geojson,
        }
    ]


HEXAGON_GEOJSON = {"type": "Polygon", "coordinates": [[list(p) for p in HEXAGON_LONLAT]]}


@pytest.fixture(scope="module")
def herrenberg_xml() -> bytes:
    """Real OSM XML bytes, as an Overpass [out:xml] answer would carry them."""
    return bz2.decompress(HERRENBERG_BZ2.read_bytes())


@pytest.fixture(autouse=True)
def _isolated_osmnx(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pin osmnx HTTP settings and keep its cache out of the repo and other tests."""
    monkeypatch.setattr(ox.settings, "use_cache", False)
    monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "osmnx-cache")
    monkeypatch.setattr(ox.settings, "overpass_url", OVERPASS_API)
    monkeypatch.setattr(ox.settings, "nominatim_url", NOMINATIM_API)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", True)
    monkeypatch.setattr(ox.settings, "overpass_settings", "[out:json][timeout:{timeout}]{maxsize}")
    monkeypatch.setattr(ox.settings, "requests_timeout", 180)
    monkeypatch.setenv("JOL_CACHE_DIR", str(tmp_path / "jol-cache"))


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    """Fake network: any request not registered fails with ConnectionError."""
    with responses.RequestsMock() as mock:
        yield mock


def _overpass_query(call: responses.Call) -> str:
    return parse_qs(call.request.body)["data"][0]


# --- download_osm -------------------------------------------------------------------


def test_download_by_place_yields_file_osmnx_loads(
    http: responses.RequestsMock, herrenberg_xml: bytes, tmp_path: Path
) -> None:
    http.get(NOMINATIM_API + "search", json=_nominatim_answer(HEXAGON_GEOJSON))
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(
        OVERPASS_API + "/interpreter", body=herrenberg_xml, content_type="application/osm3s+xml"
    )
    out = tmp_path / "osm" / "herrenberg.osm"

    result = download_osm(out, place="Herrenberg, Germany")

    assert result == out
    assert out.read_bytes() == herrenberg_xml
    prepared = prepare_osm_xml(out, tmp_path / "work")
    assert (prepared.ways_repaired, prepared.ways_dropped) == (0, 0)
    graph = ox.graph_from_xml(prepared.xml_path, simplify=False, retain_all=True)
    assert graph.number_of_edges() > 1_000

    nominatim_call = http.calls[0]
    assert parse_qs(urlparse(nominatim_call.request.url).query)["q"] == ["Herrenberg, Germany"]
    overpass_call = http.calls[-1]
    query = _overpass_query(overpass_call)
    assert query.startswith("[out:xml][timeout:180];")
    assert query.count('poly:"') == 3  # highway ways, POI nodes, POI ways
    ring = " ".join(f"{lat:.6f} {lon:.6f}" for lon, lat in HEXAGON_LONLAT)
    assert f'poly:"{ring}"' in query
    for key in ("highway", "amenity", "shop", "public_transport", "entrance", "wheelchair"):
        assert key in query
    assert "(._;>;);" in query and "out meta;" in query
    assert overpass_call.request.headers["User-Agent"] == ox.settings.http_user_agent


def test_download_by_bbox_uses_configured_endpoint_and_skips_geocoding(
    http: responses.RequestsMock,
    herrenberg_xml: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mirror = "https://overpass.example.test/api/"
    monkeypatch.setattr(ox.settings, "overpass_url", mirror)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    monkeypatch.setattr(ox.settings, "overpass_memory", 1_073_741_824)
    monkeypatch.setattr(ox.settings, "http_user_agent", "jol-test/1.0 (ops@example.test)")
    http.post(mirror + "interpreter", body=herrenberg_xml)

    out = download_osm(tmp_path / "bbox.osm", bbox=(8.845, 48.583, 8.903, 48.61))

    assert len(http.calls) == 1  # no Nominatim, no /status when rate limiting is off
    query = _overpass_query(http.calls[0])
    assert query.startswith("[out:xml][timeout:180][maxsize:1073741824];")
    assert query.count("(48.583,8.845,48.61,8.903)") == 3
    assert http.calls[0].request.headers["User-Agent"] == "jol-test/1.0 (ops@example.test)"
    assert scan_osm(out).ways == 1_781


def test_overpass_date_setting_is_kept(
    http: responses.RequestsMock,
    herrenberg_xml: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        ox.settings,
        "overpass_settings",
        '[out:json][timeout:{timeout}][date:"2021-06-14T00:00:00Z"]',
    )
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    http.post(OVERPASS_API + "/interpreter", body=herrenberg_xml)

    download_osm(tmp_path / "dated.osm", bbox=(8.845, 48.583, 8.903, 48.61))

    query = _overpass_query(http.calls[0])
    assert query.startswith('[out:xml][timeout:180][date:"2021-06-14T00:00:00Z"];')


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"place": "Almaty", "bbox": (76.8, 43.2, 77.0, 43.3)}],
)
def test_exactly_one_of_place_or_bbox(kwargs: dict, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        download_osm(tmp_path / "x.osm", **kwargs)


@pytest.mark.parametrize(
    "bbox",
    [(77.0, 43.2, 76.8, 43.3), (76.8, 43.3, 77.0, 43.2), (76.8, 43.2, 200.0, 43.3)],
)
def test_invalid_bbox_rejected_before_any_request(
    http: responses.RequestsMock, bbox: tuple, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="west, south, east, north"):
        download_osm(tmp_path / "x.osm", bbox=bbox)
    assert len(http.calls) == 0


def test_output_must_be_plain_osm(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\*\.osm"):
        download_osm(tmp_path / "x.osm.pbf", bbox=(8.845, 48.583, 8.903, 48.61))


@pytest.mark.parametrize("status", [400, 429, 500, 504])
def test_overpass_http_error_raises_with_url_and_status(
    http: responses.RequestsMock, status: int, tmp_path: Path
) -> None:
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(OVERPASS_API + "/interpreter", status=status, body="<html>busy</html>")
    out = tmp_path / "x.osm"

    with pytest.raises(DownloadError) as excinfo:
        download_osm(out, bbox=(8.845, 48.583, 8.903, 48.61))

    assert OVERPASS_API + "/interpreter" in str(excinfo.value)
    assert str(status) in str(excinfo.value)
    assert list(tmp_path.iterdir()) == []


def test_overpass_html_body_is_rejected(http: responses.RequestsMock, tmp_path: Path) -> None:
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(
        OVERPASS_API + "/interpreter",
        body="<!DOCTYPE html><html><body>Error: runtime error</body></html>",
        content_type="text/html",
    )

    with pytest.raises(DownloadError, match="not OSM XML"):
        download_osm(tmp_path / "x.osm", bbox=(8.845, 48.583, 8.903, 48.61))
    assert list(tmp_path.iterdir()) == []


def test_overpass_runtime_error_remark_is_rejected(
    http: responses.RequestsMock, herrenberg_xml: bytes, tmp_path: Path
) -> None:
    # Overpass streams partial data, then a remark, when a query times out.
    cut = herrenberg_xml.index(b"<way ")
    body = (
        herrenberg_xml[:cut]
        + b'  <remark> runtime error: Query timed out in "query" at line 3 after 180 seconds.'
        b" </remark>\n</osm>\n"
    )
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(OVERPASS_API + "/interpreter", body=body)

    with pytest.raises(DownloadError, match="timed out"):
        download_osm(tmp_path / "x.osm", bbox=(8.845, 48.583, 8.903, 48.61))
    assert list(tmp_path.iterdir()) == []


def test_overpass_answer_without_ways_is_rejected(
    http: responses.RequestsMock, herrenberg_xml: bytes, tmp_path: Path
) -> None:
    nodes_only = herrenberg_xml[: herrenberg_xml.index(b"<way ")] + b"</osm>\n"
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(OVERPASS_API + "/interpreter", body=nodes_only)

    with pytest.raises(DownloadError, match="no ways"):
        download_osm(tmp_path / "x.osm", bbox=(8.845, 48.583, 8.903, 48.61))


def test_overpass_truncated_xml_is_rejected(
    http: responses.RequestsMock, herrenberg_xml: bytes, tmp_path: Path
) -> None:
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(OVERPASS_API + "/interpreter", body=herrenberg_xml[: len(herrenberg_xml) // 2])

    with pytest.raises(DownloadError, match="broken OSM XML"):
        download_osm(tmp_path / "x.osm", bbox=(8.845, 48.583, 8.903, 48.61))


def test_place_geocoded_to_point_is_rejected(http: responses.RequestsMock, tmp_path: Path) -> None:
    http.get(
        NOMINATIM_API + "search",
        json=_nominatim_answer({"type": "Point", "coordinates": [8.8708, 48.5963]}),
    )

    with pytest.raises(DownloadError, match="Herrenberg"):
        download_osm(tmp_path / "x.osm", place="Herrenberg")


def test_nominatim_unreachable_is_download_error(
    http: responses.RequestsMock, tmp_path: Path
) -> None:
    http.get(NOMINATIM_API + "search", body=requests.ConnectionError("no route to host"))

    with pytest.raises(DownloadError, match="nominatim"):
        download_osm(tmp_path / "x.osm", place="Herrenberg")


def test_osmnx_default_cache_goes_to_jol_cache_not_cwd(
    http: responses.RequestsMock,
    herrenberg_xml: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "cache_folder", "./cache")
    http.get(NOMINATIM_API + "search", json=_nominatim_answer(HEXAGON_GEOJSON))
    http.get(OVERPASS_API + "/status", body=OVERPASS_STATUS)
    http.post(OVERPASS_API + "/interpreter", body=herrenberg_xml)

    download_osm(tmp_path / "x.osm", place="Herrenberg")

    assert not (cwd / "cache").exists()
    assert list((tmp_path / "jol-cache" / "osmnx-http").glob("*.json"))
    assert ox.settings.cache_folder == "./cache"


# --- download_gtfs ------------------------------------------------------------------

LAST_MODIFIED = "Mon, 24 Jul 2017 00:00:00 GMT"


def _serve_caltrain(http: responses.RequestsMock, etag: str = '"caltrain-v1"') -> None:
    http.get(
        GTFS_URL,
        body=CALTRAIN_ZIP.read_bytes(),
        content_type="application/zip",
        headers={"ETag": etag, "Last-Modified": LAST_MODIFIED},
    )


def test_gtfs_download_names_file_by_sha_and_writes_sidecar(
    http: responses.RequestsMock, tmp_path: Path
) -> None:
    _serve_caltrain(http)

    path = download_gtfs(GTFS_URL, tmp_path / "gtfs")

    assert path == tmp_path / "gtfs" / f"{CALTRAIN_SHA256[:16]}.gtfs.zip"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CALTRAIN_SHA256
    sidecar = json.loads(path.with_name(f"{CALTRAIN_SHA256[:16]}.gtfs.json").read_text())
    assert sidecar["url"] == GTFS_URL
    assert sidecar["sha256"] == CALTRAIN_SHA256
    assert sidecar["bytes"] == CALTRAIN_ZIP.stat().st_size == 74_359
    assert sidecar["etag"] == '"caltrain-v1"'
    assert sidecar["last_modified"] == LAST_MODIFIED
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [path.name, f"{CALTRAIN_SHA256[:16]}.gtfs.json"]
    )
    feed = gtfs_kit.read_feed(path, dist_units="km")
    assert len(feed.routes) == 4


def test_gtfs_second_call_is_conditional_and_304_returns_cache(
    http: responses.RequestsMock, tmp_path: Path
) -> None:
    _serve_caltrain(http)
    first = download_gtfs(GTFS_URL, tmp_path)
    mtime = first.stat().st_mtime_ns
    http.get(
        GTFS_URL,
        status=304,
        match=[
            matchers.header_matcher(
                {"If-None-Match": '"caltrain-v1"', "If-Modified-Since": LAST_MODIFIED}
            )
        ],
    )

    second = download_gtfs(GTFS_URL, tmp_path)

    assert second == first
    assert second.stat().st_mtime_ns == mtime
    assert "If-None-Match" not in http.calls[0].request.headers
    assert http.calls[1].request.headers["If-None-Match"] == '"caltrain-v1"'
    assert http.calls[1].request.headers["If-Modified-Since"] == LAST_MODIFIED


def test_gtfs_changed_feed_gets_new_file_and_next_request_uses_new_etag(
    http: responses.RequestsMock, tmp_path: Path
) -> None:
    _serve_caltrain(http)
    old = download_gtfs(GTFS_URL, tmp_path)
    http.replace(
        responses.GET,
        GTFS_URL,
        body=SAMPLE_ZIP.read_bytes(),
        headers={"ETag": '"sample-v2"'},
    )

    new = download_gtfs(GTFS_URL, tmp_path)

    assert new != old and old.is_file()
    assert new.read_bytes() == SAMPLE_ZIP.read_bytes()
    http.replace(responses.GET, GTFS_URL, status=304)
    assert download_gtfs(GTFS_URL, tmp_path) == new
    assert http.calls[-1].request.headers["If-None-Match"] == '"sample-v2"'
    assert "If-Modified-Since" not in http.calls[-1].request.headers


def test_gtfs_cache_file_gone_means_unconditional_refetch(
    http: responses.RequestsMock, tmp_path: Path
) -> None:
    _serve_caltrain(http)
    first = download_gtfs(GTFS_URL, tmp_path)
    first.unlink()

    again = download_gtfs(GTFS_URL, tmp_path)

    assert again == first and again.is_file()
    assert "If-None-Match" not in http.calls[1].request.headers


@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_gtfs_http_error_raises(http: responses.RequestsMock, status: int, tmp_path: Path) -> None:
    http.get(GTFS_URL, status=status, body="server says no")

    with pytest.raises(DownloadError) as excinfo:
        download_gtfs(GTFS_URL, tmp_path)

    assert GTFS_URL in str(excinfo.value) and str(status) in str(excinfo.value)
    assert list(tmp_path.iterdir()) == []


def test_gtfs_html_body_raises(http: responses.RequestsMock, tmp_path: Path) -> None:
    http.get(
        GTFS_URL,
        body="<!DOCTYPE html><html><head><title>Login</title></head><body></body></html>",
        content_type="text/html",
    )

    with pytest.raises(DownloadError, match="not a zip"):
        download_gtfs(GTFS_URL, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_gtfs_zip_missing_required_file_raises(
    http: responses.RequestsMock, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(CALTRAIN_ZIP) as src, zipfile.ZipFile(buffer, "w") as dst:
        for name in src.namelist():
            if name != "stop_times.txt":
                dst.writestr(name, src.read(name))
    http.get(GTFS_URL, body=buffer.getvalue(), content_type="application/zip")

    with pytest.raises(DownloadError, match=r"stop_times\.txt"):
        download_gtfs(GTFS_URL, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_gtfs_truncated_zip_raises(http: responses.RequestsMock, tmp_path: Path) -> None:
    http.get(GTFS_URL, body=CALTRAIN_ZIP.read_bytes()[:40_000])

    with pytest.raises(DownloadError, match="zip"):
        download_gtfs(GTFS_URL, tmp_path)


def test_gtfs_connection_error_raises(http: responses.RequestsMock, tmp_path: Path) -> None:
    http.get(GTFS_URL, body=requests.ConnectionError("connection refused"))

    with pytest.raises(DownloadError, match="connection refused"):
        download_gtfs(GTFS_URL, tmp_path)
