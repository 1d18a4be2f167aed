"""Step-free access to platforms, judged from pathways.txt.

A platform is step-free when a path of step-free pathways (walkway without
steps, moving walkway, elevator, fare or exit gate) leads from some station
entrance to it and back; stairs and escalators are not step-free. A platform
that pathways reach only by stairs or escalators is not step-free. Without
pathways nothing is known, so the answer is "unknown", never "yes".
Boarding areas count for the platform they belong to.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np
import pandas as pd

from transit import codes

STEP_FREE_MODES = {1, 3, 5, 6, 7}  # walkway, travelator, elevator, fare gate, exit gate
ENTRANCE = 2
BOARDING_AREA = 4


def step_free_codes(stops: pd.DataFrame, pathways: pd.DataFrame | None) -> np.ndarray:
    """Per stop row of `stops` (positional): codes.UNKNOWN / ACCESSIBLE (yes) / NOT_ACCESSIBLE."""
    n = len(stops)
    out = np.full(n, codes.UNKNOWN, dtype=np.int8)
    if pathways is None or not len(pathways):
        return out
    ids = list(stops.stop_id)
    index = {sid: i for i, sid in enumerate(ids)}
    free, any_edge = _edges(pathways, index)
    kinds = _numbers(stops, "location_type")
    entrances = [i for i in range(n) if kinds[i] == ENTRANCE]
    if not entrances:
        return out
    reverse = defaultdict(list)
    for a, targets in free.items():
        for b in targets:
            reverse[b].append(a)
    inbound = _reach(free, entrances)
    outbound = _reach(reverse, entrances)
    touched = set(any_edge)
    for i in touched:
        out[i] = codes.ACCESSIBLE if i in inbound and i in outbound else codes.NOT_ACCESSIBLE
    # A platform is as good as its best boarding area.
    parents = list(stops.get("parent_station", pd.Series([None] * n)))
    for i in range(n):
        if kinds[i] == BOARDING_AREA and isinstance(parents[i], str) and parents[i] in index:
            p = index[parents[i]]
            if out[i] == codes.ACCESSIBLE or out[p] == codes.UNKNOWN:
                out[p] = max(out[p], out[i]) if out[p] != codes.UNKNOWN else out[i]
                if out[i] == codes.ACCESSIBLE:
                    out[p] = codes.ACCESSIBLE
    return out


def _edges(pathways: pd.DataFrame, index: dict[str, int]) -> tuple[dict, set]:
    free: dict[int, list[int]] = defaultdict(list)
    touched: set[int] = set()
    stairs = _numbers(pathways, "stair_count")
    for row, steps in zip(pathways.itertuples(index=False), stairs, strict=True):
        a, b = index.get(row.from_stop_id), index.get(row.to_stop_id)
        if a is None or b is None:
            continue
        touched |= {a, b}
        mode = int(pd.to_numeric(row.pathway_mode, errors="coerce"))
        if mode not in STEP_FREE_MODES or steps > 0:
            continue
        free[a].append(b)
        if str(row.is_bidirectional).strip() == "1":
            free[b].append(a)
    return free, touched


def _reach(graph: dict[int, list[int]], starts: list[int]) -> set[int]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).to_numpy()
