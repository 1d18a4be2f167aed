"""Transit core (issue 13): compile real GTFS feeds, RAPTOR journeys checked against raw rows.

Feeds: Caltrain 2017 (real, wheelchair fields), the synthetic pathways sample, the
Almaty feed (frequencies, metro after midnight) and MARTA + CobbLinc (two feeds in
one timetable). Journeys are checked against the GTFS rows read with csv, and
earliest arrivals against a time-expanded Dijkstra built here with networkx.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
from datetime import date

import jsonschema
import networkx as nx
import numpy as np
import pytest

from graph_build.artifact import MANIFEST_SCHEMA, read_manifest
from jol import settings
from tests.transit_fixtures import (
    ALMATY,
    CALTRAIN,
    COBBLINC,
    MARTA,
    SAMPLE,
    RawFeed,
    raw_rows,
    rewrite_zip,
    service_day,
    timetable,
    to_csv,
)
from transit import codes, raptor
from transit.build import build_for_cli, build_transit_artifact, repair_recorded
from transit.errors import FeedError
from transit.feed import load_feed
from transit.timetable import Timetable

CALTRAIN_DAY = date(2017, 8, 1)  # a Tuesday inside the feed
ALMATY_DAY = date(2026, 5, 4)  # a Monday


@pytest.fixture(scope="module")
def caltrain():
    return timetable((CALTRAIN, "ct"))


@pytest.fixture(scope="module")
def almaty():
    return timetable((ALMATY, "alm"))


@pytest.fixture(scope="module")
def sample():
    return timetable((SAMPLE, "s"))


def _footpaths(tt, radius_m=400.0, speed_mps=1.0):
    frm, to, dist = tt.transfer_candidates(radius_m)
    return raptor.Footpaths.from_pairs(tt.n_stops, frm, to, np.ceil(dist / speed_mps))


def _random_queries(tt, day, n, seed, **kw):
    rng = random.Random(seed)
    stops = [int(s) for s in tt.boardable_stops()]
    for _ in range(n):
        a, b = rng.sample(stops, 2)
        depart = rng.randrange(6 * 3600, 20 * 3600)
        yield raptor.Query(day, depart, [(a, 0)], {b: 0}, **kw)


# -- compile -----------------------------------------------------------------------------


def test_two_feeds_share_one_timetable_with_prefixed_ids():
    tt = timetable((MARTA, "marta"), (COBBLINC, "cobb"))
    ids = tt.meta["stop_ids"]
    assert len(ids) == len(raw_rows(MARTA, "stops.txt")) + len(raw_rows(COBBLINC, "stops.txt"))
    assert len(set(ids)) == len(ids)
    assert {i.split(":", 1)[0] for i in ids} == {"marta", "cobb"}


def test_frequencies_expand_into_one_departure_per_headway(sample, almaty):
    for tt, path in ((sample, SAMPLE), (almaty, ALMATY)):
        rows = raw_rows(path, "frequencies.txt")
        assert rows
        templates = tt.meta["template_trip_ids"]
        prefix = templates[0].split(":", 1)[0]
        for trip_id in {r["trip_id"] for r in rows}:
            mine = [r for r in rows if r["trip_id"] == trip_id]
            expected = 0
            for r in mine:
                start, end = (
                    sum(int(x) * f for x, f in zip(r[c].split(":"), (3600, 60, 1), strict=True))
                    for c in ("start_time", "end_time")
                )
                expected += -(-(end - start) // int(r["headway_secs"]))
            compiled = np.flatnonzero(tt.trip_template == templates.index(f"{prefix}:{trip_id}"))
            assert len(compiled) == expected, trip_id
            info = tt.trip_info(int(compiled[0]))
            assert info.headway_s == int(mine[0]["headway_secs"])
            assert info.exact_times is (mine[0].get("exact_times", "0") == "1")


def test_stairs_only_platform_is_not_step_free_and_elevator_one_is(sample):
    word = {sid.split(":", 1)[1]: i for i, sid in enumerate(sample.meta["stop_ids"])}
    assert sample.stop_step_free_word(word["airport-1"]) == "no"  # stairs / escalator only
    assert sample.stop_step_free_word(word["airport-2"]) == "yes"  # elevator to boarding area
    assert sample.stop_step_free_word(word["center"]) == "unknown"  # no pathways at all


def test_platform_with_unknown_inherits_parent_wheelchair(sample):
    raw = {r["stop_id"]: r for r in raw_rows(SAMPLE, "stops.txt")}
    assert raw["airport-2"]["wheelchair_boarding"] == "0"
    assert raw["airport"]["wheelchair_boarding"] == "1"
    i = sample.stop_index("s:airport-2")
    assert sample.stop_wheelchair_word(i) == "accessible"
    assert sample.stop_wheelchair_word(sample.stop_index("s:center")) == "unknown"


def test_almaty_feed_is_flagged_estimated_and_caltrain_is_not(almaty, caltrain):
    assert almaty.meta["feeds"][0]["estimated_timetable"] is True
    assert caltrain.meta["feeds"][0]["estimated_timetable"] is False


def test_build_writes_manifest_section_and_reuses_unchanged_feeds(tmp_path):
    messages: list[str] = []
    section = build_transit_artifact([CALTRAIN, SAMPLE], tmp_path, progress=messages.append)
    jsonschema.validate(section, MANIFEST_SCHEMA["properties"]["transit"])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["transit"]["feeds"][0]["sha256"] == section["feeds"][0]["sha256"]
    report = {r["feed"]: r for r in section["report"]}
    assert report["caltrain_2017_07_24"]["service_first_date"] == "2017-07-15"
    assert report["caltrain_2017_07_24"]["unknown_stop_pct"] == 0.0
    loaded = Timetable.load(tmp_path)
    assert loaded.n_trips == sum(r["compiled_departures"] for r in report.values())
    assert loaded.service_dates()[0] == date(2017, 7, 15)
    [ct, _] = loaded.feed_summaries()
    assert (ct["key"], ct["service_first_date"]) == ("caltrain_2017_07_24", "2017-07-15")
    npz_mtime = (tmp_path / "transit.npz").stat().st_mtime_ns
    again = build_transit_artifact([CALTRAIN, SAMPLE], tmp_path, progress=messages.append)
    assert "reused" in messages[-1]
    assert (tmp_path / "transit.npz").stat().st_mtime_ns == npz_mtime
    assert again["files"] == section["files"]
    # Damaged files are recompiled from the feeds the manifest records.
    (tmp_path / "transit.npz").write_bytes(b"broken")
    repaired = repair_recorded(tmp_path, progress=messages.append)
    assert repaired["files"]["transit.npz"] == section["files"]["transit.npz"]
    assert Timetable.load(tmp_path).n_trips == loaded.n_trips
    # A changed feed recompiles the transit part.
    changed = rewrite_zip(SAMPLE, tmp_path / "sample.zip", {"translations.txt": None})
    third = build_transit_artifact([CALTRAIN, changed], tmp_path, progress=messages.append)
    assert third["feeds"][1]["sha256"] != section["feeds"][1]["sha256"]
    assert "compiled" in messages[-1]


# -- corrupt feeds -----------------------------------------------------------------------


def _corrupt_non_utf8() -> dict[str, bytes]:
    text = to_csv(raw_rows(CALTRAIN, "stops.txt"))
    lines = text.split(b"\n")
    assert b"San Francisco" in lines[2]
    lines[2] = lines[2].replace(b"San Francisco", b"San Francisco \xe9", 1)  # Latin-1 e-acute
    return {"stops.txt": b"\n".join(lines)}


def test_missing_required_file_is_an_error_naming_it(tmp_path):
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", {"stops.txt": None})
    with pytest.raises(FeedError) as info:
        load_feed(bad, "bad")
    assert info.value.file == "stops.txt" and "missing" in str(info.value)


def test_non_utf8_text_is_an_error_naming_row_and_column(tmp_path):
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", _corrupt_non_utf8())
    with pytest.raises(FeedError) as info:
        load_feed(bad, "bad")
    assert (info.value.file, info.value.row, info.value.column) == ("stops.txt", 3, "stop_name")


@pytest.mark.parametrize(("column", "value"), [("wheelchair_boarding", "x"), ("stop_lat", "north")])
def test_unparseable_number_is_an_error_naming_row_and_column(tmp_path, column, value):
    rows = raw_rows(CALTRAIN, "stops.txt")
    rows[4][column] = value
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", {"stops.txt": to_csv(rows)})
    with pytest.raises(FeedError) as info:
        load_feed(bad, "bad")
    assert (info.value.file, info.value.row, info.value.column) == ("stops.txt", 6, column)


def test_duplicate_trip_id_is_an_error_naming_row(tmp_path):
    rows = raw_rows(CALTRAIN, "trips.txt")
    rows[5]["trip_id"] = rows[2]["trip_id"]
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", {"trips.txt": to_csv(rows)})
    with pytest.raises(FeedError) as info:
        load_feed(bad, "bad")
    assert (info.value.file, info.value.row, info.value.column) == ("trips.txt", 7, "trip_id")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("arrival_time", "25:xx:yy", "bad time"), ("stop_id", "no-such-stop", "unknown id")],
)
def test_bad_stop_time_row_is_skipped_with_a_warning(tmp_path, column, value, message):
    rows = raw_rows(CALTRAIN, "stop_times.txt")
    rows[10][column] = value
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", {"stop_times.txt": to_csv(rows)})
    feed = load_feed(bad, "bad")
    [warning] = feed.warnings
    assert (warning.file, warning.row, warning.column) == ("stop_times.txt", 12, column)
    assert message in warning.message
    assert len(feed.stop_times) == len(rows) - 1


def test_build_entry_reports_a_bad_feed_as_the_common_error_shape(tmp_path):
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", _corrupt_non_utf8())
    code, summary = build_for_cli([bad], tmp_path / "out", force=False, progress=lambda m: None)
    assert code == 2
    assert summary["error"]["code"] == "bad_feed"
    assert summary["error"]["details"]["row"] == 3
    assert "stops.txt" in summary["error"]["message"]


# -- RAPTOR ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def caltrain_variant(tmp_path_factory):
    """Caltrain with a parent station saying 2 over platforms saying 0, and every third
    trip marked not wheelchair accessible: the real feed marks every trip 1."""
    stops = raw_rows(CALTRAIN, "stops.txt")
    for row in stops:
        if row["stop_id"] in ("70031", "70032"):  # Bayshore
            row["parent_station"], row["wheelchair_boarding"] = "bayshore", "0"
    stops.append(
        {
            **stops[4],
            "stop_id": "bayshore",
            "location_type": "1",
            "parent_station": "",
            "platform_code": "",
            "wheelchair_boarding": "2",
        }
    )
    trips = raw_rows(CALTRAIN, "trips.txt")
    for i, row in enumerate(trips):
        if i % 3 == 0:
            row["wheelchair_accessible"] = "2"
    path = tmp_path_factory.mktemp("variant") / "caltrain-variant.zip"
    rewrite_zip(CALTRAIN, path, {"stops.txt": to_csv(stops), "trips.txt": to_csv(trips)})
    return path


def _wheelchair_filter(tt):
    return raptor.BoardingFilter(
        trip_allowed=tt.trip_wheelchair != codes.NOT_ACCESSIBLE,
        stop_allowed=tt.stop_wheelchair != codes.NOT_ACCESSIBLE,
        board_slack_s=60,
        min_transfer_s=120,
    )


def test_wheelchair_filter_never_boards_inaccessible_trips_or_stops(caltrain_variant):
    tt = timetable((caltrain_variant, "v"))
    raw_stops = {r["stop_id"]: r for r in raw_rows(caltrain_variant, "stops.txt")}
    raw_trips = {r["trip_id"]: r for r in raw_rows(caltrain_variant, "trips.txt")}

    def not_accessible(stop_id):
        row = raw_stops[stop_id]
        value = row["wheelchair_boarding"]
        if value in ("", "0") and row["parent_station"]:
            value = raw_stops[row["parent_station"]]["wheelchair_boarding"]
        return value == "2"

    fp = _footpaths(tt)
    used_bad_unfiltered = 0
    for q in _random_queries(tt, CALTRAIN_DAY, 40, seed=3, window_s=1800):
        for journey in raptor.search(tt, q, fp, _wheelchair_filter(tt)):
            for leg in journey.legs:
                if isinstance(leg, raptor.RideLeg):
                    trip_id = tt.trip_info(leg.trip).trip_id.split(":", 1)[1]
                    assert raw_trips[trip_id]["wheelchair_accessible"] != "2"
                    for stop in (leg.board_stop, leg.alight_stop):
                        assert not not_accessible(tt.stop_id(stop).split(":", 1)[1])
        for journey in raptor.search(tt, q, fp):
            for leg in journey.legs:
                if isinstance(leg, raptor.RideLeg):
                    trip_id = tt.trip_info(leg.trip).trip_id.split(":", 1)[1]
                    bad_stop = not_accessible(tt.stop_id(leg.board_stop).split(":", 1)[1])
                    used_bad_unfiltered += raw_trips[trip_id]["wheelchair_accessible"] == "2"
                    used_bad_unfiltered += bad_stop
    assert used_bad_unfiltered > 0  # without the filter those trips and stops are used


def test_inaccessible_only_connection_found_without_filter_but_not_with_it(caltrain_variant):
    tt = timetable((caltrain_variant, "v"))
    bayshore = tt.stop_index("v:70032")
    sf = tt.stop_index("v:70012")
    q = raptor.Query(CALTRAIN_DAY, 8 * 3600, [(sf, 0)], {bayshore: 0})
    assert raptor.search(tt, q, raptor.Footpaths.none(tt.n_stops))
    assert not raptor.search(tt, q, raptor.Footpaths.none(tt.n_stops), _wheelchair_filter(tt))


def _check_against_raw(tt, raw, journey, query, boarding):
    prev_arrival = None
    rides = 0
    for leg in journey.legs:
        if isinstance(leg, raptor.AccessLeg):
            assert leg.depart_s >= query.depart_s
            prev_arrival = leg.arrive_s
        elif isinstance(leg, raptor.WalkLeg):
            assert leg.depart_s >= prev_arrival
            prev_arrival = leg.arrive_s
        elif isinstance(leg, raptor.RideLeg):
            margin = boarding.board_slack_s + (boarding.min_transfer_s if rides else 0)
            assert leg.depart_s >= prev_arrival + margin
            rides += 1
            _ride_matches_raw(tt, raw, leg, query.day)
            prev_arrival = leg.arrive_s
        else:
            assert leg.depart_s >= prev_arrival
            assert journey.arrival_s == leg.arrive_s
    assert journey.transfers == rides - 1


def _ride_matches_raw(tt, raw, leg, day):
    trip_id = tt.trip_info(leg.trip).trip_id.split(":", 1)[1]
    trip = raw.trips[trip_id]
    assert raw.runs_on(trip["service_id"], service_day(day, leg.day_offset))
    rows = raw.stop_times[trip_id]
    ids = [tt.stop_id(s).split(":", 1)[1] for s in leg.stops]
    starts = [i for i in range(len(rows)) if [r[0] for r in rows[i : i + len(ids)]] == ids]
    assert starts, f"{trip_id} does not serve {ids} in a row"
    base = leg.day_offset * 86_400
    ok = False
    for shift in raw.shifts(trip_id):
        for i in starts:
            deps = [r[2] + shift + base for r in rows[i : i + len(ids) - 1]]
            arrival = rows[i + len(ids) - 1][1] + shift + base
            ok |= (*deps, arrival) == leg.stop_times_s
    assert ok, f"{trip_id} times {leg.stop_times_s} not in the feed"


@pytest.mark.parametrize("which", ["caltrain", "almaty"])
def test_random_journeys_match_the_raw_gtfs_rows(which, caltrain, almaty):
    tt, path, day = {
        "caltrain": (caltrain, CALTRAIN, CALTRAIN_DAY),
        "almaty": (almaty, ALMATY, ALMATY_DAY),
    }[which]
    raw = RawFeed(path)
    fp = _footpaths(tt)
    boarding = raptor.BoardingFilter(board_slack_s=30, min_transfer_s=90)
    checked = 0
    for q in _random_queries(tt, day, 25, seed=11, window_s=1800):
        for journey in raptor.search(tt, q, fp, boarding):
            _check_against_raw(tt, raw, journey, q, boarding)
            checked += 1
    assert checked > 10


def test_metro_after_midnight_belongs_to_the_previous_service_day(almaty):
    raw = RawFeed(ALMATY)
    late = [(t, rows) for t, rows in raw.stop_times.items() if rows[-1][1] >= 86_400]
    assert late, "the Almaty metro runs past 24:00"
    _, rows = late[0]
    a, b = almaty.stop_index(f"alm:{rows[-2][0]}"), almaty.stop_index(f"alm:{rows[-1][0]}")
    depart = rows[-2][2] - 86_400 - 60
    q = raptor.Query(ALMATY_DAY, depart, [(a, 0)], {b: 0}, window_s=0)
    journeys = raptor.search(almaty, q, raptor.Footpaths.none(almaty.n_stops))
    assert journeys
    ride = next(leg for leg in journeys[0].legs if isinstance(leg, raptor.RideLeg))
    assert ride.day_offset == -1
    _ride_matches_raw(almaty, raw, ride, ALMATY_DAY)


def _time_expanded_earliest(raw, day, origin, destination, depart_s):
    """Earliest arrival by an independent time-expanded graph (networkx Dijkstra)."""
    g = nx.DiGraph()
    departures: dict[str, list[tuple[int, tuple]]] = {}
    arrivals = []
    for trip_id, rows in raw.stop_times.items():
        if not raw.runs_on(raw.trips[trip_id]["service_id"], day):
            continue
        for i, (stop, arr, dep) in enumerate(rows):
            dn, an = ("d", trip_id, i), ("a", trip_id, i)
            departures.setdefault(stop, []).append((dep, dn))
            arrivals.append((stop, arr, an))
            g.add_edge(an, dn, weight=dep - arr)
            if i + 1 < len(rows):
                g.add_edge(dn, ("a", trip_id, i + 1), weight=rows[i + 1][1] - dep)
    for chain in departures.values():
        chain.sort()
        for (t1, n1), (t2, n2) in itertools.pairwise(chain):
            g.add_edge(n1, n2, weight=t2 - t1)
    for stop, arr, an in arrivals:
        chain = departures.get(stop, [])
        j = np.searchsorted([t for t, _ in chain], arr)
        if j < len(chain):
            g.add_edge(an, chain[j][1], weight=chain[j][0] - arr)
    chain = departures.get(origin, [])
    j = np.searchsorted([t for t, _ in chain], depart_s)
    if j == len(chain):
        return None
    g.add_edge("src", chain[j][1], weight=chain[j][0] - depart_s)
    dist = nx.single_source_dijkstra_path_length(g, "src")
    best = [depart_s + dist[an] for stop, _, an in arrivals if stop == destination and an in dist]
    return min(best) if best else None


def test_earliest_arrival_equals_time_expanded_dijkstra(caltrain):
    raw = RawFeed(CALTRAIN)
    empty = raptor.Footpaths.none(caltrain.n_stops)
    compared = 0
    for q in _random_queries(caltrain, CALTRAIN_DAY, 40, seed=5, window_s=0, max_transfers=8):
        if q.depart_s > 16 * 3600:
            continue  # keep next-day trips out: the baseline models one day
        origin = caltrain.stop_id(q.access[0][0]).split(":", 1)[1]
        [dest] = q.egress
        expected = _time_expanded_earliest(
            raw, CALTRAIN_DAY, origin, caltrain.stop_id(dest).split(":", 1)[1], q.depart_s
        )
        journeys = raptor.search(caltrain, q, empty)
        got = min((j.arrival_s for j in journeys), default=None)
        assert got == expected, (origin, dest, q.depart_s)
        compared += expected is not None
    assert compared >= 8  # many random pairs are opposite platforms: no ride links them


# -- jol build ---------------------------------------------------------------------------

ATLANTA_OSM = MARTA.parent / "cobb-county.filtered.osm.bz2"


def _jol(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=settings.REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(settings.REPO_ROOT)),
    )


def test_jol_build_compiles_feeds_into_the_manifest_and_refuses_a_bad_one(tmp_path):
    out = tmp_path / "atlanta"
    done = _jol(
        "build",
        "--osm",
        str(ATLANTA_OSM),
        "--gtfs",
        str(MARTA),
        "--gtfs",
        str(COBBLINC),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["transit"]["feeds"] == ["marta_bus_856_only", "cobblinc_bus_30_only"]
    assert "unknown accessibility" in done.stderr  # the feed report
    manifest = read_manifest(out)  # the full schema, transit section included
    assert [f["sha256"] for f in manifest["transit"]["feeds"]] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (MARTA, COBBLINC)
    ]
    bad = rewrite_zip(CALTRAIN, tmp_path / "bad.zip", _corrupt_non_utf8())
    refused = _jol("build", "--osm", str(ATLANTA_OSM), "--gtfs", str(bad), "--out", str(out))
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    error = json.loads(refused.stdout.strip().splitlines()[-1])["transit"]["error"]
    assert error["details"] == {
        "feed": "bad",
        "file": "stops.txt",
        "row": 3,
        "column": "stop_name",
        "message": error["details"]["message"],
    }


def test_per_stop_extra_boarding_time_is_respected(caltrain):
    """A stop cost (e.g. unknown accessibility) delays boarding there, nowhere else."""
    extra = np.zeros(caltrain.n_stops, np.int64)
    sf, sj = caltrain.stop_index("ct:70012"), caltrain.stop_index("ct:70262")
    extra[sf] = 900
    q = raptor.Query(CALTRAIN_DAY, 8 * 3600, [(sf, 0)], {sj: 0}, window_s=0)
    empty = raptor.Footpaths.none(caltrain.n_stops)
    plain = raptor.search(caltrain, q, empty)
    costly = raptor.search(caltrain, q, empty, raptor.BoardingFilter(stop_extra_s=extra))
    first_plain = min(j.legs[1].depart_s for j in plain)
    first_costly = min(j.legs[1].depart_s for j in costly)
    assert first_plain >= 8 * 3600
    assert first_costly >= 8 * 3600 + 900 > first_plain


def test_next_journeys_pages_valid_journeys_with_the_range_earliest_arrival(almaty):
    raw = RawFeed(ALMATY)
    fp = _footpaths(almaty)
    boarding = raptor.BoardingFilter(board_slack_s=30, min_transfer_s=90)
    paged = 0
    for q in _random_queries(almaty, ALMATY_DAY, 8, seed=21, window_s=3600):
        full = raptor.search(almaty, q, fp, boarding)
        pages = raptor.next_journeys(almaty, q, fp, boarding, limit=4)
        assert len(pages) <= 4
        assert bool(full) == bool(pages)
        if not pages:
            continue
        assert min(j.arrival_s for j in pages) == min(j.arrival_s for j in full)
        for journey in pages:
            assert q.depart_s <= journey.departure_s <= q.depart_s + q.window_s
            _check_against_raw(almaty, raw, journey, q, boarding)
        paged += len(pages) > 1
    assert paged >= 3
