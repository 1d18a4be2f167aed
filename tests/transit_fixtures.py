"""Shared helpers for transit tests: real feeds, raw GTFS rows read independently, zip edits.

The raw readers use only csv/zipfile (not gtfs-kit, not transit/), so tests check
the compiled timetable against the feed itself rather than against itself.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from jol.settings import data_dir
from transit.compile import compile_feeds
from transit.feed import load_feed
from transit.timetable import Timetable

DATA = data_dir()
CALTRAIN = DATA / "gtfs-accessibility-fixtures" / "caltrain-2017-07-24.gtfs.zip"
SAMPLE = DATA / "gtfs-accessibility-fixtures" / "sample-gtfs-feed-0.13.0-SYNTHETIC.gtfs.zip"
ALMATY = DATA / "almaty-transit" / "almaty_gtfs.zip"
MARTA = DATA / "atlanta-osm-gtfs-pair" / "marta-bus-856-only.gtfs.zip"
COBBLINC = DATA / "atlanta-osm-gtfs-pair" / "cobblinc-bus-30-only.gtfs.zip"


def timetable(*feeds: tuple[Path, str]) -> Timetable:
    arrays, meta = compile_feeds([load_feed(path, key) for path, key in feeds])
    return Timetable(arrays, meta)


def raw_rows(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        if name not in archive.namelist():
            return []
        text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def rewrite_zip(src: Path, dst: Path, edits: dict[str, bytes | None]) -> Path:
    """Copy a feed zip replacing (bytes) or dropping (None) some members."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for name in old.namelist():
            if name in edits:
                if edits[name] is not None:
                    new.writestr(name, edits[name])
            else:
                new.writestr(name, old.read(name))
        for name, data in edits.items():
            if name not in old.namelist() and data is not None:
                new.writestr(name, data)
    return dst


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def seconds(text: str) -> int:
    h, m, s = (int(x) for x in text.strip().split(":"))
    return h * 3600 + m * 60 + s


class RawFeed:
    """The raw GTFS rows of one feed, indexed for checking journeys."""

    def __init__(self, path: Path) -> None:
        self.trips = {r["trip_id"]: r for r in raw_rows(path, "trips.txt")}
        self.stop_times: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        rows = sorted(raw_rows(path, "stop_times.txt"), key=lambda r: int(r["stop_sequence"]))
        for r in rows:
            self.stop_times[r["trip_id"]].append(
                (r["stop_id"], seconds(r["arrival_time"]), seconds(r["departure_time"]))
            )
        self.frequencies = defaultdict(list)
        for r in raw_rows(path, "frequencies.txt"):
            self.frequencies[r["trip_id"]].append(
                (seconds(r["start_time"]), seconds(r["end_time"]), int(r["headway_secs"]))
            )
        self.calendar = {r["service_id"]: r for r in raw_rows(path, "calendar.txt")}
        self.dates = defaultdict(dict)
        for r in raw_rows(path, "calendar_dates.txt"):
            self.dates[r["service_id"]][r["date"]] = r["exception_type"]

    def runs_on(self, service_id: str, day: date) -> bool:
        key = day.strftime("%Y%m%d")
        exception = self.dates.get(service_id, {}).get(key)
        if exception is not None:
            return exception == "1"
        cal = self.calendar.get(service_id)
        if cal is None or not (cal["start_date"] <= key <= cal["end_date"]):
            return False
        weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        return cal[weekday[day.weekday()]] == "1"

    def shifts(self, trip_id: str) -> list[int]:
        """Possible time shifts of a trip: 0, or every frequency departure minus the first."""
        if trip_id not in self.frequencies:
            return [0]
        first = self.stop_times[trip_id][0][2]
        return [
            begin - first
            for start, end, headway in self.frequencies[trip_id]
            for begin in range(start, end, headway)
        ]


def service_day(day: date, offset: int) -> date:
    return day + timedelta(days=offset)
