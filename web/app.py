"""Flask app factory: loads the compiled data once and wires the blueprints.

The city's services (router, place index, street lines; `services.load_services`)
are injected (tests pass their own) or loaded from `graph_dir`, env
`JOL_GRAPH_DIR`, or jol.settings.default_graph_dir().
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider

from jol import settings
from services import Services, load_services, services_for
from web import api_routes, directions, openapi, page, plan, request_guard, taxi
from web.errors import register_error_handlers
from web.limits import BodyCache, TokenBuckets, parse_rate_limits

_log = logging.getLogger(__name__)


def create_app(
    router: Any | None = None,
    *,
    graph_dir: Path | None = None,
    config: dict[str, Any] | None = None,
    services: Services | None = None,
) -> Flask:
    """Build the web app around one city's services (`services.load_services`), or around
    one Router (a routing.service.Router) whose services are then made here.

    `config` keys override defaults: JOL_CORS_ORIGINS (comma-separated or
    list; empty = CORS off), JOL_TILE_URL, JOL_TILE_ATTRIBUTION,
    MAX_CONTENT_LENGTH (bytes), JOL_RATE_LIMITS ({endpoint: (burst, per_s) or
    None}), JOL_STREETS_CACHE_BYTES, JOL_TRUSTED_PROXIES (reverse proxies in
    front whose X-Forwarded-For gives the client address; 0 = none).
    """
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(_default_config())
    if config:
        app.config.update(config)
    app.json = StrictJSONProvider(app)

    if services is None:
        services = services_for(router) if router is not None else _load_services(graph_dir)
    app.extensions["jol.services"] = services
    app.extensions["jol.router"] = services.router
    app.extensions["jol.places"] = services.places
    app.extensions["jol.streets"] = services.streets
    app.extensions["jol.streets_cache"] = BodyCache(app.config["JOL_STREETS_CACHE_BYTES"])
    app.extensions["jol.rate_limits"] = {
        name: TokenBuckets(limit[1], limit[0])
        for name, limit in (app.config["JOL_RATE_LIMITS"] or {}).items()
        if limit
    }

    _trust_proxies(app)
    register_error_handlers(app)
    request_guard.install(app)  # before the blueprints: their rules keep `//` apart from `/`
    app.register_blueprint(api_routes.bp)
    app.register_blueprint(directions.bp)
    app.register_blueprint(plan.bp)  # issue 13: journeys with public transport
    app.register_blueprint(openapi.bp)
    app.register_blueprint(page.bp)
    taxi.install(app, services.router)  # dispatch endpoints: off unless JOL_API_KEYS is set
    _configure_cors(app)
    _add_security_headers(app)
    return app


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but never the non-standard NaN/Infinity browsers refuse to parse.

    A non-finite number reaching an answer is a bug: it fails loudly (500,
    logged) instead of sending JSON no strict parser accepts.
    """

    # Keep the router's key order: it is meaningful to people reading answers.
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


def _default_config() -> dict[str, Any]:
    return {
        "MAX_CONTENT_LENGTH": settings.MAX_REQUEST_BYTES,
        "JOL_RATE_LIMITS": parse_rate_limits(
            os.environ.get("JOL_RATE_LIMITS", ""), settings.RATE_LIMITS
        ),
        "JOL_STREETS_CACHE_BYTES": settings.STREETS_CACHE_BYTES,
        "JOL_TRUSTED_PROXIES": os.environ.get(
            "JOL_TRUSTED_PROXIES", settings.DEFAULT_TRUSTED_PROXIES
        ),
        "JOL_CORS_ORIGINS": os.environ.get("JOL_CORS_ORIGINS", settings.DEFAULT_CORS_ORIGINS),
        "JOL_TILE_URL": os.environ.get("JOL_TILE_URL", settings.DEFAULT_TILE_URL),
        "JOL_TILE_ATTRIBUTION": os.environ.get(
            "JOL_TILE_ATTRIBUTION", settings.DEFAULT_TILE_ATTRIBUTION
        ),
    }


def _trust_proxies(app: Flask) -> None:
    """Take the client address from X-Forwarded-For set by `JOL_TRUSTED_PROXIES` proxies.

    Rate limits are per client address; behind a reverse proxy every request
    comes from the proxy, so without this one client would empty everyone's
    bucket. Only the address is taken from the proxy: never the Host or scheme.
    """
    hops = int(app.config.get("JOL_TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0, x_host=0)  # type: ignore[method-assign]


def _load_services(graph_dir: Path | None) -> Services:
    if graph_dir is None:
        env = os.environ.get("JOL_GRAPH_DIR")
        graph_dir = Path(env) if env else settings.default_graph_dir()
    _log.info("loading street graph from %s", graph_dir)
    return load_services(Path(graph_dir))


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
        # The spoken directions' player plays the audio fetched into a blob: URL.
        "media-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Origin only, never the page's path or query, to the tile server (whose
        # usage policy wants a Referer) or any other site.
        response.headers.setdefault("Referrer-Policy", "strict-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("Permissions-Policy", _PERMISSIONS)
        if request.path.startswith("/api/") or request.path == "/openapi.json":
            response.headers.setdefault("Cache-Control", _cache_control(response))
        return response


# The page may ask for the user's location one day; nothing else of the device.
_PERMISSIONS = (
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), display-capture=()"
)
# Answers that are the same for everyone and change only with the artifact or the
# code. Everything else under /api/ (routes, place searches, errors) can reveal
# where a person is or is going, so no cache may keep it.
_PUBLIC_MAX_AGE_S = {"api.profiles": 300, "api.streets": 300, "openapi.openapi_json": 300}


def _cache_control(response: Response) -> str:
    if response.status_code >= 400:
        return "no-store"
    if request.endpoint == "api.health":
        return "no-cache"  # monitors must see the server's state now, not a copy
    max_age = _PUBLIC_MAX_AGE_S.get(request.endpoint or "")
    return "no-store" if max_age is None else f"public, max-age={max_age}"
