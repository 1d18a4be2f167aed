"""The `jol` command: build, route, directions, serve, taxi, fetch.

Exit codes: 0 success (a `no_accessible_route` answer is a successful answer),
2 usage errors and bad input, 1 a failure of the data or the machine.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from jol import settings

if TYPE_CHECKING:
    from jol.cities import City
    from services import Services

_BUILD_HINT = "build one with `jol build --osm FILE --out {dir}`"


class UsageError(Exception):
    """A mistake in the command line: one line on stderr and exit status 2, no traceback."""


def _point(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LAT,LON in degrees, got {text!r}") from None
    return lat, lon


def _override(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value  # a bare word such as `avoid`


def _depart_at(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 date-time such as 2026-05-01T08:30, got {text!r}"
        ) from None


def default_city() -> City:
    """The city `jol build` compiles with no flags (data/<DEFAULT_CITY>.toml), its OSM and
    DEM files checked against the sha256 the city file records."""
    from jol.cities import CityError, load_city

    try:
        city = load_city(settings.DEFAULT_CITY)
    except CityError as error:
        raise UsageError(str(error)) from None
    problems = city.mismatches()
    if problems:
        raise UsageError(
            "default input differs from data/"
            f"{city.key}.toml: {'; '.join(problems)} (pass --osm FILE to build from it anyway)"
        )
    return city


def _build_city(city: City, out: Path, *, force: bool = False) -> dict:
    from graph_build.build import build_street_artifact

    osm, dems = city.files("osm")[0], city.files("dem")
    return build_street_artifact(
        osm,
        out,
        dems=dems,
        city=city.name,
        time_zone=city.time_zone,
        city_names=city.names,
        force=force,
        progress=_progress,
    )


def ensure_default_graph() -> Path:
    """Compile the default city unless an up-to-date artifact exists; returns its folder."""
    out = settings.default_graph_dir()
    city = default_city()
    _build_city(city, out)
    from transit.build import build_for_cli

    feeds = [path for path in city.files("gtfs") if path.is_file()]
    code, transit = build_for_cli(feeds, out, force=False, progress=_progress)
    if code:  # the street graph still serves; say why transit does not
        _progress(f"transit not built: {transit['error']['message']}")
    return out


def ensure_graph(graph_dir: Path | None) -> Path:
    """The graph folder to load: `graph_dir` repaired if damaged, else the default graph.

    A `--graph` folder whose files no longer hash to its manifest is rebuilt from
    the inputs the manifest records, so a damaged artifact is never loaded.
    """
    if graph_dir is None:
        return ensure_default_graph()
    from graph_build.build import rebuild_from_manifest

    graph_dir = Path(graph_dir)
    _check_graph_dir(graph_dir)
    rebuild_from_manifest(graph_dir, progress=_progress)
    from transit.build import repair_recorded

    repair_recorded(graph_dir, progress=_progress)
    return graph_dir


def _check_graph_dir(graph_dir: Path) -> None:
    """Refuse a --graph that is not a compiled graph folder before anything tries to load it."""
    from jol.artifact import MANIFEST

    if not graph_dir.exists():
        problem = "does not exist"
    elif not graph_dir.is_dir():
        problem = "is not a folder"
    elif not (graph_dir / MANIFEST).is_file():
        problem = f"is not a compiled graph (no {MANIFEST})"
    else:
        return
    hint = _BUILD_HINT.format(dir=graph_dir)
    raise UsageError(f"--graph {graph_dir} {problem}; {hint}")


def _progress(message: str) -> None:
    print(f"[jol] {message}", file=sys.stderr, flush=True)


def _cmd_build(args: argparse.Namespace) -> int:
    from graph_build.build import build_street_artifact
    from jol.cities import find_city

    if args.osm is None:
        out = args.out or settings.default_graph_dir()
        manifest = _build_city(default_city(), out, force=args.force)
    else:
        city = args.city or args.osm.name.split(".")[0]
        known = find_city(city)  # a city with a data file gets its clock and names
        out = args.out or settings.cache_dir() / city
        manifest = build_street_artifact(
            args.osm,
            out,
            dems=args.dem or [],
            city=known.name if known else city,
            time_zone=known.time_zone if known else None,
            city_names=known.names if known else None,
            force=args.force,
            progress=_progress,
        )
    from transit.build import build_for_cli

    code, transit = build_for_cli(_gtfs_feeds(args), out, force=args.force, progress=_progress)
    print(
        json.dumps(
            {
                "out": str(out),
                "graph": manifest["graph"],
                "build_seconds": manifest["build_seconds"],
                "transit": transit,
            },
            ensure_ascii=False,
        )
    )
    return code


def _gtfs_feeds(args: argparse.Namespace) -> list[Path]:
    """--gtfs feeds; with no flags at all, the default city's feeds that are there."""
    if args.gtfs:
        return list(args.gtfs)
    if args.osm is not None:
        return []
    return [path for path in default_city().files("gtfs") if path.is_file()]


def _cmd_route(args: argparse.Namespace) -> int:
    from routing.errors import RoutingError
    from services import load_services

    if args.profile is None:
        raise UsageError(
            "route: --profile is required (there is no default, so nobody gets a walking "
            f"route by mistake); one of: {', '.join(_profile_names())}"
        )
    graph_dir = ensure_graph(args.graph)
    try:
        services = load_services(graph_dir)
        answer = services.router.route(
            args.from_, args.to, args.profile, dict(args.override or []), args.depart_at
        )
    except RoutingError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False, indent=2))
        if error.code == "no_accessible_route":
            if args.html is not None:  # what blocks the way, on a map to send
                _write_html(error.to_dict(), services, args.html, args.lang)
            return 0
        print(f"jol: {error.message}", file=sys.stderr)
        return 1 if error.kind == "data" else 2
    from web.directions import add_maneuvers
    from web.params import RouteQuery

    overrides = dict(args.override or [])
    query = RouteQuery(args.from_, args.to, args.profile, overrides, None, args.lang)
    answer = add_maneuvers(answer, query, services.router)
    if args.html is not None:
        _write_html(answer, services, args.html, args.lang)
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    """Journeys by street and public transport: the JSON of POST /api/v1/plan."""
    from routing.errors import RoutingError
    from routing.journeys import plan_journeys
    from routing.service import Router
    from transit.timetable import Timetable

    graph_dir = ensure_graph(args.graph)
    try:
        router, timetable = Router.load(graph_dir), Timetable.load(graph_dir)
    except FileNotFoundError:
        print(f"jol plan: no timetable in {graph_dir}; build it with --gtfs", file=sys.stderr)
        return 2
    try:
        answer = plan_journeys(
            router,
            timetable,
            args.from_,
            args.to,
            args.profile,
            dict(args.override or []),
            depart_at=args.depart_at,
            arrive_by=args.arrive_by,
            max_itineraries=args.max_itineraries,
        )
    except RoutingError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False, indent=2))
        return 0 if error.code == "no_accessible_route" else (1 if error.kind == "data" else 2)
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _cmd_directions(args: argparse.Namespace) -> int:
    """Spoken directions of a route: text or SSML to stdout (or --out), audio to --out."""
    from routing.errors import RoutingError
    from services import load_services
    from web import directions
    from web.errors import ApiError
    from web.params import RouteQuery

    if args.format == "audio" and args.out is None:
        print("jol directions: --format audio needs --out FILE", file=sys.stderr)
        return 2
    try:
        services = load_services(ensure_graph(args.graph))
        router = services.router
        overrides = dict(args.override or [])
        answer = router.route(args.from_, args.to, args.profile, overrides, args.depart_at)
        query = RouteQuery(args.from_, args.to, args.profile, overrides, None, args.lang)
        places = services.places if args.landmarks else None
        items = directions.add_maneuvers(answer, query, router, places)["routes"][0]["maneuvers"]
        data = directions.encode(items, args.lang, args.format)
    except RoutingError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False, indent=2))
        return 0 if error.code == "no_accessible_route" else (1 if error.kind == "data" else 2)
    except ApiError as error:
        print(f"jol directions: {error.message}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(data[0].decode("utf-8"))
    else:
        args.out.write_bytes(data[0])
    return 0


def _write_html(answer: dict, services: Services, path: Path, lang: str) -> None:
    from web.downloads import route_map_html

    path.parent.mkdir(parents=True, exist_ok=True)
    html = route_map_html(answer, lang, services.router, services.streets)
    path.write_text(html, encoding="utf-8")
    _progress(f"route map written to {path} (opens offline in any browser)")


def _profile_names() -> list[str]:
    from routing.profiles import PROFILE_DIR

    return sorted(path.stem for path in PROFILE_DIR.glob("*.json"))


def _cmd_serve(args: argparse.Namespace) -> int:
    # Checked before the graph is compiled or gunicorn started: gunicorn itself
    # would retry a taken port five times and then exit with a traceback-like log.
    problem = _listen_problem(args.host, args.port)
    if problem:
        print(f"jol: {problem}", file=sys.stderr)
        return 2
    graph_dir = ensure_graph(args.graph)
    env = dict(os.environ, JOL_GRAPH_DIR=str(Path(graph_dir).resolve()))
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:web.server_conf",  # worker class, timeouts, limits, log format (one place)
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "web.wsgi:app",
    ]
    os.execve(sys.executable, command, env)
    return 0  # not reached


def _listen_problem(host: str, port: int) -> str | None:
    """Why `jol serve` could not listen on host:port, or None if it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return f"port {port} is already in use"
        return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None


def _cmd_taxi(args: argparse.Namespace) -> int:
    """Invataxi questions on the command line: the API's JSON in (file or stdin) and out."""
    from routing.errors import RoutingError
    from routing.taxi.service import Taxi
    from services import load_services

    graph_dir = ensure_graph(args.graph)
    text = sys.stdin.read() if str(args.input) == "-" else Path(args.input).read_text()
    try:
        taxi = Taxi.load(graph_dir, load_services(graph_dir).router)
        if taxi is None:
            raise FileNotFoundError(f"{graph_dir} has no drive graph; run `jol build --force`")
        answer = getattr(taxi, args.question)(json.loads(text))
    except (RoutingError, json.JSONDecodeError) as error:
        body = error.to_dict() if isinstance(error, RoutingError) else {"error": str(error)}
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 2
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from graph_build.download import DownloadError, download_gtfs, download_osm

    if args.what == "gtfs" and not args.url:
        raise UsageError("fetch gtfs: --url is required")
    try:
        if args.what == "osm":
            path = download_osm(args.out, place=args.place, bbox=_bbox(args.bbox))
        else:
            path = download_gtfs(args.url, args.out)
    except ValueError as error:
        raise UsageError(f"fetch {args.what}: {error}") from None
    except DownloadError as error:
        # One line: the server, its host and why; the chained traceback helps nobody offline.
        print(f"jol: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(
            f"--bbox: expected west,south,east,north in degrees, got {text!r}"
        ) from None
    return west, south, east, north


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jol", description="Accessible routes for Almaty.")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="compile OSM (+DEM, GTFS) into a graph folder")
    build.add_argument(
        "--osm", type=Path, help="OSM file (.osm, .osm.bz2, .osm.pbf); default: Almaty"
    )
    build.add_argument(
        "--gtfs", type=Path, action="append", help="GTFS zip (repeatable); default: the Almaty feed"
    )
    build.add_argument("--dem", type=Path, action="append", help="elevation tile (repeatable)")
    build.add_argument("--out", type=Path, help="output folder")
    build.add_argument("--city", help="city name recorded in the manifest")
    build.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    build.set_defaults(run=_cmd_build)

    route = sub.add_parser("route", help="print an accessible route as JSON")
    route.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    route.add_argument("--from", dest="from_", type=_point, required=True, metavar="LAT,LON")
    route.add_argument("--to", type=_point, required=True, metavar="LAT,LON")
    route.add_argument(
        "--profile",
        choices=_profile_names(),
        metavar="PROFILE",
        help=f"required; one of: {', '.join(_profile_names())}",
    )
    route.add_argument("--override", type=_override, action="append", metavar="KEY=VALUE")
    route.add_argument(
        "--depart-at",
        type=_depart_at,
        metavar="ISO-TIME",
        help="departure time (city time unless it has an offset): daylight decides lighting",
    )
    route.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write the route as a map page that opens offline (to print or send)",
    )
    route.add_argument(
        "--lang",
        choices=settings.LANGUAGES,
        default=settings.DEFAULT_LANGUAGE,
        help="language of the --html map",
    )
    route.set_defaults(run=_cmd_route)

    spoken = sub.add_parser("directions", help="spoken directions: text, SSML or audio")
    spoken.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    spoken.add_argument("--from", dest="from_", type=_point, required=True, metavar="LAT,LON")
    spoken.add_argument("--to", type=_point, required=True, metavar="LAT,LON")
    spoken.add_argument(
        "--profile",
        choices=_profile_names(),
        required=True,  # as for `route` and over HTTP: nobody gets another profile's route
        metavar="PROFILE",
        help=f"required; one of: {', '.join(_profile_names())}",
    )
    spoken.add_argument("--override", type=_override, action="append", metavar="KEY=VALUE")
    spoken.add_argument("--depart-at", type=_depart_at, metavar="ISO-TIME")
    spoken.add_argument("--lang", choices=settings.LANGUAGES, default=settings.DEFAULT_LANGUAGE)
    spoken.add_argument("--format", choices=("text", "ssml", "audio"), default="text")
    spoken.add_argument("--out", type=Path, help="file to write (required for audio)")
    spoken.add_argument(
        "--no-landmarks", dest="landmarks", action="store_false", help="name no places at turns"
    )
    spoken.set_defaults(run=_cmd_directions)

    plan = sub.add_parser("plan", help="door-to-door journeys with public transport, as JSON")
    plan.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    plan.add_argument("--from", dest="from_", type=_point, required=True, metavar="LAT,LON")
    plan.add_argument("--to", type=_point, required=True, metavar="LAT,LON")
    plan.add_argument(
        "--profile",
        choices=_profile_names(),
        required=True,  # as for `route`: nobody gets another profile's journey
        metavar="PROFILE",
        help=f"required; one of: {', '.join(_profile_names())}",
    )
    plan.add_argument("--override", type=_override, action="append", metavar="KEY=VALUE")
    when = plan.add_mutually_exclusive_group()
    when.add_argument("--depart-at", type=_depart_at, metavar="ISO-TIME")
    when.add_argument("--arrive-by", type=_depart_at, metavar="ISO-TIME")
    plan.add_argument("--max-itineraries", type=int, default=3, choices=range(1, 6))
    plan.set_defaults(run=_cmd_plan)

    serve = sub.add_parser("serve", help="run the HTTP API and page with gunicorn")
    serve.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.set_defaults(run=_cmd_serve)

    taxi = sub.add_parser("taxi", help="Invataxi: estimate, matrix, assign or plan from JSON")
    taxi.add_argument("question", choices=("estimate", "matrix", "assign", "plan"))
    taxi.add_argument("input", nargs="?", default="-", help="request JSON file; - for stdin")
    taxi.add_argument("--graph", type=Path, help="compiled graph folder; default: Almaty")
    taxi.set_defaults(run=_cmd_taxi)

    fetch = sub.add_parser("fetch", help="download fresh OSM (Overpass) or a GTFS feed")
    fetch.add_argument("what", choices=("osm", "gtfs"))
    fetch.add_argument("--place", help="place name for OSM, e.g. 'Almaty, Kazakhstan'")
    fetch.add_argument("--bbox", help="west,south,east,north in degrees")
    fetch.add_argument("--url", help="GTFS feed URL")
    fetch.add_argument("--out", type=Path, required=True)
    fetch.set_defaults(run=_cmd_fetch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jol` console script."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, FileNotFoundError) as error:
        print(f"jol: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
