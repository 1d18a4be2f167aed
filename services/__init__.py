"""Everything one compiled city serves, loaded once: `load_services(graph_dir)`.

The CLI, the web app (web/app.py, web/wsgi.py), the tests and the benchmarks
all start here, so "what a loaded city is" is said once. It sits above
routing, places and basemap (it composes them) and below web and the CLI.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from basemap import StreetLines
from jol import settings
from places import PlaceIndex
from places.stops import TransitStop
from routing.metrics import MetricStore
from routing.planner import StreetPlanner
from routing.service import Router
from transit.timetable import NPZ, Timetable

_log = logging.getLogger(__name__)


class Services:
    """One compiled city's router, place index (None if the build wrote none) and street lines.

    The place index and street lines are made on first use: `jol route` needs neither
    unless it draws a map, the web app asks for both at start.
    """

    def __init__(self, router: Router) -> None:
        self.router = router

    @functools.cached_property
    def places(self) -> PlaceIndex | None:
        return _load_places(self.graph_dir, self.timetable)

    @functools.cached_property
    def timetable(self) -> Timetable | None:
        """The timetable compiled beside the graph (read once: place search and plans share
        it), or None without one."""
        return _load_timetable(self.graph_dir)

    @functools.cached_property
    def streets(self) -> StreetLines:
        return StreetLines.from_graph(self.router.graph)

    @property
    def planner(self) -> StreetPlanner:
        return self.router.planner

    @property
    def metrics(self) -> MetricStore:
        return self.router.metrics

    @property
    def graph_dir(self) -> Path:
        return Path(self.router.graph.directory)

    def info(self) -> dict:
        """What is loaded: city, OSM date, counts, bbox and artifact hashes."""
        return self.router.info()


def load_services(graph_dir: Path) -> Services:
    """Load the compiled graph folder `graph_dir` (see `jol build`) and what it serves."""
    return Services(Router.load(Path(graph_dir)))


def services_for(router: Router) -> Services:
    """The services around an already loaded router (tests share one per session)."""
    return Services(router)


def _load_places(graph_dir: Path, timetable: Timetable | None) -> PlaceIndex | None:
    """The place index if the build wrote one; the API answers 503 without it."""
    if not (graph_dir / settings.PLACES_FILENAME).exists():
        _log.warning("no %s in %s: place search disabled", settings.PLACES_FILENAME, graph_dir)
        return None
    return PlaceIndex.load(graph_dir, _transit_stops(timetable) if timetable else [])


def _load_timetable(graph_dir: Path) -> Timetable | None:
    if not (graph_dir / NPZ).is_file():
        return None
    try:
        return Timetable.load(graph_dir)
    except (OSError, ValueError, KeyError) as exc:  # streets still serve; say why not transit
        _log.warning("timetable in %s unreadable (%s): no stops or plans", graph_dir, exc)
        return None


def _transit_stops(timetable: Timetable) -> list[TransitStop]:
    """The compiled timetable's served stops, for place search.

    Composed here rather than in places/ so the place index needs no knowledge of the
    compiled arrays; a platform of a station is listed as its station, once.
    """
    modes: dict[int, set[str]] = {}
    for stop, words in timetable.served_stop_modes().items():
        parent = int(timetable.stop_parent[stop])
        modes.setdefault(parent if parent >= 0 else stop, set()).update(words)
    return [
        TransitStop(
            stop_id=timetable.stop_id(stop),
            name=timetable.stop_name(stop),
            lat=timetable.stop_latlon(stop)[0],
            lon=timetable.stop_latlon(stop)[1],
            modes=frozenset(words),
            wheelchair=timetable.stop_wheelchair_word(stop),
        )
        for stop, words in sorted(modes.items())
    ]
