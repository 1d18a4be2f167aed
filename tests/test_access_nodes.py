"""Access facts on nodes (issue 10): station entrances, wheelchair=no, closed gates, short flights.

Which nodes carry which tags is read from the raw OSM files by pyosmium through
the benchmarks' engine-independent evaluator, never from graph_build's parsers,
so a tag the build forgets to read shows up as a failure here.
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import pytest
from conftest import city_router

from jol import settings
from jol.cities import load_city
from routing.costs import BLOCK_REASONS
from routing.errors import RoutingError
from routing.service import Router

sys.path.insert(0, str(settings.REPO_ROOT / "benchmarks"))
from osm_eval import OsmIndex

_ENTRANCES = ("subway_entrance", "train_station_entrance")


@functools.cache
def raw_osm(city: str) -> OsmIndex:
    """The city's OSM file read independently (pyosmium), once per session."""
    return OsmIndex(load_city(city).files("osm")[0])


def _raw_nodes(city: str, keep) -> set[int]:
    """OSM ids of nodes on highway ways whose raw tags satisfy `keep`."""
    index = raw_osm(city)
    on_ways = set(index.node_ids.tolist())
    return {n for n, tags in index.node_tags.items() if n in on_ways and keep(tags)}


def _graph_nodes(router: Router, osm_ids: set[int]) -> dict[int, int]:
    ids = router.graph.arrays["node_osmid"]
    return {int(ids[i]): i for i in np.flatnonzero(np.isin(ids, list(osm_ids)))}


def _through(router: Router, node: int) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Two graph neighbours on either side of `node`, if it lies inside a way."""
    a = router.graph.arrays
    before = np.unique(a["edge_u"][a["edge_v"] == node])
    after = np.unique(a["edge_v"][a["edge_u"] == node])
    for u in before:
        for w in after:
            if u != w:
                return (
                    (float(a["node_lat"][u]), float(a["node_lon"][u])),
                    (float(a["node_lat"][w]), float(a["node_lon"][w])),
                )
    return None


def _passes(answer: dict, router: Router, node: int) -> bool:
    a = router.graph.arrays
    line = np.asarray(answer["routes"][0]["geometry"]["coordinates"])[1:-1]
    here = np.array([a["node_lon"][node], a["node_lat"][node]])
    return bool(len(line) and (np.abs(line - here).max(axis=1) < 1e-7).any())


def _met(answer: dict) -> list[dict]:
    return [b for s in answer["routes"][0]["segments"] for b in s["barriers"]]


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_station_entrances_tagged_wheelchair_no_block_wheelchairs(city: str) -> None:
    router = city_router(city)
    raw = _raw_nodes(city, lambda t: t.get("railway") in _ENTRANCES and t.get("wheelchair") == "no")
    kept = _graph_nodes(router, raw)
    assert kept, f"no wheelchair=no station entrance of {city} survived the build"
    blocked = router.metrics.get("wheelchair_manual", None).costs.node_blocked
    walk = router.metrics.get("default", None).costs.node_blocked
    for node in kept.values():
        assert blocked[node] & BLOCK_REASONS["wheelchair_no"]
        assert not walk[node]
    checked = 0
    for osm_id, node in kept.items():
        ends = _through(router, node)
        if ends is None:
            continue
        walked = router.route(*ends, "default")
        if not _passes(walked, router, node):
            continue
        entrance = [b for b in _met(walked) if b.get("osm_id") == osm_id]
        assert entrance and entrance[0]["kind"] == "entrance"
        assert entrance[0]["wheelchair"] == "no" and entrance[0]["entrance"] in _ENTRANCES
        try:
            rolled = router.route(*ends, "wheelchair_manual")
        except RoutingError as error:
            assert error.code == "no_accessible_route"
        else:
            assert not _passes(rolled, router, node)
        checked += 1
    assert checked, "no entrance lies inside a walk to test"


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_gates_closed_to_the_public_are_impassable_and_named(city: str) -> None:
    router = city_router(city)

    def closed(tags: dict) -> bool:
        if "barrier" not in tags:
            return False
        if tags.get("foot") == "no":
            return True
        opened = tags.get("foot") in ("yes", "designated", "permissive")
        return tags.get("access") in ("no", "private") and not opened

    kept = _graph_nodes(router, _raw_nodes(city, closed))
    assert kept, f"no closed gate of {city} on a walkable way"
    for profile in ("default", "blind", "wheelchair_manual"):
        blocked = router.metrics.get(profile, None).costs.node_blocked
        tags = raw_osm(city).node_tags
        for osm_id, node in kept.items():
            if profile == "wheelchair_manual" and tags[osm_id].get("wheelchair") == "yes":
                continue
            assert blocked[node] & BLOCK_REASONS["access_no"], (profile, osm_id)
    named_reasons = []
    for osm_id, node in kept.items():
        ends = _through(router, node)
        if ends is None:
            continue
        try:
            answer = router.route(*ends, "default")
        except RoutingError as error:
            named = [b for b in error.details.get("blocking", []) if b.get("osm_id") == osm_id]
            named_reasons += [b["reason"] for b in named]
            continue
        assert not _passes(answer, router, node)
    assert all(reason == "access_no" for reason in named_reasons)


def _counted_short_flight(router: Router, most_steps: int) -> int:
    a = router.graph.arrays
    counted = a["edge_is_steps"] & (a["edge_step_count"] > 0)
    flights = np.flatnonzero(counted & (a["edge_step_count"] <= most_steps) & ~a["edge_reversed"])
    assert len(flights), "no short counted flight in the extract"
    return flights


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_blind_routes_take_a_short_counted_flight_rather_than_a_detour(city: str) -> None:
    """A flight of a few counted steps costs a few seconds, not a whole flight's penalty."""
    router = city_router(city)
    a = router.graph.arrays
    took = 0
    for edge in _counted_short_flight(router, 7):
        line = router.graph.edge_coords(edge)
        origin, target = (line[0][1], line[0][0]), (line[-1][1], line[-1][0])
        answer = router.route(origin, target, "blind")
        flights = [b for b in _met(answer) if b["kind"] == "steps"]
        straight_m = float(a["edge_length_m"][edge])
        if flights and answer["routes"][0]["distance_m"] <= straight_m + 1:
            took += 1
        else:
            assert answer["routes"][0]["distance_m"] < straight_m + 30, (edge, straight_m)
    assert took >= 1


def test_an_uncounted_flight_keeps_the_whole_flight_penalty(oslo: Router) -> None:
    """Unknown step counts keep the profile's policy: the whole-flight reluctance."""
    a = oslo.graph.arrays
    metrics = oslo.metrics.get("blind", None)
    free = oslo.metrics.get("blind", {"steps_flight_s": 0, "steps_known_s_per_step": 0})
    added = metrics.costs.body_s - free.costs.body_s
    share = oslo.graph.steps_way_share
    flight_s = metrics.profile.params["steps_flight_s"]
    uncounted = a["edge_is_steps"] & (a["edge_step_count"] < 0)
    assert uncounted.any()
    assert np.allclose(added[uncounted], flight_s * share[uncounted])
    counted = a["edge_is_steps"] & (a["edge_step_count"] >= 0)
    per_step = metrics.profile.params["steps_known_s_per_step"]
    expected = np.minimum(a["edge_step_count"] * per_step, flight_s) * share
    assert np.allclose(added[counted], expected[counted])


_OPEN_FOOT = ("yes", "designated", "permissive")


def _forbidden(tags: dict, impassable: list[str]) -> str | None:
    """Why raw OSM tags close a node or way to a wheelchair, or None."""
    if tags.get("wheelchair") == "no":
        return "wheelchair=no"
    if tags.get("foot") == "no":
        return "foot=no"
    closed = tags.get("access") in ("no", "private") and tags.get("foot") not in _OPEN_FOOT
    if closed and tags.get("wheelchair") != "yes":
        return f"access={tags['access']}"
    if tags.get("barrier") in impassable:
        return f"barrier={tags['barrier']}"
    return None


@pytest.mark.parametrize(("city", "pairs"), [("oslo", 100), ("helsinki", 100), ("almaty", 60)])
def test_no_wheelchair_route_passes_a_node_or_way_closed_to_it(city: str, pairs: int) -> None:
    """Property over seeded random pairs, judged by the raw OSM tags of what the route passes."""
    router = city_router(city)
    index = raw_osm(city)
    a = router.graph.arrays
    profile = router.metrics.get("wheelchair_manual", None).profile
    impassable = list(profile.params["impassable_barriers"])
    ends = np.flatnonzero(
        (a["node_component"] == 0) & (a["node_osmid"] > 0) & ~router.graph.node_has_barrier
    )
    rng = np.random.default_rng(10)
    answered = matched = 0
    for u, v in rng.choice(ends, size=(pairs, 2)):
        try:
            answer = router.route(
                (a["node_lat"][u], a["node_lon"][u]),
                (a["node_lat"][v], a["node_lon"][v]),
                "wheelchair_manual",
            )
        except RoutingError:
            continue
        answered += 1
        facts = index.evaluate(answer["routes"][0]["geometry"]["coordinates"])
        matched += len(facts.nodes)
        for node in facts.nodes:
            why = _forbidden(index.node_tags.get(node, {}), impassable)
            assert why is None, f"{city}: route passes node {node} ({why})"
        for way in facts.ways:
            why = _forbidden(index.way_tags.get(way, {}), impassable)
            assert why is None, f"{city}: route uses way {way} ({why})"
    assert answered >= pairs // 3
    assert matched > answered  # the routes were really mapped back onto OSM nodes


@pytest.mark.parametrize("city", ["oslo", "helsinki"])
def test_wheelchair_limited_nodes_cost_what_each_profile_says(city: str) -> None:
    router = city_router(city)
    kept = _graph_nodes(router, _raw_nodes(city, lambda t: t.get("wheelchair") == "limited"))
    if not kept:
        pytest.skip(f"no wheelchair=limited node on a walkable way in {city}")
    nodes = list(kept.values())
    for profile in ("wheelchair_manual", "default"):
        plain = router.metrics.get(profile, {"wheelchair_limited_s": 0}).costs.node_s
        costs = router.metrics.get(profile, None)
        extra = costs.costs.node_s[nodes] - plain[nodes]
        wanted = costs.profile.params["wheelchair_limited_s"]
        assert np.allclose(extra[np.isfinite(extra)], wanted)
