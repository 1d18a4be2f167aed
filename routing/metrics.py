"""Every metric the router queries, keyed by (profile, overrides, conditions, data version).

A metric is a profile's costs customised onto the engine. The base metric of
each profile is made at load; one for a user's overrides or for daylight is
made on first use and kept in a small LRU. Conditions (daylight) are a key of
their own, not a made-up override, so answers never show them as the user's.

The data version is a number `bump()` raises when the graph's data changes (a
barrier report, later). The store's whole state (version, base metrics, LRU) is
one immutable-at-the-top object swapped in one assignment, so a request holds
either the old state or the new one, never half of each; every cache built on
a metric (the relaxed metric that explains failures, each thread's CCH query
objects) lives on the entry or is freed through `Metric.retire` and so drops
with it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from routing.costs import Costs, compute_costs
from routing.engine import Engine, Metric
from routing.errors import RoutingError
from routing.graph import StreetGraph
from routing.profiles import Profile

OVERRIDE_CACHE_SIZE = 32
# The least-bad path that explains a failure pays, on each impassable edge, a fixed
# penalty and ten times its travel time: it prefers few and short blocked stretches, but
# not at any price (a per-edge penalty alone drew a 34 km candidate for a 5 km trip).
_RELAXED_BLOCK_S = 600.0
_RELAXED_BLOCK_FACTOR = 10.0


@dataclass(frozen=True)
class Conditions:
    """What the world is like for a walk, beyond the person: for now, daylight at the start.

    `daylight` None means no time was given (the plain, night-safe metric).
    """

    daylight: bool | None = None


@dataclass
class MetricEntry:
    """One profile's costs and their metric, plus caches that belong to that metric."""

    profile: Profile
    costs: Costs
    metric: Metric
    usable: np.ndarray  # edges whose body can be traversed
    version: int
    _engine: Engine = field(repr=False)
    _relaxed: tuple[Costs, Metric] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def relaxed(self) -> tuple[Costs, Metric]:
        """The costs with every block turned into a heavy penalty, and their metric.

        Made once per entry, on the first failure that needs explaining.
        """
        with self._lock:
            if self._relaxed is None:
                self._relaxed = _relax(self.costs, self._engine)
            return self._relaxed

    def retire(self) -> None:
        """Take this entry's metrics out of service (their per-thread queries are freed)."""
        self.metric.retire()
        with self._lock:
            if self._relaxed is not None:
                self._relaxed[1].retire()


@dataclass(frozen=True)
class _State:
    version: int
    base: dict[str, MetricEntry]
    custom: OrderedDict[str, MetricEntry]


class MetricStore:
    """Metrics per (profile, overrides, conditions, data version); thread-safe."""

    def __init__(
        self,
        graph: StreetGraph,
        profiles: dict[str, Profile],
        engine: Engine,
        *,
        cache_size: int = OVERRIDE_CACHE_SIZE,
        costs: Callable[[StreetGraph, Profile], Costs] = compute_costs,
    ) -> None:
        self.graph = graph
        self.profiles = profiles
        self._engine = engine
        self._costs = costs
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._bump_lock = threading.Lock()
        self._state = self._fresh_state(0)

    @property
    def version(self) -> int:
        """The data version every entry handed out now was made for."""
        return self._state.version

    def cached(self) -> int:
        """Entries made for overrides or conditions and still kept (the LRU's size)."""
        return len(self._state.custom)

    def get(
        self, name: str, overrides: dict | None = None, conditions: Conditions | None = None
    ) -> MetricEntry:
        """The entry for profile `name` with the user's `overrides` under `conditions`.

        Raises unknown_profile, or invalid_override for overrides the profile refuses.
        """
        state = self._state  # one read: the whole lookup sees one version
        if name not in self.profiles:
            raise RoutingError(
                "unknown_profile",
                f"unknown profile {name!r}",
                {"profile": name, "known": sorted(self.profiles)},
            )
        in_daylight = self._daylight_matters(name, overrides, conditions)
        if not overrides and not in_daylight:
            return state.base[name]
        key = json.dumps([name, overrides or {}, in_daylight], sort_keys=True)
        with self._lock:
            if key in state.custom:
                state.custom.move_to_end(key)
                return state.custom[key]
        # Daylight reaches the costs as the parameter it changes, not as a user override.
        profile = self.profiles[name].with_overrides(overrides)
        if in_daylight:
            profile = profile.with_overrides({**(overrides or {}), "unlit_factor": 1.0})
        entry = self._entry(profile, state.version)
        with self._lock:
            if self._state is not state:
                return entry  # the data changed meanwhile: answer, but keep nothing stale
            state.custom[key] = entry
            while len(state.custom) > self._cache_size:
                state.custom.popitem(last=False)[1].retire()
        return entry

    def bump(self) -> int:
        """Start a new data version: fresh base metrics, every cached one dropped.

        The new state is built first and swapped in with one assignment; requests
        already holding an old entry finish on it.
        """
        with self._bump_lock:  # one bump at a time; requests go on meanwhile
            new = self._fresh_state(self._state.version + 1)
            with self._lock:
                old, self._state = self._state, new
        for entry in [*old.base.values(), *old.custom.values()]:
            entry.retire()
        return new.version

    def _daylight_matters(
        self, name: str, overrides: dict | None, conditions: Conditions | None
    ) -> bool:
        """Whether daylight changes this profile's costs: an unlit way costs as a lit one."""
        if not (conditions and conditions.daylight):
            return False
        # with_overrides validates the user's overrides before anything is customised.
        return self.profiles[name].with_overrides(overrides).params["unlit_factor"] != 1

    def _fresh_state(self, version: int) -> _State:
        base = {name: self._entry(profile, version) for name, profile in self.profiles.items()}
        return _State(version, base, OrderedDict())

    def _entry(self, profile: Profile, version: int) -> MetricEntry:
        costs = self._costs(self.graph, profile)
        metric = self._engine.metric(costs.edge_s)
        return MetricEntry(profile, costs, metric, np.isfinite(costs.body_s), version, self._engine)


def _relax(costs: Costs, engine: Engine) -> tuple[Costs, Metric]:
    blocked_s = costs.time_s * _RELAXED_BLOCK_FACTOR + _RELAXED_BLOCK_S
    relaxed_cost = np.where(np.isfinite(costs.edge_s), costs.edge_s, blocked_s)
    relaxed = Costs(
        np.where(np.isfinite(costs.body_s), costs.body_s, blocked_s),
        np.zeros_like(costs.node_s),
        costs.time_s,
        costs.edge_blocked,
        costs.node_blocked,
        relaxed_cost,
    )
    return relaxed, engine.metric(relaxed_cost)
