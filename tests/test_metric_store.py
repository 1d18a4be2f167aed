"""The metric store: keyed by profile, overrides, conditions and data version; a bump
drops every cache built on a metric; concurrent requests never see half a change.

Runs on the small in-memory graph (tests/small_graph.py) with the real CCH engine
and the bundled profiles; the costs are plain walking times scaled by a "data"
factor the test changes before each bump, standing in for a barrier report.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from small_graph import SmallGraph, small_graph

from routing.costs import Costs
from routing.engine import make_engine
from routing.errors import RoutingError
from routing.metrics import Conditions, MetricStore
from routing.profiles import Profile, load_profiles


class _Data:
    """What a barrier report would change: here one factor on every edge's time."""

    def __init__(self, graph: SmallGraph) -> None:
        self.graph = graph
        self.factor = 1.0

    def costs(self, _graph: object, profile: Profile) -> Costs:
        time_s = self.graph.walk_cost_s(profile.params["speed_mps"]) * self.factor
        edge_s = time_s * profile.params["unlit_factor"]
        blocked = np.zeros(self.graph.edge_count, dtype=np.int32)
        node_s = np.zeros(self.graph.node_count)
        node_blocked = np.zeros(self.graph.node_count, dtype=np.int32)
        return Costs(edge_s, node_s, time_s, blocked, node_blocked, edge_s)


@pytest.fixture()
def world() -> tuple[SmallGraph, _Data, MetricStore]:
    graph = small_graph()
    data = _Data(graph)
    engine = make_engine(graph.node_count, graph.edge_u, graph.edge_v, graph.cch_order())
    store = MetricStore(graph, load_profiles(), engine, cache_size=4, costs=data.costs)  # type: ignore[arg-type]
    return graph, data, store


def _cost_s(store: MetricStore, graph: SmallGraph, name: str = "default") -> float:
    entry = store.get(name)
    found = entry.metric.shortest_path(
        [(graph.node["corner"], 0.0)], [(graph.node["far_corner"], 0.0)]
    )
    assert found is not None
    return found.cost_s


def test_the_key_holds_profile_overrides_conditions_and_version(world) -> None:
    _graph, _, store = world
    base = store.get("low_vision")
    assert store.get("low_vision") is base and store.get("low_vision", {}) is base
    slow = store.get("low_vision", {"speed_mps": 0.5})
    assert slow is not base and store.get("low_vision", {"speed_mps": 0.5}) is slow
    day = store.get("low_vision", None, Conditions(daylight=True))
    assert day is not base and day.profile.params["unlit_factor"] == 1
    assert store.get("low_vision", None, Conditions(daylight=False)) is base
    # Daylight changes nothing for a profile that ignores lighting: the same entry.
    assert store.get("default", None, Conditions(daylight=True)) is store.get("default")
    assert {e.version for e in (base, slow, day)} == {0}
    with pytest.raises(RoutingError) as refused:
        store.get("skateboard")
    assert refused.value.code == "unknown_profile"


def test_the_override_cache_is_bounded_and_retires_what_it_drops(world) -> None:
    _, _, store = world
    first = store.get("default", {"speed_mps": 0.5})
    for speed in (0.6, 0.7, 0.8, 0.9):
        store.get("default", {"speed_mps": speed})
    assert store.cached() == 4
    assert first.metric.retired
    assert store.get("default", {"speed_mps": 0.5}) is not first


def test_bump_drops_every_metric_and_cache_built_on_one(world) -> None:
    graph, data, store = world
    base, custom = store.get("default"), store.get("default", {"speed_mps": 0.5})
    _relaxed_costs, relaxed_metric = base.relaxed()
    before_s = _cost_s(store, graph)
    data.factor = 2.0
    assert store.bump() == 1 and store.version == 1
    assert store.cached() == 0
    assert base.metric.retired and custom.metric.retired and relaxed_metric.retired
    fresh = store.get("default")
    assert fresh is not base and fresh.version == 1
    assert fresh.relaxed()[1] is not relaxed_metric
    assert _cost_s(store, graph) == pytest.approx(2 * before_s, rel=1e-3)


def test_a_threads_query_objects_are_freed_when_their_metric_retires(world) -> None:
    graph, _, store = world
    old = store.get("default").metric
    held_before, held_after = [], []

    def request() -> None:
        _cost_s(store, graph)  # this thread now keeps a query object on `old`
        held_before.append(old.live_queries)
        store.bump()
        _cost_s(store, graph)  # its next query frees the retired metric's object
        held_after.append(old.live_queries)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert held_before == [1] and held_after == [0]


def test_requests_during_bumps_see_whole_versions(world) -> None:
    """Many threads route while the data changes: each answer matches one version's costs."""
    graph, data, store = world
    base_s = _cost_s(store, graph)
    errors: list[BaseException] = []
    seen: list[tuple[float, float]] = []
    stop = threading.Event()

    def request() -> None:
        try:
            while not stop.is_set():
                entry = store.get("default", {"speed_mps": 1.3})
                found = entry.metric.shortest_path(
                    [(graph.node["corner"], 0.0)], [(graph.node["far_corner"], 0.0)]
                )
                assert found is not None
                # The metric and the costs handed out together belong to one version.
                factor = float(entry.costs.time_s[0] / graph.walk_cost_s(1.3)[0])
                seen.append((factor, found.cost_s))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for factor in (2.0, 3.0, 4.0, 5.0, 6.0):
        data.factor = factor
        store.bump()
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert seen
    for factor, cost_s in seen:
        assert round(factor) in (1, 2, 3, 4, 5, 6)
        assert cost_s == pytest.approx(factor * base_s, rel=1e-3)


def test_bumps_from_many_threads_each_count(world) -> None:
    _, _, store = world
    threads = [threading.Thread(target=store.bump) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.version == 6
    assert store.get("default").version == 6
