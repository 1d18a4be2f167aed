"""Shortest paths on the compiled graph: a customizable contraction hierarchy (CCH).

The hierarchy depends only on the graph, so it is built once; each profile (and
each set of user overrides) is a *metric* customised onto it in milliseconds.
RoutingKit's CCH (BSD-2, via the `routingkit-cch` bindings) does the work; where
that package is missing, `DijkstraEngine` answers the same queries with scipy,
slower but identical in result, and the tests compare the two.

Both implement `Engine` and `Metric` (typing protocols), so the street planner,
transit access walks and taxi ETAs can ask for one path (`shortest_path`), the
costs from a few sources to many nodes (`one_to_many`, with a cost limit for
"everything within a 10 minute walk") or a source-by-target table (`matrix`)
without knowing which engine answers. `Metric.update` re-customises only the
changed edges, for barrier reports that change a few costs while the service runs;
the binding allows it only while no query object is alive on the metric, so it is
meant for a copy not yet handed to request threads.

Weights are integers: tenths of a second (``settings.COST_SCALE``). Costs of inf
become the library's infinity, so impassable edges are never used.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from scipy.sparse import csr_matrix, vstack
from scipy.sparse.csgraph import dijkstra

from jol import settings

if TYPE_CHECKING:
    import routingkit_cch

INFINITY = 2**31 - 1
# Largest finite edge weight; keeps sums of a long path far from INFINITY.
_MAX_FINITE = 10**7
_EPSILON = 1e-6
# Query objects a thread keeps; beyond this the least recently used is dropped (by its own thread).
_QUERIES_PER_THREAD = 48
# A limited one-to-many settles at most this share of the graph by local search before it
# gives up for a CCH sweep: past it the sweep (which touches every node) is the cheaper one.
_LOCAL_SHARE, _LOCAL_MIN_NODES = 1 / 32, 256
_thread_queries = threading.local()

# A source or target: (graph node, seconds already spent to reach it / still to go from it).
Seed = tuple[int, float]
NodeIds = Sequence[int] | np.ndarray


@dataclass(frozen=True)
class PathResult:
    """A node-to-node path: `edges` in order, from `source` to `target` graph nodes."""

    cost_s: float
    source: int
    target: int
    edges: list[int]


@dataclass(frozen=True)
class Reach:
    """What `one_to_many` found: `cost_s[i]` is the cost to `targets[i]` (inf = not within reach).

    Costs include the source's initial seconds. `paths[i]` (only when asked for)
    is the cheapest path to `targets[i]`, or None where the cost is inf.
    """

    targets: np.ndarray
    cost_s: np.ndarray
    paths: list[PathResult | None] | None = None


class MetricInUse(RuntimeError):
    """`Metric.update` on a metric that another thread still holds a query object on."""


class Metric(Protocol):
    """One cost vector customised onto an engine; safe to query from many threads."""

    def shortest_path(self, sources: Sequence[Seed], targets: Sequence[Seed]) -> PathResult | None:
        """Cheapest path from any (node, seconds to it) source to any (node, seconds on) target."""
        ...

    def one_to_many(
        self,
        sources: Sequence[Seed],
        targets: NodeIds | None = None,
        *,
        limit_s: float | None = None,
        with_paths: bool = False,
    ) -> Reach:
        """Costs from the cheapest seeded source to each target.

        With `targets` None every node within `limit_s` is returned (ascending node
        ids); with targets, those beyond `limit_s` cost inf.
        """
        ...

    def matrix(self, sources: NodeIds, targets: NodeIds) -> np.ndarray:
        """Seconds from each source (rows) to each target (columns); inf where unreachable."""
        ...

    def update(self, edges: NodeIds, cost_s: np.ndarray) -> None:
        """Set the cost of `edges` to `cost_s` (seconds, inf = impassable) in place."""
        ...

    def retire(self) -> None:
        """Take the metric out of service: caches holding objects built on it drop them."""
        ...


class Engine(Protocol):
    """The graph's search structure; `metric` customises it for one cost vector."""

    def metric(self, cost_s: np.ndarray) -> Metric:
        """A metric for per-edge `cost_s` (seconds, inf = impassable)."""
        ...


def to_weights(cost_s: np.ndarray) -> np.ndarray:
    """Seconds (float, inf = impassable) to CCH integer weights."""
    scaled = np.round(np.nan_to_num(cost_s, nan=np.inf, posinf=np.inf) * settings.COST_SCALE)
    weights = np.where(np.isfinite(scaled), np.clip(scaled, 0, _MAX_FINITE), INFINITY)
    return weights.astype(np.int64)


def _seeds(points: Sequence[Seed]) -> list[tuple[int, int]]:
    return [
        (int(node), round(cost * settings.COST_SCALE)) for node, cost in points if np.isfinite(cost)
    ]


def _limit_weight(limit_s: float | None) -> int:
    """The cost limit in weight units; costs above it are out of reach."""
    if limit_s is None or not np.isfinite(limit_s):
        return INFINITY - 1
    return round(max(limit_s, 0.0) * settings.COST_SCALE)


def _to_seconds(weights: np.ndarray, limit: int) -> np.ndarray:
    """Integer weights (>= INFINITY = unreachable) to seconds, inf beyond `limit`."""
    seconds = weights.astype(np.float64) / settings.COST_SCALE
    seconds[weights > limit] = np.inf
    return seconds


def _node_array(nodes: NodeIds) -> np.ndarray:
    return np.asarray(nodes, dtype=np.int64).reshape(-1)


class CchEngine:
    """One CCH per graph; `metric(cost_s)` customises it for a cost vector."""

    def __init__(
        self, node_count: int, tail: np.ndarray, head: np.ndarray, order: np.ndarray
    ) -> None:
        import routingkit_cch

        self._lib = routingkit_cch
        self._node_count, self._tail, self._head = node_count, tail, head
        self._cch = routingkit_cch.CCH(order.tolist(), tail.tolist(), head.tolist(), False)

    def metric(self, cost_s: np.ndarray) -> CchMetric:
        weights = to_weights(cost_s)
        customised = self._lib.CCHMetric(self._cch, weights.tolist())
        return CchMetric(
            self._lib,
            customised,
            self._cch,
            _Edges(self._node_count, self._tail, self._head, weights),
        )


@dataclass
class _Edges:
    """The graph and this metric's integer weights, for the local search and `update`."""

    node_count: int
    tail: np.ndarray
    head: np.ndarray
    weights: np.ndarray


class _LocalSearch:
    """Dijkstra on a metric's own weights that stops at a cost limit or a node budget.

    A CCH sweep touches every node whatever the limit; a 1 km walk settles a few
    hundred, so within a budget a plain heap search is several times faster.
    """

    def __init__(self, edges: _Edges) -> None:
        usable = np.flatnonzero(edges.weights < INFINITY)
        usable = usable[np.argsort(edges.tail[usable], kind="stable")]
        bounds = np.searchsorted(edges.tail[usable], np.arange(edges.node_count + 1))
        self._start: list[int] = bounds.tolist()
        self._head: list[int] = edges.head[usable].tolist()
        self._weight: list[int] = edges.weights[usable].tolist()
        self._edge: list[int] = usable.tolist()
        self._tail = edges.tail
        self.budget = max(_LOCAL_MIN_NODES, int(edges.node_count * _LOCAL_SHARE))

    def run(
        self, src: list[tuple[int, int]], limit: int
    ) -> tuple[dict[int, int], dict[int, int]] | None:
        """Weights and the edge each node was reached by (-1 at a seed); None past the budget."""
        start, head, weight, edge_id = self._start, self._head, self._weight, self._edge
        settled: dict[int, int] = {}
        via: dict[int, int] = {}
        heap = [(cost, node, -1) for node, cost in src if cost <= limit]
        heapq.heapify(heap)
        while heap:
            cost, node, edge = heapq.heappop(heap)
            if node in settled:
                continue
            settled[node], via[node] = cost, edge
            if len(settled) > self.budget:
                return None
            for i in range(start[node], start[node + 1]):
                reached = cost + weight[i]
                if reached <= limit and head[i] not in settled:
                    heapq.heappush(heap, (reached, head[i], edge_id[i]))
        return settled, via

    def path(self, via: dict[int, int], target: int, weight: int) -> PathResult:
        edges, node = [], target
        while (edge := via[node]) >= 0:
            edges.append(edge)
            node = int(self._tail[edge])
        return PathResult(weight / settings.COST_SCALE, node, target, edges[::-1])


class _Held:
    """A query object in a thread's cache; its metric counts it until the cache drops it."""

    def __init__(self, metric: CchMetric, make: Callable[[], Any]) -> None:
        # Counted before it exists, so `update` in another thread cannot slip in between.
        self.metric, self.query = metric, None
        metric._count_queries(+1)
        self.query = make()

    def __del__(self) -> None:
        # Free the binding object before the count says it is gone.
        self.query = None
        self.metric._count_queries(-1)


# Bumped whenever a metric is retired; each thread purges its cache when it sees a new value.
_retirements = [0]
_retirements_lock = threading.Lock()


def _thread_cache() -> OrderedDict[tuple[int, str], _Held]:
    cache = getattr(_thread_queries, "cache", None)
    if cache is None:
        cache = _thread_queries.cache = OrderedDict()
        _thread_queries.seen = _retirements[0]
    if _thread_queries.seen != _retirements[0]:
        # Only this thread may free its query objects: it drops those of retired metrics here.
        _thread_queries.seen = _retirements[0]
        for key in [k for k, held in cache.items() if held.metric.retired]:
            del cache[key]
    return cache


def _query_for(metric: CchMetric, kind: str = "path") -> Any:
    """This thread's query object of `kind` on `metric`.

    The binding's query objects may only be used and freed by the thread that made
    them, so they live in a per-thread cache rather than on the metric: a metric
    evicted by one thread must not free another thread's queries.
    """
    cache = _thread_cache()
    key = (id(metric), kind)
    entry = cache.get(key)
    if entry is not None and entry.metric is metric:
        cache.move_to_end(key)
        return entry.query
    held = _Held(metric, metric.new_query if kind == "path" else metric.new_one_to_all)
    cache[key] = held
    while len(cache) > _QUERIES_PER_THREAD:
        cache.popitem(last=False)
    return held.query


def _drop_thread_queries(metric: CchMetric) -> None:
    cache = _thread_cache()
    for key in [k for k, held in cache.items() if held.metric is metric]:
        del cache[key]


class CchMetric:
    """A customised metric; thread-safe (each thread queries through its own object)."""

    def __init__(
        self, lib: Any, metric: routingkit_cch.CCHMetric, cch: routingkit_cch.CCH, edges: _Edges
    ) -> None:
        self._lib = lib
        self._metric = metric
        self._cch = cch
        self._edges = edges
        self._node_count = edges.node_count
        self._local: _LocalSearch | None = None
        self._live_queries = 0
        self.retired = False
        # Reentrant: a cache entry's __del__ may run while this thread holds the lock.
        self._lock = threading.RLock()

    @property
    def live_queries(self) -> int:
        """Query objects alive on this metric, in every thread's cache or in a running call."""
        return self._live_queries

    def retire(self) -> None:
        """Mark this metric out of service: each thread frees its query objects on it soon."""
        self.retired = True
        with _retirements_lock:
            _retirements[0] += 1

    def _count_queries(self, delta: int) -> None:
        with self._lock:
            self._live_queries += delta

    @contextmanager
    def _transient(self) -> Iterator[None]:
        """Count a query object that lives only for one call, so `update` waits for none."""
        self._count_queries(+1)
        try:
            yield
        finally:
            self._count_queries(-1)

    def _local_search(self) -> _LocalSearch:
        with self._lock:
            if self._local is None:
                self._local = _LocalSearch(self._edges)
            return self._local

    def new_query(self) -> Any:
        return self._lib.CCHQuery(self._metric)

    def new_one_to_many(self, targets: np.ndarray) -> Any:
        """A one-to-many query pinned to `targets`."""
        return self._lib.CCHOneToMany(self._metric, targets.tolist())

    def new_one_to_all(self) -> Any:
        """A one-to-many query pinned to every node."""
        return self._lib.CCHOneToMany(self._metric, list(range(self._node_count)))

    def shortest_path(self, sources: Sequence[Seed], targets: Sequence[Seed]) -> PathResult | None:
        """Cheapest path from any (node, seconds to it) source to any (node, seconds on) target."""
        src, dst = _seeds(sources), _seeds(targets)
        if not src or not dst:
            return None
        return self._path(_query_for(self), src, dst)

    @staticmethod
    def _path(
        query: Any, src: list[tuple[int, int]], dst: list[tuple[int, int]]
    ) -> PathResult | None:
        result = query.run_multi(src, dst)
        # The binding refuses a new query while a result object is alive.
        distance, nodes, arcs = result.distance, list(result.node_path), list(result.arc_path)
        del result
        if distance is None or distance >= INFINITY or not nodes:
            return None
        return PathResult(distance / settings.COST_SCALE, nodes[0], nodes[-1], arcs)

    def one_to_many(
        self,
        sources: Sequence[Seed],
        targets: NodeIds | None = None,
        *,
        limit_s: float | None = None,
        with_paths: bool = False,
    ) -> Reach:
        """Costs to `targets` (or every node within `limit_s`) in one CCH sweep.

        The binding has no cost limit, so the sweep covers the whole graph and
        targets beyond the limit are masked afterwards; every node within a small
        limit is found by a local search instead, which settles only those.
        """
        src, limit = _seeds(sources), _limit_weight(limit_s)
        wanted = None if targets is None else _node_array(targets)
        if wanted is None and limit_s is not None and src:
            local = self._within(src, limit, with_paths)
            if local is not None:
                return local
        if not src:
            weights = np.full(self._node_count if wanted is None else len(wanted), INFINITY)
        elif wanted is None:
            weights = self._sweep(_query_for(self, "all"), src)
        else:
            with self._transient():
                weights = self._sweep(self.new_one_to_many(wanted), src)
        cost_s = _to_seconds(weights, limit)
        if wanted is None:
            wanted = np.flatnonzero(np.isfinite(cost_s))
            cost_s = cost_s[wanted]
        paths = self._paths_to(src, wanted, cost_s) if with_paths else None
        return Reach(wanted, cost_s, paths)

    def _within(self, src: list[tuple[int, int]], limit: int, with_paths: bool) -> Reach | None:
        search = self._local_search()
        found = search.run(src, limit)
        if found is None:
            return None
        settled, via = found
        nodes = np.array(sorted(settled), dtype=np.int64)
        weights = np.array([settled[node] for node in nodes.tolist()], dtype=np.int64)
        paths: list[PathResult | None] | None = None
        if with_paths:
            paths = [search.path(via, node, settled[node]) for node in nodes.tolist()]
        return Reach(nodes, weights / settings.COST_SCALE, paths)

    @staticmethod
    def _sweep(one_to_many: Any, src: list[tuple[int, int]]) -> np.ndarray:
        # None (unreachable) becomes nan on the way in: cheaper than a Python loop over every node.
        found = np.array(one_to_many.distances_from_multi(src), dtype=np.float64)
        return np.nan_to_num(found, nan=INFINITY).astype(np.int64)

    def _paths_to(
        self, src: list[tuple[int, int]], targets: np.ndarray, cost_s: np.ndarray
    ) -> list[PathResult | None]:
        query = _query_for(self)
        return [
            self._path(query, src, [(int(t), 0)]) if np.isfinite(c) else None
            for t, c in zip(targets, cost_s, strict=True)
        ]

    def matrix(self, sources: NodeIds, targets: NodeIds) -> np.ndarray:
        """Seconds from each source to each target: targets pinned once, one sweep per source."""
        rows, columns = _node_array(sources), _node_array(targets)
        weights = np.full((len(rows), len(columns)), INFINITY, dtype=np.int64)
        if len(rows) and len(columns):
            with self._transient():
                one_to_many = self.new_one_to_many(columns)
                for i, source in enumerate(rows.tolist()):
                    weights[i] = self._sweep(one_to_many, [(source, 0)])
                del one_to_many
        return _to_seconds(weights, INFINITY - 1)

    def update(self, edges: NodeIds, cost_s: np.ndarray) -> None:
        """Re-customise only the changed edges (RoutingKit's partial updater), in place.

        The binding refuses while any query object is alive on this metric, so this
        thread's cached ones are dropped first; if another thread still holds one,
        `MetricInUse` is raised and nothing changes (swap in a new metric instead).
        """
        changed_edges, weights = _node_array(edges), to_weights(np.asarray(cost_s))
        changed = dict(zip(changed_edges.tolist(), weights.tolist(), strict=True))
        _drop_thread_queries(self)
        with self._lock:
            if self._live_queries:
                raise MetricInUse(
                    f"{self._live_queries} query object(s) of other threads still use this metric"
                )
            self._lib.CCHMetricPartialUpdater(self._cch).apply(self._metric, changed)
            # Copy-on-write, so a local search running now keeps the weights it started with.
            updated = self._edges.weights.copy()
            updated[changed_edges] = weights
            self._edges = _Edges(self._node_count, self._edges.tail, self._edges.head, updated)
            self._local = None


class DijkstraEngine:
    """Plain Dijkstra (scipy) with the same interface as `CchEngine`."""

    def __init__(
        self, node_count: int, tail: np.ndarray, head: np.ndarray, order: np.ndarray | None = None
    ):
        self._n, self._tail, self._head = node_count, tail, head

    def metric(self, cost_s: np.ndarray) -> DijkstraMetric:
        return DijkstraMetric(self._n, self._tail, self._head, to_weights(cost_s))


class _Finite:
    """The usable edges of one weight vector; `update` replaces it whole, so a query sees one."""

    def __init__(self, n: int, tail: np.ndarray, head: np.ndarray, weights: np.ndarray) -> None:
        finite = weights < INFINITY
        self.n, self.all_weights = n, weights
        self.tail, self.head, self.weights = tail[finite], head[finite], weights[finite]
        self.edge_ids = np.flatnonzero(finite)
        self._csr: _Csr | None = None

    def csr(self) -> _Csr:
        if self._csr is None:
            self._csr = _Csr.build(self.tail, self.head, self.weights, self.edge_ids, self.n)
        return self._csr

    def edge_between(self, a: int, b: int) -> int:
        candidates = np.flatnonzero((self.tail == a) & (self.head == b))
        best = candidates[np.argmin(self.weights[candidates])]
        return int(self.edge_ids[best])


class DijkstraMetric:
    """Dijkstra over a CSR matrix with a virtual source and target node for multi-point seeds."""

    def __init__(self, n: int, tail: np.ndarray, head: np.ndarray, weights: np.ndarray) -> None:
        self._n, self._all_tail, self._all_head = n, np.asarray(tail), np.asarray(head)
        self._edges = _Finite(n, self._all_tail, self._all_head, np.asarray(weights, np.int64))
        self._lock = threading.Lock()
        self.retired = False

    def retire(self) -> None:
        """Mark this metric out of service (it holds no per-thread objects to free)."""
        self.retired = True

    def shortest_path(self, sources: Sequence[Seed], targets: Sequence[Seed]) -> PathResult | None:
        src, dst = _seeds(sources), _seeds(targets)
        if not src or not dst:
            return None
        g, n = self._edges, self._n
        super_source, super_target = n, n + 1
        tails = np.concatenate([g.tail, [super_source] * len(src), [t for t, _ in dst]])
        heads = np.concatenate([g.head, [s for s, _ in src], [super_target] * len(dst)])
        # A tiny epsilon keeps zero weights as explicit sparse entries without moving the optimum.
        seeds = [w for _, w in src] + [w for _, w in dst]
        weights = np.concatenate([g.weights.astype(np.float64), seeds]) + _EPSILON
        # csr_matrix would sum parallel edges; the router needs the cheaper one.
        matrix = _min_duplicates(tails, heads, weights, n + 2)
        dist, pred = dijkstra(matrix, indices=super_source, return_predecessors=True)
        if not np.isfinite(dist[super_target]):
            return None
        nodes = [super_target]
        while nodes[-1] != super_source:
            nodes.append(int(pred[nodes[-1]]))
        nodes = nodes[::-1][1:-1]
        edges = [g.edge_between(a, b) for a, b in itertools.pairwise(nodes)]
        cost = round(float(dist[super_target] - _EPSILON * (len(edges) + 2)))
        return PathResult(cost / settings.COST_SCALE, nodes[0], nodes[-1], edges)

    def one_to_many(
        self,
        sources: Sequence[Seed],
        targets: NodeIds | None = None,
        *,
        limit_s: float | None = None,
        with_paths: bool = False,
    ) -> Reach:
        """scipy's Dijkstra from a virtual source tied to each seed, stopped at `limit_s`."""
        src, limit = _seeds(sources), _limit_weight(limit_s)
        graph = self._edges.csr()
        wanted = None if targets is None else _node_array(targets)
        if src:
            dist, pred = graph.from_seeds(src, limit)
        else:
            dist, pred = np.full(self._n, np.inf), np.full(self._n, -9999)
        cost_s = _to_seconds(_whole(dist), limit)
        if wanted is None:
            wanted = np.flatnonzero(np.isfinite(cost_s))
        cost_s = cost_s[wanted]
        paths = None
        if with_paths:
            paths = [
                graph.path(pred, int(t), c) if np.isfinite(c) else None
                for t, c in zip(wanted, cost_s, strict=True)
            ]
        return Reach(wanted, cost_s, paths)

    def matrix(self, sources: NodeIds, targets: NodeIds) -> np.ndarray:
        """One multi-source scipy run; rows are sources, columns targets."""
        rows, columns = _node_array(sources), _node_array(targets)
        if not len(rows) or not len(columns):
            return np.full((len(rows), len(columns)), np.inf)
        dist = dijkstra(self._edges.csr().matrix, indices=rows)
        return _to_seconds(_whole(dist[:, columns]), INFINITY - 1)

    def update(self, edges: NodeIds, cost_s: np.ndarray) -> None:
        """Change edge costs: a new set of usable edges replaces the old in one assignment."""
        with self._lock:
            weights = self._edges.all_weights.copy()
            weights[_node_array(edges)] = to_weights(np.asarray(cost_s))
            self._edges = _Finite(self._n, self._all_tail, self._all_head, weights)


def _whole(dist: np.ndarray) -> np.ndarray:
    """Dijkstra distances (integer weights plus a tiny epsilon per edge) back to integers."""
    return np.where(np.isfinite(dist), np.floor(np.nan_to_num(dist, posinf=0)), INFINITY).astype(
        np.int64
    )


@dataclass(frozen=True)
class _Csr:
    """The graph as a scipy matrix (cheapest of parallel edges) and the edge id of each entry."""

    matrix: csr_matrix
    edge_of_entry: np.ndarray

    @classmethod
    def build(
        cls, tail: np.ndarray, head: np.ndarray, weights: np.ndarray, edge_ids: np.ndarray, n: int
    ) -> _Csr:
        # One row extra for a virtual source; the epsilon keeps zero weights as explicit entries.
        values = weights.astype(np.float64) + _EPSILON
        order = np.lexsort((values, head, tail))
        tail, head, values, ids = tail[order], head[order], values[order], edge_ids[order]
        first = np.ones(len(tail), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        matrix = csr_matrix((values[first], (tail[first], head[first])), shape=(n, n))
        return cls(matrix, ids[first])

    def from_seeds(self, src: list[tuple[int, int]], limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from a virtual node with an arc of each seed's weight."""
        n = self.matrix.shape[0]
        best: dict[int, int] = {}
        for node, weight in src:
            best[node] = min(weight, best.get(node, weight))
        nodes = np.fromiter(best, dtype=np.int64)
        seed_row = csr_matrix(
            (
                np.fromiter(best.values(), dtype=np.float64) + _EPSILON,
                (np.zeros_like(nodes), nodes),
            ),
            shape=(1, n + 1),
        )
        square = csr_matrix((self.matrix.data, self.matrix.indices, self.matrix.indptr), (n, n + 1))
        graph = vstack([square, seed_row], format="csr")
        # The limit allows for the epsilons of a path of up to a million edges.
        dist, pred = dijkstra(graph, indices=n, return_predecessors=True, limit=limit + 1.0)
        return dist[:n], pred[:n]

    def path(self, pred: np.ndarray, target: int, cost_s: float) -> PathResult:
        """The path to `target` along `pred`; its first node is the seed it came from."""
        n = self.matrix.shape[0]
        nodes = [target]
        while pred[nodes[-1]] != n:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        edges = [self._edge(a, b) for a, b in itertools.pairwise(nodes)]
        return PathResult(float(cost_s), nodes[0], target, edges)

    def _edge(self, a: int, b: int) -> int:
        start, end = self.matrix.indptr[a], self.matrix.indptr[a + 1]
        return int(self.edge_of_entry[start + np.searchsorted(self.matrix.indices[start:end], b)])


def _min_duplicates(
    tails: np.ndarray, heads: np.ndarray, weights: np.ndarray, size: int
) -> csr_matrix:
    order = np.lexsort((weights, heads, tails))
    tails, heads, weights = tails[order], heads[order], weights[order]
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    return csr_matrix((weights[first], (tails[first], heads[first])), shape=(size, size))


def make_engine(node_count: int, tail: np.ndarray, head: np.ndarray, order: np.ndarray) -> Engine:
    """The CCH engine, or scipy's Dijkstra where the CCH package is not installed."""
    try:
        return CchEngine(node_count, tail, head, order)
    except ImportError:
        return DijkstraEngine(node_count, tail, head, order)
