"""Hostile and careless input on the real Almaty (and Oslo) graphs: always a JSON 400, never a
500, and no answer of Jol's ever holds NaN or Infinity (issue 11, defects 2, 3, 7 and 9).

Everything runs through the Flask test client on the real compiled graphs; the
requests are inputs only, every expectation comes from the answers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
import numpy as np
import pytest
from web_fixtures import ALMATY_FROM, ALMATY_TO

from jol import settings
from routing.errors import RoutingError

pytest_plugins = ["web_fixtures"]

HUGE_INT = "1" + "0" * 400  # fits no float: math.isfinite raised OverflowError
DEEP = "[" * 1000 + "]" * 1000  # Python's json recursed until RecursionError


@pytest.fixture(scope="module")
def spec(web_app: Any) -> dict:
    return web_app.test_client().get("/openapi.json").get_json()


def _strict(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and -Infinity, as browsers do."""

    def _refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=_refuse)


def _error(response: Any, status: int, spec: dict, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = _strict(response.get_data(as_text=True))
    schema = {"$ref": "#/components/schemas/Error", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)
    if field is not None:
        assert body["error"]["details"]["field"] == field, body
    return body["error"]


def _body(**changes: Any) -> dict:
    body = {
        "from": {"lat": ALMATY_FROM[0], "lon": ALMATY_FROM[1]},
        "to": {"lat": ALMATY_TO[0], "lon": ALMATY_TO[1]},
        "profile": "wheelchair_manual",
    }
    return body | changes


def _post(client: Any, text: str) -> Any:
    return client.post("/api/v1/route", data=text, content_type="application/json")


def _get_route(client: Any, **extra: str) -> Any:
    query = {
        "from": f"{ALMATY_FROM[0]},{ALMATY_FROM[1]}",
        "to": f"{ALMATY_TO[0]},{ALMATY_TO[1]}",
        "profile": "wheelchair_manual",
    }
    return client.get("/api/v1/route", query_string=query | extra)


# ---------- defect 2: inputs that gave 500 ----------


@pytest.mark.parametrize("point", ["from", "to"])
@pytest.mark.parametrize("axis", ["lat", "lon"])
def test_a_coordinate_too_large_for_a_float_is_400(
    client: Any, spec: dict, point: str, axis: str
) -> None:
    text = json.dumps(_body()).replace(json.dumps(_body()[point]), f'{{"{axis}": {HUGE_INT}}}')
    if axis == "lat":  # keep the other axis present so only the huge number is wrong
        text = text.replace(f'{{"lat": {HUGE_INT}}}', f'{{"lat": {HUGE_INT}, "lon": 76.9}}')
    else:
        text = text.replace(f'{{"lon": {HUGE_INT}}}', f'{{"lat": 43.2, "lon": {HUGE_INT}}}')
    _error(_post(client, text), 400, spec, f"{point}.{axis}")


def test_json_nested_1000_deep_in_a_body_is_400(client: Any, spec: dict) -> None:
    error = _error(_post(client, DEEP), 400, spec, "body")
    assert error["details"]["max_depth"] == settings.MAX_JSON_DEPTH
    nested_overrides = json.dumps(_body()).replace("}", f', "overrides": {{"x": {DEEP}}}}}', 1)
    _error(_post(client, nested_overrides), 400, spec, "body")


def test_json_nested_1000_deep_in_the_overrides_parameter_is_400(client: Any, spec: dict) -> None:
    _error(_get_route(client, overrides=DEEP), 400, spec, "overrides")
    _error(_get_route(client, overrides='{"a": ' * 1000 + "1" + "}" * 1000), 400, spec, "overrides")


def test_brackets_inside_strings_do_not_count_as_nesting(client: Any, spec: dict) -> None:
    """The depth guard skips string contents, so a profile name full of brackets is
    judged by the router (unknown profile), not refused as deep JSON."""
    response = client.post("/api/v1/route", json=_body(profile="[" * 100 + '\\"{' * 50))
    assert _error(response, 400, spec)["code"] == "unknown_profile"


@pytest.mark.parametrize(
    "query,field",
    [
        ({"q": "абая", "near": f"{HUGE_INT},76.9"}, "near.lat"),
        ({"q": "абая", "limit": HUGE_INT}, "limit"),
        ({"q": "абая", "near": "nan,76.9"}, "near.lat"),
        ({"q": "абая", "near": "43.2,inf"}, "near.lon"),
    ],
)
def test_places_refuse_huge_and_non_finite_numbers(
    client: Any, spec: dict, query: dict, field: str
) -> None:
    _error(client.get("/api/v1/places", query_string=query), 400, spec, field)


@pytest.mark.parametrize(
    "query",
    [
        {"bbox": f"76.9,43.2,{HUGE_INT},43.3"},
        {"bbox": "76.9,43.2,76.95,43.25", "limit": HUGE_INT},
        {"bbox": "nan,43.2,76.95,43.25"},
        {"bbox": "76.9,-inf,76.95,43.25"},
    ],
)
def test_streets_refuse_huge_and_non_finite_numbers(client: Any, spec: dict, query: dict) -> None:
    _error(client.get("/api/v1/streets", query_string=query), 400, spec)


@pytest.mark.parametrize("fmt", ["geojson", "gpx"])
def test_downloads_refuse_the_same_inputs(client: Any, spec: dict, fmt: str) -> None:
    _error(_get_route(client, overrides=DEEP, format=fmt), 400, spec, "overrides")
    text = json.dumps(_body()).replace(str(ALMATY_FROM[0]), HUGE_INT, 1)
    response = client.post(
        f"/api/v1/route?format={fmt}", data=text, content_type="application/json"
    )
    _error(response, 400, spec, "from.lat")


def test_an_overflow_deep_inside_an_api_request_is_still_400(router: Any, spec: dict) -> None:
    """The last-resort handler: whatever overflows while answering /api/ is the request's fault."""
    from web.app import create_app

    app = create_app(router=router)

    @app.get("/api/v1/_overflow")
    def _overflow() -> None:
        float(10**400)

    _error(app.test_client().get("/api/v1/_overflow"), 400, spec)


# ---------- defect 3: NaN and Infinity ----------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
@pytest.mark.parametrize("name", ["max_kerb_cm", "speed_mps", "crossing_s"])
def test_non_finite_overrides_are_400_in_a_body(
    client: Any, spec: dict, literal: str, name: str
) -> None:
    text = json.dumps(_body(overrides={name: 1})).replace(": 1}", f": {literal}}}")
    error = _error(_post(client, text), 400, spec, "body")
    assert literal in error["message"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_overrides_are_400_in_a_link(client: Any, spec: dict, literal: str) -> None:
    response = _get_route(client, overrides=f'{{"max_kerb_cm": {literal}}}')
    _error(response, 400, spec, "overrides")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_are_400(client: Any, spec: dict, literal: str) -> None:
    text = json.dumps(_body()).replace(str(ALMATY_TO[1]), literal)
    _error(_post(client, text), 400, spec, "body")
    _error(_get_route(client, to=f"{ALMATY_TO[0]},{literal}"), 400, spec, "to.lon")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["speed_mps", "crossing_s", "max_kerb_cm", "max_steps"])
def test_router_refuses_non_finite_overrides_by_name(router: Any, value: float, name: str) -> None:
    """NaN speed once gave a false "every way near from is impassable" (the CLI passes
    `--override speed_mps=NaN` straight through json.loads)."""
    with pytest.raises(RoutingError) as refused:
        router.route(ALMATY_FROM, ALMATY_TO, "wheelchair_manual", {name: value})
    assert refused.value.code == "invalid_override"
    assert refused.value.details["parameter"] == name


def _sample_pairs(router: Any, count: int, seed: int) -> list[tuple[tuple, tuple]]:
    """Pairs of nodes of the largest component, (lat, lon) degrees, chosen at random."""
    graph = router.graph
    nodes = np.flatnonzero(graph.arrays["node_component"] == 0)
    rng = np.random.default_rng(seed)
    picks = rng.choice(nodes, size=(count, 2), replace=False)
    return [
        (
            (float(graph.node_lat[a]), float(graph.node_lon[a])),
            (float(graph.node_lat[b]), float(graph.node_lon[b])),
        )
        for a, b in picks
    ]


def _requests(router: Any, pairs: list[tuple[tuple, tuple]]) -> list[tuple[str, str, Any]]:
    """(method, url, json body) for a broad set of real requests on one city."""
    names = [p["name"] for p in router.profiles()]
    out: list[tuple[str, str, Any]] = [
        ("GET", "/api/v1/health", None),
        ("GET", "/api/v1/profiles", None),
        ("GET", "/openapi.json", None),
        ("GET", "/api/v1/places?q=абая&limit=50", None),
        ("GET", "/api/v1/places?q=a&limit=50&kinds=facility", None),
        ("GET", "/api/v1/places?q=station&near=59.91,10.75&limit=50", None),
        ("GET", "/api/v1/places?q=a&kinds=zzz", None),
        ("GET", "/api/v1/nowhere", None),
        ("DELETE", "/api/v1/route", None),
        ("POST", "/api/v1/route", {"from": {"lat": 0, "lon": 0}, "to": {"lat": 1, "lon": 1}}),
    ]
    lons = router.graph.node_lon
    lats = router.graph.node_lat
    mid = (float(np.median(lons)), float(np.median(lats)))
    box = f"{mid[0] - 0.02},{mid[1] - 0.02},{mid[0] + 0.02},{mid[1] + 0.02}"
    out.append(("GET", f"/api/v1/streets?bbox={box}", None))
    for i, (a, b) in enumerate(pairs):
        for name in names:
            body = {"from": {"lat": a[0], "lon": a[1]}, "to": {"lat": b[0], "lon": b[1]}}
            body["profile"] = name
            if i == 0:  # after dark once: lighting unknowns and conditions
                body["depart_at"] = "2026-12-06T21:00"
            out.append(("POST", "/api/v1/route", body))
        link = f"from={a[0]},{a[1]}&to={b[0]},{b[1]}&profile={names[i % len(names)]}"
        out.append(("GET", f"/api/v1/route?{link}&format=geojson", None))
    return out


@pytest.mark.parametrize("city", ["almaty", "oslo"])
def test_every_answer_parses_with_a_strict_json_parser(
    request: pytest.FixtureRequest, city: str
) -> None:
    """NaN and Infinity are not JSON: no answer of Jol's may contain them."""
    from web.app import create_app

    router = request.getfixturevalue(city)
    app = create_app(router=router)
    client = app.test_client()
    statuses = []
    for method, url, body in _requests(router, _sample_pairs(router, 4, seed=11)):
        response = client.open(url, method=method, json=body)
        statuses.append(response.status_code)
        assert response.status_code < 500, (url, body, response.get_data(as_text=True))
        text = response.get_data(as_text=True)
        try:
            _strict(text)
        except ValueError as exc:
            pytest.fail(f"{method} {url} {body}: {exc}")
    assert statuses.count(200) > len(statuses) // 2, statuses


def test_the_json_provider_refuses_to_send_nan(router: Any, spec: dict) -> None:
    """A NaN reaching an answer is a bug: a logged 500, never bare NaN on the wire."""
    from flask import jsonify

    from web.app import create_app

    app = create_app(router=router)

    @app.get("/api/v1/_nan")
    def _nan() -> Any:
        return jsonify({"x": math.nan})

    response = app.test_client().get("/api/v1/_nan")
    assert response.status_code == 500
    assert "NaN" not in response.get_data(as_text=True)
    _strict(response.get_data(as_text=True))


# ---------- defect 9: the field an error names ----------


@pytest.mark.parametrize(
    "query,field",
    [
        ({"q": "a", "kinds": "zzz"}, "kinds"),
        ({"q": "a", "kinds": ","}, "kinds"),
        ({"q": "a", "kinds": "street,zzz"}, "kinds"),
        ({"q": ""}, "q"),
    ],
)
def test_places_errors_name_the_right_field(
    client: Any, spec: dict, query: dict, field: str
) -> None:
    _error(client.get("/api/v1/places", query_string=query), 400, spec, field)


# ---------- defect 7: one client cannot take every CPU ----------

CITY_BOX = "76.7,43.0,77.2,43.5"  # the whole city: 2 MiB and 200-400 ms at limit=10000


def _app(router: Any, **config: Any) -> Any:
    from web.app import create_app

    return create_app(router=router, config=config or None)


def test_streets_work_per_request_is_capped(client: Any, spec: dict) -> None:
    assert settings.STREETS_MAX_LIMIT <= 3000
    error = _error(client.get(f"/api/v1/streets?bbox={CITY_BOX}&limit=10000"), 400, spec, "limit")
    assert error["details"]["maximum"] == settings.STREETS_MAX_LIMIT
    served = spec["paths"]["/api/v1/streets"]["get"]["parameters"][1]["schema"]["maximum"]
    assert served == settings.STREETS_MAX_LIMIT


def test_a_repeated_streets_request_is_served_from_the_cache(router: Any) -> None:
    app = _app(router)
    cache = app.extensions["jol.streets_cache"]
    client = app.test_client()
    first = client.get("/api/v1/streets?bbox=76.931,43.231,76.959,43.249")
    # A view a few metres away falls in the same grid cells: the same answer.
    second = client.get("/api/v1/streets?bbox=76.932,43.2305,76.9585,43.2489")
    assert first.status_code == second.status_code == 200
    assert (cache.misses, cache.hits) == (1, 1)
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    again = client.get(
        "/api/v1/streets?bbox=76.931,43.231,76.959,43.249",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304 and again.get_data() == b""
    assert cache.hits == 2
    other_limit = client.get("/api/v1/streets?bbox=76.931,43.231,76.959,43.249&limit=5")
    assert other_limit.get_data() != first.get_data() and cache.misses == 2


def test_the_streets_answer_says_the_gridded_bbox_it_covers(client: Any) -> None:
    asked = (76.9312, 43.2311, 76.9587, 43.2489)
    body = client.get("/api/v1/streets", query_string={"bbox": ",".join(map(str, asked))})
    answered = body.get_json()["bbox"]
    assert answered[0] <= asked[0] and answered[1] <= asked[1]
    assert answered[2] >= asked[2] and answered[3] >= asked[3]
    for value in answered:
        steps = value / settings.STREETS_GRID_DEG
        assert abs(steps - round(steps)) < 1e-6, answered
    assert answered[2] - answered[0] <= asked[2] - asked[0] + 2 * settings.STREETS_GRID_DEG


@pytest.mark.parametrize(
    "endpoint,url",
    [
        ("streets", "/api/v1/streets?bbox=76.93,43.23,76.96,43.25&limit={i}"),
        (
            "route",
            f"/api/v1/route?from={ALMATY_FROM[0]},{ALMATY_FROM[1]}"
            f"&to={ALMATY_TO[0]},{ALMATY_TO[1]}&profile=default&i={{i}}",
        ),
    ],
)
def test_a_client_that_empties_its_bucket_gets_429_and_others_do_not(
    router: Any, spec: dict, endpoint: str, url: str
) -> None:
    burst = 3
    # Refilled about once an hour: the test cannot race the clock.
    app = _app(router, JOL_RATE_LIMITS={endpoint: (burst, 1 / 3600)})
    client = app.test_client()
    for i in range(1, burst + 1):
        assert client.get(url.format(i=i)).status_code == 200
    refused = client.get(url.format(i=burst + 1))
    error = _error(refused, 429, spec)
    assert error["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) == error["details"]["retry_after_s"] >= 1
    assert refused.headers["Cache-Control"] == "no-store"
    # Another address has its own bucket; a refused request spent nothing of it.
    other = client.get(url.format(i=1), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    # Requests refused as invalid cost no token: still 400, not 429.
    bad = client.get(url.format(i=1).replace("76.93,", "x,").replace("profile=", "profile=&x="))
    assert bad.status_code == 400


@pytest.mark.parametrize("trusted", [0, 1])
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(
    router: Any, trusted: int
) -> None:
    """Behind nginx every request comes from the proxy: X-Forwarded-For must name the
    client, but only when the proxy is configured, or a client picks its own bucket."""
    app = _app(router, JOL_RATE_LIMITS={"streets": (1, 1 / 3600)}, JOL_TRUSTED_PROXIES=trusted)
    client = app.test_client()
    url = "/api/v1/streets?bbox=76.93,43.23,76.96,43.25"
    statuses = [
        client.get(url, headers={"X-Forwarded-For": address}).status_code
        for address in ("198.51.100.1", "198.51.100.2")
    ]
    assert statuses == ([200, 200] if trusted else [200, 429])


def test_rate_limits_come_from_the_environment(
    router: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jol serve` is configured by environment: a load test from one address turns
    the route limit off, an operator tightens /streets."""
    monkeypatch.setenv("JOL_RATE_LIMITS", "streets=1/0.001,route=off")
    app = _app(router)
    client = app.test_client()
    url = "/api/v1/streets?bbox=76.93,43.23,76.96,43.25"
    assert [client.get(url).status_code for _ in range(2)] == [200, 429]
    route = _get_route(client)
    for _ in range(settings.RATE_LIMITS["route"][0] + 1):
        assert _get_route(client).status_code == route.status_code == 200


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", settings.RATE_LIMITS),
        ("off", dict.fromkeys(settings.RATE_LIMITS)),
        ("route=5/0.5", settings.RATE_LIMITS | {"route": (5, 0.5)}),
        (" streets=off , route=2/1 ", settings.RATE_LIMITS | {"streets": None, "route": (2, 1.0)}),
    ],
)
def test_rate_limit_settings_parse(text: str, expected: dict) -> None:
    from web.limits import parse_rate_limits

    assert parse_rate_limits(text, settings.RATE_LIMITS) == expected


@pytest.mark.parametrize("text", ["places=1/1", "route=5", "route=x/1", "route=0/1", "route=5/nan"])
def test_a_malformed_rate_limit_stops_the_start(text: str) -> None:
    from web.limits import parse_rate_limits

    with pytest.raises(ValueError, match="JOL_RATE_LIMITS"):
        parse_rate_limits(text, settings.RATE_LIMITS)


def test_token_buckets_refill_at_their_rate() -> None:
    from web.limits import TokenBuckets

    now = [0.0]
    buckets = TokenBuckets(rate_per_s=2.0, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0.0 and buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 0.5  # one token back
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0


# ---------- defect 9: headers ----------


def test_the_page_sends_referrer_and_permissions_policies(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] in ("no-referrer", "strict-origin")
    permissions = page.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=(self)"):
        assert feature in permissions


@pytest.mark.parametrize(
    "method,url,body,expected",
    [
        ("POST", "/api/v1/route", "route", "no-store"),
        ("GET", "/api/v1/route?format=gpx", "route-query", "no-store"),
        ("GET", "/api/v1/places?q=абая", None, "no-store"),
        ("GET", "/api/v1/places?q=a&kinds=zzz", None, "no-store"),
        ("GET", "/api/v1/nowhere", None, "no-store"),
        ("GET", "/api/v1/health", None, "no-cache"),
        ("GET", "/api/v1/profiles", None, "public, max-age="),
        ("GET", "/api/v1/streets?bbox=76.93,43.23,76.96,43.25", None, "public, max-age="),
        ("GET", "/openapi.json", None, "public, max-age="),
    ],
)
def test_api_answers_say_how_they_may_be_cached(
    client: Any, method: str, url: str, body: str | None, expected: str
) -> None:
    """Routes, searches and errors reveal a person's whereabouts: never stored."""
    if body == "route-query":
        url += f"&from={ALMATY_FROM[0]},{ALMATY_FROM[1]}&to={ALMATY_TO[0]},{ALMATY_TO[1]}"
        url += "&profile=default"
    response = client.open(url, method=method, json=_body() if body == "route" else None)
    assert response.status_code in (200, 400, 404), response.get_data(as_text=True)
    assert response.headers["Cache-Control"].startswith(expected)
