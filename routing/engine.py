"""Shortest paths on the compiled graph: a customizable contraction hierarchy (CCH).

The hierarchy depends only on the graph, so it is built once; each profile (and
each set of user overrides) is a *metric* customised onto it in milliseconds.
RoutingKit's CCH (BSD-2, via the `routingkit-cch` bindings) does the work; where
that package is missing, `DijkstraEngine` answers the same queries with scipy,
slower but identical in result, and the tests compare the two.

Weights are integers: tenths of a second (``settings.COST_SCALE``). Costs of inf
become the library's infinity, so impassable edges are never used.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from jol import settings

INFINITY = 2**31 - 1
# Largest finite edge weight; keeps sums of a long path far from INFINITY.
_MAX_FINITE = 10**7
_EPSILON = 1e-6
# Query objects a thread keeps; beyond this the least recently used is dropped (by its own thread).
_QUERIES_PER_THREAD = 48
_thread_queries = threading.local()


@dataclass(frozen=True)
class PathResult:
    """A node-to-node path: `edges` in order, from `source` to `target` graph nodes."""

    cost_s: float
    source: int
    target: int
    edges: list[int]


def to_weights(cost_s: np.ndarray) -> np.ndarray:
    """Seconds (float, inf = impassable) to CCH integer weights."""
    scaled = np.round(np.nan_to_num(cost_s, nan=np.inf, posinf=np.inf) * settings.COST_SCALE)
    weights = np.where(np.isfinite(scaled), np.clip(scaled, 0, _MAX_FINITE), INFINITY)
    return weights.astype(np.int64)


def _seeds(points: list[tuple[int, float]]) -> list[tuple[int, int]]:
    return [(node, round(cost * settings.COST_SCALE)) for node, cost in points if np.isfinite(cost)]


class CchEngine:
    """One CCH per graph; `metric(cost_s)` customises it for a cost vector."""

    def __init__(
        self, node_count: int, tail: np.ndarray, head: np.ndarray, order: np.ndarray
    ) -> None:
        import routingkit_cch

        self._lib = routingkit_cch
        self._cch = routingkit_cch.CCH(order.tolist(), tail.tolist(), head.tolist(), False)

    def metric(self, cost_s: np.ndarray) -> CchMetric:
        return CchMetric(self._lib, self._lib.CCHMetric(self._cch, to_weights(cost_s).tolist()))


def _query_for(metric: CchMetric):
    """This thread's query object on `metric`.

    The binding's query objects may only be used and freed by the thread that made
    them, so they live in a per-thread cache rather than on the metric: a metric
    evicted by one thread must not free another thread's queries.
    """
    cache = getattr(_thread_queries, "cache", None)
    if cache is None:
        cache = _thread_queries.cache = OrderedDict()
    key = id(metric)
    entry = cache.get(key)
    if entry is not None and entry[0] is metric:
        cache.move_to_end(key)
        return entry[1]
    query = metric.new_query()
    cache[key] = (metric, query)
    while len(cache) > _QUERIES_PER_THREAD:
        cache.popitem(last=False)
    return query


class CchMetric:
    """A customised metric; thread-safe (each thread queries through its own object)."""

    def __init__(self, lib, metric) -> None:
        self._lib = lib
        self._metric = metric

    def new_query(self):
        return self._lib.CCHQuery(self._metric)

    def shortest_path(
        self, sources: list[tuple[int, float]], targets: list[tuple[int, float]]
    ) -> PathResult | None:
        """Cheapest path from any (node, seconds to it) source to any (node, seconds on) target."""
        src, dst = _seeds(sources), _seeds(targets)
        if not src or not dst:
            return None
        query = _query_for(self)
        result = query.run_multi(src, dst)
        # The binding refuses a new query while a result object is alive.
        distance, nodes, arcs = result.distance, list(result.node_path), list(result.arc_path)
        del result
        if distance is None or distance >= INFINITY or not nodes:
            return None
        return PathResult(distance / settings.COST_SCALE, nodes[0], nodes[-1], arcs)


class DijkstraEngine:
    """Plain Dijkstra (scipy) with the same interface as `CchEngine`."""

    def __init__(
        self, node_count: int, tail: np.ndarray, head: np.ndarray, order: np.ndarray | None = None
    ):
        self._n, self._tail, self._head = node_count, tail, head

    def metric(self, cost_s: np.ndarray) -> DijkstraMetric:
        return DijkstraMetric(self._n, self._tail, self._head, to_weights(cost_s))


class DijkstraMetric:
    """Dijkstra over a CSR matrix with a virtual source and target node for multi-point seeds."""

    def __init__(self, n: int, tail: np.ndarray, head: np.ndarray, weights: np.ndarray) -> None:
        finite = weights < INFINITY
        self._n = n
        self._tail, self._head, self._weights = tail[finite], head[finite], weights[finite]
        self._edge_ids = np.flatnonzero(finite)

    def shortest_path(
        self, sources: list[tuple[int, float]], targets: list[tuple[int, float]]
    ) -> PathResult | None:
        src, dst = _seeds(sources), _seeds(targets)
        if not src or not dst:
            return None
        n = self._n
        super_source, super_target = n, n + 1
        tails = np.concatenate([self._tail, [super_source] * len(src), [t for t, _ in dst]])
        heads = np.concatenate([self._head, [s for s, _ in src], [super_target] * len(dst)])
        # A tiny epsilon keeps zero weights as explicit sparse entries without moving the optimum.
        seeds = [w for _, w in src] + [w for _, w in dst]
        weights = np.concatenate([self._weights.astype(np.float64), seeds]) + _EPSILON
        # csr_matrix would sum parallel edges; the router needs the cheaper one.
        matrix = _min_duplicates(tails, heads, weights, n + 2)
        dist, pred = dijkstra(matrix, indices=super_source, return_predecessors=True)
        if not np.isfinite(dist[super_target]):
            return None
        nodes = [super_target]
        while nodes[-1] != super_source:
            nodes.append(int(pred[nodes[-1]]))
        nodes = nodes[::-1][1:-1]
        edges = [self._edge_between(a, b) for a, b in itertools.pairwise(nodes)]
        cost = round(float(dist[super_target] - _EPSILON * (len(edges) + 2)))
        return PathResult(cost / settings.COST_SCALE, nodes[0], nodes[-1], edges)

    def _edge_between(self, a: int, b: int) -> int:
        candidates = np.flatnonzero((self._tail == a) & (self._head == b))
        best = candidates[np.argmin(self._weights[candidates])]
        return int(self._edge_ids[best])


def _min_duplicates(
    tails: np.ndarray, heads: np.ndarray, weights: np.ndarray, size: int
) -> csr_matrix:
    order = np.lexsort((weights, heads, tails))
    tails, heads, weights = tails[order], heads[order], weights[order]
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    return csr_matrix((weights[first], (tails[first], heads[first])), shape=(size, size))


def make_engine(node_count: int, tail: np.ndarray, head: np.ndarray, order: np.ndarray):
    """The CCH engine, or scipy's Dijkstra where the CCH package is not installed."""
    try:
        return CchEngine(node_count, tail, head, order)
    except ImportError:
        return DijkstraEngine(node_count, tail, head, order)
