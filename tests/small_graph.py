"""A street graph of a few dozen edges built in code, for unit tests that need no city.

A 4 x 4 grid of 100 m blocks near central Almaty, walkable both ways, with one of
each thing the router must treat specially, and a three-node island nothing
reaches. Arrays use the compiled artifact's names (``node_lat``, ``edge_u``,
``edge_length_m``, ``edge_is_steps``, ``edge_kerb_height_cm``, ``edge_grade_pct``) so
later tests of costs and snapping can grow it into a full artifact.

    row 3   12 -- 13 -- 14 ~~ 15      ~~ steep: +12 % from 14 to 15
             |     |     |     |
    row 2    8 == 9 --  10 -- 11      == kerb of 6 cm between 8 and 9
             |     |     |     |
    row 1    4 --  5 ## 6 --  7       ## a flight of steps between 5 and 6
             |     |     |     |
    row 0    0 --  1 --  2 -> 3       -> one way, 2 to 3 only

    island  16 -- 17 -- 18 -- 16      (east of the grid, unconnected)

`walk_cost_s` and `wheelchair_cost_s` are plain test costs (length over speed,
inf where a wheelchair cannot pass), not the router's cost model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import routingkit_cch

BLOCK_M = 100.0
SIDE = 4
# Degrees per 100 m at 43.25 N.
_DLAT, _DLON = 0.000899, 0.001235
_ORIGIN = (43.25, 76.94)


@dataclass(frozen=True)
class SmallGraph:
    """Node and edge arrays plus the names of the special places in them."""

    node_lat: np.ndarray
    node_lon: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_is_steps: np.ndarray
    edge_kerb_height_cm: np.ndarray
    edge_grade_pct: np.ndarray
    node: dict[str, int] = field(default_factory=dict)
    edge: dict[str, int] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.node_lat)

    @property
    def edge_count(self) -> int:
        return len(self.edge_u)

    def cch_order(self) -> np.ndarray:
        """Nested-dissection order computed as `jol build` computes the artifact's ``cch_order``."""
        order = routingkit_cch.compute_order_inertial(
            self.node_count,
            self.edge_u.tolist(),
            self.edge_v.tolist(),
            self.node_lat.tolist(),
            self.node_lon.tolist(),
        )
        return np.asarray(order, dtype=np.int32)

    def edges_between(self, a: int, b: int) -> list[int]:
        """Directed edges from node `a` to node `b`."""
        return np.flatnonzero((self.edge_u == a) & (self.edge_v == b)).tolist()

    def walk_cost_s(self, speed_mps: float = 1.3) -> np.ndarray:
        """Seconds on foot: steps take twice as long as flat ground."""
        return self.edge_length_m / speed_mps * np.where(self.edge_is_steps, 2.0, 1.0)

    def wheelchair_cost_s(
        self, speed_mps: float = 0.9, max_kerb_cm: float = 3.0, max_up_pct: float = 8.0
    ) -> np.ndarray:
        """Seconds by wheelchair; inf on steps, high kerbs and climbs above `max_up_pct`."""
        blocked = (
            self.edge_is_steps
            | (self.edge_kerb_height_cm > max_kerb_cm)
            | (self.edge_grade_pct > max_up_pct)
        )
        return np.where(blocked, np.inf, self.edge_length_m / speed_mps)


def _grid_id(row: int, col: int) -> int:
    return row * SIDE + col


def small_graph() -> SmallGraph:
    """Build the graph drawn in this module's docstring."""
    lat = [_ORIGIN[0] + r * _DLAT for r in range(SIDE) for _ in range(SIDE)]
    lon = [_ORIGIN[1] + c * _DLON for _ in range(SIDE) for c in range(SIDE)]
    island = [SIDE * SIDE + i for i in range(3)]
    lat += [_ORIGIN[0], _ORIGIN[0] + _DLAT, _ORIGIN[0]]
    lon += [_ORIGIN[1] + 8 * _DLON, _ORIGIN[1] + 8.5 * _DLON, _ORIGIN[1] + 9 * _DLON]

    segments = [(_grid_id(r, c), _grid_id(r, c + 1)) for r in range(SIDE) for c in range(SIDE - 1)]
    segments += [(_grid_id(r, c), _grid_id(r + 1, c)) for r in range(SIDE - 1) for c in range(SIDE)]
    segments += [(island[0], island[1]), (island[1], island[2]), (island[2], island[0])]
    one_way = (_grid_id(0, 2), _grid_id(0, 3))
    steps = {(5, 6), (6, 5)}
    kerb = {(8, 9), (9, 8)}
    steep_up, steep_down = (14, 15), (15, 14)

    tail: list[int] = []
    head: list[int] = []
    for a, b in segments:
        tail.append(a)
        head.append(b)
        if (a, b) != one_way:
            tail.append(b)
            head.append(a)
    pairs = list(zip(tail, head, strict=True))
    lengths = [BLOCK_M] * len(pairs)
    grade = [12.0 if p == steep_up else -12.0 if p == steep_down else 0.0 for p in pairs]
    return SmallGraph(
        node_lat=np.asarray(lat),
        node_lon=np.asarray(lon),
        edge_u=np.asarray(tail, dtype=np.int64),
        edge_v=np.asarray(head, dtype=np.int64),
        edge_length_m=np.asarray(lengths),
        edge_is_steps=np.asarray([p in steps for p in pairs]),
        edge_kerb_height_cm=np.asarray([6.0 if p in kerb else 0.0 for p in pairs]),
        edge_grade_pct=np.asarray(grade),
        node={
            "corner": 0,
            "one_way_from": one_way[0],
            "one_way_to": one_way[1],
            "steps_bottom": 5,
            "steps_top": 6,
            "kerb_low": 8,
            "kerb_high": 9,
            "steep_foot": steep_up[0],
            "steep_top": steep_up[1],
            "far_corner": _grid_id(SIDE - 1, SIDE - 1),
            "island": island[0],
        },
        edge={
            "one_way": pairs.index(one_way),
            "steps": pairs.index((5, 6)),
            "kerb": pairs.index((8, 9)),
            "steep_up": pairs.index(steep_up),
            "steep_down": pairs.index(steep_down),
        },
    )
