"""The router: one compiled graph, every profile's metric, route answers as dicts.

`Router.route` is what the CLI prints and the HTTP API returns. `Router` is a
thin facade over the parts that do the work, one job each:
`routing.metrics.MetricStore` (every metric, by profile, overrides, conditions
and data version), `routing.planner.StreetPlanner` (snap, path, route),
`routing.explain` (why no route) and `routing.presenter` (the answer and its
warnings).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from routing import daylight, presenter
from routing.engine import make_engine
from routing.graph import StreetGraph
from routing.metrics import MetricStore
from routing.planner import StreetPlanner, check_point
from routing.presenter import WARNING_CODES
from routing.profiles import Profile, load_profiles, override_schema

__all__ = ["WARNING_CODES", "Router"]


class Router:
    """Answers route questions on one compiled street graph."""

    def __init__(self, graph: StreetGraph, profiles: dict[str, Profile]) -> None:
        self.graph = graph
        self._profiles = profiles
        engine = make_engine(graph.node_count, graph.edge_u, graph.edge_v, graph.cch_order)
        self.metrics = MetricStore(graph, profiles, engine)
        self.planner = StreetPlanner(graph, self.metrics)
        # The city's clock for naive depart times, as the compiled manifest records it.
        self.time_zone: str | None = graph.manifest.get("time_zone")

    @classmethod
    def load(cls, graph_dir: Path) -> Router:
        """Load a compiled graph folder (see ``graph_build.build``) and the bundled profiles."""
        return cls(StreetGraph.load(Path(graph_dir)), load_profiles())

    def profiles(self) -> list[dict]:
        """Every profile with its parameters, for listing."""
        return [profile.to_dict() for profile in self._profiles.values()]

    def profile_schema(self) -> dict:
        """JSON Schema of a request's ``overrides`` object."""
        return override_schema()

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
        origin = check_point(origin, "from")
        destination = check_point(destination, "to")
        conditions = daylight.conditions_at(depart_at, origin, self.time_zone)
        if conditions is None:
            entry = self.metrics.get(profile, overrides)
            plan = self.planner.plan(entry, origin, destination)
        else:
            entry, plan = self.planner.plan_for_the_light(
                profile, overrides, conditions, origin, destination
            )
        return presenter.answer(entry.profile, overrides, plan, conditions)

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
