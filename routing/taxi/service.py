"""Invataxi dispatch questions on the drive graph: estimate, matrix, assign, plan.

Each question is one function of `Taxi` taking the request's JSON (a dict) and
answering a dict, so the HTTP blueprint (web/taxi.py) and `jol taxi` share them;
nothing here knows about HTTP. Bad input is a `RoutingError` with a stable code.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import jsonschema
import numpy as np

from jol import settings
from routing.errors import RoutingError
from routing.taxi import schemas
from routing.taxi.drive import DriveGraph, DrivePoint
from routing.taxi.kerb import Kerb, kerbside

DEFAULT_PROFILE = "wheelchair_manual"


def _check(body: Any, schema: dict) -> dict:
    try:
        jsonschema.validate(body, schema)
    except jsonschema.ValidationError as exc:
        field = ".".join(str(p) for p in exc.absolute_path) or "body"
        raise RoutingError("invalid_request", f"{field}: {exc.message}", {"field": field}) from None
    return body


def _latlon(point: dict) -> tuple[float, float]:
    return float(point["lat"]), float(point["lon"])


def _when(text: str | None, zone: str | None) -> datetime | None:
    """A depart time in the city's clock (naive = city time); None without one."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise RoutingError(
            "invalid_request", "depart_at: expected ISO 8601", {"field": "depart_at"}
        ) from None
    if when.tzinfo is not None and zone:
        when = when.astimezone(ZoneInfo(zone))
    return when


def _seconds(value: float) -> float | None:
    return round(float(value), 1) if math.isfinite(value) else None


class Boarding(TypedDict):
    """Which equipment boards the passenger and how long boarding and alighting take."""

    equipment: str
    board_s: float
    alight_s: float


def boarding_s(equipment: list[str], overrides: dict | None = None) -> Boarding:
    """Boarding and alighting seconds for a vehicle's equipment (a lift where it has one)."""
    kind = "lift" if "lift" in equipment else "ramp"
    times = dict(settings.TAXI_BOARDING_S[kind])
    times.update((overrides or {}).get(kind, {}))
    return {"equipment": kind, "board_s": times["board"], "alight_s": times["alight"]}


class Taxi:
    """Answers dispatch questions for one compiled graph and its street router."""

    def __init__(self, drive: DriveGraph, router: Any, city: str) -> None:
        self.drive, self.router, self.city = drive, router, city
        self.stoppable = drive.stoppable()

    @classmethod
    def load(cls, graph_dir: Path, router: Any) -> Taxi | None:
        """The taxi service if the artifact has a drive graph with roads, else None."""
        if not (Path(graph_dir) / settings.DRIVE_FILENAME).is_file():
            return None
        manifest = json.loads((Path(graph_dir) / "manifest.json").read_text())
        if not manifest.get("drive", {}).get("edges"):
            return None  # no drivable road in the extract; the endpoints say unavailable
        city = str(router.info().get("city", "")) if hasattr(router, "info") else ""
        drive_file = Path(graph_dir).resolve() / settings.DRIVE_FILENAME
        return cls(
            _drive_graph(str(drive_file.parent), drive_file.stat().st_mtime_ns), router, city
        )

    # --- matrix -----------------------------------------------------------------------
    def matrix(self, body: Any) -> dict:
        """OSRM-table-shaped durations (and, if asked, distances) between `locations`."""
        body = _check(body, schemas.MATRIX)
        locations = body["locations"]
        sources = body.get("sources", list(range(len(locations))))
        targets = body.get("destinations", list(range(len(locations))))
        for name, index in (("sources", sources), ("destinations", targets)):
            if any(i >= len(locations) for i in index):
                raise RoutingError(
                    "invalid_request", f"{name}: index beyond locations", {"field": name}
                )
        cells = len(sources) * len(targets)
        # Like OSRM's `annotations`; distances unpack each path, so by default only
        # matrices within their cap carry them.
        small = cells <= settings.TAXI_DISTANCE_MAX_CELLS
        annotations = body.get("annotations", ["duration", "distance"] if small else ["duration"])
        self._limit(cells, settings.TAXI_MATRIX_MAX_CELLS, "matrix")
        if "distance" in annotations:
            self._limit(cells, settings.TAXI_DISTANCE_MAX_CELLS, "distances")
        band = self.drive.band(_when(body.get("depart_at"), self.router.time_zone))
        points = [self.drive.snap(*_latlon(p)) for p in locations]
        answer: dict[str, Any] = {"code": "Ok", "annotations": annotations}
        seconds = self._table(points, sources, targets, band)
        if "duration" in annotations:
            answer["durations"] = [[_seconds(v) for v in row] for row in seconds]
        if "distance" in annotations:
            answer["distances"] = self._distances(points, sources, targets, seconds, band)
        answer["snapped"] = [None if p is None else p.to_dict() for p in points]
        return answer

    @staticmethod
    def _limit(cells: int, limit: int, what: str) -> None:
        if cells > limit:
            raise RoutingError(
                "request_too_large",
                f"{what}: {cells} cells asked, at most {limit} per request",
                {"cells": cells, "max_cells": limit},
            )

    def _table(
        self, points: list[DrivePoint | None], sources: list[int], targets: list[int], band: int
    ) -> np.ndarray:
        table = np.full((len(sources), len(targets)), np.inf)
        # Row/column index -> snapped point, for the points that snapped.
        rows = {i: p for i, s in enumerate(sources) if (p := points[s]) is not None}
        cols = {j: p for j, t in enumerate(targets) if (p := points[t]) is not None}
        if rows and cols:
            found = self.drive.matrix(list(rows.values()), list(cols.values()), band)
            table[np.ix_(list(rows), list(cols))] = found
        return table

    def _distances(
        self, points: list, sources: list[int], targets: list[int], seconds: np.ndarray, band: int
    ) -> list[list[float | None]]:
        """Metres of each fastest ride (unpacked one pair at a time, hence the lower cap)."""
        out: list[list[float | None]] = []
        for i, s in enumerate(sources):
            row: list[float | None] = []
            for j, t in enumerate(targets):
                metres = None
                if math.isfinite(seconds[i, j]):
                    metres = self.drive.ride_length_m(points[s], points[t], band)
                row.append(metres)
            out.append(row)
        return out

    # --- estimate ---------------------------------------------------------------------
    def estimate(self, body: Any) -> dict:
        """Door-to-door estimate of one trip for each offered vehicle."""
        body = _check(body, schemas.ESTIMATE)
        profile = body.get("profile", DEFAULT_PROFILE)
        when = _when(body.get("depart_at"), self.router.time_zone)
        band = self.drive.band(when)
        overrides = body.get("overrides")
        pickup = self._kerb(body["pickup"], profile, "pickup", True, when, overrides)
        dropoff = self._kerb(body["dropoff"], profile, "dropoff", False, when, overrides)
        ride = self.drive.ride(pickup.point, dropoff.point, band)
        if ride is None:
            raise RoutingError(
                "no_drive_route", "the drop-off kerb cannot be reached by road from the pickup"
            )
        vehicles = body.get("vehicles", [])
        starts = [self.drive.snap(*_latlon(v)) for v in vehicles]
        etas = self._table([*starts, pickup.point], list(range(len(starts))), [len(starts)], band)
        answers = [
            self._vehicle_estimate(v, s, float(etas[i, 0]), pickup, dropoff, ride, body)
            for i, (v, s) in enumerate(zip(vehicles, starts, strict=True))
        ]
        return {
            "profile": profile,
            "pickup": pickup.to_dict(),
            "dropoff": dropoff.to_dict(),
            "ride": {
                "duration_s": ride.duration_s,
                "distance_m": ride.distance_m,
                "geometry": {"type": "LineString", "coordinates": ride.coords},
            },
            "vehicles": answers,
            "assumptions": self.assumptions(),
        }

    def _vehicle_estimate(
        self,
        vehicle: dict,
        start: DrivePoint | None,
        eta_s: float,
        pickup: Kerb,
        dropoff: Kerb,
        ride: Any,
        body: dict,
    ) -> dict:
        times = boarding_s(vehicle.get("equipment", []), body.get("boarding_s"))
        answer: dict[str, Any] = {
            "id": vehicle["id"],
            "snapped": None if start is None else start.to_dict(),
            "pickup_eta_s": _seconds(eta_s),
            **times,
            "ride_s": ride.duration_s,
            "ride_m": ride.distance_m,
            "roll_to_kerb_s": pickup.roll_s,
            "roll_from_kerb_s": dropoff.roll_s,
        }
        if not math.isfinite(eta_s):
            answer["door_to_door_s"] = None
            answer["reason"] = "vehicle_cannot_reach_pickup"
            return answer
        # The passenger leaves the door so as to reach the kerb when the vehicle does.
        answer["door_to_door_s"] = round(
            max(eta_s, pickup.roll_s)
            + times["board_s"]
            + ride.duration_s
            + times["alight_s"]
            + dropoff.roll_s,
            1,
        )
        return answer

    def _kerb(
        self, point: dict, profile: str, field: str, leaving: bool, when: Any, overrides: Any
    ) -> Kerb:
        return kerbside(
            self.drive,
            self.stoppable,
            self.router,
            _latlon(point),
            profile,
            field=field,
            leaving=leaving,
            depart_at=when,
            overrides=overrides,
        )

    # --- trip (the page) -----------------------------------------------------------------
    def trip(self, body: Any) -> dict:
        """Door-to-door time of one trip by Invataxi with no fleet known: rolls, boarding by
        ramp, ride; waiting for a vehicle is not included (the page says so)."""
        body = _check(body, schemas.TRIP)
        profile = body.get("profile", DEFAULT_PROFILE)
        when = _when(body.get("depart_at"), self.router.time_zone)
        overrides = body.get("overrides") or None
        pickup = self._kerb(body["from"], profile, "from", True, when, overrides)
        dropoff = self._kerb(body["to"], profile, "to", False, when, overrides)
        ride = self.drive.ride(pickup.point, dropoff.point, self.drive.band(when))
        if ride is None:
            raise RoutingError("no_drive_route", "the drop-off cannot be reached by road")
        times = boarding_s(["ramp"])
        total = pickup.roll_s + times["board_s"] + ride.duration_s
        return {
            "door_to_door_s": round(total + times["alight_s"] + dropoff.roll_s, 1),
            "roll_to_kerb_s": pickup.roll_s,
            **times,
            "ride_s": ride.duration_s,
            "ride_m": ride.distance_m,
            "roll_from_kerb_s": dropoff.roll_s,
            "waiting_included": False,
        }

    @staticmethod
    def assumptions() -> dict:
        return {
            "boarding_s": settings.TAXI_BOARDING_S,
            "boarding_source": "assumption: no Almaty measurements; see jol/settings.py",
            "speeds": "OSM maxspeed, else per-class defaults (graph_build/drive_speeds.json)",
        }

    # --- assign -----------------------------------------------------------------------
    def assign(self, body: Any) -> dict:
        """Per request, the free vehicles able to take it, fastest pickup first."""
        body = _check(body, schemas.ASSIGN)
        band = self.drive.band(_when(body.get("depart_at"), self.router.time_zone))
        vehicles = body["vehicles"]
        starts = [self.drive.snap(*_latlon(v)) for v in vehicles]
        requests = body["requests"]
        pickups = [self.drive.snap(*_latlon(r["pickup"]), self.stoppable) for r in requests]
        points = [*starts, *pickups]
        n = len(starts)
        table = self._table(points, list(range(n)), list(range(n, n + len(pickups))), band)
        answers = []
        for j, request in enumerate(requests):
            ranked = []
            for i, vehicle in enumerate(vehicles):
                refusal = _refusal(vehicle, request)
                if refusal is None and math.isfinite(table[i, j]):
                    ranked.append({"vehicle": vehicle["id"], "pickup_eta_s": _seconds(table[i, j])})
            ranked.sort(key=lambda r: r["pickup_eta_s"])
            answers.append({"id": request["id"], "vehicles": ranked})
        return {"requests": answers}

    # --- plan -------------------------------------------------------------------------
    def plan(self, body: Any) -> dict:
        """A shift plan solved by VROOM on Jol's duration matrix."""
        from routing.taxi.plan import solve

        body = _check(body, schemas.PLAN)
        _check_plan(body)
        return solve(self, body, _when(body.get("shift_date"), self.router.time_zone))


def _check_plan(body: dict) -> None:
    """Ids unique per kind and every window [from, to] in order, or a 400 naming the field."""
    for kind, window in (("vehicles", "shift"), ("bookings", "window")):
        ids = [item["id"] for item in body[kind]]
        if len(set(map(str, ids))) != len(ids):
            raise RoutingError("invalid_request", f"{kind}: ids must be unique", {"field": kind})
        for i, item in enumerate(body[kind]):
            if item[window][0] > item[window][1]:
                field = f"{kind}.{i}.{window}"
                raise RoutingError("invalid_request", f"{field}: from after to", {"field": field})


@functools.lru_cache(maxsize=4)
def _drive_graph(directory: str, mtime_ns: int) -> DriveGraph:
    """One DriveGraph per compiled folder (and file version): apps made for the same
    graph (tests, workers before fork) share its arrays and metrics, which are read-only."""
    return DriveGraph(Path(directory))


def _refusal(vehicle: dict, request: dict) -> str | None:
    """Why `vehicle` cannot take `request`: missing equipment or too few seats; None if it can."""
    needs = request.get("equipment", [])
    has = set(vehicle.get("equipment", []))
    if "lift" in needs and "lift" not in has:
        return "needs_lift"
    if "ramp" in needs and not has & {"ramp", "lift"}:
        return "needs_ramp"
    if request.get("passengers", 1) > vehicle.get("seats", vehicle.get("capacity", 1)):
        return "too_few_seats"
    return None
