"""The page's Invataxi line (issue 15) in a real headless Chromium: with the server
option JOL_PAGE_TAXI a planned route shows the door-to-door time by Invataxi for the
same trip, in the page's language, with no WCAG 2.1 AA violation; without the
option the page asks nothing and shows nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from test_page_browser import _assert_no_violations, _axe, _i18n, _open, _page_errors, _wait
from web_fixtures import _UNREACHABLE_TILES, ALMATY_FROM, ALMATY_TO, _free_port
from werkzeug.serving import make_server

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def taxi_server(router: Any) -> Iterator[str]:
    """A real server whose operator turned the page's Invataxi line on (no keys at all)."""
    from web.app import create_app

    config = {"JOL_TILE_URL": _UNREACHABLE_TILES, "JOL_PAGE_TAXI": "on", "JOL_API_KEYS": ""}
    server = make_server("127.0.0.1", _free_port(), create_app(router, config=config), True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _trip_url(base: str, lang: str) -> str:
    (a, b), (c, d) = ALMATY_FROM, ALMATY_TO
    return f"{base}/?lang={lang}&from={a},{b}&to={c},{d}&profile=wheelchair_manual"


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_route_shows_the_invataxi_alternative(
    browser: Any, taxi_server: str, axe_source: str, lang: str
) -> None:
    _open(browser, _trip_url(taxi_server, lang), fresh=True)
    section = _wait(browser, lambda b: b.execute_script(
        "var s = document.getElementById('taxi-estimate');"
        "return s && !s.hasAttribute('aria-busy') && s.querySelector('dd') ? s.innerText : null"
    ))  # fmt: skip
    texts = _i18n()[lang]
    assert texts["taxi_heading"] in section and texts["taxi_door_to_door"] in section
    assert texts["taxi_note"] in section
    _assert_no_violations(_axe(browser, axe_source), f"the Invataxi line ({lang})")
    assert _page_errors(browser) == []


def test_without_the_option_the_page_shows_no_taxi(browser: Any, live_server: str) -> None:
    _open(browser, _trip_url(live_server, "en"), fresh=True)
    _wait(browser, lambda b: b.execute_script("return !!document.querySelector('.summary')"))
    assert browser.execute_script("return document.getElementById('taxi-estimate')") is None
