"""Door-to-door journeys by street and public transport, per profile (issue 13).

One entry point, `plan_journeys`. It links the timetable's stops to the street
graph with the profile's snapping rules, walks stop-to-stop transfers and the
access/egress stretches over the street graph with the profile's real costs,
filters what the profile may board, runs RAPTOR (transit/raptor.py) and builds
answers whose walk legs come from the same route builder and warnings as
/api/v1/route. A street-only journey is always a candidate.

It uses the Router's snapping, path and warning code (the presenter of
/api/v1/route) rather than copying it, and adds no methods to the Router.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

import messages
from routing import directions, presenter
from routing.errors import RoutingError
from routing.explain import snap_dict
from routing.planner import check_point
from transit import raptor
from transit.timetable import Timetable

# Straight-line radius for stop-to-stop transfer walks (walked over streets afterwards).
TRANSFER_RADIUS_M = 400.0
# Egress: the nearest stops (straight line, within max_access_m) walked to the destination.
_EGRESS_CANDIDATES = 40
_WINDOW_S = 3600
_ARRIVE_BY_WINDOW_S = 2 * 3600
_MAX_TRANSFERS = 4
_CACHE_SIZE = 8
_NO_FILTER = "ignore"

# Stable codes of transit warnings; clients translate them (messages/ "warning_<code>").
TRANSIT_WARNING_CODES = (
    "transit_low_floor_unknown",
    "transit_stop_access_unknown",
    "transit_estimated_timetable",
    "transit_only_inaccessible",
)


@dataclass
class _Links:
    """One profile's view of the stops: street snaps, who is reachable, transfer walks."""

    snaps: dict[int, object]  # stop -> Snap on a way the profile can use
    arrive: dict[int, list[tuple[int, float]]]  # stop -> (node, seconds node -> stop)
    leave: dict[int, list[tuple[int, float]]]  # stop -> (node, seconds stop -> node)
    reachable: np.ndarray  # bool per stop
    footpaths: raptor.Footpaths


_cache: OrderedDict[tuple, _Links] = OrderedDict()
_cache_lock = threading.Lock()


def plan_journeys(
    router,
    timetable: Timetable,
    origin: tuple[float, float],
    destination: tuple[float, float],
    profile: str,
    overrides: dict | None = None,
    depart_at: datetime | None = None,
    arrive_by: datetime | None = None,
    max_itineraries: int = 3,
) -> dict:
    """Itineraries (street only and with transit) for `profile`, best first.

    `depart_at`/`arrive_by` are aware datetimes, or naive in the first feed's
    time zone. Raises RoutingError: invalid_request, outside_area, no_service_dates
    (422, with the dates covered) and no_accessible_route (with a reason).
    """
    origin = check_point(origin, "from")
    destination = check_point(destination, "to")
    metrics = router.metrics.get(profile, overrides)
    zone = ZoneInfo(timetable.meta["feeds"][0]["timezone"])
    when = _local(arrive_by if arrive_by is not None else depart_at, zone)
    _check_dates(timetable, when.date())
    start = router.planner.snap(origin, metrics, "from")
    end = router.planner.snap(destination, metrics, "to")
    links = stop_links(router, timetable, metrics, profile, overrides)
    found = _Transit(router, timetable, metrics, links, zone)
    itineraries = found.run(start, end, when, arrive_by is not None, max_itineraries)
    street = _street_only(router, metrics, profile, overrides, origin, destination, when, zone)
    if street is not None:
        itineraries = _with_street(itineraries, street, arrive_by is not None)
    if not itineraries:
        found.explain(when, arrive_by is not None)
    warnings = []
    if not any(i["kind"] == "transit" for i in itineraries):
        refused = found.refusal(arrive_by is not None)
        if refused is not None:  # transit exists but not for this profile: say which and why
            message = _refusal_message(metrics.profile.name, *refused)
            warning = _transit_warning("transit_only_inaccessible", message=message)
            warnings.append(warning | {"trips": refused[0], "stops": refused[1]})
    return {
        "profile": metrics.profile.name,
        "overrides": overrides or {},
        "snap": {"from": snap_dict(start), "to": snap_dict(end)},
        "feeds": timetable.feed_summaries(),
        "itineraries": itineraries[:max_itineraries],
        "warnings": warnings,
    }


# --- time ------------------------------------------------------------------------------
def _local(when: datetime | None, zone: ZoneInfo) -> datetime:
    if when is None:
        return datetime.now(zone).replace(microsecond=0)
    return when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)


def _check_dates(timetable: Timetable, day: date) -> None:
    dates = timetable.service_dates()
    if dates is None or not dates[0] <= day <= dates[1]:
        first, last = (d.isoformat() for d in dates) if dates else (None, None)
        raise RoutingError(
            "no_accessible_route" if dates is None else "outside_service_dates",
            f"{day.isoformat()} is outside the timetable's service dates ({first} to {last})",
            {"field": "depart_at", "service_first_date": first, "service_last_date": last},
        )


def _stamp(day: date, seconds: float, zone: ZoneInfo) -> str:
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    return (midnight + timedelta(seconds=round(seconds))).isoformat()


# --- per-profile links ---------------------------------------------------------------
def stop_links(router, timetable: Timetable, metrics, profile: str, overrides) -> _Links:
    key = (id(router), id(timetable), profile, json.dumps(overrides or {}, sort_keys=True))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    links = _build_links(router, timetable, metrics)
    with _cache_lock:
        _cache[key] = links
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return links


def _build_links(router, timetable: Timetable, metrics) -> _Links:
    """Snap every served stop with the profile's rules, then walk transfers between them."""
    costs = metrics.costs
    snaps, arrive, leave = {}, {}, {}
    reachable = np.zeros(timetable.n_stops, dtype=bool)
    for stop in timetable.boardable_stops().tolist():
        try:
            snap = router.planner.snap(timetable.stop_latlon(stop), metrics, "stop")
        except RoutingError:
            continue
        if not snap.usable:  # only impassable ways near: not boardable for this profile
            continue
        snaps[stop] = snap
        arrive[stop] = _seeds(router, snap, costs, leaving=False)
        leave[stop] = _seeds(router, snap, costs, leaving=True)
        reachable[stop] = bool(arrive[stop] and leave[stop])
    frm, to, _ = timetable.transfer_candidates(TRANSFER_RADIUS_M)
    limit_s = TRANSFER_RADIUS_M * 2 / metrics.profile.params["speed_mps"]
    pairs: dict[int, list[int]] = {}
    for a, b in zip(frm.tolist(), to.tolist(), strict=True):
        if reachable[a] and reachable[b]:
            pairs.setdefault(a, []).append(b)
    walk_from, walk_to, walk_s = [], [], []
    for a, targets in pairs.items():
        costs_to = _reach(metrics.metric, leave[a], arrive, targets, limit_s)
        for b, seconds in costs_to.items():
            walk_from.append(a)
            walk_to.append(b)
            walk_s.append(int(np.ceil(seconds)))
    footpaths = raptor.Footpaths.from_pairs(
        timetable.n_stops,
        np.array(walk_from, np.int64),
        np.array(walk_to, np.int64),
        np.array(walk_s, np.int64),
    )
    return _Links(snaps, arrive, leave, reachable, footpaths)


def _seeds(router, snap, costs, leaving: bool) -> list[tuple[int, float]]:
    return [(n, c) for n, c, _ in router.planner.seeds(snap, costs.body_s, costs.node_s, leaving)]


def _reach(metric, sources, arrive: dict, stops: list[int], limit_s: float) -> dict[int, float]:
    """Profile seconds from seeded sources to each stop within limit_s (finite only)."""
    nodes = sorted({n for s in stops for n, _ in arrive[s]})
    if not sources or not nodes:
        return {}
    found = metric.one_to_many(sources, nodes, limit_s=limit_s)
    at = dict(zip(found.targets.tolist(), found.cost_s.tolist(), strict=True))
    out = {}
    for stop in stops:
        best = min((at.get(n, np.inf) + c for n, c in arrive[stop]), default=np.inf)
        if best <= limit_s:
            out[stop] = best
    return out


def needs_step_free(params: dict) -> bool:
    """Whether a profile is bound by the feeds' wheelchair fields (it cannot use steps)."""
    return not params["steps_allowed"]


def boarding_filter(
    tt: Timetable,
    params: dict,
    reachable: np.ndarray,
    *,
    known_trips_only: bool = False,
    strict: bool = True,
) -> raptor.BoardingFilter:
    """What a profile may board: never a trip or stop marked not accessible (a stop also
    when its pathways are stairs-only), unknown ones per `unknown_transit_access`.

    `reachable`: stops the profile can reach from the street. `known_trips_only` is the
    first of the two searches behind "unknown trips at a cost"; `strict=False` drops the
    accessibility rules (to name what a refused journey would have needed).
    """
    stop_ok = np.asarray(reachable, dtype=bool).copy()
    trip_ok, extra = None, None
    if needs_step_free(params) and strict:
        policy = params["unknown_transit_access"]
        stop_ok &= (tt.stop_wheelchair != 2) & (tt.stop_step_free != 2)
        trip_ok = tt.trip_wheelchair != 2
        if policy == "avoid":
            stop_ok &= tt.stop_wheelchair == 1
            trip_ok &= tt.trip_wheelchair == 1
        elif policy == "penalty":
            extra = np.where(tt.stop_wheelchair == 0, int(params["unknown_transit_access_s"]), 0)
            if known_trips_only:
                trip_ok &= tt.trip_wheelchair == 1
    return raptor.BoardingFilter(
        trip_allowed=trip_ok,
        stop_allowed=stop_ok,
        board_slack_s=int(params["transit_board_s"]),
        min_transfer_s=int(params["transit_transfer_s"]),
        stop_extra_s=extra,
    )


# --- the transit search --------------------------------------------------------------
class _Transit:
    """One request's transit side: access, egress, filters, RAPTOR and answers."""

    def __init__(self, router, timetable: Timetable, metrics, links: _Links, zone) -> None:
        self.router, self.tt, self.metrics, self.links, self.zone = (
            router,
            timetable,
            metrics,
            links,
            zone,
        )
        self.params = metrics.profile.params
        self.needs_access = needs_step_free(self.params)
        self.day = date.min  # the service day; run() sets it before any journey is described

    def _access(self, start) -> list[tuple[int, int]]:
        if not start.usable:
            return []
        c = self.metrics.costs
        seeds = [(n, s) for n, s, _ in self.router.planner.seeds(start, c.body_s, c.node_s, True)]
        near = self._near(start.lat, start.lon)
        found = _reach(self.metrics.metric, seeds, self.links.arrive, near, self._limit_s())
        return [(stop, int(np.ceil(s))) for stop, s in found.items()]

    def _egress(self, end) -> dict[int, int]:
        if not end.usable:
            return {}
        c = self.metrics.costs
        targets = [(n, s) for n, s, _ in self.router.planner.seeds(end, c.body_s, c.node_s, False)]
        near = self._near(end.lat, end.lon)[:_EGRESS_CANDIDATES]
        if not near or not targets:
            return {}
        rows = [(stop, n, s) for stop in near for n, s in self.links.leave[stop]]
        cols = [n for n, _ in targets]
        grid = self.metrics.metric.matrix([r[1] for r in rows], cols)
        seconds = grid + np.array([s for _, s in targets])[None, :]
        out: dict[int, int] = {}
        for (stop, _, s), row in zip(rows, seconds.min(axis=1).tolist(), strict=True):
            total = s + row
            if total <= self._limit_s() and total < out.get(stop, np.inf):
                out[stop] = int(np.ceil(total))
        return out

    def _limit_s(self) -> float:
        # Profile cost never undercuts walking time, so this never exceeds max_access_m.
        return self.params["max_access_m"] / self.params["speed_mps"]

    def _near(self, lat: float, lon: float) -> list[int]:
        """Reachable stops within max_access_m in a straight line, nearest first."""
        stops = np.flatnonzero(self.links.reachable)
        dy = (self.tt.stop_lat[stops] - lat) * 111_195.0
        dx = (self.tt.stop_lon[stops] - lon) * 111_195.0 * np.cos(np.radians(lat))
        d = np.hypot(dx, dy)
        keep = d <= self.params["max_access_m"]
        return stops[keep][np.argsort(d[keep])].tolist()

    def _filter(self, trips_known_only: bool, strict: bool = True) -> raptor.BoardingFilter:
        return boarding_filter(
            self.tt,
            self.params,
            self.links.reachable,
            known_trips_only=trips_known_only,
            strict=strict,
        )

    def _query(self, start, end, when: datetime, backwards: bool) -> raptor.Query | None:
        access, egress = self._access(start), self._egress(end)
        self.access_found, self.egress_found = bool(access), bool(egress)
        if not access or not egress:
            return None
        self.day = when.date()
        seconds = when.hour * 3600 + when.minute * 60 + when.second
        window = _ARRIVE_BY_WINDOW_S if backwards else _WINDOW_S
        depart = seconds - window if backwards else seconds
        return raptor.Query(
            day=self.day,
            depart_s=depart,
            access=access,
            egress=egress,
            window_s=window,
            max_transfers=_MAX_TRANSFERS,
        )

    def _journeys(self, query, backwards: bool, limit: int, strict: bool = True) -> list:
        searches = [self._filter(False, strict)]
        if (
            strict
            and self.needs_access
            and self.params["unknown_transit_access"] == "penalty"
            and (self.tt.trip_wheelchair == 1).any()
        ):
            searches.insert(0, self._filter(True, strict))
        found: dict[tuple, raptor.Journey] = {}
        for boarding in searches:
            if backwards:
                page = raptor.search(self.tt, query, self.links.footpaths, boarding)
            else:
                page = raptor.next_journeys(
                    self.tt, query, self.links.footpaths, boarding, limit=limit * 2
                )
            for journey in page:
                found.setdefault(journey.signature(), journey)
        journeys = list(found.values())
        if backwards:
            end = query.depart_s + query.window_s
            journeys = [j for j in journeys if j.arrival_s <= end]
            return sorted(journeys, key=lambda j: (-j.departure_s, self._weight(j)))
        return sorted(journeys, key=self._weight)

    def _weight(self, journey: raptor.Journey) -> tuple:
        """Arrival plus the unknown-accessibility penalty per ride, then transfers."""
        unknown = 0
        if self.needs_access and self.params["unknown_transit_access"] == "penalty":
            unknown = sum(
                1
                for leg in journey.legs
                if isinstance(leg, raptor.RideLeg) and self.tt.trip_wheelchair[leg.trip] == 0
            )
        return (
            journey.arrival_s + unknown * self.params["unknown_transit_access_s"],
            journey.transfers,
        )

    def run(self, start, end, when: datetime, backwards: bool, limit: int) -> list[dict]:
        query = self._query(start, end, when, backwards)
        self.query = query
        if query is None:
            return []
        journeys = self._journeys(query, backwards, limit)
        return [self._itinerary(j, start, end) for j in journeys[:limit]]

    # --- answers ---------------------------------------------------------------------
    def _itinerary(self, journey: raptor.Journey, start, end) -> dict:
        legs = []
        for leg in journey.legs:
            if isinstance(leg, raptor.RideLeg):
                legs.append(self._ride(leg))
            else:
                legs.append(self._walk(leg, start, end))
        walk_m = sum(leg.get("distance_m", 0.0) for leg in legs if leg["mode"] == "walk")
        return {
            "kind": "transit",
            "departure": _stamp(self.day, journey.departure_s, self.zone),
            "arrival": _stamp(self.day, journey.arrival_s, self.zone),
            "duration_s": journey.arrival_s - journey.departure_s,
            "transfers": journey.transfers,
            "walk_m": round(walk_m, 1),
            "legs": legs,
        }

    def _walk(self, leg, start, end) -> dict:
        tt = self.tt
        if isinstance(leg, raptor.AccessLeg):
            a, b = (start.lat, start.lon), tt.stop_latlon(leg.stop)
            ends = {"to_stop_id": tt.stop_id(leg.stop), "to_stop_name": tt.stop_name(leg.stop)}
        elif isinstance(leg, raptor.EgressLeg):
            a, b = tt.stop_latlon(leg.stop), (end.lat, end.lon)
            ends = {"from_stop_id": tt.stop_id(leg.stop), "from_stop_name": tt.stop_name(leg.stop)}
        else:
            a, b = tt.stop_latlon(leg.from_stop), tt.stop_latlon(leg.to_stop)
            ends = {
                "from_stop_id": tt.stop_id(leg.from_stop),
                "from_stop_name": tt.stop_name(leg.from_stop),
                "to_stop_id": tt.stop_id(leg.to_stop),
                "to_stop_name": tt.stop_name(leg.to_stop),
            }
        route = _street_route(self.router, self.metrics, a, b)
        return {
            "mode": "walk",
            "departure": _stamp(self.day, leg.depart_s, self.zone),
            "arrival": _stamp(self.day, leg.arrive_s, self.zone),
            **ends,
            **route,
        }

    def _ride(self, leg: raptor.RideLeg) -> dict:
        tt = self.tt
        info = tt.trip_info(leg.trip)
        board, alight = leg.board_stop, leg.alight_stop
        warnings = []
        if self.needs_access and info.wheelchair_accessible == "unknown":
            warnings.append(_transit_warning("transit_low_floor_unknown", trip_id=info.trip_id))
        for stop in (board, alight):
            if self.needs_access and tt.stop_wheelchair_word(stop) == "unknown":
                warnings.append(
                    _transit_warning("transit_stop_access_unknown", stop_id=tt.stop_id(stop))
                )
        if info.estimated_timetable:
            warnings.append(_transit_warning("transit_estimated_timetable", feed=info.feed))
        return {
            "mode": info.mode,
            "route_id": info.route_id,
            "route_short_name": info.route_short_name,
            "route_long_name": info.route_long_name,
            "headsign": info.headsign,
            "trip_id": info.trip_id,
            "service_day_offset": leg.day_offset,
            "from_stop_id": tt.stop_id(board),
            "from_stop_name": tt.stop_name(board),
            "to_stop_id": tt.stop_id(alight),
            "to_stop_name": tt.stop_name(alight),
            "departure": _stamp(self.day, leg.depart_s, self.zone),
            "arrival": _stamp(self.day, leg.arrive_s, self.zone),
            "intermediate_stops": [
                {
                    "stop_id": tt.stop_id(s),
                    "name": tt.stop_name(s),
                    "departure": _stamp(self.day, t, self.zone),
                }
                for s, t in zip(leg.stops[1:-1], leg.stop_times_s[1:-1], strict=True)
            ],
            "wheelchair_accessible": info.wheelchair_accessible,
            "from_wheelchair_boarding": tt.stop_wheelchair_word(board),
            "to_wheelchair_boarding": tt.stop_wheelchair_word(alight),
            "headway_s": info.headway_s,
            "exact_times": info.exact_times,
            "estimated_timetable": info.estimated_timetable,
            "geometry": _ride_line(tt, leg),
            "warnings": warnings,
        }

    # --- failures --------------------------------------------------------------------
    def refusal(self, backwards: bool) -> tuple[list[str], list[str]] | None:
        """(trips, stops) the profile may not board that the best refused journey needs;
        None when even without the accessibility rules no journey exists."""
        if self.query is None or not self.needs_access:
            return None
        loose = self._journeys(self.query, backwards, 3, strict=False)
        refused = self._refused(loose[0]) if loose else None
        return refused if refused and (refused[0] or refused[1]) else None

    def explain(self, when: datetime, backwards: bool) -> None:
        """Raise no_accessible_route saying why no itinerary exists."""
        name = self.metrics.profile.name
        details: dict = {"profile": name}
        if self.query is None:
            side = "origin" if not self.access_found else "destination"
            raise RoutingError(
                "no_accessible_route",
                f"no stop usable by profile {name!r} within "
                f"{self.params['max_access_m']:.0f} m of the {side}, and no street route",
                details | {"reason": "no_stop_within_reach", "side": side},
            )
        refused = self.refusal(backwards)
        if refused is not None:
            raise RoutingError(
                "no_accessible_route",
                _refusal_message(name, *refused),
                details
                | {"reason": "only_inaccessible_trips", "trips": refused[0], "stops": refused[1]},
            )
        raise RoutingError(
            "no_accessible_route",
            f"no public transport service connects these places around {when.isoformat()}",
            details | {"reason": "no_service"},
        )

    def _refused(self, journey: raptor.Journey) -> tuple[list[str], list[str]]:
        tt, trips, stops = self.tt, [], []
        strict = self._filter(False)
        for leg in journey.legs:
            if not isinstance(leg, raptor.RideLeg):
                continue
            if strict.trip_allowed is not None and not strict.trip_allowed[leg.trip]:
                trips.append(tt.trip_info(leg.trip).trip_id)
            for stop in (leg.board_stop, leg.alight_stop):
                if strict.stop_allowed is not None and not strict.stop_allowed[stop]:
                    stops.append(tt.stop_id(stop))
        return trips, sorted(set(stops))


def _ride_line(tt: Timetable, leg: raptor.RideLeg) -> dict:
    """GeoJSON line of a ride: the feed's shape, else straight between its stops."""
    points = tt.shape_between(leg.trip, leg.board_stop, leg.alight_stop)
    source = "shape"
    if len(points) < 2:
        points, source = [tt.stop_latlon(s) for s in leg.stops], "stops"
    coordinates = [[round(lon, 7), round(lat, 7)] for lat, lon in points]
    return {"type": "LineString", "coordinates": coordinates, "source": source}


def _refusal_message(profile: str, trips: list[str], stops: list[str]) -> str:
    return (
        f"the only transit journeys found need vehicles or stops profile {profile!r} cannot "
        f"board: trips {', '.join(trips) or '-'}; stops {', '.join(stops) or '-'}"
    )


def _transit_warning(code: str, **params: str) -> dict:
    assert code in TRANSIT_WARNING_CODES, code
    messages = {
        "transit_low_floor_unknown": "the feed does not say whether trip {trip_id} is low-floor",
        "transit_stop_access_unknown": "the feed does not say whether stop {stop_id} is "
        "accessible by wheelchair",
        "transit_estimated_timetable": "times of feed {feed} are estimated, not a real timetable",
        "transit_only_inaccessible": "{message}",
    }
    return {"code": code, "message": messages[code].format(**params), "params": params}


# --- street legs -----------------------------------------------------------------------
def _street_route(router, metrics, a: tuple[float, float], b: tuple[float, float]) -> dict:
    """The /api/v1/route answer's route for one walk leg (same builder and warnings)."""
    try:
        plan = router.planner.plan(metrics, a, b)
    except RoutingError:
        return {"distance_m": 0.0, "segments": [], "warnings": []}
    return presenter.answer(metrics.profile, None, plan, None)["routes"][0]


def _street_only(router, metrics, profile, overrides, origin, destination, when, zone):
    try:
        answer = router.route(origin, destination, profile, overrides)
    except RoutingError as error:
        if error.code == "no_accessible_route":
            return None
        raise
    route = answer["routes"][0]
    depart = when  # with arrive_by, _with_street moves the walk to end at `when`
    arrive = depart + timedelta(seconds=round(route["duration_s"]))
    return {
        "kind": "street",
        "departure": depart.isoformat(),
        "arrival": arrive.isoformat(),
        "duration_s": route["duration_s"],
        "transfers": 0,
        "walk_m": route["distance_m"],
        "legs": [
            {"mode": "walk", "departure": depart.isoformat(), "arrival": arrive.isoformat()} | route
        ],
    }


def _with_street(itineraries: list[dict], street: dict, backwards: bool) -> list[dict]:
    """Add the street-only journey; it leads when it arrives no later than the best transit
    journey, or when transit makes one walk more than it saves."""
    if backwards:
        arrive = datetime.fromisoformat(street["departure"])
        depart = arrive - timedelta(seconds=street["duration_s"])
        street = street | {"departure": depart.isoformat(), "arrival": arrive.isoformat()}
        street["legs"] = [
            street["legs"][0] | {"departure": depart.isoformat(), "arrival": arrive.isoformat()}
        ]
    if not itineraries:
        return [street]
    best = itineraries[0]
    street_arrival = datetime.fromisoformat(street["arrival"])
    transit_arrival = datetime.fromisoformat(best["arrival"])
    street_wins = (
        (street_arrival <= transit_arrival)
        if not backwards
        else (
            datetime.fromisoformat(street["departure"]) >= datetime.fromisoformat(best["departure"])
        )
    ) or best["walk_m"] >= street["walk_m"]
    return [street, *itineraries] if street_wins else [*itineraries, street]


# --- spoken maneuvers ----------------------------------------------------------------------
_RAMP_WORDS = {"accessible": "yes", "not_accessible": "no", "unknown": "unknown"}


def _say_board(event: dict, lang: str) -> dict:
    low_floor = messages.say(lang, f"dir_ramp_{_RAMP_WORDS[event['wheelchair_accessible']]}")
    line = messages.say(
        lang,
        "dir_transit_board",
        route=event["route"],
        headsign=event["headsign"],
        low_floor=low_floor,
    )
    return event | {"lang": lang, "alert": line, "before": line, "after": "", "text": line}


def _say_ride(event: dict, lang: str) -> dict:
    stops = messages.say(lang, "dir_stops", n=event["stops"])
    line = messages.say(lang, "dir_transit_ride", stops=stops, stop=event["stop"])
    return event | {"lang": lang, "alert": line, "before": line, "after": "", "text": line}


directions._TRANSIT_HOOKS.update({"board": _say_board, "ride": _say_ride})


def add_maneuvers(answer: dict, lang: str, parameters: dict, destination) -> dict:
    """Spoken maneuvers on every leg (in place): walk legs as /api/v1/route says them,
    rides as board (route, direction, low floor) and ride (stops, where to get off)."""
    for itinerary in answer["itineraries"]:
        for leg in itinerary["legs"]:
            if leg["mode"] == "walk":
                if leg.get("segments"):
                    leg["maneuvers"] = directions.maneuvers(
                        {"profile": answer["profile"], "routes": [leg]},
                        lang,
                        parameters,
                        destination,
                    )
                continue
            events = [
                {
                    "code": "board",
                    "route": leg["route_short_name"] or leg["route_id"],
                    "headsign": leg["headsign"] or leg["to_stop_name"],
                    "stop": leg["from_stop_name"],
                    "wheelchair_accessible": leg["wheelchair_accessible"],
                },
                {
                    "code": "ride",
                    "stops": len(leg["intermediate_stops"]) + 1,
                    "stop": leg["to_stop_name"],
                },
            ]
            leg["maneuvers"] = [directions.phrase(event, lang) for event in events]
    return answer
