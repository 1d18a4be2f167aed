"""Why no route: the least-bad candidate path and what blocks it.

When the planner finds no passable path, this re-routes on the entry's
relaxed metric (every block a heavy penalty, see routing.metrics), draws that
candidate, names each blocker on it with its measured value and limit, and
suggests only what really helps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from routing.answer import RouteBuilder
from routing.errors import RoutingError
from routing.metrics import MetricEntry, MetricStore
from routing.snap import Snap

if TYPE_CHECKING:  # the planner calls this module: import it only for types
    from routing.planner import Point, StreetPlanner

# A refused profile -> profiles worth suggesting instead, if they find a route (an electric
# chair climbs what a manual one cannot).
ALTERNATIVE_PROFILES = {"wheelchair_manual": ("wheelchair_electric",)}


def snap_dict(snap: Snap) -> dict:
    """A snapped point as the answer shows it."""
    return {
        "lat": round(snap.lat, 7),
        "lon": round(snap.lon, 7),
        "distance_m": round(snap.distance_m, 1),
    }


def explain_failure(
    planner: StreetPlanner,
    store: MetricStore,
    entry: MetricEntry,
    start: Snap,
    end: Snap,
    points: tuple[Point, Point],
) -> NoReturn:
    """Raise no_accessible_route naming what blocks the least-bad candidate path.

    The candidate is drawn (`candidate`), every blocker lies on it with its
    measured value, and `suggestions` offers what really helps: another
    profile only if it finds a route between the same points.
    """
    relaxed_costs, relaxed_metric = entry.relaxed()
    legs = planner.path(relaxed_metric, relaxed_costs, start, end)
    builder = RouteBuilder(planner.graph, entry.costs)
    blocking = builder.blocking(legs, entry.profile.params) if legs else []
    name = entry.profile.name
    details: dict = {}
    unusable = [i for i, snap in enumerate((start, end)) if not snap.usable]
    if unusable:
        field, point = ("from", "to")[unusable[0]], points[unusable[0]]
        message = f"every way near {field} is impassable for profile {name!r}"
        details = {"field": field, "lat": point[0], "lon": point[1]}
    elif legs is None:
        message = "origin and destination are not connected by any mapped way"
    else:
        kinds = ", ".join(sorted({f"{b['kind']} ({b['reason']})" for b in blocking})) or "barriers"
        message = f"no route passable for profile {name!r}; blocked by {kinds}"
    raise RoutingError(
        "no_accessible_route",
        message,
        details
        | {
            "profile": name,
            "reason": "not_connected" if legs is None else "blocked",
            "blocking": blocking,
            "candidate": builder.candidate(legs) if legs else None,
            "suggestions": suggestions(planner, store, name, points),
            "snap": {"from": snap_dict(start), "to": snap_dict(end)},
        },
    )


def suggestions(
    planner: StreetPlanner, store: MetricStore, name: str, points: tuple[Point, ...]
) -> list[dict]:
    """What else may help after a refusal: a profile that finds a route, an accessible taxi."""
    found = []
    for other in ALTERNATIVE_PROFILES.get(name, ()):
        if other in store.profiles and planner.finds_route(store.get(other), points):
            found.append({"code": "try_profile", "params": {"profile": other}})
    if name.startswith("wheelchair"):
        found.append({"code": "invataxi", "params": {}})
    return found
