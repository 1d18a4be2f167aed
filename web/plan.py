"""POST /api/v1/plan: door-to-door journeys with public transport (issue 13).

Only HTTP lives here: the body is validated, the compiled timetable beside the
graph is loaded once per worker, and routing.journeys.plan_journeys answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from routing.journeys import add_maneuvers, plan_journeys
from transit.timetable import Timetable
from web import params
from web.api_routes import _spend_token
from web.errors import ApiError, invalid

bp = Blueprint("plan", __name__, url_prefix="/api/v1")

MAX_ITINERARIES = 5  # an explicit ceiling: each itinerary builds street legs
_PLAN_FIELDS = {
    "from",
    "to",
    "profile",
    "overrides",
    "depart_at",
    "arrive_by",
    "max_itineraries",
    "lang",
}


def timetable() -> Timetable | None:
    """The timetable compiled beside the loaded graph (the one place search read), or None."""
    return current_app.extensions["jol.services"].timetable


def feeds() -> list[dict]:
    """The loaded feeds with their service dates (for /api/v1/health)."""
    loaded = timetable()
    return loaded.feed_summaries() if loaded is not None else []


@bp.post("/plan")
def plan_post() -> Response:
    """Itineraries by street and public transport, best first."""
    if not request.is_json:
        raise invalid("Content-Type", "must be application/json")
    body = params.parse_json(request.get_data(cache=False), "body")
    query, arrive_by, limit = _plan_query(body)
    loaded = timetable()
    if loaded is None:
        raise ApiError(
            "no public transport timetable is compiled into the loaded graph",
            code="transit_unavailable",
            http_status=503,
        )
    _spend_token("route")  # like /directions: one bucket for route-like work
    answer = plan_journeys(
        current_app.extensions["jol.router"],
        loaded,
        query.origin,
        query.destination,
        query.profile,
        query.overrides or None,
        depart_at=query.depart_at,
        arrive_by=arrive_by,
        max_itineraries=limit,
    )
    parameters = _parameters(answer["profile"], query.overrides)
    return jsonify(add_maneuvers(answer, query.lang, parameters, query.destination))


def _parameters(profile: str, overrides: dict | None) -> dict:
    router = current_app.extensions["jol.router"]
    found = next((p for p in router.profiles() if p["name"] == profile), {})
    return dict(found.get("parameters") or {}) | (overrides or {})


def _plan_query(body: Any) -> tuple[params.RouteQuery, datetime | None, int]:
    """Validate the body: the route fields, plus arrive_by and max_itineraries."""
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    extra = sorted(set(body) - _PLAN_FIELDS)
    if extra:
        raise invalid(extra[0], "unknown field", allowed=sorted(_PLAN_FIELDS))
    if body.get("depart_at") and body.get("arrive_by"):
        raise invalid("arrive_by", "give depart_at or arrive_by, not both")
    limit = body.get("max_itineraries", 3)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ITINERARIES:
        raise invalid("max_itineraries", f"must be an integer from 1 to {MAX_ITINERARIES}")
    arrive_by = None
    if body.get("arrive_by") not in (None, ""):
        # Validated by the same ISO 8601 rule as depart_at, then named as arrive_by.
        try:
            arrive_by = params.route_from_json(
                {k: body[k] for k in ("from", "to", "profile") if k in body}
                | {"depart_at": body["arrive_by"]}
            ).depart_at
        except ApiError as error:
            if error.details.get("field") != "depart_at":
                raise
            raise invalid("arrive_by", "must be an ISO 8601 date-time") from None
    route_fields = {k: v for k, v in body.items() if k not in ("arrive_by", "max_itineraries")}
    return params.route_from_json(route_fields), arrive_by, limit


# --- OpenAPI (merged into web/openapi.py's document) --------------------------------
def _leg_schema() -> dict:
    return {
        "type": "object",
        "required": ["mode", "departure", "arrival"],
        "properties": {
            "mode": {"type": "string", "enum": ["walk", "bus", "trolleybus", "metro", "tram"]},
            "departure": {"type": "string", "description": "ISO 8601 with offset"},
            "arrival": {"type": "string"},
            "route_id": {"type": "string"},
            "route_short_name": {"type": "string"},
            "headsign": {"type": "string"},
            "trip_id": {"type": "string"},
            "from_stop_id": {"type": "string"},
            "to_stop_id": {"type": "string"},
            "from_stop_name": {"type": "string"},
            "to_stop_name": {"type": "string"},
            "intermediate_stops": {"type": "array", "items": {"type": "object"}},
            "wheelchair_accessible": {"enum": ["yes", "no", "unknown"]},
            "from_wheelchair_boarding": {"enum": ["yes", "no", "unknown"]},
            "to_wheelchair_boarding": {"enum": ["yes", "no", "unknown"]},
            "headway_s": {"type": ["integer", "null"]},
            "exact_times": {"type": ["boolean", "null"]},
            "geometry": {"type": ["array", "object"]},
            "segments": {"type": "array", "description": "walk legs: as in RouteAnswer"},
            "warnings": {"type": "array", "items": {"type": "object"}},
        },
    }


OPENAPI_SCHEMAS: dict[str, Any] = {
    "PlanRequest": {
        "type": "object",
        "required": ["from", "to", "profile"],
        "additionalProperties": False,
        "properties": {
            "from": {"$ref": "#/components/schemas/Point"},
            "to": {"$ref": "#/components/schemas/Point"},
            "profile": {"type": "string", "description": "a name from GET /api/v1/profiles"},
            "overrides": {"$ref": "#/components/schemas/Overrides"},
            "depart_at": {
                "type": "string",
                "description": "ISO 8601; without an offset, the feed agency's local time",
            },
            "arrive_by": {"type": "string", "description": "ISO 8601; instead of depart_at"},
            "max_itineraries": {"type": "integer", "minimum": 1, "maximum": MAX_ITINERARIES},
            "lang": {
                "type": "string",
                "enum": ["ru", "kk", "en"],
                "description": "language of the legs' spoken maneuvers",
            },
        },
    },
    "PlanAnswer": {
        "type": "object",
        "required": ["profile", "itineraries"],
        "properties": {
            "profile": {"type": "string"},
            "feeds": {"type": "array", "items": {"type": "object"}},
            "itineraries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "departure",
                        "arrival",
                        "duration_s",
                        "transfers",
                        "walk_m",
                        "legs",
                    ],
                    "properties": {
                        "kind": {"enum": ["street", "transit"]},
                        "departure": {"type": "string"},
                        "arrival": {"type": "string"},
                        "duration_s": {"type": "number", "minimum": 0},
                        "transfers": {"type": "integer", "minimum": 0},
                        "walk_m": {"type": "number", "minimum": 0},
                        "legs": {"type": "array", "items": _leg_schema()},
                    },
                },
            },
        },
    },
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/plan": {
        "post": {
            "operationId": "planJourney",
            "summary": "Door-to-door journeys by street and public transport for a profile",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PlanRequest"}}
                },
            },
            "responses": {
                "200": {
                    "description": "Itineraries, best first; a street-only one is always a "
                    "candidate",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/PlanAnswer"}}
                    },
                },
                **{
                    status: {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
                    for status, text in (
                        ("400", "Invalid request"),
                        ("413", "Request body too large"),
                        ("422", "Outside the area or the service dates, or no accessible journey"),
                        ("429", "Too many requests"),
                        ("503", "No timetable compiled into the loaded graph"),
                    )
                },
            },
        }
    }
}
