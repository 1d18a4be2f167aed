"""The `jol` command: build, route, directions, serve, fetch.

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

from jol import settings

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


def _default_inputs() -> tuple[Path, list[Path]]:
    data = settings.data_dir()
    dems = [data / p for p in settings.DEFAULT_DEM if (data / p).is_file()]
    return data / settings.DEFAULT_OSM, dems


def ensure_default_graph() -> Path:
    """Compile the default Almaty data unless an up-to-date artifact exists; returns its folder."""
    from graph_build.build import build_street_artifact

    osm, dems = _default_inputs()
    out = settings.default_graph_dir()
    build_street_artifact(osm, out, dems=dems, city=settings.DEFAULT_CITY, progress=_progress)
    from transit.build import build_for_cli

    code, transit = build_for_cli(_default_gtfs(), out, force=False, progress=_progress)
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
    from graph_build.artifact import MANIFEST

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

    if args.osm is None:
        osm, dems = _default_inputs()
        city = settings.DEFAULT_CITY
    else:
        osm, dems, city = args.osm, args.dem or [], args.city or args.osm.name.split(".")[0]
    out = args.out or (
        settings.default_graph_dir() if args.osm is None else settings.cache_dir() / city
    )
    manifest = build_street_artifact(
        osm, out, dems=dems, city=city, force=args.force, progress=_progress
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
    """--gtfs feeds; with no flags at all, the default Almaty feed when it is there."""
    if args.gtfs:
        return list(args.gtfs)
    return [] if args.osm is not None else _default_gtfs()


def _default_gtfs() -> list[Path]:
    return [p for p in (settings.data_dir() / g for g in settings.DEFAULT_GTFS) if p.is_file()]


def _cmd_route(args: argparse.Namespace) -> int:
    from routing.errors import RoutingError
    from routing.service import Router

    if args.profile is None:
        raise UsageError(
            "route: --profile is required (there is no default, so nobody gets a walking "
            f"route by mistake); one of: {', '.join(_profile_names())}"
        )
    graph_dir = ensure_graph(args.graph)
    try:
        router = Router.load(graph_dir)
        answer = router.route(
            args.from_, args.to, args.profile, dict(args.override or []), args.depart_at
        )
    except RoutingError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False, indent=2))
        if error.code == "no_accessible_route":
            if args.html is not None:  # what blocks the way, on a map to send
                _write_html(error.to_dict(), router, args.html, args.lang)
            return 0
        print(f"jol: {error.message}", file=sys.stderr)
        return 1 if error.http_status >= 500 else 2
    from web.directions import add_maneuvers
    from web.params import RouteQuery

    overrides = dict(args.override or [])
    query = RouteQuery(args.from_, args.to, args.profile, overrides, None, args.lang)
    answer = add_maneuvers(answer, query, router)
    if args.html is not None:
        _write_html(answer, router, args.html, args.lang)
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
        return 0 if error.code == "no_accessible_route" else (1 if error.http_status >= 500 else 2)
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _cmd_directions(args: argparse.Namespace) -> int:
    """Spoken directions of a route: text or SSML to stdout (or --out), audio to --out."""
    from routing.errors import RoutingError
    from routing.places import PlaceIndex
    from routing.service import Router
    from web import directions
    from web.errors import ApiError
    from web.params import RouteQuery

    if args.format == "audio" and args.out is None:
        print("jol directions: --format audio needs --out FILE", file=sys.stderr)
        return 2
    try:
        router = Router.load(ensure_graph(args.graph))
        overrides = dict(args.override or [])
        answer = router.route(args.from_, args.to, args.profile, overrides, args.depart_at)
        query = RouteQuery(args.from_, args.to, args.profile, overrides, None, args.lang)
        places = PlaceIndex.load(router.graph.directory) if args.landmarks else None
        items = directions.add_maneuvers(answer, query, router, places)["routes"][0]["maneuvers"]
        data = directions.encode(items, args.lang, args.format)
    except RoutingError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False, indent=2))
        return 0 if error.code == "no_accessible_route" else (1 if error.http_status >= 500 else 2)
    except ApiError as error:
        print(f"jol directions: {error.message}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(data[0].decode("utf-8"))
    else:
        args.out.write_bytes(data[0])
    return 0


def _write_html(answer: dict, router: object, path: Path, lang: str) -> None:
    from routing.basemap import StreetLines
    from web.downloads import route_map_html

    streets = StreetLines.from_graph(router.graph)  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(route_map_html(answer, lang, router, streets), encoding="utf-8")
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
