"""Range-RAPTOR over the compiled timetable, vectorised with numpy.

Like OpenTripPlanner's raptor module this knows nothing of HTTP, streets or
profiles: the caller gives access and egress times to stops, footpaths between
stops, and what may be boarded (`BoardingFilter`); RAPTOR answers the
Pareto-optimal journeys on (departure, arrival, transfers).

Each round rides one more vehicle. A round scans, for every pattern touched by a
stop improved in the previous round, the earliest usable trip at each position
(one global `searchsorted` over the position-sorted departure columns), carries
the earliest trip along the pattern (a segmented running minimum: patterns are
FIFO so the smallest trip rank is the earliest trip) and alights everywhere
after. Trips of the previous service day run with times -24 h, so a bus at
25:10 of yesterday is found at 01:10 today (GTFS service days).

Range-RAPTOR: origin departures in the window are processed latest first and
labels are kept between them (rRAPTOR), so each later run only improves labels.
Departures are grouped by `range_step_s` (default one minute) to bound work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol

import numpy as np

DAY_S = 86_400
INF = np.iinfo(np.int64).max // 4
_KEY_SPAN = 1 << 22  # must equal timetable._KEY_SPAN
_POS_BITS = 4096  # longest pattern (positions) the encoding allows
# Journeys longer than this are not looked for on the next service day.
NEXT_DAY_HORIZON_S = 6 * 3600


class TimetableData(Protocol):
    """The arrays RAPTOR reads (transit.timetable.Timetable provides them)."""

    n_stops: int
    n_trips: int
    pos_stop: np.ndarray  # stop per pattern position (positions grouped by pattern)
    pos_pattern: np.ndarray
    pos_index: np.ndarray  # position within its pattern
    pos_col_ptr: np.ndarray  # start of the position's sorted departure column
    pos_n_trips: np.ndarray
    pos_is_last: np.ndarray
    stop_pos_ptr: np.ndarray  # CSR by stop over stop_pos: positions one can board at
    stop_pos: np.ndarray
    pattern_pos_ptr: np.ndarray
    pattern_trip_ptr: np.ndarray
    time_dep: np.ndarray
    time_arr: np.ndarray
    dep_key: np.ndarray  # position * _KEY_SPAN + departure + _KEY_SPAN/2, sorted
    trip_service: np.ndarray
    trip_pattern: np.ndarray

    def services_active(self, day: date) -> np.ndarray: ...


@dataclass(frozen=True)
class Footpaths:
    """Walking transfers between stops, CSR by origin stop: ptr, to, seconds."""

    ptr: np.ndarray
    to: np.ndarray
    seconds: np.ndarray

    @classmethod
    def from_pairs(
        cls, n_stops: int, frm: np.ndarray, to: np.ndarray, seconds: np.ndarray
    ) -> Footpaths:
        order = np.argsort(frm, kind="stable")
        counts = np.bincount(np.asarray(frm, np.int64)[order], minlength=n_stops)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(ptr, np.asarray(to, np.int64)[order], np.asarray(seconds, np.int64)[order])

    @classmethod
    def none(cls, n_stops: int) -> Footpaths:
        return cls(np.zeros(n_stops + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


@dataclass(frozen=True)
class BoardingFilter:
    """What the traveller may use: trips and stops (None: all), and time margins.

    `board_slack_s` is added before every boarding (e.g. ramp deployment);
    `min_transfer_s` between alighting and the next boarding. `stop_extra_s`
    (seconds per stop, None: 0) is a per-stop boarding cost, e.g. for a stop whose
    accessibility is unknown: time to check it. A per-trip cost is not offered:
    it would break the sorted-trip search that makes RAPTOR fast; use
    `trip_allowed` (or two searches) instead.
    """

    trip_allowed: np.ndarray | None = None
    stop_allowed: np.ndarray | None = None
    board_slack_s: int = 0
    min_transfer_s: int = 0
    stop_extra_s: np.ndarray | None = None


@dataclass(frozen=True)
class Query:
    """One search. Times are seconds after midnight of the local service date `day`.

    `access`: (stop, seconds from the origin to the stop); `egress`: stop -> seconds
    from the stop to the destination.
    """

    day: date
    depart_s: int
    access: Sequence[tuple[int, int]]
    egress: Mapping[int, int]
    window_s: int = 3600
    max_transfers: int = 4
    range_step_s: int = 60


@dataclass(frozen=True)
class AccessLeg:
    stop: int
    depart_s: int
    arrive_s: int


@dataclass(frozen=True)
class RideLeg:
    trip: int  # compiled trip index (Timetable.trip_info)
    day_offset: int  # -1: trip of the previous service date
    board_stop: int
    alight_stop: int
    depart_s: int
    arrive_s: int
    stops: tuple[int, ...]  # board stop, intermediate stops, alight stop
    stop_times_s: tuple[int, ...]  # departure at each of `stops` (arrival at the last)


@dataclass(frozen=True)
class WalkLeg:
    from_stop: int
    to_stop: int
    depart_s: int
    arrive_s: int


@dataclass(frozen=True)
class EgressLeg:
    stop: int
    depart_s: int
    arrive_s: int


@dataclass(frozen=True)
class Journey:
    departure_s: int
    arrival_s: int
    transfers: int
    legs: tuple = field(default_factory=tuple)

    def signature(self) -> tuple:
        return tuple(
            (leg.trip, leg.day_offset, leg.board_stop, leg.alight_stop)
            for leg in self.legs
            if isinstance(leg, RideLeg)
        )


def search(
    tt: TimetableData,
    query: Query,
    footpaths: Footpaths,
    boarding: BoardingFilter = BoardingFilter(),
) -> list[Journey]:
    """Pareto-optimal journeys (later departure, earlier arrival, fewer transfers)."""
    return _Search(tt, query, footpaths, boarding).run()


def next_journeys(
    tt: TimetableData,
    query: Query,
    footpaths: Footpaths,
    boarding: BoardingFilter = BoardingFilter(),
    limit: int = 5,
) -> list[Journey]:
    """Up to `limit` journeys leaving within the window, found page by page (like
    OpenTripPlanner's paging): one single-departure search at depart_s, then the next
    one second after the latest departure found, until the window or `limit` is reached.

    Much faster than `search` over a long window on dense networks (each page is one
    full search, not one per minute), at the price of completeness: a journey that
    leaves between two pages' departures but is not the best from either is not listed.
    """
    found: dict[tuple, Journey] = {}
    depart, end = query.depart_s, query.depart_s + query.window_s
    while depart <= end and len(found) < limit:
        page = search(tt, replace(query, depart_s=depart, window_s=0), footpaths, boarding)
        if not page:
            break
        for journey in page:
            if journey.departure_s <= end:
                found.setdefault(journey.signature(), journey)
        depart = max(j.departure_s for j in page) + 1
    return _pareto(list(found.values()))[:limit]


class _Search:
    def __init__(self, tt: TimetableData, q: Query, fp: Footpaths, bf: BoardingFilter) -> None:
        self.tt, self.q, self.fp, self.bf = tt, q, fp, bf
        n = tt.n_stops
        self.rounds = q.max_transfers + 1
        self.stop_ok = bf.stop_allowed if bf.stop_allowed is not None else np.ones(n, bool)
        self.offsets = self._offsets()
        self.next_ok = {o: self._next_usable(o) for o in self.offsets}
        shape = (self.rounds + 1, n)
        self.arr = np.full(shape, INF, np.int64)  # best arrival per round (ride or walk)
        self.ride_arr = np.full(shape, INF, np.int64)
        self.ride_trip = np.full(shape, -1, np.int64)
        self.ride_off = np.zeros(shape, np.int64)
        self.ride_board = np.full(shape, -1, np.int64)  # global position boarded
        self.ride_alight = np.full(shape, -1, np.int64)
        self.walk_arr = np.full(shape, INF, np.int64)
        self.walk_from = np.full(shape, -1, np.int64)
        self.access = {int(s): int(a) for s, a in q.access}
        self.eg_stops = np.array(list(q.egress.keys()), np.int64)
        self.eg_s = np.array(list(q.egress.values()), np.int64)
        self.none = (int(tt.pos_n_trips.max(initial=0)) + 1) * _POS_BITS

    # -- setup ---------------------------------------------------------------------------
    def _offsets(self) -> list[int]:
        offsets = [0]
        if len(self.tt.time_arr) and int(self.tt.time_arr.max()) >= DAY_S + self.q.depart_s:
            offsets.insert(0, -1)
        if self.q.depart_s + self.q.window_s + NEXT_DAY_HORIZON_S > DAY_S:
            offsets.append(1)
        return offsets

    def _next_usable(self, offset: int) -> np.ndarray:
        """Per trip: the first usable trip at or after it in its pattern (>= pattern end: none)."""
        tt = self.tt
        active = tt.services_active(self.q.day + timedelta(days=offset))
        usable = (tt.trip_service >= 0) & active[np.maximum(tt.trip_service, 0)]
        if self.bf.trip_allowed is not None:
            usable &= self.bf.trip_allowed
        idx = np.arange(tt.n_trips, dtype=np.int64)
        end = tt.pattern_trip_ptr[tt.trip_pattern + 1]
        value = np.where(usable, idx, end)
        # Reverse running minimum; values leaking from later patterns are >= this end.
        return np.minimum.accumulate(value[::-1])[::-1]

    def _origin_departures(self) -> list[int]:
        """Origin departure times to run, latest first; always ends with depart_s."""
        tt, q, bf = self.tt, self.q, self.bf
        times: set[int] = set()
        for stop, acc in self.access.items():
            if not self.stop_ok[stop]:
                continue
            pos = np.flatnonzero((tt.pos_stop == stop) & ~tt.pos_is_last)
            lead = acc + bf.board_slack_s
            if bf.stop_extra_s is not None:
                lead += int(bf.stop_extra_s[stop])
            for o in self.offsets:
                lo = q.depart_s + lead - o * DAY_S
                hi = lo + q.window_s
                for p in pos:
                    col = slice(tt.pos_col_ptr[p], tt.pos_col_ptr[p] + tt.pos_n_trips[p])
                    deps = tt.time_dep[col]
                    a, b = np.searchsorted(deps, [lo, hi + 1])
                    if a == b:
                        continue
                    trips = tt.pattern_trip_ptr[tt.pos_pattern[p]] + np.arange(a, b)
                    ok = self.next_ok[o][trips] == trips
                    times.update((deps[a:b][ok] + o * DAY_S - lead).tolist())
        step = max(1, self.q.range_step_s)
        # Within a step keep the latest departure: it dominates the earlier ones.
        binned: dict[int, int] = {}
        for t in times:
            b = (t - q.depart_s) // step
            binned[b] = max(binned.get(b, t), t)
        out = sorted(binned.values(), reverse=True)
        if not out or out[-1] != q.depart_s:
            out.append(q.depart_s)
        return out

    # -- run -----------------------------------------------------------------------------
    def run(self) -> list[Journey]:
        if not self.access or not len(self.eg_stops):
            return []
        found: dict[tuple, Journey] = {}
        for depart in self._origin_departures():
            for j in self._one_departure(depart):
                key = j.signature()
                old = found.get(key)
                if old is None or (j.departure_s, -j.arrival_s) > (old.departure_s, -old.arrival_s):
                    found[key] = j
        return _pareto(list(found.values()))

    def _one_departure(self, depart: int) -> list[Journey]:
        marked = np.zeros(self.tt.n_stops, bool)
        for stop, acc in self.access.items():
            t = depart + acc
            if t < self.arr[0, stop]:
                self.arr[0, stop] = t
                marked[stop] = True
        for k in range(1, self.rounds + 1):
            if not marked.any():
                break
            marked = self._round(k, marked)
        return self._journeys()

    def _round(self, k: int, marked: np.ndarray) -> np.ndarray:
        tt, bf = self.tt, self.bf
        improved = np.zeros(tt.n_stops, bool)
        qs = _positions_of(tt, np.flatnonzero(marked & self.stop_ok))
        if not len(qs):
            return improved
        extra = bf.board_slack_s + (bf.min_transfer_s if k > 1 else 0)
        ready = self.arr[k - 1, tt.pos_stop[qs]] + extra
        if bf.stop_extra_s is not None:
            ready = ready + bf.stop_extra_s[tt.pos_stop[qs]]
        patterns, first = np.unique(tt.pos_pattern[qs], return_index=True)
        positions, seg = _pattern_positions(tt, patterns, qs[first])
        where_q = np.searchsorted(positions, qs)
        cands = [self._scan(o, qs, ready, positions, seg, where_q) for o in self.offsets]
        stop, time, trip, off, board, alight = (np.concatenate(c) for c in zip(*cands, strict=True))
        if not len(stop):
            return improved
        sel, stop, time = _best_per_stop(tt.n_stops, stop, time)
        bound = np.minimum(self.arr[:k].min(axis=0)[stop], self.arr[k, stop])
        better = (time < bound) & (time < self._target_bound(k))
        s, sel = stop[better], sel[better]
        self.ride_arr[k, s] = time[better]
        self.ride_trip[k, s] = trip[sel]
        self.ride_off[k, s] = off[sel]
        self.ride_board[k, s] = board[sel]
        self.ride_alight[k, s] = alight[sel]
        self.arr[k, s] = time[better]
        improved[s] = True
        self._walk(k, s, improved)
        return improved

    def _scan(self, o, qs, ready, positions, seg, where_q):
        """Candidates (stop, arrival, trip, offset, board pos, alight pos) for day offset o."""
        tt = self.tt
        key = qs * _KEY_SPAN + (ready - o * DAY_S) + _KEY_SPAN // 2
        local = np.searchsorted(tt.dep_key, key) - tt.pos_col_ptr[qs]
        pat = tt.pos_pattern[qs]
        base = tt.pattern_trip_ptr[pat]
        ok = local < tt.pos_n_trips[qs]
        trip = self.next_ok[o][base + np.where(ok, local, 0)]
        ok &= trip < tt.pattern_trip_ptr[pat + 1]
        none = self.none
        value = np.full(len(positions), none, np.int64)
        value[where_q[ok]] = (trip[ok] - base[ok]) * _POS_BITS + tt.pos_index[qs[ok]]
        span = none + 1
        running = np.minimum.accumulate(value - seg * span) + seg * span
        carried = np.empty_like(running)
        carried[0] = none
        carried[1:] = running[:-1]
        carried[np.flatnonzero(np.diff(seg)) + 1] = none  # no carry into the next pattern
        stops = tt.pos_stop[positions]
        use = (carried != none) & self.stop_ok[stops]
        pos = positions[use]
        local_trip = carried[use] // _POS_BITS
        board_idx = carried[use] % _POS_BITS
        pattern = tt.pos_pattern[pos]
        arrival = tt.time_arr[tt.pos_col_ptr[pos] + local_trip].astype(np.int64) + o * DAY_S
        return (
            stops[use],
            arrival,
            tt.pattern_trip_ptr[pattern] + local_trip,
            np.full(len(pos), o, np.int64),
            tt.pattern_pos_ptr[pattern] + board_idx,
            pos,
        )

    def _walk(self, k: int, rode: np.ndarray, improved: np.ndarray) -> None:
        fp = self.fp
        counts = fp.ptr[rode + 1] - fp.ptr[rode]
        if not counts.sum():
            return
        src = np.repeat(rode, counts)
        edge = np.repeat(fp.ptr[rode] - np.cumsum(counts) + counts, counts) + np.arange(
            counts.sum()
        )
        dst = fp.to[edge]
        time = self.ride_arr[k, src] + fp.seconds[edge]
        sel, dst, time = _best_per_stop(self.tt.n_stops, dst, time)
        src = src[sel]
        bound = np.minimum(self.arr[:k].min(axis=0)[dst], self.arr[k, dst])
        better = (time < bound) & (dst != src) & (time < self._target_bound(k))
        d = dst[better]
        self.walk_arr[k, d] = time[better]
        self.walk_from[k, d] = src[better]
        self.arr[k, d] = time[better]
        improved[d] = True

    def _target_bound(self, k: int) -> int:
        """Best arrival at the destination with at most k rides so far (target pruning):
        a label arriving later cannot lead to a journey that is not dominated."""
        return int((self.arr[: k + 1, self.eg_stops] + self.eg_s).min())

    # -- answers -------------------------------------------------------------------------
    def _journeys(self) -> list[Journey]:
        out = []
        best = INF
        for k in range(1, self.rounds + 1):
            total = self.arr[k, self.eg_stops] + self.eg_s
            i = int(np.argmin(total))
            if total[i] >= best or self.arr[k, self.eg_stops[i]] >= INF:
                continue
            best = int(total[i])
            out.append(self._reconstruct(k, int(self.eg_stops[i]), int(self.eg_s[i])))
        return out

    def _reconstruct(self, k: int, stop: int, egress_s: int) -> Journey:
        tt = self.tt
        legs: list = []
        at = stop
        arrive = int(self.arr[k, stop])
        legs.append(EgressLeg(stop, arrive, arrive + egress_s))
        for r in range(k, 0, -1):
            if self.walk_arr[r, at] < self.ride_arr[r, at]:
                src = int(self.walk_from[r, at])
                legs.append(WalkLeg(src, at, int(self.ride_arr[r, src]), int(self.walk_arr[r, at])))
                at = src
            legs.append(self._ride_leg(r, at))
            at = int(tt.pos_stop[self.ride_board[r, at]])
        first_ride = legs[-1]
        acc = self.access[at]
        extra = 0 if self.bf.stop_extra_s is None else int(self.bf.stop_extra_s[at])
        leave = first_ride.depart_s - self.bf.board_slack_s - extra - acc
        legs.append(AccessLeg(at, leave, leave + acc))
        legs.reverse()
        return Journey(leave, arrive + egress_s, k - 1, tuple(legs))

    def _ride_leg(self, r: int, at: int) -> RideLeg:
        tt = self.tt
        trip, off = int(self.ride_trip[r, at]), int(self.ride_off[r, at])
        board, alight = int(self.ride_board[r, at]), int(self.ride_alight[r, at])
        local = trip - int(tt.pattern_trip_ptr[tt.trip_pattern[trip]])
        pos = np.arange(board, alight + 1)
        idx = tt.pos_col_ptr[pos] + local
        deps = tt.time_dep[idx].astype(np.int64) + off * DAY_S
        arrive = int(tt.time_arr[idx[-1]]) + off * DAY_S
        times = (*deps[:-1].tolist(), arrive)
        return RideLeg(
            trip,
            off,
            int(tt.pos_stop[board]),
            int(tt.pos_stop[alight]),
            int(deps[0]),
            arrive,
            tuple(int(s) for s in tt.pos_stop[pos]),
            tuple(int(t) for t in times),
        )


def _positions_of(tt: TimetableData, stops: np.ndarray) -> np.ndarray:
    """Sorted boardable positions of `stops`."""
    lo, hi = tt.stop_pos_ptr[stops], tt.stop_pos_ptr[stops + 1]
    counts = hi - lo
    idx = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    return np.sort(tt.stop_pos[idx])


def _best_per_stop(n_stops: int, stop: np.ndarray, time: np.ndarray) -> tuple:
    """(indices, stops, times) of the earliest candidate per stop."""
    best = np.full(n_stops, INF, np.int64)
    np.minimum.at(best, stop, time)
    sel = np.flatnonzero(time == best[stop])
    # Ties: keep one candidate per stop (the first), so all arrays agree.
    _, first = np.unique(stop[sel], return_index=True)
    sel = sel[first]
    return sel, stop[sel], time[sel]


def _pattern_positions(
    tt: TimetableData, patterns: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `patterns` from `starts` to each pattern's end, and each one's rank."""
    lengths = tt.pattern_pos_ptr[patterns + 1] - starts
    seg = np.repeat(np.arange(len(patterns), dtype=np.int64), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets, seg


def _pareto(journeys: list[Journey]) -> list[Journey]:
    journeys.sort(key=lambda j: (j.arrival_s, j.transfers, -j.departure_s))
    kept: list[Journey] = []
    for j in journeys:
        if not any(
            k.departure_s >= j.departure_s
            and k.arrival_s <= j.arrival_s
            and k.transfers <= j.transfers
            for k in kept
        ):
            kept.append(j)
    return sorted(kept, key=lambda j: (j.departure_s, j.arrival_s, j.transfers))
