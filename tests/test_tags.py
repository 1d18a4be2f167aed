"""OSM tag words to typed values, with unknown kept unknown."""

from __future__ import annotations

import math

import pytest

from graph_build import tags as T


@pytest.mark.parametrize(
    ("kerb", "height", "expected"),
    [
        ("flush", None, 0.0),
        ("lowered", None, 3.0),
        ("rolled", None, 10.0),
        ("raised", None, 15.0),
        ("raised", "4 cm", 4.0),  # kerb:height wins over the word
        ("lowered", "0.02", 2.0),  # bare number below 1: metres
        ("lowered", "2", 2.0),  # bare number: centimetres
        ("yes", None, math.nan),  # a kerb whose height nobody measured
        (None, None, math.nan),
        ("raised", "high", 15.0),  # unreadable height: fall back to the word
    ],
)
def test_kerb_height_cm(kerb, height, expected) -> None:
    value = T.kerb_height_cm(kerb, height)
    assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected)


def test_has_kerb_counts_barrier_kerb_and_not_kerb_no() -> None:
    assert T.has_kerb("lowered", None)
    assert T.has_kerb(None, "kerb")
    assert not T.has_kerb("no", None)
    assert not T.has_kerb(None, "gate")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        ("1.5 m", 1.5),
        ("80 cm", 0.8),
        ("3'", 0.9144),
        ("1,2", 1.2),
        ("wide", None),
        (None, None),
    ],
)
def test_width_in_metres(value, expected) -> None:
    width = T.length_m(value)
    assert (expected is None and math.isnan(width)) or width == pytest.approx(expected)


def test_tristates_keep_unknown() -> None:
    assert T.tristate("yes") == T.YES
    assert T.tristate("no") == T.NO
    assert T.tristate("maybe") == T.UNKNOWN
    assert T.tristate(None) == T.UNKNOWN
    assert T.tristate(["yes", "no"]) == T.YES  # osmnx merges values into lists


def test_crossing_signals_from_crossing_words() -> None:
    assert T.crossing_signals({"crossing": "traffic_signals"}) == T.YES
    assert T.crossing_signals({"crossing": "uncontrolled"}) == T.NO
    assert T.crossing_signals({"crossing": "marked", "crossing:signals": "yes"}) == T.YES
    assert T.crossing_signals({"crossing": "yes"}) == T.UNKNOWN


def test_sidewalks() -> None:
    assert T.sidewalk_separate({"sidewalk": "separate"})
    assert T.sidewalk_separate({"sidewalk:left": "separate", "sidewalk:right": "separate"})
    assert not T.sidewalk_separate({"sidewalk:left": "separate", "sidewalk:right": "no"})
    assert T.has_sidewalk({"sidewalk": "both"}) == T.YES
    assert T.has_sidewalk({"sidewalk": "no"}) == T.NO
    assert T.has_sidewalk({}) == T.UNKNOWN


def test_wheelchair_and_steps() -> None:
    assert [T.wheelchair(v) for v in ("yes", "limited", "no", None)] == [1, 2, 0, -1]
    assert T.step_count("12") == 12
    assert T.step_count("many") == -1
    assert T.handrail({"handrail:left": "yes"}) == T.YES
    assert T.handrail({}) == T.UNKNOWN


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"railway": "subway_entrance"}, "subway_entrance"),  # no entrance=* needed
        ({"railway": "train_station_entrance", "entrance": "main"}, "train_station_entrance"),
        ({"entrance": "main"}, "main"),
        ({"door": "yes"}, "door"),
        ({"door": "hinged"}, "hinged"),
        ({"entrance": "no"}, None),
        ({"railway": "level_crossing"}, None),
        ({}, None),
    ],
)
def test_entrance_kind(tags, expected) -> None:
    assert T.entrance_kind(tags) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"access": "private"}, T.NO),
        ({"access": "no"}, T.NO),
        ({"foot": "no"}, T.NO),
        ({"access": "yes", "foot": "no"}, T.NO),  # foot is the more specific key
        ({"access": "private", "foot": "yes"}, T.YES),  # a private gate open on foot
        ({"access": "no", "foot": "permissive"}, T.YES),
        ({"access": "destination"}, T.UNKNOWN),
        ({}, T.UNKNOWN),
    ],
)
def test_foot_access(tags, expected) -> None:
    assert T.foot_access(tags) == expected
