"""The planner page at `/` (static files are served by Flask from web/static).

The page is rendered in the requested language (`?lang=`, default Russian) so
it reads correctly before any script runs; all three translations are embedded
so switching language needs no further request and works offline.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

import messages
from jol import settings
from web.errors import ApiError

bp = Blueprint("page", __name__)


def translations() -> dict[str, dict[str, str]]:
    """Every interface language -> {message key: text}: the catalogues the server speaks from."""
    return {lang: messages.catalogue(lang) for lang in settings.LANGUAGES}


@bp.get("/i18n/<lang>.json")
def catalogue(lang: str) -> Response:
    """One language's message catalogue, so a client can say a maneuver's code and params."""
    if lang not in settings.LANGUAGES:
        raise ApiError(
            f"No messages in {lang!r}; languages: {', '.join(settings.LANGUAGES)}",
            code="not_found",
            http_status=404,
            details={"languages": list(settings.LANGUAGES)},
        )
    response = jsonify(messages.catalogue(lang))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/")
def index() -> str:
    """The planner page."""
    lang = request.args.get("lang", settings.DEFAULT_LANGUAGE)
    if lang not in settings.LANGUAGES:
        lang = settings.DEFAULT_LANGUAGE
    router = current_app.extensions["jol.router"]
    info = router.info()
    client_config = {
        "tileUrl": current_app.config["JOL_TILE_URL"],
        "tileAttribution": current_app.config["JOL_TILE_ATTRIBUTION"],
        "bbox": current_app.extensions["jol.streets"].core_bbox(settings.MAP_INITIAL_VIEW_SHARE)
        or info.get("bbox"),
        "city": info.get("city"),
        "languages": list(settings.LANGUAGES),
        "defaultLanguage": settings.DEFAULT_LANGUAGE,
        "placesAvailable": current_app.extensions.get("jol.places") is not None,
        "streetsMaxBboxDeg": settings.STREETS_MAX_BBOX_DEG,
        "taxiAvailable": bool(current_app.extensions.get("jol.page_taxi"))
        and current_app.extensions.get("jol.taxi") is not None,
    }
    return render_template(
        "index.html",
        lang=lang,
        t=translations()[lang],
        i18n=translations(),
        client_config=client_config,
    )
