"""Kerbside points: where a vehicle may stop for a passenger and deploy its ramp.

Never on a motorway, a trunk carriageway, a link road, in a tunnel or on a
bridge (`DriveGraph.stoppable`). The passenger's own roll between the door and
the point is routed with their street profile by the street router; a point the
passenger cannot reach is refused and the next nearest is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from jol import settings
from routing.errors import RoutingError
from routing.taxi.drive import DriveGraph, DrivePoint


@dataclass(frozen=True)
class Kerb:
    """A stopping point and the passenger's roll between it and the door."""

    point: DrivePoint
    roll_s: float
    roll_m: float
    refused: int

    def to_dict(self) -> dict:
        return {
            "kerb": self.point.to_dict(),
            "roll_s": self.roll_s,
            "roll_m": self.roll_m,
            "kerbs_refused": self.refused,
        }


def kerbside(
    drive: DriveGraph,
    stoppable: np.ndarray,
    router: Any,
    door: tuple[float, float],
    profile: str,
    *,
    field: str,
    leaving: bool,
    depart_at: datetime | None = None,
    overrides: dict | None = None,
) -> Kerb:
    """The nearest stopping point the passenger can roll to (or from, when arriving)."""
    candidates = drive.candidates(
        door[0],
        door[1],
        stoppable,
        settings.TAXI_KERB_MAX_DISTANCE_M,
        settings.TAXI_KERB_CANDIDATES,
    )
    if not candidates and drive.snap(*door) is None:
        raise RoutingError(
            "outside_area",
            f"{field}: no road within {settings.SNAP_MAX_DISTANCE_M:.0f} m",
            {"field": field},
        )
    for refused, point in enumerate(candidates):
        kerb = (point.lat, point.lon)
        ends = (door, kerb) if leaving else (kerb, door)
        try:
            answer = router.route(ends[0], ends[1], profile, overrides, depart_at)
        except RoutingError as exc:
            if exc.code in ("unknown_profile", "invalid_request", "invalid_override"):
                raise
            continue
        route = answer["routes"][0]
        return Kerb(point, round(route["duration_s"], 1), round(route["distance_m"], 1), refused)
    raise RoutingError(
        "no_kerbside",
        f"{field}: no place within {settings.TAXI_KERB_MAX_DISTANCE_M:.0f} m where a vehicle "
        "may stop that this profile can reach from the door",
        {"field": field, "candidates_tried": len(candidates)},
    )
