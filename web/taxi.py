"""Invataxi dispatch endpoints (issue 15): POST /api/v1/taxi/{estimate,matrix,assign,plan}.

Only callers holding a dispatcher key may use them. Keys come from `JOL_API_KEYS`
(comma-separated `role:key`, roles `dispatcher` and `inspector`), are compared in
constant time and never logged. With no keys configured the endpoints are off
(503 `taxi_disabled`), never open.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from web import params
from web.errors import ApiError, invalid

bp = Blueprint("taxi", __name__, url_prefix="/api/v1/taxi")
# The small dispatcher view: a page with no data in it; the key is typed by the dispatcher.
page_bp = Blueprint("dispatch", __name__)
# The dispatcher view's starting example: two vehicles and three bookings in central Almaty.
_SAMPLE_SHIFT = {
    "vehicles": [
        {"id": "K-1", "start": {"lat": 43.2565, "lon": 76.9285}, "shift": [28800, 64800],
         "equipment": ["lift"], "capacity": 2},
        {"id": "K-2", "start": {"lat": 43.2380, "lon": 76.9450}, "shift": [28800, 64800],
         "equipment": ["ramp"], "capacity": 1},
    ],
    "bookings": [
        {"id": "A", "pickup": {"lat": 43.2548, "lon": 76.9449},
         "dropoff": {"lat": 43.2449, "lon": 76.9499}, "window": [32400, 34200],
         "equipment": ["lift"]},
        {"id": "B", "pickup": {"lat": 43.2610, "lon": 76.9300},
         "dropoff": {"lat": 43.2400, "lon": 76.9200}, "window": [36000, 37800],
         "equipment": ["ramp"]},
        {"id": "C", "pickup": {"lat": 43.2450, "lon": 76.9100},
         "dropoff": {"lat": 43.2560, "lon": 76.9500}, "window": [39600, 41400],
         "equipment": ["ramp"]},
    ],
}  # fmt: skip
ROLES = ("dispatcher", "inspector")


def parse_keys(text: str) -> list[tuple[str, str]]:
    """(role, key) pairs from `role:key,role:key`; raises ValueError naming a bad item."""
    keys = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, sep, key = item.partition(":")
        if not sep or role not in ROLES or len(key) < 16:
            # The key itself is never echoed, only its role and position.
            raise ValueError(
                f"JOL_API_KEYS: item {len(keys) + 1} must be ROLE:KEY with ROLE one of "
                f"{', '.join(ROLES)} and a key of at least 16 characters"
            )
        keys.append((role, key))
    return keys


def install(app: Flask, router: Any) -> None:
    """Register the blueprint and load the drive graph (absent: endpoints say so)."""
    from routing.taxi.service import Taxi

    text = app.config.get("JOL_API_KEYS", os.environ.get("JOL_API_KEYS", ""))
    app.extensions["jol.api_keys"] = parse_keys(text) if isinstance(text, str) else list(text)
    directory = getattr(getattr(router, "graph", None), "directory", None)
    app.extensions["jol.taxi"] = Taxi.load(directory, router) if directory else None
    page = app.config.get("JOL_PAGE_TAXI", os.environ.get("JOL_PAGE_TAXI", ""))
    app.extensions["jol.page_taxi"] = str(page).lower() in ("1", "on", "true", "yes")
    app.register_blueprint(bp)
    app.register_blueprint(page_bp)


@page_bp.get("/dispatch")
def dispatch_page() -> str:
    """The dispatcher view (bookings in, plan out, on the map), in ru, kk or en."""
    import json

    from flask import render_template

    from jol import settings
    from web.page import translations

    lang = request.args.get("lang", settings.DEFAULT_LANGUAGE)
    lang = lang if lang in settings.LANGUAGES else settings.DEFAULT_LANGUAGE
    info = current_app.extensions["jol.router"].info()
    config = {
        "tileUrl": current_app.config["JOL_TILE_URL"],
        "tileAttribution": current_app.config["JOL_TILE_ATTRIBUTION"],
        "bbox": current_app.extensions["jol.streets"].core_bbox(settings.MAP_INITIAL_VIEW_SHARE)
        or info.get("bbox"),
    }
    texts = translations()[lang]
    sample = json.dumps(_SAMPLE_SHIFT, indent=1)
    return render_template(
        "dispatch.html", lang=lang, t=texts, texts=texts, client_config=config, sample=sample
    )


def _role() -> str | None:
    """The role of the request's key; 401 without a valid one, 503 when none are set."""
    keys = current_app.extensions.get("jol.api_keys") or []
    if not keys:
        raise ApiError(
            "Dispatch endpoints are off: no API keys are configured (JOL_API_KEYS).",
            code="taxi_disabled",
            http_status=503,
        )
    given = request.headers.get("X-API-Key", "")
    found = None
    for role, key in keys:
        # Every key is compared, whatever matched, so timing says nothing about which.
        if hmac.compare_digest(given.encode(), key.encode()):
            found = role
    if found is None:
        raise ApiError(
            "A valid X-API-Key header is required.",
            code="unauthorized",
            http_status=401,
            headers={"WWW-Authenticate": "X-API-Key"},
        )
    return found


def _call(question: str, limit: str | None = None) -> Response:
    if _role() != "dispatcher":
        raise ApiError(
            "This key's role may not use the dispatch endpoints.",
            code="forbidden",
            http_status=403,
        )
    return _answer(question, limit)


def _answer(question: str, limit: str | None) -> Response:
    taxi = current_app.extensions.get("jol.taxi")
    if taxi is None:
        raise ApiError(
            "The compiled graph has no drive graph; rebuild it with `jol build`.",
            code="unavailable",
            http_status=503,
        )
    if not request.is_json:
        raise invalid("Content-Type", "must be application/json")
    body = params.parse_json(request.get_data(cache=False), "body")
    if limit:
        from web.api_routes import _spend_token

        _spend_token(limit)
    return jsonify(getattr(taxi, question)(body))


@bp.post("/trip")
def trip() -> Response:
    """The page's Invataxi alternative for a route request; no key, only with JOL_PAGE_TAXI.

    It answers door-to-door time for one trip and nothing a dispatcher key guards
    (no fleet, no matrices, no plans), so the operator's keys never reach a browser.
    """
    if not current_app.extensions.get("jol.page_taxi"):
        raise ApiError(
            "The page's Invataxi estimate is off (JOL_PAGE_TAXI).",
            code="taxi_disabled",
            http_status=503,
        )
    return _answer("trip", "taxi_trip")


@bp.post("/estimate")
def estimate() -> Response:
    """Door-to-door estimate of one trip per offered vehicle."""
    return _call("estimate")


@bp.post("/matrix")
def matrix() -> Response:
    """OSRM-table-shaped drive times between locations."""
    return _call("matrix", "taxi_matrix")


@bp.post("/assign")
def assign() -> Response:
    """Free vehicles ranked per request by pickup ETA."""
    return _call("assign")


@bp.post("/plan")
def plan() -> Response:
    """A shift plan (VROOM on Jol's duration matrix)."""
    return _call("plan", "taxi_plan")


_ERRORS = {
    "400": "Invalid request (the field is named in details.field)",
    "401": "No X-API-Key header, or not a valid key",
    "403": "The key's role may not use dispatch endpoints (inspector)",
    "413": "Request too large (body bytes, or matrix cells beyond details.max_cells)",
    "422": "No kerbside point the passenger can reach, or no drive route",
    "429": "Too many requests from this address (Retry-After header)",
    "503": "Dispatch is off (taxi_disabled: no JOL_API_KEYS) or no drive graph",
}


def openapi_paths() -> dict[str, Any]:
    """The four dispatch operations for web/openapi.py, with their request schemas."""
    from routing.taxi import schemas

    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    paths: dict[str, Any] = {}
    for name, schema, summary in (
        ("estimate", schemas.ESTIMATE, "Door-to-door Invataxi estimate per vehicle"),
        ("matrix", schemas.MATRIX, "OSRM-table-shaped drive times (at most 500 x 500)"),
        ("assign", schemas.ASSIGN, "Free vehicles ranked per request by pickup ETA"),
        ("plan", schemas.PLAN, "A shift plan (VROOM on Jol's duration matrix)"),
        ("trip", schemas.TRIP, "The page's door-to-door Invataxi time (JOL_PAGE_TAXI; no key)"),
    ):
        paths[f"/api/v1/taxi/{name}"] = {
            "post": {
                "operationId": f"taxi_{name}",
                "summary": summary,
                "security": [] if name == "trip" else [{"ApiKey": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                },
                "responses": {
                    "200": {
                        "description": "Answer",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **{s: {"description": d, "content": error} for s, d in _ERRORS.items()},
                },
            }
        }
    return paths


SECURITY_SCHEMES = {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
