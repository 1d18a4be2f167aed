"""The street planner: snap both points, find the cheapest path, build the route.

It plans on one metric entry (routing.metrics) and knows nothing of HTTP,
warnings' wording or why a plan failed: a failure is handed to
routing.explain, which names what blocks the way.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from routing import daylight
from routing.answer import Leg, RouteBuilder
from routing.costs import BLOCK_REASONS, Costs
from routing.engine import Metric, PathResult
from routing.errors import RoutingError
from routing.explain import explain_failure
from routing.graph import StreetGraph
from routing.metrics import Conditions, MetricEntry, MetricStore
from routing.slopes import steep_stretches, steepest_grades
from routing.snap import Snap, Snapper

Point = tuple[float, float]
Seed = tuple[int, float, Leg]


def check_point(point: object, name: str) -> Point:
    """(lat, lon) as floats, or invalid_request naming the field."""
    try:
        lat, lon = (float(v) for v in point)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise RoutingError(
            "invalid_request", f"{name} must be (lat, lon) numbers", {"field": name}
        ) from None
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise RoutingError("invalid_request", f"{name} is not a valid coordinate", {"field": name})
    return lat, lon


@dataclasses.dataclass
class Plan:
    """A planned route: the snapped points and the route dict (with its private notes).

    `across` and `steep` are what the presenter turns into warnings.
    """

    start: Snap
    end: Snap
    route: dict
    across: list[dict | None]
    steep: list[dict]


class StreetPlanner:
    """Snaps and paths on one compiled street graph, on the metrics of one store."""

    def __init__(self, graph: StreetGraph, store: MetricStore) -> None:
        self.graph = graph
        self.store = store
        self.snapper = Snapper(graph)
        self._all_edges = np.ones(graph.edge_count, dtype=bool)

    def snap(self, point: Point, entry: MetricEntry, name: str) -> Snap:
        """Snap to a way the profile can use, else to the nearest way marked not `usable`."""
        steps = (entry.costs.edge_blocked & BLOCK_REASONS["steps"]) > 0
        snap = self.snapper.snap_beside_steps(point[0], point[1], entry.usable, steps)
        if snap is not None:
            return snap
        nearest = self.snapper.snap(point[0], point[1], self._all_edges)
        where = {"field": name, "lat": point[0], "lon": point[1]}
        if nearest is None:
            city = self.graph.manifest.get("city") or "this graph"
            # A point given as lon,lat is the commonest typo; say so when the swap lands inside.
            lat, lon = point[1], point[0]
            swapped = -90 <= lat <= 90 and self.snapper.snap(lat, lon, self._all_edges) is not None
            hint = f"; did you swap latitude and longitude? (lon,lat) lies inside {city}"
            raise RoutingError(
                "outside_area",
                f"{name} ({point[0]:.6f}, {point[1]:.6f}) is not near any mapped way "
                f"in the loaded area ({city})" + (hint if swapped else ""),
                where | {"swapped_inside": swapped},
            )
        # Only impassable ways are near: the explanation of the failure follows the
        # least-bad path from here, so what blocks is named where the person meets it.
        return dataclasses.replace(nearest, usable=False)

    def across(self, field: str, snap: Snap) -> dict | None:
        """Warning params for a point snapped across a flight of steps, else None."""
        if snap.across < 0:
            return None
        coords = self.graph.edge_coords(snap.across)
        middle = coords[len(coords) // 2]
        return {
            "point": field,
            "m": round(snap.distance_m, 1),
            "osm_id": int(self.graph.edge_osm_way_id[snap.across]),
            "lat": round(float(middle[1]), 7),
            "lon": round(float(middle[0]), 7),
        }

    def seeds(self, snap: Snap, body: np.ndarray, node_s: np.ndarray, leaving: bool) -> list[Seed]:
        """(node, seconds, leg) triples linking a snapped point to the ends of its edge.

        Leaving the point, a seed reaches an edge's head node and so pays that
        node's barriers; arriving, it starts from a node already paid for.
        Impassable edges give no seed.
        """
        g = self.graph
        edges = [(snap.edge, snap.fraction)]
        reverse = int(g.edge_reverse[snap.edge])
        if reverse >= 0:
            edges.append((reverse, 1 - snap.fraction))
        seeds: list[Seed] = []
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
            edge = int(g.edge_reverse[origin.edge])
            start, end = 1 - origin.fraction, 1 - target.fraction
            if edge < 0:
                return None
        body = cost[edge]  # the body only: the walk ends before the edge's head node
        if not np.isfinite(body):
            return None
        return (end - start) * body, [(edge, start, end)]

    def path(self, metric: Metric, costs: Costs, origin: Snap, target: Snap) -> list[Leg] | None:
        """The cheapest legs between two snapped points on `metric`, or None."""
        sources = self.seeds(origin, costs.body_s, costs.node_s, leaving=True)
        targets = self.seeds(target, costs.body_s, costs.node_s, leaving=False)
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

    def snap_both(self, entry: MetricEntry, origin: Point, destination: Point) -> tuple[Snap, Snap]:
        return self.snap(origin, entry, "from"), self.snap(destination, entry, "to")

    def legs(self, entry: MetricEntry, start: Snap, end: Snap) -> list[Leg] | None:
        """The route's legs on the entry's metric; None if either point or the path fails."""
        if not (start.usable and end.usable):
            return None
        return self.path(entry.metric, entry.costs, start, end)

    def build(self, entry: MetricEntry, start: Snap, end: Snap, legs: list[Leg]) -> Plan:
        """The route of found legs, with what the warnings need."""
        route = RouteBuilder(self.graph, entry.costs).route(legs)
        route["steepest"] = steepest_grades(self.graph, legs)
        across = [self.across(field, snap) for field, snap in (("from", start), ("to", end))]
        steep = steep_stretches(self.graph, legs, entry.profile.params["comfort_grade_pct"])
        return Plan(start, end, route, across, steep)

    def finds_route(self, entry: MetricEntry, points: tuple[Point, ...]) -> bool:
        """Whether `entry` routes between the points, snapped as a plan snaps them."""
        try:
            start, end = self.snap_both(entry, points[0], points[1])
        except RoutingError:
            return False
        return self.legs(entry, start, end) is not None

    def plan(self, entry: MetricEntry, origin: Point, destination: Point) -> Plan:
        """Snap both points, find the path (or raise no_accessible_route) and build the route."""
        start, end = self.snap_both(entry, origin, destination)
        legs = self.legs(entry, start, end)
        if legs is None:
            explain_failure(self, self.store, entry, start, end, (origin, destination))
        return self.build(entry, start, end, legs)

    def plan_for_the_light(
        self,
        profile: str,
        overrides: dict | None,
        conditions: dict,
        origin: Point,
        destination: Point,
    ) -> tuple[MetricEntry, Plan]:
        """Plan by daylight if the start is light, again for the dark if that walk ends after
        sunset; `conditions` gains the arrival.

        Daylight at the start is what is known before a route exists.
        """
        entry = self.store.get(profile, overrides, Conditions(daylight=conditions["daylight"]))
        planned = self.plan(entry, origin, destination)
        daylight.add_arrival(conditions, planned.route["duration_s"], destination)
        if conditions["daylight"] and not conditions["daylight_at_arrival"]:
            night = self.store.get(profile, overrides)
            if night is not entry:
                entry, planned = night, self.plan(night, origin, destination)
                daylight.add_arrival(conditions, planned.route["duration_s"], destination)
        return entry, planned
