"""Per-profile edge costs over the whole graph at once (numpy, no Python loop per edge).

An edge's cost is its travel time in seconds times reluctance factors, plus
penalties; ``inf`` means impassable for the profile and is returned explicitly,
together with the reason, so a failed route can say which barrier blocked it.
Node barriers (kerbs, gates, crossings on a node) are charged on the edges
that enter the node, because that is where they are met.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jol.artifact import INCLINE_UNKNOWN, NO, UNKNOWN, YES
from routing.graph import StreetGraph
from routing.profiles import IMPASSABLE, Profile

# Reasons an edge (or the node it enters) is impassable; bit flags in `Costs.blocked`.
BLOCK_REASONS = {
    "steps": 1,
    "kerb_too_high": 2,
    "kerb_unknown": 4,
    "too_steep_up": 8,
    "too_steep_down": 16,
    "too_narrow": 32,
    "width_unknown": 64,
    "incline_unknown": 128,
    "surface": 256,
    "smoothness": 512,
    "wheelchair_no": 1024,
    "barrier": 2048,
    "access_no": 4096,
}


@dataclass(frozen=True)
class Costs:
    """Edge costs of one profile.

    - `body_s`: seconds to traverse the edge itself (inf = impassable);
    - `node_s`: seconds spent at each node's barriers when entering it (inf = impassable);
    - `time_s`: plain travel time of the edge (no reluctance), for reported durations;
    - `edge_blocked`, `node_blocked`: bit sets of BLOCK_REASONS per edge body and per node;
    - `edge_s`: the full cost of entering and traversing an edge, what the router minimises.
    """

    body_s: np.ndarray
    node_s: np.ndarray
    time_s: np.ndarray
    edge_blocked: np.ndarray
    node_blocked: np.ndarray
    edge_s: np.ndarray  # body plus the barriers of the node the edge enters


def _factor_lookup(
    words: list[str], factors: dict, default: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-vocabulary-code factor and impassable flag; code 0 (unknown) gets `default`."""
    values = np.ones(len(words), dtype=np.float64)
    blocked = np.zeros(len(words), dtype=bool)
    for code, word in enumerate(words):
        factor = factors.get(word, 1.0) if code else default
        if factor == IMPASSABLE:
            blocked[code] = True
        else:
            values[code] = float(factor)
    return values, blocked


def _travel_time(graph: StreetGraph, p: dict) -> np.ndarray:
    """Seconds to cover each edge at the profile's speed, slowed by slope and steps."""
    grade = np.nan_to_num(graph.arrays["edge_grade_pct"], nan=0.0)
    slowdown = 1 + p["uphill_slowdown_per_pct"] * np.maximum(grade, 0)
    slowdown += p["downhill_slowdown_per_pct"] * np.maximum(-grade, 0)
    time = graph.edge_length_m / p["speed_mps"] * slowdown
    steps = graph.arrays["edge_step_count"]
    climbed = np.where(steps >= 0, steps, graph.edge_length_m / 0.3)  # ~30 cm of run per step
    return np.where(graph.is_steps, time + climbed * p["steps_s_per_step"], time)


def _flight_penalty_s(graph: StreetGraph, p: dict) -> np.ndarray:
    """Reluctance for each flight of steps: by its step_count when mapped, else the flight rate.

    Three steps are not 48: a counted flight costs per step, up to the cost of a
    whole flight, so a short one is not worth a long detour; an uncounted flight
    keeps the profile's policy for unknowns (the whole-flight penalty).
    """
    count = graph.arrays["edge_step_count"]
    counted = np.minimum(count * p["steps_known_s_per_step"], p["steps_flight_s"])
    per_flight = np.where(count >= 0, counted, p["steps_flight_s"])
    return np.where(graph.is_steps, per_flight, 0.0)


def _edge_blocks(graph: StreetGraph, p: dict) -> np.ndarray:
    a = graph.arrays
    blocked = np.zeros(graph.edge_count, dtype=np.int32)

    def mark(mask: np.ndarray, reason: str) -> None:
        blocked[mask] |= BLOCK_REASONS[reason]

    has_ramp = a["edge_ramp"] == YES
    steps = graph.is_steps & ~has_ramp
    mark(steps & (not p["steps_allowed"]), "steps")
    mark(steps & (a["edge_step_count"] > p["max_steps"]), "steps")
    mark(a["edge_max_up_pct"] > p["max_incline_up_pct"], "too_steep_up")
    mark(a["edge_max_down_pct"] > p["max_incline_down_pct"], "too_steep_down")
    mark(a["edge_width_m"] < p["min_width_m"], "too_narrow")
    mark(a["edge_has_kerb"] & (a["edge_kerb_height_cm"] > p["max_kerb_cm"]), "kerb_too_high")
    if p["avoid_wheelchair_no"]:
        mark(a["edge_wheelchair"] == NO, "wheelchair_no")
    if p["unknown_incline"] == "avoid":
        mark(a["edge_incline_source"] == INCLINE_UNKNOWN, "incline_unknown")
    if p["unknown_width"] == "avoid" and p["min_width_m"] > 0:
        mark(np.isnan(a["edge_width_m"]) & ~a["edge_is_road"], "width_unknown")
    return blocked


def _edge_factors(graph: StreetGraph, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """Reluctance multiplier per edge and surface/smoothness blocks."""
    a = graph.arrays
    surface, surface_blocked = _factor_lookup(
        graph.vocab["surface"], p["surface_factors"], p["unknown_surface_factor"]
    )
    smooth, smooth_blocked = _factor_lookup(graph.vocab["smoothness"], p["smoothness_factors"], 1.0)
    factor = surface[a["edge_surface"]] * smooth[a["edge_smoothness"]]
    # A carriageway with no sidewalk tag may well have one: unknown is not "no".
    carriageway = a["edge_is_road"] & ~a["edge_sidewalk_separate"]
    factor *= np.where(carriageway & (a["edge_sidewalk"] == NO), p["road_factor"], 1.0)
    factor *= np.where(
        carriageway & (a["edge_sidewalk"] == UNKNOWN), p["unknown_sidewalk_factor"], 1.0
    )
    factor *= np.where(a["edge_sidewalk_separate"], p["separate_sidewalk_road_factor"], 1.0)
    factor *= np.where(a["edge_lit"] == NO, p["unlit_factor"], 1.0)
    if p["unknown_incline"] == "penalty":
        unknown = a["edge_incline_source"] == INCLINE_UNKNOWN
        factor *= np.where(unknown, p["unknown_incline_factor"], 1.0)
    if p["unknown_width"] == "penalty" and p["min_width_m"] > 0:
        unknown = np.isnan(a["edge_width_m"]) & ~a["edge_is_road"]
        factor *= np.where(unknown, p["unknown_width_factor"], 1.0)
    blocked = np.where(surface_blocked[a["edge_surface"]], BLOCK_REASONS["surface"], 0)
    blocked |= np.where(smooth_blocked[a["edge_smoothness"]], BLOCK_REASONS["smoothness"], 0)
    return factor, blocked.astype(np.int32)


def crossing_penalty_s(
    signals: np.ndarray, tactile: np.ndarray, sound: np.ndarray, p: dict
) -> np.ndarray:
    """Seconds a profile adds for crossings with the given tri-state attributes."""
    cost = np.full(signals.shape, float(p["crossing_s"]))
    cost += np.where(signals == NO, p["crossing_no_signals_s"], 0.0)
    cost += np.where(signals == UNKNOWN, p["crossing_unknown_signals_s"], 0.0)
    cost += np.where(tactile == NO, p["crossing_no_tactile_s"], 0.0)
    cost += np.where(tactile == UNKNOWN, p["crossing_unknown_tactile_s"], 0.0)
    signalled = signals == YES
    cost += np.where(signalled & (sound == NO), p["crossing_no_sound_s"], 0.0)
    cost += np.where(signalled & (sound == UNKNOWN), p["crossing_unknown_sound_s"], 0.0)
    return cost


def _kerb_costs(height: np.ndarray, present: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and block reasons for kerbs of `height` cm (nan = unknown) where `present`."""
    known = present & ~np.isnan(height)
    unknown = present & np.isnan(height)
    cost = np.where(known, np.nan_to_num(height) * p["kerb_penalty_s_per_cm"], 0.0)
    blocked = np.where(known & (height > p["max_kerb_cm"]), BLOCK_REASONS["kerb_too_high"], 0)
    if p["unknown_kerb"] == "penalty":
        cost = cost + np.where(unknown, p["unknown_kerb_penalty_s"], 0.0)
    elif p["unknown_kerb"] == "avoid":
        blocked = blocked | np.where(unknown, BLOCK_REASONS["kerb_unknown"], 0)
    return cost, blocked.astype(np.int32)


def _node_costs(graph: StreetGraph, p: dict) -> tuple[np.ndarray, np.ndarray]:
    a = graph.arrays
    cost, blocked = _kerb_costs(a["node_kerb_height_cm"], a["node_has_kerb"], p)
    barrier_words = np.array(graph.vocab["barrier"], dtype=object)
    impassable = np.isin(barrier_words, p["impassable_barriers"])
    blocked |= np.where(impassable[a["node_barrier"]], BLOCK_REASONS["barrier"], 0).astype(np.int32)
    wheels = p["avoid_wheelchair_no"]  # the profile reads wheelchair=* as its own access tag
    if wheels:
        # Any node kept in the graph with wheelchair=no (a station entrance, an elevator, a door).
        blocked |= np.where(a["node_wheelchair"] == NO, BLOCK_REASONS["wheelchair_no"], 0).astype(
            np.int32
        )
    # wheelchair=limited: each profile says what it costs (0 for those it does not concern)
    cost = cost + np.where(a["node_wheelchair"] == 2, p["wheelchair_limited_s"], 0.0)
    # access=no|private or foot=no on a gate; foot=yes reopens it, wheelchair=yes for wheels.
    closed = a["node_foot_access"] == NO
    if wheels:
        closed &= a["node_wheelchair"] != YES
    blocked |= np.where(closed, BLOCK_REASONS["access_no"], 0).astype(np.int32)
    return cost, blocked


def _crossing_costs(graph: StreetGraph, p: dict, head: np.ndarray) -> np.ndarray:
    """Crossing seconds per edge: at crossing nodes entered from a footway, and on crossing ways.

    A crossing node on a road is only crossed when entered from a pedestrian way,
    not when walking along the road. A crossing way with no crossing node is
    charged in proportion to length so that its pieces add up to one crossing.
    """
    a = graph.arrays
    node_crossing = a["node_is_crossing"][head] & ~a["edge_is_road"]

    def merged(name: str) -> np.ndarray:
        node_value = a[f"node_{name}"][head]
        return np.where(node_value != UNKNOWN, node_value, a[f"edge_{name}"])

    signals, tactile, sound = merged("crossing_signals"), merged("tactile"), merged("sound")
    at_node = np.where(node_crossing, crossing_penalty_s(signals, tactile, sound, p), 0.0)
    on_way = graph.crossing_way_share * crossing_penalty_s(
        a["edge_crossing_signals"], a["edge_tactile"], a["edge_sound"], p
    )
    return at_node + on_way


def compute_costs(graph: StreetGraph, profile: Profile) -> Costs:
    """Costs of every edge and node for `profile` (see `Costs`)."""
    p = profile.params
    head = graph.edge_v
    time = _travel_time(graph, p)
    factor, factor_blocks = _edge_factors(graph, p)
    edge_blocks = _edge_blocks(graph, p) | factor_blocks
    body = time * factor + _crossing_costs(graph, p, head)
    body += graph.steps_way_share * _flight_penalty_s(graph, p)
    kerb_cost, kerb_blocks = _kerb_costs(
        graph.arrays["edge_kerb_height_cm"], graph.arrays["edge_has_kerb"], p
    )
    body += kerb_cost
    edge_blocks |= kerb_blocks
    node_cost, node_blocks = _node_costs(graph, p)
    body = np.where(edge_blocks > 0, np.inf, body)
    node = np.where(node_blocks > 0, np.inf, node_cost)
    return Costs(body, node, time, edge_blocks, node_blocks, body + node[head])
