"""A route as one self-contained HTML page: a map to print or send, that opens offline.

A dispatcher sends this file to someone with no internet on the way, or prints
it. So nothing in it is fetched: folium builds the map (line, markers,
popups), but its default CDN scripts and styles (Leaflet, jQuery, Bootstrap,
awesome-markers) are dropped and Jol's vendored Leaflet is inlined instead; a
Content-Security-Policy in the page forbids any request. There are no map
tiles; the streets around the route come from the compiled graph. Every fact
on the map is repeated as text below it, in the requested language.

Used by `GET/POST /api/v1/route?format=html` and `jol route --html FILE`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import folium

import messages
from jol import settings

_LEAFLET_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "leaflet"
# Nothing may leave the file: inline scripts and styles, images only as data: URIs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
)
# Streets drawn around the route for orientation (degrees of margin, most lines).
STREETS_MARGIN_DEG = 0.004
STREETS_LIMIT = 3000
_NO_ZOOM = re.compile(r",\s*maximum-scale=1\.0,\s*user-scalable=no")
_ROUTE_COLOUR = "#0b5d1e"  # the page's "known and within the limits" green
_BARRIER_COLOUR = "#b00020"
_START_COLOUR = "#0050b3"
_END_COLOUR = "#000000"
_STREET_COLOUR = "#9e9e9e"
# folium's popups turn their HTML string into an element with jQuery's $(html)[0];
# this does the same without shipping jQuery.
_DOLLAR_SHIM = (
    "window.$ = function (markup) { var t = document.createElement('template');"
    " t.innerHTML = markup.trim(); return [t.content.firstChild]; };"
)
_PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #111; background: #fff; }
header, section, footer { max-width: 60rem; margin: 0 auto; padding: 0.5rem 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.2rem; margin: 1rem 0 0.25rem; }
/* folium sizes its map div by id at 100 %; the text goes below it. */
.jol-map { height: 28rem !important; max-width: 60rem; margin: 0 auto; border: 1px solid #757575; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.25rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; }
.leaflet-container { background: #fff; }
@media print { .jol-map { height: 16cm !important; break-inside: avoid; } }
"""


@cache
def _translations(lang: str) -> dict[str, str]:
    return messages.catalogue(lang)


@cache
def _leaflet() -> tuple[str, str]:
    """Leaflet's JS and CSS, without the source-map comment (it would name a file to fetch)."""
    js = (_LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")
    css = (_LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    return js, css


def route_bbox(answer: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of everything drawn, degrees; None if nothing."""
    points = list(_drawn_points(answer))
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def streets_bbox(answer: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The area whose streets are drawn under the route: its bbox plus a margin."""
    box = route_bbox(answer)
    if box is None:
        return None
    m = STREETS_MARGIN_DEG
    return box[0] - m, box[1] - m, box[2] + m, box[3] + m


def route_html(
    answer: dict[str, Any],
    lang: str = settings.DEFAULT_LANGUAGE,
    *,
    profile_title: str | None = None,
    streets: list[dict[str, Any]] | None = None,
) -> str:
    """The whole HTML document for a route answer, or for a `no_accessible_route` error body.

    `streets` are GeoJSON LineString features (basemap.StreetLines.query)
    drawn in grey under the route; `profile_title` is the profile's name in `lang`.
    """
    if lang not in settings.LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(settings.LANGUAGES)}")
    t = _Text(lang)
    fmap = folium.Map(tiles=None, zoom_start=15, control_scale=True)
    # Keep folium's map and its elements; drop its CDN scripts and styles.
    fmap.default_js = []
    fmap.default_css = []
    _draw_streets(fmap, streets or [])
    routes = answer.get("routes", [])
    for route in routes:
        _draw_route(fmap, route, t)
    blocking = answer.get("error", {}).get("details", {}).get("blocking", [])
    for barrier in blocking:
        _barrier_marker(fmap, barrier, t)
    _draw_ends(fmap, answer, t)
    box = route_bbox(answer)
    if box is not None:
        fmap.fit_bounds([[box[1], box[0]], [box[3], box[2]]], padding=(20, 20))
    title = f"{t('html_title')}: {profile_title or answer.get('profile') or ''}".rstrip(": ")
    _assemble(fmap, t, title)
    document = fmap.get_root().render()
    # The text follows the map, which folium writes into the body only while rendering.
    document = document.replace("</body>", _text_body(answer, t, blocking) + "\n</body>", 1)
    # folium forbids pinch zoom; people with low vision need it (WCAG 1.4.4).
    document = _NO_ZOOM.sub("", document, count=1)
    return document.replace("<html>", f'<html lang="{lang}">', 1)


# --- map layers -------------------------------------------------------------------


def _draw_streets(fmap: folium.Map, streets: list[dict[str, Any]]) -> None:
    lines = [
        [[lat, lon] for lon, lat in feature["geometry"]["coordinates"]]
        for feature in streets
        if feature.get("geometry", {}).get("type") == "LineString"
    ]
    if lines:
        folium.PolyLine(
            lines, color=_STREET_COLOUR, weight=1.5, opacity=0.9, interactive=False
        ).add_to(fmap)


def _draw_route(fmap: folium.Map, route: dict[str, Any], t: _Text) -> None:
    line = [[lat, lon] for lon, lat in route["geometry"]["coordinates"]]
    folium.PolyLine(
        line, color=_ROUTE_COLOUR, weight=6, opacity=0.9, tooltip=_safe(t.summary(route))
    ).add_to(fmap)
    for segment in route.get("segments", []):
        for barrier in segment.get("barriers", []):
            _barrier_marker(fmap, barrier, t)


def _barrier_marker(fmap: folium.Map, barrier: dict[str, Any], t: _Text) -> None:
    if "lat" not in barrier or "lon" not in barrier:
        return
    text = t.barrier(barrier)
    folium.CircleMarker(
        [barrier["lat"], barrier["lon"]],
        radius=7,
        color=_BARRIER_COLOUR,
        fill=True,
        fill_opacity=0.9,
        popup=folium.Popup(_safe(text)),
        tooltip=_safe(text),
    ).add_to(fmap)


def _draw_ends(fmap: folium.Map, answer: dict[str, Any], t: _Text) -> None:
    snap = answer.get("snap", {})
    for end, key, colour in (
        ("from", "marker_start", _START_COLOUR),
        ("to", "marker_end", _END_COLOUR),
    ):
        point = snap.get(end)
        if not point:
            continue
        folium.CircleMarker(
            [point["lat"], point["lon"]],
            radius=10,
            color=colour,
            weight=4,
            fill=True,
            fill_color="#ffffff",
            fill_opacity=1.0,
            popup=folium.Popup(_safe(t(key))),
            # Always shown: the two ends differ by their words, not only by colour.
            tooltip=folium.Tooltip(_safe(t(key)), permanent=True, direction="right"),
        ).add_to(fmap)


def _drawn_points(answer: dict[str, Any]) -> Iterator[tuple[float, float]]:
    """Every (lat, lon) the map shows, so the view fits them all."""
    for route in answer.get("routes", []):
        for lon, lat in route["geometry"]["coordinates"]:
            yield lat, lon
    for point in answer.get("snap", {}).values():
        yield point["lat"], point["lon"]
    for barrier in answer.get("error", {}).get("details", {}).get("blocking", []):
        if "lat" in barrier and "lon" in barrier:
            yield barrier["lat"], barrier["lon"]


# --- the page around the map --------------------------------------------------------


def _assemble(fmap: folium.Map, t: _Text, title: str) -> None:
    js, css = _leaflet()
    root = fmap.get_root()
    # Order matters: Leaflet must be defined before folium's map script runs.
    root.header.add_child(
        folium.Element(
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
            f"<title>{html.escape(title)}</title>"
            f"<style>{css}</style><style>{_PAGE_CSS}</style>"
            f"<script>{js}</script><script>{_DOLLAR_SHIM}</script>"
        ),
        name="jol_head",
        index=0,
    )
    heading = f"<header><h1>{html.escape(title)}</h1></header>"
    root.html.add_child(folium.Element(heading), name="jol_heading", index=0)
    # folium's map div: a labelled region, so a screen reader knows what it is.
    label = json.dumps(t("map_label"))
    root.script.add_child(
        folium.Element(
            "(function (map) { map.setAttribute('role', 'region');"
            f" map.setAttribute('aria-label', {label}); map.classList.add('jol-map'); }})"
            f"(document.getElementById({json.dumps(fmap.get_name())}));"
        ),
        name="jol_map_label",
    )


def _text_body(answer: dict[str, Any], t: _Text, blocking: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for route in answer.get("routes", []):
        parts.append(_route_text(route, t))
    if "error" in answer:
        code = answer["error"].get("code")
        said = t(f"error_{code}") if f"error_{code}" in t.words else answer["error"]["message"]
        parts.append(f"<h2>{_e(t('error_heading'))}</h2><p>{_e(said)}</p>")
        if blocking:
            items = "".join(f"<li>{_e(t.barrier(b))} {_e(_where(b))}</li>" for b in blocking)
            parts.append(f"<h2>{_e(t('blocking_heading'))}</h2><ul>{items}</ul>")
    parts.append(f"<p>{_e(t('html_offline_note'))}</p><p>{_e(t('data_footer'))}</p>")
    return "<section>" + "".join(parts) + "</section>"


def _route_text(route: dict[str, Any], t: _Text) -> str:
    rows = [
        (t("summary_distance"), t.distance(route["distance_m"])),
        (t("summary_duration"), t.minutes(route["duration_s"])),
        (t("summary_ascent"), t.distance(route.get("ascent_m", 0))),
        (t("summary_descent"), t.distance(route.get("descent_m", 0))),
    ]
    summary = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    out = [f"<dl>{summary}</dl>"]
    warnings = route.get("warnings", [])
    if warnings:
        items = "".join(f"<li>{_e(t.warning(w))}</li>" for w in warnings)
        out.append(f"<h2>{_e(t('warnings_heading'))}</h2><ul>{items}</ul>")
    barriers = [b for s in route.get("segments", []) for b in s.get("barriers", [])]
    out.append(f"<h2>{_e(t('barriers_heading'))}</h2>")
    if barriers:
        items = "".join(f"<li>{_e(t.barrier(b))} {_e(_where(b))}</li>" for b in barriers)
        out.append(f"<ol>{items}</ol>")
    else:
        out.append(f"<p>{_e(t('barriers_none'))}</p>")
    steps = "".join(f"<li>{_e(t.segment(s))}</li>" for s in route.get("segments", []))
    out.append(f"<h2>{_e(t('steps_heading'))}</h2><ol>{steps}</ol>")
    return "".join(out)


def _where(barrier: dict[str, Any]) -> str:
    if "lat" not in barrier or "lon" not in barrier:
        return ""
    return f"({barrier['lat']:.5f}, {barrier['lon']:.5f})"


def _e(text: object) -> str:
    return html.escape(str(text))


def _safe(text: str) -> str:
    """Text for folium's popups and tooltips, which land inside JS template literals."""
    return html.escape(text).replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


class _Text:
    """The page's words in one language, with the same formatting rules as web/static/app.js."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.words = _translations(lang)

    def __call__(self, key: str, **values: object) -> str:
        template = self.words.get(key, key)
        try:
            return messages.fill(self.lang, template, values)
        except (KeyError, IndexError, ValueError):
            return template

    def number(self, value: float, digits: int) -> str:
        """At most `digits` decimals, as Intl.NumberFormat writes them on the page."""
        text = f"{value:,.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        # English: 1,234.5; Russian and Kazakh: 1 234,5 (no-break space, decimal comma).
        if self.lang != "en":
            text = text.replace(",", "\u00a0").replace(".", ",")
        return text

    def distance(self, metres: float) -> str:
        if metres >= 1000:
            return self("kilometers", n=self.number(metres / 1000, 1))
        return self("meters", n=self.number(metres, 0))

    def minutes(self, seconds: float) -> str:
        return self("minutes", n=self.number(max(1, round(seconds / 60)), 0))

    def summary(self, route: dict[str, Any]) -> str:
        return f"{self.distance(route['distance_m'])}, {self.minutes(route['duration_s'])}"

    def warning(self, warning: dict[str, Any]) -> str:
        key = f"warning_{warning.get('code')}"
        if key not in self.words:
            return str(warning.get("message", ""))
        params = {
            k: self.number(v, 1) if isinstance(v, int | float) else v
            for k, v in (warning.get("params") or {}).items()
        }
        return self(key, **params)

    def yes_no(self, value: object) -> str:
        if value in ("yes", True):
            return self("value_yes")
        if value in ("no", False):
            return self("value_no")
        if value in (None, "unknown"):
            return self("value_unknown")
        return str(value)

    def barrier(self, barrier: dict[str, Any]) -> str:
        raw_kind = barrier.get("kind")
        kind = barrier.get("barrier") if raw_kind == "barrier" else raw_kind
        key = f"barrier_{kind}"
        name = self(key) if key in self.words else self("barrier_other") + f" ({kind})"
        parts = []
        if "height_cm" in barrier:
            height = barrier["height_cm"]
            value = self("value_unknown") if height == "unknown" else self.number(height, 1)
            parts.append(self("attr_height_cm", v=value))
        if barrier.get("step_count") not in (None, "unknown"):
            parts.append(self("attr_step_count", v=barrier["step_count"]))
        for key in ("signals", "sound", "vibration", "tactile_paving", "handrail"):
            if key in barrier:
                parts.append(self(f"attr_{key}", v=self.yes_no(barrier[key])))
        if "wheelchair" in barrier:
            parts.append(self("attr_wheelchair", v=self.yes_no(barrier["wheelchair"])))
        reason = barrier.get("reason")
        if reason:
            parts.append(self(f"reason_{reason}") if f"reason_{reason}" in self.words else reason)
        return f"{name}: {', '.join(parts)}" if parts else name

    def segment(self, segment: dict[str, Any]) -> str:
        name = segment.get("name") or self("unnamed")
        highway = segment.get("highway")
        kind = self.words.get(f"osm_highway_{highway}", highway) if highway else None
        length = self.distance(segment.get("length_m", 0))
        return f"{name} ({kind}), {length}" if kind else f"{name}, {length}"


# The map's words in one language, public so tests can say what the map should show.
MapText = _Text
