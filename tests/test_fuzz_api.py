"""Fuzz the HTTP API from its own /openapi.json (schemathesis) on the real Almaty graph.

Schemathesis reads the document the app serves and generates both valid and
invalid requests (positive and negative modes) for every operation, sent to
the real Flask app in-process over WSGI. Whatever arrives, the service must
never answer 5xx, and every error must be Jol's `{"error": {code, message,
details}}` body. Bounded: at most MAX_EXAMPLES cases per operation and mode,
no shrinking, derandomized, so the module runs in well under a minute.

The served document types a route's `profile` as any string, so nearly every
generated route request stops at "unknown profile"; a second pass fuzzes a
copy narrowed to the served profile names and to points in the middle of the
loaded city, so generated requests reach snapping, routing and the answer builders.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

pytest_plugins = ["web_fixtures"]

MAX_EXAMPLES = 30
SEED = 20261122


def _bounded(schema: Any) -> Any:
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        no_shrink=True,
        deterministic=True,
    )
    return schema


@pytest.fixture()
def api_schema(web_app: Any) -> Any:
    """The served OpenAPI document, bound to the real app over WSGI."""
    return _bounded(schemathesis.openapi.from_wsgi("/openapi.json", web_app))


@pytest.fixture()
def routing_schema(web_app: Any, router: Any) -> Any:
    """The served document narrowed so route requests name real profiles and city points."""
    spec = copy.deepcopy(web_app.test_client().get("/openapi.json").get_json())
    schemas = spec["components"]["schemas"]
    names = [p["name"] for p in router.profiles()]
    schemas["RouteRequest"]["properties"]["profile"] = {"type": "string", "enum": names}
    # The central half of the graph's nodes: hypothesis favours range ends, and the
    # corners of the OSM bbox are far from any way.
    graph = router.graph
    min_lat, max_lat = (float(v) for v in np.percentile(graph.node_lat, [25, 75]))
    min_lon, max_lon = (float(v) for v in np.percentile(graph.node_lon, [25, 75]))
    point = schemas["Point"]["properties"]
    point["lat"] |= {"minimum": min_lat, "maximum": max_lat}
    point["lon"] |= {"minimum": min_lon, "maximum": max_lon}
    spec["paths"] = {"/api/v1/route": {"post": spec["paths"]["/api/v1/route"]["post"]}}
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = web_app  # sent over WSGI like the served document's cases
    return _bounded(schema)


served = schemathesis.pytest.from_fixture("api_schema")
narrowed = schemathesis.pytest.from_fixture("routing_schema")


def _error_body_problems(response: Any) -> list[str]:
    """What is wrong with an error answer's body; empty when it is Jol's format."""
    try:
        body = response.json()
    except ValueError:
        return [f"not JSON: {response.text[:200]!r}"]
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return [f"not {{'error': {{...}}}}: {body!r:.200}"]
    error = body["error"]
    problems = [f"missing {key}" for key in ("code", "message", "details") if key not in error]
    if not isinstance(error.get("code"), str) or not error.get("code"):
        problems.append(f"code {error.get('code')!r} is not a non-empty string")
    if not isinstance(error.get("message"), str) or not error.get("message"):
        problems.append("message is not a non-empty string")
    if not isinstance(error.get("details"), dict):
        problems.append("details is not an object")
    return problems


_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # Generated bodies are large and many are filtered; speed is not what is tested.
    suppress_health_check=list(HealthCheck),
)


def _check_answer(case: Any) -> int:
    """Send `case`; assert no 5xx and Jol's error body; returns the status."""
    response = case.call()
    sent = f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r:.300}"
    if response.status_code == 503 and case.path.startswith("/api/v1/taxi/"):
        # Without JOL_API_KEYS the dispatch endpoints are off by design (web/taxi.py);
        # tests/test_taxi.py fuzzes them with a dispatcher key.
        assert response.json()["error"]["code"] == "taxi_disabled", sent
        return response.status_code
    assert response.status_code < 500, f"{response.status_code} for {sent}: {response.text[:300]}"
    if response.status_code >= 400:
        assert _error_body_problems(response) == [], sent
    return response.status_code


@served.parametrize()
@_SETTINGS
def test_served_document_no_server_errors(case: Any) -> None:
    _check_answer(case)


@narrowed.parametrize()
@_SETTINGS
def test_route_requests_reaching_the_router_no_server_errors(case: Any) -> None:
    _check_answer(case)
