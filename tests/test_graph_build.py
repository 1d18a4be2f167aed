"""The compiled street graph keeps what accessibility needs, on real extracts."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import osmium
from conftest import city_graph_dir, city_router

from graph_build.street import is_walkable
from jol import settings


def _walkable_kerb_nodes(path) -> set[int]:
    """Kerb-tagged OSM nodes that lie on a walkable way, counted independently with pyosmium."""
    kerbs = {
        node.id
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE)
        if "kerb" in node.tags or node.tags.get("barrier") == "kerb"
    }
    on_ways = set()
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        tags = dict(way.tags)
        if tags.get("highway") and is_walkable(tags):
            on_ways.update(n.ref for n in way.nodes if n.ref in kerbs)
    return on_ways


def test_every_kerb_on_a_walkable_way_survives_simplification() -> None:
    router = city_router("oslo")
    a = router.graph.arrays
    in_graph = set(a["node_osmid"][a["node_has_kerb"]].tolist())
    expected = _walkable_kerb_nodes(
        settings.data_dir() / "osm-accessibility-fixtures/oslo-east-filtered.osm.pbf"
    )
    assert len(expected) > 400
    missing = expected - in_graph
    # A kerb on a way cut by the extract's edge may lose its way; nothing else may vanish.
    assert len(missing) <= len(expected) * 0.01, sorted(missing)[:10]


def test_edges_belong_to_one_way_and_run_both_directions() -> None:
    a = city_router("oslo").graph.arrays
    reverse = a["edge_reverse"]
    assert (reverse >= 0).mean() > 0.99
    paired = np.flatnonzero(reverse >= 0)
    assert (a["edge_u"][reverse[paired]] == a["edge_v"][paired]).all()
    assert (a["edge_osm_way_id"][reverse[paired]] == a["edge_osm_way_id"][paired]).all()


def test_dem_slopes_are_directed_and_incline_tags_win() -> None:
    almaty = city_router("almaty").graph.arrays
    dem = np.flatnonzero((almaty["edge_incline_source"] == 1) & (almaty["edge_reverse"] >= 0))
    rev = almaty["edge_reverse"][dem]
    assert np.allclose(almaty["edge_grade_pct"][rev], -almaty["edge_grade_pct"][dem], atol=0.05)
    assert np.allclose(almaty["edge_max_up_pct"][rev], almaty["edge_max_down_pct"][dem], atol=0.05)
    assert (almaty["edge_incline_source"] == 1).mean() > 0.99  # the DEM covers the whole city

    oslo = city_router("oslo").graph.arrays
    tagged = np.flatnonzero(oslo["edge_incline_source"] == 2)
    assert len(tagged) > 10
    assert np.allclose(oslo["edge_grade_pct"][tagged], oslo["edge_incline_tag_pct"][tagged])


def test_manifest_records_inputs_counts_and_artifacts() -> None:
    manifest = json.loads((city_graph_dir("almaty") / "manifest.json").read_text())
    kinds = [entry["kind"] for entry in manifest["inputs"]]
    assert kinds == ["osm", "dem", "dem"]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"])
    assert manifest["osm"]["newest_timestamp"].startswith("2012-03")
    assert manifest["graph"]["nodes"] > 5000
    assert set(manifest["artifacts"]) == {"street.npz", "vocab.json", "places.parquet", "drive.npz"}
    # The drive graph's own section (issue 15): Almaty's tagged turn restrictions are read.
    assert manifest["drive"]["restrictions_read"] > 50
    assert 0 < manifest["drive"]["restrictions_applied"] <= manifest["drive"]["restrictions_read"]


def test_route_answer_is_consistent(almaty) -> None:
    answer = almaty.route((43.2548, 76.9449), (43.2449, 76.9499), "wheelchair_manual")
    route = answer["routes"][0]
    coords = route["geometry"]["coordinates"]
    lon_min, lat_min, lon_max, lat_max = almaty.info()["bbox"]
    assert all(lon_min <= lon <= lon_max and lat_min <= lat <= lat_max for lon, lat in coords)
    assert coords[0] == [answer["snap"]["from"]["lon"], answer["snap"]["from"]["lat"]]
    assert coords[-1] == [answer["snap"]["to"]["lon"], answer["snap"]["to"]["lat"]]
    ranges = [s["coordinates_range"] for s in route["segments"]]
    assert ranges[0][0] == 0 and ranges[-1][1] == len(coords) - 1
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert abs(sum(s["length_m"] for s in route["segments"]) - route["distance_m"]) < 0.1 * len(
        ranges
    )
    assert route["duration_s"] > route["distance_m"] / 1.5
    assert route["unknown"]["surface_m"] > 0  # 2012 Almaty has almost no surface tags
    # The DEM gives every street a grade, and a steep stretch says it was estimated from it.
    assert isinstance(route["steepest"]["up_pct"], float)
    steep = [w for w in route["warnings"] if w["code"] == "steep_stretch"]
    assert all(w["params"]["source"] == "dem" for w in steep)


def _jol(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_route_prints_the_answer(almaty) -> None:
    graph = str(city_graph_dir("almaty"))
    done = _jol(
        "route",
        "--graph",
        graph,
        "--from",
        "43.2548,76.9449",
        "--to",
        "43.2449,76.9499",
        "--profile",
        "wheelchair_manual",
        "--override",
        "max_kerb_cm=4",
        "--depart-at",
        "2026-12-06T20:00",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["overrides"] == {"max_kerb_cm": 4}
    assert answer["routes"][0]["distance_m"] > 500
    assert answer["conditions"]["depart_at"] == "2026-12-06T20:00:00+05:00"
    assert answer["conditions"]["daylight"] is False


def test_cli_no_accessible_route_exits_zero_and_names_the_barrier(almaty) -> None:
    graph = str(city_graph_dir("almaty"))
    done = _jol(
        "route",
        "--graph",
        graph,
        "--from",
        "43.262,76.935",
        "--to",
        "43.238,76.945",
        "--profile",
        "wheelchair_manual",
        "--override",
        "max_incline_up_pct=2",
    )
    assert done.returncode == 0, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "no_accessible_route"
    assert error["details"]["blocking"][0]["reason"] == "too_steep_up"


def test_cli_usage_errors_exit_two(almaty) -> None:
    graph = str(city_graph_dir("almaty"))
    assert _jol("route", "--graph", graph, "--from", "north", "--to", "43.2,76.9").returncode == 2
    late = _jol(
        "route",
        "--graph",
        graph,
        "--from",
        "43.25,76.94",
        "--to",
        "43.24,76.95",
        "--profile",
        "default",
        "--depart-at",
        "after lunch",
    )
    assert late.returncode == 2 and "ISO 8601" in late.stderr
    bad_profile = _jol(
        "route", "--graph", graph, "--from", "43.25,76.94", "--to", "43.24,76.95", "--profile", "x"
    )
    assert bad_profile.returncode == 2
    assert "invalid choice: 'x'" in bad_profile.stderr and "wheelchair_manual" in bad_profile.stderr


def test_roads_keep_their_lanes_and_crossing_nodes_the_lanes_crossed() -> None:
    """Each road edge's lanes are its OSM way's `lanes` (read with pyosmium); each crossing
    node on a road knows the most lanes of the roads through it, or unknown (-1)."""
    path = settings.data_dir() / "osm-accessibility-fixtures/oslo-east-filtered.osm.pbf"
    lanes, through = {}, {}
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        text = way.tags.get("lanes", "")
        lanes[way.id] = int(text) if text.isdigit() and int(text) > 0 else -1
        for ref in way.nodes:
            through.setdefault(ref.ref, set()).add(way.id)
    a = city_router("oslo").graph.arrays
    roads = np.flatnonzero(a["edge_is_road"])
    tagged = [int(lanes.get(int(a["edge_osm_way_id"][e]), -1)) for e in roads]
    assert a["edge_lanes"][roads].tolist() == tagged
    assert sum(n > 0 for n in tagged) > 500
    checked = 0
    for node in np.flatnonzero(a["node_is_crossing"]):
        at_roads = {
            int(a["edge_osm_way_id"][e])
            for e in np.flatnonzero(a["edge_u"] == node)
            if a["edge_is_road"][e]
        }
        if not at_roads:
            continue
        expected = max(lanes[w] for w in at_roads & through[int(a["node_osmid"][node])])
        assert a["node_crossing_lanes"][node] == expected, int(a["node_osmid"][node])
        checked += expected > 0
    assert checked >= 10


def test_islands_and_lane_counts_are_read_as_tagged_else_unknown() -> None:
    from graph_build import tags

    assert tags.crossing_island({"crossing:island": "yes"}) == tags.YES
    assert tags.crossing_island({"crossing:island": "no", "traffic_calming": "island"}) == tags.NO
    assert tags.crossing_island({"traffic_calming": "island"}) == tags.YES
    assert tags.crossing_island({"traffic_calming": "bump"}) == tags.UNKNOWN
    assert [tags.lane_count(v) for v in ("2", " 4 ", "2;3", "0", "many", None)] == [
        *(2, 4),
        *(-1, -1, -1, -1),
    ]
