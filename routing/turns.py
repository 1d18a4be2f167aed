"""Where each step of a route turns: angle, kind of turn and clock-face direction.

A step is a route segment (one OSM way). Its turn is the change of heading at
the vertex it shares with the step before, measured between headings taken a
few metres either side of that vertex so that a kink in the drawn line right at
the junction does not read as a turn. Blind travellers are taught clock-face
directions: 12 o'clock is straight ahead, 3 o'clock a right angle to the right.
The first step has no turn; it says which compass way to head instead.
Angles are degrees, positive clockwise (to the right).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Headings are measured to the first vertex at least this far along the line from
# the junction (metres), or to the step's far end when it is shorter.
HEADING_REACH_M = 8.0
# Upper bounds (absolute degrees) of each kind of turn, checked in order.
TURN_KINDS = (
    (20.0, "straight"),
    (45.0, "slight"),
    (135.0, "turn"),
    (170.0, "sharp"),
    (180.0, "u_turn"),
)
COMPASS = (
    "north",
    "north_east",
    "east",
    "south_east",
    "south",
    "south_west",
    "west",
    "north_west",
)
_KIND_BOUNDS = np.array([bound for bound, _ in TURN_KINDS])
_EARTH_RADIUS_M = 6_371_008.8


def heading_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Initial compass heading from `a` to `b` ([lon, lat] degrees), 0-360 clockwise from north."""
    return float(_headings(np.asarray([a], dtype=np.float64), np.asarray([b], dtype=np.float64))[0])


def _headings(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Initial headings (degrees, 0-360) from rows of `a` to rows of `b`, both [lon, lat]."""
    lon1, lat1, lon2, lat2 = (
        np.radians(a[:, 0]),
        np.radians(a[:, 1]),
        np.radians(b[:, 0]),
        np.radians(b[:, 1]),
    )
    dlon = lon2 - lon1
    y = np.sin(dlon) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.degrees(np.arctan2(y, x)) % 360.0


def _along_m(coords: np.ndarray) -> np.ndarray:
    """Distance along the line to each vertex, metres (local flat approximation)."""
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    dx = np.diff(lon) * np.cos((lat[1:] + lat[:-1]) / 2)
    step = _EARTH_RADIUS_M * np.hypot(dx, np.diff(lat))
    return np.concatenate(([0.0], np.cumsum(step)))


def turn_angle_deg(before, after):
    """Signed change of heading, -180..180 degrees, positive to the right (floats or arrays)."""
    return (after - before + 180.0) % 360.0 - 180.0


def _kind_index(angles: np.ndarray) -> np.ndarray:
    return np.searchsorted(_KIND_BOUNDS, np.abs(angles))


def _clock_hours(angles: np.ndarray) -> np.ndarray:
    hours = np.round(np.asarray(angles) / 30.0).astype(np.int64) % 12
    return np.where(hours == 0, 12, hours)


def _side(kind: str, angle: float) -> str | None:
    return None if kind == "straight" else ("right" if angle > 0 else "left")


def turn_kind(angle: float) -> tuple[str, str | None]:
    """(kind, side) of a signed turn angle; side is None for straight on."""
    kind = TURN_KINDS[int(_kind_index(np.array([angle]))[0])][1]
    return kind, _side(kind, angle)


def clock_hour(angle: float) -> int:
    """Clock-face direction of a signed turn angle: 12 ahead, 3 right, 9 left, 6 behind."""
    return int(_clock_hours(np.array([angle]))[0])


def compass_point(heading: float) -> str:
    """One of eight compass points for a heading in degrees."""
    return COMPASS[round(heading / 45.0) % 8]


def add_turns(segments: list[dict], coords: np.ndarray) -> None:
    """Give every segment a `turn` (the first one a `heading`), in place.

    `coords` is the route line, (n, 2) [lon, lat] degrees; each segment's
    `coordinates_range` indexes it.
    """
    if not segments:
        return
    ranges = np.asarray([s["coordinates_range"] for s in segments], dtype=np.int64)
    first, last = ranges[:, 0], ranges[:, 1]
    along = _along_m(coords)
    # Ahead of each step's start, and behind it within the step before.
    ahead = np.minimum(np.searchsorted(along, along[first] + HEADING_REACH_M), last)
    previous_first = np.concatenate(([0], first[:-1]))
    behind = np.searchsorted(along, along[first] - HEADING_REACH_M, side="right") - 1
    behind = np.maximum(behind, previous_first)
    out_heading = _headings(coords[first], coords[ahead])
    in_heading = _headings(coords[behind], coords[first])
    # Rounded first, so kind and clock follow from the angle the answer reports.
    angles = np.round(turn_angle_deg(in_heading, out_heading)).astype(np.int64)
    kinds, hours = _kind_index(angles), _clock_hours(angles)
    has_turn = (last > first) & (behind < first)
    rows = zip(has_turn.tolist(), angles.tolist(), kinds.tolist(), hours.tolist(), strict=True)
    for segment, (turns, angle, kind, hour) in zip(segments, rows, strict=True):
        name = TURN_KINDS[kind][1]
        segment["turn"] = (
            {
                "angle_deg": angle,
                "kind": name,
                "side": _side(name, angle),
                "clock": hour,
            }
            if turns
            else None
        )
    # The first step has nothing to turn from: it says which way to set off.
    segments[0]["turn"] = None
    if last[0] > first[0]:
        heading = float(out_heading[0])
        segments[0]["heading"] = {
            "degrees": round(heading) % 360,
            "compass": compass_point(heading),
        }
