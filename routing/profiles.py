"""Disability profiles: declared as JSON data, validated against one schema.

Every profile file in ``routing/profiles/`` sets every parameter below; a request
may override any numeric, boolean or policy parameter within the same ranges
("my chair climbs 4 cm kerbs" is ``{"max_kerb_cm": 4}``). Maps (surface and
smoothness factors) and the barrier list are part of the profile, not overridable.

Units: speeds in m/s, heights in cm, grades in percent, widths and distances in
metres, penalties in seconds, factors are multipliers on travel time (>= 1).
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from routing.errors import RoutingError

PROFILE_DIR = Path(__file__).with_name("profiles")
IMPASSABLE = "impassable"
UNKNOWN_POLICIES = ("ignore", "penalty", "avoid")

# name -> (JSON type, minimum, maximum, meaning). Every one may be overridden per request.
PARAMETERS: dict[str, tuple[str, float | None, float | None, str]] = {
    "speed_mps": ("number", 0.1, 3.0, "walking or rolling speed on the flat, m/s"),
    "steps_allowed": ("boolean", None, None, "whether steps can be used at all"),
    "max_steps": ("integer", 0, 1000, "most steps in one flight (known step_count)"),
    "steps_s_per_step": ("number", 0, 120, "extra seconds per step climbed"),
    "steps_flight_s": (
        "number",
        0,
        3600,
        "reluctance: seconds added per flight of steps whose step_count is unknown",
    ),
    "steps_known_s_per_step": (
        "number",
        0,
        600,
        "reluctance: seconds added per step of a flight whose step_count is known",
    ),
    "max_kerb_cm": ("number", 0, 40, "highest kerb that can be crossed, cm"),
    "kerb_penalty_s_per_cm": ("number", 0, 600, "extra seconds per cm of a passable kerb"),
    "max_incline_up_pct": ("number", 0, 100, "steepest uphill grade, percent"),
    "max_incline_down_pct": ("number", 0, 100, "steepest downhill grade, percent"),
    "uphill_slowdown_per_pct": ("number", 0, 1, "travel time grows by this per percent uphill"),
    "downhill_slowdown_per_pct": ("number", 0, 1, "travel time grows by this per percent downhill"),
    "min_width_m": ("number", 0, 5, "narrowest passable way, metres"),
    "avoid_wheelchair_no": ("boolean", None, None, "treat wheelchair=no as impassable"),
    "wheelchair_limited_s": ("number", 0, 3600, "seconds added at a wheelchair=limited node"),
    "road_factor": ("number", 1, 50, "walking along a carriageway tagged sidewalk=no"),
    "unknown_sidewalk_factor": ("number", 1, 50, "carriageway whose sidewalk is not mapped"),
    "separate_sidewalk_road_factor": ("number", 1, 100, "carriageway whose sidewalks are mapped"),
    "unlit_factor": ("number", 1, 10, "way known to be unlit"),
    "crossing_s": ("number", 0, 3600, "seconds added at every street crossing"),
    "crossing_no_signals_s": ("number", 0, 3600, "crossing known to have no traffic lights"),
    "crossing_unknown_signals_s": ("number", 0, 3600, "crossing with unknown traffic lights"),
    "crossing_no_tactile_s": ("number", 0, 3600, "crossing known to lack tactile paving"),
    "crossing_unknown_tactile_s": ("number", 0, 3600, "crossing with unknown tactile paving"),
    "crossing_no_sound_s": ("number", 0, 3600, "signalled crossing known to be silent"),
    "crossing_unknown_sound_s": ("number", 0, 3600, "signalled crossing, sound unknown"),
    "unknown_kerb": ("string", None, None, "kerb of unknown height: ignore, penalty or avoid"),
    "unknown_kerb_penalty_s": ("number", 0, 3600, "seconds added per kerb of unknown height"),
    "unknown_incline": ("string", None, None, "way of unknown slope: ignore, penalty or avoid"),
    "unknown_incline_factor": ("number", 1, 10, "time factor on ways of unknown slope"),
    "unknown_width": ("string", None, None, "footway of unknown width: ignore, penalty or avoid"),
    "unknown_width_factor": ("number", 1, 10, "time factor on footways of unknown width"),
    "unknown_surface_factor": ("number", 1, 10, "time factor on ways of unknown surface"),
    "comfort_distance_m": ("number", 100, 100000, "longer routes get a warning, metres"),
    "comfort_grade_pct": ("number", 0, 100, "steeper stretches get a warning, percent"),
    "max_access_m": ("number", 0, 5000, "longest street walk to or from a transit stop, metres"),
    "unknown_transit_access": (
        "string",
        None,
        None,
        "trip or stop of unknown wheelchair accessibility: ignore, penalty or avoid",
    ),
    "unknown_transit_access_s": (
        "number",
        0,
        3600,
        "seconds added per boarding at a trip or stop of unknown accessibility",
    ),
    "transit_board_s": ("number", 0, 900, "seconds to board a vehicle (ramp deployment)"),
    "transit_transfer_s": ("number", 0, 1800, "least time between alighting and next boarding"),
}

_FACTOR_MAP = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "number", "minimum": 1, "maximum": 100}, {"const": IMPASSABLE}]
    },
}
_TEXT = {
    "type": "object",
    "required": ["en", "ru", "kk"],
    "properties": {lang: {"type": "string", "minLength": 1} for lang in ("en", "ru", "kk")},
    "additionalProperties": False,
}


def _parameter_schema(name: str) -> dict:
    kind, low, high, meaning = PARAMETERS[name]
    schema: dict = {"type": kind, "description": meaning}
    if kind == "string":
        schema["enum"] = list(UNKNOWN_POLICIES)
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


@functools.cache
def _validator(kind: str) -> jsonschema.Draft202012Validator:
    """One validator per schema: checking the schema itself on every call costs ~0.1 s."""
    schema = override_schema() if kind == "overrides" else profile_file_schema()
    return jsonschema.Draft202012Validator(schema)


def override_schema() -> dict:
    """JSON Schema of a request's ``overrides`` object."""
    return {
        "type": "object",
        "properties": {name: _parameter_schema(name) for name in PARAMETERS},
        "additionalProperties": False,
    }


def profile_file_schema() -> dict:
    """JSON Schema every file in ``routing/profiles/`` must satisfy."""
    properties = {name: _parameter_schema(name) for name in PARAMETERS}
    properties |= {
        "name": {"type": "string", "pattern": "^[a-z_]+$"},
        "title": _TEXT,
        "description": _TEXT,
        "surface_factors": _FACTOR_MAP,
        "smoothness_factors": _FACTOR_MAP,
        "impassable_barriers": {"type": "array", "items": {"type": "string"}},
    }
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Profile:
    """A validated profile: `params` holds every parameter of `PARAMETERS` and the maps."""

    name: str
    title: dict[str, str]
    description: dict[str, str]
    params: dict

    def with_overrides(self, overrides: dict | None) -> Profile:
        """A copy with a request's overrides applied; raises RoutingError on bad overrides."""
        if not overrides:
            return self
        if not isinstance(overrides, dict):
            raise RoutingError("invalid_override", "overrides must be an object")
        unknown = [key for key in overrides if key not in PARAMETERS]
        if unknown:
            raise _unknown_override(str(unknown[0]))
        _refuse_non_finite(overrides)
        errors = sorted(_validator("overrides").iter_errors(overrides), key=lambda e: list(e.path))
        if errors:
            error = errors[0]
            where = ".".join(str(p) for p in error.path) or next(iter(overrides), "overrides")
            raise RoutingError(
                "invalid_override",
                _bad_value_message(where, error),
                {"parameter": where, "allowed": override_schema()["properties"].get(where)},
            )
        params = copy.deepcopy(self.params) | overrides
        return Profile(self.name, self.title, self.description, params)

    def to_dict(self) -> dict:
        """Public description of the profile, as the API lists it."""
        return {"name": self.name, "title": self.title, "description": self.description} | {
            "parameters": self.params
        }


def _refuse_non_finite(overrides: dict) -> None:
    """NaN and ±inf pass every JSON Schema range check (NaN compares false), so
    they are refused by name before the schema is asked."""
    for name, value in overrides.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise RoutingError(
                "invalid_override",
                f"override {name!r}: {value} is not a number; give a finite value",
                {"parameter": name, "allowed": override_schema()["properties"].get(name)},
            )


def _unknown_override(key: str) -> RoutingError:
    """A misspelt key ("max_kurb_cm") names the nearest real one and lists them all."""
    valid = sorted(PARAMETERS)
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    return RoutingError(
        "invalid_override",
        f"{key!r} is not a profile parameter that can be overridden.{guess} "
        f"Valid keys: {', '.join(valid)}.",
        {"parameter": key, "did_you_mean": close[0] if close else None, "valid_keys": valid},
    )


def _bad_value_message(name: str, error: jsonschema.ValidationError) -> str:
    """Plain words for a known key with a bad value, giving the range or the choices."""
    if name not in PARAMETERS:
        return f"override {name!r}: {error.message}"
    kind, low, high, meaning = PARAMETERS[name]
    got = json.dumps(error.instance)
    if kind == "string":
        expected = f"one of {', '.join(UNKNOWN_POLICIES)}"
    elif kind == "boolean":
        expected = "true or false"
    else:
        noun = "a whole number" if kind == "integer" else "a number"
        expected = noun if low is None or high is None else f"{noun} from {low:g} to {high:g}"
    return f"override {name!r} ({meaning}) must be {expected}; got {got}."


def load_profile_file(path: Path) -> Profile:
    """Read and validate one profile file; raises ValueError naming the file and the problem."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(_validator("profile").iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.path)
        raise ValueError(f"{path}: {where}: {error.message}")
    params = {
        key: value for key, value in data.items() if key not in ("name", "title", "description")
    }
    return Profile(data["name"], data["title"], data["description"], params)


def load_profiles(directory: Path = PROFILE_DIR) -> dict[str, Profile]:
    """All profiles in `directory`, by name; the file name must match the profile name."""
    profiles = {}
    for path in sorted(Path(directory).glob("*.json")):
        profile = load_profile_file(path)
        if profile.name != path.stem:
            raise ValueError(f"{path}: name {profile.name!r} does not match the file name")
        profiles[profile.name] = profile
    return profiles
