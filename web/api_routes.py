"""JSON API under /api/v1: translates HTTP into routing calls and back.

No routing logic lives here: every answer comes from the Router, PlaceIndex
or StreetLines held by the app (see web.app).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from basemap import grid_bbox
from jol import settings
from web import directions as spoken
from web import params
from web.downloads import route_geojson, route_gpx, route_map_html
from web.errors import ApiError, invalid
from web.html_map import CONTENT_SECURITY_POLICY
from web.limits import retry_after_s

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _router() -> Any:
    return current_app.extensions["jol.router"]


@bp.get("/health")
def health() -> Response:
    """Liveness plus what data is loaded (city, OSM date, artifact hashes)."""
    from web.plan import feeds  # web.plan imports this module

    return jsonify({"status": "ok", "data": _router().info() | {"transit_feeds": feeds()}})


@bp.get("/profiles")
def profiles() -> Response:
    """Every profile with its limits, and the JSON Schema of `overrides`."""
    router = _router()
    return jsonify({"profiles": router.profiles(), "overrides_schema": router.profile_schema()})


@bp.post("/route")
def route_post() -> Response:
    """Plan a route from a JSON body; `?format=geojson|gpx|html` for a download."""
    fmt = params.route_format(request.args)
    if not request.is_json:
        raise invalid("Content-Type", "must be application/json")
    # Parsed here rather than by Flask so the error names the problem; reading
    # the data enforces MAX_CONTENT_LENGTH (413) before any parsing.
    body = params.parse_json(request.get_data(cache=False), "body")
    return _answer(params.route_from_json(body), fmt)


@bp.get("/route")
def route_get() -> Response:
    """Plan a route from query parameters, so downloads can be plain links."""
    fmt = params.route_format(request.args)
    return _answer(params.route_from_args(request.args), fmt)


@bp.get("/places")
def places() -> Response:
    """Search streets, stops and facilities by name (ru, kk, en)."""
    index = current_app.extensions.get("jol.places")
    if index is None:
        raise ApiError(
            "Place search is not available: the compiled graph has no place index.",
            code="unavailable",
            http_status=503,
        )
    q = request.args.get("q")
    if q is None:
        raise invalid("q", "required query parameter")
    limit = params.bounded_int(request.args.get("limit"), "limit", 10, settings.PLACES_MAX_LIMIT)
    near_text = request.args.get("near")
    near = params.lat_lon_pair(near_text, "near") if near_text else None
    kinds_text = request.args.get("kinds")
    kinds = [k for k in kinds_text.split(",") if k] if kinds_text else None
    try:
        found = index.search(q, limit=limit, kinds=kinds, near=near)
    except ValueError as exc:
        raise invalid(_places_field(str(exc)), str(exc)) from exc
    return jsonify({"places": found})


def _places_field(message: str) -> str:
    """The parameter a PlaceIndex error starts with ("kinds must be ..."); `q` otherwise."""
    word = message.split(" ", 1)[0]
    return word if word in ("q", "limit", "near", "kinds") else "q"


@bp.get("/streets")
def streets() -> Response:
    """Street lines of the compiled graph inside `bbox`, for the offline base map."""
    box = params.bbox(request.args.get("bbox"))
    limit = params.bounded_int(
        request.args.get("limit"),
        "limit",
        settings.STREETS_DEFAULT_LIMIT,
        settings.STREETS_MAX_LIMIT,
    )
    _spend_token("streets")
    # The answer depends only on the (gridded) bbox, the limit and the artifact.
    key = (grid_bbox(box, settings.STREETS_GRID_DEG), limit)
    cached = current_app.extensions["jol.streets_cache"].get_or_make(
        key, lambda: _streets_body(*key)
    )
    response = Response(cached.body, mimetype="application/json")
    response.set_etag(cached.etag)
    return response.make_conditional(request)


def _streets_body(box: tuple[float, float, float, float], limit: int) -> bytes:
    features, truncated = current_app.extensions["jol.streets"].query(box, limit)
    answer = {
        "type": "FeatureCollection",
        "bbox": list(box),
        "features": features,
        "truncated": truncated,
        "limit": limit,
    }
    return (current_app.json.dumps(answer) + "\n").encode("utf-8")


def _spend_token(endpoint: str) -> None:
    """Charge the client one `endpoint` request; 429 with Retry-After when its bucket is empty."""
    buckets = current_app.extensions["jol.rate_limits"].get(endpoint)
    if buckets is None:
        return
    wait_s = buckets.take(request.remote_addr or "unknown")
    if wait_s:
        seconds = retry_after_s(wait_s)
        raise ApiError(
            f"Too many {endpoint} requests from this address; retry in {seconds} s.",
            code="rate_limited",
            http_status=429,
            details={
                "retry_after_s": seconds,
                "burst": buckets.burst,
                "per_second": buckets.rate_per_s,
            },
            headers={"Retry-After": str(seconds)},
        )


def _answer(query: params.RouteQuery, fmt: str) -> Response:
    _spend_token("route")
    answer = _router().route(
        query.origin, query.destination, query.profile, query.overrides or None, query.depart_at
    )
    answer = spoken.add_maneuvers(answer, query, _router())
    if fmt == "geojson":
        response = jsonify(route_geojson(answer))
        response.mimetype = "application/geo+json"
        return _attachment(response, "jol-route.geojson")
    if fmt == "gpx":
        response = Response(route_gpx(answer), mimetype="application/gpx+xml")
        return _attachment(response, "jol-route.gpx")
    if fmt == "html":
        page = route_map_html(
            answer, params.language(request.args), _router(), current_app.extensions["jol.streets"]
        )
        response = Response(page, mimetype="text/html")
        # The map's own lock: inline code only, nothing fetched (the app's page policy
        # allows only Jol's script files, which this standalone file does not use).
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return _attachment(response, "jol-route.html")
    return jsonify(answer)


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
