"""Issue 9: public-transport stops of the compiled Almaty timetable are searchable places.

The 2012 OSM extract has no metro station, so "метро" answered a nightclub and a
supermarket. Expectations are read from the raw GTFS zip with csv/zipfile here,
apart from the code under test (transit/ compile, places/stops.py).
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Iterator

import pytest
from conftest import city_router

from jol import settings
from jol.cities import load_city
from places import PlaceIndex, normalize
from places.stops import DUPLICATE_RADIUS_M, TransitStop, add_stops
from services import services_for
from transit.build import build_for_cli

ALMATY_GTFS = settings.data_dir() / "almaty-transit" / "almaty_gtfs.zip"

pytestmark = pytest.mark.skipif(not ALMATY_GTFS.is_file(), reason="Almaty GTFS not present")


def _rows(name: str) -> Iterator[dict[str, str]]:
    with zipfile.ZipFile(ALMATY_GTFS) as archive:
        text = archive.read(name).decode("utf-8-sig")
    yield from csv.DictReader(io.StringIO(text))


def _raw_metro_stops() -> dict[str, dict[str, str]]:
    """stop_id -> stops.txt row of every stop a route_type 1 (metro) trip calls at."""
    metro_routes = {r["route_id"] for r in _rows("routes.txt") if r["route_type"] == "1"}
    metro_trips = {t["trip_id"] for t in _rows("trips.txt") if t["route_id"] in metro_routes}
    called = {s["stop_id"] for s in _rows("stop_times.txt") if s["trip_id"] in metro_trips}
    return {s["stop_id"]: s for s in _rows("stops.txt") if s["stop_id"] in called}


@pytest.fixture(scope="module")
def places() -> PlaceIndex:
    """The place index `load_services` makes for the Almaty graph with its timetable."""
    router = city_router("almaty")
    feeds = load_city("almaty").files("gtfs")
    code, report = build_for_cli(feeds, router.graph.directory, force=False, progress=print)
    assert code == 0, report
    index = services_for(router).places
    assert index is not None
    return index


def _metres(a: dict, b: dict) -> float:
    x = math.radians(b["lon"] - a["lon"]) * math.cos(math.radians(a["lat"]))
    return 6_371_008.8 * math.hypot(x, math.radians(b["lat"] - a["lat"]))


@pytest.mark.parametrize("query", ["метро", "Метро", "metro", "метро станциясы", "станция метро"])
def test_metro_typed_lists_metro_stations_first(places: PlaceIndex, query: str) -> None:
    stations = places.places(["metro_station"])
    results = places.search(query, limit=settings.PLACES_MAX_LIMIT)
    assert results[0]["kind"] == "metro_station", [r["name"] for r in results[:3]]
    leading = [r["kind"] == "metro_station" for r in results]
    # Every metro station, then names that merely contain the word (bus stops "Метро Сайран").
    assert leading == sorted(leading, reverse=True)
    assert sum(leading) == len(stations) >= 5


def test_every_metro_station_is_a_metro_stop_of_the_raw_feed(places: PlaceIndex) -> None:
    raw = _raw_metro_stops()
    stations = places.places(["metro_station"])
    assert {s["name"] for s in stations} == {r["stop_name"] for r in raw.values()}
    for station in stations:
        assert station["category"] == "station=subway"
        same = [r for r in raw.values() if r["stop_name"] == station["name"]]
        assert any(
            abs(float(r["stop_lat"]) - station["lat"]) < 1e-6
            and abs(float(r["stop_lon"]) - station["lon"]) < 1e-6
            for r in same
        ), station
        # wheelchair_boarding 0 in the feed: said as unknown, never invented.
        word = {"1": "yes", "2": "no"}.get(same[0]["wheelchair_boarding"], "unknown")
        assert station["access"]["mobility"] == word


def test_a_station_name_finds_the_metro_station(places: PlaceIndex) -> None:
    results = places.search("Райымбек", limit=5)
    found = [(r["kind"], r["name"]) for r in results]
    assert ("metro_station", "Райымбек батыра") in found, found


def test_bus_stops_of_the_feed_are_searchable_stops(places: PlaceIndex) -> None:
    """A named bus stop only the feed has (not in the 2012 OSM) is found as a stop."""
    results = places.search("Микрорайон Сайран", kinds=["stop"], limit=5)
    assert results and results[0]["name"] == "Микрорайон Сайран"
    assert results[0]["category"] == "highway=bus_stop"
    assert results[0]["access"]["mobility"] in ("yes", "no", "unknown")


def test_no_stop_is_indexed_twice(places: PlaceIndex) -> None:
    """Two stops of one normalised name are never within the duplicate radius."""
    stops = places.places(["stop", "station", "metro_station"])
    by_name: dict[str, list[dict]] = {}
    for place in stops:
        by_name.setdefault(normalize(place["name"]), []).append(place)
    assert len(by_name) > 500
    for name, group in by_name.items():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                assert _metres(a, b) > DUPLICATE_RADIUS_M, (name, a["id"], b["id"])
    # "(unnamed bus stop, OSM node 1)" in the feed names nothing.
    assert not [p["name"] for p in stops if p["name"].startswith("(unnamed")]


def test_a_stop_osm_already_has_is_not_added_again() -> None:
    columns = {
        "place_id": ["n1"],
        "kind": ["stop"],
        "category": ["highway=bus_stop"],
        "name": ["Сайран"],
        "lat": [43.2370],
        "lon": [76.8780],
    }
    near = TransitStop("f:1", "САЙРАН", 43.23705, 76.8780, frozenset({"bus"}), "unknown")
    far = TransitStop("f:2", "Сайран", 43.2380, 76.8780, frozenset({"metro"}), "accessible")
    nameless = TransitStop("f:3", "(unnamed bus stop)", 43.1, 76.9, frozenset({"bus"}), "unknown")
    out = add_stops(columns, [near, far, nameless])
    assert out["place_id"] == ["n1", "gtfs:f:2"]
    assert out["kind"] == ["stop", "metro_station"]


def test_every_kind_and_category_of_the_index_is_said_in_every_language(
    places: PlaceIndex,
) -> None:
    from web.page import translations

    stops = places.places(["stop", "station", "metro_station"])
    categories = {p["category"] for p in stops if p["category"]}
    for lang, words in translations().items():
        assert all(f"place_kind_{k}" in words for k in places.kinds()), lang
        missing = [c for c in categories if "osm_" + c.replace("=", "_") not in words]
        assert not missing, (lang, missing)


@pytest.mark.parametrize("query", ["метро", "metro", "метро станциясы"])  # ru, en, kk
def test_the_api_answers_metro_stations_first(places: PlaceIndex, query: str) -> None:
    """GET /api/v1/places on the real app loaded from the graph folder with its timetable."""
    from web.app import create_app

    router = city_router("almaty")
    app = create_app(router=router, config={"JOL_RATE_LIMITS": {}})
    answer = app.test_client().get("/api/v1/places", query_string={"q": query})
    assert answer.status_code == 200
    found = answer.get_json()["places"]
    assert found[0]["kind"] == "metro_station", found[:2]
    only = app.test_client().get(
        "/api/v1/places", query_string={"q": "Сайран", "kinds": "metro_station"}
    )
    assert [p["name"] for p in only.get_json()["places"]] == ["Сайран"]
