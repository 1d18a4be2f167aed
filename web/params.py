"""Validation of HTTP request parameters into plain Python values.

Each parser raises web.errors.ApiError (400 `invalid_request`) naming the
offending field, so a client always learns which input to fix. Coordinates
are WGS84 degrees.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jol import settings
from web.errors import invalid

ROUTE_FORMATS = ("json", "geojson", "gpx", "html")
# A JSON string literal, escapes included: removed before counting brackets.
# Unrolled ("normal* (special normal*)*") so a long string costs one linear scan.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


@dataclass(frozen=True)
class RouteQuery:
    """A validated route request. Points are (lat, lon) in degrees."""

    origin: tuple[float, float]
    destination: tuple[float, float]
    profile: str
    overrides: dict[str, Any] = field(default_factory=dict)
    depart_at: datetime | None = None  # naive: the city's local time
    lang: str = settings.DEFAULT_LANGUAGE  # of the spoken maneuvers


def route_from_json(body: Any) -> RouteQuery:
    """Validate a POST /api/v1/route JSON body."""
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    allowed = {"from", "to", "profile", "overrides", "depart_at", "lang"}
    extra = sorted(set(body) - allowed)
    if extra:
        raise invalid(extra[0], "unknown field", allowed=sorted(allowed))
    origin = _point_object(body, "from")
    destination = _point_object(body, "to")
    profile = _required_str(body, "profile")
    overrides = body.get("overrides", {})
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise invalid("overrides", "must be an object")
    if len(overrides) > settings.MAX_OVERRIDES:
        raise invalid("overrides", f"at most {settings.MAX_OVERRIDES} keys")
    depart_at = _depart_at(body.get("depart_at"))
    lang = body.get("lang", settings.DEFAULT_LANGUAGE)
    if lang not in settings.LANGUAGES:
        raise invalid("lang", f"must be one of {', '.join(settings.LANGUAGES)}")
    return RouteQuery(origin, destination, profile, overrides, depart_at, lang)


def route_from_args(args: Any) -> RouteQuery:
    """Validate GET /api/v1/route query parameters (`from=lat,lon&to=lat,lon&profile=`)."""
    origin = lat_lon_pair(_required_arg(args, "from"), "from")
    destination = lat_lon_pair(_required_arg(args, "to"), "to")
    profile = _required_arg(args, "profile")
    raw = args.get("overrides")
    overrides: Any = {}
    if raw:
        overrides = parse_json(raw, "overrides")
    body = {"from": _as_obj(origin), "to": _as_obj(destination), "profile": profile}
    body["overrides"] = overrides
    if args.get("depart_at"):
        body["depart_at"] = args.get("depart_at")
    if args.get("lang"):
        body["lang"] = args.get("lang")
    return route_from_json(body)


def parse_json(raw: bytes | str, name: str) -> Any:
    """Strict JSON from a request: UTF-8, nested at most MAX_JSON_DEPTH, no NaN/Infinity.

    Python's json accepts the non-standard literals NaN and Infinity, turns
    1e400 into inf and recurses once per nesting level; each would reach the
    router or crash the parser, so all are refused here with a 400 naming `name`.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise invalid(name, "malformed JSON: not UTF-8") from exc
    depth = settings.MAX_JSON_DEPTH
    if _nested_deeper_than(text, depth):
        raise invalid(name, f"JSON nested deeper than {depth} levels", max_depth=depth)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except _NonFinite as exc:
        raise invalid(name, f"{exc.args[0]} is not allowed: numbers must be finite") from exc
    except (ValueError, RecursionError) as exc:
        raise invalid(name, "malformed JSON") from exc


class _NonFinite(ValueError):
    """A JSON number that is NaN or infinite; args[0] is its text."""


def _no_constant(text: str) -> float:
    raise _NonFinite(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf
        raise _NonFinite(text)
    return value


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit`, counted without recursion."""
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if char in "[{" else -1
        if depth > limit:
            return True
    return False


def route_format(args: Any) -> str:
    """The `format` query parameter: json (default), geojson, gpx or html."""
    fmt = args.get("format", "json")
    if fmt not in ROUTE_FORMATS:
        raise invalid("format", f"must be one of {', '.join(ROUTE_FORMATS)}")
    return fmt


def language(args: Any) -> str:
    """The `lang` query parameter of page-like answers: ru (default), kk or en."""
    lang = args.get("lang") or settings.DEFAULT_LANGUAGE
    if lang not in settings.LANGUAGES:
        raise invalid("lang", f"must be one of {', '.join(settings.LANGUAGES)}")
    return lang


def lat_lon_pair(text: str, name: str) -> tuple[float, float]:
    """Parse "lat,lon" (degrees) into a checked (lat, lon)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise invalid(name, "must be 'lat,lon' in degrees")
    lat = _number(parts[0].strip(), f"{name}.lat")
    lon = _number(parts[1].strip(), f"{name}.lon")
    return _check_lat(lat, f"{name}.lat"), _check_lon(lon, f"{name}.lon")


def bbox(text: str | None) -> tuple[float, float, float, float]:
    """Parse `bbox=min_lon,min_lat,max_lon,max_lat` (degrees), bounded in size."""
    if not text:
        raise invalid("bbox", "required: min_lon,min_lat,max_lon,max_lat")
    parts = text.split(",")
    if len(parts) != 4:
        raise invalid("bbox", "must be min_lon,min_lat,max_lon,max_lat")
    min_lon, min_lat, max_lon, max_lat = (_number(p.strip(), "bbox") for p in parts)
    _check_lon(min_lon, "bbox")
    _check_lon(max_lon, "bbox")
    _check_lat(min_lat, "bbox")
    _check_lat(max_lat, "bbox")
    if min_lon > max_lon or min_lat > max_lat:
        raise invalid("bbox", "min must not exceed max")
    side = settings.STREETS_MAX_BBOX_DEG
    if max_lon - min_lon > side or max_lat - min_lat > side:
        raise invalid("bbox", f"each side must be at most {side} degrees", max_deg=side)
    return min_lon, min_lat, max_lon, max_lat


def bounded_int(text: str | None, name: str, default: int, maximum: int) -> int:
    """An integer query parameter in [1, maximum]; `default` when absent."""
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise invalid(name, "must be an integer") from exc
    if not 1 <= value <= maximum:
        raise invalid(name, f"must be between 1 and {maximum}", maximum=maximum)
    return value


def _point_object(body: dict, name: str) -> tuple[float, float]:
    point = body.get(name)
    if point is None:
        raise invalid(name, "required: {'lat': degrees, 'lon': degrees}")
    if not isinstance(point, dict):
        raise invalid(name, "must be an object {'lat': degrees, 'lon': degrees}")
    lat = _json_number(point.get("lat"), f"{name}.lat")
    lon = _json_number(point.get("lon"), f"{name}.lon")
    return _check_lat(lat, f"{name}.lat"), _check_lon(lon, f"{name}.lon")


def _json_number(value: Any, name: str) -> float:
    if value is None:
        raise invalid(name, "required number")
    # bool is an int subclass in Python but never a coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(name, "must be a number")
    try:
        number = float(value)  # an int of 400 digits does not fit a float
    except OverflowError as exc:
        raise invalid(name, "must be a finite number of degrees") from exc
    if not math.isfinite(number):
        raise invalid(name, "must be finite")
    return number


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise invalid(name, "must be a number") from exc
    if not math.isfinite(value):
        raise invalid(name, "must be finite")
    return value


def _check_lat(value: float, name: str) -> float:
    if not -90.0 <= value <= 90.0:
        raise invalid(name, "latitude must be between -90 and 90 degrees")
    return value


def _check_lon(value: float, name: str) -> float:
    if not -180.0 <= value <= 180.0:
        raise invalid(name, "longitude must be between -180 and 180 degrees")
    return value


def _required_str(body: dict, name: str) -> str:
    value = body.get(name)
    if value is None:
        raise invalid(name, "required string")
    if not isinstance(value, str) or not value.strip():
        raise invalid(name, "must be a non-empty string")
    return value.strip()


def _required_arg(args: Any, name: str) -> str:
    value = args.get(name)
    if not value:
        raise invalid(name, "required query parameter")
    return value


def _depart_at(value: Any) -> datetime | None:
    """ISO 8601 date-time, with or without an offset (without: the city's local time)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("depart_at", "must be an ISO 8601 date-time string")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid("depart_at", "must be an ISO 8601 date-time, e.g. 2026-05-01T08:30") from exc


def _as_obj(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1]}
