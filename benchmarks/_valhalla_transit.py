"""Valhalla multimodal (GTFS) tiles and plans, the reference for benchmarks/transit_plan.py.

The pyvalhalla-weekly wheel (the `bench` extra) ships valhalla_ingest_transit,
valhalla_convert_transit and valhalla_build_tiles. The pipeline is: the feeds, one
unzipped folder each, -> ingest (protobuf transit tiles) -> convert (level-3 transit
graph tiles) -> build_tiles on the .osm.pbf, which links stops to the streets.
The street-tile config and build runner are benchmarks/_valhalla.py's.

Two quirks decide how this is set up:

- Time zones. The wheel has no valhalla_build_timezones, and building its
  tz_world.sqlite needs a shapefile download, so there is no timezone database
  (`mjolnir.timezone` is ""). convert_transit then warns "Timezone not found"
  for every stop and answers carry no clock times, but plans still board the
  scheduled trips, and `date_time` is matched on the feeds' clock (checked by
  hand: leaving MARTA Holmes station at 07:18 catches CobbLinc 30's 07:19 bus,
  at 07:19 the next one). Both Atlanta feeds are in America/New_York.
- Schedule dates. convert_transit stores each trip's service days as a bit mask
  counted from the day the tiles are built (the tile's creation date), so a 2021
  feed built today has no service at all. The feeds are therefore copied with
  every calendar date moved by a whole number of weeks so that the benchmark's
  day lands just after the build day; the plans keep their weekday and clock time
  and ask Valhalla for the moved day. Tiles are rebuilt when older than
  `MAX_TILE_AGE_DAYS` (the mask covers only about two months).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import valhalla

from benchmarks._valhalla import _config, _run_build, _sha256, repair_pbf

MAX_TILE_AGE_DAYS = 28
# GTFS columns that hold a YYYYMMDD date, per file.
_DATE_COLUMNS = {
    "calendar.txt": ("start_date", "end_date"),
    "calendar_dates.txt": ("date",),
    "feed_info.txt": ("feed_start_date", "feed_end_date"),
}
_STAMP = "source.stamp"


TOOLS = ("valhalla_ingest_transit", "valhalla_convert_transit", "valhalla_build_tiles")


def missing_tools() -> list[str]:
    """The transit pipeline's executables this pyvalhalla wheel does not ship."""
    bin_dir = Path(valhalla.__file__).parent / "bin"
    return [tool for tool in TOOLS if not (bin_dir / tool).is_file()]


def _weeks_shift(day: date, built: date) -> timedelta:
    """Whole weeks that move `day` to the first same weekday after `built`."""
    weeks = (built - day).days // 7 + 1
    return timedelta(weeks=weeks)


def _shift_dates(text: str, columns: tuple[str, ...], shift: timedelta) -> str:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return text
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        for col in columns:
            if row.get(col):
                moved = datetime.strptime(row[col], "%Y%m%d").date() + shift
                row[col] = moved.strftime("%Y%m%d")
        writer.writerow(row)
    return out.getvalue()


def _unpack_feeds(feeds: list[Path], feeds_dir: Path, shift: timedelta) -> None:
    """One folder per feed, calendar dates moved by `shift` (see the module docstring)."""
    shutil.rmtree(feeds_dir, ignore_errors=True)
    for feed in feeds:
        folder = feeds_dir / feed.name.removesuffix(".zip").replace(".", "_")
        folder.mkdir(parents=True)
        with zipfile.ZipFile(feed) as z:
            for name in z.namelist():
                text = z.read(name).decode("utf-8-sig")
                if name in _DATE_COLUMNS:
                    text = _shift_dates(text, _DATE_COLUMNS[name], shift)
                (folder / Path(name).name).write_text(text)


def _run(tool: str, config_path: Path, log_path: Path) -> None:
    cmd = [sys.executable, "-m", "valhalla", tool, "-c", str(config_path)]
    with log_path.open("a") as log:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed ({done.returncode}); see {log_path}")


def _transit_config(out_dir: Path) -> dict[str, Any]:
    tile_dir = out_dir / "tiles"
    tile_dir.mkdir(parents=True, exist_ok=True)
    config = _config(tile_dir)
    config["mjolnir"]["transit_dir"] = str(out_dir / "transit")
    config["mjolnir"]["transit_feeds_dir"] = str(out_dir / "feeds")
    return config


def build_transit_tiles(
    pbf: Path, feeds: list[Path], out_dir: Path, day: date
) -> tuple[Path, date]:
    """Build street + transit tiles; return (valhalla.json, the day to ask Valhalla for `day`).

    Reuses the tiles while the sources, the Valhalla version and `day` are unchanged
    and the tiles are younger than MAX_TILE_AGE_DAYS.
    """
    sources = {p.name: _sha256(p) for p in [pbf, *feeds]}
    key = {"sources": sources, "valhalla": valhalla.__version__, "day": day.isoformat()}
    stamp_path, config_path = out_dir / _STAMP, out_dir / "valhalla.json"
    if stamp_path.is_file() and config_path.is_file():
        stamp = json.loads(stamp_path.read_text())
        built = date.fromisoformat(stamp["built"])
        if stamp["key"] == key and (date.today() - built).days <= MAX_TILE_AGE_DAYS:
            print(f"  valhalla transit tiles up to date: {out_dir}")
            return config_path, day + timedelta(days=stamp["shift_days"])
    print(f"  building valhalla transit tiles -> {out_dir}", flush=True)
    stamp_path.unlink(missing_ok=True)
    shutil.rmtree(out_dir / "tiles", ignore_errors=True)
    shutil.rmtree(out_dir / "transit", ignore_errors=True)
    built = date.today()
    shift = _weeks_shift(day, built)
    _unpack_feeds(feeds, out_dir / "feeds", shift)
    config = _transit_config(out_dir)
    config["mjolnir"]["logging"]["type"] = "std_out"
    config["mjolnir"]["logging"]["color"] = False
    config_path.write_text(json.dumps(config, indent=1))
    log_path = out_dir / "build.log"
    log_path.unlink(missing_ok=True)
    started = time.perf_counter()
    for tool in ("valhalla_ingest_transit", "valhalla_convert_transit"):
        _run(tool, config_path, log_path)
    _run_build(config_path, repair_pbf(pbf, out_dir), out_dir / "build-tiles.log")
    print(f"  valhalla transit tiles built in {time.perf_counter() - started:.1f} s", flush=True)
    config_path.write_text(json.dumps(_transit_config(out_dir), indent=1))
    stamp = {"key": key, "built": built.isoformat(), "shift_days": shift.days}
    stamp_path.write_text(json.dumps(stamp))
    return config_path, day + shift


def raw_wheelchair(feeds: list[Path]) -> tuple[dict[str, str], dict[str, str]]:
    """(stop_id -> wheelchair_boarding, trip_id -> wheelchair_accessible) as the raw GTFS says.

    Ids are keyed without the feed: the Atlanta feeds' stop and trip ids do not collide.
    A missing column or empty cell reads as "0" (no information), as in GTFS.
    """
    stops: dict[str, str] = {}
    trips: dict[str, str] = {}
    for feed in feeds:
        with zipfile.ZipFile(feed) as z:
            for name, key, col, out in (
                ("stops.txt", "stop_id", "wheelchair_boarding", stops),
                ("trips.txt", "trip_id", "wheelchair_accessible", trips),
            ):
                text = z.read(name).decode("utf-8-sig")
                for row in csv.DictReader(io.StringIO(text)):
                    out[row[key]] = (row.get(col) or "0").strip() or "0"
    return stops, trips


def _feed_stop_id(onestop_id: str, feed_folders: list[str]) -> str:
    """GTFS stop_id from Valhalla's `<feed folder>_<stop_id>_transit_station`-style id."""
    for folder in feed_folders:
        if onestop_id.startswith(folder + "_"):
            onestop_id = onestop_id[len(folder) + 1 :]
            break
    for suffix in ("_transit_station", "_transit_egress", "_transit_platform"):
        onestop_id = onestop_id.removesuffix(suffix)
    return onestop_id


class ValhallaTransit:
    """In-process Valhalla `multimodal` plans on tiles from `build_transit_tiles`."""

    def __init__(self, config_path: Path, feeds: list[Path]) -> None:
        self.actor = valhalla.Actor(config_path)
        self.folders = [f.name.removesuffix(".zip").replace(".", "_") for f in feeds]

    @staticmethod
    def costing_options(wheelchair: bool) -> dict[str, Any]:
        if not wheelchair:
            return {}
        return {"transit": {"wheelchair": True}, "pedestrian": {"type": "wheelchair"}}

    def plan(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        depart: datetime,
        *,
        wheelchair: bool,
    ) -> tuple[list[str], float] | None:
        """(GTFS stop ids boarded, [] = walk only; seconds from `depart` to arrival) or None.

        The trip time Valhalla reports counts the wait for the first departure.
        """
        request = {
            "locations": [
                {"lat": origin[0], "lon": origin[1]},
                {"lat": destination[0], "lon": destination[1]},
            ],
            "costing": "multimodal",
            "costing_options": self.costing_options(wheelchair),
            "date_time": {"type": 1, "value": depart.strftime("%Y-%m-%dT%H:%M")},
            "units": "kilometers",
        }
        try:
            answer = self.actor.route(request)
        except RuntimeError:
            return None  # "no path", "too far from a transit stop", ...
        boarded = []
        for leg in answer["trip"]["legs"]:
            for maneuver in leg.get("maneuvers", []):
                stops = maneuver.get("transit_info", {}).get("transit_stops") or []
                if maneuver.get("travel_mode") == "transit" and stops:
                    boarded.append(_feed_stop_id(stops[0]["onestop_id"], self.folders))
        return boarded, float(answer["trip"]["summary"]["time"])
