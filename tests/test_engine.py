"""The engine interface: the CCH and scipy's Dijkstra give the same one-to-many and matrix answers.

Checked on the in-memory graph of `small_graph` (where the right answer follows
from the drawing) and on Almaty's and Oslo's compiled graphs with real profile costs.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from small_graph import BLOCK_M, SmallGraph, small_graph

from jol import settings
from routing.costs import compute_costs
from routing.engine import CchEngine, DijkstraEngine, Engine, Metric, MetricInUse, Reach
from routing.profiles import load_profiles
from routing.service import Router

WALK_MPS, WHEEL_MPS = 1.3, 0.9


def _seconds(length_m: float, speed_mps: float) -> float:
    """Seconds as the engine keeps them: whole tenths per edge."""
    return round(length_m / speed_mps * settings.COST_SCALE) / settings.COST_SCALE


@pytest.fixture(scope="module")
def small() -> SmallGraph:
    return small_graph()


def _engines(g: SmallGraph) -> list[Engine]:
    order = g.cch_order()
    return [
        CchEngine(g.node_count, g.edge_u, g.edge_v, order),
        DijkstraEngine(g.node_count, g.edge_u, g.edge_v, order),
    ]


@pytest.fixture(scope="module", params=["cch", "dijkstra"])
def engine(request: pytest.FixtureRequest, small: SmallGraph) -> Engine:
    return _engines(small)[["cch", "dijkstra"].index(request.param)]


def _path_cost_s(path_edges: list[int], cost_s: np.ndarray) -> float:
    tenths = np.round(cost_s[path_edges] * settings.COST_SCALE).sum()
    return float(tenths) / settings.COST_SCALE


# --- the small graph: answers that follow from its drawing ------------------------


def test_both_engines_give_the_same_matrix_on_the_small_graph(small: SmallGraph) -> None:
    nodes = np.arange(small.node_count)
    for cost in (small.walk_cost_s(WALK_MPS), small.wheelchair_cost_s(WHEEL_MPS)):
        cch, plain = (e.metric(cost).matrix(nodes, nodes) for e in _engines(small))
        np.testing.assert_array_equal(cch, plain)
        assert np.isfinite(cch).sum() > small.node_count


def test_the_island_is_unreachable_and_reaches_only_itself(
    engine: Engine, small: SmallGraph
) -> None:
    island, grid = small.node["island"], np.arange(small.node_count - 3)
    costs = engine.metric(small.walk_cost_s()).matrix([island, *grid], [island, *grid])
    assert costs[0, 0] == 0
    assert np.isinf(costs[0, 1:]).all()
    assert np.isinf(costs[1:, 0]).all()
    assert np.isfinite(costs[1:, 1:]).all()
    reach = engine.metric(small.walk_cost_s()).one_to_many([(island, 0.0)])
    assert sorted(reach.targets.tolist()) == list(range(small.node_count - 3, small.node_count))


def test_a_one_way_is_walked_only_forwards(engine: Engine, small: SmallGraph) -> None:
    a, b = small.node["one_way_from"], small.node["one_way_to"]
    costs = engine.metric(small.walk_cost_s(WALK_MPS)).matrix([a, b], [a, b])
    assert costs[0, 1] == pytest.approx(_seconds(BLOCK_M, WALK_MPS))
    # Back round the block: three blocks.
    assert costs[1, 0] == pytest.approx(3 * _seconds(BLOCK_M, WALK_MPS))


def test_a_wheelchair_goes_round_steps_kerbs_and_climbs(engine: Engine, small: SmallGraph) -> None:
    walk_cost, wheel_cost = small.walk_cost_s(WALK_MPS), small.wheelchair_cost_s(WHEEL_MPS)
    walk, wheel = engine.metric(walk_cost), engine.metric(wheel_cost)
    block = _seconds(BLOCK_M, WHEEL_MPS)
    for low, high in (("steps_bottom", "steps_top"), ("kerb_low", "kerb_high")):
        a, b = small.node[low], small.node[high]
        reach = wheel.one_to_many([(a, 0.0)], [b], with_paths=True)
        assert reach.cost_s[0] == pytest.approx(3 * block)
        assert reach.paths is not None and reach.paths[0] is not None
        assert small.edge["steps"] not in reach.paths[0].edges
        assert small.edge["kerb"] not in reach.paths[0].edges
    # Steps cost a walker double, still cheaper than three blocks round them.
    walked = walk.one_to_many([(small.node["steps_bottom"], 0.0)], [small.node["steps_top"]])
    assert walked.cost_s[0] == pytest.approx(2 * _seconds(BLOCK_M, WALK_MPS))
    foot, top = small.node["steep_foot"], small.node["steep_top"]
    steep = wheel.matrix([foot, top], [foot, top])
    assert steep[0, 1] == pytest.approx(3 * block)  # not up the 12 % climb
    assert steep[1, 0] == pytest.approx(block)  # but down it


def test_a_cost_limit_keeps_exactly_the_nodes_within_it(engine: Engine, small: SmallGraph) -> None:
    metric = engine.metric(small.walk_cost_s(WALK_MPS))
    corner = small.node["corner"]
    everything = metric.one_to_many([(corner, 0.0)])
    two_blocks_s = 2 * BLOCK_M / WALK_MPS
    near = metric.one_to_many([(corner, 0.0)], limit_s=two_blocks_s)
    expected = everything.targets[everything.cost_s <= _seconds(2 * BLOCK_M, WALK_MPS)]
    np.testing.assert_array_equal(near.targets, expected)
    assert len(near.targets) == 6  # the corner, two one block away, three two blocks away
    assert (near.cost_s <= two_blocks_s).all()
    all_nodes = np.arange(small.node_count)
    masked = metric.one_to_many([(corner, 0.0)], all_nodes, limit_s=two_blocks_s)
    assert set(all_nodes[np.isfinite(masked.cost_s)].tolist()) == set(expected.tolist())


def test_seeds_with_initial_costs_take_the_cheaper_start(engine: Engine, small: SmallGraph) -> None:
    metric = engine.metric(small.walk_cost_s())
    a, b = small.node["corner"], small.node["far_corner"]
    nodes = np.arange(small.node_count)
    table = metric.matrix([a, b], nodes)
    reach = metric.one_to_many([(a, 0.0), (b, 50.0)], nodes, with_paths=True)
    np.testing.assert_allclose(reach.cost_s, np.minimum(table[0], table[1] + 50.0))
    assert reach.paths is not None
    for target, cost, path in zip(nodes, reach.cost_s, reach.paths, strict=True):
        if path is None:
            assert np.isinf(cost)
            continue
        assert path.target == target and path.source in (a, b)
        start = 0.0 if path.source == a else 50.0
        assert start + _path_cost_s(path.edges, small.walk_cost_s()) == pytest.approx(cost)


def test_no_usable_source_reaches_nothing(engine: Engine, small: SmallGraph) -> None:
    metric = engine.metric(small.walk_cost_s())
    assert len(metric.one_to_many([]).targets) == 0
    assert np.isinf(metric.one_to_many([(0, np.inf)], [1, 2]).cost_s).all()
    assert metric.matrix([], [1, 2]).shape == (0, 2)


def test_update_changes_only_the_given_edges(engine: Engine, small: SmallGraph) -> None:
    walk = small.walk_cost_s()
    metric: Metric = engine.metric(walk)
    nodes = np.arange(small.node_count)
    before = metric.matrix(nodes, nodes)
    steps = small.edges_between(small.node["steps_bottom"], small.node["steps_top"])
    steps += small.edges_between(small.node["steps_top"], small.node["steps_bottom"])
    metric.update(steps, np.full(len(steps), np.inf))
    blocked = walk.copy()
    blocked[steps] = np.inf
    after = metric.matrix(nodes, nodes)
    np.testing.assert_array_equal(after, engine.metric(blocked).matrix(nodes, nodes))
    assert (after >= before).all() and (after > before).any()
    metric.update(steps, walk[steps])
    np.testing.assert_array_equal(metric.matrix(nodes, nodes), before)


def test_update_refuses_while_another_thread_holds_a_query(small: SmallGraph) -> None:
    """The binding cannot re-customise under a live query; the engine says so, not the binding."""
    metric = CchEngine(small.node_count, small.edge_u, small.edge_v, small.cch_order()).metric(
        small.walk_cost_s()
    )
    queried, release = threading.Event(), threading.Event()

    def hold() -> None:
        metric.shortest_path([(0, 0.0)], [(5, 0.0)])
        queried.set()
        release.wait(timeout=30)

    worker = threading.Thread(target=hold)
    worker.start()
    queried.wait(timeout=30)
    edge = small.edge["steps"]
    try:
        with pytest.raises(MetricInUse):
            metric.update([edge], np.array([np.inf]))
    finally:
        release.set()
        worker.join()
    metric.update([edge], np.array([np.inf]))  # the worker's queries left with it
    steps = metric.one_to_many([(small.node["steps_bottom"], 0.0)], [small.node["steps_top"]])
    assert steps.cost_s[0] == pytest.approx(3 * _seconds(BLOCK_M, WALK_MPS))  # round them


# --- real cities ------------------------------------------------------------------


def _real_metrics(router: Router, profile: str) -> tuple[Metric, Metric, np.ndarray]:
    g = router.graph
    cost = compute_costs(g, load_profiles()[profile]).edge_s
    tail, head, order = (g.arrays[name] for name in ("edge_u", "edge_v", "cch_order"))
    cch = CchEngine(g.node_count, tail, head, order).metric(cost)
    plain = DijkstraEngine(g.node_count, tail, head, order).metric(cost)
    return cch, plain, cost


def _check_paths(reach: Reach, seeds: dict[int, float], cost_s: np.ndarray) -> None:
    """Each path starts at a seed, ends at its target and costs what `reach` says."""
    assert reach.paths is not None
    for target, total, path in zip(reach.targets, reach.cost_s, reach.paths, strict=True):
        if path is None:
            assert np.isinf(total)
            continue
        assert path.target == target
        walked = seeds[path.source] + _path_cost_s(path.edges, cost_s)
        assert walked == pytest.approx(total, abs=0.1)


@pytest.mark.parametrize("city", ["almaty", "oslo"])
@pytest.mark.parametrize("profile", ["default", "wheelchair_manual"])
def test_one_to_many_agrees_on_real_graphs(
    request: pytest.FixtureRequest, city: str, profile: str
) -> None:
    router: Router = request.getfixturevalue(city)
    cch, plain, cost = _real_metrics(router, profile)
    rng = np.random.default_rng(12)
    n = router.graph.node_count
    for _ in range(4):
        seeds = [
            (int(u), float(s)) for u, s in zip(rng.choice(n, 2), rng.uniform(0, 60, 2), strict=True)
        ]
        # A ten-minute walk, and an hour that reaches most of the city.
        for limit_s in (600.0, 3600.0):
            short = limit_s < 1000
            fast = cch.one_to_many(seeds, limit_s=limit_s, with_paths=short)
            slow = plain.one_to_many(seeds, limit_s=limit_s)
            np.testing.assert_array_equal(fast.targets, slow.targets)
            np.testing.assert_array_equal(fast.cost_s, slow.cost_s)
            assert (fast.cost_s <= limit_s).all()
            if short:
                _check_paths(fast, dict(seeds), cost)
        targets = rng.choice(n, 200)
        fast = cch.one_to_many(seeds, targets, with_paths=True)
        slow = plain.one_to_many(seeds, targets, with_paths=True)
        np.testing.assert_array_equal(fast.cost_s, slow.cost_s)
        _check_paths(fast, dict(seeds), cost)


@pytest.mark.parametrize("city", ["almaty", "oslo"])
def test_matrix_agrees_on_real_graphs(request: pytest.FixtureRequest, city: str) -> None:
    router: Router = request.getfixturevalue(city)
    cch, plain, _ = _real_metrics(router, "wheelchair_manual")
    rng = np.random.default_rng(21)
    sources, targets = rng.choice(router.graph.node_count, (2, 40))
    fast, slow = cch.matrix(sources, targets), plain.matrix(sources, targets)
    assert fast.shape == (40, 40)
    np.testing.assert_array_equal(fast, slow)
    assert np.isfinite(fast).mean() > 0.5
