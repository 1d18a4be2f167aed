"""HTTP API on the real compiled Almaty graph: answers, errors and the OpenAPI document.

Every JSON answer is validated against the schema `/openapi.json` itself
publishes, so the document cannot drift from what the service really sends.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import numpy as np
import pytest
from openapi_spec_validator import validate as validate_openapi
from web_fixtures import ALMATY_FROM, ALMATY_TO, STEEP_FROM, STEEP_OVERRIDES, STEEP_TO

from jol import settings

# tests/ is on sys.path under pytest's default (prepend) import mode.
pytest_plugins = ["web_fixtures"]

GPX = "{http://www.topografix.com/GPX/1/1}"


@pytest.fixture(scope="module")
def spec(web_app: Any) -> dict:
    response = web_app.test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _check(spec: dict, name: str, body: Any) -> None:
    """Validate `body` against components/schemas/`name` of the served document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def _route_body(**changes: Any) -> dict:
    body = {
        "from": {"lat": ALMATY_FROM[0], "lon": ALMATY_FROM[1]},
        "to": {"lat": ALMATY_TO[0], "lon": ALMATY_TO[1]},
        "profile": _wheelchair_name(),
    }
    body.update(changes)
    return body


_WHEELCHAIR: list[str] = []


def _wheelchair_name() -> str:
    return _WHEELCHAIR[0]


@pytest.fixture(autouse=True, scope="module")
def _pick_wheelchair_profile(router: Any) -> None:
    names = [p["name"] for p in router.profiles()]
    wheelchair = [n for n in names if n.startswith("wheelchair")]
    assert wheelchair, f"no wheelchair profile among {names}"
    _WHEELCHAIR[:] = [sorted(wheelchair)[0]]


def _error(response: Any, status: int, code: str, spec: dict) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    _check(spec, "Error", body)
    assert body["error"]["code"] == code
    return body["error"]


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


# ---------- the OpenAPI document ----------


def test_openapi_document_is_valid_openapi_3_1(spec: dict) -> None:
    assert spec["openapi"].startswith("3.1")
    validate_openapi(spec)


def test_openapi_describes_every_api_endpoint(web_app: Any, spec: dict) -> None:
    served = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in web_app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/openapi.json"
    }
    assert served == set(spec["paths"])
    for path, item in spec["paths"].items():
        rule_methods = {
            m.lower()
            for rule in web_app.url_map.iter_rules()
            if rule.rule == path
            for m in rule.methods - {"HEAD", "OPTIONS"}
        }
        assert rule_methods == set(item), path


def test_openapi_overrides_schema_comes_from_the_router(router: Any, spec: dict) -> None:
    assert spec["components"]["schemas"]["Overrides"] == router.profile_schema()


# ---------- health, profiles ----------


def test_health_reports_the_loaded_graph(client: Any, router: Any, spec: dict) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    _check(spec, "Health", body)
    assert body["data"]["nodes"] == len(router.graph.node_lat)
    assert body["data"]["edges"] == len(router.graph.edge_u)
    inputs = body["data"]["inputs"]
    recorded = router.graph.manifest["inputs"]
    assert [i["file"] for i in inputs] == [r["path"].rsplit("/", 1)[-1] for r in recorded]
    assert all("/" not in i["file"] for i in inputs)  # no server folders in a public answer
    min_lon, min_lat, max_lon, max_lat = body["data"]["bbox"]
    assert min_lon < ALMATY_FROM[1] < max_lon and min_lat < ALMATY_FROM[0] < max_lat


def test_profiles_list_every_profile_with_the_overrides_schema(
    client: Any, router: Any, spec: dict
) -> None:
    response = client.get("/api/v1/profiles")
    assert response.status_code == 200
    body = response.get_json()
    _check(spec, "ProfilesAnswer", body)
    names = [p["name"] for p in body["profiles"]]
    assert len(names) == len(set(names)) == len(router.profiles())
    for profile in body["profiles"]:
        assert {"en", "ru", "kk"} <= set(profile["title"])


# ---------- routes ----------


@pytest.fixture(scope="module")
def wheelchair_answer(web_app: Any, spec: dict) -> dict:
    response = web_app.test_client().post("/api/v1/route", json=_route_body())
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    _check(spec, "RouteAnswer", body)
    return body


def test_route_answer_is_consistent(wheelchair_answer: dict) -> None:
    route = wheelchair_answer["routes"][0]
    coords = route["geometry"]["coordinates"]
    assert len(coords) >= 2
    seg_total = sum(s["length_m"] for s in route["segments"])
    assert seg_total == pytest.approx(route["distance_m"], rel=0.02, abs=1.0)
    snap = wheelchair_answer["snap"]
    start = (snap["from"]["lat"], snap["from"]["lon"])
    end = (snap["to"]["lat"], snap["to"]["lon"])
    # A street route can never be shorter than the straight line between its ends.
    assert route["distance_m"] >= _haversine_m(start, end) - 1.0
    assert _haversine_m(start, (coords[0][1], coords[0][0])) < 5.0
    assert _haversine_m(end, (coords[-1][1], coords[-1][0])) < 5.0
    for seg in route["segments"]:
        first, last = seg["coordinates_range"]
        assert 0 <= first <= last < len(coords)


def test_route_get_equals_post(client: Any, wheelchair_answer: dict) -> None:
    response = client.get(
        "/api/v1/route",
        query_string={
            "from": f"{ALMATY_FROM[0]},{ALMATY_FROM[1]}",
            "to": f"{ALMATY_TO[0]},{ALMATY_TO[1]}",
            "profile": _wheelchair_name(),
        },
    )
    assert response.status_code == 200
    assert response.get_json()["routes"] == wheelchair_answer["routes"]


def test_depart_time_gives_the_conditions_at_the_start(client: Any, spec: dict) -> None:
    body = _route_body(profile="low_vision", depart_at="2026-12-06T21:30")
    night = client.post("/api/v1/route", json=body)
    assert night.status_code == 200, night.get_data(as_text=True)
    answer = night.get_json()
    _check(spec, "RouteAnswer", answer)
    assert answer["conditions"]["depart_at"] == "2026-12-06T21:30:00+05:00"
    assert answer["conditions"]["daylight"] is False
    # An offset is honoured: 06:00 UTC is 11:00 in Almaty.
    body["depart_at"] = "2026-12-06T06:00:00+00:00"
    day = client.post("/api/v1/route", json=body).get_json()
    assert day["conditions"]["daylight"] is True
    # A download link carries the same time.
    query = {
        "from": f"{ALMATY_FROM[0]},{ALMATY_FROM[1]}",
        "to": f"{ALMATY_TO[0]},{ALMATY_TO[1]}",
        "profile": "low_vision",
        "depart_at": "2026-12-06T21:30",
    }
    got = client.get("/api/v1/route", query_string=query).get_json()
    assert got["conditions"] == answer["conditions"]
    geojson = client.get("/api/v1/route", query_string={**query, "format": "geojson"})
    line = next(f for f in geojson.get_json()["features"] if f["properties"]["kind"] == "route")
    assert line["properties"]["conditions"] == answer["conditions"]
    gpx = ET.fromstring(client.get("/api/v1/route", query_string={**query, "format": "gpx"}).data)
    assert gpx.find(f"{GPX}metadata/{GPX}time").text == "2026-12-06T16:30:00Z"
    # Times the sun formulas do not cover are refused, also at the edge of datetime's range.
    for far in ("1900-01-01T12:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00+05:00"):
        refused = client.post("/api/v1/route", json={**body, "depart_at": far})
        assert refused.status_code == 400, far
        assert refused.get_json()["error"]["details"]["field"] == "depart_at"


def test_route_geojson_download(client: Any, wheelchair_answer: dict, spec: dict) -> None:
    response = client.post("/api/v1/route?format=geojson", json=_route_body())
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert "attachment" in response.headers["Content-Disposition"]
    body = json.loads(response.get_data())
    _check(spec, "RouteGeoJSON", body)
    route = wheelchair_answer["routes"][0]
    kinds = [f["properties"]["kind"] for f in body["features"]]
    assert kinds.count("route") == len(wheelchair_answer["routes"])
    assert kinds.count("segment") == len(route["segments"])
    assert kinds.count("barrier") == sum(len(s.get("barriers", [])) for s in route["segments"])
    line = next(f for f in body["features"] if f["properties"]["kind"] == "route")
    assert line["geometry"]["coordinates"] == route["geometry"]["coordinates"]
    assert line["properties"]["distance_m"] == route["distance_m"]


def test_route_gpx_download(client: Any, wheelchair_answer: dict) -> None:
    response = client.post("/api/v1/route?format=gpx", json=_route_body())
    assert response.status_code == 200
    assert response.mimetype == "application/gpx+xml"
    assert "attachment" in response.headers["Content-Disposition"]
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{GPX}gpx" and root.get("version") == "1.1"
    route = wheelchair_answer["routes"][0]
    points = root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")
    assert len(points) == len(route["geometry"]["coordinates"])
    for point, (lon, lat) in zip(points, route["geometry"]["coordinates"], strict=True):
        assert float(point.get("lat")) == pytest.approx(lat, abs=1e-6)
        assert float(point.get("lon")) == pytest.approx(lon, abs=1e-6)
    barriers = sum(len(s.get("barriers", [])) for s in route["segments"])
    assert len(root.findall(f"{GPX}wpt")) == barriers


def test_overrides_reach_the_router(client: Any, spec: dict) -> None:
    response = client.post("/api/v1/route", json=_route_body(overrides={"speed_mps": 0.5}))
    slow = response.get_json()
    _check(spec, "RouteAnswer", slow)
    assert slow["overrides"] == {"speed_mps": 0.5}
    fast = client.post("/api/v1/route", json=_route_body(overrides={"speed_mps": 1.5})).get_json()
    assert slow["routes"][0]["duration_s"] > fast["routes"][0]["duration_s"]


def test_a_route_without_a_terrain_model_matches_the_schema(oslo: Any, spec: dict) -> None:
    """Oslo's extract has no DEM, so slopes are "unknown": the schema must allow it."""
    from web.app import create_app

    a = oslo.graph.arrays
    client = create_app(router=oslo).test_client()
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(10):
        u, v = (int(x) for x in rng.choice(oslo.graph.node_count, 2))
        body = {
            "from": {"lat": float(a["node_lat"][u]), "lon": float(a["node_lon"][u])},
            "to": {"lat": float(a["node_lat"][v]), "lon": float(a["node_lon"][v])},
            "profile": "default",
        }
        response = client.post("/api/v1/route", json=body)
        if response.status_code != 200:
            continue
        answer = response.get_json()
        _check(spec, "RouteAnswer", answer)
        checked += 1
        inclines = [s["incline"] for s in answer["routes"][0]["segments"]]
        assert any(i["grade_pct"] == "unknown" for i in inclines)
    assert checked >= 5


def test_warnings_have_codes_every_language_translates(client: Any, spec: dict) -> None:
    """A long route on the foothills gets warnings the page can say in ru, kk and en."""
    from routing.service import WARNING_CODES
    from web.page import translations

    body = _route_body(overrides={"comfort_distance_m": 100})
    answer = client.post("/api/v1/route", json=body).get_json()
    _check(spec, "RouteAnswer", answer)
    warnings = answer["routes"][0]["warnings"]
    codes = {w["code"] for w in warnings}
    assert "long_route" in codes and "slope_estimated" not in codes
    long_route = next(w for w in warnings if w["code"] == "long_route")
    assert long_route["params"]["comfort_km"] == 0.1
    assert long_route["params"]["km"] == round(answer["routes"][0]["distance_m"] / 1000, 1)
    tables = translations()
    for code in WARNING_CODES:
        placeholders = {
            lang: set(re.findall(r"{(\w+)}", table[f"warning_{code}"]))
            for lang, table in tables.items()
        }
        assert len({frozenset(p) for p in placeholders.values()}) == 1, (code, placeholders)
    for warning in warnings:
        assert set(re.findall(r"{(\w+)}", tables["en"][f"warning_{warning['code']}"])) == set(
            warning["params"]
        )


# ---------- errors of the route endpoint ----------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": {"lat": 43.25, "lon": 76.94}, "profile": "x"}, "from"),
        ({"from": [43.2, 76.9], "to": {"lat": 43.25, "lon": 76.94}, "profile": "x"}, "from"),
        ({"from": {"lat": "43.2", "lon": 76.9}, "to": {"lat": 43.25, "lon": 76.9}}, "from.lat"),
        ({"from": {"lat": True, "lon": 76.9}, "to": {"lat": 43.25, "lon": 76.9}}, "from.lat"),
        ({"from": {"lat": 91, "lon": 76.9}, "to": {"lat": 43.25, "lon": 76.9}}, "from.lat"),
        ({"from": {"lat": 43.2, "lon": 76.9}, "to": {"lat": 43.25, "lon": 200}}, "to.lon"),
        ({"from": {"lat": 43.2}, "to": {"lat": 43.25, "lon": 76.9}, "profile": "x"}, "from.lon"),
        ({"from": {"lat": 43.2, "lon": 76.9}, "to": {"lat": 43.25, "lon": 76.9}}, "profile"),
        (
            {"from": {"lat": 43.2, "lon": 76.9}, "to": {"lat": 43.2, "lon": 76.9}, "profile": 3},
            "profile",
        ),
        ([1, 2, 3], "body"),
    ],
)
def test_route_rejects_bad_fields_naming_them(
    client: Any, spec: dict, body: Any, field: str
) -> None:
    error = _error(client.post("/api/v1/route", json=body), 400, "invalid_request", spec)
    assert error["details"]["field"] == field
    assert field in error["message"]


def test_route_rejects_unknown_fields_and_bad_overrides_type(client: Any, spec: dict) -> None:
    error = _error(
        client.post("/api/v1/route", json=_route_body(speed=3)), 400, "invalid_request", spec
    )
    assert error["details"]["field"] == "speed"
    error = _error(
        client.post("/api/v1/route", json=_route_body(overrides=[1])), 400, "invalid_request", spec
    )
    assert error["details"]["field"] == "overrides"
    error = _error(
        client.post("/api/v1/route", json=_route_body(depart_at="tomorrow")),
        400,
        "invalid_request",
        spec,
    )
    assert error["details"]["field"] == "depart_at"


def test_route_rejects_too_many_overrides(client: Any, spec: dict) -> None:
    overrides = {f"key_{i}": i for i in range(settings.MAX_OVERRIDES + 1)}
    response = client.post("/api/v1/route", json=_route_body(overrides=overrides))
    assert _error(response, 400, "invalid_request", spec)["details"]["field"] == "overrides"


def test_route_rejects_malformed_json(client: Any, spec: dict) -> None:
    response = client.post(
        "/api/v1/route", data='{"from": {"lat": 43.2,', content_type="application/json"
    )
    assert _error(response, 400, "invalid_request", spec)["details"]["field"] == "body"


def test_route_rejects_wrong_content_type(client: Any, spec: dict) -> None:
    response = client.post(
        "/api/v1/route", data=json.dumps(_route_body()), content_type="text/plain"
    )
    assert _error(response, 400, "invalid_request", spec)["details"]["field"] == "Content-Type"


def test_route_rejects_unknown_format(client: Any, spec: dict) -> None:
    response = client.post("/api/v1/route?format=kml", json=_route_body())
    assert _error(response, 400, "invalid_request", spec)["details"]["field"] == "format"


def test_route_body_over_the_limit_is_413(client: Any, spec: dict) -> None:
    body = _route_body(padding="x" * (settings.MAX_REQUEST_BYTES + 1))
    response = client.post("/api/v1/route", json=body)
    error = _error(response, 413, "request_too_large", spec)
    assert error["details"]["max_bytes"] == settings.MAX_REQUEST_BYTES


def test_unknown_profile_is_400(client: Any, spec: dict) -> None:
    response = client.post("/api/v1/route", json=_route_body(profile="hovercraft"))
    _error(response, 400, "unknown_profile", spec)


def test_out_of_range_override_is_400(client: Any, router: Any, spec: dict) -> None:
    prop = router.profile_schema()["properties"]["max_kerb_cm"]
    response = client.post(
        "/api/v1/route", json=_route_body(overrides={"max_kerb_cm": prop["maximum"] + 1})
    )
    _error(response, 400, "invalid_override", spec)


def test_point_outside_almaty_is_422(client: Any, spec: dict) -> None:
    london = {"lat": 51.5007, "lon": -0.1246}
    response = client.post("/api/v1/route", json=_route_body(to=london))
    _error(response, 422, "outside_area", spec)


def test_no_accessible_route_is_422_naming_the_blocking_ways(client: Any, spec: dict) -> None:
    body = _route_body(
        **{"from": {"lat": STEEP_FROM[0], "lon": STEEP_FROM[1]}},
        to={"lat": STEEP_TO[0], "lon": STEEP_TO[1]},
        overrides=STEEP_OVERRIDES,
    )
    error = _error(client.post("/api/v1/route", json=body), 422, "no_accessible_route", spec)
    blocking = error["details"]["blocking"]
    assert blocking
    for item in blocking:
        assert item["reason"] in {"too_steep_up", "too_steep_down"} or item["kind"] != "way"
        assert 43.0 < item["lat"] < 43.6 and 76.5 < item["lon"] < 77.3


# ---------- generic HTTP errors ----------


def test_unknown_paths_are_json_404(client: Any, spec: dict) -> None:
    _error(client.get("/api/v1/nowhere"), 404, "not_found", spec)
    _error(client.get("/nowhere"), 404, "not_found", spec)


def test_wrong_method_is_json_405_with_allow(client: Any, spec: dict) -> None:
    response = client.delete("/api/v1/route")
    error = _error(response, 405, "method_not_allowed", spec)
    assert {"GET", "POST"} <= set(error["details"]["allowed"])
    assert "POST" in response.headers["Allow"]
    _error(client.post("/api/v1/health"), 405, "method_not_allowed", spec)


def test_unexpected_exception_is_json_500_without_internals(router: Any, spec: dict) -> None:
    from web.app import create_app

    app = create_app(router=router)

    @app.get("/api/v1/_explode")
    def _explode() -> None:
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/api/v1/_explode")
    error = _error(response, 500, "internal_error", spec)
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text and "Traceback" not in text
    assert error["details"] == {}


# ---------- places ----------


def test_places_finds_streets_by_russian_name(client: Any, spec: dict) -> None:
    response = client.get("/api/v1/places", query_string={"q": "Абая", "limit": 5})
    assert response.status_code == 200
    body = response.get_json()
    _check(spec, "PlacesAnswer", body)
    assert 1 <= len(body["places"]) <= 5
    assert any("абая" in p["name"].lower() for p in body["places"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "Абая", "limit": "0"}, "limit"),
        ({"q": "Абая", "limit": "many"}, "limit"),
        ({"q": "Абая", "limit": str(settings.PLACES_MAX_LIMIT + 1)}, "limit"),
        ({"q": "Абая", "near": "43.2"}, "near"),
        ({"q": "Абая", "near": "43.2,999"}, "near.lon"),
    ],
)
def test_places_rejects_bad_parameters(client: Any, spec: dict, query: dict, field: str) -> None:
    error = _error(client.get("/api/v1/places", query_string=query), 400, "invalid_request", spec)
    assert error["details"]["field"] == field


# ---------- streets (offline base map) ----------


def test_streets_in_a_bbox_are_lines_inside_it(client: Any, spec: dict) -> None:
    box = (76.93, 43.23, 76.96, 43.25)
    response = client.get("/api/v1/streets", query_string={"bbox": ",".join(map(str, box))})
    assert response.status_code == 200
    body = response.get_json()
    _check(spec, "StreetsAnswer", body)
    assert body["features"], "central Almaty has streets"
    for feature in body["features"]:
        lons = [c[0] for c in feature["geometry"]["coordinates"]]
        lats = [c[1] for c in feature["geometry"]["coordinates"]]
        # Each line's own bbox overlaps the requested one.
        assert max(lons) >= box[0] and min(lons) <= box[2]
        assert max(lats) >= box[1] and min(lats) <= box[3]


def test_streets_are_one_line_per_street_piece(client: Any) -> None:
    body = client.get("/api/v1/streets?bbox=76.93,43.23,76.96,43.25").get_json()
    seen: set[tuple] = set()
    for feature in body["features"]:
        coords = tuple(map(tuple, feature["geometry"]["coordinates"]))
        assert coords not in seen and coords[::-1] not in seen, "both directions drawn"
        seen.add(coords)


def test_streets_respect_the_limit_major_streets_first(client: Any) -> None:
    body = client.get("/api/v1/streets?bbox=76.90,43.20,77.00,43.28&limit=20").get_json()
    assert len(body["features"]) == 20
    assert body["truncated"] is True
    everything = client.get(
        f"/api/v1/streets?bbox=76.90,43.20,77.00,43.28&limit={settings.STREETS_MAX_LIMIT}"
    ).get_json()
    minor = {"footway", "path", "service", "steps", "track", "cycleway"}
    kept = [f["properties"]["highway"] for f in body["features"]]
    has_major = any(f["properties"]["highway"] not in minor for f in everything["features"])
    if has_major:
        assert kept[0] not in minor


@pytest.mark.parametrize(
    "bbox",
    [None, "1,2,3", "76.9,43.2,76.8,43.3", "76,43,77.5,43.3", "a,b,c,d", "76.9,43.2,76.95,95"],
)
def test_streets_reject_bad_bbox(client: Any, spec: dict, bbox: str | None) -> None:
    query = {} if bbox is None else {"bbox": bbox}
    error = _error(client.get("/api/v1/streets", query_string=query), 400, "invalid_request", spec)
    assert error["details"]["field"] == "bbox"


# ---------- CORS ----------


def test_cors_is_off_by_default(client: Any) -> None:
    response = client.get("/api/v1/health", headers={"Origin": "https://example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_configured_origins_only(router: Any) -> None:
    from web.app import create_app

    app = create_app(router=router, config={"JOL_CORS_ORIGINS": "https://maps.example.kz"})
    client = app.test_client()
    allowed = client.get("/api/v1/health", headers={"Origin": "https://maps.example.kz"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://maps.example.kz"
    other = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# ---------- the page and its assets ----------


@pytest.mark.parametrize("lang", settings.LANGUAGES)
def test_page_is_served_in_each_language(client: Any, lang: str) -> None:
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    from web.page import translations

    assert translations()[lang]["submit"] in html


def test_page_forbids_foreign_scripts_but_allows_the_tile_host(router: Any) -> None:
    from web.app import create_app

    app = create_app(
        router=router, config={"JOL_TILE_URL": "https://{s}.tiles.example.kz/{z}/{x}/{y}.png"}
    )
    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "https://*.tiles.example.kz" in directives["img-src"].split()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    api = app.test_client().get("/api/v1/health")
    assert "Content-Security-Policy" not in api.headers
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_page_loads_nothing_from_other_hosts(client: Any) -> None:
    import re

    html = client.get("/").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for url in assets:
        assert not re.match(r"^(https?:)?//", url), f"external asset {url}"
        if url.startswith("/"):
            assert client.get(url).status_code == 200, url
    css = client.get("/static/vendor/leaflet/leaflet.css").get_data(as_text=True)
    for image in re.findall(r"url\(([^)]+)\)", css):
        if image.startswith("images/"):
            assert client.get(f"/static/vendor/leaflet/{image}").status_code == 200


def test_i18n_files_have_the_same_keys() -> None:
    from web.page import translations

    tables = translations()
    keys = set(tables[settings.DEFAULT_LANGUAGE])
    for lang, table in tables.items():
        assert set(table) == keys, lang
        assert all(isinstance(v, str) and v.strip() for v in table.values()), lang


def test_osm_words_on_the_real_graphs_are_said_in_every_language(almaty: Any, oslo: Any) -> None:
    """Common highway, footway, surface and smoothness values are translated.

    A screen reader should not spell out `paving_stones` on a Russian page.
    Rare values (under 1 % of a graph's edges) may fall back to the OSM word.
    """
    import numpy as np

    from web.page import translations

    tables = translations()
    for router in (almaty, oslo):
        arrays, vocab = router.graph.arrays, router.graph.vocab
        for key in ("highway", "footway", "surface", "smoothness"):
            codes = np.bincount(arrays[f"edge_{key}"], minlength=len(vocab[key]))
            common = [
                word
                for code, word in enumerate(vocab[key])
                if word and codes[code] >= 0.01 * len(arrays[f"edge_{key}"])
            ]
            for lang, table in tables.items():
                missing = [w for w in common if f"osm_{key}_{w}" not in table]
                assert not missing, (router.graph.directory.name, key, lang, missing)
    # The profiles' own surface and smoothness tables are translated too.
    for profile in almaty.profiles():
        for key in ("surface", "smoothness"):
            for word in profile["parameters"][f"{key}_factors"]:
                assert all(f"osm_{key}_{word}" in table for table in tables.values()), word


# ---------- issue 9: what the answer says, where ----------


def _route(client: Any, spec: dict, **changes: Any) -> dict:
    response = client.post("/api/v1/route", json=_route_body(**changes))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    _check(spec, "RouteAnswer", answer)
    return answer["routes"][0]


def test_unmapped_junctions_are_listed_where_they_are(client: Any, router: Any, spec: dict) -> None:
    """Each junction is a node on the route's line, inside the step it is said in."""
    route = _route(client, spec, profile="wheelchair_manual")
    junctions = route["unmapped_junctions"]
    assert len(junctions) == route["unknown"]["junctions"] > 0
    a = router.graph.arrays
    node_of = {int(osm): n for n, osm in enumerate(a["node_osmid"].tolist())}
    coords = [(round(x, 7), round(y, 7)) for x, y in route["geometry"]["coordinates"]]
    segments = [j["segment"] for j in junctions]
    assert segments == sorted(segments)
    for junction in junctions:
        node = node_of[junction["osm_id"]]
        assert junction["osm_type"] == "node"
        assert (junction["lat"], junction["lon"]) == (
            round(float(a["node_lat"][node]), 7),
            round(float(a["node_lon"][node]), 7),
        )
        first, last = route["segments"][junction["segment"]]["coordinates_range"]
        assert (junction["lon"], junction["lat"]) in coords[first : last + 1]
        assert router.graph.node_street_degree[node] >= 3


def test_gate_and_bollard_of_unknown_passability_warn_a_wheelchair_user(
    client: Any, spec: dict
) -> None:
    """The README's wheelchair route passes a gate and a bollard (way 24040664) untagged."""
    route = _route(client, spec, profile="wheelchair_manual")
    warning = next(w for w in route["warnings"] if w["code"] == "barrier_unknown_passability")
    met = [
        (i, b)
        for i, s in enumerate(route["segments"])
        for b in s["barriers"]
        if b["kind"] == "barrier" and b["wheelchair"] == "unknown"
    ]
    assert warning["params"] == {"n": len(met)}
    assert [
        (b["kind"], b["osm_id"], b["lat"], b["lon"], b["segment"]) for b in warning["barriers"]
    ] == [(b["barrier"], b["osm_id"], b["lat"], b["lon"], i) for i, b in met]
    kinds = {b["kind"] for b in warning["barriers"]}
    assert {"gate", "bollard"} <= kinds
    ways = {route["segments"][b["segment"]]["osm_way_id"] for b in warning["barriers"]}
    assert 24040664 in ways
    # Walking, nobody asks whether a chair fits through.
    walking = _route(client, spec, profile="default")
    assert "barrier_unknown_passability" not in {w["code"] for w in walking["warnings"]}


def test_unknown_lighting_after_dark_is_a_warning_for_who_needs_light(
    client: Any, router: Any, spec: dict
) -> None:
    night = "2026-12-06T21:30"
    route = _route(client, spec, profile="low_vision", depart_at=night)
    low_vision = next(p for p in router.profiles() if p["name"] == "low_vision")
    assert low_vision["parameters"]["unlit_factor"] > 1
    warning = next(w for w in route["warnings"] if w["code"] == "unlit_after_dark")
    unlit_m = sum(s["length_m"] for s in route["segments"] if s["lit"] == "no")
    assert warning["params"] == {"m": round(unlit_m), "unknown_m": round(route["unknown"]["lit_m"])}
    assert warning["params"]["unknown_m"] > 0
    # A profile indifferent to light hears only of ways known to be unlit.
    chair = _route(client, spec, profile="wheelchair_manual", depart_at=night)
    known_unlit = sum(s["length_m"] for s in chair["segments"] if s["lit"] == "no")
    assert ("unlit_after_dark" in {w["code"] for w in chair["warnings"]}) == (known_unlit > 0)


def _error_codes() -> set[str]:
    """Every error code the API can answer, read from the code that raises them."""
    from web.errors import HTTP_CODES

    codes = set(HTTP_CODES.values()) | {"internal_error"}
    patterns = (
        r"RoutingError\(\s*\"(\w+)\"",
        r"code=\"(\w+)\"",
        r"error_response\(\s*\"(\w+)\"",
        r"_STATUS = \{([^}]*)\}",
        r"HTTP_CODES\.get\([^)]*\"(\w+)\"\)",
    )
    for folder in ("routing", "web"):
        for path in (settings.REPO_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in patterns:
                for found in re.findall(pattern, text):
                    codes |= set(re.findall(r"\"(\w+)\"", found)) if "\n" in found else {found}
    return codes


def test_every_error_code_is_said_in_every_language() -> None:
    from web.page import translations

    codes = _error_codes()
    assert {"no_accessible_route", "not_found", "artifact_invalid", "http_error"} <= codes
    for lang, table in translations().items():
        missing = sorted(c for c in codes if f"error_{c}" not in table)
        assert not missing, (lang, missing)


def test_every_profile_parameter_has_a_label_in_every_language() -> None:
    from routing.profiles import PARAMETERS
    from web.page import translations

    for lang, table in translations().items():
        missing = sorted(k for k in PARAMETERS if f"param_{k}" not in table)
        assert not missing, (lang, missing)


def test_place_kinds_in_the_almaty_index_are_said_in_every_language(router: Any) -> None:
    """Every `key=value` category in the real place index has words in ru, kk and en,
    so the page never shows "tourism=hotel"; values that are not OSM words (a
    mapper's free text) are shown as typed."""
    import pyarrow.parquet as pq

    from web.page import translations

    table = pq.read_table(router.graph.directory / settings.PLACES_FILENAME).to_pydict()
    categories = {c for c in table["category"] if c and re.fullmatch(r"[a-z_]+=[a-z0-9_:]+", c)}
    kinds = set(table["kind"])
    assert len(categories) > 50 and "address" in kinds
    for lang, words in translations().items():
        missing = sorted(c for c in categories if "osm_" + c.replace("=", "_") not in words)
        assert not missing, (lang, missing)
        assert all(f"place_kind_{k}" in words for k in kinds), lang
