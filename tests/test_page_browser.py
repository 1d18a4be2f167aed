"""The planner page in a real headless Chromium against a real server on the
real compiled Almaty graph: keyboard-only planning, language switching and
axe-core (WCAG 2.1 A/AA) on every language and on result pages.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from web_fixtures import ALMATY_FROM, ALMATY_TO, STEEP_FROM, STEEP_OVERRIDES, STEEP_TO

from jol import settings
from routing import directions

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser

SCREENSHOT = settings.REPO_ROOT / "docs" / "screenshot-wheelchair-route.png"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WAIT_S = 20
# Inputs a person would type: a street picked from the place search, and a
# destination typed as coordinates (lat, lon in degrees).
FROM_QUERY = "Жибек Жолы"
TO_TYPED = "43.2449, 76.9499"


def _i18n() -> dict[str, dict[str, str]]:
    from web.page import translations

    return translations()


def _wait(browser: Any, condition: Any, timeout: float = WAIT_S) -> Any:
    """Until `condition` holds; an element the page re-rendered meanwhile means "ask again"."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    stale = (StaleElementReferenceException,)
    return WebDriverWait(browser, timeout, ignored_exceptions=stale).until(condition)


def _open(browser: Any, url: str, *, fresh: bool = False) -> None:
    browser.get(url)
    if fresh:
        browser.execute_script("window.localStorage.clear();")
        browser.get(url)
    _wait(browser, lambda b: b.execute_script("return document.body.dataset.ready === 'true'"))


def _active_id(browser: Any) -> str:
    return browser.execute_script("return document.activeElement && document.activeElement.id")


def _press(browser: Any, *keys: str) -> None:
    """Send keys to whatever has focus, as a keyboard would."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*keys).perform()


def _tab_to(browser: Any, element_id: str, limit: int = 80) -> None:
    """Press Tab until `element_id` has focus; fails if it is not reachable."""
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        if _active_id(browser) == element_id:
            return
        _press(browser, Keys.TAB)
    pytest.fail(f"#{element_id} not reachable by Tab within {limit} presses")


def _axe(browser: Any, axe_source: str) -> list[dict]:
    browser.execute_script(axe_source)
    return browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}})
          .then(r => done(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)}))))
          .catch(e => done([{id: "axe-error", help: String(e), nodes: []}]));
        """,
        WCAG_TAGS,
    )


def _assert_no_violations(violations: list[dict], where: str) -> None:
    if violations:
        report = json.dumps(violations, ensure_ascii=False, indent=2)
        print(f"axe violations on {where}:\n{report}")
    assert violations == [], f"axe found {len(violations)} WCAG 2.1 AA violation(s) on {where}"


def _page_errors(browser: Any) -> list[str]:
    """Console errors except the tile requests the test server makes fail on purpose."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "127.0.0.1:9/" not in entry["message"]
    ]


def _choose_profile_by_keyboard(browser: Any, profile: dict, lang: str) -> None:
    _tab_to(browser, "profile-select")
    # Typing the start of an option's text selects it in a focused <select>.
    _press(browser, profile["title"][lang][:6])
    _wait(
        browser,
        lambda b: (
            b.execute_script("return document.getElementById('profile-select').value")
            == profile["name"]
        ),
    )


def _wheelchair(router: Any) -> dict:
    return next(p for p in router.profiles() if p["name"] == "wheelchair_manual")


def test_skip_link_is_the_first_tab_stop(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(browser, live_server + "/", fresh=True)
    _press(browser, Keys.TAB)
    first = browser.switch_to.active_element
    assert first.get_attribute("class") == "skip-link"
    assert first.get_attribute("href").endswith("#planner")
    assert first.is_displayed(), "a skip link must become visible when focused"


def test_plan_a_wheelchair_route_by_keyboard_only(
    browser: Any, live_server: str, router: Any, axe_source: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from services import load_services

    ru = _i18n()["ru"]
    _open(browser, live_server + "/", fresh=True)
    browser.get_log("browser")  # start the console record from this page
    assert browser.execute_script("return document.documentElement.lang") == "ru"

    # From: type a street name, arrow down to the first suggestion, Enter.
    _tab_to(browser, "from-input")
    _press(browser, FROM_QUERY)
    from_input = browser.find_element(By.ID, "from-input")
    _wait(browser, lambda b: from_input.get_attribute("aria-expanded") == "true")
    options = browser.find_elements(By.CSS_SELECTOR, "#from-listbox [role=option]")
    assert options, "the place search offered nothing"
    first_option = options[0].find_element(By.CLASS_NAME, "option-name").text
    _press(browser, Keys.ARROW_DOWN)
    assert from_input.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    assert options[0].get_attribute("aria-selected") == "true"
    _press(browser, Keys.ENTER)
    assert from_input.get_attribute("value") == first_option
    assert from_input.get_attribute("aria-expanded") == "false"

    # To: typed as coordinates.
    _tab_to(browser, "to-input")
    _press(browser, TO_TYPED)

    wheelchair = _wheelchair(router)
    _choose_profile_by_keyboard(browser, wheelchair, "ru")
    _tab_to(browser, "submit-button")
    _press(browser, Keys.ENTER)

    steps = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#steps > li"))
    status = browser.find_element(By.ID, "status").text
    assert status.startswith(ru["route_found"].split(":")[0])

    # The page shows what the router answers for the same two points.
    # The page's own index: street places plus the compiled timetable's stops.
    place = load_services(router.graph.directory).places.search(FROM_QUERY, limit=8)[0]
    to_lat, to_lon = (float(x) for x in TO_TYPED.split(","))
    expected = router.route((place["lat"], place["lon"]), (to_lat, to_lon), "wheelchair_manual")
    route = expected["routes"][0]
    assert len(steps) == len(route["segments"])
    # The summary names the unmapped junctions and never counts "0 kerbs, 0 crossings".
    junctions = route["unmapped_junctions"]
    assert junctions, "the README route passes unmapped junctions"
    assert ru["count_junctions"].format(n=len(junctions)) in status.lower(), status
    assert ru["count_kerbs"].format(n=0) not in status.lower(), status
    assert ru["count_crossings"].format(n=0) not in status.lower(), status
    # Each step says where to turn (clock face) and names its kind of way in
    # Russian, not as OSM spells it; what is unknown follows the instruction;
    # its sidewalk and its unmapped junctions are said.
    said = 0
    for index, (step, seg) in enumerate(zip(steps, route["segments"], strict=True)):
        title = step.find_element(By.CLASS_NAME, "step-title").text
        badge = step.find_element(By.CSS_SELECTOR, ".step-title .access-badge").text
        assert title.endswith(badge) and not title.startswith(badge), title
        facts = step.find_element(By.CLASS_NAME, "facts").text
        sidewalk = seg["sidewalk"] if seg["sidewalk"] in ("yes", "no") else "unknown"
        word = ru["sidewalk_footway"] if seg["sidewalk"] is None else ru[f"sidewalk_{sidewalk}"]
        assert f"{ru['seg_sidewalk']}: {word}" in facts, facts
        here = sum(1 for j in junctions if j["segment"] == index)
        assert (ru["step_junctions"].format(n=here) in facts) == (here > 0), facts
        # Turns are said by the server's maneuvers, not phrased again in the step.
        assert not any(ru[k] in title for k in ru if k.startswith("turn_") and ru[k]), title
        kind = ("footway", seg["footway"]) if seg["footway"] else ("highway", seg["highway"])
        if f"osm_{kind[0]}_{kind[1]}" in ru:
            assert f"({ru[f'osm_{kind[0]}_{kind[1]}']})" in title, title
            said += 1
    assert said > 0
    # The spoken directions are listed as the server says them (in Russian), one
    # item per maneuver, each turn with its clock face; no audio loads unasked.
    parameters = next(p for p in router.profiles() if p["name"] == "wheelchair_manual")
    expected_items = directions.maneuvers(
        expected, "ru", parameters["parameters"], (to_lat, to_lon)
    )
    shown_items = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#maneuvers > li")]
    assert shown_items == [m["text"] for m in expected_items]
    turns = [s["turn"] for s in route["segments"] if s["turn"] and s["turn"]["kind"] != "straight"]
    assert sum(m["code"] == "turn" for m in expected_items) == len(turns)
    assert not browser.find_elements(By.CSS_SELECTOR, "audio")
    barriers = sum(len(s["barriers"]) for s in route["segments"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#steps .barrier")) == barriers
    # The gate and bollard of unknown passability say so where they are met.
    unsure = ru["attr_wheelchair"].format(v=ru["value_unknown"])
    said_unsure = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#steps .barrier")]
    warned = next(w for w in route["warnings"] if w["code"] == "barrier_unknown_passability")
    assert sum(unsure in text for text in said_unsure) == len(warned["barriers"]) > 0
    # Warnings are said in the page's language, not as the API's English messages.
    shown = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".warnings li")]
    assert len(shown) == len(route["warnings"]) > 0
    for text, warning in zip(shown, route["warnings"], strict=True):
        template = ru[f"warning_{warning['code']}"]
        assert text.startswith(template.split("{")[0]) and text != warning["message"]
    # Drawn on the map: a casing and a styled line per segment, one marker per
    # barrier plus the start and end markers.
    lines = browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
    assert len(lines) >= 2 * len(route["segments"])
    markers = browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-pane .jol-marker")
    unknown = browser.find_elements(
        By.CSS_SELECTOR, ".leaflet-marker-pane .jol-marker-unknown_stretch"
    )
    junction_markers = browser.find_elements(
        By.CSS_SELECTOR, ".leaflet-marker-pane .jol-marker-junction"
    )
    assert len(junction_markers) == len(junctions)
    assert len(markers) == barriers + 2 + len(unknown) + len(junctions)
    # Downloads point at the same route.
    links = [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".downloads a")
    ]
    assert any("format=geojson" in h for h in links) and any("format=gpx" in h for h in links)

    browser.execute_script("window.scrollTo(0, 0)")
    _wait(browser, lambda b: b.find_element(By.ID, "map").get_attribute("data-busy") == "false")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))

    # No script errors and nothing refused by the Content-Security-Policy.
    assert _page_errors(browser) == []
    _assert_no_violations(_axe(browser, axe_source), "the page with a wheelchair route")


def test_place_combobox_follows_the_aria_pattern(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, live_server + "/", fresh=True)
    _tab_to(browser, "to-input")
    box = browser.find_element(By.ID, "to-input")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-controls") == "to-listbox"
    _press(browser, FROM_QUERY[:4])
    _wait(browser, lambda b: box.get_attribute("aria-expanded") == "true")
    options = browser.find_elements(By.CSS_SELECTOR, "#to-listbox [role=option]")
    assert len(options) >= 2, "need two suggestions to move between"
    _press(browser, Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == options[1].get_attribute("id")
    _press(browser, Keys.ARROW_UP)
    assert box.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    selected = [o.get_attribute("aria-selected") for o in options]
    assert selected.count("true") == 1 and selected[0] == "true"
    # Escape closes the list and keeps what was typed; focus never left the input.
    _press(browser, Keys.ESCAPE)
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    assert box.get_attribute("value") == FROM_QUERY[:4]
    assert _active_id(browser) == "to-input"
    # The number of suggestions is announced in a polite live region.
    announced = browser.find_element(By.ID, "places-status")
    assert announced.get_attribute("role") == "status" and str(len(options)) in announced.text


def test_clicking_the_map_sets_start_then_destination(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    _open(browser, live_server + "/", fresh=True)
    map_el = browser.find_element(By.ID, "map")
    ActionChains(browser).move_to_element_with_offset(map_el, -40, 0).click().perform()
    start = browser.find_element(By.ID, "from-input").get_attribute("value")
    lat, lon = (float(v) for v in start.split(","))
    bbox = json.loads(browser.find_element(By.ID, "jol-config").get_attribute("textContent"))[
        "bbox"
    ]
    assert bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]
    checked = "input[name=map-click]:checked"
    assert browser.find_element(By.CSS_SELECTOR, checked).get_attribute("value") == "to"
    ActionChains(browser).move_to_element_with_offset(map_el, 40, 0).click().perform()
    end = browser.find_element(By.ID, "to-input").get_attribute("value")
    assert end and end != start
    assert float(end.split(",")[1]) > lon  # clicked further east


def test_switch_language_and_it_survives_a_reload(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    tables = _i18n()
    _open(browser, live_server + "/", fresh=True)
    for lang, typed in (("en", "English"), ("kk", "Қазақша")):
        _tab_to(browser, "lang-select")
        _press(browser, typed[:3])
        _wait(
            browser,
            lambda b, lang=lang: b.execute_script("return document.documentElement.lang") == lang,
        )
        label = browser.find_element(By.CSS_SELECTOR, "label[for=from-input]").text
        assert label == tables[lang]["from_label"]
        assert browser.title == tables[lang]["page_title"]
        button = browser.find_element(By.ID, "submit-button").text
        assert button == tables[lang]["submit"]

        browser.refresh()
        _wait(browser, lambda b: b.execute_script("return document.body.dataset.ready === 'true'"))
        assert browser.execute_script("return document.documentElement.lang") == lang
        assert (
            browser.find_element(By.CSS_SELECTOR, "label[for=from-input]").text
            == (tables[lang]["from_label"])
        )
        assert (
            Select(browser.find_element(By.ID, "lang-select")).first_selected_option.get_attribute(
                "value"
            )
            == lang
        )
    browser.execute_script("window.localStorage.clear();")


@pytest.mark.parametrize("lang", settings.LANGUAGES)
def test_axe_finds_no_wcag_violations_in_each_language(
    browser: Any, live_server: str, axe_source: str, lang: str
) -> None:
    _open(browser, live_server + "/", fresh=True)
    browser.execute_script("window.localStorage.setItem('jol.lang', arguments[0]);", lang)
    _open(browser, live_server + "/")
    assert browser.execute_script("return document.documentElement.lang") == lang
    # Open the editable limits too, so their fields are checked as well.
    browser.execute_script("document.getElementById('limits').open = true;")
    _assert_no_violations(_axe(browser, axe_source), f"the empty page in {lang}")
    browser.execute_script("window.localStorage.clear();")


def test_no_accessible_route_lists_what_blocks_it(
    browser: Any, live_server: str, router: Any, axe_source: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from routing.errors import RoutingError

    _open(browser, live_server + "/?lang=en", fresh=True)
    _tab_to(browser, "from-input")
    _press(browser, f"{STEEP_FROM[0]}, {STEEP_FROM[1]}")
    _tab_to(browser, "to-input")
    _press(browser, f"{STEEP_TO[0]}, {STEEP_TO[1]}")
    _choose_profile_by_keyboard(browser, _wheelchair(router), "en")
    # Open the limits with the keyboard and tighten both grades.
    _tab_to(browser, "limits-summary")
    _press(browser, Keys.ENTER)
    assert browser.find_element(By.ID, "limits").get_attribute("open") is not None
    for key, value in STEEP_OVERRIDES.items():
        _tab_to(browser, f"limit-{key}")
        _press(browser, Keys.CONTROL, "a", Keys.NULL, str(value))
    _tab_to(browser, "submit-button")
    _press(browser, Keys.ENTER)

    items = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#blocking-list li"))
    with pytest.raises(RoutingError) as caught:
        router.route(STEEP_FROM, STEEP_TO, "wheelchair_manual", STEEP_OVERRIDES)
    assert len(items) == len(caught.value.details["blocking"])
    en = _i18n()["en"]
    assert en["error_no_accessible_route"] in browser.find_element(By.ID, "results-body").text
    assert en["error_no_accessible_route"] in browser.find_element(By.ID, "status").text
    blocking_markers = browser.find_elements(
        By.CSS_SELECTOR, ".leaflet-marker-pane .jol-marker-blocking"
    )
    assert len(blocking_markers) == len(items)
    _assert_no_violations(_axe(browser, axe_source), "the page explaining a blocked route")


def test_offline_map_draws_jols_own_streets(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, live_server + "/", fresh=True)
    note = browser.find_element(By.ID, "tiles-note")
    _wait(browser, lambda b: note.is_displayed())
    _wait(
        browser,
        lambda b: b.execute_script(
            "return performance.getEntriesByType('resource')"
            ".some(e => e.name.includes('/api/v1/streets?bbox='))"
        ),
    )
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane canvas")


def test_night_departure_by_keyboard_says_it_is_dark(
    browser: Any, live_server: str, router: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    en = _i18n()["en"]
    _open(browser, live_server + "/?lang=en", fresh=True)
    browser.get_log("browser")  # start the console record from this page
    _tab_to(browser, "from-input")
    _press(browser, "43.2548, 76.9449")
    _tab_to(browser, "to-input")
    _press(browser, TO_TYPED)
    low_vision = next(p for p in router.profiles() if p["name"] == "low_vision")
    _choose_profile_by_keyboard(browser, low_vision, "en")
    # A datetime-local field, typed segment by segment: 12/06/2026, 09:30 PM.
    _tab_to(browser, "depart-input")
    _press(browser, "12", "06", "2026", Keys.ARROW_RIGHT, "09", "30", "P")
    depart = browser.find_element(By.ID, "depart-input").get_attribute("value")
    assert depart == "2026-12-06T21:30"
    _tab_to(browser, "submit-button")
    _press(browser, Keys.ENTER)
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#steps > li"))

    summary = {
        row.find_element(By.TAG_NAME, "dt").text: row.find_element(By.TAG_NAME, "dd").text
        for row in browser.find_elements(By.CSS_SELECTOR, "dl.summary > div")
    }
    assert summary[en["summary_light"]] == en["light_dark"]
    expected = router.route(
        (43.2548, 76.9449),
        tuple(float(x) for x in TO_TYPED.split(",")),
        "low_vision",
        None,
        datetime.fromisoformat(depart),
    )
    unknown_lit = expected["routes"][0]["unknown"]["lit_m"]
    unknowns = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".unknowns li")]
    prefix = en["unknown_lit"].split("{")[0]
    assert any(text.startswith(prefix) for text in unknowns) == (unknown_lit > 0)
    # The download links carry the time, so the file is the route that was shown.
    anchors = browser.find_elements(By.CSS_SELECTOR, ".downloads a")
    links = [a.get_attribute("href") for a in anchors]
    assert links and all("depart_at=2026-12-06T21%3A30" in h for h in links), links
    assert _page_errors(browser) == []


# ---------- issue 9: the answer and the page ----------

# A wheelchair trip the foothills make impossible (issue 9), inputs only.
FAILING_FROM = (43.2567, 76.9286)
FAILING_TO = (43.2330, 76.9760)


def _plan_typed(browser: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    from selenium.webdriver.common.keys import Keys

    _tab_to(browser, "from-input")
    _press(browser, f"{start[0]}, {start[1]}")
    _tab_to(browser, "to-input")
    _press(browser, f"{end[0]}, {end[1]}")
    _tab_to(browser, "submit-button")
    _press(browser, Keys.ENTER)


def _option_values(browser: Any) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('#profile-select option')].map(o => o.value)"
    )


def test_profiles_start_with_the_wheelchair_and_remember_the_choice(
    browser: Any, live_server: str, router: Any
) -> None:
    from selenium.webdriver.common.by import By

    names = sorted(p["name"] for p in router.profiles())
    _open(browser, live_server + "/?lang=en", fresh=True)
    offered = _option_values(browser)
    assert sorted(offered) == names
    assert offered[0] == "wheelchair_manual"
    assert browser.find_element(By.ID, "profile-select").get_attribute("value") == offered[0]
    assert offered != names, "ordered by internal name, so 'blind' came first"
    assert offered[-1] == "default", "plain walking is the last choice on this planner"
    low_vision = next(p for p in router.profiles() if p["name"] == "low_vision")
    _choose_profile_by_keyboard(browser, low_vision, "en")
    _open(browser, live_server + "/?lang=en")
    assert browser.find_element(By.ID, "profile-select").get_attribute("value") == "low_vision"
    browser.execute_script("window.localStorage.clear();")


def test_a_plan_is_in_the_address_and_opening_it_plans_it_again(
    browser: Any, live_server: str, router: Any
) -> None:
    from urllib.parse import parse_qs, urlparse

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    overrides = {"max_kerb_cm": 4}
    depart = "2026-12-06T21:30"
    _open(browser, live_server + "/?lang=en", fresh=True)
    _tab_to(browser, "limits-summary")
    _press(browser, Keys.ENTER)
    _tab_to(browser, "limit-max_kerb_cm")
    _press(browser, Keys.CONTROL, "a", Keys.NULL, str(overrides["max_kerb_cm"]))
    browser.execute_script("document.getElementById('depart-input').value = arguments[0]", depart)
    _plan_typed(browser, ALMATY_FROM, ALMATY_TO)
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#steps > li"))
    shared = browser.current_url
    query = {k: v[0] for k, v in parse_qs(urlparse(shared).query).items()}
    assert query["profile"] == "wheelchair_manual"
    assert query["from"] == f"{ALMATY_FROM[0]},{ALMATY_FROM[1]}"
    assert query["to"] == f"{ALMATY_TO[0]},{ALMATY_TO[1]}"
    assert json.loads(query["overrides"]) == overrides
    assert query["depart_at"] == depart

    # Someone else opens the link: a fresh page, nothing remembered.
    browser.get("about:blank")
    _open(browser, shared, fresh=True)
    steps = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#steps > li"))
    expected = router.route(
        ALMATY_FROM, ALMATY_TO, "wheelchair_manual", overrides, datetime.fromisoformat(depart)
    )
    assert len(steps) == len(expected["routes"][0]["segments"])
    assert browser.find_element(By.ID, "limit-max_kerb_cm").get_attribute("value") == "4"
    assert browser.find_element(By.ID, "depart-input").get_attribute("value") == depart
    assert browser.find_element(By.ID, "profile-select").get_attribute("value") == (
        "wheelchair_manual"
    )
    browser.execute_script("window.localStorage.clear();")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_errors_are_said_in_the_page_language_from_their_code(
    browser: Any, live_server: str, router: Any, lang: str
) -> None:
    from selenium.webdriver.common.by import By

    from routing.errors import RoutingError

    far = (43.0, 70.0)  # a steppe far west of Almaty
    with pytest.raises(RoutingError) as caught:
        router.route(far, (43.2449, 76.9499), "wheelchair_manual")
    table = _i18n()[lang]
    _open(browser, live_server + f"/?lang={lang}", fresh=True)
    _plan_typed(browser, far, (43.2449, 76.9499))
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".error-box"))
    status = browser.find_element(By.ID, "status").text
    results = browser.find_element(By.ID, "results-body").text
    assert status == table[f"error_{caught.value.code}"]
    assert caught.value.message not in results and caught.value.message not in status


def test_a_failed_wheelchair_route_lists_its_blockers_with_their_values(
    browser: Any, live_server: str, router: Any, axe_source: str
) -> None:
    """The issue's Almaty pair: whatever the router names, the page shows, translated."""
    from selenium.webdriver.common.by import By

    from routing.errors import RoutingError

    with pytest.raises(RoutingError) as caught:
        router.route(FAILING_FROM, FAILING_TO, "wheelchair_manual")
    details = caught.value.details
    ru = _i18n()["ru"]
    _open(browser, live_server + "/?lang=ru", fresh=True)
    _plan_typed(browser, FAILING_FROM, FAILING_TO)
    items = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#blocking-list li"))
    assert len(items) == len(details["blocking"]) > 0
    for item, block in zip(items, details["blocking"], strict=True):
        assert ru[f"reason_{block['reason']}"] in item.text, item.text
        if isinstance(block.get("grade_pct"), (int, float)):
            assert ru["attr_grade"].split("{")[0] in item.text, item.text
        if isinstance(block.get("kerb_cm"), (int, float)):
            assert ru["attr_kerb_limit"].split("{")[0] in item.text, item.text
    candidate = browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path.jol-candidate")
    assert bool(candidate) == bool((details.get("candidate") or {}).get("geometry"))
    shown = browser.find_elements(By.CSS_SELECTOR, "#suggestions li")
    assert len(shown) == len(details.get("suggestions") or [])
    _assert_no_violations(_axe(browser, axe_source), "the page explaining a failed route in ru")


def test_place_search_says_kinds_in_the_page_language(
    browser: Any, live_server: str, router: Any
) -> None:
    import pyarrow.parquet as pq
    from selenium.webdriver.common.by import By

    places = pq.read_table(router.graph.directory / settings.PLACES_FILENAME).to_pydict()
    hotel = next(
        name
        for name, category in zip(places["name"], places["category"], strict=True)
        if category == "tourism=hotel" and len(name) > 3
    )
    kk = _i18n()["kk"]
    _open(browser, live_server + "/?lang=kk", fresh=True)
    _tab_to(browser, "to-input")
    _press(browser, hotel)
    box = browser.find_element(By.ID, "to-input")
    _wait(browser, lambda b: box.get_attribute("aria-expanded") == "true")
    metas = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#to-listbox .option-meta")]
    assert metas and not any("=" in m for m in metas), metas
    assert any(kk["osm_tourism_hotel"] in m for m in metas), metas
    assert not any(kk["value_unknown"] in m for m in metas), metas
    note = browser.find_element(By.ID, "to-places-note")
    assert note.is_displayed() and note.text == kk["places_no_ratings"]


def test_route_summary_gives_the_steepest_grades_and_steep_stretches_in_russian(
    browser: Any, live_server: str, router: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ru = _i18n()["ru"]
    _open(browser, live_server + "/?lang=ru", fresh=True)
    browser.get_log("browser")  # start the console record from this page
    _tab_to(browser, "from-input")
    _press(browser, "43.2548, 76.9449")
    _tab_to(browser, "to-input")
    _press(browser, TO_TYPED)
    _choose_profile_by_keyboard(browser, _wheelchair(router), "ru")
    _tab_to(browser, "submit-button")
    _press(browser, Keys.ENTER)
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#steps > li"))
    route = router.route(
        (43.2548, 76.9449),
        tuple(float(x) for x in TO_TYPED.split(",")),
        "wheelchair_manual",
    )["routes"][0]
    summary = {
        row.find_element(By.TAG_NAME, "dt").text: row.find_element(By.TAG_NAME, "dd").text
        for row in browser.find_elements(By.CSS_SELECTOR, "dl.summary > div")
    }
    for key, value in (
        ("summary_steepest_up", route["steepest"]["up_pct"]),
        ("summary_steepest_down", route["steepest"]["down_pct"]),
    ):
        shown = summary[ru[key]]
        assert shown == (
            ru["value_unknown"] if value == "unknown" else f"{value:g} %".replace(".", ",")
        ), shown
    steep = [w for w in route["warnings"] if w["code"] == "steep_stretch"]
    shown = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".warnings li")]
    said = [text for text in shown if text.startswith(ru["warning_steep_stretch"].split("{")[0])]
    assert len(said) == len(steep)
    for text, warning in zip(said, steep, strict=True):
        assert ru["direction_" + warning["params"]["direction"]] in text
        assert " up" not in text and " down" not in text
    assert _page_errors(browser) == []


def test_directions_are_said_in_the_page_language_and_listened_to_on_request(
    browser: Any, live_server: str, router: Any, axe_source: str
) -> None:
    """The maneuvers come from the server in the page's language and follow a
    language switch; the Listen button (keyboard) loads a native audio player that
    does not play by itself; axe-core finds nothing on the page with it."""
    import shutil

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    kk = _i18n()["kk"]
    _open(browser, live_server + "/?lang=kk", fresh=True)
    _page_errors(browser)  # reading the log empties it: earlier tests' entries go
    _plan_typed(browser, ALMATY_FROM, ALMATY_TO)
    items = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#maneuvers > li"))
    expected = router.route(ALMATY_FROM, ALMATY_TO, "wheelchair_manual")
    parameters = _wheelchair(router)["parameters"]
    said = directions.maneuvers(expected, "kk", parameters, ALMATY_TO)
    assert [li.text for li in items] == [m["text"] for m in said]
    assert browser.find_element(By.ID, "directions-heading").text == kk["dir_heading"]

    _tab_to(browser, "lang-select")
    _press(browser, "Eng")
    english = directions.maneuvers(expected, "en", parameters, ALMATY_TO)
    _wait(
        browser,
        lambda b: (
            [li.text for li in b.find_elements(By.CSS_SELECTOR, "#maneuvers > li")]
            == [m["text"] for m in english]
        ),
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "audio")
    if shutil.which("espeak-ng"):
        _tab_to(browser, "listen-button")
        _press(browser, Keys.ENTER)
        audio = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#listen-player audio"))
        assert audio[0].get_attribute("controls") is not None
        _wait(browser, lambda b: b.execute_script("return arguments[0].readyState", audio[0]) >= 1)
        assert browser.execute_script("return arguments[0].paused", audio[0]) is True
        assert browser.execute_script("return arguments[0].duration", audio[0]) > 1
    assert _page_errors(browser) == []
    _assert_no_violations(_axe(browser, axe_source), "the page with spoken directions")
    browser.execute_script("window.localStorage.clear();")


def test_mode_switch_plans_with_public_transport_by_keyboard(
    browser: Any, live_server: str, router: Any, axe_source: str
) -> None:
    """Street only / with public transport: by keyboard, itineraries are listed with times,
    transfers and walking, each leg a line, legs drawn by mode; axe finds nothing with an
    itinerary open, and the list is said again in each language."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from jol.cities import load_city
    from transit.build import build_for_cli

    feeds = load_city("almaty").files("gtfs")
    assert build_for_cli(feeds, router.graph.directory, force=False, progress=print)[0] == 0
    tables = _i18n()
    _open(browser, live_server + "/?lang=en", fresh=True)
    _tab_to(browser, "mode-street")
    _press(browser, Keys.ARROW_DOWN)  # a radio group moves and selects with the arrows
    assert browser.execute_script("return document.getElementById('mode-transit').checked")
    # A weekday morning inside the Almaty feed's service dates.
    browser.execute_script("document.getElementById('depart-input').value='2026-05-04T08:00'")
    # Keep a copy of each plan answer the page gets, to compare its legs' maneuvers with.
    browser.execute_script(_KEEP_PLAN_ANSWERS)
    _plan_typed(browser, ALMATY_FROM, ALMATY_TO)
    heading = _wait(browser, lambda b: b.find_elements(By.ID, "plan-heading"), timeout=60)[0]
    lang = browser.execute_script("return document.documentElement.lang")
    n = len(browser.find_elements(By.CSS_SELECTOR, "ol.itineraries > li"))
    assert n >= 1
    assert heading.text == tables[lang]["plan_heading"].replace("{n}", str(n))
    first = browser.find_element(By.CSS_SELECTOR, "details.itinerary")
    assert first.get_attribute("open") is not None
    legs = first.find_elements(By.CSS_SELECTOR, "li.leg")
    assert legs and all(leg.text.strip() for leg in legs)
    modes = {c.split("leg-")[1] for leg in legs for c in leg.get_attribute("class").split()[1:]}
    assert modes - {"walk"}  # the page's first profile (wheelchair) rides a bus here
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('#map path'))"
        ".map(p => p.getAttribute('class') || '').filter(c => c.includes('jol-leg-'))"
    )
    assert {c.split("jol-leg-")[1].split()[0] for c in drawn} == modes
    _assert_leg_maneuvers_as_answered(browser, tables, "en")
    _assert_no_violations(_axe(browser, axe_source), "the page with a journey open")
    for other in ("ru", "kk"):
        browser.execute_script(
            "const s = document.getElementById('lang-select'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('change'));",
            other,
        )
        # The page asks for the plan again in the new language and lists it anew.
        _wait(browser, lambda b, o=other: b.execute_script(_LAST_PLAN_LANG) == o, timeout=60)
        said = tables[other]["plan_heading"].replace("{n}", str(n))
        _wait(browser, lambda b, h=said: b.find_element(By.ID, "plan-heading").text == h)
        _assert_leg_maneuvers_as_answered(browser, tables, other)
    _assert_no_violations(_axe(browser, axe_source), "a journey's maneuvers in Kazakh")
    browser.execute_script("window.localStorage.clear();")


# Wraps fetch so the test sees the same plan answers the page renders.
_KEEP_PLAN_ANSWERS = """
window.__plans = [];
const real = window.fetch;
window.fetch = function (url, options) {
  return real(url, options).then(function (r) {
    if (String(url).includes('/api/v1/plan') && r.ok) {
      const lang = JSON.parse(options.body).lang;
      r.clone().json().then(function (d) { window.__plans.push({lang: lang, answer: d}); });
    }
    return r;
  });
};
"""
_LAST_PLAN_LANG = "const p = window.__plans; return p.length ? p[p.length - 1].lang : null;"


def _assert_leg_maneuvers_as_answered(browser: Any, tables: dict, lang: str) -> None:
    """Under each leg of the open journey, its maneuvers from the plan answer in `lang`,
    in order, in a list named by its heading."""
    from selenium.webdriver.common.by import By

    def shown(b: Any) -> list[list[str]]:
        first = b.find_element(By.CSS_SELECTOR, "details.itinerary")
        return [
            [li.text for li in leg.find_elements(By.CSS_SELECTOR, "ol.maneuvers > li")]
            for leg in first.find_elements(By.CSS_SELECTOR, "li.leg")
        ]

    plans = browser.execute_script("return window.__plans;")
    answer = next(p["answer"] for p in reversed(plans) if p["lang"] == lang)
    expected = [
        [m["text"] for m in leg.get("maneuvers", [])] for leg in answer["itineraries"][0]["legs"]
    ]
    assert any(expected), expected
    _wait(browser, lambda b: shown(b) == expected, timeout=30)
    first = browser.find_element(By.CSS_SELECTOR, "details.itinerary")
    for listing in first.find_elements(By.CSS_SELECTOR, "ol.maneuvers"):
        label = browser.find_element(By.ID, listing.get_attribute("aria-labelledby"))
        assert label.text == tables[lang]["leg_maneuvers"]
