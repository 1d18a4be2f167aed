"""OSM tag values to typed accessibility attributes.

Every parser returns an explicit unknown (``UNKNOWN`` for tri-states, ``nan``
for numbers, ``""`` for words) instead of guessing: most of Almaty carries no
kerb, surface or width tags, and the profile, not the parser, decides what an
unknown means for its user.
"""

from __future__ import annotations

import math
import re

# Tri-state codes stored in int8 arrays: the artifact contract defines them.
from jol.artifact import NO, UNKNOWN, YES

# Kerb words to heights in centimetres (OSM wiki "Key:kerb"; kerb:height wins).
KERB_HEIGHT_CM = {"flush": 0.0, "no": 0.0, "lowered": 3.0, "rolled": 10.0, "raised": 15.0}

# Node tags osmnx must load; keys beyond these are dropped at parse time.
NODE_TAGS = (
    "highway",
    "kerb",
    "kerb:height",
    "barrier",
    "crossing",
    "crossing:markings",
    "crossing:signals",
    "crossing_ref",
    # Spoken at a crossing: a refuge island halfway, and lanes if tagged on the crossing.
    "crossing:island",
    "crossing:lanes",
    "traffic_calming",
    "traffic_signals:sound",
    "traffic_signals:vibration",
    "button_operated",
    "tactile_paving",
    "wheelchair",
    "entrance",
    "door",
    "automatic_door",
    "width",
    "level",
    "ramp",
    "ramp:wheelchair",
    "step_count",
    "name",
    # Access on a node (a private gate, a station entrance closed to wheelchairs).
    "railway",
    "access",
    "foot",
)

# Entrances to stations and buildings: `railway` values that are a door to walk through.
RAILWAY_ENTRANCES = frozenset({"subway_entrance", "train_station_entrance"})

# Access values that close a way or node to the public; `foot` values that reopen it on foot.
ACCESS_CLOSED = frozenset({"no", "private"})
FOOT_OPEN = frozenset({"yes", "designated", "permissive"})

# Way tags osmnx must load.
WAY_TAGS = (
    "highway",
    "name",
    "name:ru",
    "name:kk",
    "name:en",
    "footway",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "crossing",
    "crossing:markings",
    "crossing:signals",
    "crossing:island",
    "crossing:lanes",
    "traffic_calming",
    # Lanes of a road: how many lanes a crossing of it has to cross.
    "lanes",
    "traffic_signals:sound",
    "traffic_signals:vibration",
    "button_operated",
    "tactile_paving",
    "kerb",
    "kerb:height",
    "wheelchair",
    "ramp",
    "ramp:wheelchair",
    "ramp:stroller",
    "incline",
    "surface",
    "smoothness",
    "width",
    "est_width",
    "sidewalk:width",
    "step_count",
    "handrail",
    "handrail:left",
    "handrail:right",
    "lit",
    "level",
    "access",
    "foot",
    "area",
    "conveying",
    "tunnel",
    "bridge",
)

# Carriageways: walking along them means walking on the road unless a sidewalk is tagged.
ROAD_HIGHWAYS = frozenset(
    {
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "road",
        "living_street",
        "track",
    }
)

# Highways a pedestrian may use at all; everything else is dropped at build time.
PEDESTRIAN_HIGHWAYS = ROAD_HIGHWAYS | {
    "footway",
    "pedestrian",
    "path",
    "steps",
    "cycleway",
    "bridleway",
    "corridor",
    "elevator",
    "crossing",
    "platform",
}

_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*([a-z'\"]*)\s*$")


def first(value: object) -> str | None:
    """One tag value as a string; osmnx turns merged values into lists."""
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def tristate(value: object, *, yes: tuple[str, ...] = ("yes", "designated")) -> int:
    """``yes``/``no`` tag to YES, NO or UNKNOWN."""
    text = first(value)
    if text is None:
        return UNKNOWN
    text = text.lower()
    if text in yes:
        return YES
    if text in ("no", "none"):
        return NO
    return UNKNOWN


def wheelchair(value: object) -> int:
    """``wheelchair=*``: 1 yes/designated, 2 limited, 0 no, -1 unknown."""
    text = (first(value) or "").lower()
    return {"yes": 1, "designated": 1, "limited": 2, "no": 0}.get(text, UNKNOWN)


def length_m(value: object) -> float:
    """Width-like tag in metres (``2``, ``1.5 m``, ``80 cm``, ``3'``); nan if unparseable."""
    text = first(value)
    if text is None:
        return math.nan
    match = _NUMBER.match(text.lower().replace(" ", ""))
    if not match:
        return math.nan
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2)
    scale = {"": 1.0, "m": 1.0, "cm": 0.01, "mm": 0.001, "'": 0.3048, "ft": 0.3048}.get(unit)
    if scale is None or number < 0:
        return math.nan
    return number * scale


def kerb_height_cm(kerb: object, kerb_height: object) -> float:
    """Kerb height in centimetres; ``kerb:height`` wins over the kerb word; nan if unknown."""
    explicit = first(kerb_height)
    if explicit is not None:
        text = explicit.lower().replace(" ", "")
        match = _NUMBER.match(text)
        if match:
            number = float(match.group(1).replace(",", "."))
            unit = match.group(2) or ("cm" if number >= 1 else "m")
            scale = {"cm": 1.0, "m": 100.0, "mm": 0.1}.get(unit)
            if scale is not None and number >= 0:
                return number * scale
    word = (first(kerb) or "").lower()
    return KERB_HEIGHT_CM.get(word, math.nan)


def has_kerb(kerb: object, barrier: object) -> bool:
    """Whether a node carries a kerb at all (height may still be unknown)."""
    word = (first(kerb) or "").lower()
    return bool(word and word != "no") or (first(barrier) or "").lower() == "kerb"


def step_count(value: object) -> int:
    """``step_count`` as an int, -1 if unknown."""
    text = first(value)
    if text is None:
        return -1
    try:
        count = int(float(text))
    except ValueError:
        return -1
    return count if count >= 0 else -1


def handrail(tags: dict) -> int:
    """Handrail on either side of steps: YES, NO or UNKNOWN."""
    states = [tristate(tags.get(key)) for key in ("handrail", "handrail:left", "handrail:right")]
    if YES in states:
        return YES
    if NO in states:
        return NO
    return UNKNOWN


def sidewalk_separate(tags: dict) -> bool:
    """Road whose sidewalks are mapped as their own ways (walk those, not the carriageway)."""
    values = [first(tags.get(key)) for key in ("sidewalk", "sidewalk:both")]
    if any(value == "separate" for value in values):
        return True
    sides = [first(tags.get(key)) for key in ("sidewalk:left", "sidewalk:right")]
    return all(value == "separate" for value in sides)


def has_sidewalk(tags: dict) -> int:
    """Road with a sidewalk tagged on it: YES, NO (``sidewalk=no``) or UNKNOWN."""
    values = [
        first(tags.get(key))
        for key in ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
    ]
    if any(value in ("both", "left", "right", "yes") for value in values):
        return YES
    if any(value == "no" for value in values[:2]):
        return NO
    return UNKNOWN


def crossing_signals(tags: dict) -> int:
    """Whether a crossing has traffic lights for pedestrians."""
    explicit = tristate(tags.get("crossing:signals"))
    if explicit != UNKNOWN:
        return explicit
    crossing = (first(tags.get("crossing")) or "").lower()
    if crossing in ("traffic_signals", "pelican", "toucan", "pegasus"):
        return YES
    if crossing in ("uncontrolled", "unmarked", "marked", "zebra", "no"):
        return NO
    if (first(tags.get("highway")) or "") == "traffic_signals":
        return YES
    return UNKNOWN


def crossing_island(tags: dict) -> int:
    """Whether a crossing has a refuge island halfway: ``crossing:island`` wins,
    ``traffic_calming=island`` on the crossing says yes."""
    explicit = tristate(tags.get("crossing:island"))
    if explicit != UNKNOWN:
        return explicit
    return YES if (first(tags.get("traffic_calming")) or "").lower() == "island" else UNKNOWN


def lane_count(value: object) -> int:
    """A ``lanes``-style count as an int (1..30), -1 if absent or unreadable."""
    text = first(value)
    if text is None:
        return -1
    try:
        count = int(text.strip())
    except ValueError:
        return -1
    return count if 0 < count <= 30 else -1


def crossing_markings(tags: dict) -> int:
    """Whether a crossing is painted (zebra or other markings)."""
    markings = (first(tags.get("crossing:markings")) or "").lower()
    if markings:
        return NO if markings == "no" else YES
    crossing = (first(tags.get("crossing")) or "").lower()
    if crossing in ("zebra", "marked", "uncontrolled"):
        return YES
    if crossing == "unmarked":
        return NO
    return UNKNOWN


def entrance_kind(tags: dict) -> str | None:
    """What kind of entrance a node is (``subway_entrance``, ``main``, ``door``...), or None.

    ``railway=subway_entrance`` is an entrance even without an ``entrance`` tag; the
    2012 Almaty data and many city extracts tag metro entrances only that way.
    """
    railway = (first(tags.get("railway")) or "").lower()
    if railway in RAILWAY_ENTRANCES:
        return railway
    for key in ("entrance", "door"):
        word = (first(tags.get(key)) or "").lower()
        if word and word != "no":
            return "door" if key == "door" and word == "yes" else word
    return None


def foot_access(tags: dict) -> int:
    """Whether a pedestrian may pass: NO (``foot=no``, or ``access=no|private`` not reopened
    by ``foot=yes|designated|permissive``), YES (``foot`` opens it) or UNKNOWN (nothing said).
    """
    foot = (first(tags.get("foot")) or "").lower()
    if foot == "no":
        return NO
    if foot in FOOT_OPEN:
        return YES
    access = (first(tags.get("access")) or "").lower()
    return NO if access in ACCESS_CLOSED else UNKNOWN
