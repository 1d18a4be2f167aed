"""Every tunable of Jol in one place.

Paths resolve against the repository root, not the current directory, so
`jol` behaves the same wherever it is started. Each value can be overridden
by the environment variable named beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default.resolve()


def data_dir() -> Path:
    """Folder holding the shared input data (`JOL_DATA_DIR`, default `../shared/data`)."""
    return _env_path("JOL_DATA_DIR", REPO_ROOT.parent / "shared" / "data")


def cache_dir() -> Path:
    """Folder for compiled artifacts and downloads (`JOL_CACHE_DIR`, default `build/`)."""
    return _env_path("JOL_CACHE_DIR", REPO_ROOT / "build")


# The city `jol build` compiles with no flags: the key of its data/<key>.toml
# (jol/cities.py). What a city is (names, time zone, inputs) is data, not settings.
DEFAULT_CITY = "almaty"
DEFAULT_GRAPH_NAME = "almaty"
DEPART_YEARS = (1950, 2100)  # where the solar formulas hold; other years are refused


def default_graph_dir() -> Path:
    """Where `jol build` with no flags writes, and `jol serve` with no --graph reads."""
    return cache_dir() / DEFAULT_GRAPH_NAME


# Compiled artifact format; bump when arrays change so old builds are rebuilt.
# 5: places hold street addresses; 6: long edges cut, node access arrays;
# 7: no vertex repeated at a cut point; 8: drive graph;
# 9: the manifest holds the city's time zone and names;
# 10: crossings carry island and lanes to cross, roads their lanes.
ARTIFACT_FORMAT_VERSION = 10

# Routing
COST_SCALE = 10  # integer CCH weights are tenths of a second
SNAP_MAX_DISTANCE_M = 500.0  # farther than this from any usable edge: "outside the area"
SNAP_CANDIDATES = 16  # nearest edge samples examined when snapping a point

# Elevation: grades are smoothed over this horizontal distance (metres) because
# one SRTM pixel is ~90 m and most edges are shorter.
GRADE_SMOOTHING_M = 90.0
DEM_SAMPLE_SPACING_M = 15.0
# With a DEM, edges longer than this are cut into equal pieces (metres; 0 = never),
# so one steep stretch blocks only its ~100 m, not a kilometres-long edge.
EDGE_MAX_PIECE_M = 120.0

# HTTP limits
MAX_REQUEST_BYTES = 64 * 1024
MAX_OVERRIDES = 32
# Deepest JSON nesting accepted in a body or the `overrides` parameter: a route
# request needs 2; Python's parser would recurse (and crash) near 1,000.
MAX_JSON_DEPTH = 16

# HTTP server (`jol serve`; web/server_conf.py hands these to gunicorn, docs/deploy.md
# says what a reverse proxy in front adds). gevent workers keep a slow or idle
# client down to one greenlet, so it cannot hold a whole worker the way a sync
# worker is held; the timeouts below then close it.
SERVER_WORKER_CLASS = "web.server_worker.JolGeventWorker"
SERVER_WORKER_CONNECTIONS = 1000  # open connections per worker process
# Request line and headers must arrive within this many seconds (also the idle
# keep-alive time between requests); then the connection is closed.
SERVER_HEADER_TIMEOUT_S = 5
# The whole request body must arrive within this many seconds, or 408.
SERVER_BODY_TIMEOUT_S = 10.0
SERVER_WORKER_TIMEOUT_S = 30  # a worker silent this long (stuck in CPU) is restarted
# On SIGTERM, requests in flight get this long to finish; routes take milliseconds, and
# gunicorn's 30 s default kept a stopping server alive for idle keep-alive clients.
SERVER_GRACEFUL_TIMEOUT_S = 5
SERVER_MAX_REQUEST_LINE_BYTES = 4094  # longer: 414
SERVER_MAX_HEADER_BYTES = 8190  # one header line longer than this: 431
SERVER_MAX_HEADER_FIELDS = 100  # more header lines: 431


def access_log_full() -> bool:
    """Whether the access log records query strings and client addresses (`JOL_ACCESS_LOG_FULL=1`).

    Off by default: a GET route link's query holds a person's origin, destination
    and profile (their disability), so by default only method, path, status, size
    and time are logged.
    """
    return os.environ.get("JOL_ACCESS_LOG_FULL", "").strip().lower() in ("1", "true", "yes")


# Web service (web/). Each can be overridden in create_app(config=...) too.
# Tile URL template for the page's map; `JOL_TILE_URL`. Offline, tiles fail to
# load and the page falls back to Jol's own street lines from /api/v1/streets.
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
# Comma-separated origins allowed by CORS (`JOL_CORS_ORIGINS`); empty means CORS off.
DEFAULT_CORS_ORIGINS = ""
# /api/v1/streets: hard cap on lines per answer (keeps a city-wide bbox cheap to
# draw) and the largest bbox side accepted, in degrees (~0.3° ≈ 25-33 km here).
STREETS_DEFAULT_LIMIT = 2000
# 10,000 lines were 2 MiB and 200-400 ms of CPU per answer; 3,000 cost ~60 ms.
STREETS_MAX_LIMIT = 3000
STREETS_MAX_BBOX_DEG = 0.5
# A bbox is widened outward to this grid (degrees, ~1 km here) so nearby map views
# share one cached answer; answers are cached up to this many bytes per worker.
STREETS_GRID_DEG = 0.01
STREETS_CACHE_BYTES = 64 * 1024 * 1024
# Per-client token buckets (requests at once, refill per second) for the expensive
# endpoints, in each worker process; beyond them the answer is 429 with Retry-After.
# Only requests that pass validation spend a token. None turns a limit off.
RATE_LIMITS: dict[str, tuple[int, float] | None] = {
    "streets": (30, 3.0),  # the page asks once per map move, and only when tiles fail
    "route": (60, 10.0),  # a route with overrides re-weights the graph: ~10-15 ms
    "taxi_matrix": (10, 1.0),  # a 500 x 500 Invataxi matrix: ~0.2-0.3 s of CPU
    "taxi_plan": (5, 0.2),  # a 60-booking shift plan: ~1 s of CPU (VROOM)
    "taxi_trip": (30, 2.0),  # the page's Invataxi line beside a route: two kerb rolls, one ride
}
# Reverse proxies in front of Jol whose X-Forwarded-For names the client
# (`JOL_TRUSTED_PROXIES`): 1 behind one nginx. 0 trusts none, so a client cannot
# pick its own rate-limit bucket by sending the header itself.
DEFAULT_TRUSTED_PROXIES = 0
# /api/v1/places: largest `limit` the API passes through to the place index.
PLACES_MAX_LIMIT = 50
# Page language: the default and every language the interface is translated into.
DEFAULT_LANGUAGE = "ru"
LANGUAGES = ("ru", "kk", "en")
# The page's first map view holds this central share of street pieces, not the
# whole extract (whose edges are mostly empty steppe and mountains).
MAP_INITIAL_VIEW_SHARE = 0.8

# Named places (graph_build/places.py writes, places/index.py reads).
PLACES_FILENAME = "places.parquet"
# Longest search text accepted, in characters; longer is a client error, not a search.
PLACES_MAX_QUERY_CHARS = 100

# Invataxi (issue 15). The drive graph beside the street graph (graph_build/drive.py).
DRIVE_FILENAME = "drive.npz"
# Seconds a U-turn costs on top of the road (assumption: a long accessible van turns slowly).
TAXI_U_TURN_PENALTY_S = 30.0
# Kerbside candidates: the nearest this many stopping places within this distance of a door.
TAXI_KERB_CANDIDATES = 8
TAXI_KERB_MAX_DISTANCE_M = 400.0
# Largest matrix (sources x destinations) one request may ask for; beyond it 413.
TAXI_MATRIX_MAX_CELLS = 500 * 500
# `distances` unpack each fastest path, so they are offered for fewer cells.
TAXI_DISTANCE_MAX_CELLS = 100 * 100
TAXI_MAX_VEHICLES = 200
TAXI_MAX_BOOKINGS = 200
# Boarding and alighting a wheelchair user, seconds. Assumption (no Almaty measurements):
# a ramp is deployed and the chair secured with four straps in about 3 minutes, a lift
# cycle takes about a minute longer; override per request with `boarding_s`.
TAXI_BOARDING_S = {"ramp": {"board": 180, "alight": 120}, "lift": {"board": 240, "alight": 180}}
