"""The page's Invataxi line (issue 15) in a real headless Chromium: with the server
option JOL_PAGE_TAXI a planned route shows the door-to-door time by Invataxi for the
same trip, in the page's language, with no WCAG 2.1 AA violation; without the
option the page asks nothing and shows nothing. The dispatcher view plans a shift
by keyboard with a typed key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_page_browser import (
    _assert_no_violations,
    _axe,
    _i18n,
    _open,
    _page_errors,
    _press,
    _tab_to,
    _wait,
)
from web_fixtures import ALMATY_FROM, ALMATY_TO, serving

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser
DISPATCHER = "dispatcher-page-key-0123456789"


@pytest.fixture(scope="module")
def taxi_server(router: Any) -> Iterator[str]:
    """A real server whose operator turned the page's Invataxi line on (no keys at all)."""
    config = {"JOL_PAGE_TAXI": "on", "JOL_API_KEYS": f"dispatcher:{DISPATCHER}"}
    with serving(router, config) as base:
        yield base


def _trip_url(base: str, lang: str) -> str:
    (a, b), (c, d) = ALMATY_FROM, ALMATY_TO
    return f"{base}/?lang={lang}&from={a},{b}&to={c},{d}&profile=wheelchair_manual"


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_route_shows_the_invataxi_alternative(
    browser: Any, taxi_server: str, axe_source: str, lang: str
) -> None:
    browser.get_log("browser")  # drop what earlier tests left in the shared browser's log
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


def test_dispatcher_view_plans_a_shift_by_keyboard(
    browser: Any, taxi_server: str, axe_source: str
) -> None:
    texts = _i18n()["en"]
    browser.get_log("browser")  # drop what earlier tests left in the shared browser's log
    _open(browser, taxi_server + "/dispatch?lang=en")
    _tab_to(browser, "dispatch-key")
    _press(browser, DISPATCHER)
    _tab_to(browser, "dispatch-submit")
    _press(browser, "\ue007")  # Enter
    done = texts["dispatch_done"].split("{")[0]
    status = _wait(browser, lambda b: b.execute_script(
        "var s = document.getElementById('dispatch-status').textContent;"
        f"return s.indexOf({done!r}) === 0 ? s : null"
    ))  # fmt: skip
    results = browser.find_element("id", "dispatch-results-body").text
    # Booking A needs a lift and only K-1 has one: it is listed under K-1, before K-2.
    k1, k2 = results.find("Vehicle K-1"), results.find("Vehicle K-2")
    assert "pick up booking A" in results and status
    if k2 >= 0:
        assert k1 < results.find("pick up booking A") < k2 or k2 < k1 < results.find(
            "pick up booking A"
        )
    assert browser.execute_script("return window.localStorage.length") == 0
    _assert_no_violations(_axe(browser, axe_source), "the dispatcher view with a plan")
    assert _page_errors(browser) == []


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_dispatcher_view_has_no_wcag_violations(
    browser: Any, taxi_server: str, axe_source: str, lang: str
) -> None:
    _open(browser, f"{taxi_server}/dispatch?lang={lang}")
    assert _i18n()[lang]["dispatch_title"] in browser.title
    _assert_no_violations(_axe(browser, axe_source), f"the dispatcher view ({lang})")
