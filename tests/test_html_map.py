"""The standalone HTML route map (`?format=html`, `jol route --html`): offline and translated.

The answers come from the real router on the compiled Almaty graph; the map is
opened in the real headless Chromium from a file, with the browser's network
log recorded, to show that it draws the route and asks the network for nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import folium
import pytest
from web_fixtures import (
    ALMATY_FROM,
    ALMATY_TO,
    STEEP_FROM,
    STEEP_OVERRIDES,
    STEEP_TO,
    chromium,
)

from cli.main import main
from routing.errors import RoutingError
from web.html_map import MapText

pytest_plugins = ["web_fixtures"]

PROFILE = "wheelchair_manual"
FROM = f"{ALMATY_FROM[0]},{ALMATY_FROM[1]}"
TO = f"{ALMATY_TO[0]},{ALMATY_TO[1]}"
# Every URL folium would put in a page by default (Leaflet, jQuery, Bootstrap, ...).
FOLIUM_CDN = [url for _, url in folium.Map.default_js + folium.Map.default_css]


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of the whole document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    return tags


def _assert_self_contained(page: str) -> None:
    tags = _parse(page)
    for tag, attrs in tags.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        if tag == "script":
            assert "src" not in attrs, attrs  # every script is inline
        if tag == "link":
            assert attrs.get("rel") != "stylesheet", attrs
    for url in FOLIUM_CDN:
        assert url not in page
    assert "L.polyline" in page and "L.map(" in page  # folium drew the map


def _barriers(answer: dict) -> list[dict]:
    return [b for s in answer["routes"][0]["segments"] for b in s["barriers"]]


@pytest.fixture(scope="module")
def answer(router: Any) -> dict:
    return router.route(ALMATY_FROM, ALMATY_TO, PROFILE)


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_api_html_map_is_self_contained_and_in_the_language(
    client: Any, answer: dict, lang: str
) -> None:
    query = urlencode({"from": FROM, "to": TO, "profile": PROFILE, "format": "html", "lang": lang})
    response = client.get(f"/api/v1/route?{query}")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == 'attachment; filename="jol-route.html"'
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    _assert_self_contained(page)
    t = MapText(lang)
    assert f'<html lang="{lang}">' in page
    text = "".join(_parse(page).text)
    for key in ("html_title", "summary_distance", "warnings_heading", "barriers_heading"):
        assert t(key) in text
    for warning in answer["routes"][0]["warnings"]:
        assert t.warning(warning) in text
    barriers = _barriers(answer)
    assert barriers, "the README's wheelchair route passes a gate and a bollard"
    for barrier in barriers:
        assert t.barrier(barrier) in text
        assert f"{barrier['lat']:.5f}, {barrier['lon']:.5f}" in text
    # Each barrier and both ends are circles on the map, each with a popup.
    assert page.count("L.circleMarker(") == len(barriers) + 2
    assert page.count(".bindPopup(popup_") == len(barriers) + 2


def test_api_html_map_by_post_matches_get(client: Any) -> None:
    body = {
        "from": {"lat": ALMATY_FROM[0], "lon": ALMATY_FROM[1]},
        "to": {"lat": ALMATY_TO[0], "lon": ALMATY_TO[1]},
        "profile": PROFILE,
    }
    response = client.post("/api/v1/route?format=html&lang=en", json=body)
    assert response.status_code == 200 and response.mimetype == "text/html"
    _assert_self_contained(response.get_data(as_text=True))


def test_api_html_map_with_an_unknown_language_is_400(client: Any) -> None:
    query = urlencode({"from": FROM, "to": TO, "profile": PROFILE, "format": "html", "lang": "de"})
    response = client.get(f"/api/v1/route?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and error["details"]["field"] == "lang"


def test_cli_html_map_of_a_route(tmp_path: Path, answer: dict) -> None:
    out = tmp_path / "maps" / "route.html"
    argv = ["route", "--from", FROM, "--to", TO, "--profile", PROFILE, "--html", str(out)]
    status = main([*argv, "--lang", "kk"])
    assert status == 0
    page = out.read_text(encoding="utf-8")
    _assert_self_contained(page)
    assert '<html lang="kk">' in page
    text = "".join(_parse(page).text)
    for barrier in _barriers(answer):
        assert MapText("kk").barrier(barrier) in text


def test_cli_html_map_of_a_failure_lists_what_blocks(
    tmp_path: Path, router: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RoutingError) as raised:
        router.route(STEEP_FROM, STEEP_TO, PROFILE, STEEP_OVERRIDES)
    blocking = raised.value.details["blocking"]
    overrides = [arg for k, v in STEEP_OVERRIDES.items() for arg in ("--override", f"{k}={v}")]
    out = tmp_path / "blocked.html"

    ends = ["--from", ",".join(map(str, STEEP_FROM)), "--to", ",".join(map(str, STEEP_TO))]
    status = main(["route", *ends, "--profile", PROFILE, *overrides, "--html", str(out)])

    assert status == 0  # no_accessible_route is an answer
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "no_accessible_route"
    page = out.read_text(encoding="utf-8")
    _assert_self_contained(page)
    t = MapText("ru")
    text = "".join(_parse(page).text)
    assert t("blocking_heading") in text and t("error_no_accessible_route") in text
    for barrier in blocking:
        assert t.barrier(barrier) in text
    assert page.count("L.circleMarker(") == len(blocking)


# --- in the real browser --------------------------------------------------------------


@pytest.fixture(scope="module")
def logging_browser() -> Iterator[Any]:
    """Headless Chromium like web_fixtures.browser, but recording its network log."""
    with chromium({"goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"}}) as driver:
        yield driver


def _network_events(driver: Any) -> list[dict]:
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    return [e for e in events if e["method"].startswith("Network.")]


@pytest.mark.browser
def test_html_map_draws_the_route_offline_in_chromium(
    logging_browser: Any, answer: dict, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out = tmp_path / "route.html"
    assert (
        main(["route", "--from", FROM, "--to", TO, "--profile", PROFILE, "--html", str(out)]) == 0
    )
    driver = logging_browser
    driver.get_log("performance")  # start from an empty log
    driver.get(out.as_uri())

    route_path = WebDriverWait(driver, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "path.leaflet-interactive[stroke='#0b5d1e']")
    )
    assert len(route_path.get_attribute("d")) > 20  # a drawn line, not an empty path
    barriers = _barriers(answer)
    circles = driver.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive[stroke='#b00020']")
    assert len(circles) == len(barriers)
    region = driver.find_element(By.CSS_SELECTOR, "[role=region]")
    assert region.get_attribute("aria-label") == MapText("ru")("map_label")

    # A popup opens with the barrier's words: folium's popups work without jQuery.
    driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", circles[0]
    )
    # textContent: the popup fades in, and selenium's .text is empty while it is transparent.
    popup_text = WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "const p = document.querySelector('.leaflet-popup-content');"
            "return p && p.textContent.trim();"
        )
    )
    assert popup_text in {MapText("ru").barrier(b) for b in barriers}

    # Requests of this page only (the browser's own chrome:// pages log theirs too).
    events = _network_events(driver)
    sent = [
        e["params"]
        for e in events
        if e["method"] == "Network.requestWillBeSent" and e["params"]["documentURL"] == out.as_uri()
    ]
    requested = [p["request"]["url"] for p in sent]
    assert out.as_uri() in requested
    assert all(url == out.as_uri() or url.startswith("data:") for url in requested), requested
    ours = {p["requestId"] for p in sent}
    failed = [e for e in events if e["method"] == "Network.loadingFailed"]
    assert [e for e in failed if e["params"]["requestId"] in ours] == []
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_html_map_meets_wcag_in_chromium(
    logging_browser: Any, axe_source: str, tmp_path: Path, lang: str
) -> None:
    """axe-core (WCAG 2.1 A/AA) on the map page, as the planner page is checked."""
    out = tmp_path / "route.html"
    argv = ["route", "--from", FROM, "--to", TO, "--profile", PROFILE, "--html", str(out)]
    assert main([*argv, "--lang", lang]) == 0
    logging_browser.get(out.as_uri())
    logging_browser.execute_script(axe_source)
    violations = logging_browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}})
          .then(r => done(r.violations.map(v => v.id + ": " + v.nodes.map(n => n.target).join())))
          .catch(e => done(["axe-error: " + e]));
        """,
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    )
    assert violations == []
