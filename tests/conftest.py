"""Session fixtures: real cities compiled once per machine, then reused by input hash.

Builds go to ``cache_dir()/test-graphs/<name>`` (Almaty uses `jol build`'s default
folder) and are skipped when the inputs' sha256 match the manifest, so only the
first run on a machine pays the ~90 s of osmnx work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_build.build import build_street_artifact
from jol import settings
from jol.cities import load_city
from routing.service import Router
from services import Services, load_services

CITIES = ("almaty", "oslo", "helsinki", "herrenberg")  # each described in data/<key>.toml


def city_graph_dir(name: str) -> Path:
    """Compile (or reuse) the graph of one of CITIES from its data file, with the city's
    transit feeds where it names any; returns its folder."""
    city = load_city(name)
    out = (
        settings.default_graph_dir()
        if name == "almaty"
        else settings.cache_dir() / "test-graphs" / name
    )
    build_street_artifact(
        city.files("osm")[0],
        out,
        dems=city.files("dem"),
        city=city.name,
        time_zone=city.time_zone,
        city_names=city.names,
        progress=lambda _: None,
    )
    feeds = [path for path in city.files("gtfs") if path.is_file()]
    if feeds:  # as `jol build` does: the city's timetable beside its streets
        from transit.build import build_for_cli

        code, report = build_for_cli(feeds, out, force=False, progress=lambda _: None)
        assert code == 0, report
    return out


_services: dict[str, Services] = {}


def city_services(name: str) -> Services:
    """One set of services (router, places, street lines) per city for the whole session."""
    if name not in _services:
        _services[name] = load_services(city_graph_dir(name))
    return _services[name]


def city_router(name: str) -> Router:
    """The session's Router of one city."""
    return city_services(name).router


@pytest.fixture(scope="session")
def almaty() -> Router:
    return city_router("almaty")


@pytest.fixture(scope="session")
def oslo() -> Router:
    return city_router("oslo")


@pytest.fixture(scope="session", params=["oslo", "helsinki", "herrenberg"])
def tagged_city(request: pytest.FixtureRequest) -> Router:
    """Each real extract rich in accessibility tags."""
    return city_router(request.param)
