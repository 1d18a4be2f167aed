"""Read one GTFS zip with gtfs-kit and validate it row by row.

gtfs-kit parses the standard files; it stops at the first bad byte or bad
reference with an exception that names neither row nor column. So the zip is
checked first (required files, UTF-8 per line) and the parsed tables are then
checked here (times, references, duplicate ids). Unusable feeds raise
`FeedError`; single bad rows become `FeedWarning`s and are dropped, so one typo
does not take a whole city's transit down. pathways.txt and levels.txt are read
with pandas because gtfs-kit 13 ignores them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import gtfs_kit
import numpy as np
import pandas as pd

from transit.errors import FeedError, FeedWarning

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
CALENDAR_FILES = ("calendar.txt", "calendar_dates.txt")  # at least one of them
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
# Header row is row 1 in a text editor, so pandas index i is row i + 2.
_ROW0 = 2


@dataclass
class FeedTables:
    """One validated feed: gtfs-kit tables with bad rows removed, plus what was skipped."""

    key: str
    path: Path
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame  # with integer columns arrival_s, departure_s
    calendar: pd.DataFrame | None
    calendar_dates: pd.DataFrame | None
    frequencies: pd.DataFrame | None
    transfers: pd.DataFrame | None
    pathways: pd.DataFrame | None
    levels: pd.DataFrame | None
    shapes: pd.DataFrame | None
    agency: pd.DataFrame
    feed_info: pd.DataFrame | None
    warnings: list[FeedWarning] = field(default_factory=list)


def parse_time_s(text: object) -> int | None:
    """GTFS H:MM:SS (hours may exceed 24) as seconds after service-day midnight, else None."""
    if not isinstance(text, str):
        return None
    match = _TIME.match(text)
    if match is None:
        return None
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def load_feed(path: Path, key: str) -> FeedTables:
    """Read and validate the GTFS zip at `path`; ids will later be prefixed with `key`.

    Raises FeedError when the feed as a whole is unusable.
    """
    path = Path(path)
    names = _zip_names(path, key)
    for name in REQUIRED_FILES:
        if name not in names:
            raise FeedError(key, name, None, None, "required file is missing from the zip")
    if not any(name in names for name in CALENDAR_FILES):
        raise FeedError(
            key,
            "calendar.txt",
            None,
            None,
            "neither calendar.txt nor calendar_dates.txt is in the zip",
        )
    with zipfile.ZipFile(path) as archive:
        for name in names:
            if name.endswith(".txt"):
                _check_utf8(key, name, archive.read(name))
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except Exception as exc:  # gtfs-kit raises many kinds; all mean "unreadable"
        raise _located(path, key, names, exc) from None
    tables = FeedTables(
        key=key,
        path=path,
        stops=feed.stops,
        routes=feed.routes,
        trips=feed.trips,
        stop_times=feed.stop_times,
        calendar=feed.calendar,
        calendar_dates=feed.calendar_dates,
        frequencies=feed.frequencies,
        transfers=feed.transfers,
        pathways=_read_extra(path, key, "pathways.txt", names),
        levels=_read_extra(path, key, "levels.txt", names),
        shapes=feed.shapes,
        agency=feed.agency,
        feed_info=getattr(feed, "feed_info", None),
    )
    _validate(tables)
    return tables


def _zip_names(path: Path, key: str) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            # GTFS puts files at the zip's root, and gtfs-kit reads only those.
            return set(archive.namelist())
    except FileNotFoundError:
        raise FeedError(key, str(path), None, None, "feed file not found") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise FeedError(key, str(path), None, None, f"not a readable zip ({exc})") from None


def _check_utf8(key: str, name: str, data: bytes) -> None:
    try:
        data.decode("utf-8")
        return
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    line_start = data.rfind(b"\n", 0, bad_at) + 1
    row = data.count(b"\n", 0, bad_at) + 1
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lstrip("\ufeff")
    columns = header.split(",")
    # Quoted commas are rare in GTFS; counting separators names the column well enough.
    index = data[line_start:bad_at].count(b",")
    column = columns[index] if index < len(columns) else None
    raise FeedError(key, name, row, column, f"byte 0x{data[bad_at]:02x} is not UTF-8 text")


def _located(path: Path, key: str, names: set[str], exc: Exception) -> FeedError:
    """gtfs-kit names a bad value but not where it is (e.g. "Unable to parse string 'x'");
    find the first cell holding it so the error names file, row and column."""
    quoted = re.findall(r"'([^']*)'", str(exc))
    message = f"gtfs-kit cannot read it: {exc}"
    if quoted:
        with zipfile.ZipFile(path) as archive:
            for name in sorted(n for n in names if n.endswith(".txt")):
                text = archive.read(name).decode("utf-8-sig")
                reader = csv.reader(io.StringIO(text))
                header = next(reader, [])
                for row, cells in enumerate(reader, start=_ROW0):
                    for column, cell in zip(header, cells, strict=False):
                        if cell.strip() == quoted[-1]:
                            return FeedError(key, name, row, column, f"bad value {cell!r}")
    return FeedError(key, "(zip)", None, None, message)


def _read_extra(path: Path, key: str, name: str, names: set[str]) -> pd.DataFrame | None:
    if name not in names:
        return None
    with zipfile.ZipFile(path) as archive, archive.open(name) as handle:
        try:
            return pd.read_csv(handle, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except (ValueError, pd.errors.ParserError) as exc:
            raise FeedError(key, name, None, None, f"cannot be parsed as CSV ({exc})") from None


def _validate(t: FeedTables) -> None:
    for name, frame, column in (
        ("stops.txt", t.stops, "stop_id"),
        ("routes.txt", t.routes, "route_id"),
        ("trips.txt", t.trips, "trip_id"),
    ):
        _no_duplicates(t.key, name, frame, column)
    if t.calendar is not None:
        _no_duplicates(t.key, "calendar.txt", t.calendar, "service_id")
    services = set()
    if t.calendar is not None:
        services |= set(t.calendar["service_id"].dropna())
    if t.calendar_dates is not None:
        services |= set(t.calendar_dates["service_id"].dropna())
    route_ids = set(t.routes["route_id"])
    t.trips = _keep_known(t, "trips.txt", t.trips, "route_id", route_ids)
    t.trips = _keep_known(t, "trips.txt", t.trips, "service_id", services)
    t.stops = _check_parents(t)
    t.stop_times = _check_stop_times(t)
    if t.frequencies is not None:
        t.frequencies = _check_frequencies(t)
    if t.transfers is not None:
        stop_ids = set(t.stops["stop_id"])
        t.transfers = _keep_known(t, "transfers.txt", t.transfers, "from_stop_id", stop_ids)
        t.transfers = _keep_known(t, "transfers.txt", t.transfers, "to_stop_id", stop_ids)
    if t.pathways is not None:
        stop_ids = set(t.stops["stop_id"])
        t.pathways = _keep_known(t, "pathways.txt", t.pathways, "from_stop_id", stop_ids)
        t.pathways = _keep_known(t, "pathways.txt", t.pathways, "to_stop_id", stop_ids)


def _no_duplicates(key: str, name: str, frame: pd.DataFrame, column: str) -> None:
    duplicated = frame[column].duplicated(keep="first")
    if duplicated.any():
        index = int(np.flatnonzero(duplicated.to_numpy())[0])
        value = frame[column].iloc[index]
        raise FeedError(key, name, index + _ROW0, column, f"duplicate id {value!r}")


def _warn(
    t: FeedTables, name: str, frame: pd.DataFrame, bad: np.ndarray, column: str, message: str
) -> None:
    for index in np.flatnonzero(bad):
        value = frame[column].iloc[index]
        t.warnings.append(
            FeedWarning(
                t.key,
                name,
                int(frame.index[index]) + _ROW0,
                column,
                f"{message} {value!r}; row skipped",
            )
        )


def _keep_known(
    t: FeedTables, name: str, frame: pd.DataFrame, column: str, known: set
) -> pd.DataFrame:
    bad = ~frame[column].isin(known).to_numpy()
    if bad.any():
        _warn(t, name, frame, bad, column, "unknown id")
    return frame[~bad]


def _check_parents(t: FeedTables) -> pd.DataFrame:
    stops = t.stops
    if "parent_station" not in stops.columns:
        return stops
    parent = stops["parent_station"]
    bad = (parent.notna() & (parent != "") & ~parent.isin(set(stops["stop_id"]))).to_numpy()
    if bad.any():
        _warn(t, "stops.txt", stops, bad, "parent_station", "unknown parent station")
        stops = stops.copy()
        stops.loc[bad, "parent_station"] = pd.NA  # the stop itself is still usable
    return stops


def _check_stop_times(t: FeedTables) -> pd.DataFrame:
    st = t.stop_times
    st = _keep_known(t, "stop_times.txt", st, "trip_id", set(t.trips["trip_id"]))
    st = _keep_known(t, "stop_times.txt", st, "stop_id", set(t.stops["stop_id"]))
    st = st.copy()
    for column in ("arrival_time", "departure_time"):
        seconds = st[column].map(parse_time_s)
        given = st[column].astype("object").fillna("").astype(str).str.strip() != ""
        bad = given.to_numpy(bool) & seconds.isna().to_numpy(bool)
        if bad.any():
            _warn(t, "stop_times.txt", st, bad, column, "bad time")
            st, seconds = st[~bad], seconds[~bad]
        st[column.replace("_time", "_s")] = seconds
    # A stop time with neither time is an untimed stop; interpolating would invent
    # times, so only stops with a time are kept for routing.
    st["arrival_s"] = st["arrival_s"].fillna(st["departure_s"])
    st["departure_s"] = st["departure_s"].fillna(st["arrival_s"])
    st = st[st["arrival_s"].notna()].copy()
    st["arrival_s"] = st["arrival_s"].astype(np.int64)
    st["departure_s"] = st["departure_s"].astype(np.int64)
    st = st.sort_values(["trip_id", "stop_sequence"], kind="stable")
    return _drop_backwards_trips(t, st)


def _drop_backwards_trips(t: FeedTables, st: pd.DataFrame) -> pd.DataFrame:
    """Trips whose times go back in time would make boarding searches wrong: skip them."""
    same_trip = st["trip_id"].to_numpy()[1:] == st["trip_id"].to_numpy()[:-1]
    arrival = st["arrival_s"].to_numpy()
    departure = st["departure_s"].to_numpy()
    back = same_trip & ((arrival[1:] < departure[:-1]) | (departure[1:] < arrival[1:]))
    if not back.any():
        return st
    rows = np.flatnonzero(back) + 1
    bad_trips = set(st["trip_id"].to_numpy()[rows])
    for row in rows:
        t.warnings.append(
            FeedWarning(
                t.key,
                "stop_times.txt",
                int(st.index[row]) + _ROW0,
                "arrival_time",
                f"time goes backwards in trip {st['trip_id'].iloc[row]!r}; trip skipped",
            )
        )
    return st[~st["trip_id"].isin(bad_trips)]


def _check_frequencies(t: FeedTables) -> pd.DataFrame:
    fr = _keep_known(t, "frequencies.txt", t.frequencies, "trip_id", set(t.trips["trip_id"]))
    fr = fr.copy()
    for column in ("start_time", "end_time"):
        seconds = fr[column].map(parse_time_s)
        bad = seconds.isna().to_numpy()
        if bad.any():
            _warn(t, "frequencies.txt", fr, bad, column, "bad time")
            fr, seconds = fr[~bad], seconds[~bad]
        fr[column.replace("_time", "_s")] = seconds.astype(np.int64)
    headway = pd.to_numeric(fr["headway_secs"], errors="coerce")
    bad = ~(headway > 0).to_numpy() | (fr["end_s"] <= fr["start_s"]).to_numpy()
    if bad.any():
        _warn(t, "frequencies.txt", fr, bad, "headway_secs", "unusable headway or window")
        fr = fr[~bad]
    return fr
