"""JSON Schemas of the dispatch requests: validated here, and published in web/openapi.py."""

from __future__ import annotations

from typing import Any

from jol import settings

POINT: dict[str, Any] = {
    "type": "object",
    "required": ["lat", "lon"],
    "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
    },
}
_ID = {"type": ["string", "integer"]}
_EQUIPMENT = {
    "type": "array",
    "items": {"enum": ["ramp", "lift"]},
    "maxItems": 2,
    "uniqueItems": True,
}
_DEPART = {"type": "string", "maxLength": 40}
_PROFILE = {"type": "string", "maxLength": 64}
_SECONDS = {"type": "integer", "minimum": 0, "maximum": 7 * 24 * 3600}
_WINDOW = {"type": "array", "items": _SECONDS, "minItems": 2, "maxItems": 2}
_TIMES = {
    "type": "object",
    "properties": {"board": _SECONDS, "alight": _SECONDS},
    "additionalProperties": False,
}
VEHICLE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "lat", "lon"],
    "properties": {
        "id": _ID,
        "lat": POINT["properties"]["lat"],
        "lon": POINT["properties"]["lon"],
        "equipment": _EQUIPMENT,
        "seats": {"type": "integer", "minimum": 1, "maximum": 50},
    },
}
_VEHICLES = {"type": "array", "items": VEHICLE, "maxItems": settings.TAXI_MAX_VEHICLES}
ESTIMATE: dict[str, Any] = {
    "type": "object",
    "required": ["pickup", "dropoff"],
    "properties": {
        "pickup": POINT,
        "dropoff": POINT,
        "profile": _PROFILE,
        # The passenger's own profile overrides (as for /route), for the rolls to the kerbs.
        "overrides": {"type": "object", "maxProperties": settings.MAX_OVERRIDES},
        "vehicles": _VEHICLES,
        "depart_at": _DEPART,
        "boarding_s": {"type": "object", "properties": {"ramp": _TIMES, "lift": _TIMES}},
    },
}
_INDEXES = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1}
MATRIX: dict[str, Any] = {
    "type": "object",
    "required": ["locations"],
    "properties": {
        # No item cap here: the body limit bounds it, and too many cells is a 413.
        "locations": {"type": "array", "items": POINT, "minItems": 1},
        "sources": _INDEXES,
        "destinations": _INDEXES,
        "annotations": {
            "type": "array",
            "items": {"enum": ["duration", "distance"]},
            "minItems": 1,
            "uniqueItems": True,
        },
        "depart_at": _DEPART,
    },
}
ASSIGN: dict[str, Any] = {
    "type": "object",
    "required": ["vehicles", "requests"],
    "properties": {
        "vehicles": {**_VEHICLES, "minItems": 1},
        "requests": {
            "type": "array",
            "minItems": 1,
            "maxItems": settings.TAXI_MAX_BOOKINGS,
            "items": {
                "type": "object",
                "required": ["id", "pickup"],
                "properties": {
                    "id": _ID,
                    "pickup": POINT,
                    "equipment": _EQUIPMENT,
                    "passengers": {"type": "integer", "minimum": 1, "maximum": 50},
                },
            },
        },
        "depart_at": _DEPART,
    },
}
PLAN: dict[str, Any] = {
    "type": "object",
    "required": ["vehicles", "bookings"],
    "properties": {
        "shift_date": _DEPART,
        "profile": _PROFILE,
        "vehicles": {
            "type": "array",
            "minItems": 1,
            "maxItems": settings.TAXI_MAX_VEHICLES,
            "items": {
                "type": "object",
                "required": ["id", "start", "shift"],
                "properties": {
                    "id": _ID,
                    "start": POINT,
                    "shift": _WINDOW,
                    "equipment": _EQUIPMENT,
                    "capacity": {"type": "integer", "minimum": 1, "maximum": 50},
                },
            },
        },
        "bookings": {
            "type": "array",
            "maxItems": settings.TAXI_MAX_BOOKINGS,
            "items": {
                "type": "object",
                "required": ["id", "pickup", "dropoff", "window"],
                "properties": {
                    "id": _ID,
                    "pickup": POINT,
                    "dropoff": POINT,
                    "window": _WINDOW,
                    "equipment": _EQUIPMENT,
                    "passengers": {"type": "integer", "minimum": 1, "maximum": 50},
                    "profile": _PROFILE,
                },
            },
        },
    },
}

# The page's own question (web/taxi.py `trip`): the same trip as a /route request.
TRIP: dict[str, Any] = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {
        "from": POINT,
        "to": POINT,
        "profile": _PROFILE,
        "overrides": {"type": "object", "maxProperties": settings.MAX_OVERRIDES},
        "depart_at": _DEPART,
    },
}
