"""The `jol` command: build, route, serve, taxi, fetch.

Exit codes: 0 success (a `no_accessible_route` answer is a successful answer),
2 usage errors and bad input, 1 a failure of the data or the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from jol import settings


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
    return out


def ensure_graph(graph_dir: Path | None) -> Path:
    """The graph folder to load: `graph_dir` repaired if damaged, else the default graph.

    A `--graph` folder whose files no longer hash to its manifest is rebuilt from
    the inputs the manifest records, so a damaged artifact is never loaded.
    """
    if graph_dir is None:
        return ensure_default_graph()
    from graph_build.build import rebuild_from_manifest

    rebuild_from_manifest(Path(graph_dir), progress=_progress)
    return Path(graph_dir)


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
    if args.gtfs:
        _progress("GTFS feeds are accepted but the transit router is not built yet; feeds ignored")
    print(
        json.dumps(
            {
                "out": str(out),
                "graph": manifest["graph"],
                "build_seconds": manifest["build_seconds"],
            }
        )
    )
    return 0


def _cmd_route(args: argparse.Namespace) -> int:
    from routing.errors import RoutingError
    from routing.service import Router

    graph_dir = ensure_graph(args.graph)
    try:
        router = Router.load(graph_dir)
        answer = router.route(
            args.from_, args.to, args.profile, dict(args.override or []), args.depart_at
        )
    except RoutingError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False, indent=2))
        return 0 if error.code == "no_accessible_route" else (1 if error.http_status >= 500 else 2)
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    graph_dir = ensure_graph(args.graph)
    env = dict(os.environ, JOL_GRAPH_DIR=str(Path(graph_dir).resolve()))
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--preload",  # load the graph once, share its pages between workers
        "--access-logfile",
        "-",
        "web.wsgi:app",
    ]
    os.execve(sys.executable, command, env)
    return 0  # not reached


def _cmd_taxi(args: argparse.Namespace) -> int:
    """Invataxi questions on the command line: the API's JSON in (file or stdin) and out."""
    from routing.errors import RoutingError
    from routing.service import Router
    from routing.taxi.service import Taxi

    graph_dir = ensure_graph(args.graph)
    text = sys.stdin.read() if str(args.input) == "-" else Path(args.input).read_text()
    try:
        taxi = Taxi.load(graph_dir, Router.load(graph_dir))
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
    from graph_build.download import download_gtfs, download_osm

    if args.what == "osm":
        bbox = tuple(float(v) for v in args.bbox.split(",")) if args.bbox else None
        path = download_osm(args.out, place=args.place, bbox=bbox)  # type: ignore[arg-type]
    else:
        path = download_gtfs(args.url, args.out)
    print(path)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jol", description="Accessible routes for Almaty.")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="compile OSM (+DEM, GTFS) into a graph folder")
    build.add_argument(
        "--osm", type=Path, help="OSM file (.osm, .osm.bz2, .osm.pbf); default: Almaty"
    )
    build.add_argument(
        "--gtfs", type=Path, action="append", help="GTFS zip (repeatable; not routed on yet)"
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
    route.add_argument("--profile", default="default")
    route.add_argument("--override", type=_override, action="append", metavar="KEY=VALUE")
    route.add_argument(
        "--depart-at",
        type=_depart_at,
        metavar="ISO-TIME",
        help="departure time (city time unless it has an offset): daylight decides lighting",
    )
    route.set_defaults(run=_cmd_route)

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
    except FileNotFoundError as error:
        print(f"jol: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
