"""Invataxi dispatch (issue 15) on the real Almaty drive graph: matrices, kerbside
points, one-way streets, turn restrictions, assignment, shift plans and API keys.

Every expectation is computed from the compiled graph or the real router; the
restriction and one-way cases are found in the 2012 OSM extract, not invented.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck

from graph_build.drive import NO_STOP_CLASSES, read_restrictions
from jol import settings
from jol.cities import load_city
from routing.errors import RoutingError
from routing.taxi.drive import DrivePoint
from routing.taxi.kerb import kerbside
from routing.taxi.service import Taxi
from web.app import create_app
from web.errors import routing_status

pytest_plugins = ["web_fixtures"]

CENTRE = [
    (43.2548, 76.9449),
    (43.2449, 76.9499),
    (43.2380, 76.9120),
    (43.2610, 76.9300),
    (43.2220, 76.8600),
    (43.2700, 76.9600),
]
OUTSIDE = (50.0, 50.0)
DISPATCHER, INSPECTOR = "dispatcher-key-0123456789", "inspector-key-0123456789"


@pytest.fixture(scope="module")
def taxi(almaty: Any) -> Taxi:
    found = Taxi.load(settings.default_graph_dir(), almaty)
    assert found is not None, "jol build must compile the drive graph"
    return found


def _loc(points: list[tuple[float, float]]) -> list[dict]:
    return [{"lat": lat, "lon": lon} for lat, lon in points]


def test_matrix_diagonal_is_zero_and_agrees_with_single_rides(taxi: Taxi) -> None:
    answer = taxi.matrix({"locations": _loc(CENTRE)})
    durations, distances = np.array(answer["durations"], float), answer["distances"]
    assert np.all(np.diag(durations) == 0)
    points = [taxi.drive.snap(*p) for p in CENTRE]
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            ride = taxi.drive.ride(a, b, -1)
            assert ride is not None
            assert durations[i, j] == pytest.approx(ride.duration_s, abs=0.2)
            assert distances[i][j] == pytest.approx(ride.distance_m, abs=0.5)
    assert (durations[~np.eye(len(CENTRE), dtype=bool)] > 0).all()


def test_estimate_pickup_eta_is_the_matrix_value(taxi: Taxi) -> None:
    vehicle = {"id": "v1", "lat": 43.2610, "lon": 76.9300, "equipment": ["ramp"]}
    answer = taxi.estimate(
        {"pickup": _loc([CENTRE[0]])[0], "dropoff": _loc([CENTRE[1]])[0], "vehicles": [vehicle]}
    )
    pickup = kerbside(
        taxi.drive,
        taxi.stoppable,
        taxi.router,
        CENTRE[0],
        "wheelchair_manual",
        field="pickup",
        leaving=True,
    ).point
    assert answer["pickup"]["kerb"] == pickup.to_dict()
    start = taxi.drive.snap(vehicle["lat"], vehicle["lon"])
    eta = taxi.drive.matrix([start], [pickup], -1)[0, 0]
    got = answer["vehicles"][0]
    assert got["pickup_eta_s"] == pytest.approx(eta, abs=0.2)
    total = max(got["pickup_eta_s"], got["roll_to_kerb_s"]) + got["board_s"] + got["ride_s"]
    assert got["door_to_door_s"] == pytest.approx(
        total + got["alight_s"] + got["roll_from_kerb_s"], abs=0.2
    )
    assert len(answer["ride"]["geometry"]["coordinates"]) >= 2


def _forbidden(taxi: Taxi, edge: int) -> bool:
    cls = taxi.drive.classes[taxi.drive.a["edge_class"][edge]]
    return cls in NO_STOP_CLASSES or bool(taxi.drive.a["edge_flags"][edge])


def test_kerbside_point_is_never_on_trunk_motorway_tunnel_or_bridge(taxi: Taxi) -> None:
    forbidden = [
        e
        for e in range(taxi.drive.edge_count)
        if _forbidden(taxi, e) and taxi.drive.a["edge_main"][e]
    ]
    assert len(forbidden) > 20, "Almaty has trunk roads and bridges to stand beside"
    doors = [taxi.drive.coords(e)[len(taxi.drive.coords(e)) // 2] for e in forbidden[::7][:25]]
    kerbs = 0
    for lon, lat in doors:
        try:
            kerb = kerbside(
                taxi.drive,
                taxi.stoppable,
                taxi.router,
                (lat, lon),
                "wheelchair_manual",
                field="pickup",
                leaving=True,
            )
        except Exception as exc:  # refused: nowhere reachable to stop is an answer too
            assert getattr(exc, "code", None) == "no_kerbside"
            continue
        kerbs += 1
        assert not _forbidden(taxi, kerb.point.edge)
    assert kerbs > 5


def test_one_way_street_forces_a_loop(taxi: Taxi) -> None:
    d = taxi.drive
    one_way = [
        e
        for e in range(d.edge_count)
        if d.reverse[e] < 0
        and d.a["edge_main"][e]
        and d.a["edge_length_m"][e] > 150
        and not _forbidden(taxi, e)
    ]
    assert one_way, "the 2012 extract maps one-way streets"
    edge = one_way[0]
    a, b = DrivePoint(edge, 0.2, 0, 0, 0), DrivePoint(edge, 0.8, 0, 0, 0)
    forward, backward = d.ride(a, b, -1), d.ride(b, a, -1)
    assert forward is not None and backward is not None
    assert forward.pieces == [edge]
    assert backward.distance_m > 0.6 * d.a["edge_length_m"][edge]
    assert backward.duration_s > forward.duration_s
    table = d.matrix([a, b], [a, b], -1)
    assert table[0, 1] == pytest.approx(forward.duration_s, abs=0.2)
    assert table[1, 0] == pytest.approx(backward.duration_s, abs=0.2)


def test_tagged_turn_restriction_is_obeyed(taxi: Taxi) -> None:
    d = taxi.drive
    osm = load_city(settings.DEFAULT_CITY).files("osm")[0]
    ways, ends = d.a["edge_osm_way_id"], d.a["edge_u"]
    node_osm = d.a["node_osm_id"]
    banned_taken = 0
    checked = 0
    for kind, from_way, via, to_way in read_restrictions(osm):
        if not kind.startswith("no_") or from_way == to_way:
            continue
        via_nodes = np.flatnonzero(node_osm == via)
        if not len(via_nodes):
            continue
        into = np.flatnonzero((ways == from_way) & (d.a["edge_v"] == via_nodes[0]))
        out = np.flatnonzero((ways == to_way) & (ends == via_nodes[0]))
        for e in into:
            for f in out:
                a, b = DrivePoint(int(e), 0.5, 0, 0, 0), DrivePoint(int(f), 0.5, 0, 0, 0)
                ride = d.ride(a, b, -1)
                if ride is None:
                    continue
                checked += 1
                turns = list(zip(ride.pieces, ride.pieces[1:], strict=False))
                banned_taken += (int(e), int(f)) in turns
                seconds = d.edge_seconds(-1)
                direct = 0.5 * seconds[e] + 0.5 * seconds[f]
                assert ride.duration_s > direct + 1.0  # the banned turn would have been quicker
    assert checked >= 5
    assert banned_taken == 0


def test_only_turn_restrictions_leave_one_way_on(taxi: Taxi) -> None:
    d = taxi.drive
    ways, node_osm = d.a["edge_osm_way_id"], d.a["node_osm_id"]
    checked = 0
    for kind, from_way, via, to_way in read_restrictions(
        load_city(settings.DEFAULT_CITY).files("osm")[0]
    ):
        via_nodes = np.flatnonzero(node_osm == via)
        if not kind.startswith("only_") or not len(via_nodes):
            continue
        for e in np.flatnonzero((ways == from_way) & (d.a["edge_v"] == via_nodes[0])):
            onward = d.a["turn_to"][d.a["turn_from"] == e]
            leaving = np.flatnonzero(d.a["edge_u"] == via_nodes[0])
            if not np.isin(ways[leaving], [to_way]).any():
                continue  # the "to" way was cut off by the extract or is not drivable
            checked += 1
            assert set(ways[onward].tolist()) <= {to_way}, (kind, from_way, via, to_way)
    assert checked >= 10


def test_unreachable_locations_are_null_not_errors(taxi: Taxi) -> None:
    answer = taxi.matrix({"locations": _loc([CENTRE[0], OUTSIDE])})
    assert answer["snapped"][1] is None
    assert answer["durations"][0][1] is None and answer["durations"][1][0] is None
    assert answer["durations"][0][0] == 0.0


def test_assign_never_gives_a_lift_request_to_a_vehicle_without_a_lift(taxi: Taxi) -> None:
    vehicles = [
        {"id": f"r{i}", "lat": lat, "lon": lon, "equipment": ["ramp"]}
        for i, (lat, lon) in enumerate(CENTRE[:4])
    ]
    vehicles.append({"id": "lift", "lat": 43.2220, "lon": 76.8600, "equipment": ["lift"]})
    requests = [
        {"id": "q1", "pickup": _loc([CENTRE[5]])[0], "equipment": ["lift"]},
        {"id": "q2", "pickup": _loc([CENTRE[5]])[0], "equipment": ["ramp"]},
    ]
    answer = taxi.assign({"vehicles": vehicles, "requests": requests})
    lift, ramp = answer["requests"]
    assert [v["vehicle"] for v in lift["vehicles"]] == ["lift"]
    etas = [v["pickup_eta_s"] for v in ramp["vehicles"]]
    assert len(etas) == 5 and etas == sorted(etas)


def _shift(n_bookings: int, n_vehicles: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)

    def spot() -> dict:
        return {"lat": float(rng.uniform(43.22, 43.27)), "lon": float(rng.uniform(76.88, 76.96))}

    vehicles = [
        {
            "id": f"v{i}",
            "start": spot(),
            "shift": [7 * 3600, 19 * 3600],
            "capacity": 2,
            "equipment": ["lift"] if i % 3 == 0 else ["ramp"],
        }
        for i in range(n_vehicles)
    ]
    bookings = []
    for i in range(n_bookings):
        start = int(rng.integers(8 * 3600, 17 * 3600))
        bookings.append(
            {
                "id": f"b{i}",
                "pickup": spot(),
                "dropoff": spot(),
                "window": [start, start + 1800],
                "passengers": 1,
                "equipment": ["lift"] if i % 4 == 0 else ["ramp"],
            }
        )
    return {"vehicles": vehicles, "bookings": bookings}


def test_plan_respects_lifts_and_time_windows(taxi: Taxi) -> None:
    body = _shift(16, 4)
    body["bookings"].append({**body["bookings"][0], "id": "crowd", "passengers": 9})
    answer = taxi.plan(body)
    bookings = {b["id"]: b for b in body["bookings"]}
    vehicles = {v["id"]: v for v in body["vehicles"]}
    served = 0
    for route in answer["vehicles"]:
        low, high = vehicles[route["id"]]["shift"]
        assert all(low <= stop["arrival_s"] <= high for stop in route["stops"])
        loads = [stop["load"] for stop in route["stops"] if "load" in stop]
        assert max(loads) <= vehicles[route["id"]]["capacity"]
        for stop in route["stops"]:
            if stop["type"] != "pickup":
                continue
            served += 1
            booking = bookings[stop["booking"]]
            if "lift" in booking["equipment"]:
                assert "lift" in vehicles[route["id"]]["equipment"]
            low, high = booking["window"]
            assert low <= stop["service_start_s"] <= high
    assert served >= 10
    reasons = {u["id"]: u["reason"] for u in answer["unserved"]}
    assert reasons["crowd"] == "too_many_passengers"


def test_plan_without_a_lift_vehicle_leaves_lift_bookings_unserved(taxi: Taxi) -> None:
    body = _shift(6, 2, seed=3)
    for vehicle in body["vehicles"]:
        vehicle["equipment"] = ["ramp"]
    answer = taxi.plan(body)
    lift_ids = {b["id"] for b in body["bookings"] if "lift" in b["equipment"]}
    planned = {s.get("booking") for r in answer["vehicles"] for s in r["stops"]}
    assert lift_ids and not lift_ids & planned
    assert {
        u["id"]: u["reason"] for u in answer["unserved"] if u["id"] in lift_ids
    } == dict.fromkeys(lift_ids, "no_vehicle_with_equipment")


@pytest.fixture(scope="module")
def keyed_client(almaty: Any) -> Any:
    keys = f"dispatcher:{DISPATCHER},inspector:{INSPECTOR}"
    config = {"JOL_API_KEYS": keys, "JOL_RATE_LIMITS": {}, "JOL_PAGE_TAXI": "on"}
    app = create_app(almaty, config=config)
    return app.test_client()


MATRIX = {"locations": _loc(CENTRE[:2])}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"X-API-Key": "x" * 24}, 401, "unauthorized"),
        ({"X-API-Key": INSPECTOR}, 403, "forbidden"),
    ],
)
def test_keys_and_roles_are_enforced(keyed_client: Any, headers: dict, status: int, code: str):
    for question in ("estimate", "matrix", "assign", "plan"):
        got = keyed_client.post(f"/api/v1/taxi/{question}", json=MATRIX, headers=headers)
        assert got.status_code == status
        assert got.get_json()["error"]["code"] == code


def test_dispatcher_key_answers_and_big_matrices_are_413(keyed_client: Any) -> None:
    ok = keyed_client.post("/api/v1/taxi/matrix", json=MATRIX, headers={"X-API-Key": DISPATCHER})
    assert ok.status_code == 200 and ok.get_json()["durations"][0][0] == 0.0
    big = {"locations": _loc([CENTRE[0]] * 501), "annotations": ["duration"]}
    got = keyed_client.post("/api/v1/taxi/matrix", json=big, headers={"X-API-Key": DISPATCHER})
    assert got.status_code == 413
    assert got.get_json()["error"]["details"]["max_cells"] == 500 * 500
    bad = keyed_client.post(
        "/api/v1/taxi/estimate", json={"pickup": {}}, headers={"X-API-Key": DISPATCHER}
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_request"


def test_without_keys_the_endpoints_are_off(client: Any) -> None:
    got = client.post("/api/v1/taxi/matrix", json=MATRIX, headers={"X-API-Key": DISPATCHER})
    assert got.status_code == 503
    assert got.get_json()["error"]["code"] == "taxi_disabled"


@pytest.fixture()
def taxi_schema(keyed_client: Any) -> Any:
    """The served document's dispatch operations, bound to the keyed app."""
    from test_fuzz_api import _bounded

    spec = keyed_client.get("/openapi.json").get_json()
    spec["paths"] = {p: v for p, v in spec["paths"].items() if p.startswith("/api/v1/taxi/")}
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = keyed_client.application
    return _bounded(schema)


fuzzed = schemathesis.pytest.from_fixture("taxi_schema")


@fuzzed.parametrize()
@hypothesis.settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_dispatch_endpoints_never_answer_a_server_error(case: Any) -> None:
    from test_fuzz_api import _error_body_problems

    case.headers = {**(case.headers or {}), "X-API-Key": DISPATCHER}
    response = case.call()
    sent = f"{case.method} {case.formatted_path} body={case.body!r:.300}"
    assert response.status_code < 500, f"{response.status_code} for {sent}: {response.text[:300]}"
    if response.status_code >= 400:
        assert _error_body_problems(response) == [], sent


def test_rush_hour_is_slower_than_the_night(taxi: Taxi) -> None:
    body = {"locations": _loc(CENTRE[:3]), "annotations": ["duration"]}
    night = np.array(taxi.matrix({**body, "depart_at": "2026-12-08T03:00"})["durations"])
    rush = np.array(taxi.matrix({**body, "depart_at": "2026-12-08T08:15"})["durations"])
    off = ~np.eye(3, dtype=bool)
    assert (rush[off] > night[off]).all()
    assert np.array_equal(night, np.array(taxi.matrix(body)["durations"]))


def test_a_kerb_the_passenger_cannot_reach_is_refused_for_the_next(taxi: Taxi) -> None:
    rng = np.random.default_rng(15)
    profile, overrides = "wheelchair_manual", {"max_incline_up_pct": 2, "max_incline_down_pct": 2}
    for _ in range(300):
        door = (float(rng.uniform(43.22, 43.27)), float(rng.uniform(76.88, 76.96)))
        try:
            kerb = kerbside(taxi.drive, taxi.stoppable, taxi.router, door, profile,
                            field="pickup", leaving=True, overrides=overrides)  # fmt: skip
        except RoutingError:
            continue
        if kerb.refused == 0:
            continue
        nearer = taxi.drive.candidates(*door, taxi.stoppable, 400.0, 8)[0]
        assert nearer.distance_m <= kerb.point.distance_m
        with pytest.raises(RoutingError):
            taxi.router.route(door, (nearer.lat, nearer.lon), profile, overrides)
        return
    pytest.fail("no door among 300 in central Almaty had an unreachable nearest kerb")


def test_big_matrices_answer_durations_only_unless_distances_are_asked(taxi: Taxi) -> None:
    locations = _loc([CENTRE[i % len(CENTRE)] for i in range(101)])
    answer = taxi.matrix({"locations": locations})
    assert answer["annotations"] == ["duration"] and "distances" not in answer
    with pytest.raises(RoutingError) as refused:
        taxi.matrix({"locations": locations, "annotations": ["duration", "distance"]})
    assert routing_status(refused.value) == 413


def test_the_pages_trip_needs_no_key_and_only_the_option(keyed_client: Any, client: Any) -> None:
    trip = {"from": MATRIX["locations"][0], "to": MATRIX["locations"][1]}
    answer = keyed_client.post("/api/v1/taxi/trip", json=trip).get_json()
    parts = ("roll_to_kerb_s", "board_s", "ride_s", "alight_s", "roll_from_kerb_s")
    assert answer["door_to_door_s"] == pytest.approx(sum(answer[k] for k in parts), abs=0.3)
    assert answer["waiting_included"] is False
    off = client.post("/api/v1/taxi/trip", json=trip)
    assert off.status_code == 503 and off.get_json()["error"]["code"] == "taxi_disabled"


def test_a_malformed_key_list_is_refused_without_echoing_a_key() -> None:
    from web.taxi import parse_keys

    secret = "s3cret-value-0123456789"
    assert parse_keys(f" dispatcher:{secret} , inspector:{INSPECTOR}") == [
        ("dispatcher", secret),
        ("inspector", INSPECTOR),
    ]
    for text in (f"admin:{secret}", f"dispatcher{secret}", "dispatcher:short"):
        with pytest.raises(ValueError) as refused:
            parse_keys(text)
        assert secret not in str(refused.value) and "short" not in str(refused.value)


def test_jol_taxi_reads_and_writes_the_api_json(
    taxi: Taxi, tmp_path: Any, capsys: pytest.CaptureFixture
) -> None:
    import json

    from cli.main import main

    request = tmp_path / "matrix.json"
    request.write_text(json.dumps(MATRIX))
    assert main(["taxi", "matrix", str(request)]) == 0
    assert json.loads(capsys.readouterr().out) == taxi.matrix(MATRIX)
    request.write_text(json.dumps({"locations": []}))
    assert main(["taxi", "matrix", str(request)]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "invalid_request"


def test_more_than_500_x_500_cells_is_413_even_with_many_locations(taxi: Taxi) -> None:
    locations = _loc([CENTRE[i % len(CENTRE)] for i in range(1200)])
    with pytest.raises(RoutingError) as refused:
        taxi.matrix({"locations": locations})
    assert routing_status(refused.value) == 413
    few = taxi.matrix({"locations": locations, "sources": [0, 1], "destinations": [2, 3]})
    assert len(few["durations"]) == 2 and len(few["durations"][0]) == 2


@pytest.mark.parametrize("change", ["reversed_shift", "reversed_window", "duplicate_booking"])
def test_plan_refuses_reversed_windows_and_duplicate_ids(taxi: Taxi, change: str) -> None:
    body = _shift(2, 1)
    if change == "reversed_shift":
        body["vehicles"][0]["shift"] = [5000, 100]
    elif change == "reversed_window":
        body["bookings"][1]["window"] = [5000, 100]
    else:
        body["bookings"][1]["id"] = body["bookings"][0]["id"]
    with pytest.raises(RoutingError) as refused:
        taxi.plan(body)
    assert refused.value.code == "invalid_request" and routing_status(refused.value) == 400


def test_a_door_is_served_from_the_kerb_on_its_side_of_a_two_way_street(taxi: Taxi) -> None:
    d = taxi.drive
    two_way = [e for e in range(d.edge_count)
               if d.reverse[e] >= 0 and d.stoppable()[e] and len(d.coords(e)) == 2
               and d.a["edge_length_m"][e] > 200]  # fmt: skip
    assert two_way
    for edge in two_way[:10]:
        (lon0, lat0), (lon1, lat1) = d.coords(edge)
        lat, lon = (lat0 + lat1) / 2, (lon0 + lon1) / 2
        # 8 m to the right and to the left of the direction of travel (x east, y north).
        east, north = (lon1 - lon0) * np.cos(np.radians(lat)), lat1 - lat0
        norm = np.hypot(east, north) / (8 / 111_195)
        right = (lat - east / norm, lon + north / norm / np.cos(np.radians(lat)))
        left = (lat + east / norm, lon - north / norm / np.cos(np.radians(lat)))
        near = d.candidates(*right, d.stoppable(), 20.0, 1)
        far = d.candidates(*left, d.stoppable(), 20.0, 1)
        if not near or not far or {near[0].edge, far[0].edge} - {edge, int(d.reverse[edge])}:
            continue  # another street is nearer than this one
        assert near[0].edge == edge and far[0].edge == d.reverse[edge]
        return
    pytest.fail("no straight two-way street found to stand beside")


TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="jol-test">
 <node id="1" lat="43.25" lon="76.94" version="1" timestamp="2012-03-01T00:00:00Z"/>
 <node id="2" lat="43.251" lon="76.941" version="1" timestamp="2012-03-01T00:00:00Z"/>
 <way id="10" version="1" timestamp="2012-03-01T00:00:00Z"><nd ref="1"/><nd ref="2"/>
  <tag k="highway" v="footway"/></way>
</osm>
"""


def test_an_extract_without_roads_builds_and_dispatch_says_unavailable(tmp_path: Any) -> None:
    """A footpath-only extract crashed RoutingKit's ordering of an empty drive graph."""
    from graph_build.build import build_street_artifact
    from routing.service import Router

    osm = tmp_path / "paths.osm"
    osm.write_text(TINY_OSM)
    manifest = build_street_artifact(osm, tmp_path / "out", progress=lambda _: None)
    assert manifest["drive"]["edges"] == 0
    router = Router.load(tmp_path / "out")
    assert Taxi.load(tmp_path / "out", router) is None
    app = create_app(router, config={"JOL_API_KEYS": f"dispatcher:{DISPATCHER}"})
    got = app.test_client().post(
        "/api/v1/taxi/matrix", json=MATRIX, headers={"X-API-Key": DISPATCHER}
    )
    assert got.status_code == 503 and got.get_json()["error"]["code"] == "unavailable"
