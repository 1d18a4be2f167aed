"""Compile validated feeds into one numpy timetable in RAPTOR layout.

Why this layout: RAPTOR scans routes as *patterns* (trips with the same stop
sequence) and, at each stop, binary-searches the first trip it can catch. So
trips of a pattern are sorted and split until no trip overtakes another (FIFO),
and departure times are stored column by column (one contiguous sorted column
per pattern position). Frequency-based trips are expanded into departures; with
`exact_times=0` the headway is kept so answers can say "about every N min".
Several feeds share the arrays; their ids are prefixed `<feed key>:`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import SupportsInt

import numpy as np
import pandas as pd

from transit import codes
from transit.feed import FeedTables
from transit.pathways import step_free_codes


def compile_feeds(feeds: list[FeedTables]) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and metadata (names, ids, feed reports) of a timetable over `feeds`."""
    acc = _Accumulator()
    for feed in feeds:
        acc.add(feed)
    return acc.finish()


def feed_estimated(feed: FeedTables) -> tuple[bool, str]:
    """Whether the feed's times are estimates, and the rule that said so.

    GTFS marks approximate times with stop_times.timepoint=0; a feed whose trips
    are mostly such, or whose feed_info says its schedules are assumed/estimated
    (the Almaty feed says both), is flagged so answers can warn.
    """
    info = feed.feed_info
    if info is not None and len(info):
        text = " ".join(str(v) for v in info.iloc[0].to_numpy()).lower()
        for word in ("assumed", "estimated", "approximate"):
            if word in text:
                return True, f"feed_info says '{word}'"
    st = feed.stop_times
    if "timepoint" in st.columns and len(st):
        share = float((st["timepoint"].fillna(1).to_numpy() == 0).mean())
        if share > 0.5:
            return True, f"{share:.0%} of stop_times have timepoint=0 (approximate)"
    return False, "exact times"


class _Accumulator:
    def __init__(self) -> None:
        self.stop_ids: list[str] = []
        self.stop_names: list[str] = []
        self.stop_platform: list[str] = []
        self.stop_level: list[str] = []
        self.stop_cols: dict[str, list[np.ndarray]] = defaultdict(list)
        self.route_rows: list[dict] = []
        self.service_ids: list[str] = []
        self.service_days: list[set[int]] = []
        self.templates: list[dict] = []  # one per GTFS trip
        self.shape_ids: list[str] = []
        self.shape_pts: list[np.ndarray] = []
        self.transfers: list[np.ndarray] = []
        self.feeds: list[dict] = []

    # -- per feed ------------------------------------------------------------------
    def add(self, feed: FeedTables) -> None:
        k = feed.key
        stop_index = self._add_stops(feed)
        route_index = {rid: len(self.route_rows) + i for i, rid in enumerate(feed.routes.route_id)}
        for row in feed.routes.itertuples(index=False):
            self.route_rows.append(
                {
                    "id": f"{k}:{row.route_id}",
                    "short_name": _text(getattr(row, "route_short_name", None)),
                    "long_name": _text(getattr(row, "route_long_name", None)),
                    "mode": codes.mode_code(int(row.route_type)),
                    "route_type": int(row.route_type),
                    "feed": k,
                }
            )
        service_index = self._add_services(feed)
        shape_index = self._add_shapes(feed)
        estimated, rule = feed_estimated(feed)
        self._add_trips(feed, stop_index, route_index, service_index, shape_index, estimated)
        self._add_transfers(feed, stop_index)
        self.feeds.append(
            {
                "key": k,
                "path": str(feed.path),
                "estimated_timetable": estimated,
                "estimated_rule": rule,
                "timezone": _text(feed.agency["agency_timezone"].iloc[0]),
                "warnings": [w.to_dict() for w in feed.warnings],
            }
        )

    def _add_stops(self, feed: FeedTables) -> dict[str, int]:
        stops = feed.stops.reset_index(drop=True)
        base = len(self.stop_ids)
        index = {sid: base + i for i, sid in enumerate(stops.stop_id)}
        n = len(stops)
        self.stop_ids += [f"{feed.key}:{s}" for s in stops.stop_id]
        self.stop_names += [_text(v) for v in _col(stops, "stop_name", n)]
        self.stop_platform += [_text(v) for v in _col(stops, "platform_code", n)]
        self.stop_level += [_text(v) for v in _col(stops, "level_id", n)]
        parents = _col(stops, "parent_station", n)
        parent = np.array(
            [index.get(p, -1) if isinstance(p, str) else -1 for p in parents], dtype=np.int32
        )
        wheel = _int_col(stops, "wheelchair_boarding", n)
        wheel = np.where(np.isin(wheel, (1, 2)), wheel, codes.UNKNOWN).astype(np.int8)
        local_parent = np.where(parent >= 0, parent - base, -1)
        # A platform that says 0 (unknown) inherits from its parent station (GTFS rule).
        inherit = (wheel == codes.UNKNOWN) & (local_parent >= 0)
        wheel[inherit] = wheel[local_parent[inherit]]
        self.stop_cols["stop_lat"].append(stops.stop_lat.to_numpy(np.float64))
        self.stop_cols["stop_lon"].append(stops.stop_lon.to_numpy(np.float64))
        self.stop_cols["stop_parent"].append(parent)
        kinds = _int_col(stops, "location_type", n).astype(np.int8)
        self.stop_cols["stop_location_type"].append(kinds)
        self.stop_cols["stop_wheelchair"].append(wheel)
        self.stop_cols["stop_step_free"].append(step_free_codes(stops, feed.pathways))
        self.stop_cols["stop_feed"].append(np.full(n, len(self.feeds), dtype=np.int16))
        return index

    def _add_services(self, feed: FeedTables) -> dict[str, int]:
        days: dict[str, set[int]] = defaultdict(set)
        if feed.calendar is not None:
            for row in feed.calendar.itertuples(index=False):
                start, end = _ordinal(row.start_date), _ordinal(row.end_date)
                weekdays = [bool(getattr(row, d)) for d in codes.WEEKDAYS]
                for day in range(start, end + 1):
                    if weekdays[date.fromordinal(day).weekday()]:
                        days[row.service_id].add(day)
        if feed.calendar_dates is not None:
            for row in feed.calendar_dates.itertuples(index=False):
                day = _ordinal(row.date)
                if int(row.exception_type) == 1:
                    days[row.service_id].add(day)
                else:
                    days[row.service_id].discard(day)
        index = {}
        for sid, active in days.items():
            index[sid] = len(self.service_ids)
            self.service_ids.append(f"{feed.key}:{sid}")
            self.service_days.append(active)
        return index

    def _add_shapes(self, feed: FeedTables) -> dict[str, int]:
        if feed.shapes is None or not len(feed.shapes):
            return {}
        index = {}
        shapes = feed.shapes.sort_values(["shape_id", "shape_pt_sequence"], kind="stable")
        for sid, group in shapes.groupby("shape_id", sort=False):
            index[sid] = len(self.shape_ids)
            self.shape_ids.append(f"{feed.key}:{sid}")
            self.shape_pts.append(group[["shape_pt_lat", "shape_pt_lon"]].to_numpy(np.float64))
        return index

    def _add_trips(self, feed, stop_index, route_index, service_index, shape_index, estimated):
        st = feed.stop_times
        freq = defaultdict(list)
        if feed.frequencies is not None:
            for row in feed.frequencies.itertuples(index=False):
                exact = _int_or(getattr(row, "exact_times", 0), 0)
                freq[row.trip_id].append((row.start_s, row.end_s, int(row.headway_secs), exact))
        trips = feed.trips.set_index("trip_id")
        shape_col = "shape_id" in trips.columns
        for trip_id, group in st.groupby("trip_id", sort=False):
            if len(group) < 2:
                continue  # a one-stop trip cannot carry anyone anywhere
            row = trips.loc[trip_id]
            wheel = _int_or(row.get("wheelchair_accessible"), 0)
            self.templates.append(
                {
                    "id": f"{feed.key}:{trip_id}",
                    "stops": np.array([stop_index[s] for s in group.stop_id], dtype=np.int32),
                    "arr": group.arrival_s.to_numpy(np.int64),
                    "dep": group.departure_s.to_numpy(np.int64),
                    "route": route_index[row["route_id"]],
                    "service": service_index.get(row["service_id"], -1),
                    "wheelchair": wheel if wheel in (1, 2) else codes.UNKNOWN,
                    "headsign": _text(row.get("trip_headsign")),
                    "shape": shape_index.get(row["shape_id"], -1) if shape_col else -1,
                    "freq": freq.get(trip_id, []),
                    "estimated": estimated,
                    "feed": len(self.feeds),
                }
            )

    def _add_transfers(self, feed: FeedTables, stop_index: dict[str, int]) -> None:
        if feed.transfers is None or not len(feed.transfers):
            return
        tr = feed.transfers
        min_s = (
            pd.to_numeric(tr.get("min_transfer_time"), errors="coerce")
            if ("min_transfer_time" in tr.columns)
            else pd.Series(np.nan, index=tr.index)
        )
        rows = np.column_stack(
            [
                tr.from_stop_id.map(stop_index).to_numpy(np.int64),
                tr.to_stop_id.map(stop_index).to_numpy(np.int64),
                pd.to_numeric(tr.transfer_type, errors="coerce").fillna(0).to_numpy(np.int64),
                min_s.fillna(-1).to_numpy(np.int64),
            ]
        )
        self.transfers.append(rows)

    # -- arrays ------------------------------------------------------------------------
    def finish(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays: dict[str, np.ndarray] = {
            name: np.concatenate(parts) for name, parts in self.stop_cols.items()
        }
        arrays.update(_route_arrays(self.route_rows))
        arrays.update(self._service_arrays())
        trip_arrays, trip_source = _expand_and_pattern(self.templates)
        arrays.update(trip_arrays)
        arrays.update(_shape_arrays(self.shape_pts))
        transfers = np.concatenate(self.transfers) if self.transfers else np.zeros((0, 4), np.int64)
        arrays["transfer_rows"] = transfers.astype(np.int32)
        meta = {
            "stop_ids": self.stop_ids,
            "stop_names": self.stop_names,
            "stop_platform_codes": self.stop_platform,
            "stop_level_ids": self.stop_level,
            "route_ids": [r["id"] for r in self.route_rows],
            "route_short_names": [r["short_name"] for r in self.route_rows],
            "route_long_names": [r["long_name"] for r in self.route_rows],
            "template_trip_ids": [t["id"] for t in self.templates],
            "template_headsigns": [t["headsign"] for t in self.templates],
            "service_ids": self.service_ids,
            "shape_ids": self.shape_ids,
            "feeds": self.feeds,
        }
        arrays["trip_template"] = trip_source
        return arrays, meta

    def _service_arrays(self) -> dict[str, np.ndarray]:
        all_days = set().union(*self.service_days) if self.service_days else set()
        if not all_days:
            return {
                "service_first_day": np.array([0], np.int64),
                "service_active": np.zeros((0, len(self.service_ids)), bool),
            }
        first, last = min(all_days), max(all_days)
        active = np.zeros((last - first + 1, len(self.service_ids)), dtype=bool)
        for s, days in enumerate(self.service_days):
            active[np.fromiter(days, np.int64, len(days)) - first, s] = True
        return {"service_first_day": np.array([first], np.int64), "service_active": active}


def _route_arrays(rows: list[dict]) -> dict[str, np.ndarray]:
    return {
        "route_mode": np.array([r["mode"] for r in rows], dtype=np.int8),
        "route_type": np.array([r["route_type"] for r in rows], dtype=np.int32),
    }


def _expand(t: dict) -> list[tuple[int, int, int]]:
    """(shift seconds, headway_s or 0, exact_times or -1) per departure of a template."""
    if not t["freq"]:
        return [(0, 0, -1)]
    first = int(t["dep"][0])
    out = []
    for start, end, headway, exact in t["freq"]:
        # Departures start at start_time and repeat while before end_time (GTFS).
        for begin in range(int(start), int(end), headway):
            out.append((begin - first, headway, exact))
    return out


def _expand_and_pattern(templates: list[dict]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    by_stops: dict[bytes, list[int]] = defaultdict(list)
    for i, t in enumerate(templates):
        by_stops[t["stops"].tobytes()].append(i)
    pattern_stops, pattern_trip_counts = [], []
    cols = defaultdict(list)
    dep_blocks, arr_blocks = [], []
    for members in by_stops.values():
        stops = templates[members[0]]["stops"]
        inst = [(m, shift, hw, ex) for m in members for shift, hw, ex in _expand(templates[m])]
        dep = np.array([templates[m]["dep"] + s for m, s, _, _ in inst], dtype=np.int64)
        arr = np.array([templates[m]["arr"] + s for m, s, _, _ in inst], dtype=np.int64)
        order = np.lexsort((arr[:, -1], dep[:, 0]))
        for group in _fifo_groups(dep[order], arr[order]):
            chosen = order[group]
            pattern_stops.append(stops)
            pattern_trip_counts.append(len(chosen))
            # Column-major: one sorted column of departures per pattern position.
            dep_blocks.append(dep[chosen].T.ravel())
            arr_blocks.append(arr[chosen].T.ravel())
            for i in chosen:
                m, _, hw, ex = inst[i]
                t = templates[m]
                cols["trip_template"].append(m)
                cols["trip_first_dep"].append(dep[i, 0])
                cols["trip_route"].append(t["route"])
                cols["trip_service"].append(t["service"])
                cols["trip_wheelchair"].append(t["wheelchair"])
                cols["trip_shape"].append(t["shape"])
                cols["trip_headway_s"].append(hw)
                cols["trip_exact_times"].append(ex)
                cols["trip_estimated"].append(t["estimated"])
    lengths = np.array([len(s) for s in pattern_stops], dtype=np.int64)
    counts = np.array(pattern_trip_counts, dtype=np.int64)
    arrays = {
        "pattern_pos_ptr": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "pattern_trip_ptr": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "pos_stop": (np.concatenate(pattern_stops) if pattern_stops else np.zeros(0)).astype(
            np.int32
        ),
        "time_dep": (np.concatenate(dep_blocks) if dep_blocks else np.zeros(0)).astype(np.int32),
        "time_arr": (np.concatenate(arr_blocks) if arr_blocks else np.zeros(0)).astype(np.int32),
        "trip_route": np.array(cols["trip_route"], np.int32),
        "trip_service": np.array(cols["trip_service"], np.int32),
        "trip_wheelchair": np.array(cols["trip_wheelchair"], np.int8),
        "trip_shape": np.array(cols["trip_shape"], np.int32),
        "trip_headway_s": np.array(cols["trip_headway_s"], np.int32),
        "trip_exact_times": np.array(cols["trip_exact_times"], np.int8),
        "trip_estimated": np.array(cols["trip_estimated"], bool),
        "trip_first_dep": np.array(cols["trip_first_dep"], np.int32),
    }
    return arrays, np.array(cols["trip_template"], np.int32)


def _fifo_groups(dep: np.ndarray, arr: np.ndarray) -> list[np.ndarray]:
    """Split trips (sorted by first departure) so none overtakes another in a group."""
    if len(dep) < 2 or ((np.diff(dep, axis=0) >= 0).all() and (np.diff(arr, axis=0) >= 0).all()):
        return [np.arange(len(dep))]
    groups: list[list[int]] = []
    for i in range(len(dep)):
        for group in groups:
            last = group[-1]
            if (dep[i] >= dep[last]).all() and (arr[i] >= arr[last]).all():
                group.append(i)
                break
        else:
            groups.append([i])
    return [np.array(g) for g in groups]


def _shape_arrays(shapes: list[np.ndarray]) -> dict[str, np.ndarray]:
    lengths = np.array([len(s) for s in shapes], dtype=np.int64)
    pts = np.concatenate(shapes) if shapes else np.zeros((0, 2))
    return {
        "shape_ptr": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "shape_latlon": pts.astype(np.float64),
    }


def _ordinal(value: object) -> int:
    text = str(value)
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])).toordinal()


def _col(frame: pd.DataFrame, column: str, n: int) -> list:
    return list(frame[column]) if column in frame.columns else [None] * n


def _int_col(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(n, dtype=np.int64)
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).to_numpy(np.int64)


def _int_or(value: str | SupportsInt | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)
