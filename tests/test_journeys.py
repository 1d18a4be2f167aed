"""Door-to-door journeys (issue 13): routing.journeys on real OSM + GTFS, and POST /api/v1/plan.

The Atlanta pair (Cobb County OSM + MARTA 856 + CobbLinc 30) is compiled once with
`jol build`'s own steps. Variants of MARTA mark trips and stops not accessible
(the real feed has no 2s) so the wheelchair rules have something to refuse.
Every itinerary is checked against the raw GTFS rows (csv/zipfile, not transit/).
The synthetic pathways feed and Caltrain have no OSM here: their filtering is
checked through `boarding_filter` + RAPTOR.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from graph_build.build import build_street_artifact
from jol import settings
from jol.cities import load_city
from routing import journeys
from routing.errors import RoutingError
from routing.profiles import load_profiles
from routing.service import Router
from tests.transit_fixtures import (
    COBBLINC,
    MARTA,
    SAMPLE,
    RawFeed,
    raw_rows,
    rewrite_zip,
    timetable,
    to_csv,
)
from transit import raptor
from transit.build import build_for_cli
from transit.timetable import Timetable
from web.errors import routing_status

OSM = settings.data_dir() / "atlanta-osm-gtfs-pair" / "cobb-county.filtered.osm.pbf"
DAY = date(2021, 10, 5)  # a Tuesday inside both feeds
PROFILES = load_profiles()


def _build(out: Path, feeds: list[Path]) -> tuple[Router, Timetable]:
    build_street_artifact(OSM, out, dems=[], city="cobb-county", progress=lambda _: None)
    code, report = build_for_cli(feeds, out, force=False, progress=lambda _: None)
    assert code == 0, report
    return Router.load(out), Timetable.load(out)


@pytest.fixture(scope="session")
def atlanta() -> tuple[Router, Timetable]:
    return _build(settings.cache_dir() / "test-graphs" / "atlanta-transit", [MARTA, COBBLINC])


def _marta_variant(path: Path, every_trip: bool) -> Path:
    """MARTA with trips marked not accessible (all, or every other one), every 7th stop
    saying 2, and a parent station saying 2 over platforms that say 0."""
    stops = raw_rows(MARTA, "stops.txt")
    parent = dict(stops[10], stop_id="parent-x", location_type="1", wheelchair_boarding="2")
    for i, row in enumerate(stops):
        row.setdefault("parent_station", "")
        row.setdefault("location_type", "0")
        if i % 7 == 3:
            row["wheelchair_boarding"] = "2"
        if i in (10, 11, 12):
            row["parent_station"], row["wheelchair_boarding"] = "parent-x", "0"
    parent["parent_station"] = ""
    trips = raw_rows(MARTA, "trips.txt")
    for i, row in enumerate(trips):
        row["wheelchair_accessible"] = "2" if every_trip or i % 2 else "1"
    stops.append(parent)
    edits = {"stops.txt": to_csv(stops), "trips.txt": to_csv(trips)}
    return rewrite_zip(MARTA, path, edits)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Router, Timetable, Path]:
    folder = tmp_path_factory.mktemp("mixed")
    feed = _marta_variant(folder / "marta_variant.zip", every_trip=False)
    return (*_build(folder / "graph", [feed, COBBLINC]), feed)


@pytest.fixture(scope="module")
def refused(tmp_path_factory) -> tuple[Router, Timetable]:
    folder = tmp_path_factory.mktemp("refused")
    feed = _marta_variant(folder / "marta_refused.zip", every_trip=True)
    return _build(folder / "graph", [feed])


def _stop_points(router, tt, profile: str, n: int, seed: int) -> list[tuple]:
    """Random pairs of stop positions the profile can reach from the street."""
    metrics = router.metrics.get(profile, None)
    links = journeys.stop_links(router, tt, metrics, profile, None)
    stops = np.flatnonzero(links.reachable).tolist()
    rng = random.Random(seed)
    return [tuple(tt.stop_latlon(s) for s in rng.sample(stops, 2)) for _ in range(n)]


def _plan(router, tt, a, b, profile, hour=8, **kw) -> dict:
    when = datetime(DAY.year, DAY.month, DAY.day, hour)
    return journeys.plan_journeys(router, tt, a, b, profile, depart_at=when, **kw)


def _rides(answer: dict):
    for itinerary in answer["itineraries"]:
        for leg in itinerary["legs"]:
            if leg["mode"] != "walk":
                yield leg


def _raw_id(prefixed: str) -> str:
    return prefixed.split(":", 1)[1]


# -- accessibility ------------------------------------------------------------------------


def test_wheelchair_never_boards_refused_trips_or_stops_even_inherited(mixed):
    router, tt, feed = mixed
    raw_stops = {r["stop_id"]: r for r in raw_rows(feed, "stops.txt")}
    raw_trips = {r["trip_id"]: r for r in raw_rows(feed, "trips.txt")}

    def says_no(stop_id: str) -> bool:
        row = raw_stops[stop_id]
        value = row["wheelchair_boarding"]
        if value in ("", "0") and row.get("parent_station"):
            value = raw_stops[row["parent_station"]]["wheelchair_boarding"]
        return value == "2"

    refused_by_default = 0
    for a, b in _stop_points(router, tt, "default", 25, seed=5):
        for profile in ("wheelchair_manual", "default"):
            try:
                answer = _plan(router, tt, a, b, profile)
            except RoutingError:
                continue
            for leg in _rides(answer):
                if not leg["trip_id"].startswith("marta_variant:"):
                    continue
                bad = raw_trips[_raw_id(leg["trip_id"])]["wheelchair_accessible"] == "2"
                bad += says_no(_raw_id(leg["from_stop_id"])) + says_no(_raw_id(leg["to_stop_id"]))
                if profile == "default":
                    refused_by_default += bad
                else:
                    assert not bad, leg
                    assert leg["wheelchair_accessible"] != "not_accessible"
    assert refused_by_default  # the same plans without the rules do board them


def test_only_inaccessible_trips_are_named_for_wheelchair_while_default_rides(refused):
    router, tt = refused
    named = 0
    for a, b in _stop_points(router, tt, "default", 20, seed=11):
        default = _plan(router, tt, a, b, "default")
        if not any(True for _ in _rides(default)):
            continue
        try:
            answer = _plan(router, tt, a, b, "wheelchair_manual")
        except RoutingError as error:
            assert error.code == "no_accessible_route"
            if error.details["reason"] == "only_inaccessible_trips":
                assert error.details["trips"] and error.details["trips"][0] in error.message
                named += 1
            continue
        assert not list(_rides(answer))
        warning = next(w for w in answer["warnings"] if w["code"] == "transit_only_inaccessible")
        assert warning["trips"] and all(t.startswith("marta_refused:") for t in warning["trips"])
        assert warning["trips"][0] in warning["message"]
        named += 1
    assert named


@pytest.mark.parametrize("profile", ["wheelchair_manual", "default"])
def test_stairs_only_pathway_stop_refused_for_wheelchair_allowed_for_default(profile):
    tt = timetable((SAMPLE, "s"))
    stairs = tt.stop_index("s:airport-1")
    assert tt.stop_step_free_word(stairs) == "no"
    everywhere = np.ones(tt.n_stops, dtype=bool)
    boarding = journeys.boarding_filter(tt, PROFILES[profile].params, everywhere)
    assert bool(boarding.stop_allowed[stairs]) == (profile == "default")
    fp = raptor.Footpaths.none(tt.n_stops)  # reaching it on foot from a platform nearby is fine
    reached = 0
    day = min(tt.service_dates())
    for other in tt.boardable_stops().tolist():
        if other == stairs:
            continue
        for a, b in ((other, stairs), (stairs, other)):
            query = raptor.Query(day, 6 * 3600, [(a, 0)], {b: 0}, window_s=14 * 3600)
            reached += bool(raptor.search(tt, query, fp, boarding))
    assert bool(reached) == (profile == "default")


# -- timing and the raw rows ----------------------------------------------------------------


def _seconds_of(stamp: str, day: date) -> int:
    when = datetime.fromisoformat(stamp)
    midnight = datetime(day.year, day.month, day.day, tzinfo=when.tzinfo)
    return round((when - midnight).total_seconds())


@pytest.mark.parametrize("profile", ["wheelchair_manual", "default"])
def test_random_plans_match_raw_gtfs_and_respect_transfer_times(atlanta, profile):
    router, tt = atlanta
    raw = {"marta_bus_856_only": RawFeed(MARTA), "cobblinc_bus_30_only": RawFeed(COBBLINC)}
    params = PROFILES[profile].params
    checked = 0
    for a, b in _stop_points(router, tt, profile, 25, seed=23):
        try:
            answer = _plan(router, tt, a, b, profile, hour=random.Random(str(a)).randint(6, 18))
        except RoutingError:
            continue
        for itinerary in answer["itineraries"]:
            legs = itinerary["legs"]
            for before, after in itertools.pairwise(legs):
                assert after["departure"] >= before["arrival"]
            rides = [leg for leg in legs if leg["mode"] != "walk"]
            assert itinerary["transfers"] == max(len(rides) - 1, 0)
            for before, after in itertools.pairwise(rides):
                gap = datetime.fromisoformat(after["departure"]) - datetime.fromisoformat(
                    before["arrival"]
                )
                margin = params["transit_transfer_s"] + params["transit_board_s"]
                assert gap >= timedelta(seconds=margin)
            for ride in rides:
                _check_ride(raw, ride)
                checked += 1
    assert checked > 5


def _check_ride(raw: dict[str, RawFeed], ride: dict) -> None:
    feed_key, trip_id = ride["trip_id"].split(":", 1)
    feed = raw[feed_key]
    day = DAY + timedelta(days=ride["service_day_offset"])
    assert feed.runs_on(feed.trips[trip_id]["service_id"], day)
    rows = feed.stop_times[trip_id]
    ids = [stop for stop, _, _ in rows]
    board = ids.index(_raw_id(ride["from_stop_id"]))
    alight = ids.index(_raw_id(ride["to_stop_id"]), board + 1)
    shift = 86_400 * ride["service_day_offset"]
    assert _seconds_of(ride["departure"], DAY) == rows[board][2] + shift
    assert _seconds_of(ride["arrival"], DAY) == rows[alight][1] + shift
    between = [_raw_id(s["stop_id"]) for s in ride["intermediate_stops"]]
    assert between == ids[board + 1 : alight]
    route = feed.trips[trip_id]["route_id"]
    assert ride["route_id"] == f"{feed_key}:{route}"
    # CobbLinc is flagged estimated (timepoint=0): answers must say so.
    estimated = any(w["code"] == "transit_estimated_timetable" for w in ride["warnings"])
    assert estimated == (feed_key == "cobblinc_bus_30_only")


def test_street_only_journey_is_always_a_candidate(atlanta):
    router, tt = atlanta
    a, _b = _stop_points(router, tt, "default", 1, seed=2)[0]
    near = (a[0] + 0.002, a[1])  # ~220 m: walking wins over any bus
    answer = _plan(router, tt, a, near, "default")
    assert answer["itineraries"][0]["kind"] == "street"
    street = router.route(a, near, "default")["routes"][0]
    assert answer["itineraries"][0]["legs"][0]["segments"] == street["segments"]


def test_depart_outside_service_dates_is_422_with_dates(atlanta):
    router, tt = atlanta
    a, b = _stop_points(router, tt, "default", 1, seed=3)[0]
    with pytest.raises(RoutingError) as raised:
        journeys.plan_journeys(router, tt, a, b, "default", depart_at=datetime(2030, 1, 1, 8))
    assert routing_status(raised.value) == 422
    first, last = (d.isoformat() for d in tt.service_dates())
    assert raised.value.details["service_first_date"] == first
    assert raised.value.details["service_last_date"] == last


# -- HTTP -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(atlanta):
    from web.app import create_app

    app = create_app(router=atlanta[0], config={"TESTING": True, "JOL_RATE_LIMITS": {}})
    return app.test_client()


def test_plan_endpoint_answers_itineraries_and_health_lists_feeds(client, atlanta):
    router, tt = atlanta
    a, b = _stop_points(router, tt, "wheelchair_manual", 1, seed=8)[0]
    body = {
        "from": {"lat": a[0], "lon": a[1]},
        "to": {"lat": b[0], "lon": b[1]},
        "profile": "wheelchair_manual",
        "depart_at": "2021-10-05T08:00",
        "max_itineraries": 2,
    }
    answer = client.post("/api/v1/plan", json=body)
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert 1 <= len(data["itineraries"]) <= 2
    first = data["itineraries"][0]
    assert {"departure", "arrival", "duration_s", "transfers", "walk_m", "legs"} <= set(first)
    assert first["departure"].endswith("-04:00")  # naive depart_at is the agency's local time
    feeds = client.get("/api/v1/health").get_json()["data"]["transit_feeds"]
    assert {f["key"] for f in feeds} == {"marta_bus_856_only", "cobblinc_bus_30_only"}
    assert all(f["service_first_date"] and f["service_last_date"] for f in feeds)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"arrive_by": "2021-10-05T09:00"}, 400, "arrive_by"),
        ({"max_itineraries": 99}, 400, "max_itineraries"),
        ({"depart_at": "yesterday"}, 400, "depart_at"),
        ({"depart_at": "2030-01-01T08:00"}, 422, "depart_at"),
        ({"profile": "nobody"}, 400, None),
    ],
)
def test_plan_endpoint_refuses_bad_input_in_the_common_format(client, change, status, field):
    body = {
        "from": {"lat": 33.7525, "lon": -84.48},
        "to": {"lat": 33.75, "lon": -84.47},
        "profile": "default",
        "depart_at": "2021-10-05T08:00",
    } | change
    answer = client.post("/api/v1/plan", json=body)
    assert answer.status_code == status
    error = answer.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    if field:
        assert error["details"]["field"] == field


# -- Almaty, Caltrain, the CLI ------------------------------------------------------------


@pytest.fixture(scope="module")
def almaty_plan(almaty) -> tuple[Router, Timetable]:
    feeds = load_city("almaty").files("gtfs")
    code, report = build_for_cli(feeds, almaty.graph.directory, force=False, progress=print)
    assert code == 0, report
    return almaty, Timetable.load(almaty.graph.directory)


def test_almaty_wheelchair_plans_avoid_refused_stops_and_say_times_are_estimated(almaty_plan):
    from tests.transit_fixtures import ALMATY

    router, tt = almaty_plan
    refused = {
        r["stop_id"] for r in raw_rows(ALMATY, "stops.txt") if r["wheelchair_boarding"] == "2"
    }
    assert refused  # the feed marks a few stops not accessible
    rides = 0
    for a, b in _stop_points(router, tt, "wheelchair_manual", 12, seed=31):
        when = datetime(2026, 5, 4, 8)
        try:
            answer = journeys.plan_journeys(router, tt, a, b, "wheelchair_manual", depart_at=when)
        except RoutingError:
            continue
        for leg in _rides(answer):
            rides += 1
            assert _raw_id(leg["from_stop_id"]) not in refused
            assert _raw_id(leg["to_stop_id"]) not in refused
            codes = {w["code"] for w in leg["warnings"]}
            assert "transit_estimated_timetable" in codes  # PROVENANCE: bus times are assumed
            assert leg["wheelchair_accessible"] == "unknown"
            assert "transit_low_floor_unknown" in codes  # OTP's rule: boardable, with a warning
    assert rides


def test_caltrain_wheelchair_filter_inherits_the_parent_and_avoid_drops_unknown(tmp_path):
    from tests.transit_fixtures import CALTRAIN

    stops = raw_rows(CALTRAIN, "stops.txt")
    for row in stops:
        if row["stop_id"] == "70012":  # unknown under a parent saying 2: inherits 2
            row["parent_station"], row["wheelchair_boarding"] = "sf-parent", "0"
    parent = next(r for r in stops if r["stop_id"] == "70012")
    stops.append(parent | {"stop_id": "sf-parent", "location_type": "1", "parent_station": ""})
    stops[-1]["wheelchair_boarding"] = "2"
    feed = rewrite_zip(CALTRAIN, tmp_path / "ct.zip", {"stops.txt": to_csv(stops)})
    tt = timetable((feed, "ct"))
    everywhere = np.ones(tt.n_stops, dtype=bool)
    wheelchair = PROFILES["wheelchair_manual"].params
    chair = journeys.boarding_filter(tt, wheelchair, everywhere)
    walker = journeys.boarding_filter(tt, PROFILES["default"].params, everywhere)
    platform = tt.stop_index("ct:70012")
    assert not chair.stop_allowed[platform] and walker.stop_allowed[platform]
    refused = [r["stop_id"] for r in stops if r["wheelchair_boarding"] == "2"]
    assert not any(chair.stop_allowed[tt.stop_index(f"ct:{s}")] for s in refused)
    avoid = journeys.boarding_filter(
        tt, wheelchair | {"unknown_transit_access": "avoid"}, everywhere
    )
    assert not avoid.stop_allowed[tt.stop_wheelchair == 0].any()
    assert chair.board_slack_s == wheelchair["transit_board_s"] > walker.board_slack_s


def test_jol_plan_prints_the_api_answer(atlanta):
    import json
    import subprocess
    import sys

    router, tt = atlanta
    a, b = _stop_points(router, tt, "default", 1, seed=8)[0]
    run = subprocess.run(
        [
            *(sys.executable, "-m", "cli", "plan", "--graph", str(router.graph.directory)),
            *("--from", f"{a[0]},{a[1]}", "--to", f"{b[0]},{b[1]}", "--profile", "default"),
            *("--depart-at", "2021-10-05T08:00"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=settings.REPO_ROOT,
    )
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    direct = _plan(router, tt, a, b, "default")
    assert printed["itineraries"] == json.loads(json.dumps(direct["itineraries"]))


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_plan_rides_are_spoken_from_the_catalogues(client, atlanta, lang):
    import messages

    router, tt = atlanta
    said = 0
    for a, b in _stop_points(router, tt, "wheelchair_manual", 6, seed=13):
        body = {
            "from": {"lat": a[0], "lon": a[1]},
            "to": {"lat": b[0], "lon": b[1]},
            "profile": "wheelchair_manual",
            "depart_at": "2021-10-05T08:00",
            "lang": lang,
        }
        answer = client.post("/api/v1/plan", json=body)
        if answer.status_code != 200:
            continue
        for leg in _rides(answer.get_json()):
            board, ride = leg["maneuvers"]
            low_floor = messages.say(lang, "dir_ramp_unknown")  # neither feed says
            assert board["text"] == messages.say(
                lang,
                "dir_transit_board",
                route=leg["route_short_name"] or leg["route_id"],
                headsign=leg["headsign"] or leg["to_stop_name"],
                low_floor=low_floor,
            )
            stops = messages.say(lang, "dir_stops", n=len(leg["intermediate_stops"]) + 1)
            assert ride["text"] == messages.say(
                lang, "dir_transit_ride", stops=stops, stop=leg["to_stop_name"]
            )
            said += 1
    assert said


def test_plan_is_rate_limited_with_the_route_bucket(atlanta):
    from web.app import create_app

    router, tt = atlanta
    app = create_app(
        router=router, config={"TESTING": True, "JOL_RATE_LIMITS": {"route": (1, 0.001)}}
    )
    client = app.test_client()
    a, b = _stop_points(router, tt, "default", 1, seed=8)[0]
    body = {
        "from": {"lat": a[0], "lon": a[1]},
        "to": {"lat": b[0], "lon": b[1]},
        "profile": "default",
        "depart_at": "2021-10-05T08:00",
    }
    statuses = [client.post("/api/v1/plan", json=body).status_code for _ in range(2)]
    assert statuses == [200, 429]


def test_arrive_by_itineraries_arrive_in_time_latest_departure_first(atlanta):
    router, tt = atlanta
    deadline = datetime(2021, 10, 5, 10, 0)
    checked = 0
    for a, b in _stop_points(router, tt, "default", 8, seed=17):
        try:
            answer = journeys.plan_journeys(router, tt, a, b, "default", arrive_by=deadline)
        except RoutingError:
            continue
        transit = [i for i in answer["itineraries"] if i["kind"] == "transit"]
        for itinerary in answer["itineraries"]:
            arrival = datetime.fromisoformat(itinerary["arrival"])
            assert arrival.replace(tzinfo=None) <= deadline
            checked += 1
        departures = [i["departure"] for i in transit]
        assert departures == sorted(departures, reverse=True)
    assert checked
