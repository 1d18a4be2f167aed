"""`POST /api/v1/directions` and the `maneuvers` every route answer carries.

The words come from `routing.directions` (which reads `messages/`); this file
only picks the format: numbered text for screen readers and braille displays,
SSML for speech engines, or audio synthesised offline by the `espeak-ng`
command (Debian package `espeak-ng`; Ogg when `oggenc` from `vorbis-tools` is
installed, WAV otherwise). Audio is cached on disk by the hash of what was
said, the cache is kept under a size bound, and synthesis has a timeout.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, has_app_context, request

from jol import settings
from routing import directions
from web import api_routes, params
from web.errors import ApiError, invalid

bp = Blueprint("directions", __name__, url_prefix="/api/v1")

FORMATS = ("text", "ssml", "audio")
# espeak-ng's words per minute; slower than its 175 default, as screen-reader users set it.
SPEECH_WPM = 150
SYNTH_TIMEOUT_S = 20.0
# Longer texts are refused rather than synthesised (about 15 minutes of speech).
MAX_AUDIO_CHARS = 20_000
# Audio larger than this is refused; the cache is trimmed (oldest first) to AUDIO_CACHE_BYTES.
MAX_AUDIO_BYTES = 20 * 1024 * 1024
AUDIO_CACHE_BYTES = 200 * 1024 * 1024
_VOICES = {"ru": "ru", "kk": "kk", "en": "en-gb"}


def add_maneuvers(answer: dict, query: params.RouteQuery, router: Any, places: Any = None) -> dict:
    """The route answer with `maneuvers` in the request's language (in place).

    Landmarks come from `places`, by default the app's place index when there is one.
    """
    if places is None and has_app_context():
        places = current_app.extensions.get("jol.places")
    parameters = _parameters(router, answer.get("profile", query.profile), query.overrides)
    for route in answer.get("routes") or []:
        route["maneuvers"] = directions.maneuvers(
            answer | {"routes": [route]}, query.lang, parameters, query.destination, places
        )
    return answer


def _parameters(router: Any, profile: str, overrides: dict | None) -> dict:
    found: dict = next((p for p in router.profiles() if p["name"] == profile), {})
    return dict(found.get("parameters") or {}) | (overrides or {})


@bp.post("/directions")
def directions_post() -> Response:
    """Directions for the route a /api/v1/route body asks for, as text, SSML or audio."""
    if not request.is_json:
        raise invalid("Content-Type", "must be application/json")
    body = params.parse_json(request.get_data(cache=False), "body")
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    fmt = body.get("format", "text")
    if fmt not in FORMATS:
        raise invalid("format", f"must be one of {', '.join(FORMATS)}")
    query = params.route_from_json({k: v for k, v in body.items() if k != "format"})
    # A spoken route costs the client one route request from the same bucket.
    api_routes._spend_token("route")
    router = current_app.extensions["jol.router"]
    answer = router.route(
        query.origin, query.destination, query.profile, query.overrides or None, query.depart_at
    )
    items = add_maneuvers(answer, query, router)["routes"][0]["maneuvers"]
    return render(items, query.lang, fmt)


def render(items: list[dict], lang: str, fmt: str) -> Response:
    """One answer in `fmt` for maneuvers already said in `lang`."""
    data, mimetype = encode(items, lang, fmt)
    return Response(data, mimetype=mimetype, headers={"Content-Language": lang})


def encode(items: list[dict], lang: str, fmt: str) -> tuple[bytes, str]:
    """(bytes, media type) of maneuvers in `fmt`: text, ssml or audio."""
    if fmt == "text":
        return directions.as_text(items, lang).encode("utf-8"), "text/plain"
    ssml = directions.as_ssml(items, lang)
    if fmt == "ssml":
        return ssml.encode("utf-8"), "application/ssml+xml"
    return synthesise(ssml, lang, settings.cache_dir() / "directions-audio")


def synthesise(ssml: str, lang: str, cache: Path, *, ogg: bool = True) -> tuple[bytes, str]:
    """Audio of `ssml` (Ogg Vorbis if `ogg` and oggenc is here, else WAV), cached by hash."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise ApiError(
            "Speech synthesis is not installed on this server (espeak-ng).",
            code="speech_unavailable",
            http_status=503,
        )
    if len(ssml) > MAX_AUDIO_CHARS:
        raise ApiError(
            f"These directions are too long to speak ({len(ssml)} characters).",
            code="directions_too_long",
            http_status=413,
            details={"chars": len(ssml), "max_chars": MAX_AUDIO_CHARS},
        )
    oggenc = shutil.which("oggenc") if ogg else None
    suffix, mimetype = (".ogg", "audio/ogg") if oggenc else (".wav", "audio/wav")
    key = hashlib.sha256(f"{lang}\0{SPEECH_WPM}\0{suffix}\0{ssml}".encode()).hexdigest()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{key}{suffix}"
    if target.exists():
        os.utime(target)
        return target.read_bytes(), mimetype
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        wav = Path(tmp) / "speech.wav"
        _run([espeak, "-m", "-v", _VOICES[lang], "-s", str(SPEECH_WPM), "-w", str(wav)], ssml)
        made = wav
        if oggenc:
            made = Path(tmp) / "speech.ogg"
            _run([oggenc, "-Q", "-q", "0", "-o", str(made), str(wav)], None)
        if made.stat().st_size > MAX_AUDIO_BYTES:
            raise ApiError(
                "The audio would be too large.", code="directions_too_long", http_status=413
            )
        os.replace(made, target)
    trim_cache(cache, AUDIO_CACHE_BYTES)
    return target.read_bytes(), mimetype


def _run(command: list[str], stdin: str | None) -> None:
    try:
        subprocess.run(
            command,
            input=stdin.encode("utf-8") if stdin is not None else None,
            check=True,
            capture_output=True,
            timeout=SYNTH_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise ApiError(
            "Speech synthesis took too long.", code="speech_timeout", http_status=503
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise ApiError(
            "Speech synthesis failed.",
            code="speech_unavailable",
            http_status=503,
            details={"stderr": exc.stderr.decode("utf-8", "replace")[-500:]},
        ) from exc


def trim_cache(cache: Path, limit_bytes: int) -> None:
    """Drop the least recently used audio files until the cache fits its bound."""
    files = sorted(
        (p for p in cache.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    total = 0
    for path in files:
        total += path.stat().st_size
        if total > limit_bytes:
            path.unlink(missing_ok=True)
