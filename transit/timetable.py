"""The compiled timetable: arrays (transit.npz) + names and reports (transit.json).

This is the one object the planner holds. RAPTOR reads only the arrays named in
`raptor.TimetableData`; everything else here answers the planner's questions
about stops, trips and feeds (names, modes, accessibility words, shapes,
service dates, transfer candidates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from transit import codes

NPZ = "transit.npz"
META = "transit.json"
EARTH_RADIUS_M = 6_371_008.8
# Key spacing for the global sorted departure index: larger than any time span.
_KEY_SPAN = 1 << 22


@dataclass(frozen=True)
class TripInfo:
    """What an answer says about one compiled trip."""

    trip_id: str
    route_id: str
    route_short_name: str
    route_long_name: str
    mode: str
    headsign: str
    wheelchair_accessible: str
    headway_s: int | None
    exact_times: bool | None
    estimated_timetable: bool
    feed: str


class Timetable:
    """Compiled transit data over one or more feeds (see docs/transit.md).

    Every array of transit.npz (written by `transit.compile`) is set as an attribute of
    the same name; they are declared here so the readers below are type-checked.
    """

    stop_lat: np.ndarray
    stop_lon: np.ndarray
    stop_parent: np.ndarray
    stop_location_type: np.ndarray
    stop_wheelchair: np.ndarray
    stop_step_free: np.ndarray
    stop_feed: np.ndarray
    route_mode: np.ndarray
    route_type: np.ndarray
    service_first_day: np.ndarray
    service_active: np.ndarray  # bool, one row per day from service_first_day, column per service
    pattern_pos_ptr: np.ndarray
    pattern_trip_ptr: np.ndarray
    pos_stop: np.ndarray
    time_dep: np.ndarray
    time_arr: np.ndarray
    trip_route: np.ndarray
    trip_service: np.ndarray
    trip_wheelchair: np.ndarray
    trip_shape: np.ndarray
    trip_headway_s: np.ndarray
    trip_exact_times: np.ndarray
    trip_estimated: np.ndarray
    trip_first_dep: np.ndarray
    trip_template: np.ndarray
    shape_ptr: np.ndarray
    shape_latlon: np.ndarray
    transfer_rows: np.ndarray

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.arrays = arrays
        self.meta = meta
        for name, value in arrays.items():
            setattr(self, name, value)
        self.n_stops = len(self.stop_lat)
        self.n_patterns = len(self.pattern_pos_ptr) - 1
        self.n_trips = len(self.trip_route)
        self.pos_pattern = np.repeat(
            np.arange(self.n_patterns, dtype=np.int64), np.diff(self.pattern_pos_ptr)
        )
        n_trips_of = np.diff(self.pattern_trip_ptr)
        self.pos_index = (
            np.arange(len(self.pos_stop), dtype=np.int64) - self.pattern_pos_ptr[self.pos_pattern]
        )
        # Start of each position's sorted departure column inside time_dep.
        time_ptr = np.concatenate([[0], np.cumsum(n_trips_of * np.diff(self.pattern_pos_ptr))])
        per_pos = n_trips_of[self.pos_pattern]
        self.pos_col_ptr = time_ptr[self.pos_pattern] + self.pos_index * per_pos
        self.pos_n_trips = n_trips_of[self.pos_pattern]
        self.pos_is_last = self.pos_index == np.diff(self.pattern_pos_ptr)[self.pos_pattern] - 1
        col_of = np.repeat(np.arange(len(self.pos_stop), dtype=np.int64), self.pos_n_trips)
        self.dep_key = col_of * _KEY_SPAN + (self.time_dep.astype(np.int64) + _KEY_SPAN // 2)
        self.trip_pattern = np.repeat(np.arange(self.n_patterns), n_trips_of)
        self._stop_index = {sid: i for i, sid in enumerate(meta["stop_ids"])}
        # Boardable positions (not a pattern's last) by stop, CSR: where RAPTOR boards.
        boardable = np.flatnonzero(~self.pos_is_last)
        order = np.argsort(self.pos_stop[boardable], kind="stable")
        self.stop_pos = boardable[order]
        counts = np.bincount(self.pos_stop[boardable], minlength=self.n_stops)
        self.stop_pos_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    # -- storage -----------------------------------------------------------------------
    def save(self, out_dir: Path) -> tuple[Path, Path]:
        out_dir = Path(out_dir)
        npz, meta = out_dir / NPZ, out_dir / META
        with open(npz, "wb") as handle:
            # numpy's stub types savez's keyword arrays as bool.
            np.savez(handle, **self.arrays)  # type: ignore[arg-type]
        meta.write_text(json.dumps(self.meta, ensure_ascii=False))
        return npz, meta

    @classmethod
    def load(cls, directory: Path) -> Timetable:
        directory = Path(directory)
        with np.load(directory / NPZ) as data:
            arrays = {name: data[name] for name in data.files}
        return cls(arrays, json.loads((directory / META).read_text(encoding="utf-8")))

    # -- RAPTOR data ---------------------------------------------------------------------
    def services_active(self, day: date) -> np.ndarray:
        """Bool per service: does it run on service date `day`?"""
        row = day.toordinal() - int(self.service_first_day[0])
        if row < 0 or row >= len(self.service_active):
            return np.zeros(len(self.meta["service_ids"]), dtype=bool)
        return self.service_active[row]

    def trip_times(self, trip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(stops, arrivals_s, departures_s) of compiled trip `trip` on its service day."""
        p = int(self.trip_pattern[trip])
        lo, hi = int(self.pattern_pos_ptr[p]), int(self.pattern_pos_ptr[p + 1])
        local = trip - int(self.pattern_trip_ptr[p])
        idx = self.pos_col_ptr[lo:hi] + local
        return self.pos_stop[lo:hi], self.time_arr[idx], self.time_dep[idx]

    # -- questions the planner asks ------------------------------------------------------
    def stop_index(self, stop_id: str) -> int:
        return self._stop_index[stop_id]

    def stop_id(self, stop: int) -> str:
        return self.meta["stop_ids"][stop]

    def stop_name(self, stop: int) -> str:
        return self.meta["stop_names"][stop]

    def stop_latlon(self, stop: int) -> tuple[float, float]:
        return float(self.stop_lat[stop]), float(self.stop_lon[stop])

    def stop_wheelchair_word(self, stop: int) -> str:
        return codes.ACCESS_WORDS[int(self.stop_wheelchair[stop])]

    def stop_step_free_word(self, stop: int) -> str:
        return codes.STEP_FREE_WORDS[int(self.stop_step_free[stop])]

    def boardable_stops(self) -> np.ndarray:
        """Indices of stops some trip serves (those worth linking to the street graph)."""
        return np.unique(self.pos_stop)

    def served_stop_modes(self) -> dict[int, frozenset[str]]:
        """Mode words (codes.MODE_WORDS) of the routes that serve each served stop.

        Place search lists a stop a metro route serves as a metro station.
        """
        if not self.n_trips:
            return {}
        n_trips_of = np.diff(self.pattern_trip_ptr)
        first_trip = np.minimum(self.pattern_trip_ptr[:-1], self.n_trips - 1)
        pattern_mode = np.where(n_trips_of > 0, self.route_mode[self.trip_route[first_trip]], -1)
        modes: dict[int, set[str]] = {}
        pos_mode = pattern_mode[self.pos_pattern].tolist()
        for stop, mode in zip(self.pos_stop.tolist(), pos_mode, strict=True):
            if mode >= 0:
                modes.setdefault(stop, set()).add(codes.MODE_WORDS[mode])
        return {stop: frozenset(words) for stop, words in modes.items()}

    def trip_info(self, trip: int) -> TripInfo:
        template = int(self.trip_template[trip])
        route = int(self.trip_route[trip])
        headway = int(self.trip_headway_s[trip])
        exact = int(self.trip_exact_times[trip])
        feed = self.meta["feeds"][
            int(self.stop_feed[self.pos_stop[self.pattern_pos_ptr[self.trip_pattern[trip]]]])
        ]
        return TripInfo(
            trip_id=self.meta["template_trip_ids"][template],
            route_id=self.meta["route_ids"][route],
            route_short_name=self.meta["route_short_names"][route],
            route_long_name=self.meta["route_long_names"][route],
            mode=codes.MODE_WORDS[int(self.route_mode[route])],
            headsign=self.meta["template_headsigns"][template],
            wheelchair_accessible=codes.ACCESS_WORDS[int(self.trip_wheelchair[trip])],
            headway_s=headway or None,
            exact_times=None if exact < 0 else bool(exact),
            estimated_timetable=bool(self.trip_estimated[trip]),
            feed=feed["key"],
        )

    def shape_between(self, trip: int, from_stop: int, to_stop: int) -> list[tuple[float, float]]:
        """(lat, lon) points of the trip's shape from one stop to another; [] without shapes.

        Stops are matched to the nearest shape vertex, the second searched after the first
        so loops do not fold back.
        """
        shape = int(self.trip_shape[trip])
        if shape < 0:
            return []
        pts = self.shape_latlon[self.shape_ptr[shape] : self.shape_ptr[shape + 1]]
        a = _nearest(pts, self.stop_lat[from_stop], self.stop_lon[from_stop])
        b = a + _nearest(pts[a:], self.stop_lat[to_stop], self.stop_lon[to_stop])
        return [(float(lat), float(lon)) for lat, lon in pts[a : b + 1]]

    def service_dates(self) -> tuple[date, date] | None:
        """First and last date any service runs, or None when no service is defined."""
        days = np.flatnonzero(self.service_active.any(axis=1))
        if not len(days):
            return None
        first = int(self.service_first_day[0])
        return date.fromordinal(first + int(days[0])), date.fromordinal(first + int(days[-1]))

    def transfer_candidates(self, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(from_stop, to_stop, straight-line metres) for boardable stop pairs within radius.

        Both directions are listed; the planner walks each over the street graph per
        profile and passes the results to RAPTOR as footpaths.
        """
        stops = self.boardable_stops()
        lat = np.radians(self.stop_lat[stops])
        lon = np.radians(self.stop_lon[stops])
        y = lat * EARTH_RADIUS_M
        x = lon * EARTH_RADIUS_M * np.cos(np.mean(lat) if len(lat) else 0.0)
        order = np.argsort(y)
        ys = y[order]
        froms, tos, dists = [], [], []
        for i in range(len(stops)):
            lo, hi = np.searchsorted(ys, [y[i] - radius_m, y[i] + radius_m])
            cand = order[lo:hi]
            d = np.hypot(x[cand] - x[i], y[cand] - y[i])
            keep = (d <= radius_m) & (cand != i)
            froms.append(np.full(keep.sum(), stops[i]))
            tos.append(stops[cand[keep]])
            dists.append(d[keep])
        if not froms:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(froms), np.concatenate(tos), np.concatenate(dists)

    def report(self) -> list[dict]:
        """The build's feed reports (see transit.build._report); [] if built in memory."""
        return self.meta.get("report", [])

    def feed_summaries(self) -> list[dict]:
        """Per feed: key, time zone, estimated flag and service dates (for /health)."""
        reports = {r["feed"]: r for r in self.report()}
        return [
            {
                "key": f["key"],
                "timezone": f["timezone"],
                "estimated_timetable": f["estimated_timetable"],
                "service_first_date": reports.get(f["key"], {}).get("service_first_date"),
                "service_last_date": reports.get(f["key"], {}).get("service_last_date"),
            }
            for f in self.meta["feeds"]
        ]


def _nearest(pts: np.ndarray, lat: float, lon: float) -> int:
    scale = np.cos(np.radians(lat))
    return int(np.argmin((pts[:, 0] - lat) ** 2 + ((pts[:, 1] - lon) * scale) ** 2))
