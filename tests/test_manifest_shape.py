"""A manifest.json that is valid JSON of the wrong shape is refused or rebuilt, never a
traceback (issue 11, defect 5), through `jol build`, `jol route --graph`, `jol serve
--graph` and the web app's load.

Each test works on a private copy of the real compiled Herrenberg graph; rebuilds
run the real OSM pipeline (~4 s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import city_graph_dir

from cli.main import main
from jol import settings
from jol.artifact import MANIFEST, ManifestError, read_manifest, verify_artifacts
from jol.cities import load_city
from routing.errors import RoutingError

# Shapes that say nothing usable about the inputs: nothing can be rebuilt from them.
HOPELESS = {
    "list": [],
    "string": "x",
    "null": None,
    "inputs-object": {"inputs": {"a": 1}},
    "inputs-wrong-items": {"inputs": [{"kind": "osm", "path": 1, "sha256": "x"}]},
    "no-osm-input": {"format_version": settings.ARTIFACT_FORMAT_VERSION, "inputs": []},
}


@pytest.fixture(scope="module")
def source_dir() -> Path:
    return city_graph_dir("herrenberg")


@pytest.fixture()
def graph_copy(source_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(source_dir, tmp_path / "herrenberg"))


def _write(folder: Path, manifest: Any) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest))


def _route_args(folder: Path) -> list[str]:
    # Two points in Herrenberg's centre, (lat, lon) degrees: inputs only.
    return [
        *("route", "--graph", str(folder), "--profile", "default"),
        *("--from", "48.5955,8.8705", "--to", "48.5965,8.8745"),
    ]


def _assert_refused(stderr: str, folder: Path) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert str(folder) in lines[0]
    assert f"jol build --out {folder}" in lines[0]


@pytest.mark.parametrize("shape", sorted(HOPELESS))
def test_read_manifest_names_the_problem(graph_copy: Path, shape: str) -> None:
    _write(graph_copy, HOPELESS[shape])
    with pytest.raises(ManifestError, match="wrong shape"):
        read_manifest(graph_copy)


@pytest.mark.parametrize("shape", sorted(HOPELESS))
def test_cli_route_refuses_a_hopeless_manifest(
    graph_copy: Path, shape: str, capsys: pytest.CaptureFixture
) -> None:
    _write(graph_copy, HOPELESS[shape])
    assert main(_route_args(graph_copy)) == 2
    out = capsys.readouterr()
    assert out.out == ""
    _assert_refused(out.err, graph_copy)


@pytest.mark.parametrize("shape", ["list", "inputs-object"])
def test_cli_serve_refuses_a_hopeless_manifest(graph_copy: Path, shape: str) -> None:
    """A subprocess: were the manifest accepted, `serve` would exec gunicorn."""
    _write(graph_copy, HOPELESS[shape])
    done = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--graph", str(graph_copy), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(settings.REPO_ROOT)),
    )
    assert done.returncode == 2, done.stderr
    _assert_refused(done.stderr, graph_copy)


@pytest.mark.parametrize("shape", sorted(HOPELESS))
def test_the_web_app_refuses_a_hopeless_manifest(graph_copy: Path, shape: str) -> None:
    from web.app import create_app

    _write(graph_copy, HOPELESS[shape])
    with pytest.raises(RoutingError) as refused:
        create_app(graph_dir=graph_copy)
    assert refused.value.code == "artifact_invalid"
    assert refused.value.details["files"] == [MANIFEST]
    assert str(graph_copy) in refused.value.message and "wrong shape" in refused.value.message


@pytest.mark.parametrize("shape", ["list", "string", "inputs-object"])
def test_cli_build_replaces_a_hopeless_manifest(
    graph_copy: Path, shape: str, capsys: pytest.CaptureFixture
) -> None:
    """`jol build` knows its inputs from its flags, so a bad manifest is simply rebuilt."""
    _write(graph_copy, HOPELESS[shape])
    osm = load_city("herrenberg").files("osm")[0]
    assert main(["build", "--osm", str(osm), "--out", str(graph_copy)]) == 0
    assert json.loads(capsys.readouterr().out)["out"] == str(graph_copy)
    manifest = read_manifest(graph_copy)
    assert verify_artifacts(graph_copy, manifest) == []


def _with(manifest: dict, **changes: Any) -> dict:
    return manifest | changes


@pytest.mark.parametrize(
    "damage",
    [
        {"artifacts": []},
        {"graph": "big"},
        {"osm": {"bbox": "everywhere"}},
        {"format_version": "4"},
        {"build_seconds": None},
    ],
    ids=["artifacts-list", "graph-string", "bbox-string", "version-string", "seconds-null"],
)
def test_cli_route_rebuilds_a_manifest_whose_inputs_are_intact(
    graph_copy: Path, damage: dict, capsys: pytest.CaptureFixture
) -> None:
    """The wrong shape elsewhere, but the inputs still say what to build from: rebuilt."""
    good = json.loads((graph_copy / MANIFEST).read_text())
    _write(graph_copy, good | damage)
    assert main(_route_args(graph_copy)) == 0
    out = capsys.readouterr()
    assert "wrong shape" in out.err and "rebuilding from its recorded inputs" in out.err
    assert json.loads(out.out)["routes"][0]["distance_m"] > 0
    rebuilt = read_manifest(graph_copy)
    assert rebuilt["inputs"] == good["inputs"]
    assert verify_artifacts(graph_copy, rebuilt) == []
