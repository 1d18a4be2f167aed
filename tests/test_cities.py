"""Cities as data: each data/<key>.toml describes real files, and the compiled manifest
carries the city's clock and names, which routing reads from there."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli.main import main
from jol import cities, settings
from jol.cities import City, CityError, city_keys, load_city
from routing.service import Router

TEST_CITIES = {"almaty", "oslo", "helsinki", "herrenberg", "atlanta"}


def test_every_city_file_describes_the_files_it_names() -> None:
    assert set(city_keys()) >= TEST_CITIES
    for key in city_keys():
        city = load_city(key)
        assert city.key == key
        assert set(city.names) == set(settings.LANGUAGES) and all(city.names.values())
        ZoneInfo(city.time_zone)  # a real IANA zone
        west, south, east, north = city.bbox
        assert west < east and south < north
        assert len(city.paths("osm")) == 1
        assert all(i.source and i.licence for i in city.inputs)
        assert city.mismatches(("osm", "dem", "gtfs")) == [], key
        for feed in city.defaults.get("transit", {}).get("feeds", []):
            assert feed in city.paths("gtfs")


def test_a_changed_input_is_named_with_both_checksums() -> None:
    real = load_city("herrenberg")
    wrong = City(
        real.key,
        real.names,
        real.time_zone,
        real.bbox,
        tuple(type(i)(i.kind, i.path, "0" * 64, i.source, i.licence) for i in real.inputs),
    )
    (problem,) = wrong.mismatches()
    assert "0" * 64 in problem and real.inputs[0].sha256 in problem


def test_jol_build_refuses_a_default_input_that_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    text = (cities.CITIES_DIR / "herrenberg.toml").read_text(encoding="utf-8")
    real_sha = load_city("herrenberg").inputs[0].sha256
    (tmp_path / "herrenberg.toml").write_text(text.replace(real_sha, "f" * 64), encoding="utf-8")
    monkeypatch.setattr(cities, "CITIES_DIR", tmp_path)
    monkeypatch.setattr(settings, "DEFAULT_CITY", "herrenberg")
    assert main(["build", "--out", str(tmp_path / "graph")]) == 2
    err = capsys.readouterr().err
    assert "f" * 64 in err and real_sha in err and "herrenberg.toml" in err
    assert not (tmp_path / "graph").exists()


def test_a_missing_or_malformed_city_file_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cities, "CITIES_DIR", tmp_path)
    with pytest.raises(CityError, match="no city file"):
        load_city("nowhere")
    (tmp_path / "broken.toml").write_text('key = "broken"\n', encoding="utf-8")
    with pytest.raises(CityError, match="lacks or misstates"):
        load_city("broken")


@pytest.mark.parametrize("key", ["almaty", "oslo"])
def test_the_manifest_carries_the_citys_clock_and_names(key: str, request) -> None:
    router: Router = request.getfixturevalue(key)
    city = load_city(key)
    assert router.graph.manifest["time_zone"] == city.time_zone == router.time_zone
    assert router.graph.manifest["city_names"] == city.names
    assert router.graph.manifest["city"] == city.names["en"]


def test_a_naive_depart_time_is_read_on_the_manifests_clock(almaty: Router) -> None:
    a = almaty.graph.arrays
    point = (float(a["node_lat"][0]), float(a["node_lon"][0]))
    answer = almaty.route(point, point, "default", None, datetime(2026, 6, 21, 12))
    assert answer["conditions"]["time_zone"] == "Asia/Almaty"
    assert answer["conditions"]["depart_at"] == "2026-06-21T12:00:00+05:00"


def test_a_graph_built_before_manifests_held_the_clock_is_rebuilt_with_it(tmp_path: Path) -> None:
    """A format-6 manifest has no time zone: the rebuild takes it from the city's data file."""
    from conftest import city_graph_dir

    from graph_build.build import rebuild_from_manifest
    from jol.artifact import MANIFEST, read_manifest

    graph = tmp_path / "herrenberg"
    shutil.copytree(city_graph_dir("herrenberg"), graph)
    manifest = json.loads((graph / MANIFEST).read_text(encoding="utf-8"))
    del manifest["time_zone"], manifest["city_names"]
    manifest["format_version"] = 6
    (graph / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    rebuild_from_manifest(graph, progress=lambda _: None)
    rebuilt = read_manifest(graph)
    assert rebuilt["format_version"] == settings.ARTIFACT_FORMAT_VERSION
    assert rebuilt["time_zone"] == "Europe/Berlin"
    assert rebuilt["city_names"] == load_city("herrenberg").names


def test_a_changed_time_zone_rebuilds_and_an_unstated_one_does_not(tmp_path: Path) -> None:
    from conftest import city_graph_dir

    from graph_build.build import build_street_artifact

    graph = tmp_path / "herrenberg"
    shutil.copytree(city_graph_dir("herrenberg"), graph)
    osm = load_city("herrenberg").files("osm")[0]
    said: list[str] = []
    kept = build_street_artifact(osm, graph, city="Herrenberg", progress=said.append)
    assert kept["time_zone"] == "Europe/Berlin" and said[-1].endswith("nothing to build")
    moved = build_street_artifact(osm, graph, city="Herrenberg", time_zone="Europe/Paris")
    assert moved["time_zone"] == "Europe/Paris" and moved["built_at"] >= kept["built_at"]
    assert json.loads((graph / "manifest.json").read_text())["time_zone"] == "Europe/Paris"
