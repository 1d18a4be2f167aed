"""Is it light outside? The sun's altitude for a place and an instant.

Lighting matters to some profiles (low vision, deaf people who lip-read, the
elderly) only after dark, so a route that knows when it starts can drop the
reluctance for unlit ways in daylight. The solar position follows the
low-precision formulas of the Astronomical Almanac (about 0.01 degree between
1950 and 2050), which is far finer than the question needs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jol import settings
from routing.errors import RoutingError

# The sun's upper edge on the horizon, refraction included: sunset and sunrise.
SUNSET_ALTITUDE_DEG = -0.833
_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def sun_altitude_deg(when: datetime, lat: float, lon: float) -> float:
    """Altitude of the sun's centre above the horizon, degrees, at `when` (aware) and (lat, lon)."""
    days = (when.astimezone(UTC) - _J2000) / timedelta(days=1)
    mean_anomaly = math.radians((357.529 + 0.98560028 * days) % 360)
    mean_longitude = (280.459 + 0.98564736 * days) % 360
    ecliptic_longitude = math.radians(
        mean_longitude + 1.915 * math.sin(mean_anomaly) + 0.020 * math.sin(2 * mean_anomaly)
    )
    obliquity = math.radians(23.439 - 0.00000036 * days)
    right_ascension = math.atan2(
        math.cos(obliquity) * math.sin(ecliptic_longitude), math.cos(ecliptic_longitude)
    )
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic_longitude))
    sidereal_deg = (280.46061837 + 360.98564736629 * days + lon) % 360
    hour_angle = math.radians(sidereal_deg) - right_ascension
    phi = math.radians(lat)
    return math.degrees(
        math.asin(
            math.sin(phi) * math.sin(declination)
            + math.cos(phi) * math.cos(declination) * math.cos(hour_angle)
        )
    )


def is_daylight(when: datetime, lat: float, lon: float) -> bool:
    """True between sunrise and sunset at (lat, lon)."""
    return sun_altitude_deg(when, lat, lon) > SUNSET_ALTITUDE_DEG


def local_zone(name: str | None, lon: float) -> tuple[tzinfo, str]:
    """The city's time zone and its name; local mean solar time where none is known.

    Mean solar time (UTC + lon / 15 h) is within about an hour of civil time
    almost everywhere, so an unnamed city still gets a sensible day and night.
    """
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = timedelta(minutes=round(lon * 4))  # the sun moves 1 degree in 4 minutes
    return timezone(offset), "local mean solar time"


def localise(when: datetime, zone: tzinfo) -> datetime:
    """`when` as an aware time: a naive one is read as the city's local time."""
    return when.replace(tzinfo=zone) if when.tzinfo is None else when


def conditions_at(
    depart_at: datetime | None, origin: tuple[float, float], time_zone: str | None
) -> dict | None:
    """Local departure time and daylight at the origin; None without a depart time.

    A naive `depart_at` is read on the city's clock (`time_zone`, from the
    compiled manifest), else on mean solar time at the origin.
    """
    if depart_at is None:
        return None
    first, last = settings.DEPART_YEARS
    if not first <= depart_at.year <= last:
        raise RoutingError(
            "invalid_request",
            f"depart_at must be between the years {first} and {last}",
            {"field": "depart_at"},
        )
    zone, zone_name = local_zone(time_zone, origin[1])
    when = localise(depart_at, zone)
    altitude = sun_altitude_deg(when, *origin)
    return {
        "depart_at": when.isoformat(),
        "time_zone": zone_name,
        "sun_altitude_deg": round(altitude, 1),
        "daylight": altitude > SUNSET_ALTITUDE_DEG,
    }


def add_arrival(conditions: dict, duration_s: float, destination: tuple[float, float]) -> None:
    """Add the arrival time and whether it is still light at the destination."""
    arrive = datetime.fromisoformat(conditions["depart_at"]) + timedelta(seconds=duration_s)
    altitude = sun_altitude_deg(arrive, *destination)
    conditions["arrive_at"] = arrive.isoformat(timespec="seconds")
    conditions["daylight_at_arrival"] = altitude > SUNSET_ALTITUDE_DEG
