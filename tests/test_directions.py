"""Spoken directions (issue 14) on real Oslo, Helsinki and Almaty routes.

Crossing facts are judged from the raw OSM file read with pyosmium, not from
the maneuver builder; clock-face directions from the route's own geometry.
"""

from __future__ import annotations

import functools
import io
import math
import random
import re
import shutil
import sys
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import city_router

import messages
from jol import settings
from jol.cities import load_city
from routing import directions
from routing.errors import RoutingError

sys.path.insert(0, str(settings.REPO_ROOT / "benchmarks"))
from osm_eval import OsmIndex

LANGS = ("ru", "kk", "en")
pytest_plugins = ["web_fixtures"]


@functools.cache
def _raw(city: str) -> OsmIndex:
    return OsmIndex(load_city(city).files("osm")[0])


def _routes(city: str, profile: str, count: int, seed: int = 14) -> list[tuple[dict, tuple]]:
    """Real routes between seeded random graph nodes, with the destination asked for."""
    router = city_router(city)
    a = router.graph.arrays
    rng = random.Random(seed)
    n = len(a["node_lat"])
    found = []
    while len(found) < count:
        i, j = rng.randrange(n), rng.randrange(n)
        origin = (float(a["node_lat"][i]), float(a["node_lon"][i]))
        target = (float(a["node_lat"][j]) + 0.0001, float(a["node_lon"][j]))
        try:
            found.append((router.route(origin, target, profile), target))
        except RoutingError:
            continue
    return found


def _parameters(city: str, profile: str) -> dict:
    return next(p for p in city_router(city).profiles() if p["name"] == profile)["parameters"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ru", ["1 метр", "2 метра", "5 метров", "11 метров", "21 метр", "22 метра"]),
        ("kk", ["1 метр", "2 метр", "5 метр", "11 метр", "21 метр", "22 метр"]),
        ("en", ["1 metre", "2 metres", "5 metres", "11 metres", "21 metres", "22 metres"]),
    ],
)
def test_numbers_take_the_right_plural(lang: str, expected: list[str]) -> None:
    said = [messages.say(lang, "dir_metres", n=n) for n in (1, 2, 5, 11, 21, 22)]
    assert said == expected
    paces = [messages.say(lang, "dir_paces", n=n) for n in (1, 2, 5, 11, 21, 22)]
    if lang == "ru":
        assert paces == ["1 шаг", "2 шага", "5 шагов", "11 шагов", "21 шаг", "22 шага"]
    if lang == "kk":
        assert all(p.endswith(" қадам") for p in paces)
    if lang == "ru":
        minutes = [messages.say(lang, "dir_minutes", n=n) for n in (1, 2, 5, 11, 21, 22)]
        assert minutes == ["1 минута", "2 минуты", "5 минут", "11 минут", "21 минута", "22 минуты"]
        stops = [messages.say(lang, "dir_stops", n=n) for n in (1, 2, 5, 11, 21, 22)]
        assert stops[:3] == ["1 остановка", "2 остановки", "5 остановок"]
        assert stops[3:] == ["11 остановок", "21 остановка", "22 остановки"]
        hours = [messages.say(lang, "dir_clock", h=h) for h in (1, 2, 5, 11, 12)]
        assert hours == ["на 1 час", "на 2 часа", "на 5 часов", "на 11 часов", "на 12 часов"]


def test_direction_messages_exist_in_every_language_with_the_same_params() -> None:
    used = set(re.findall(r'"(dir_\w+)"', Path(directions.__file__).read_text(encoding="utf-8")))
    keys = {k for k in messages.catalogue("ru") if k.startswith("dir_")}
    assert len(keys) > 50
    for key in keys:
        names = {lang: messages.placeholders(messages.catalogue(lang)[key]) for lang in LANGS}
        assert len({frozenset(v) for v in names.values()}) == 1 or key == "dir_before", names
    for lang in LANGS:
        assert {k for k in used if not k.endswith("_")} <= set(messages.catalogue(lang)), lang


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_every_crossing_is_said_as_tagged_in_the_raw_osm(city: str) -> None:
    """Each crossing node the route passes gets a maneuver saying signals, sound and
    tactile paving as the raw OSM node is tagged ("unknown" when it is not)."""
    raw = _raw(city)
    checked = 0
    for answer, target in _routes(city, "blind", 25):
        route = answer["routes"][0]
        items = directions.maneuvers(answer, "en", _parameters(city, "blind"), target)
        passed = [b for s in route["segments"] for b in s["barriers"] if b["kind"] == "crossing"]
        for barrier in passed:
            said = [
                m for m in items if m["code"] == "crossing" and m.get("osm_id") == barrier["osm_id"]
            ]
            assert said, barrier
            raw_tags = raw.node_tags if barrier["osm_type"] == "node" else raw.way_tags
            tags = raw_tags.get(barrier["osm_id"], {})
            expected = _expected(tags)
            for fact, value in expected.items():
                if value is None:
                    continue  # untagged on the node: the way's tag may say it
                phrase = messages.say("en", f"dir_{fact}_{value}")
                assert phrase in said[0]["text"], (barrier["osm_id"], tags, said[0]["text"])
            checked += 1
    assert checked >= 5


def _expected(tags: dict) -> dict:
    crossing = tags.get("crossing", "")
    signals = None
    if crossing == "traffic_signals" or tags.get("crossing:signals") == "yes":
        signals = "yes"
    elif crossing in ("uncontrolled", "unmarked", "marked", "zebra", "no"):
        signals = "no"
    sound = tags.get("traffic_signals:sound")
    tactile = tags.get("tactile_paving")
    return {
        "signals": signals,
        "sound": "yes" if sound in ("yes", "walk", "locate") else "no" if sound == "no" else None,
        "tactile": "yes" if tactile == "yes" else "no" if tactile == "no" else None,
    }


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_every_turn_has_its_maneuver_and_the_clock_agrees_with_the_line(city: str) -> None:
    turns = 0
    for answer, target in _routes(city, "blind", 10, seed=3):
        route = answer["routes"][0]
        coords = route["geometry"]["coordinates"]
        items = directions.maneuvers(answer, "ru", _parameters(city, "blind"), target)
        by_segment = {m["segment"]: m for m in items if m["code"] == "turn"}
        for index, seg in enumerate(route["segments"]):
            turn = seg.get("turn")
            if not turn or turn["kind"] == "straight":
                continue
            maneuver = by_segment[index]
            hour = maneuver["params"]["clock"]
            assert messages.say("ru", "dir_clock", h=hour) in maneuver["text"]
            start, stop = seg["coordinates_range"]
            angle = _angle_from_line(
                coords, start, route["segments"][index - 1]["coordinates_range"][0], stop
            )
            if angle is None:
                continue
            turns += 1
            clock = round(angle / 30) % 12 or 12
            assert min((clock - hour) % 12, (hour - clock) % 12) <= 1, (angle, hour)
    assert turns >= 10


def _angle_from_line(coords: list, at: int, lo: int, hi: int, reach_m: float = 8.0) -> float | None:
    """Turn angle at vertex `at`, from the line a few metres either side (within the
    step before, from vertex `lo`, and this step, up to vertex `hi`)."""

    def far(step: int, bound: int) -> int:
        k = at + step
        while k != bound and _metres(coords[at], coords[k]) < reach_m:
            k += step
        return k

    if not lo < at < hi:
        return None
    before, after = far(-1, lo), far(1, hi)
    if _metres(coords[before], coords[at]) < 1 or _metres(coords[at], coords[after]) < 1:
        return None
    heading_in = _bearing(coords[before], coords[at])
    heading_out = _bearing(coords[at], coords[after])
    return (heading_out - heading_in + 180) % 360 - 180


def _bearing(a: list, b: list) -> float:
    dx = (b[0] - a[0]) * math.cos(math.radians(a[1]))
    return math.degrees(math.atan2(dx, b[1] - a[1])) % 360


def _metres(a: list, b: list) -> float:
    dx = (b[0] - a[0]) * math.cos(math.radians(a[1]))
    return 111_195 * math.hypot(dx, b[1] - a[1])


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_russian_and_kazakh_have_no_english_words(lang: str) -> None:
    from places import PlaceIndex

    for city in ("oslo", "almaty"):
        places = PlaceIndex.load(city_router(city).graph.directory)
        for answer, target in _routes(city, "blind", 8, seed=5):
            params = _parameters(city, "blind")
            items = directions.maneuvers(answer, lang, params, target, places)
            names = {s["name"] for s in answer["routes"][0]["segments"] if s["name"]}
            for m in items:
                landmark = m["params"].get("landmark") or {"name": "", "names": {}}
                names |= {n.rstrip(". ") for n in [landmark["name"], *landmark["names"].values()]}
                for line in (m["text"], m["alert"], m["before"], m["after"]):
                    for name in sorted(names, key=len, reverse=True):
                        line = line.replace(name, "")
                    assert not re.findall(r"[A-Za-z]{3,}", line), (lang, line)
                    assert "dir_" not in line and "{" not in line


def test_valhallas_russian_flaws_do_not_occur() -> None:
    """No English line, the written and spoken heading agree, "Идите на ..." keeps its
    preposition, and no sentence is joined as "., затем"."""
    for answer, target in _routes("oslo", "blind", 8, seed=7):
        items = directions.maneuvers(answer, "ru", _parameters("oslo", "blind"), target)
        start = items[0]
        compass = messages.say("ru", f"compass_{start['params']['compass']}")
        assert start["text"].startswith(f"Идите {compass}")
        assert compass.startswith("на ")
        assert compass in start["alert"] and compass in start["before"]
        # What is spoken (the first paragraph of the SSML) says the same heading.
        ssml = ET.fromstring(directions.as_ssml(items, "ru").encode())
        spoken = "".join(ssml.find("{http://www.w3.org/2001/10/synthesis}p").itertext())
        assert spoken.startswith(f"Идите {compass}")
        for other in ("north", "south", "east", "west", "north_east", "north_west"):
            if other != start["params"]["compass"]:
                assert messages.say("ru", f"compass_{other}") + ":" not in spoken
        text = directions.as_text(items, "ru")
        assert not re.search(r"\.\s*,", text)
        assert not re.search(r"\.\.", text.replace("...", ""))


def test_ssml_parses_and_sets_the_language() -> None:
    answer, target = _routes("almaty", "blind", 1)[0]
    texts = {
        lang: directions.as_text(
            directions.maneuvers(answer, lang, _parameters("almaty", "blind"), target), lang
        )
        for lang in LANGS
    }
    # Each language its own words: no line is the same in two languages.
    lines = [set(t.splitlines()) for t in texts.values()]
    assert not (lines[0] & lines[1]) and not (lines[0] & lines[2]) and not (lines[1] & lines[2])
    for lang in LANGS:
        answer, target = _routes("almaty", "blind", 1)[0]
        items = directions.maneuvers(answer, lang, _parameters("almaty", "blind"), target)
        root = ET.fromstring(directions.as_ssml(items, lang).encode("utf-8"))
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang").startswith(lang)
        assert len(root.findall("{http://www.w3.org/2001/10/synthesis}break")) == len(items)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_wav_is_valid_and_grows_with_the_text(tmp_path: Path) -> None:
    from web.directions import synthesise

    answer, target = _routes("almaty", "blind", 1)[0]
    items = directions.maneuvers(answer, "ru", _parameters("almaty", "blind"), target)
    seconds = []
    for part in (items[:1], items[:6]):
        data, mimetype = synthesise(directions.as_ssml(part, "ru"), "ru", tmp_path, ogg=False)
        assert mimetype == "audio/wav"
        with wave.open(io.BytesIO(data)) as wav:
            seconds.append(wav.getnframes() / wav.getframerate())
    assert len(items) > 6 and seconds[1] > seconds[0] > 0.5


def test_route_answer_carries_maneuvers_and_directions_answer_each_format(client) -> None:
    body = {
        "from": {"lat": 43.2548, "lon": 76.9449},
        "to": {"lat": 43.2449, "lon": 76.9499},
        "profile": "blind",
    }
    answer = client.post("/api/v1/route", json=body | {"lang": "kk"}).get_json()
    items = answer["routes"][0]["maneuvers"]
    assert items[0]["code"] == "start" and items[-1]["code"] == "arrive"
    assert all(m["lang"] == "kk" and m["text"] for m in items)
    assert all("paces" in m for m in items)
    bad = client.post("/api/v1/route", json=body | {"lang": "de"})
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]["field"] == "lang"
    text = client.post("/api/v1/directions", json=body | {"lang": "ru", "format": "text"})
    assert text.status_code == 200 and text.mimetype == "text/plain"
    lines = text.get_data(as_text=True).splitlines()
    assert len(lines) == len(items) and all(re.match(rf"{i}\. ", x) for i, x in enumerate(lines, 1))
    ssml = client.post("/api/v1/directions", json=body | {"format": "ssml"})
    assert ssml.mimetype == "application/ssml+xml"
    ET.fromstring(ssml.data)
    wrong = client.post("/api/v1/directions", json=body | {"format": "mp3"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["details"]["field"] == "format"
    if shutil.which("espeak-ng"):
        audio = client.post("/api/v1/directions", json=body | {"format": "audio", "lang": "en"})
        assert audio.status_code == 200 and audio.mimetype in ("audio/ogg", "audio/wav")
        assert audio.data[:4] in (b"OggS", b"RIFF")


def test_landmarks_are_the_nearest_named_places_at_turns() -> None:
    """A turn names a stop, facility or entrance iff one lies within the radius,
    judged from the places file read with pyarrow, not through PlaceIndex; it says the turn
    comes after, at or before it as shapely projects the place on the route line."""
    import pyarrow.parquet as pq

    from places import PlaceIndex

    router = city_router("oslo")
    table = pq.read_table(router.graph.directory / settings.PLACES_FILENAME).to_pydict()
    rows = [
        (lat, lon, name)
        for lat, lon, kind, name in zip(
            table["lat"], table["lon"], table["kind"], table["name"], strict=True
        )
        if kind in directions.LANDMARK_KINDS
    ]
    places = PlaceIndex.load(router.graph.directory)
    named, wheres = 0, set()
    for answer, target in _routes("oslo", "blind", 10, seed=21):
        items = directions.maneuvers(answer, "ru", _parameters("oslo", "blind"), target, places)
        for m in (m for m in items if m["code"] == "turn"):
            near = [(_metres([m["lon"], m["lat"]], [lon, lat]), name) for lat, lon, name in rows]
            close = [x for x in near if x[0] <= directions.LANDMARK_RADIUS_M - 0.5]
            landmark = m["params"].get("landmark")
            assert (landmark is not None) == bool(close) or not close or min(close)[0] > 29
            if landmark:
                named += 1
                assert landmark["distance_m"] <= directions.LANDMARK_RADIUS_M
                assert landmark["name"].rstrip(". ") in m["text"] or any(
                    n.rstrip(". ") in m["text"] for n in landmark["names"].values()
                )
                where = _where_by_shapely(answer, m, landmark)
                if where is not None:
                    assert landmark["where"] == where, (landmark, m["text"])
                    wheres.add(where)
                key = f"dir_landmark_{landmark['where']}"
                head = messages.catalogue("ru")[key].split("{")[0]
                assert head in m["text"], (key, m["text"])
    assert named >= 5
    assert wheres >= {"after", "before"}, wheres


def _where_by_shapely(answer: dict, turn: dict, landmark: dict) -> str | None:
    """Whether the turn comes after, at or before the landmark along the route line,
    measured with shapely in local metres; None within a metre of a threshold."""
    from shapely.geometry import LineString, Point

    coords = answer["routes"][0]["geometry"]["coordinates"]
    lat0 = math.radians(turn["lat"])

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return math.radians(lon) * math.cos(lat0) * 6_371_008.8, math.radians(lat) * 6_371_008.8

    line = LineString([xy(lon, lat) for lon, lat in coords])
    place = next(
        (
            p
            for p in _oslo_places()
            if p["name"] == landmark["name"]
            and abs(
                _metres([turn["lon"], turn["lat"]], [p["lon"], p["lat"]]) - landmark["distance_m"]
            )
            < 1.0
        ),
        None,
    )
    if place is None:
        return None
    offset = line.project(Point(xy(place["lon"], place["lat"]))) - line.project(
        Point(xy(turn["lon"], turn["lat"]))
    )
    limit = directions.LANDMARK_AT_M
    if abs(abs(offset) - limit) < 1.0:
        return None
    return "after" if offset < -limit else "before" if offset > limit else "at"


@functools.cache
def _oslo_places() -> list[dict]:
    import pyarrow.parquet as pq

    router = city_router("oslo")
    table = pq.read_table(router.graph.directory / settings.PLACES_FILENAME).to_pydict()
    return [
        {"lat": lat, "lon": lon, "name": name}
        for lat, lon, name in zip(table["lat"], table["lon"], table["name"], strict=True)
    ]


def test_every_unmapped_junction_is_said() -> None:
    """Almaty's junctions have no crossings mapped: each is said with the turn made
    there or as its own maneuver, so the traveller knows a street may lie ahead."""
    said = 0
    for answer, target in _routes("almaty", "blind", 8, seed=2):
        route = answer["routes"][0]
        items = directions.maneuvers(answer, "ru", _parameters("almaty", "blind"), target)
        alone = sum(m["code"] == "junction" for m in items)
        with_turn = sum(bool(m["params"].get("unmapped_junction")) for m in items)
        assert alone + with_turn <= len(route["unmapped_junctions"])
        # Two junctions can only share a turn when they are within metres of it.
        assert alone + with_turn >= 0.8 * len(route["unmapped_junctions"])
        note = messages.say("ru", "dir_junction_note")
        assert all(note in m["text"] for m in items if m["params"].get("unmapped_junction"))
        said += alone + with_turn
    assert said > 10


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_audio_is_cached_by_content_and_the_cache_stays_bounded(tmp_path: Path) -> None:
    import os

    from web.directions import synthesise, trim_cache

    answer, target = _routes("almaty", "blind", 1)[0]
    items = directions.maneuvers(answer, "en", _parameters("almaty", "blind"), target)
    ssml = directions.as_ssml(items[:2], "en")
    first, _ = synthesise(ssml, "en", tmp_path)
    made = [p for p in tmp_path.iterdir() if p.is_file()]
    assert len(made) == 1
    os.utime(made[0], (1, 1))  # as if made long ago: a hit must not make it again
    again, _ = synthesise(ssml, "en", tmp_path)
    assert again == first and made[0].stat().st_mtime > 1
    other, _ = synthesise(directions.as_ssml(items[:3], "en"), "en", tmp_path)
    assert other != first
    os.utime(made[0], (1, 1))
    trim_cache(tmp_path, len(other))
    assert [p.read_bytes() for p in tmp_path.iterdir() if p.is_file()] == [other]


def test_audio_without_espeak_is_a_503_in_the_json_error_format(
    client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server without espeak-ng (nothing on PATH) says so with a code, never a 500."""
    monkeypatch.setenv("PATH", str(tmp_path))
    body = {
        "from": {"lat": 43.2548, "lon": 76.9449},
        "to": {"lat": 43.2449, "lon": 76.9499},
        "profile": "blind",
        "format": "audio",
    }
    response = client.post("/api/v1/directions", json=body)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "speech_unavailable"


@pytest.mark.parametrize("side", ["left", "right"])
def test_arrival_says_the_side_the_destination_is_on(side: str) -> None:
    """A destination 15 m off the last stretch, to its left or right (built from the
    route's own last heading), is said on that side."""
    answer, _ = _routes("oslo", "blind", 1, seed=9)[0]
    coords = answer["routes"][0]["geometry"]["coordinates"]
    (lon1, lat1), (lon2, lat2) = coords[-2], coords[-1]
    heading = math.radians(_bearing([lon1, lat1], [lon2, lat2]))
    turn = -math.pi / 2 if side == "left" else math.pi / 2
    north_m, east_m = 15 * math.cos(heading + turn), 15 * math.sin(heading + turn)
    target = (
        lat2 + north_m / 111_195,
        lon2 + east_m / (111_195 * math.cos(math.radians(lat2))),
    )
    for lang in LANGS:
        items = directions.maneuvers(answer, lang, _parameters("oslo", "blind"), target)
        assert items[-1]["code"] == "arrive" and items[-1]["params"]["side"] == side
        assert items[-1]["text"] == messages.say(lang, f"dir_arrive_{side}")


def test_catalogues_are_served_for_clients_that_say_codes_themselves(client) -> None:
    for lang in LANGS:
        response = client.get(f"/i18n/{lang}.json")
        assert response.status_code == 200
        assert response.get_json() == messages.catalogue(lang)
        assert response.headers["Cache-Control"].startswith("public")
    missing = client.get("/i18n/de.json")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_steep_stretches_and_steps_are_announced_before_they_are_reached() -> None:
    """Every step steeper than the comfort grade is in the `ahead` of a maneuver said
    before the step starts, and so is every flight of steps; the words say it."""
    steep = steps = 0
    for city, profile in (
        ("almaty", "default"),
        ("almaty", "wheelchair_manual"),
        ("oslo", "default"),
    ):
        parameters = _parameters(city, profile)
        for answer, target in _routes(city, profile, 12, seed=8):
            route = answer["routes"][0]
            items = directions.maneuvers(answer, "ru", parameters, target)
            comfort = directions.comfort_grade(route, parameters)
            for index, seg in enumerate(route["segments"]):
                up = seg["incline"].get("max_up_pct")
                if not isinstance(up, int | float) or up <= comfort:
                    continue
                said_before = [m for m in items if m["segment"] <= index]
                assert any(
                    a["code"] == "steep_up" and a["grade_pct"] == round(up)
                    for m in said_before
                    for a in m["ahead"]
                ), (index, up)
                word = messages.say("ru", "dir_ahead_steep_up", grade=round(up))
                assert any(word in m["after"] for m in said_before)
                steep += 1
            for i, m in enumerate(items):
                if m["code"] == "steps" and i:
                    assert {"code": "steps"} in items[i - 1]["ahead"]
                    assert messages.say("ru", "dir_ahead_steps") in items[i - 1]["after"]
                    steps += 1
    assert steep > 0 and steps > 0


# Ways a pedestrian crossing can cross: carriageways (an independent list, not the build's).
_CARRIAGEWAYS = frozenset(
    [
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
        "trunk",
        "trunk_link",
    ]
)


def _raw_island_lanes(raw: OsmIndex, barrier: dict) -> tuple[str | None, int | None]:
    """Island and lanes to cross as the raw OSM tags them (None: not tagged)."""
    if barrier["osm_type"] == "node":
        tags, nodes = raw.node_tags.get(barrier["osm_id"], {}), {barrier["osm_id"]}
    else:
        tags, nodes = raw.way_tags.get(barrier["osm_id"], {}), set()
        nodes = set(raw.way_nodes.get(barrier["osm_id"], []))
    if tags.get("crossing:lanes", "").isdigit():
        return _raw_island(tags), int(tags["crossing:lanes"])
    island = _raw_island(tags)
    lanes = [
        int(raw.way_tags[w]["lanes"])
        for w, refs in raw.way_nodes.items()
        if raw.way_tags.get(w, {}).get("highway") in _CARRIAGEWAYS
        and raw.way_tags[w].get("lanes", "").isdigit()
        and nodes.intersection(refs)
    ]
    return island, max(lanes) if lanes else None


def _raw_island(tags: dict) -> str | None:
    island = tags.get("crossing:island")
    if island not in ("yes", "no"):
        island = "yes" if tags.get("traffic_calming") == "island" else None
    return island


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_crossings_say_island_and_lanes_as_the_raw_osm_tags_them(city: str) -> None:
    """Every crossing on sampled routes whose raw OSM gives an island or the crossed road's
    lanes has them said, in every language; untagged, the island is said as unknown."""
    raw = _raw(city)
    with_lanes = 0
    for answer, target in _routes(city, "blind", 25, seed=41):
        said = {
            lang: directions.maneuvers(answer, lang, _parameters(city, "blind"), target)
            for lang in LANGS
        }
        passed = [
            b
            for s in answer["routes"][0]["segments"]
            for b in s["barriers"]
            if b["kind"] == "crossing"
        ]
        for barrier in passed:
            island, lanes = _raw_island_lanes(raw, barrier)
            assert barrier["island"] == (island or "unknown"), barrier
            assert barrier["lanes"] == (lanes or "unknown"), barrier
            for lang in LANGS:
                text = next(
                    m["text"]
                    for m in said[lang]
                    if m["code"] == "crossing" and m.get("osm_id") == barrier["osm_id"]
                )
                assert messages.say(lang, f"dir_island_{island or 'unknown'}") in text
                if lanes is not None:
                    assert messages.say(lang, "dir_lanes", n=lanes) in text, (barrier, text)
                    with_lanes += 1
    assert with_lanes >= 3
