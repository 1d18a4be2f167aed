"""Fixtures for the web tests: the real compiled Almaty graph, the app, a live
server and a headless Chromium.

Test modules load it with `pytest_plugins = ["web_fixtures"]` (tests/ is on
sys.path under pytest's default prepend import mode). PYTEST_DONT_REWRITE:
it holds no assertions, and test modules import its constants first.
Nothing here is faked: the router is routing.service.Router on the graph that
`jol build` compiles from the shared OSM extract, and the server is a real
werkzeug server on a free localhost port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from jol import settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE_JS = settings.REPO_ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"

# Two ends of a ~1.4 km wheelchair trip in central Almaty, (lat, lon) degrees,
# through a gate and a bollard mapped in the 2012 extract. Inputs only: every
# expectation is computed from the real router's answer.
ALMATY_FROM = (43.2548, 76.9449)
ALMATY_TO = (43.2449, 76.9499)
# A trip across the foothill slope that no route can make within 3 % grades,
# so the router must answer `no_accessible_route` and name what blocks it.
STEEP_FROM = (43.23996, 76.91219)
STEEP_TO = (43.23887, 76.94996)
STEEP_OVERRIDES = {"max_incline_up_pct": 3, "max_incline_down_pct": 3}


def compiled_graph_dir() -> Path:
    """The graph the web tests use: $JOL_GRAPH_DIR, else `jol build`'s default."""
    env = os.environ.get("JOL_GRAPH_DIR")
    return Path(env) if env else settings.default_graph_dir()


def _ensure_built(graph_dir: Path) -> Path:
    if (graph_dir / "manifest.json").is_file():
        return graph_dir
    if graph_dir != settings.default_graph_dir():
        pytest.fail(f"JOL_GRAPH_DIR={graph_dir} holds no compiled graph; run `jol build`")
    # Same command a person runs; it skips work when the artifact is current.
    subprocess.run([sys.executable, "-m", "cli", "build"], check=True, cwd=settings.REPO_ROOT)
    return graph_dir


@pytest.fixture(scope="session")
def router(request: pytest.FixtureRequest) -> Any:
    """The real Router on the compiled Almaty graph (or on $JOL_GRAPH_DIR).

    Shares tests/conftest.py's `almaty` Router when it exists, so the graph is
    loaded once per session and rebuilt there when its inputs change.
    """
    from services import load_services

    if not os.environ.get("JOL_GRAPH_DIR"):
        try:
            return request.getfixturevalue("almaty")
        except pytest.FixtureLookupError:
            pass
    return load_services(_ensure_built(compiled_graph_dir())).router


@pytest.fixture(scope="session")
def web_app(router: Any) -> Any:
    """The Flask app around the real router."""
    from web.app import create_app

    app = create_app(router=router)
    app.config["TESTING"] = False  # exercise the real error handlers, not test propagation
    return app


@pytest.fixture()
def client(web_app: Any) -> Any:
    """Flask test client of the real app."""
    return web_app.test_client()


# Port 9 (discard) is closed on test machines: tile requests fail at once.
_UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(router: Any) -> Iterator[str]:
    """Base URL of a real threaded HTTP server running the app on localhost.

    Its tile URL points at a closed local port so browser tests never reach
    the internet and always exercise the offline base map (Jol's own streets).
    """
    with serving(router, {}) as base:
        yield base


@contextlib.contextmanager
def serving(router: Any, config: dict[str, Any]) -> Iterator[str]:
    """The app around `router` with `config` on a real threaded server; yields its base URL.
    Map tiles point at a closed port unless `config` says otherwise."""
    from web.app import create_app

    app = create_app(router=router, config={"JOL_TILE_URL": _UNREACHABLE_TILES, **config})
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def chromium_binary() -> str | None:
    """Path of Debian's chromium, or None if it is not installed."""
    for path in CHROMIUM_CANDIDATES:
        if Path(path).is_file():
            return path
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser bundle (npm install --prefix .cache/node axe-core)."""
    if not AXE_JS.is_file():
        pytest.skip(f"axe-core missing at {AXE_JS}: npm install --prefix .cache/node axe-core")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by /usr/bin/chromedriver via selenium."""
    with chromium() as driver:
        yield driver


@contextlib.contextmanager
def chromium(capabilities: dict[str, Any] | None = None) -> Iterator[Any]:
    """A headless Chromium with its own profile, offline-safe flags and `capabilities`
    (e.g. goog:loggingPrefs); skips the test where Chromium or its driver is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    binary = chromium_binary()
    if binary is None or not CHROMEDRIVER.is_file():
        pytest.skip("no chromium/chromium-driver: apt-get install chromium chromium-driver")
    profile_dir = tempfile.mkdtemp(prefix="jol-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1440,1200",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(flag)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    # An explicit driver path keeps selenium-manager from trying to download one.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)
