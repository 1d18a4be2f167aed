"""Small integer codes stored in the compiled arrays, and the words answers use.

Accessibility is three-valued everywhere (GTFS's own 0/1/2), so "unknown" is
never silently turned into yes or no.
"""

from __future__ import annotations

UNKNOWN, ACCESSIBLE, NOT_ACCESSIBLE = 0, 1, 2
ACCESS_WORDS = ("unknown", "accessible", "not_accessible")
# stop step-free access through pathways: same three values
STEP_FREE_WORDS = ("unknown", "yes", "no")

MODE_WORDS = (
    "other",
    "tram",
    "metro",
    "rail",
    "bus",
    "ferry",
    "cable_tram",
    "aerial_lift",
    "funicular",
    "trolleybus",
    "monorail",
    "coach",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_BASIC = {
    0: "tram",
    1: "metro",
    2: "rail",
    3: "bus",
    4: "ferry",
    5: "cable_tram",
    6: "aerial_lift",
    7: "funicular",
    11: "trolleybus",
    12: "monorail",
}
# Extended (Google/HVT) route types by hundreds.
_EXTENDED = {
    1: "rail",
    2: "coach",
    4: "metro",
    5: "metro",
    6: "metro",
    7: "bus",
    8: "trolleybus",
    9: "tram",
    10: "ferry",
    12: "ferry",
    13: "aerial_lift",
    14: "funicular",
}


def mode_word(route_type: int) -> str:
    """Word for a GTFS route_type (basic or extended); 'other' when unlisted."""
    if route_type in _BASIC:
        return _BASIC[route_type]
    return _EXTENDED.get(route_type // 100, "other") if route_type >= 100 else "other"


def mode_code(route_type: int) -> int:
    return MODE_WORDS.index(mode_word(route_type))
