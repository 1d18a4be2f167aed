"""Departure time decides daylight, and daylight decides whether unlit ways matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from jol.artifact import NO
from routing import daylight
from routing.service import Router

ALMATY = (43.2389, 76.8897)
OSLO = (59.9139, 10.7522)
OSLO_NOON_JUNE = datetime(2026, 6, 21, 12)  # naive: Oslo's clock
OSLO_NIGHT_DECEMBER = datetime(2026, 12, 21, 22)


def _sunset(day: datetime, lat: float, lon: float) -> datetime:
    """First minute after local noon with the sun below the horizon (UTC)."""
    minute = timedelta(minutes=1)
    when = day.replace(hour=12) - timedelta(hours=lon / 15)
    while daylight.is_daylight(when, lat, lon):
        when += minute
    return when


def test_sun_altitude_at_solar_noon_follows_the_seasons() -> None:
    # At solar noon the altitude is 90 - latitude + declination (+-23.44 at the solstices).
    noon_june = datetime(2026, 6, 21, 12, tzinfo=UTC) - timedelta(hours=ALMATY[1] / 15)
    noon_december = datetime(2026, 12, 21, 12, tzinfo=UTC) - timedelta(hours=ALMATY[1] / 15)
    assert daylight.sun_altitude_deg(noon_june, *ALMATY) == pytest.approx(
        90 - ALMATY[0] + 23.44, abs=0.5
    )
    assert daylight.sun_altitude_deg(noon_december, *ALMATY) == pytest.approx(
        90 - ALMATY[0] - 23.44, abs=0.5
    )


def test_almaty_sunset_in_december_is_about_a_quarter_past_four() -> None:
    # Published tables give 16:1x local time (UTC+5) for early December.
    sunset = _sunset(datetime(2026, 12, 6, tzinfo=UTC), *ALMATY)
    local = sunset.astimezone(timezone(timedelta(hours=5)))
    assert (local.hour, local.minute // 15) == (16, 1), local


def test_oslo_midsummer_night_is_dark_only_briefly() -> None:
    # Published tables: sunset 22:44 and sunrise 03:54, Oslo summer time (UTC+2).
    sunset = _sunset(datetime(2026, 6, 21, tzinfo=UTC), *OSLO)
    assert (
        datetime(2026, 6, 21, 20, 39, tzinfo=UTC)
        <= sunset
        <= datetime(2026, 6, 21, 20, 49, tzinfo=UTC)
    )
    assert not daylight.is_daylight(datetime(2026, 6, 22, 1, 45, tzinfo=UTC), *OSLO)
    assert daylight.is_daylight(datetime(2026, 6, 22, 2, 5, tzinfo=UTC), *OSLO)
    # White nights: the sun is never far below the horizon.
    assert daylight.sun_altitude_deg(datetime(2026, 6, 21, 23, 20, tzinfo=UTC), *OSLO) > -8


def test_an_unknown_city_reads_naive_times_as_mean_solar_time() -> None:
    zone, name = daylight.local_zone(None, 76.8897)
    assert name == "local mean solar time"
    assert zone.utcoffset(None) == timedelta(minutes=308)
    zone, name = daylight.local_zone("Asia/Almaty", 0.0)
    assert name == "Asia/Almaty"
    aware = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert daylight.localise(aware, zone) is aware


def test_naive_depart_time_is_the_city_clock(almaty: Router) -> None:
    start = (43.2389, 76.9454)
    end = (43.2449, 76.9499)
    answer = almaty.route(start, end, "default", None, datetime(2026, 12, 6, 12, 0))
    conditions = answer["conditions"]
    assert conditions["depart_at"] == "2026-12-06T12:00:00+05:00"
    assert conditions["time_zone"] == "Asia/Almaty"
    assert conditions["daylight"] is True
    night = almaty.route(start, end, "default", None, datetime(2026, 12, 6, 17, 0))
    assert night["conditions"]["daylight"] is False
    assert "conditions" not in almaty.route(start, end, "default")


def _unlit_m(answer: dict) -> float:
    return sum(s["length_m"] for s in answer["routes"][0]["segments"] if s["lit"] == "no")


def _unknown_lit_m(answer: dict) -> float:
    return sum(s["length_m"] for s in answer["routes"][0]["segments"] if s["lit"] == "unknown")


def _warning_codes(answer: dict) -> set[str]:
    return {w["code"] for w in answer["routes"][0]["warnings"]}


def _pairs_across_unlit_ways(router: Router, count: int, seed: int = 3) -> list[tuple]:
    a = router.graph.arrays
    unlit = np.flatnonzero((a["edge_lit"] == NO) & ~a["edge_reversed"])
    chosen = np.random.default_rng(seed).choice(unlit, size=min(count, len(unlit)), replace=False)
    point = lambda n: (float(a["node_lat"][n]), float(a["node_lon"][n]))  # noqa: E731
    return [(point(a["edge_u"][e]), point(a["edge_v"][e])) for e in chosen]


def test_after_dark_low_vision_routes_avoid_unlit_ways(oslo: Router) -> None:
    pairs = _pairs_across_unlit_ways(oslo, 40)
    day = [oslo.route(o, d, "low_vision", None, OSLO_NOON_JUNE) for o, d in pairs]
    night = [oslo.route(o, d, "low_vision", None, OSLO_NIGHT_DECEMBER) for o, d in pairs]
    day_m = [_unlit_m(a) for a in day]
    night_m = [_unlit_m(a) for a in night]
    assert sum(night_m) < 0.9 * sum(day_m), (sum(night_m), sum(day_m))
    # In daylight lighting costs nothing: the same route as switching the reluctance off.
    for (origin, target), answer in zip(pairs, day, strict=True):
        plain = oslo.route(origin, target, "low_vision", {"unlit_factor": 1.0})
        assert answer["routes"][0]["geometry"] == plain["routes"][0]["geometry"]
        assert answer["overrides"] == {}  # the user's overrides, not the internal one
    # At night, what is still unlit, or of unknown lighting, is said.
    warned = [a for a in night if "unlit_after_dark" in _warning_codes(a)]
    in_doubt = [m + _unknown_lit_m(a) for m, a in zip(night_m, night, strict=True)]
    assert len(warned) == sum(1 for m in in_doubt if m > 0.5)
    assert not any("unlit_after_dark" in _warning_codes(a) for a in day)


def test_profiles_indifferent_to_light_route_the_same_day_and_night(oslo: Router) -> None:
    for origin, target in _pairs_across_unlit_ways(oslo, 10):
        day = oslo.route(origin, target, "wheelchair_manual", None, OSLO_NOON_JUNE)
        night = oslo.route(origin, target, "wheelchair_manual", None, OSLO_NIGHT_DECEMBER)
        assert day["routes"][0]["geometry"] == night["routes"][0]["geometry"]


def test_a_walk_into_the_dusk_is_planned_for_the_dark(oslo: Router) -> None:
    """Setting off a minute before sunset: the route is the night route, not the day one."""
    night_time = datetime(2026, 12, 21, 23, 0, tzinfo=UTC)
    into_dusk = differs = 0
    for origin, target in _pairs_across_unlit_ways(oslo, 40):
        just_before = _sunset(datetime(2026, 12, 21, tzinfo=UTC), *origin) - timedelta(minutes=1)
        answer = oslo.route(origin, target, "low_vision", None, just_before)
        conditions = answer["conditions"]
        assert conditions["daylight"] is True
        arrive = datetime.fromisoformat(conditions["arrive_at"])
        depart = datetime.fromisoformat(conditions["depart_at"])
        duration = answer["routes"][0]["duration_s"]
        assert (arrive - depart).total_seconds() == pytest.approx(duration, abs=1.0)
        if conditions["daylight_at_arrival"]:
            continue  # arrived before sunset: a daylight route is right
        night = oslo.route(origin, target, "low_vision", None, night_time)
        day = oslo.route(origin, target, "low_vision", None, OSLO_NOON_JUNE)
        assert answer["routes"][0]["geometry"] == night["routes"][0]["geometry"]
        into_dusk += 1
        differs += day["routes"][0]["geometry"] != night["routes"][0]["geometry"]
    # Enough walks end after sunset, and some of them would have gone another way by day.
    assert into_dusk >= 10 and differs >= 1, (into_dusk, differs)
