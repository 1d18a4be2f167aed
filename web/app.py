"""Flask app factory: loads the compiled data once and wires the blueprints.

The Router is injected (tests and `jol serve` pass their own) or loaded from
`graph_dir`, env `JOL_GRAPH_DIR`, or jol.settings.default_graph_dir().
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response

from jol import settings
from routing.basemap import StreetLines
from web import api_routes, openapi, page, request_guard
from web.errors import register_error_handlers

_log = logging.getLogger(__name__)


def create_app(
    router: Any | None = None,
    *,
    graph_dir: Path | None = None,
    config: dict[str, Any] | None = None,
) -> Flask:
    """Build the web app around one Router (a routing.service.Router).

    `config` keys override defaults: JOL_CORS_ORIGINS (comma-separated or
    list; empty = CORS off), JOL_TILE_URL, JOL_TILE_ATTRIBUTION,
    MAX_CONTENT_LENGTH (bytes).
    """
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(_default_config())
    if config:
        app.config.update(config)
    # Flask sorts keys by default; keep the router's order (it is meaningful
    # to people reading profiles and answers).
    app.json.sort_keys = False  # type: ignore[attr-defined]

    if router is None:
        router = _load_router(graph_dir)
    app.extensions["jol.router"] = router
    app.extensions["jol.places"] = _load_places(Path(router.graph.directory))
    app.extensions["jol.streets"] = StreetLines.from_graph(router.graph)

    register_error_handlers(app)
    request_guard.install(app)  # before the blueprints: their rules keep `//` apart from `/`
    app.register_blueprint(api_routes.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(page.bp)
    _configure_cors(app)
    _add_security_headers(app)
    return app


def _default_config() -> dict[str, Any]:
    return {
        "MAX_CONTENT_LENGTH": settings.MAX_REQUEST_BYTES,
        "JOL_CORS_ORIGINS": os.environ.get("JOL_CORS_ORIGINS", settings.DEFAULT_CORS_ORIGINS),
        "JOL_TILE_URL": os.environ.get("JOL_TILE_URL", settings.DEFAULT_TILE_URL),
        "JOL_TILE_ATTRIBUTION": os.environ.get(
            "JOL_TILE_ATTRIBUTION", settings.DEFAULT_TILE_ATTRIBUTION
        ),
    }


def _load_router(graph_dir: Path | None) -> Any:
    # Imported here so an injected router never pays for (or needs) the import.
    from routing.service import Router

    if graph_dir is None:
        env = os.environ.get("JOL_GRAPH_DIR")
        graph_dir = Path(env) if env else settings.default_graph_dir()
    _log.info("loading street graph from %s", graph_dir)
    return Router.load(Path(graph_dir))


def _load_places(graph_dir: Path) -> Any | None:
    """The place index if the build wrote one; the API answers 503 without it."""
    if not (graph_dir / "places.parquet").exists():
        _log.warning("no places.parquet in %s: place search disabled", graph_dir)
        return None
    try:
        from routing.places import PlaceIndex
    except ImportError:
        _log.warning("routing.places is not available: place search disabled")
        return None
    return PlaceIndex.load(graph_dir)


def _configure_cors(app: Flask) -> None:
    origins = app.config.get("JOL_CORS_ORIGINS") or ""
    if isinstance(origins, str):
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    if not origins:
        return
    from flask_cors import CORS

    CORS(
        app,
        resources={
            r"/api/*": {"origins": list(origins)},
            r"/openapi.json": {"origins": list(origins)},
        },
    )


def _tile_origin(template: str) -> str | None:
    """The origin map tiles come from, for the page's Content-Security-Policy.

    `{s}` subdomain placeholders become a wildcard; None if it cannot be parsed.
    """
    parts = urlsplit(template.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _add_security_headers(app: Flask) -> None:
    tiles = _tile_origin(app.config.get("JOL_TILE_URL") or "")
    img_src = " ".join(filter(None, ["'self'", "data:", tiles]))
    # Leaflet positions map panes with inline style attributes, hence
    # 'unsafe-inline' for styles only; scripts must come from Jol itself.
    policy = (
        "default-src 'self'; script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {img_src}; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
