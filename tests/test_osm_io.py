"""Tests for graph_build.osm_io on the real shared OSM files."""

from __future__ import annotations

import bz2
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import osmium
import osmnx as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_build.osm_io import (
    ACCESSIBILITY_TAGS,
    OsmInputError,
    PreparedOsm,
    longest_present_run,
    prepare_osm_xml,
    scan_osm,
)
from jol.settings import data_dir

ALMATY_PBF = data_dir() / "almaty-osm-2012" / "almaty-2012.osm.pbf"
ALMATY_CLEAN = data_dir() / "almaty-osm-2012" / "almaty-2012-clean.osm.bz2"
OSLO_PBF = data_dir() / "osm-accessibility-fixtures" / "oslo-east-filtered.osm.pbf"
OSLO_BZ2 = data_dir() / "osm-accessibility-fixtures" / "oslo-east-filtered.osm.bz2"
HERRENBERG_BZ2 = data_dir() / "osm-accessibility-fixtures" / "herrenberg-minimal.osm.bz2"
HERRENBERG_PBF = data_dir() / "osm-accessibility-fixtures" / "herrenberg-minimal.osm.pbf"


def _ways(path: Path) -> dict[int, list[int]]:
    return {w.id: [n.ref for n in w.nodes] for w in osmium.FileProcessor(str(path), osmium.osm.WAY)}


# --- prepare_osm_xml -------------------------------------------------------


@pytest.fixture(scope="module")
def almaty_prepared(tmp_path_factory: pytest.TempPathFactory) -> PreparedOsm:
    """The Almaty pbf prepared once for the read-only tests below."""
    return prepare_osm_xml(ALMATY_PBF, tmp_path_factory.mktemp("almaty"))


def test_almaty_pbf_repair_counts_match_provenance(tmp_path: Path) -> None:
    prepared = prepare_osm_xml(ALMATY_PBF, tmp_path)

    assert prepared.rewritten
    assert prepared.xml_path.parent == tmp_path
    assert prepared.xml_path.name.endswith(".osm")
    # PROVENANCE.md: 32 damaged ways -> 30 shortened, 2 dropped.
    assert (prepared.ways_repaired, prepared.ways_dropped) == (30, 2)
    assert prepared.source_sha256 == (
        "9582e95712cf1ab35f4458679a249472822e0a642804afa0ef5893994b8752a1"
    )


def test_almaty_pbf_repair_equals_shared_clean_file(almaty_prepared: PreparedOsm) -> None:
    """Our repair reproduces the independently derived clean file way for way."""
    prepared = almaty_prepared
    ours = _ways(prepared.xml_path)
    reference = _ways(ALMATY_CLEAN)
    original = _ways(ALMATY_PBF)

    assert ours == reference
    changed = [wid for wid in ours if ours[wid] != original[wid]]
    assert len(changed) == 30
    assert len(set(original) - set(ours)) == 2


def test_prepared_file_keeps_every_node_and_has_no_dangling_refs(
    almaty_prepared: PreparedOsm,
) -> None:
    prepared = almaty_prepared
    summary = scan_osm(prepared.xml_path)
    node_ids = osmium.index.IdSet()
    for node in osmium.FileProcessor(str(prepared.xml_path), osmium.osm.NODE):
        node_ids.set(node.id)

    assert summary.nodes == 75_288
    assert summary.ways == 13_282 - 2
    assert summary.relations == 106
    assert all(ref in node_ids for refs in _ways(prepared.xml_path).values() for ref in refs)


@pytest.mark.slow
def test_prepared_almaty_loads_in_osmnx(almaty_prepared: PreparedOsm) -> None:
    graph = ox.graph_from_xml(almaty_prepared.xml_path, simplify=False, retain_all=True)

    assert graph.number_of_nodes() > 10_000
    assert graph.number_of_edges() > 20_000
    lons = [d["x"] for _, d in graph.nodes(data=True)]
    assert min(lons) > 76.5 and max(lons) < 77.3


def test_second_call_reuses_cached_file(tmp_path: Path) -> None:
    first = prepare_osm_xml(ALMATY_PBF, tmp_path)
    mtime = first.xml_path.stat().st_mtime_ns

    second = prepare_osm_xml(ALMATY_PBF, tmp_path)

    assert second == first
    assert second.xml_path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_cache_is_redone_when_prepared_file_is_gone(tmp_path: Path) -> None:
    first = prepare_osm_xml(ALMATY_PBF, tmp_path)
    first.xml_path.unlink()

    again = prepare_osm_xml(ALMATY_PBF, tmp_path)

    assert again == first
    assert again.xml_path.is_file()


def test_clean_bz2_needs_no_repair_and_is_not_copied(tmp_path: Path) -> None:
    prepared = prepare_osm_xml(ALMATY_CLEAN, tmp_path)

    assert (prepared.ways_repaired, prepared.ways_dropped) == (0, 0)
    assert not prepared.rewritten
    assert prepared.xml_path == ALMATY_CLEAN
    assert not list(tmp_path.glob("*.osm"))


def test_clean_pbf_is_converted_without_repair(tmp_path: Path) -> None:
    prepared = prepare_osm_xml(HERRENBERG_PBF, tmp_path)

    assert prepared.rewritten
    assert (prepared.ways_repaired, prepared.ways_dropped) == (0, 0)
    assert _ways(prepared.xml_path) == _ways(HERRENBERG_BZ2)


def test_herrenberg_prepared_loads_in_osmnx(tmp_path: Path) -> None:
    prepared = prepare_osm_xml(HERRENBERG_PBF, tmp_path)
    graph = ox.graph_from_xml(prepared.xml_path, simplify=False, retain_all=True)

    assert graph.number_of_edges() > 1_000


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.osm\.pbf"):
        prepare_osm_xml(missing, tmp_path / "work")
    with pytest.raises(FileNotFoundError, match=r"nowhere\.osm\.pbf"):
        scan_osm(missing)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.osm", b"this is not xml at all"),
        ("garbage.osm.pbf", b"\x00\x00\x00\x0dnot a pbf blob header at all" * 10),
        ("garbage.osm.bz2", b"BZh9 definitely not bzip2"),
        ("empty.osm", b""),
        ("noways.osm", b'<?xml version="1.0"?><osm version="0.6"></osm>'),
        ("map.geojson", b'{"type": "FeatureCollection", "features": []}'),
    ],
)
def test_unreadable_input_raises_osm_input_error(tmp_path: Path, name: str, content: bytes) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)

    with pytest.raises(OsmInputError, match=re.escape(name)):
        prepare_osm_xml(bad, tmp_path / "work")


def test_truncated_bz2_raises_osm_input_error(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.osm.bz2"
    truncated.write_bytes(HERRENBERG_BZ2.read_bytes()[:50_000])

    with pytest.raises(OsmInputError, match="truncated"):
        prepare_osm_xml(truncated, tmp_path / "work")
    assert not list((tmp_path / "work").glob("*.osm"))


def test_garbage_scan_raises_osm_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.osm.pbf"
    bad.write_bytes(b"\xff" * 100)
    with pytest.raises(OsmInputError, match="garbage"):
        scan_osm(bad)


def test_osm_input_error_is_a_value_error() -> None:
    assert issubclass(OsmInputError, ValueError)


# --- longest_present_run ----------------------------------------------------


@given(
    refs=st.lists(st.integers(min_value=1, max_value=30), max_size=40),
    present_ids=st.sets(st.integers(min_value=1, max_value=30)),
)
def test_longest_present_run_matches_brute_force(refs: list[int], present_ids: set[int]) -> None:
    present = osmium.index.IdSet()
    for node_id in present_ids:
        present.set(node_id)

    run = longest_present_run(refs, present)

    best: list[int] = []
    for i in range(len(refs)):
        for j in range(i, len(refs) + 1):
            window = refs[i:j]
            if all(r in present_ids for r in window) and len(window) > len(best):
                best = window
    assert run == best


# --- scan_osm ---------------------------------------------------------------


def _xml_tag_counts(path: Path) -> dict[str, int]:
    """Independent count (ElementTree on the XML conversion) of elements per tag key."""
    counts: dict[str, int] = {}
    with bz2.open(path, "rb") as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag in {"node", "way", "relation"}:
                for key in {t.get("k") for t in elem.iter("tag")}:
                    counts[key] = counts.get(key, 0) + 1
                for tag in elem.iter("tag"):
                    pair = f"{tag.get('k')}={tag.get('v')}"
                    counts[pair] = counts.get(pair, 0) + 1
                elem.clear()
    return counts


def test_oslo_scan_agrees_with_provenance() -> None:
    summary = scan_osm(OSLO_PBF)

    assert (summary.nodes, summary.ways) == (85_249, 14_893)
    assert summary.newest_timestamp is not None
    assert summary.newest_timestamp.startswith("2019-10-07T")
    min_lon, min_lat, max_lon, max_lat = summary.bbox
    assert round(min_lon, 3) == 10.708 and round(max_lon, 3) == 10.829
    assert round(min_lat, 3) == 59.860 and round(max_lat, 3) == 59.938
    counts = summary.tag_counts
    # PROVENANCE counts per element type (343 nodes + 3 ways etc.); ours count
    # every element with the key, so they may be a little higher, never lower.
    assert 343 + 3 <= counts["tactile_paving"] <= 346 + 10
    assert 510 + 1 <= counts["kerb"] <= 511 + 10
    assert counts["traffic_signals:sound"] >= 44
    assert counts["footway=sidewalk"] >= 1_550
    assert counts["footway=crossing"] >= 1_670
    assert counts["incline"] >= 224


def test_oslo_scan_matches_independent_xml_count() -> None:
    """pbf scan == ElementTree count on the lossless XML conversion, for every pattern."""
    summary = scan_osm(OSLO_PBF)
    expected = _xml_tag_counts(OSLO_BZ2)

    for name, count in summary.tag_counts.items():
        assert count == expected.get(name, 0), name
    sidewalk_keys = {k for k in expected if k.startswith("sidewalk:") and "=" not in k}
    assert sidewalk_keys == {k for k in summary.tag_counts if k.startswith("sidewalk:")}


def test_scan_reports_every_fixed_pattern_even_when_absent() -> None:
    summary = scan_osm(ALMATY_PBF)

    fixed = [p for p in ACCESSIBILITY_TAGS if not p.endswith(":*")]
    assert set(fixed) <= set(summary.tag_counts)
    # PROVENANCE: 2012 Almaty has no tactile paving or kerbs but 38 crossing=* nodes.
    assert summary.tag_counts["tactile_paving"] == 0
    assert summary.tag_counts["kerb"] == 0
    assert summary.tag_counts["crossing"] == 38
    assert summary.tag_counts["highway=steps"] == 5
    assert summary.tag_counts["wheelchair"] == 3
    assert summary.newest_timestamp == "2012-03-13T17:07:43Z"
    assert (summary.nodes, summary.ways, summary.relations) == (75_288, 13_282, 106)


def test_scan_without_timestamps_reports_none(tmp_path: Path) -> None:
    osm = tmp_path / "bare.osm"
    osm.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="43.25" lon="76.9"><tag k="kerb" v="lowered"/></node>'
        '<node id="2" lat="43.26" lon="76.95"/>'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="sidewalk:left" v="yes"/></way>'
        "</osm>",
        encoding="utf-8",
    )

    summary = scan_osm(osm)

    assert summary.newest_timestamp is None
    assert summary.bbox == (76.9, 43.25, 76.95, 43.26)
    assert summary.tag_counts["kerb"] == 1
    assert summary.tag_counts["sidewalk:left"] == 1
    assert summary.tag_counts["sidewalk"] == 0
