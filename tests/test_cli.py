"""Answers to a person's mistakes, through the real `jol` main() and the real HTTP app.

Each test is a mistake a newcomer made (issue 9): a --graph folder that is not
a compiled graph, fetching while offline, a misspelt --override key, latitude
and longitude swapped, and a route without --profile. The router runs on the
real compiled Almaty graph; only the network is faked, at the HTTP boundary
(`responses`), because this machine is offline anyway.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import osmnx as ox
import pytest
import requests
import responses
from web_fixtures import ALMATY_FROM, ALMATY_TO

from cli.main import main
from jol import settings
from routing.errors import RoutingError
from routing.profiles import PARAMETERS, load_profiles

pytest_plugins = ["web_fixtures"]

FROM = f"{ALMATY_FROM[0]},{ALMATY_FROM[1]}"
TO = f"{ALMATY_TO[0]},{ALMATY_TO[1]}"
BUILD_HINT = "jol build --osm FILE --out"
OVERPASS_URL = "https://overpass-api.de/api"
NOMINATIM_URL = "https://nominatim.openstreetmap.org/search"
GTFS_URL = "https://transit.example.test/feeds/almaty.zip"


def _offline(host: str) -> requests.ConnectionError:
    """What requests raises when DNS cannot resolve `host`: the words of a real offline run."""
    return requests.ConnectionError(
        f"HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: /x "
        f'(Caused by NameResolutionError("<urllib3.connection.HTTPSConnection object>: '
        f"Failed to resolve '{host}' ([Errno -3] Temporary failure in name resolution)\"))"
    )


def _route(*extra: str, graph: Path | None = None) -> list[str]:
    graph_args = ["--graph", str(graph)] if graph is not None else []
    return ["route", *graph_args, "--from", FROM, "--to", TO, *extra]


# --- --graph that is not a compiled graph ------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "empty folder", "a file"])
def test_route_with_a_wrong_graph_is_a_usage_error_with_the_build_command(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = tmp_path / "nowhere"
    if kind == "empty folder":
        graph.mkdir()
    elif kind == "a file":
        graph.write_text("not a graph")

    status = main(_route("--profile", "default", graph=graph))

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(graph) in err and f"{BUILD_HINT} {graph}" in err


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_with_a_missing_graph_says_so_in_one_line(tmp_path: Path) -> None:
    """A subprocess, as a person runs it: the old code exec'd gunicorn into a traceback."""
    graph = tmp_path / "nowhere"
    command = [sys.executable, "-m", "cli", "serve", "--graph", str(graph)]
    done = subprocess.run(
        [*command, "--port", str(_free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(settings.REPO_ROOT)),
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{BUILD_HINT} {graph}" in done.stderr


# --- fetch while offline -------------------------------------------------------------


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every server Jol fetches from fails to resolve, as on a machine with no network."""
    monkeypatch.setattr(ox.settings, "overpass_url", OVERPASS_URL)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", True)  # the default: /status first
    monkeypatch.setattr(ox.settings, "use_cache", False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.get(OVERPASS_URL + "/status", body=_offline("overpass-api.de"))
        http.post(OVERPASS_URL + "/interpreter", body=_offline("overpass-api.de"))
        http.get(NOMINATIM_URL, body=_offline("nominatim.openstreetmap.org"))
        http.get(GTFS_URL, body=_offline("transit.example.test"))
        yield http


@pytest.mark.parametrize(
    ("argv", "service", "host"),
    [
        (["osm", "--bbox", "76.90,43.23,76.96,43.26"], "Overpass", "overpass-api.de"),
        (["osm", "--place", "Almaty, Kazakhstan"], "Nominatim", "nominatim.openstreetmap.org"),
        (["gtfs", "--url", GTFS_URL], "the GTFS server", "transit.example.test"),
    ],
)
def test_fetch_offline_is_one_line_naming_the_server(
    offline: Any,
    argv: list[str],
    service: str,
    host: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out_path = tmp_path / ("almaty.osm" if argv[0] == "osm" else "feeds")

    status = main(["fetch", *argv, "--out", str(out_path)])

    out, err = capsys.readouterr()
    assert status == 1
    assert out == ""
    assert err == (
        f"jol: cannot reach {service} ({host}): Temporary failure in name resolution; "
        "is this machine online?\n"
    )
    assert offline.calls, "the fake network was never asked"


# --- overrides -----------------------------------------------------------------------


def test_misspelt_override_names_the_closest_key_and_lists_all(router: Any) -> None:
    with pytest.raises(RoutingError) as raised:
        router.route(ALMATY_FROM, ALMATY_TO, "wheelchair_manual", {"max_kurb_cm": 4})
    error = raised.value
    assert error.code == "invalid_override"
    assert error.details["did_you_mean"] == "max_kerb_cm"
    assert error.details["valid_keys"] == sorted(PARAMETERS)
    assert "'max_kerb_cm'" in error.message
    assert all(key in error.message for key in PARAMETERS)
    assert "Additional properties" not in error.message  # jsonschema's words


def test_an_override_far_from_every_key_guesses_nothing(router: Any) -> None:
    with pytest.raises(RoutingError) as raised:
        router.route(ALMATY_FROM, ALMATY_TO, "wheelchair_manual", {"colour": "red"})
    assert raised.value.details["did_you_mean"] is None
    assert raised.value.details["valid_keys"] == sorted(PARAMETERS)


def test_override_out_of_range_says_the_range(router: Any) -> None:
    _, low, high, _ = PARAMETERS["max_kerb_cm"]
    with pytest.raises(RoutingError) as raised:
        router.route(ALMATY_FROM, ALMATY_TO, "wheelchair_manual", {"max_kerb_cm": high + 1})
    assert raised.value.code == "invalid_override"
    assert f"from {low:g} to {high:g}" in raised.value.message
    assert f"got {high + 1:g}" in raised.value.message


def test_misspelt_override_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(_route("--profile", "wheelchair_manual", "--override", "max_kurb_cm=4"))
    _, err = capsys.readouterr()
    assert status == 2
    assert "Did you mean 'max_kerb_cm'?" in err
    assert "unknown_sidewalk_factor" in err  # the full list of valid keys


def test_misspelt_override_over_http(client: Any) -> None:
    body = {
        "from": {"lat": ALMATY_FROM[0], "lon": ALMATY_FROM[1]},
        "to": {"lat": ALMATY_TO[0], "lon": ALMATY_TO[1]},
        "profile": "wheelchair_manual",
        "overrides": {"max_kurb_cm": 4},
    }
    response = client.post("/api/v1/route", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_override"
    assert error["details"]["did_you_mean"] == "max_kerb_cm"
    assert error["details"]["valid_keys"] == sorted(PARAMETERS)
    assert "Did you mean 'max_kerb_cm'?" in error["message"]


# --- latitude and longitude swapped -----------------------------------------------


def test_swapped_coordinates_over_http(client: Any) -> None:
    query = f"from={ALMATY_FROM[1]},{ALMATY_FROM[0]}&to={TO}&profile=default"
    response = client.get(f"/api/v1/route?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "outside_area"
    assert error["details"]["swapped_inside"] is True
    assert "did you swap latitude and longitude?" in error["message"]


def test_swapped_coordinates_inside_the_area_are_named(router: Any) -> None:
    swapped = (ALMATY_FROM[1], ALMATY_FROM[0])
    with pytest.raises(RoutingError) as raised:
        router.route(swapped, ALMATY_TO, "default")
    error = raised.value
    assert error.code == "outside_area"
    assert error.details["swapped_inside"] is True
    city = router.graph.manifest["city"]
    assert f"did you swap latitude and longitude? (lon,lat) lies inside {city}" in error.message


def test_a_point_truly_outside_is_not_called_swapped(router: Any) -> None:
    london = (51.5007, -0.1246)
    with pytest.raises(RoutingError) as raised:
        router.route(ALMATY_FROM, london, "default")
    assert raised.value.code == "outside_area"
    assert raised.value.details["swapped_inside"] is False
    assert "swap" not in raised.value.message


# --- --profile is required -------------------------------------------------------


def test_route_without_profile_is_a_usage_error_listing_the_profiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(_route())
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "--profile is required" in err
    for name in load_profiles():
        assert name in err


def test_route_with_an_unknown_profile_lists_the_profiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(_route("--profile", "hovercraft"))
    assert exited.value.code == 2
    err = capsys.readouterr().err
    for name in load_profiles():
        assert name in err


def test_directions_speak_text_and_write_audio_and_need_a_profile(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`jol directions` prints numbered lines, writes speech to --out, and, like `route`
    and the API, refuses to guess the profile."""
    graph = str(settings.default_graph_dir())
    common = ["directions", "--graph", graph, "--from", FROM, "--to", TO]
    assert main([*common, "--profile", "blind", "--lang", "ru"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 2 and all(line.startswith(f"{i}. ") for i, line in enumerate(lines, 1))
    with pytest.raises(SystemExit) as no_profile:
        main(common)
    assert no_profile.value.code == 2 and "--profile" in capsys.readouterr().err
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (tests/run installs it as root)")
    out = tmp_path / "route.audio"
    assert main([*common, "--profile", "blind", "--format", "audio", "--out", str(out)]) == 0
    head = out.read_bytes()[:4]
    assert head in (b"OggS", b"RIFF"), head
