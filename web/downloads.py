"""Route answers converted to downloadable GeoJSON, GPX and a standalone HTML map.

All carry the same facts as the JSON answer (segments and every barrier) so a
route opened in another app keeps its accessibility information, not just the
line. Coordinates are WGS84 degrees, lengths metres, durations seconds. The
HTML map is drawn by web.html_map; this module gathers what it needs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from web.html_map import STREETS_LIMIT, route_html, streets_bbox

_GPX_NS = "http://www.topografix.com/GPX/1/1"


def route_map_html(answer: dict[str, Any], lang: str, router: Any, streets: Any) -> str:
    """The answer as an HTML map page in `lang`, with the streets around it from `streets`.

    `router` lists the profiles (for the profile's name in `lang`); `streets` is a
    basemap.StreetLines of the same graph. Used by the API and `jol route --html`.
    """
    # A failure names its profile in the error's details.
    name = answer.get("profile") or answer.get("error", {}).get("details", {}).get("profile")
    title = next((p["title"].get(lang) for p in router.profiles() if p["name"] == name), None)
    box = streets_bbox(answer)
    features = streets.query(box, STREETS_LIMIT)[0] if box is not None else []
    return route_html(answer, lang, profile_title=title, streets=features)


def route_geojson(answer: dict[str, Any]) -> dict[str, Any]:
    """A FeatureCollection: per route its line, its segments and its barrier points."""
    features: list[dict[str, Any]] = []
    for r_index, route in enumerate(answer.get("routes", [])):
        coords = route["geometry"]["coordinates"]
        summary = {k: route.get(k) for k in ("distance_m", "duration_s", "ascent_m", "descent_m")}
        features.append(
            {
                "type": "Feature",
                "geometry": route["geometry"],
                "properties": {
                    "kind": "route",
                    "route_index": r_index,
                    "profile": answer.get("profile"),
                    **summary,
                    "unknown": route.get("unknown", {}),
                    "warnings": route.get("warnings", []),
                    **({"conditions": answer["conditions"]} if "conditions" in answer else {}),
                },
            }
        )
        for s_index, seg in enumerate(route.get("segments", [])):
            start, end = seg["coordinates_range"]
            props = {k: v for k, v in seg.items() if k not in ("coordinates_range", "barriers")}
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords[start : end + 1]},
                    "properties": {
                        "kind": "segment",
                        "route_index": r_index,
                        "segment_index": s_index,
                        **props,
                    },
                }
            )
            for barrier in seg.get("barriers", []):
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Point",
                            "coordinates": [barrier["lon"], barrier["lat"]],
                        },
                        "properties": {
                            "kind": "barrier",
                            "route_index": r_index,
                            "segment_index": s_index,
                            **barrier,
                        },
                    }
                )
    return {"type": "FeatureCollection", "features": features}


def route_gpx(answer: dict[str, Any], *, creator: str = "Jol") -> bytes:
    """GPX 1.1: one track per route, one waypoint per barrier (described in text)."""
    ET.register_namespace("", _GPX_NS)
    gpx = ET.Element(f"{{{_GPX_NS}}}gpx", {"version": "1.1", "creator": creator})
    metadata = ET.SubElement(gpx, f"{{{_GPX_NS}}}metadata")
    _text(metadata, "name", f"Jol route ({answer.get('profile', 'unknown')})")
    if "conditions" in answer:
        _text(metadata, "time", _utc(answer["conditions"]["depart_at"]))
    for route in answer.get("routes", []):
        for seg in route.get("segments", []):
            for barrier in seg.get("barriers", []):
                wpt = ET.SubElement(
                    gpx,
                    f"{{{_GPX_NS}}}wpt",
                    {"lat": _deg(barrier["lat"]), "lon": _deg(barrier["lon"])},
                )
                _text(wpt, "name", _barrier_name(barrier))
                _text(wpt, "desc", _barrier_desc(barrier))
                _text(wpt, "type", str(barrier.get("kind", "barrier")))
    for r_index, route in enumerate(answer.get("routes", [])):
        trk = ET.SubElement(gpx, f"{{{_GPX_NS}}}trk")
        _text(trk, "name", f"Route {r_index + 1}")
        _text(
            trk,
            "desc",
            f"{route.get('distance_m', 0):.0f} m, {route.get('duration_s', 0) / 60:.0f} min, "
            f"ascent {route.get('ascent_m', 0):.0f} m",
        )
        trkseg = ET.SubElement(trk, f"{{{_GPX_NS}}}trkseg")
        for lon, lat in route["geometry"]["coordinates"]:
            ET.SubElement(trkseg, f"{{{_GPX_NS}}}trkpt", {"lat": _deg(lat), "lon": _deg(lon)})
    return ET.tostring(gpx, encoding="utf-8", xml_declaration=True)


def _barrier_name(barrier: dict[str, Any]) -> str:
    kind = str(barrier.get("kind", "barrier"))
    # Generic OSM barriers carry their barrier=* value (gate, bollard, ...) beside the kind.
    detail = barrier.get("barrier")
    return f"{kind}: {detail}" if detail and detail != kind else kind


def _barrier_desc(barrier: dict[str, Any]) -> str:
    """Every fact of the barrier but its position, as "key=value; ..." text."""
    skip = {"kind", "lat", "lon"}
    return "; ".join(f"{k}={v}" for k, v in barrier.items() if k not in skip)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{_GPX_NS}}}{tag}").text = text


def _utc(iso: str) -> str:
    """GPX times are UTC (the GPX 1.1 schema says so), e.g. 2026-12-06T16:30:00Z."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _deg(value: float) -> str:
    return f"{float(value):.7f}"
