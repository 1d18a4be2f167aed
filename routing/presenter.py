"""The answer and its warnings: what a planned route says to the person before they set out.

Warnings are stable codes with params (clients say them in the user's
language) and an English message; nothing here plans or changes a route.
"""

from __future__ import annotations

from routing.explain import snap_dict
from routing.planner import Plan
from routing.profiles import PARAMETERS, Profile

# Stable codes of route warnings; clients translate them (see messages/ "warning_<code>").
WARNING_CODES = (
    "unknown_kerbs",
    "unknown_crossings",
    "long_route",
    "slope_mostly_unknown",
    "unlit_after_dark",
    "unmapped_junctions",
    "barrier_unknown_passability",
    "steep_stretch",
    "snapped_across_barrier",
)


def answer(profile: Profile, overrides: dict | None, plan: Plan, conditions: dict | None) -> dict:
    """The route answer: the plan's route with its warnings, the snapped points, the conditions."""
    plan.route["warnings"] = warnings(plan, profile, conditions)
    answer = {
        "profile": profile.name,
        "overrides": overrides or {},
        "snap": {"from": snap_dict(plan.start), "to": snap_dict(plan.end)},
        "routes": [plan.route],
    }
    if conditions is not None:
        answer["conditions"] = conditions
    return answer


def _warning(code: str, template: str, **params: float | int | str) -> dict:
    assert code in WARNING_CODES, code
    return {"code": code, "message": template.format(**params), "params": params}


def _cares_about_crossings(profile: Profile) -> bool:
    """Whether kerbs (any limit below the schema's highest) or tactile paving matter."""
    highest_kerb_cm = PARAMETERS["max_kerb_cm"][2]
    return (
        profile.params["max_kerb_cm"] < highest_kerb_cm
        or profile.params["crossing_no_tactile_s"] > 0
    )


def _unknown_barriers(route: dict, profile: Profile) -> list[dict]:
    """A warning listing gates, bollards and the like whose wheelchair passability is unknown.

    Only for profiles that refuse `wheelchair=no`: for them an untagged gate
    may be the one that stops the chair, so each is named with its place.
    """
    if not profile.params["avoid_wheelchair_no"]:
        return []
    barriers = [
        {"kind": b["barrier"] or "barrier", "osm_type": b["osm_type"], "osm_id": b["osm_id"]}
        | {"lat": b["lat"], "lon": b["lon"], "segment": index}
        for index, segment in enumerate(route["segments"])
        for b in segment["barriers"]
        if b["kind"] == "barrier" and b["wheelchair"] == "unknown"
    ]
    if not barriers:
        return []
    warning = _warning(
        "barrier_unknown_passability",
        "{n} barrier(s) on the way (gates, bollards) of unknown wheelchair passability",
        n=len(barriers),
    )
    return [warning | {"barriers": barriers}]


def warnings(plan: Plan, profile: Profile, conditions: dict | None) -> list[dict]:
    """What the user should know before setting out, as ``{code, message, params}``.

    `code` and `params` let a client say it in the user's language; `message` is English.
    """
    route = plan.route
    found = []
    unknown = route["unknown"]
    if unknown["kerbs"]:
        found.append(
            _warning(
                "unknown_kerbs", "{n} kerb(s) of unknown height on the way", n=unknown["kerbs"]
            )
        )
    if unknown["crossings"]:
        found.append(
            _warning(
                "unknown_crossings",
                "{n} crossing(s) with unknown signals or tactile paving",
                n=unknown["crossings"],
            )
        )
    comfort_m = profile.params["comfort_distance_m"]
    if route["distance_m"] > comfort_m:
        found.append(
            _warning(
                "long_route",
                "route is {km} km, longer than the profile's comfortable {comfort_km} km",
                km=round(route["distance_m"] / 1000, 1),
                comfort_km=round(comfort_m / 1000, 1),
            )
        )
    if route["distance_m"] and unknown["incline_m"] / route["distance_m"] > 0.2:
        share = round(100 * unknown["incline_m"] / route["distance_m"])
        found.append(
            _warning("slope_mostly_unknown", "slope unknown on {pct} % of the route", pct=share)
        )
    for moved in plan.across:
        if moved is not None:
            found.append(
                _warning(
                    "snapped_across_barrier",
                    "the {point} point was moved {m} m across a flight of steps "
                    "(OSM way {osm_id}) to the nearest way the profile can use",
                    **moved,
                )
            )
    # A general "slopes are estimated" note was on every DEM route and said nothing;
    # each steep stretch now says where its grade came from (`source`).
    for stretch in plan.steep:
        found.append(
            _warning(
                "steep_stretch",
                "steep stretch {direction}: {grade_pct} % over {length_m} m, steeper than "
                "the profile's comfortable {comfort_pct} % (source: {source})",
                **stretch,
                comfort_pct=profile.params["comfort_grade_pct"],
            )
        )
    if unknown["junctions"] and _cares_about_crossings(profile):
        found.append(
            _warning(
                "unmapped_junctions",
                "{n} street intersection(s) on the way with no kerbs or crossings mapped",
                n=unknown["junctions"],
            )
        )
    found.extend(_after_dark(route, profile, conditions))
    found.extend(_unknown_barriers(route, profile))
    return found


def _after_dark(route: dict, profile: Profile, conditions: dict | None) -> list[dict]:
    """Unlit (and, for profiles that need light, unknown-lit) metres if any of the walk is dark."""
    unlit_m = sum(s["length_m"] for s in route["segments"] if s["lit"] == "no")
    dark = conditions is not None and not (
        conditions["daylight"] and conditions["daylight_at_arrival"]
    )
    # Unknown lighting may well be dark: a profile that needs light hears of it too.
    needs_light = profile.params["unlit_factor"] > 1
    unknown_lit_m = route["unknown"]["lit_m"]
    if not (dark and (unlit_m or (needs_light and unknown_lit_m))):
        return []
    return [
        _warning(
            "unlit_after_dark",
            "it will be dark on at least part of the way: {m} m of the route "
            "are known to be unlit and lighting is unknown on {unknown_m} m",
            m=round(unlit_m),
            unknown_m=round(unknown_lit_m),
        )
    ]
