"""Public-transport stops from the compiled timetable, as rows of the place index.

The 2012 OSM extract maps no metro station (the metro opened in December 2011)
and few bus stops, while the GTFS feeds `jol build` compiles name every stop a
trip serves. services/ reads the timetable and hands the stops here as plain
`TransitStop` records, so places/ knows nothing of the compiled arrays.

Categories are said in OSM's words ("station=subway", "highway=bus_stop"), so
the kind words of `places.index` ("метро", "аялдама") and the page's category
translations cover stops from either source. A stop the OSM index already has
(same normalised name within `DUPLICATE_RADIUS_M`) is not added twice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from places.index import normalize

# Two stops of one name this close are one stop (a feed snapped to OSM moves it a little);
# opposite platforms of a street are further apart and stay two places.
DUPLICATE_RADIUS_M = 15.0
_EARTH_RADIUS_M = 6_371_008.8
# A feed's stand-in for a missing name ("(unnamed bus stop, OSM node 1)") names nothing.
_PLACEHOLDER = re.compile(r"^\(.*\)$")
# Mode word (transit.codes.MODE_WORDS) -> (place kind, OSM category); any other mode
# (tram, ferry, ...) is a stop of no category, said by its kind. The first mode of a stop
# found in this order decides. (New osm_* words would also reword OSM landmarks of other
# cities in spoken directions, so only categories the catalogues say are used.)
_MODE_PLACES: dict[str, tuple[str, str | None]] = {
    "metro": ("metro_station", "station=subway"),
    "rail": ("station", "railway=station"),
    "bus": ("stop", "highway=bus_stop"),
    "trolleybus": ("stop", "highway=bus_stop"),
    "coach": ("stop", "highway=bus_stop"),
}
_OTHER_MODE: tuple[str, str | None] = ("stop", None)
# GTFS wheelchair_boarding word -> the index's mobility rating.
_MOBILITY = {"accessible": "yes", "not_accessible": "no"}


@dataclass(frozen=True)
class TransitStop:
    """One stop (or parent station) some trip serves, as the timetable has it."""

    stop_id: str
    name: str
    lat: float
    lon: float
    modes: frozenset[str]  # transit.codes.MODE_WORDS of the routes serving it
    wheelchair: str  # "accessible", "not_accessible" or "unknown" (GTFS wheelchair_boarding)


def place_of(stop: TransitStop) -> tuple[str, str | None]:
    """(kind, category) of a stop by the modes serving it: metro before rail before the rest."""
    return next((_MODE_PLACES[m] for m in _MODE_PLACES if m in stop.modes), _OTHER_MODE)


def add_stops(columns: dict[str, list], stops: Sequence[TransitStop]) -> dict[str, list]:
    """`columns` (places.parquet as lists) with a row per named, not yet indexed stop."""
    seen = _Seen(columns)
    out = {name: list(values) for name, values in columns.items()}
    for stop in stops:
        key = normalize(stop.name)
        if not key or _PLACEHOLDER.match(stop.name.strip()) or seen.has(key, stop.lat, stop.lon):
            continue
        seen.add(key, stop.lat, stop.lon)
        row = _row(stop)
        for name, values in out.items():
            values.append(row.get(name))
    return out


def _row(stop: TransitStop) -> dict:
    kind, category = place_of(stop)
    mobility = _MOBILITY.get(stop.wheelchair, "unknown")
    return {
        "place_id": f"gtfs:{stop.stop_id}",
        "kind": kind,
        "category": category,
        "name": stop.name,
        "lat": stop.lat,
        "lon": stop.lon,
        "bbox_south": stop.lat,
        "bbox_west": stop.lon,
        "bbox_north": stop.lat,
        "bbox_east": stop.lon,
        "access_mobility": mobility,
        "access_musculoskeletal": "unknown",
        "access_visual": "unknown",
        "access_hearing": "unknown",
    }


class _Seen:
    """Normalised names already indexed, with where, for the duplicate check."""

    def __init__(self, columns: dict[str, list]) -> None:
        self._at: dict[str, list[tuple[float, float]]] = {}
        for name, lat, lon in zip(columns["name"], columns["lat"], columns["lon"], strict=True):
            self.add(normalize(name or ""), lat, lon)

    def add(self, key: str, lat: float, lon: float) -> None:
        self._at.setdefault(key, []).append((lat, lon))

    def has(self, key: str, lat: float, lon: float) -> bool:
        return any(
            _distance_m(lat, lon, a, b) <= DUPLICATE_RADIUS_M for a, b in self._at.get(key, ())
        )


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough within a few hundred metres."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return _EARTH_RADIUS_M * math.hypot(x, math.radians(lat2 - lat1))
