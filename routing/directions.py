"""Directions a blind person can follow by ear, derived from a route answer.

The route answer lists steps (one OSM way each) with their turn, barriers and
facts. People do not walk ways: they walk from one decision to the next. This
module turns the steps into maneuvers - start, turn, continue, each crossing,
steps, lifts, entrances, gates and kerbs, arrive - and says each one from the
message catalogues (`messages/`), so the server, the command line, the page and
a speech synthesiser all say the same words. Each maneuver keeps its `code` and
`params`, so a client can say it again in another language.

Like Valhalla's speech model a maneuver has `alert` (short, said as it comes
up), `before` (said ahead of it, with the distance to it) and `after` (said
once it is done: how far to walk and what lies ahead). Entry point:
`maneuvers(answer, lang, parameters, destination)`. Transit legs will add
maneuver codes of their own (`board`, `alight`, see the `dir_transit_*`
messages) through `_TRANSIT_HOOKS` without touching the street ones.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

import messages

# Average pace of a blind traveller with a cane, metres; the count is said as
# "about", so a rounder figure would not help. Profiles absent here get no paces.
PACE_M = {"blind": 0.7}
# A straight-on step shorter than this is not said apart from the one before.
MERGE_BELOW_M = 20.0
# A kerb this close (along the route) to a crossing is that crossing's kerb.
KERB_NEAR_CROSSING_M = 15.0
# Narrower than this is announced whatever the profile's own limit.
NARROW_BELOW_M = 1.2
# Without a comfort grade in the answer or the parameters, a grade steeper than this
# share of the profile's limit is announced (the page marks the same share "steep"),
# and with no real limit (100 %) one steeper than DEFAULT_COMFORT_GRADE_PCT.
STEEP_SHARE_OF_LIMIT = 0.75
DEFAULT_COMFORT_GRADE_PCT = 6.0
# A named stop, facility or entrance this close to a turn is said as a landmark.
LANDMARK_RADIUS_M = 30.0
LANDMARK_KINDS = ("station", "metro_station", "stop", "facility", "entrance")
# A landmark whose projection on the route is this close (along it) to the turn is "at" it;
# further back it is passed before the turn ("after" it), further on it comes after ("before").
LANDMARK_AT_M = 8.0
# An unmapped junction this close to a turn is said with the turn, not apart.
JUNCTION_WITH_TURN_M = 3.0
# A destination further than this from the route's line is on one side of it.
SIDE_MIN_M = 2.0
_EARTH_RADIUS_M = 6_371_008.8
_TURNING = {"slight", "turn", "sharp", "u_turn"}
# Transit maneuvers (board, ride, alight) phrase themselves here once the planner lands.
_TRANSIT_HOOKS: dict[str, Callable[[dict, str], dict]] = {}


def maneuvers(
    answer: dict,
    lang: str,
    parameters: dict | None = None,
    destination: tuple[float, float] | None = None,
    places: Any = None,
) -> list[dict]:
    """The spoken maneuvers of `answer["routes"][0]` in `lang`.

    `parameters` are the profile's numbers with the request's overrides (for
    comfort grade and width); `destination` the (lat, lon) asked for, which
    says on which side of the way it lies; `places` a PlaceIndex whose
    `nearest` names landmarks at turns (none without it).
    """
    routes = answer.get("routes") or []
    if not routes:
        return []
    built = build(routes[0], answer, parameters or {}, destination, places)
    return [phrase(m, lang) for m in built]


# --- building: codes and params -------------------------------------------------------------


def build(
    route: dict,
    answer: dict,
    parameters: dict,
    destination: tuple[float, float] | None,
    places: Any = None,
) -> list[dict]:
    """Maneuvers with codes, params, distances and positions (no words yet)."""
    coords = route["geometry"]["coordinates"]
    along = _along_m(coords)
    events = _events(route, along)
    events.append(_arrive(route, coords, along, destination))
    if places is not None:
        _add_landmarks(events, places, coords, along)
    pace = PACE_M.get(answer.get("profile", ""))
    out: list[dict] = []
    for i, event in enumerate(events):
        following = events[i + 1]["at_m"] if i + 1 < len(events) else event["at_m"]
        distance = max(0.0, following - event["at_m"])
        event["distance_m"] = round(distance, 1)
        # How far the previous maneuver is from this one: what `before` says.
        event["approach_m"] = out[-1]["distance_m"] if out else 0.0
        if pace:
            event["paces"] = round(distance / pace)
        out.append(event)
    starts_m = [along[seg["coordinates_range"][0]] for seg in route["segments"]]
    _gather_ahead(out, route, answer, parameters, starts_m)
    return out


def _along_m(coords: list[list[float]]) -> list[float]:
    """Distance along the line to each vertex, metres (flat approximation)."""
    xy = np.radians(np.asarray(coords, dtype=np.float64))
    dx = np.diff(xy[:, 0]) * np.cos((xy[1:, 1] + xy[:-1, 1]) / 2)
    steps = _EARTH_RADIUS_M * np.hypot(dx, np.diff(xy[:, 1]))
    return np.concatenate(([0.0], np.cumsum(steps))).tolist()


def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return _EARTH_RADIUS_M * math.hypot(x, math.radians(lat2 - lat1))


def _position_m(point: dict, coords: list, along: list[float], lo: int, hi: int) -> float:
    """Along-route metres of the vertex of [lo, hi] nearest to a barrier's point."""
    # Most junctions and node barriers are where the step starts.
    if coords[lo][1] == point["lat"] and coords[lo][0] == point["lon"]:
        return along[lo]
    lat, lon = point["lat"], point["lon"]
    scale = math.cos(math.radians(lat))
    nearest = min(
        range(lo, hi + 1),
        key=lambda k: ((coords[k][0] - lon) * scale) ** 2 + (coords[k][1] - lat) ** 2,
    )
    return along[nearest]


def _events(route: dict, along: list[float]) -> list[dict]:
    """Start, turns, continues and barriers, in walking order."""
    coords = route["geometry"]["coordinates"]
    events: list[dict] = []
    last_name: str | None = None
    for index, seg in enumerate(route["segments"]):
        lo, hi = seg["coordinates_range"]
        at = along[lo]
        name = seg.get("name") or None
        turn = seg.get("turn")
        point = {"lat": coords[lo][1], "lon": coords[lo][0]}
        if index == 0:
            heading = seg.get("heading") or {}
            events.append(
                _event("start", at, index, point, compass=heading.get("compass"), street=name)
            )
        elif turn and turn["kind"] in _TURNING:
            events.append(
                _event(
                    "turn",
                    at,
                    index,
                    point,
                    kind=turn["kind"],
                    side=turn["side"],
                    clock=turn["clock"],
                    angle_deg=turn["angle_deg"],
                    street=name,
                )
            )
        elif name and name != last_name and seg["length_m"] >= MERGE_BELOW_M:
            events.append(_event("continue", at, index, point, street=name))
        last_name = name or last_name
        events.extend(_barrier_events(seg, index, coords, along, lo, hi))
    events.sort(key=lambda e: (e["at_m"], e["order"]))
    events = _attach_kerbs(events)
    return _add_junctions(events, route, coords, along)


def _add_junctions(events: list[dict], route: dict, coords: list, along: list[float]) -> list[dict]:
    """Street intersections with no crossing or kerb mapped: said with the turn made
    there, or on their own, so the traveller knows a street may have to be crossed."""
    segments = route["segments"]
    way_events = {e["segment"]: e for e in events if e["code"] in ("start", "turn", "continue")}
    for junction in route.get("unmapped_junctions") or []:
        lo, hi = segments[junction["segment"]]["coordinates_range"]
        at = _position_m(junction, coords, along, lo, hi)
        turn = way_events.get(junction["segment"])
        if turn is not None and abs(turn["at_m"] - at) <= JUNCTION_WITH_TURN_M:
            turn["params"]["unmapped_junction"] = True
            continue
        event = _event("junction", at, junction["segment"], junction)
        event["osm_id"], event["osm_type"] = junction.get("osm_id"), "node"
        events.append(event)
    events.sort(key=lambda e: (e["at_m"], e["order"]))
    return events


def _add_landmarks(events: list[dict], places: Any, coords: list, along: list[float]) -> None:
    for event in events:
        if event["code"] not in ("turn", "arrive"):
            continue
        found = places.nearest((event["lat"], event["lon"]), LANDMARK_RADIUS_M, LANDMARK_KINDS)
        if found is not None:
            names = {k: v for k, v in (found.get("names") or {}).items() if v}
            offset_m = _project_m(coords, along, found["lat"], found["lon"]) - event["at_m"]
            event["params"]["landmark"] = {
                "name": found["name"],
                "names": names,
                "kind": found["kind"],
                "category": found.get("category") or "",
                "distance_m": found["distance_m"],
                "along_m": round(offset_m, 1),
                "where": _landmark_where(offset_m),
            }


def _landmark_where(offset_m: float) -> str:
    """Where the turn is, seen from the landmark: after it (passed first), at it, before it."""
    if offset_m < -LANDMARK_AT_M:
        return "after"
    return "at" if offset_m <= LANDMARK_AT_M else "before"


def _project_m(coords: list, along: list[float], lat: float, lon: float) -> float:
    """Along-route metres of the point of the route line nearest to (lat, lon)."""
    xy = np.radians(np.asarray(coords, dtype=np.float64))
    scale = math.cos(math.radians(lat))
    points = np.column_stack((xy[:, 0] * scale, xy[:, 1])) * _EARTH_RADIUS_M
    here = np.array([math.radians(lon) * scale, math.radians(lat)]) * _EARTH_RADIUS_M
    if len(points) < 2:
        return 0.0
    start, step = points[:-1], np.diff(points, axis=0)
    length2 = np.maximum((step**2).sum(axis=1), 1e-9)
    t = np.clip(((here - start) * step).sum(axis=1) / length2, 0.0, 1.0)
    gap = np.hypot(*(start + step * t[:, None] - here).T)
    best = int(np.argmin(gap))
    return along[best] + float(t[best]) * (along[best + 1] - along[best])


def _event(code: str, at_m: float, segment: int, point: dict, **params: Any) -> dict:
    order = {"start": 0, "continue": 1, "turn": 1}.get(code, 2)
    return {
        "code": code,
        "at_m": at_m,
        "order": order,
        "segment": segment,
        "lat": point["lat"],
        "lon": point["lon"],
        "params": params,
    }


def _barrier_events(
    seg: dict, index: int, coords: list, along: list[float], lo: int, hi: int
) -> list[dict]:
    out = []
    for barrier in seg.get("barriers") or []:
        at = _position_m(barrier, coords, along, lo, hi)
        kind = barrier["kind"]
        params: dict[str, Any]
        if kind == "crossing":
            params = {
                key: barrier.get(key, "unknown")
                for key in (
                    *("signals", "sound", "vibration", "tactile_paving", "markings"),
                    *("island", "lanes"),
                )
            }
            params |= {"kerb_before": None, "kerb_after": None}
        elif kind == "kerb":
            params = {"height_cm": barrier.get("height_cm", "unknown")}
        elif kind == "steps":
            params = {"count": barrier.get("step_count", "unknown")}
            params["handrail"] = barrier.get("handrail", "unknown")
            params["ramp"] = barrier.get("ramp", "unknown")
        elif kind == "entrance":
            params = {"automatic_door": barrier.get("automatic_door", "unknown")}
        elif kind == "barrier":
            params = {"barrier": barrier.get("barrier") or "unknown"}
        else:
            params = {}
        event = _event(kind, at, index, barrier, **params)
        event["osm_id"] = barrier.get("osm_id")
        event["osm_type"] = barrier.get("osm_type")
        out.append(event)
    return out


def _attach_kerbs(events: list[dict]) -> list[dict]:
    """A kerb just before or after a crossing is said with that crossing, not on its own."""
    kept: list[dict] = []
    for i, event in enumerate(events):
        if event["code"] != "kerb":
            kept.append(event)
            continue
        crossing = _nearest_crossing(events, i)
        if crossing is None:
            kept.append(event)
            continue
        side = "kerb_before" if crossing["at_m"] >= event["at_m"] else "kerb_after"
        if side == "kerb_before" and events.index(crossing) < i:
            side = "kerb_after"
        if crossing["params"][side] is None:
            crossing["params"][side] = event["params"]["height_cm"]
        else:
            kept.append(event)
    return kept


def _nearest_crossing(events: list[dict], i: int) -> dict | None:
    here = events[i]["at_m"]
    near = [
        e
        for e in events
        if e["code"] == "crossing" and abs(e["at_m"] - here) <= KERB_NEAR_CROSSING_M
    ]
    return min(near, key=lambda e: abs(e["at_m"] - here), default=None)


def _arrive(
    route: dict, coords: list, along: list[float], destination: tuple[float, float] | None
) -> dict:
    end = {"lat": coords[-1][1], "lon": coords[-1][0]}
    event = _event(
        "arrive", along[-1], len(route["segments"]) - 1, end, side=_side(coords, destination)
    )
    event["order"] = 9
    return event


def _side(coords: list, destination: tuple[float, float] | None) -> str:
    """Which side of the last stretch the destination lies on: left, right or ahead.

    The sign of the cross product of the way's last direction and the vector
    from the route's end to the destination, on a local flat plane.
    """
    if destination is None or len(coords) < 2:
        return "ahead"
    (lon1, lat1), (lon2, lat2) = coords[-2], coords[-1]
    scale = math.cos(math.radians(lat2))
    dx, dy = (lon2 - lon1) * scale, lat2 - lat1
    tx, ty = (destination[1] - lon2) * scale, destination[0] - lat2
    offset_m = _dist_m(lat2, lon2, destination[0], destination[1])
    if offset_m < SIDE_MIN_M or (dx == 0 and dy == 0):
        return "ahead"
    cross = dx * ty - dy * tx
    return "left" if cross > 0 else "right"


def _gather_ahead(
    events: list[dict], route: dict, answer: dict, parameters: dict, starts_m: list[float]
) -> None:
    """Give each maneuver the things on its stretch that are said before they are reached.

    A step's steep, narrow, unlit or new-surface stretch goes to the last
    maneuver said before the step starts (the start for the first step); a
    flight of steps is announced by the maneuver before it.
    """
    segments = route["segments"]
    comfort = comfort_grade(route, parameters)
    conditions = answer.get("conditions") or {}
    dark = bool(conditions) and not (
        conditions.get("daylight") and conditions.get("daylight_at_arrival")
    )
    min_width = max(NARROW_BELOW_M, float(parameters.get("min_width_m") or 0))
    positions = [e["at_m"] for e in events]
    for event in events:
        event["ahead"] = []
    for k, start_m in enumerate(starts_m):
        items = _segment_ahead(segments, k, comfort, min_width, dark)
        if items:
            owner = max(0, bisect.bisect_left(positions, start_m) - 1)
            events[owner]["ahead"].extend(i for i in items if i not in events[owner]["ahead"])
    for i, event in enumerate(events[1:], 1):
        if event["code"] == "steps":
            events[i - 1]["ahead"].append({"code": "steps"})
    for event in events:
        event.pop("order", None)
        del event["at_m"]


def comfort_grade(route: dict, parameters: dict) -> float:
    for warning in route.get("warnings") or []:
        value = (warning.get("params") or {}).get("comfort_grade_pct")
        if isinstance(value, int | float):
            return float(value)
    if isinstance(parameters.get("comfort_grade_pct"), int | float):
        return float(parameters["comfort_grade_pct"])
    limit = min(
        float(parameters.get("max_incline_up_pct", 100)),
        float(parameters.get("max_incline_down_pct", 100)),
    )
    # Routes never exceed the limit itself; what is near it is worth a warning.
    return STEEP_SHARE_OF_LIMIT * limit if limit < 100 else DEFAULT_COMFORT_GRADE_PCT


def _segment_ahead(
    segments: list[dict], k: int, comfort: float, min_width: float, dark: bool
) -> list[dict]:
    seg, found = segments[k], []
    incline = seg.get("incline") or {}
    up, down = incline.get("max_up_pct"), incline.get("max_down_pct")
    if isinstance(up, int | float) and up > comfort:
        found.append({"code": "steep_up", "grade_pct": round(up)})
    if isinstance(down, int | float) and down > comfort:
        found.append({"code": "steep_down", "grade_pct": round(down)})
    width = seg.get("width")
    if isinstance(width, int | float) and width < min_width:
        found.append({"code": "narrow", "width_m": round(width, 1)})
    if k > 0:
        before, now = segments[k - 1].get("surface"), seg.get("surface")
        if now not in (None, "unknown") and before not in (None, "unknown") and now != before:
            found.append({"code": "surface", "surface": now})
    if dark and seg.get("lit") == "no":
        found.append({"code": "unlit", "length_m": round(seg["length_m"])})
    return found


# --- saying: words from the catalogues ------------------------------------------------------


def phrase(event: dict, lang: str) -> dict:
    """The maneuver with `text`, `alert`, `before` and `after` in `lang`."""
    hook = _TRANSIT_HOOKS.get(event["code"])
    if hook is not None:
        return hook(event, lang)
    alert, line = _instruction(event, lang)
    after = _after(event, lang)
    to_go = round(event.get("approach_m", 0))
    before = (
        messages.say(
            lang,
            "dir_before",
            action=alert,
            distance=messages.say(lang, "dir_metres", n=to_go),
            distance_from=messages.say(lang, "dir_metres_from", n=to_go),
        )
        if to_go >= 1
        else line
    )
    alert, line, before = _capital(alert), _capital(line), _capital(before)
    line = " ".join([line, *_notes(event, lang)])
    text = " ".join(part for part in (line, after) if part)
    return event | {"lang": lang, "alert": alert, "before": before, "after": after, "text": text}


def _capital(text: str) -> str:
    """A line starts with a capital even when its template starts with a param (kk compass)."""
    return text[:1].upper() + text[1:]


def _instruction(event: dict, lang: str) -> tuple[str, str]:
    """(alert, full line) of one maneuver."""
    p, code = event["params"], event["code"]
    if code == "start":
        compass = p.get("compass")
        alert = (
            messages.say(lang, "dir_start", compass=messages.say(lang, f"compass_{compass}"))
            if compass
            else messages.say(lang, "dir_start_no_heading")
        )
        return alert, _with_street(lang, alert, p.get("street"))
    if code == "turn":
        key = "turn_u_turn" if p["kind"] == "u_turn" else f"turn_{p['kind']}_{p['side']}"
        alert = messages.say(
            lang, "dir_turn", turn=messages.say(lang, key), clock=_clock(lang, p["clock"])
        )
        return alert, _with_street(lang, alert, p.get("street"))
    if code == "continue":
        alert = messages.say(lang, "dir_continue")
        return alert, _with_street(lang, alert, p.get("street"))
    if code == "crossing":
        return messages.say(lang, "dir_crossing_alert"), _crossing(lang, p)
    if code == "arrive":
        alert = messages.say(lang, "dir_arrive")
        return alert, messages.say(lang, f"dir_arrive_{p['side']}")
    return _barrier_line(lang, code, p)


def _with_street(lang: str, action: str, street: str | None) -> str:
    if not street:
        return messages.say(lang, "dir_sentence", text=action)
    return messages.say(lang, "dir_onto", action=action, street=street.rstrip(". "))


def _notes(event: dict, lang: str) -> list[str]:
    """A landmark near the turn, and a street junction nobody mapped, after the line."""
    p, notes = event["params"], []
    landmark = p.get("landmark")
    if landmark:
        name = landmark["names"].get(lang) or landmark["name"]
        word = "osm_" + landmark.get("category", "").replace("=", "_")
        if word not in messages.catalogue(lang):
            word = f"place_kind_{landmark['kind']}"
        kind = messages.say(lang, word)
        where = landmark.get("where", "at")
        key = {"after": "dir_landmark_after", "before": "dir_landmark_before"}.get(
            where, "dir_landmark_at"
        )
        notes.append(messages.say(lang, key, kind=kind, name=name.rstrip(". ")))
    if p.get("unmapped_junction"):
        notes.append(messages.say(lang, "dir_junction_note"))
    return notes


def _clock(lang: str, hour: int) -> str:
    return messages.say(lang, "dir_clock", h=hour)


def _metres(lang: str, metres: float) -> str:
    return messages.say(lang, "dir_metres", n=round(metres))


def _crossing(lang: str, p: dict) -> str:
    facts = [
        messages.say(lang, f"dir_signals_{_tri(p['signals'])}"),
        messages.say(lang, f"dir_sound_{_tri(p['sound'])}"),
        messages.say(lang, f"dir_vibration_{_tri(p['vibration'])}"),
        messages.say(lang, f"dir_tactile_{_tri(p['tactile_paving'])}"),
        messages.say(lang, f"dir_island_{_tri(p.get('island'))}"),
    ]
    if p.get("markings") == "no":
        facts.append(messages.say(lang, "dir_unmarked"))
    if isinstance(p.get("lanes"), int):
        facts.append(messages.say(lang, "dir_lanes", n=p["lanes"]))
    for side in ("kerb_before", "kerb_after"):
        height = p.get(side)
        if isinstance(height, int | float):
            facts.append(messages.say(lang, f"dir_{side}_cm", cm=height))
        elif height == "unknown":
            facts.append(messages.say(lang, f"dir_{side}_unknown"))
    separator = messages.say(lang, "dir_list_separator")
    return messages.say(lang, "dir_crossing", facts=separator.join(facts))


def _tri(value: object) -> str:
    return value if value in ("yes", "no") else "unknown"


def _barrier_line(lang: str, code: str, p: dict) -> tuple[str, str]:
    if code == "steps":
        alert = messages.say(lang, "dir_steps_alert")
        count = p.get("count")
        counted = (
            messages.say(lang, "dir_steps_count", n=count)
            if isinstance(count, int)
            else messages.say(lang, "dir_steps_count_unknown")
        )
        handrail = messages.say(lang, f"dir_handrail_{_tri(p.get('handrail'))}")
        ramp = messages.say(lang, f"dir_ramp_{_tri(p.get('ramp'))}")
        line = messages.say(lang, "dir_steps", count=counted, handrail=handrail, ramp=ramp)
        return alert, line
    if code == "kerb":
        alert = messages.say(lang, "dir_kerb_alert")
        height = p.get("height_cm")
        if isinstance(height, int | float):
            return alert, messages.say(lang, "dir_kerb_cm", cm=height)
        return alert, messages.say(lang, "dir_kerb_unknown")
    if code == "junction":
        return messages.say(lang, "dir_junction_alert"), messages.say(lang, "dir_junction")
    if code == "elevator":
        return messages.say(lang, "dir_elevator_alert"), messages.say(lang, "dir_elevator")
    if code == "entrance":
        door = _tri(p.get("automatic_door"))
        line = messages.say(lang, f"dir_entrance_automatic_{door}")
        return messages.say(lang, "dir_entrance_alert"), line
    word = f"barrier_{p.get('barrier')}"
    catalogue = messages.catalogue(lang)
    name = messages.say(lang, word) if word in catalogue else messages.say(lang, "dir_obstacle")
    name = name.lower()
    return messages.say(lang, "dir_barrier_alert"), messages.say(lang, "dir_barrier", name=name)


def _after(event: dict, lang: str) -> str:
    """How far to walk after the maneuver and what comes up on the way."""
    parts = []
    if event["code"] != "arrive" and event["distance_m"] >= 1:
        distance = _metres(lang, event["distance_m"])
        if "paces" in event:
            paces = messages.say(lang, "dir_paces", n=event["paces"])
            parts.append(messages.say(lang, "dir_walk_paces", distance=distance, paces=paces))
        else:
            parts.append(messages.say(lang, "dir_walk", distance=distance))
    said = (_ahead_item(lang, item) for item in event.get("ahead", []))
    items = [i for i in said if i]
    if items:
        separator = messages.say(lang, "dir_list_separator")
        parts.append(messages.say(lang, "dir_ahead", items=separator.join(items)))
    return " ".join(parts)


def _ahead_item(lang: str, item: dict) -> str | None:
    code = item["code"]
    if code == "surface":
        word = f"osm_surface_{item['surface']}"
        if word not in messages.catalogue(lang):
            return None
        return messages.say(lang, "dir_ahead_surface", surface=messages.say(lang, word))
    if code == "unlit":
        return messages.say(lang, "dir_ahead_unlit", distance=_metres(lang, item["length_m"]))
    if code == "narrow":
        return messages.say(lang, "dir_ahead_narrow", width=_decimal(lang, item["width_m"]))
    if code in ("steep_up", "steep_down"):
        return messages.say(lang, f"dir_ahead_{code}", grade=item["grade_pct"])
    return messages.say(lang, "dir_ahead_steps")


def _decimal(lang: str, value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text if lang == "en" else text.replace(".", ",")


# --- whole texts ----------------------------------------------------------------------------


def as_text(items: list[dict], lang: str) -> str:
    """Numbered lines, one maneuver each, for screen readers and braille displays."""
    return "".join(
        messages.say(lang, "dir_numbered", n=i, text=m["text"]) + "\n"
        for i, m in enumerate(items, 1)
    )


_NUMBER = re.compile(r"(?<![\w.,])(\d+)(?![\w.,]*\d)")


def as_ssml(items: list[dict], lang: str, pause_ms: int = 700) -> str:
    """SSML 1.1: one sentence group per maneuver, a pause between them, numbers as cardinals."""
    body = []
    for m in items:
        text = _NUMBER.sub(r'<say-as interpret-as="cardinal">\1</say-as>', escape(m["text"]))
        body.append(f'  <p>{text}</p>\n  <break time="{pause_ms}ms"/>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" '
        f'xml:lang="{messages.say(lang, "dir_xml_lang")}">\n' + "\n".join(body) + "\n</speak>\n"
    )
