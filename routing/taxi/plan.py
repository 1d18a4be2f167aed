"""A shift plan: VROOM (pyvroom, BSD-2) solves the pickup-and-delivery problem on
Jol's own drive-time matrix between kerbside points; no home-made heuristic.

Equipment becomes VROOM skills (a ramp need is skill 1, a lift need skill 2; a lift
serves both), boarding and alighting become service times, passengers the load.
Times are seconds from the start of the shift day (city time).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from routing.errors import RoutingError
from routing.taxi.kerb import kerbside

if TYPE_CHECKING:
    from routing.taxi.service import Taxi

_SKILL = {"ramp": 1, "lift": 2}
# Stands in for "unreachable" in VROOM's matrix: larger than any shift, so never chosen.
_UNREACHABLE_S = 10_000_000
# VROOM's search depth (0-5). On the benchmark's 60-booking shift level 3 cost 2 % more
# drive time than level 5 (30,241 vs 29,606 s) in a quarter of the time (0.6 vs 2.2 s),
# which keeps re-planning on every new booking interactive.
_EXPLORATION_LEVEL = 3


def _skills(equipment: list[str]) -> set[int]:
    return {1, 2} if "lift" in equipment else ({1} if "ramp" in equipment else set())


def _needs(booking: dict) -> set[int]:
    needs = booking.get("equipment", [])
    return {_SKILL["lift"]} if "lift" in needs else ({_SKILL["ramp"]} if needs else set())


def solve(taxi: Taxi, body: dict, day: datetime | None) -> dict:
    """Each vehicle's ordered stops with times, and every unserved booking with its reason."""
    import vroom

    from routing.taxi.service import DEFAULT_PROFILE, boarding_s

    vehicles, bookings = body["vehicles"], body["bookings"]
    band = taxi.drive.band(day)
    starts = [taxi.drive.snap(v["start"]["lat"], v["start"]["lon"]) for v in vehicles]
    for vehicle, start in zip(vehicles, starts, strict=True):
        if start is None:
            raise RoutingError(
                "outside_area", f"vehicle {vehicle['id']}: start is outside the area"
            )
    unserved: list[dict] = []
    kerbs: list[tuple[int, Any, Any]] = []
    for i, booking in enumerate(bookings):
        profile = booking.get("profile", body.get("profile", DEFAULT_PROFILE))
        try:
            ends = [
                kerbside(
                    taxi.drive,
                    taxi.stoppable,
                    taxi.router,
                    (booking[f]["lat"], booking[f]["lon"]),
                    profile,
                    field=f,
                    leaving=f == "pickup",
                )
                for f in ("pickup", "dropoff")
            ]
        except RoutingError as exc:
            if exc.code in ("unknown_profile", "invalid_request"):
                raise
            unserved.append({"id": booking["id"], "reason": exc.code, "message": exc.message})
            continue
        kerbs.append((i, ends[0], ends[1]))
    points = [*starts, *(k[1].point for k in kerbs), *(k[2].point for k in kerbs)]
    seconds = taxi.drive.matrix(points, points, band)
    durations = np.where(np.isfinite(seconds), np.round(seconds), _UNREACHABLE_S).astype(np.uint32)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=durations)
    for v, vehicle in enumerate(vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                v + 1,
                start=v,
                end=v,
                capacity=vroom.Amount([vehicle.get("capacity", 1)]),
                skills=_skills(vehicle.get("equipment", [])),
                time_window=vroom.TimeWindow(*vehicle["shift"]),
            )
        )
    n, k = len(vehicles), len(kerbs)
    for j, (i, _, _) in enumerate(kerbs):
        booking = bookings[i]
        times = boarding_s(booking.get("equipment", []))
        problem.add_shipment(
            vroom.ShipmentStep(
                j + 1,
                location=n + j,
                default_service=int(times["board_s"]),
                time_windows=[vroom.TimeWindow(*booking["window"])],
            ),
            vroom.ShipmentStep(j + 1, location=n + k + j, default_service=int(times["alight_s"])),
            amount=vroom.Amount([booking.get("passengers", 1)]),
            skills=_needs(booking),
        )
    solution = _solve(problem) if k else {"routes": [], "unassigned": []}
    routes = [_route(r, vehicles, bookings, kerbs) for r in solution["routes"]]
    left = {u["id"] for u in solution["unassigned"]}
    for j in sorted(left):
        i = kerbs[j - 1][0]
        unserved.append(_why(bookings[i], vehicles, seconds, n, k, j - 1))
    return {
        "vehicles": routes,
        "unserved": unserved,
        "summary": {
            "bookings": len(bookings),
            "served": len(bookings) - len(unserved),
            "vehicles_used": len(routes),
        },
    }


def _solve(problem: Any) -> dict:
    """VROOM's answer; input it refuses (a case `_check_plan` missed) is the client's 400."""
    from vroom._vroom import VroomInputException

    try:
        return problem.solve(exploration_level=_EXPLORATION_LEVEL, nb_threads=1).to_dict()
    except VroomInputException as exc:
        raise RoutingError("invalid_request", f"plan: {exc}", {"field": "body"}) from None


def _route(route: dict, vehicles: list[dict], bookings: list[dict], kerbs: list) -> dict:
    stops = []
    for step in route["steps"]:
        stop: dict[str, Any] = {"type": step["type"], "arrival_s": step["arrival"]}
        if step["type"] in ("pickup", "delivery"):
            i, pickup, dropoff = kerbs[step["id"] - 1]
            kerb = pickup if step["type"] == "pickup" else dropoff
            stop |= {
                "type": "pickup" if step["type"] == "pickup" else "dropoff",
                "booking": bookings[i]["id"],
                "service_start_s": step["arrival"] + step["waiting_time"],
                "service_s": step["service"],
                "load": step["load"][0],
                "kerb": kerb.point.to_dict(),
                "roll_s": kerb.roll_s,
            }
        stops.append(stop)
    return {"id": vehicles[route["vehicle"] - 1]["id"], "stops": stops}


def _why(booking: dict, vehicles: list[dict], seconds: np.ndarray, n: int, k: int, j: int) -> dict:
    """The plainest reason VROOM left a booking out."""
    able = [v for v in vehicles if _needs(booking) <= _skills(v.get("equipment", []))]
    if not able:
        reason = "no_vehicle_with_equipment"
    elif booking.get("passengers", 1) > max(v.get("capacity", 1) for v in able):
        reason = "too_many_passengers"
    elif not math.isfinite(seconds[n + j, n + k + j]) or not np.isfinite(seconds[:n, n + j]).any():
        reason = "unreachable"
    else:
        reason = "no_time_in_shifts"
    return {"id": booking["id"], "reason": reason}
