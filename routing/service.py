"""The router: one compiled graph, every profile's metric, route answers as dicts.

`Router.route` is what the CLI prints and the HTTP API returns. Per-profile
costs and CCH metrics are computed once at load; a request with overrides gets
its own metric, cached by its overrides so repeated users cost nothing.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from jol import settings
from routing import daylight
from routing.answer import Leg, RouteBuilder
from routing.costs import BLOCK_REASONS, Costs, compute_costs
from routing.engine import PathResult, make_engine
from routing.errors import RoutingError
from routing.graph import StreetGraph
from routing.profiles import PARAMETERS, Profile, load_profiles, override_schema
from routing.slopes import steep_stretches, steepest_grades
from routing.snap import Snap, Snapper

# The least-bad path that explains a failure pays, on each impassable edge, a fixed
# penalty and ten times its travel time: it prefers few and short blocked stretches, but
# not at any price (a per-edge penalty alone drew a 34 km candidate for a 5 km trip).
_RELAXED_BLOCK_S = 600.0
_RELAXED_BLOCK_FACTOR = 10.0
_OVERRIDE_CACHE_SIZE = 32
# A refused profile -> profiles worth suggesting instead, if they find a route (an electric
# chair climbs what a manual one cannot).
_ALTERNATIVE_PROFILES = {"wheelchair_manual": ("wheelchair_electric",)}


@dataclass
class _ProfileMetrics:
    profile: Profile
    costs: Costs
    metric: object
    usable: np.ndarray  # edges whose body can be traversed
    relaxed: object | None = None


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


def _check_point(point: object, name: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in point)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise RoutingError(
            "invalid_request", f"{name} must be (lat, lon) numbers", {"field": name}
        ) from None
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise RoutingError("invalid_request", f"{name} is not a valid coordinate", {"field": name})
    return lat, lon


class Router:
    """Answers route questions on one compiled street graph."""

    def __init__(self, graph: StreetGraph, profiles: dict[str, Profile]) -> None:
        self.graph = graph
        self._profiles = profiles
        self._engine = make_engine(
            graph.node_count, graph.edge_u, graph.edge_v, graph.arrays["cch_order"]
        )
        self._snapper = Snapper(graph)
        self._all_edges = np.ones(graph.edge_count, dtype=bool)
        self._metrics = {name: self._customise(profile) for name, profile in profiles.items()}
        self._custom: OrderedDict[str, _ProfileMetrics] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, graph_dir: Path) -> Router:
        """Load a compiled graph folder (see ``graph_build.build``) and the bundled profiles."""
        return cls(StreetGraph.load(Path(graph_dir)), load_profiles())

    # --- profiles -----------------------------------------------------------------
    def profiles(self) -> list[dict]:
        """Every profile with its parameters, for listing."""
        return [profile.to_dict() for profile in self._profiles.values()]

    def profile_schema(self) -> dict:
        """JSON Schema of a request's ``overrides`` object."""
        return override_schema()

    def _customise(self, profile: Profile) -> _ProfileMetrics:
        costs = compute_costs(self.graph, profile)
        return _ProfileMetrics(
            profile, costs, self._engine.metric(costs.edge_s), np.isfinite(costs.body_s)
        )

    def _metrics_for(self, name: str, overrides: dict | None) -> _ProfileMetrics:
        if name not in self._profiles:
            raise RoutingError(
                "unknown_profile",
                f"unknown profile {name!r}",
                {"profile": name, "known": sorted(self._profiles)},
            )
        if not overrides:
            return self._metrics[name]
        profile = self._profiles[name].with_overrides(overrides)
        key = name + json.dumps(overrides, sort_keys=True)
        with self._lock:
            if key in self._custom:
                self._custom.move_to_end(key)
                return self._custom[key]
        metrics = self._customise(profile)
        with self._lock:
            self._custom[key] = metrics
            while len(self._custom) > _OVERRIDE_CACHE_SIZE:
                self._custom.popitem(last=False)
        return metrics

    # --- routing ------------------------------------------------------------------
    def _snap(self, point: tuple[float, float], metrics: _ProfileMetrics, name: str) -> Snap:
        """Snap to a way the profile can use, else to the nearest way marked not `usable`."""
        steps = (metrics.costs.edge_blocked & BLOCK_REASONS["steps"]) > 0
        snap = self._snapper.snap_beside_steps(point[0], point[1], metrics.usable, steps)
        if snap is not None:
            return snap
        nearest = self._snapper.snap(point[0], point[1], self._all_edges)
        where = {"field": name, "lat": point[0], "lon": point[1]}
        if nearest is None:
            city = self.graph.manifest.get("city") or "this graph"
            # A point given as lon,lat is the commonest typo; say so when the swap lands inside.
            lat, lon = point[1], point[0]
            swapped = -90 <= lat <= 90 and self._snapper.snap(lat, lon, self._all_edges) is not None
            hint = f"; did you swap latitude and longitude? (lon,lat) lies inside {city}"
            raise RoutingError(
                "outside_area",
                f"{name} ({point[0]:.6f}, {point[1]:.6f}) is not near any mapped way "
                f"in the loaded area ({city})" + (hint if swapped else ""),
                where | {"swapped_inside": swapped},
            )
        # Only impassable ways are near: _plan explains the failure along the least-bad path
        # from here, so what blocks is named where the person meets it.
        return dataclasses.replace(nearest, usable=False)

    def _across(self, field: str, snap: Snap) -> dict | None:
        """Warning params for a point snapped across a flight of steps, else None."""
        if snap.across < 0:
            return None
        coords = self.graph.edge_coords(snap.across)
        middle = coords[len(coords) // 2]
        return {
            "point": field,
            "m": round(snap.distance_m, 1),
            "osm_id": int(self.graph.arrays["edge_osm_way_id"][snap.across]),
            "lat": round(float(middle[1]), 7),
            "lon": round(float(middle[0]), 7),
        }

    def _seeds(self, snap: Snap, body: np.ndarray, node_s: np.ndarray, leaving: bool):
        """(node, seconds, leg) triples linking a snapped point to the ends of its edge.

        Leaving the point, a seed reaches an edge's head node and so pays that
        node's barriers; arriving, it starts from a node already paid for.
        Impassable edges give no seed.
        """
        g = self.graph
        edges = [(snap.edge, snap.fraction)]
        reverse = int(g.arrays["edge_reverse"][snap.edge])
        if reverse >= 0:
            edges.append((reverse, 1 - snap.fraction))
        seeds = []
        for edge, at in edges:
            if not np.isfinite(body[edge]):
                continue
            if leaving:
                head = int(g.edge_v[edge])
                seeds.append((head, (1 - at) * body[edge] + node_s[head], (edge, at, 1.0)))
            else:
                seeds.append((int(g.edge_u[edge]), at * body[edge], (edge, 0.0, at)))
        return [seed for seed in seeds if np.isfinite(seed[1])]

    def _same_edge(
        self, origin: Snap, target: Snap, cost: np.ndarray
    ) -> tuple[float, list[Leg]] | None:
        """Direct walk along one edge when both points snapped to it."""
        if origin.edge != target.edge:
            return None
        g = self.graph
        if target.fraction >= origin.fraction:
            edge, start, end = origin.edge, origin.fraction, target.fraction
        else:
            edge = int(g.arrays["edge_reverse"][origin.edge])
            start, end = 1 - origin.fraction, 1 - target.fraction
            if edge < 0:
                return None
        body = cost[edge]  # the body only: the walk ends before the edge's head node
        if not np.isfinite(body):
            return None
        return (end - start) * body, [(edge, start, end)]

    def _path(self, metric, costs: Costs, origin: Snap, target: Snap) -> list[Leg] | None:
        sources = self._seeds(origin, costs.body_s, costs.node_s, leaving=True)
        targets = self._seeds(target, costs.body_s, costs.node_s, leaving=False)
        result: PathResult | None = metric.shortest_path(
            [(n, c) for n, c, _ in sources], [(n, c) for n, c, _ in targets]
        )
        direct = self._same_edge(origin, target, costs.body_s)
        best: list[Leg] | None = None
        if result is not None:
            first = next(leg for node, _, leg in sources if node == result.source)
            last = next(leg for node, _, leg in targets if node == result.target)
            best = [first] + [(edge, 0.0, 1.0) for edge in result.edges] + [last]
            if direct is not None and direct[0] <= result.cost_s:
                best = direct[1]
        elif direct is not None:
            best = direct[1]
        return [leg for leg in best if leg[2] > leg[1] or len(best) == 1] if best else None

    def route(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        profile: str,
        overrides: dict | None = None,
        depart_at: datetime | None = None,
    ) -> dict:
        """Best route for `profile` between two (lat, lon) points (see docs/architecture.md).

        With `depart_at` (aware, or naive in the city's local time) the answer
        says whether it is light at the start and on arrival; a walk wholly in
        daylight treats unlit ways like lit ones.
        """
        origin = _check_point(origin, "from")
        destination = _check_point(destination, "to")
        conditions = self._conditions(depart_at, origin)
        if conditions is None:
            metrics = self._metrics_for(profile, overrides)
            start, end, route = self._plan(metrics, origin, destination)
        else:
            metrics, (start, end, route) = self._plan_for_the_light(
                profile, overrides, conditions, origin, destination
            )
        route["warnings"] = self._warnings(route, metrics.profile, conditions)
        answer = {
            "profile": metrics.profile.name,
            "overrides": overrides or {},
            "snap": {"from": _snap_dict(start), "to": _snap_dict(end)},
            "routes": [route],
        }
        if conditions is not None:
            answer["conditions"] = conditions
        return answer

    def _plan(
        self,
        metrics: _ProfileMetrics,
        origin: tuple[float, float],
        destination: tuple[float, float],
    ) -> tuple[Snap, Snap, dict]:
        """Snap both points, find the path (or raise no_accessible_route) and build the route."""
        start = self._snap(origin, metrics, "from")
        end = self._snap(destination, metrics, "to")
        legs = None
        if start.usable and end.usable:
            legs = self._path(metrics.metric, metrics.costs, start, end)
        if legs is None:
            self._explain_failure(metrics, start, end, (origin, destination))
        route = RouteBuilder(self.graph, metrics.costs).route(legs)
        route["steepest"] = steepest_grades(self.graph, legs)
        # Read (and removed) by _warnings, like the steep stretches.
        route["_across"] = [
            self._across(field, snap) for field, snap in (("from", start), ("to", end))
        ]
        # Read (and removed) by _warnings: the steep stretches need the legs, not the segments.
        route["_steep_stretches"] = steep_stretches(
            self.graph, legs, metrics.profile.params["comfort_grade_pct"]
        )
        return start, end, route

    # --- time of day --------------------------------------------------------------
    def _conditions(self, depart_at: datetime | None, origin: tuple[float, float]) -> dict | None:
        """Local departure time and daylight at the origin; None without a depart time."""
        if depart_at is None:
            return None
        first, last = settings.DEPART_YEARS
        if not first <= depart_at.year <= last:
            raise RoutingError(
                "invalid_request",
                f"depart_at must be between the years {first} and {last}",
                {"field": "depart_at"},
            )
        city = str(self.graph.manifest.get("city", "")).lower()
        zone, zone_name = daylight.local_zone(settings.CITY_TIME_ZONES.get(city), origin[1])
        when = daylight.localise(depart_at, zone)
        altitude = daylight.sun_altitude_deg(when, *origin)
        return {
            "depart_at": when.isoformat(),
            "time_zone": zone_name,
            "sun_altitude_deg": round(altitude, 1),
            "daylight": altitude > daylight.SUNSET_ALTITUDE_DEG,
        }

    def _plan_for_the_light(
        self,
        profile: str,
        overrides: dict | None,
        conditions: dict,
        origin: tuple[float, float],
        destination: tuple[float, float],
    ) -> tuple[_ProfileMetrics, tuple[Snap, Snap, dict]]:
        """Plan by daylight if the start is light, again for the dark if that walk ends after
        sunset; `conditions` gains the arrival."""
        metrics = self._metrics_for(profile, self._lighting(profile, overrides, conditions))
        planned = self._plan(metrics, origin, destination)
        self._arrival(conditions, planned[2]["duration_s"], destination)
        if conditions["daylight"] and not conditions["daylight_at_arrival"]:
            night = self._metrics_for(profile, overrides)
            if night is not metrics:
                metrics, planned = night, self._plan(night, origin, destination)
                self._arrival(conditions, planned[2]["duration_s"], destination)
        return metrics, planned

    @staticmethod
    def _arrival(conditions: dict, duration_s: float, destination: tuple[float, float]) -> None:
        """Add the arrival time and whether it is still light at the destination."""
        arrive = datetime.fromisoformat(conditions["depart_at"]) + timedelta(seconds=duration_s)
        altitude = daylight.sun_altitude_deg(arrive, *destination)
        conditions["arrive_at"] = arrive.isoformat(timespec="seconds")
        conditions["daylight_at_arrival"] = altitude > daylight.SUNSET_ALTITUDE_DEG

    def _lighting(self, name: str, overrides: dict | None, conditions: dict | None) -> dict | None:
        """Overrides that drop the unlit-way reluctance in daylight, where the profile has one.

        Daylight at the start is what is known before a route exists; `route`
        re-plans for the dark when the route turns out to end after sunset.
        """
        if not (conditions and conditions["daylight"]) or name not in self._profiles:
            return overrides
        # with_overrides validates the user's overrides before anything is customised.
        if self._profiles[name].with_overrides(overrides).params["unlit_factor"] == 1:
            return overrides
        return {**(overrides or {}), "unlit_factor": 1.0}

    def _relaxed(self, metrics: _ProfileMetrics) -> Costs:
        """The profile's costs with every block turned into a heavy penalty (least-bad paths)."""
        costs = metrics.costs
        blocked_s = costs.time_s * _RELAXED_BLOCK_FACTOR + _RELAXED_BLOCK_S
        relaxed_cost = np.where(np.isfinite(costs.edge_s), costs.edge_s, blocked_s)
        if metrics.relaxed is None:
            metrics.relaxed = self._engine.metric(relaxed_cost)
        return Costs(
            np.where(np.isfinite(costs.body_s), costs.body_s, blocked_s),
            np.zeros_like(costs.node_s),
            costs.time_s,
            costs.edge_blocked,
            costs.node_blocked,
            relaxed_cost,
        )

    def _explain_failure(
        self,
        metrics: _ProfileMetrics,
        start: Snap,
        end: Snap,
        points: tuple[tuple[float, float], tuple[float, float]],
    ) -> None:
        """Raise no_accessible_route naming what blocks the least-bad candidate path.

        The candidate is drawn (`candidate`), every blocker lies on it with its
        measured value, and `suggestions` offers what really helps: another
        profile only if it finds a route between the same points.
        """
        relaxed = self._relaxed(metrics)
        legs = self._path(metrics.relaxed, relaxed, start, end)
        builder = RouteBuilder(self.graph, metrics.costs)
        blocking = builder.blocking(legs, metrics.profile.params) if legs else []
        name = metrics.profile.name
        details: dict = {}
        unusable = [i for i, snap in enumerate((start, end)) if not snap.usable]
        if unusable:
            field, point = ("from", "to")[unusable[0]], points[unusable[0]]
            message = f"every way near {field} is impassable for profile {name!r}"
            details = {"field": field, "lat": point[0], "lon": point[1]}
        elif legs is None:
            message = "origin and destination are not connected by any mapped way"
        else:
            kinds = (
                ", ".join(sorted({f"{b['kind']} ({b['reason']})" for b in blocking})) or "barriers"
            )
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
                "suggestions": self._suggestions(name, points),
                "snap": {"from": _snap_dict(start), "to": _snap_dict(end)},
            },
        )

    def _suggestions(self, name: str, points: tuple[tuple[float, float], ...]) -> list[dict]:
        """What else may help after a refusal: a profile that finds a route, an accessible taxi."""
        found = []
        for other in _ALTERNATIVE_PROFILES.get(name, ()):
            if other in self._profiles and self._finds_route(
                self._metrics_for(other, None), points
            ):
                found.append({"code": "try_profile", "params": {"profile": other}})
        if name.startswith("wheelchair"):
            found.append({"code": "invataxi", "params": {}})
        return found

    def _finds_route(
        self, metrics: _ProfileMetrics, points: tuple[tuple[float, float], ...]
    ) -> bool:
        """Whether `metrics` routes between the points, snapped as `_plan` snaps them."""
        try:
            start, end = (
                self._snap(p, metrics, f) for p, f in zip(points, ("from", "to"), strict=True)
            )
        except RoutingError:
            return False
        if not (start.usable and end.usable):
            return False
        return self._path(metrics.metric, metrics.costs, start, end) is not None

    def _warnings(self, route: dict, profile: Profile, conditions: dict | None) -> list[dict]:
        """What the user should know before setting out, as ``{code, message, params}``.

        `code` and `params` let a client say it in the user's language; `message` is English.
        """
        warnings = []
        unknown = route["unknown"]
        if unknown["kerbs"]:
            warnings.append(
                _warning(
                    "unknown_kerbs", "{n} kerb(s) of unknown height on the way", n=unknown["kerbs"]
                )
            )
        if unknown["crossings"]:
            warnings.append(
                _warning(
                    "unknown_crossings",
                    "{n} crossing(s) with unknown signals or tactile paving",
                    n=unknown["crossings"],
                )
            )
        comfort_m = profile.params["comfort_distance_m"]
        if route["distance_m"] > comfort_m:
            warnings.append(
                _warning(
                    "long_route",
                    "route is {km} km, longer than the profile's comfortable {comfort_km} km",
                    km=round(route["distance_m"] / 1000, 1),
                    comfort_km=round(comfort_m / 1000, 1),
                )
            )
        if route["distance_m"] and unknown["incline_m"] / route["distance_m"] > 0.2:
            share = round(100 * unknown["incline_m"] / route["distance_m"])
            warnings.append(
                _warning("slope_mostly_unknown", "slope unknown on {pct} % of the route", pct=share)
            )
        for moved in route.pop("_across", []):
            if moved is not None:
                warnings.append(
                    _warning(
                        "snapped_across_barrier",
                        "the {point} point was moved {m} m across a flight of steps "
                        "(OSM way {osm_id}) to the nearest way the profile can use",
                        **moved,
                    )
                )
        # A general "slopes are estimated" note was on every DEM route and said nothing;
        # each steep stretch now says where its grade came from (`source`).
        for stretch in route.pop("_steep_stretches", []):
            warnings.append(
                _warning(
                    "steep_stretch",
                    "steep stretch {direction}: {grade_pct} % over {length_m} m, steeper than "
                    "the profile's comfortable {comfort_pct} % (source: {source})",
                    **stretch,
                    comfort_pct=profile.params["comfort_grade_pct"],
                )
            )
        if unknown["junctions"] and _cares_about_crossings(profile):
            warnings.append(
                _warning(
                    "unmapped_junctions",
                    "{n} street intersection(s) on the way with no kerbs or crossings mapped",
                    n=unknown["junctions"],
                )
            )
        unlit_m = sum(s["length_m"] for s in route["segments"] if s["lit"] == "no")
        dark = conditions is not None and not (
            conditions["daylight"] and conditions["daylight_at_arrival"]
        )
        # Unknown lighting may well be dark: a profile that needs light hears of it too.
        needs_light = profile.params["unlit_factor"] > 1
        unknown_lit_m = unknown["lit_m"]
        if dark and (unlit_m or (needs_light and unknown_lit_m)):
            warnings.append(
                _warning(
                    "unlit_after_dark",
                    "it will be dark on at least part of the way: {m} m of the route "
                    "are known to be unlit and lighting is unknown on {unknown_m} m",
                    m=round(unlit_m),
                    unknown_m=round(unknown_lit_m),
                )
            )
        warnings.extend(_unknown_barriers(route, profile))
        return warnings

    def info(self) -> dict:
        """What is loaded: city, OSM date, counts, bbox and artifact hashes."""
        manifest = self.graph.manifest
        bbox = manifest.get("osm", {}).get("bbox")
        return {
            "city": manifest.get("city"),
            "osm_date": manifest.get("osm", {}).get("newest_timestamp"),
            "bbox": list(bbox) if bbox else None,
            "nodes": self.graph.node_count,
            "edges": self.graph.edge_count,
            "built_at": manifest.get("built_at"),
            # File names only: the server's folders are nobody's business.
            "inputs": [
                {"kind": i["kind"], "file": Path(i["path"]).name, "sha256": i["sha256"]}
                for i in manifest.get("inputs", [])
            ],
            "artifacts": manifest.get("artifacts", {}),
            "profiles": sorted(self._profiles),
        }


def _snap_dict(snap: Snap) -> dict:
    return {
        "lat": round(snap.lat, 7),
        "lon": round(snap.lon, 7),
        "distance_m": round(snap.distance_m, 1),
    }
