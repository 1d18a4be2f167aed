"""Fetch fresh inputs when online: raw OSM XML from Overpass, GTFS zips over HTTP.

Why not an osmnx download function for OSM: osmnx 2.1.1 sends every Overpass
query through `osmnx._overpass._overpass_request`, which parses the answer as
JSON and returns a dict (`graph_from_place` etc. then build a graph from it);
no public function returns the raw OSM XML that `prepare_osm_xml` and
`osmnx.graph_from_xml` consume. So we write the `[out:xml]` query ourselves and
send it with `requests`, but take every HTTP knob from `osmnx.settings`
(`overpass_url`, `overpass_settings`, `overpass_memory`, `overpass_rate_limit`,
`requests_timeout`, `requests_kwargs`, `http_user_agent`, `http_referer`,
`http_accept_language`), and geocode place names with `osmnx.geocode_to_gdf`.

The GTFS download uses the same `requests_timeout` / `requests_kwargs`, so one
configuration covers every outgoing request.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import osmnx as ox
import requests
from osmnx import _errors as ox_errors
from osmnx import _overpass as ox_overpass
from shapely.geometry import MultiPolygon, Polygon

from graph_build.osm_io import OsmInputError, scan_osm
from jol.settings import cache_dir

# Keys whose elements are fetched besides highway ways: destinations and the
# doors/stops people route to, plus anything carrying a wheelchair rating.
OVERPASS_POI_KEYS: tuple[str, ...] = (
    "amenity",
    "shop",
    "public_transport",
    "entrance",
    "wheelchair",
)

GTFS_REQUIRED_FILES: tuple[str, ...] = (
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
)

_CHUNK_BYTES = 1 << 20
# Overpass reports runtime errors (timeout, out of memory) as a <remark> inside
# an otherwise well-formed HTTP 200 answer, possibly after partial data.
_REMARK_RE = re.compile(rb"<remark>(.*?)</remark>", re.DOTALL)
_REMARK_WINDOW_BYTES = 4096
# osmnx's own default; while it is unchanged we move the cache out of the cwd.
_OSMNX_DEFAULT_CACHE = "./cache"


class DownloadError(RuntimeError):
    """A download failed or returned something that is not the expected data."""


class ServerUnreachable(DownloadError):
    """The server could not be reached at all (no network, DNS, refused, timed out).

    Its text is one line a person can act on, so the CLI prints it as it is
    instead of a chained traceback; `service` and `host` say who was not reached.
    """

    def __init__(self, service: str, url: str, exc: requests.RequestException) -> None:
        self.service = service
        self.host = urlsplit(url).hostname or url
        self.reason = _short_reason(exc)
        super().__init__(
            f"cannot reach {service} ({self.host}): {self.reason}; is this machine online?"
        )


def _short_reason(exc: requests.RequestException) -> str:
    """The operating system's words for a failed connection, without urllib3's wrapping."""
    text = str(exc)
    errno_text = re.findall(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno_text:
        return errno_text[-1].strip()
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return "timed out"
    return text if len(text) <= 120 else text[:117] + "..."


def _unreachable(exc: requests.RequestException) -> bool:
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def download_osm(
    out_path: Path,
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> Path:
    """Download raw OSM XML for a place name or bbox from Overpass into `out_path`.

    `bbox` is (west, south, east, north) in degrees WGS84. `place` is geocoded
    with Nominatim (via `osmnx.geocode_to_gdf`) to its boundary polygon. The
    file holds every highway way with its nodes plus nodes and ways tagged
    amenity/shop/public_transport/entrance/wheelchair (relations are not
    fetched). `out_path` must end in ".osm"; it is replaced atomically only
    after the answer was checked to be OSM XML with at least one way.
    Raises ValueError for bad arguments and DownloadError for failed requests.
    """
    if (place is None) == (bbox is None):
        raise ValueError("download_osm needs exactly one of place= or bbox=")
    out_path = Path(out_path)
    if not out_path.name.endswith(".osm"):
        raise ValueError(f"download_osm writes uncompressed OSM XML; name it *.osm: {out_path}")
    if bbox is not None:
        area_filters = [_bbox_filter(bbox)]
    else:
        assert place is not None  # exactly one of the two, checked above
        area_filters = [_poly_filter(poly) for poly in _place_polygons(place)]

    query = _overpass_query(area_filters)
    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}-{uuid.uuid4().hex}.osm")
    try:
        _post_overpass(url, query, tmp)
        _validate_osm(tmp, url)
        tmp.replace(out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


def download_gtfs(url: str, out_dir: Path) -> Path:
    """Download a GTFS zip into `out_dir` as `<sha256[:16]>.gtfs.zip` and return its path.

    A sidecar `<sha256[:16]>.gtfs.json` records url, sha256, bytes, ETag,
    Last-Modified and fetch time (UTC). When an earlier download of the same
    URL is present, the request is conditional (If-None-Match /
    If-Modified-Since) and a 304 answer returns the cached zip unchanged.
    Raises DownloadError on HTTP errors or if the body is not a GTFS zip.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _latest_gtfs_record(out_dir, url)
    headers = {"User-Agent": ox.settings.http_user_agent}
    if previous is not None:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]

    tmp = out_dir / f".{uuid.uuid4().hex}.gtfs.zip.part"
    try:
        with _get(url, headers) as response:
            if response.status_code == 304 and previous is not None:
                return out_dir / previous["file"]
            if response.status_code != 200:
                raise DownloadError(f"GTFS download {url} failed: HTTP {response.status_code}")
            sha, size = _stream_to_file(response, tmp)
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
        _validate_gtfs_zip(tmp, url)
        final = out_dir / f"{sha[:16]}.gtfs.zip"
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)

    record = {
        "url": url,
        "file": final.name,
        "sha256": sha,
        "bytes": size,
        "etag": etag,
        "last_modified": last_modified,
        # Microseconds: two fetches within one second must still order correctly.
        "fetched_at": datetime.now(tz=UTC).isoformat(timespec="microseconds"),
    }
    _write_json_atomic(final.with_name(f"{sha[:16]}.gtfs.json"), record)
    return final


# --- OSM / Overpass -----------------------------------------------------------


@contextmanager
def _osmnx_cache_outside_cwd() -> Iterator[None]:
    """Keep osmnx's HTTP cache under Jol's cache dir instead of `./cache` in the cwd.

    Only the untouched osmnx default is redirected; a folder the caller set
    deliberately (or `use_cache=False`) is respected.
    """
    if str(ox.settings.cache_folder) != _OSMNX_DEFAULT_CACHE:
        yield
        return
    ox.settings.cache_folder = cache_dir() / "osmnx-http"
    try:
        yield
    finally:
        ox.settings.cache_folder = _OSMNX_DEFAULT_CACHE


def _place_polygons(place: str) -> list[Polygon]:
    nominatim = ox.settings.nominatim_url.rstrip("/") + "/search"
    try:
        with _osmnx_cache_outside_cwd():
            gdf = ox.geocode_to_gdf(place)
    except (TypeError, ox_errors.InsufficientResponseError) as exc:
        raise DownloadError(f"Nominatim {nominatim} gave no area for {place!r}: {exc}") from exc
    except requests.RequestException as exc:
        if _unreachable(exc):
            raise ServerUnreachable("Nominatim", nominatim, exc) from exc
        raise DownloadError(f"Nominatim {nominatim} request for {place!r} failed: {exc}") from exc
    except ox_errors.ResponseStatusCodeError as exc:
        raise DownloadError(f"Nominatim {nominatim} request for {place!r} failed: {exc}") from exc
    geometry = gdf.geometry.iloc[0]
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    raise DownloadError(f"Nominatim {nominatim} geocoded {place!r} to a {geometry.geom_type}")


def _bbox_filter(bbox: tuple[float, float, float, float]) -> str:
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError(f"bbox must be (west, south, east, north) degrees, got {bbox}")
    # Overpass orders a bbox as (south, west, north, east).
    return f"{south},{west},{north},{east}"


def _poly_filter(polygon: Polygon) -> str:
    # Holes are ignored, like osmnx does: Overpass poly filters take one ring.
    # 6 decimals is ~0.1 m, far finer than any boundary is mapped.
    coords = " ".join(f"{lat:.6f} {lon:.6f}" for lon, lat in polygon.exterior.coords)
    return f'poly:"{coords}"'


def _overpass_settings_line() -> str:
    """osmnx's `overpass_settings` (keeps e.g. a [date:...] pin) with [out:json] made XML."""
    maxsize = (
        "" if ox.settings.overpass_memory is None else f"[maxsize:{ox.settings.overpass_memory}]"
    )
    line = ox.settings.overpass_settings.format(
        timeout=math.ceil(ox.settings.requests_timeout), maxsize=maxsize
    )
    line = re.sub(r"\[out:\w+\]", "[out:xml]", line)
    return line if "[out:xml]" in line else "[out:xml]" + line


def _overpass_query(area_filters: list[str]) -> str:
    poi_key = "^(" + "|".join(OVERPASS_POI_KEYS) + ")$"
    selectors = []
    for area in area_filters:
        selectors.append(f'way["highway"]({area});')
        selectors.append(f'node[~"{poi_key}"~"."]({area});')
        selectors.append(f'way[~"{poi_key}"~"."]({area});')
    body = "\n  ".join(selectors)
    # `(._;>;);` adds the nodes of every selected way; `out meta` keeps
    # versions and timestamps so scan_osm can report the data's age.
    return f"{_overpass_settings_line()};\n(\n  {body}\n);\n(._;>;);\nout meta;\n"


def _osmnx_headers() -> dict[str, str]:
    headers = dict(requests.utils.default_headers())
    headers.update(
        {
            "User-Agent": ox.settings.http_user_agent,
            "referer": ox.settings.http_referer,
            "Accept-Language": ox.settings.http_accept_language,
        }
    )
    return headers


def _post_overpass(url: str, query: str, dest: Path) -> None:
    if ox.settings.overpass_rate_limit:
        # osmnx answers an unreachable /status with a 60 s pause; offline, say so at once.
        _check_reachable("Overpass", ox.settings.overpass_url.rstrip("/") + "/status")
        # Reuse osmnx's reading of the server's /status slot table (private, but
        # osmnx is pinned to 2.1.1 in setup.cfg) rather than re-implement it.
        time.sleep(ox_overpass._get_overpass_pause(ox.settings.overpass_url))
    try:
        response = requests.post(
            url,
            data={"data": query},
            headers=_osmnx_headers(),
            timeout=ox.settings.requests_timeout,
            stream=True,
            **ox.settings.requests_kwargs,
        )
    except requests.RequestException as exc:
        if _unreachable(exc):
            raise ServerUnreachable("Overpass", url, exc) from exc
        raise DownloadError(f"Overpass request to {url} failed: {exc}") from exc
    with response:
        if response.status_code != 200:
            snippet = response.text[:300].strip()
            raise DownloadError(f"Overpass {url} answered HTTP {response.status_code}: {snippet}")
        remark = _stream_osm(response, dest)
    if remark is not None and b"error" in remark.lower():
        text = remark.decode("utf-8", "replace").strip()
        raise DownloadError(f"Overpass {url} answered HTTP 200 with an error: {text}")


def _check_reachable(service: str, url: str) -> None:
    try:
        requests.get(
            url,
            headers=_osmnx_headers(),
            timeout=ox.settings.requests_timeout,
            **ox.settings.requests_kwargs,
        ).close()
    except requests.RequestException as exc:
        if _unreachable(exc):
            raise ServerUnreachable(service, url, exc) from exc


def _stream_osm(response: requests.Response, dest: Path) -> bytes | None:
    """Write the body to `dest`; return the text of the first <remark>, if any."""
    remark = None
    tail = b""
    with dest.open("wb") as fh:
        for chunk in response.iter_content(_CHUNK_BYTES):
            fh.write(chunk)
            if remark is None:
                # Search across chunk borders so a split <remark> is still seen.
                window = tail + chunk
                match = _REMARK_RE.search(window)
                if match:
                    remark = match.group(1)
                tail = window[-_REMARK_WINDOW_BYTES:]
    return remark


def _validate_osm(path: Path, url: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"<osm" not in head:
        raise DownloadError(f"Overpass {url} answered HTTP 200 but not OSM XML: {head[:120]!r}")
    try:
        summary = scan_osm(path)
    except OsmInputError as exc:
        raise DownloadError(f"Overpass {url} answered HTTP 200 with broken OSM XML: {exc}") from exc
    if summary.ways == 0:
        raise DownloadError(f"Overpass {url} answered HTTP 200 with no ways (empty area?)")


# --- GTFS -------------------------------------------------------------------------


@contextmanager
def _get(url: str, headers: dict[str, str]) -> Iterator[requests.Response]:
    try:
        response = requests.get(
            url,
            headers=headers,
            timeout=ox.settings.requests_timeout,
            stream=True,
            **ox.settings.requests_kwargs,
        )
    except requests.RequestException as exc:
        if _unreachable(exc):
            raise ServerUnreachable("the GTFS server", url, exc) from exc
        raise DownloadError(f"GTFS download {url} failed: {exc}") from exc
    with response:
        yield response


def _stream_to_file(response: requests.Response, dest: Path) -> tuple[str, int]:
    """Write the body to `dest`; return (sha256 hex, size in bytes)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with dest.open("wb") as fh:
            for chunk in response.iter_content(_CHUNK_BYTES):
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except requests.RequestException as exc:
        raise DownloadError(f"GTFS download {response.url} broke off: {exc}") from exc
    return digest.hexdigest(), size


def _validate_gtfs_zip(path: Path, url: str) -> None:
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            head = fh.read(80)
        raise DownloadError(f"GTFS download {url} is not a zip file: {head!r}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DownloadError(f"GTFS download {url} is a corrupt zip: {exc}") from exc
    if broken is not None:
        raise DownloadError(f"GTFS download {url} has a corrupt member {broken!r}")
    missing = [name for name in GTFS_REQUIRED_FILES if name not in names]
    if missing:
        raise DownloadError(f"GTFS download {url} lacks {', '.join(missing)}")


def _latest_gtfs_record(out_dir: Path, url: str) -> dict | None:
    """Newest sidecar for `url` whose zip is still present with the recorded size."""
    best = None
    for sidecar in out_dir.glob("*.gtfs.json"):
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if record.get("url") != url:
            continue
        zip_path = out_dir / str(record.get("file", ""))
        if not zip_path.is_file() or zip_path.stat().st_size != record.get("bytes"):
            continue
        if best is None or record.get("fetched_at", "") > best.get("fetched_at", ""):
            best = record
    return best


def _write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
