"""Compiled artifact integrity on a real (Herrenberg) graph: damage is detected and rebuilt.

Each test works on a copy of the compiled graph in tmp_path, so the shared test
graph is never touched. Rebuilds run the real OSM pipeline (~4 s for Herrenberg).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
from conftest import city_graph_dir

from graph_build.build import build_street_artifact, rebuild_from_manifest
from jol import settings
from jol.artifact import ARRAYS, MANIFEST, VOCAB, verify_artifacts
from routing.errors import RoutingError
from routing.graph import StreetGraph
from routing.service import Router


@pytest.fixture(scope="module")
def source_dir() -> Path:
    """The compiled Herrenberg graph (built once per machine by conftest)."""
    return city_graph_dir("herrenberg")


@pytest.fixture()
def graph_copy(source_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the Herrenberg artifact folder."""
    return Path(shutil.copytree(source_dir, tmp_path / "herrenberg"))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "truncated-npz": (ARRAYS, _truncate),
    "flipped-npz": (ARRAYS, _flip_byte),
    "deleted-vocab": (VOCAB, Path.unlink),
    "flipped-places": (settings.PLACES_FILENAME, _flip_byte),
}


def _two_connected_points(graph: StreetGraph) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two nodes of the largest component far apart, (lat, lon) degrees."""
    nodes = np.flatnonzero(graph.arrays["node_component"] == 0)
    lat, lon = graph.node_lat[nodes], graph.node_lon[nodes]
    a, b = int(np.argmin(lat + lon)), int(np.argmax(lat + lon))
    return (float(lat[a]), float(lon[a])), (float(lat[b]), float(lon[b]))


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=settings.REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(settings.REPO_ROOT)),
    )


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_artifact_is_refused_then_rebuilt(graph_copy: Path, damage: str) -> None:
    name, corrupt = DAMAGE[damage]
    corrupt(graph_copy / name)

    with pytest.raises(RoutingError) as refused:
        StreetGraph.load(graph_copy)
    assert refused.value.code == "artifact_invalid"
    assert refused.value.details["files"] == [name]

    messages: list[str] = []
    manifest = rebuild_from_manifest(graph_copy, progress=messages.append)
    assert manifest is not None
    assert name in messages[0] and "rebuilding" in messages[0]
    assert verify_artifacts(graph_copy, manifest) == []
    router = Router.load(graph_copy)
    origin, destination = _two_connected_points(router.graph)
    answer = router.route(origin, destination, "default")
    assert answer["routes"][0]["distance_m"] > 0


def test_unreadable_manifest_is_artifact_invalid(graph_copy: Path) -> None:
    (graph_copy / MANIFEST).write_bytes(b'{"format_version": 2, "artifacts": {"stree')
    with pytest.raises(RoutingError) as refused:
        StreetGraph.load(graph_copy)
    assert refused.value.code == "artifact_invalid"
    with pytest.raises(FileNotFoundError, match=str(graph_copy / MANIFEST)):
        rebuild_from_manifest(graph_copy, progress=lambda _: None)


def test_unchanged_inputs_skip_the_build(graph_copy: Path) -> None:
    manifest = json.loads((graph_copy / MANIFEST).read_text())
    before = _mtimes(graph_copy)
    inputs = manifest["inputs"]
    osm = next(Path(i["path"]) for i in inputs if i["kind"] == "osm")
    dems = [Path(i["path"]) for i in inputs if i["kind"] == "dem"]
    messages: list[str] = []

    again = build_street_artifact(
        osm, graph_copy, dems=dems, city=manifest["city"], progress=messages.append
    )
    assert again["built_at"] == manifest["built_at"]
    assert messages == [f"artifact in {graph_copy} is current; nothing to build"]
    assert rebuild_from_manifest(graph_copy, progress=messages.append) == manifest
    assert len(messages) == 1  # an intact artifact is not rebuilt either
    assert _mtimes(graph_copy) == before


def test_cli_route_rebuilds_a_damaged_graph(graph_copy: Path) -> None:
    origin, destination = _two_connected_points(StreetGraph.load(graph_copy))
    _flip_byte(graph_copy / ARRAYS)
    done = _cli(
        "route",
        "--graph",
        str(graph_copy),
        "--from",
        f"{origin[0]},{origin[1]}",
        "--to",
        f"{destination[0]},{destination[1]}",
        "--profile",
        "default",
    )
    assert done.returncode == 0, done.stderr
    assert f"compiled graph in {graph_copy} is damaged ({ARRAYS})" in done.stderr
    assert json.loads(done.stdout)["routes"][0]["distance_m"] > 0
    StreetGraph.load(graph_copy)  # verified: the rebuilt files hash to the new manifest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> dict:
    """The health answer of a starting server; fails if it exits or stays down."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"jol serve exited with {proc.returncode}"
        try:
            return requests.get(url, timeout=2).json()
        except requests.RequestException:
            time.sleep(0.25)
    pytest.fail(f"jol serve not healthy within {timeout_s} s")


def test_cli_serve_rebuilds_a_damaged_graph(graph_copy: Path, tmp_path: Path) -> None:
    """`jol serve --graph` (real gunicorn on loopback) repairs the folder, then serves it."""
    _truncate(graph_copy / ARRAYS)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "cli", "serve", "--graph", str(graph_copy)),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            cwd=settings.REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # gunicorn's workers share the group: one signal stops all
        )
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}/api/v1/health", proc)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    served = json.loads((graph_copy / MANIFEST).read_text())["artifacts"]
    assert health["data"]["artifacts"] == served
    assert f"compiled graph in {graph_copy} is damaged ({ARRAYS})" in log.read_text()


def _point_input_at(graph_copy: Path, missing: Path) -> None:
    manifest_path = graph_copy / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["inputs"]:
        if entry["kind"] == "osm":
            entry["path"] = str(missing)
    manifest_path.write_text(json.dumps(manifest))


def test_missing_input_of_a_damaged_graph_names_the_path(graph_copy: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "herrenberg.osm.pbf"
    _point_input_at(graph_copy, missing)
    (graph_copy / VOCAB).unlink()
    done = _cli(
        *("route", "--graph", str(graph_copy), "--from", "48.59,8.86", "--to", "48.6,8.87"),
        *("--profile", "default"),
    )
    assert done.returncode == 2
    assert str(missing) in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_moved_clone_rebuilds_from_the_same_file_in_the_data_folder(
    graph_copy: Path, tmp_path: Path
) -> None:
    """Recorded paths are absolute; another checkout finds identical inputs in data_dir()."""
    recorded = json.loads((graph_copy / MANIFEST).read_text())["inputs"][0]["path"]
    moved = tmp_path / "old-checkout" / Path(recorded).parent.name / Path(recorded).name
    _point_input_at(graph_copy, moved)
    (graph_copy / VOCAB).unlink()
    manifest = rebuild_from_manifest(graph_copy, progress=lambda _: None)
    assert manifest is not None and verify_artifacts(graph_copy, manifest) == []
    assert Path(manifest["inputs"][0]["path"]).is_file()


def test_missing_input_of_an_intact_graph_is_not_needed(graph_copy: Path, tmp_path: Path) -> None:
    """A shipped graph without its raw data still loads: inputs are read only to rebuild."""
    _point_input_at(graph_copy, tmp_path / "gone.osm.pbf")
    assert rebuild_from_manifest(graph_copy, progress=lambda _: None) is not None
    StreetGraph.load(graph_copy)


def test_cli_build_missing_osm_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    done = _cli("build", "--osm", str(missing), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert str(missing) in done.stderr
    assert "Traceback" not in done.stderr
