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

import math
from collections.abc import Sequence

# Headings are measured to a vertex at least this far from the junction (metres),
# or to the step's far end when it is shorter.
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
_EARTH_RADIUS_M = 6_371_008.8


def heading_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Initial compass heading from `a` to `b` ([lon, lat] degrees), 0-360 clockwise from north."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    dlon = lon2 - lon1
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360.0


def _distance_m(a: Sequence[float], b: Sequence[float]) -> float:
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat)
    dy = math.radians(b[1] - a[1])
    return _EARTH_RADIUS_M * math.hypot(dx, dy)


def _reach(coords: Sequence[Sequence[float]], start: int, stop: int, step: int) -> int:
    """Index of the first vertex from `start` towards `stop` at least HEADING_REACH_M away."""
    i = start
    while i != stop:
        i += step
        if _distance_m(coords[start], coords[i]) >= HEADING_REACH_M:
            return i
    return stop


def turn_angle_deg(before: float, after: float) -> float:
    """Signed change of heading, -180..180 degrees, positive to the right."""
    return (after - before + 180.0) % 360.0 - 180.0


def turn_kind(angle: float) -> tuple[str, str | None]:
    """(kind, side) of a signed turn angle; side is None for straight on."""
    size = abs(angle)
    kind = next(name for bound, name in TURN_KINDS if size <= bound)
    if kind == "straight":
        return kind, None
    return kind, "right" if angle > 0 else "left"


def clock_hour(angle: float) -> int:
    """Clock-face direction of a signed turn angle: 12 ahead, 3 right, 9 left, 6 behind."""
    hour = round(angle / 30.0) % 12
    return 12 if hour == 0 else hour


def compass_point(heading: float) -> str:
    """One of eight compass points for a heading in degrees."""
    return COMPASS[round(heading / 45.0) % 8]


def add_turns(route: dict) -> None:
    """Give every segment of `route` a `turn` (the first one a `heading`), in place."""
    coords = route["geometry"]["coordinates"]
    for index, segment in enumerate(route["segments"]):
        first, last = segment["coordinates_range"]
        if last <= first:
            segment["turn"] = None
            continue
        out_heading = heading_deg(coords[first], coords[_reach(coords, first, last, 1)])
        if index == 0:
            segment["turn"] = None
            segment["heading"] = {
                "degrees": round(out_heading),
                "compass": compass_point(out_heading),
            }
            continue
        previous_first = route["segments"][index - 1]["coordinates_range"][0]
        before = _reach(coords, first, previous_first, -1)
        if before == first:  # nothing drawn before the junction to take a heading from
            segment["turn"] = None
            continue
        in_heading = heading_deg(coords[before], coords[first])
        # Rounded first, so kind and clock follow from the angle the answer reports.
        angle = round(turn_angle_deg(in_heading, out_heading))
        kind, side = turn_kind(angle)
        segment["turn"] = {
            "angle_deg": angle,
            "kind": kind,
            "side": side,
            "clock": clock_hour(angle),
        }
