"""OpenAPI 3.1 description of every endpoint, served at GET /openapi.json.

The `overrides` schema is taken from the loaded Router so the document always
matches the profiles actually served. Tests validate real responses against
these schemas, so a change to an answer must be reflected here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from jol import settings
from routing.service import WARNING_CODES
from routing.turns import COMPASS, TURN_KINDS
from web import plan, taxi
from web.params import ROUTE_FORMATS

bp = Blueprint("openapi", __name__)

_UNKNOWN = {"type": "string", "const": "unknown"}
_TRISTATE = {"type": "string", "enum": ["yes", "no", "unknown"]}


def _num_or_unknown() -> dict[str, Any]:
    return {"oneOf": [{"type": "number"}, _UNKNOWN]}


def _any_or_unknown() -> dict[str, Any]:
    # Barrier tags beyond the core set (handrail, sound, ...) are free-form OSM
    # values or "unknown"; the API passes them through unchanged.
    return {"type": ["string", "number", "boolean", "null"]}


def _lang_text() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {k: {"type": "string"} for k in settings.LANGUAGES},
        "additionalProperties": {"type": "string"},
    }


def _point() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["lat", "lon"],
        "additionalProperties": False,
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "degrees"},
            "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "degrees"},
        },
    }


def _schemas(overrides_schema: dict[str, Any]) -> dict[str, Any]:
    barrier = {
        "type": "object",
        "required": ["kind", "lat", "lon"],
        "properties": {
            "kind": {"type": "string", "description": "kerb, crossing, steps, elevator, gate, ..."},
            "osm_id": {"type": ["integer", "null"]},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "height_cm": _num_or_unknown(),
            "signals": _TRISTATE,
            "sound": _any_or_unknown(),
            "vibration": _any_or_unknown(),
            "tactile_paving": _TRISTATE,
            "step_count": {"oneOf": [{"type": "integer"}, _UNKNOWN]},
            "handrail": _any_or_unknown(),
            "island": {**_TRISTATE, "description": "crossing: a refuge island halfway"},
            "lanes": {
                "oneOf": [{"type": "integer", "minimum": 1}, _UNKNOWN],
                "description": "crossing: lanes of the crossed road (its `lanes` tag)",
            },
        },
        "additionalProperties": True,
    }
    segment = {
        "type": "object",
        "properties": {
            "osm_way_id": {"type": ["integer", "null"]},
            "name": {"type": ["string", "null"]},
            "highway": {"type": ["string", "null"]},
            "footway": {"type": ["string", "null"]},
            "length_m": {"type": "number", "minimum": 0},
            "duration_s": {"type": "number", "minimum": 0},
            "surface": {"type": "string"},
            "smoothness": {"type": "string"},
            "incline": {
                "type": "object",
                "properties": {
                    "grade_pct": _num_or_unknown(),
                    "max_up_pct": _num_or_unknown(),
                    "max_down_pct": _num_or_unknown(),
                    "source": {"type": "string", "enum": ["tag", "dem", "unknown"]},
                },
            },
            "width": _num_or_unknown(),
            "lit": _TRISTATE,
            "coordinates_range": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0},
                "minItems": 2,
                "maxItems": 2,
            },
            "barriers": {"type": "array", "items": {"$ref": "#/components/schemas/Barrier"}},
            "turn": {
                "description": "change of heading where this step starts; null on the first",
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["angle_deg", "kind", "side", "clock"],
                        "additionalProperties": False,
                        "properties": {
                            "angle_deg": {
                                "type": "integer",
                                "minimum": -180,
                                "maximum": 180,
                                "description": "positive to the right",
                            },
                            "kind": {"enum": [name for _, name in TURN_KINDS]},
                            "side": {"enum": ["left", "right", None]},
                            "clock": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 12,
                                "description": "clock face: 12 ahead, 3 right, 9 left",
                            },
                        },
                    },
                ],
            },
            "heading": {
                "type": "object",
                "description": "first step only: which way to set off",
                "required": ["degrees", "compass"],
                "additionalProperties": False,
                "properties": {
                    "degrees": {"type": "integer", "minimum": 0, "maximum": 360},
                    "compass": {"enum": list(COMPASS)},
                },
            },
        },
        "required": [
            "osm_way_id",
            "highway",
            "length_m",
            "duration_s",
            "coordinates_range",
            "turn",
        ],
        "additionalProperties": True,
    }
    line = {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"const": "LineString"},
            "coordinates": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "number"}, "minItems": 2},
            },
        },
    }
    route = {
        "type": "object",
        "required": ["distance_m", "duration_s", "geometry", "segments", "maneuvers"],
        "properties": {
            "maneuvers": {
                "type": "array",
                "description": "spoken directions in the request's lang (routing/directions.py)",
                "items": {"$ref": "#/components/schemas/Maneuver"},
            },
            "distance_m": {"type": "number", "minimum": 0, "description": "metres"},
            "duration_s": {"type": "number", "minimum": 0, "description": "seconds"},
            "ascent_m": {"type": "number", "minimum": 0},
            "descent_m": {"type": "number", "minimum": 0},
            "geometry": {"$ref": "#/components/schemas/LineString"},
            "segments": {"type": "array", "items": {"$ref": "#/components/schemas/Segment"}},
            "unknown": {
                "type": "object",
                "properties": {
                    "kerbs": {"type": "integer", "minimum": 0},
                    "crossings": {"type": "integer", "minimum": 0},
                    "surface_m": {"type": "number", "minimum": 0},
                    "incline_m": {"type": "number", "minimum": 0},
                    "width_m": {"type": "number", "minimum": 0},
                    "lit_m": {"type": "number", "minimum": 0},
                    "junctions": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "street intersections passed with no crossing or kerb "
                        "mapped",
                    },
                },
            },
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
            "steepest": {
                "type": "object",
                "required": ["up_pct", "down_pct"],
                "description": "steepest climb and descent on the route (%, >= 0, over the "
                "grade smoothing window), unknown where no part has slope data",
                "properties": {"up_pct": _num_or_unknown(), "down_pct": _num_or_unknown()},
            },
            "unmapped_junctions": {
                "type": "array",
                "description": "each street intersection counted in unknown.junctions: its OSM "
                "node, position and `segment`, the index of the step it belongs to",
                "items": {"$ref": "#/components/schemas/PlacedNode"},
            },
        },
    }
    placed_node = {
        "type": "object",
        "required": ["osm_id", "osm_type", "lat", "lon", "segment"],
        "properties": {
            "kind": {"type": "string", "description": "barrier=* value (warnings only)"},
            "osm_id": {"type": "integer"},
            "osm_type": {"const": "node"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "segment": {"type": "integer", "minimum": 0},
        },
    }
    snap_point = {
        "type": "object",
        "required": ["lat", "lon"],
        "properties": {
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "distance_m": {"type": "number", "minimum": 0},
        },
    }
    return {
        "Point": _point(),
        "Overrides": overrides_schema,
        "RouteRequest": {
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
                    "description": "ISO 8601 date-time; without an offset, the city's local "
                    "time. Decides daylight: in daylight unlit ways cost no more than lit ones",
                },
                "lang": {
                    "type": "string",
                    "enum": list(settings.LANGUAGES),
                    "default": settings.DEFAULT_LANGUAGE,
                    "description": "language of the answer's maneuvers",
                },
            },
        },
        "DirectionsRequest": {
            "type": "object",
            "required": ["from", "to", "profile"],
            "additionalProperties": False,
            "properties": {
                "from": {"$ref": "#/components/schemas/Point"},
                "to": {"$ref": "#/components/schemas/Point"},
                "profile": {"type": "string"},
                "overrides": {"$ref": "#/components/schemas/Overrides"},
                "depart_at": {"type": "string"},
                "lang": {"type": "string", "enum": list(settings.LANGUAGES)},
                "format": {"type": "string", "enum": ["text", "ssml", "audio"], "default": "text"},
            },
        },
        "Maneuver": {
            "type": "object",
            "required": ["code", "params", "distance_m", "text", "alert", "before", "after"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "start, turn, continue, crossing, kerb, steps, elevator, "
                    "entrance, barrier, arrive",
                },
                "params": {"type": "object", "description": "what the words were made from"},
                "distance_m": {"type": "number", "minimum": 0, "description": "to the next one"},
                "approach_m": {
                    "type": "number",
                    "minimum": 0,
                    "description": "from the previous one (what `before` says)",
                },
                "paces": {"type": "integer", "minimum": 0, "description": "blind: 0.7 m each"},
                "segment": {"type": "integer", "minimum": 0},
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "ahead": {"type": "array", "items": {"type": "object"}},
                "lang": {"type": "string"},
                "text": {"type": "string"},
                "alert": {"type": "string"},
                "before": {"type": "string"},
                "after": {"type": "string"},
            },
        },
        "Barrier": barrier,
        "Blocking": {
            "type": "object",
            "required": ["kind", "osm_id", "osm_type", "lat", "lon", "reason"],
            "properties": {
                "kind": {"type": "string", "description": "way, kerb, barrier, steps, ..."},
                "osm_id": {"type": ["integer", "null"]},
                "osm_type": {"type": ["string", "null"], "enum": ["node", "way", None]},
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "reason": {
                    "type": "string",
                    "description": "machine-readable: too_steep_up, kerb_too_high, ...",
                },
                "message": {"type": "string"},
                "grade_pct": {
                    **_num_or_unknown(),
                    "description": "too_steep_*: steepest grade of the stretch (%, >= 0; "
                    "the reason says up or down)",
                },
                "limit_pct": {"type": "number", "description": "the profile's grade limit"},
                "kerb_cm": {**_num_or_unknown(), "description": "kerb_*: the kerb's height"},
                "limit_cm": {"type": "number", "description": "the profile's highest kerb"},
                "width_m": {**_num_or_unknown(), "description": "too_narrow: narrowest width"},
                "limit_m": {"type": "number", "description": "the profile's narrowest way"},
                "length_m": {
                    "type": "number",
                    "minimum": 0,
                    "description": "blocked ways: length of the stretch on the candidate route",
                },
                "line": {
                    "type": "array",
                    "description": "blocked ways: the stretch on the candidate route, [lon, lat]",
                    "items": {"type": "array", "items": {"type": "number"}, "minItems": 2},
                },
            },
        },
        "Suggestion": {
            "type": "object",
            "required": ["code", "params"],
            "properties": {
                "code": {
                    "type": "string",
                    "enum": ["try_profile", "invataxi"],
                    "description": "try_profile: params.profile finds a route between the same "
                    "points; invataxi: an accessible taxi (wheelchair profiles)",
                },
                "params": {"type": "object"},
            },
        },
        "Segment": segment,
        "Warning": {
            "type": "object",
            "required": ["code", "message", "params"],
            "properties": {
                "code": {
                    "type": "string",
                    "enum": list(WARNING_CODES),
                    "description": "stable; clients translate it with `params`",
                },
                "message": {"type": "string", "description": "English"},
                "params": {
                    "type": "object",
                    "description": "numbers, or words a client translates as <param>_<word> "
                    "(steep_stretch: direction up|down, source dem|tag)",
                    "additionalProperties": {"type": ["number", "string"]},
                },
                "barriers": {
                    "type": "array",
                    "description": "barrier_unknown_passability: each barrier and where",
                    "items": {"$ref": "#/components/schemas/PlacedNode"},
                },
            },
        },
        "PlacedNode": placed_node,
        "LineString": line,
        "Route": route,
        "RouteAnswer": {
            "type": "object",
            "required": ["profile", "routes"],
            "properties": {
                "profile": {"type": "string"},
                "overrides": {"type": "object"},
                "snap": {
                    "type": "object",
                    "properties": {"from": snap_point, "to": snap_point},
                },
                "routes": {"type": "array", "items": {"$ref": "#/components/schemas/Route"}},
                "conditions": {"$ref": "#/components/schemas/Conditions"},
            },
        },
        "Conditions": {
            "type": "object",
            "description": "only with depart_at: the time and light at the start",
            "required": [
                "depart_at",
                "time_zone",
                "sun_altitude_deg",
                "daylight",
                "arrive_at",
                "daylight_at_arrival",
            ],
            "additionalProperties": False,
            "properties": {
                "depart_at": {"type": "string", "description": "ISO 8601 with offset"},
                "time_zone": {"type": "string", "description": "IANA name, or mean solar time"},
                "sun_altitude_deg": {"type": "number", "minimum": -90, "maximum": 90},
                "daylight": {"type": "boolean", "description": "sun up at the start"},
                "arrive_at": {"type": "string", "description": "depart_at plus the route's time"},
                "daylight_at_arrival": {
                    "type": "boolean",
                    "description": "false: it gets dark on the way, and the route was planned "
                    "for the dark",
                },
            },
        },
        "Profile": {
            "type": "object",
            "required": ["name", "title"],
            "properties": {
                "name": {"type": "string"},
                "title": _lang_text(),
                "description": _lang_text(),
                "limits": {"type": "object"},
                "speed_mps": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "ProfilesAnswer": {
            "type": "object",
            "required": ["profiles", "overrides_schema"],
            "properties": {
                "profiles": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}},
                "overrides_schema": {"type": "object"},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "data"],
            "properties": {
                "status": {"const": "ok"},
                "data": {
                    "type": "object",
                    "required": ["city", "bbox", "nodes", "edges", "artifacts"],
                    "properties": {
                        "city": {"type": "string"},
                        "osm_date": {"type": ["string", "null"]},
                        "bbox": {
                            "type": ["array", "null"],
                            "items": {"type": "number"},
                            "minItems": 4,
                            "maxItems": 4,
                            "description": "[min_lon, min_lat, max_lon, max_lat] of the OSM "
                            "extract, degrees; null if unknown",
                        },
                        "inputs": {
                            "type": "array",
                            "description": "source files the graph was built from",
                            "items": {
                                "type": "object",
                                "required": ["kind", "file", "sha256"],
                                "additionalProperties": False,
                                "properties": {
                                    "kind": {"type": "string"},
                                    "file": {
                                        "type": "string",
                                        "description": "input file name, without its folder",
                                    },
                                    "sha256": {"type": "string"},
                                },
                            },
                        },
                        "profiles": {"type": "array", "items": {"type": "string"}},
                        "nodes": {"type": "integer", "minimum": 0},
                        "edges": {"type": "integer", "minimum": 0},
                        "artifacts": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "file name -> sha256 hex",
                        },
                        "built_at": {"type": ["string", "null"]},
                    },
                },
            },
        },
        "Place": {
            "type": "object",
            "required": ["id", "kind", "name", "lat", "lon"],
            "properties": {
                "id": {"type": ["string", "integer"]},
                "kind": {"type": "string"},
                "category": {"type": ["string", "null"]},
                "name": {"type": "string"},
                "names": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "null"]},
                },
                "lat": {"type": "number"},
                "lon": {"type": "number"},
                "access": {"type": ["object", "null"]},
            },
        },
        "PlacesAnswer": {
            "type": "object",
            "required": ["places"],
            "properties": {
                "places": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}}
            },
        },
        "StreetsAnswer": {
            "type": "object",
            "required": ["type", "features", "truncated", "limit"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "bbox": {
                    "type": "array",
                    "items": {"type": "number"},
                    "minItems": 4,
                    "maxItems": 4,
                    "description": "The bbox answered: the request's, widened outward to a "
                    f"{settings.STREETS_GRID_DEG}-degree grid",
                },
                "truncated": {"type": "boolean"},
                "limit": {"type": "integer"},
                "features": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "geometry", "properties"],
                        "properties": {
                            "type": {"const": "Feature"},
                            "geometry": {"$ref": "#/components/schemas/LineString"},
                            "properties": {
                                "type": "object",
                                "required": ["osm_way_id", "highway", "length_m"],
                                "properties": {
                                    "osm_way_id": {"type": "integer"},
                                    "highway": {"type": "string"},
                                    "length_m": {"type": "number", "minimum": 0},
                                },
                            },
                        },
                    },
                },
            },
        },
        "RouteGeoJSON": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "geometry", "properties"],
                        "properties": {
                            "type": {"const": "Feature"},
                            "properties": {
                                "type": "object",
                                "required": ["kind"],
                                "properties": {"kind": {"enum": ["route", "segment", "barrier"]}},
                            },
                        },
                    },
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {
                            "type": "string",
                            "description": "invalid_request, unknown_profile, invalid_override, "
                            "outside_area, no_accessible_route, not_found, method_not_allowed, "
                            "request_too_large, unavailable, internal_error",
                        },
                        "message": {"type": "string"},
                        "details": {
                            "type": "object",
                            "properties": {
                                "field": {
                                    "type": "string",
                                    "description": "the request field at fault (invalid_request)",
                                },
                                "blocking": {
                                    "type": "array",
                                    "description": "what blocks every route (no_accessible_route)"
                                    ", each where the candidate route meets it",
                                    "items": {"$ref": "#/components/schemas/Blocking"},
                                },
                                "did_you_mean": {
                                    "type": ["string", "null"],
                                    "description": "the valid override key closest to a "
                                    "misspelt one, or null (invalid_override)",
                                },
                                "valid_keys": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "every key `overrides` accepts "
                                    "(invalid_override with an unknown key)",
                                },
                                "swapped_inside": {
                                    "type": "boolean",
                                    "description": "whether the point with latitude and "
                                    "longitude swapped lies inside the area (outside_area)",
                                },
                                "candidate": {
                                    "description": "no_accessible_route: the least-bad path, "
                                    "through the blocking items; null if none connects",
                                    "oneOf": [
                                        {"type": "null"},
                                        {
                                            "type": "object",
                                            "required": ["geometry", "distance_m"],
                                            "properties": {
                                                "geometry": {
                                                    "$ref": "#/components/schemas/LineString"
                                                },
                                                "distance_m": {"type": "number", "minimum": 0},
                                            },
                                        },
                                    ],
                                },
                                "suggestions": {
                                    "type": "array",
                                    "description": "no_accessible_route: what may help instead",
                                    "items": {"$ref": "#/components/schemas/Suggestion"},
                                },
                            },
                        },
                    },
                }
            },
        },
    }


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*statuses: str) -> dict[str, Any]:
    text = {
        "400": "Invalid request (the field is named in details.field)",
        "413": "Request body too large",
        "422": "Outside the mapped area, or no accessible route (details.blocking)",
        "429": "Too many requests from this address (details.retry_after_s; Retry-After header)",
        "503": "The compiled data lacks what this endpoint needs",
    }
    return {s: {"description": text[s], "content": _json("Error")} for s in statuses}


def _query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def build_spec(overrides_schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document for this service."""
    formats = list(ROUTE_FORMATS)
    route_responses = {
        "200": {
            "description": "A route (format=json), a GeoJSON FeatureCollection "
            "(format=geojson), a GPX 1.1 file (format=gpx) or a standalone HTML map "
            "that opens offline (format=html, in the language `lang`)",
            "content": {
                **_json("RouteAnswer"),
                "application/geo+json": {"schema": {"$ref": "#/components/schemas/RouteGeoJSON"}},
                "application/gpx+xml": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        **_errors("400", "413", "422", "429"),
    }
    fmt = _query("format", "Answer format", enum=formats, default="json")
    lang = _query(
        "lang",
        "Language of the spoken maneuvers and of the HTML map (format=html)",
        enum=list(settings.LANGUAGES),
        default=settings.DEFAULT_LANGUAGE,
    )
    spec = {
        "openapi": "3.1.0",
        "info": {
            "title": "Jol accessible routing API",
            "version": "1.0.0",
            "description": "Accessible walking and wheelchair routes in Almaty. Coordinates are "
            "WGS84 degrees, distances metres, durations seconds. Every error is "
            '{"error": {"code", "message", "details"}}.',
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": {
            "/api/v1/route": {
                "post": {
                    "operationId": "planRoute",
                    "summary": "Plan an accessible route",
                    "parameters": [fmt, lang],
                    "requestBody": {"required": True, "content": _json("RouteRequest")},
                    "responses": route_responses,
                },
                "get": {
                    "operationId": "planRouteGet",
                    "summary": "Plan a route from query parameters (used by download links)",
                    "parameters": [
                        _query("from", "Origin 'lat,lon' in degrees", required=True),
                        _query("to", "Destination 'lat,lon' in degrees", required=True),
                        _query("profile", "Profile name", required=True),
                        _query("overrides", "JSON object of profile overrides"),
                        _query("depart_at", "ISO 8601 date-time"),
                        fmt,
                        lang,
                    ],
                    "responses": route_responses,
                },
            },
            "/api/v1/directions": {
                "post": {
                    "operationId": "directions",
                    "summary": "Spoken directions of a route: numbered text, SSML or audio",
                    "requestBody": {"required": True, "content": _json("DirectionsRequest")},
                    "responses": {
                        "200": {
                            "description": "text/plain, SSML, or audio (Ogg; WAV without oggenc)",
                            "content": {
                                "text/plain": {"schema": {"type": "string"}},
                                "application/ssml+xml": {"schema": {"type": "string"}},
                                "audio/ogg": {"schema": {"type": "string", "format": "binary"}},
                                "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                            },
                        },
                        **_errors("400", "413", "422", "429", "503"),
                    },
                }
            },
            "/api/v1/profiles": {
                "get": {
                    "operationId": "listProfiles",
                    "summary": "Profiles, their limits and the overrides schema",
                    "responses": {
                        "200": {"description": "Profiles", "content": _json("ProfilesAnswer")}
                    },
                }
            },
            "/api/v1/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Service status and the loaded data",
                    "responses": {"200": {"description": "Healthy", "content": _json("Health")}},
                }
            },
            "/api/v1/places": {
                "get": {
                    "operationId": "searchPlaces",
                    "summary": "Find streets, stops and facilities by name (ru, kk, en)",
                    "parameters": [
                        _query("q", "Name or part of it", required=True),
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": settings.PLACES_MAX_LIMIT,
                                "default": 10,
                            },
                        },
                        _query("near", "'lat,lon' in degrees; nearer places rank higher"),
                        _query("kinds", "Comma-separated place kinds to keep"),
                    ],
                    "responses": {
                        "200": {
                            "description": "Matches, best first",
                            "content": _json("PlacesAnswer"),
                        },
                        **_errors("400", "503"),
                    },
                }
            },
            "/api/v1/streets": {
                "get": {
                    "operationId": "streets",
                    "summary": "Street lines of the compiled graph in a bbox (offline base map)",
                    "parameters": [
                        _query(
                            "bbox",
                            "min_lon,min_lat,max_lon,max_lat in degrees; each side at most "
                            f"{settings.STREETS_MAX_BBOX_DEG}",
                            required=True,
                        ),
                        {
                            "name": "limit",
                            "in": "query",
                            "description": "Most lines returned; major streets first",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": settings.STREETS_MAX_LIMIT,
                                "default": settings.STREETS_DEFAULT_LIMIT,
                            },
                        },
                    ],
                    "responses": {
                        "200": {"description": "Street lines", "content": _json("StreetsAnswer")},
                        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                        **_errors("400", "429"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 document"}},
                }
            },
            **taxi.openapi_paths(),
        },
        "components": {
            "schemas": _schemas(overrides_schema) | plan.OPENAPI_SCHEMAS,
            "securitySchemes": taxi.SECURITY_SCHEMES,
        },
    }
    spec["paths"] |= plan.OPENAPI_PATHS  # issue 13
    return spec


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """Serve the OpenAPI document built from the loaded router."""
    router = current_app.extensions["jol.router"]
    return jsonify(build_spec(router.profile_schema()))
