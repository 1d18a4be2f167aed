"""Named places (streets, stops, stations, facilities, entrances) with access ratings.

Reads an OSM file (.osm, .osm.bz2, .osm.pbf) with pyosmium and returns one row per
named place, so users can pick a destination by name instead of coordinates.
Node references missing from the file (bbox cuts) are skipped, never fatal.

Kinds, checked in this order (the first that matches wins):

==========  ==============================================================================
kind        OSM objects
==========  ==============================================================================
station     railway=station|halt, public_transport=station, station=subway
stop        highway=bus_stop, public_transport=platform|stop_position, railway=tram_stop
street      ways with highway=* and a name; all ways sharing a name become ONE row,
            located at the merged vertex nearest the (lat, lon) median of all vertices
facility    amenity, shop, tourism, healthcare, office, leisure, government or building
            with a name, and aeroway=aerodrome|terminal (nodes, ways, multipolygon
            relations)
entrance    entrance=* nodes that are named or lie on a facility way (their name is then
            the facility's name and `parent_id` the facility's place_id)
address     any node or way with addr:street and addr:housenumber, named
            "<street>, <number>" so "Абая 23" finds it; its place_id is "a" + the
            object's (a named building is then both a facility and an address)
==========  ==============================================================================

The display `name` is `name`, else `name:ru`, `name:kk`, `name:en` (first present).
`name_ru`, `name_kk`, `name_en`, `name_int` are the raw `name:ru`, `name:kk`,
`name:en`, `int_name` tags ("" when absent).

Access ratings mirror the four groups of Almaty's Digital Inclusion platform. They
are filled for stations, stops, facilities and entrances (null for streets) and use
ONLY tags present on the object; with no relevant tag the rating is "unknown".

===============  =========================================================================
rating           rule (first matching line wins)
===============  =========================================================================
mobility         wheelchair=yes|designated -> yes; limited -> limited; no -> no;
                 anything else or absent -> unknown
musculoskeletal  ramp=yes or elevator=yes -> yes; step_count=0 -> yes;
                 step_count>0 with handrail=no -> no; step_count>0 -> limited;
                 else wheelchair=yes|designated -> yes; wheelchair=limited|no -> limited
                 (a wheelchair barrier is usually steps: hard, not impossible, on foot);
                 else unknown
visual           aids: tactile_paving, tactile_writing*, speech_output*,
                 traffic_signals:sound (yes|designated|contrasted = aid present,
                 limited|partial|incorrect|primitive = partial, no = absent) and any
                 non-"no" blind:description* (a description for blind visitors exists).
                 Some aid present and none absent/partial -> yes; some present or partial
                 -> limited; only absent -> no; no such tag -> unknown
hearing          same combination over hearing_impaired:induction_loop,
                 sign_language* and deaf:description*
===============  =========================================================================

`wheelchair_raw`, `toilets_wheelchair` (`toilets:wheelchair`), `door`,
`automatic_door`, `step_count` and `width` keep the raw tag strings ("" when absent).
Coordinates are WGS84 degrees; `bbox_*` columns bound all located vertices.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import pandas as pd

from jol import settings

ACCESS_GROUPS = ("mobility", "musculoskeletal", "visual", "hearing")
RATINGS = ("yes", "limited", "no", "unknown")

_FACILITY_KEYS = (
    "amenity",
    "shop",
    "tourism",
    "healthcare",
    "office",
    "leisure",
    "government",
    "building",
)
# The airport is a major destination but carries none of the keys above.
_FACILITY_TAGS = (("aeroway", "aerodrome"), ("aeroway", "terminal"))
_STATION_TAGS = (
    ("railway", "station"),
    ("railway", "halt"),
    ("public_transport", "station"),
    ("station", "subway"),
)
_STOP_TAGS = (
    ("highway", "bus_stop"),
    ("public_transport", "platform"),
    ("public_transport", "stop_position"),
    ("railway", "tram_stop"),
)
_NAME_KEYS = ("name", "name:ru", "name:kk", "name:en")
_RAW_KEYS = {
    "wheelchair_raw": "wheelchair",
    "toilets_wheelchair": "toilets:wheelchair",
    "door": "door",
    "automatic_door": "automatic_door",
    "step_count": "step_count",
    "width": "width",
}
_POSITIVE = frozenset({"yes", "designated", "contrasted"})
_PARTIAL = frozenset({"limited", "partial", "incorrect", "primitive"})
_ACCESS_FREE_KINDS = frozenset({"street", "address"})

COLUMNS = (
    "place_id",
    "osm_type",
    "osm_id",
    "kind",
    "category",
    "name",
    "name_ru",
    "name_kk",
    "name_en",
    "name_int",
    "lat",
    "lon",
    "bbox_south",
    "bbox_west",
    "bbox_north",
    "bbox_east",
    "parent_id",
    *(f"access_{g}" for g in ACCESS_GROUPS),
    *_RAW_KEYS,
)


# ---------------------------------------------------------------- access ratings


def _rate_mobility(tags: Mapping[str, str]) -> str:
    value = tags.get("wheelchair", "")
    if value in ("yes", "designated"):
        return "yes"
    if value in ("limited", "no"):
        return value
    return "unknown"


def _parse_step_count(value: str) -> int | None:
    try:
        count = int(value.strip())
    except ValueError:
        return None  # e.g. "2-3" or "few": not a count we can trust
    return count if count >= 0 else None


def _rate_musculoskeletal(tags: Mapping[str, str]) -> str:
    if tags.get("ramp") == "yes" or tags.get("elevator") == "yes":
        return "yes"
    steps = _parse_step_count(tags.get("step_count", ""))
    if steps == 0:
        return "yes"
    if steps is not None:
        return "no" if tags.get("handrail") == "no" else "limited"
    wheelchair = tags.get("wheelchair", "")
    if wheelchair in ("yes", "designated"):
        return "yes"
    if wheelchair in ("limited", "no"):
        return "limited"
    return "unknown"


def _matches(key: str, base: str) -> bool:
    return key == base or key.startswith(base + ":")


def _combine(signals: list[int]) -> str:
    """Fold aid signals (+1 present, 0 partial, -1 absent) into one rating."""
    if not signals:
        return "unknown"
    if all(s > 0 for s in signals):
        return "yes"
    if any(s >= 0 for s in signals):
        return "limited"
    return "no"


def _signals(
    tags: Mapping[str, str], flag_bases: tuple[str, ...], text_bases: tuple[str, ...]
) -> list[int]:
    out: list[int] = []
    for key, raw in tags.items():
        value = raw.strip().lower()
        if any(_matches(key, base) for base in flag_bases):
            if value in _POSITIVE:
                out.append(1)
            elif value in _PARTIAL:
                out.append(0)
            elif value == "no":
                out.append(-1)
            # other values (e.g. a language code) say nothing reliable: ignored
        elif any(_matches(key, base) for base in text_bases):
            out.append(-1 if value == "no" else 1)
    return out


def _rate_visual(tags: Mapping[str, str]) -> str:
    flags = ("tactile_paving", "tactile_writing", "speech_output", "traffic_signals:sound")
    return _combine(_signals(tags, flags, ("blind:description",)))


def _rate_hearing(tags: Mapping[str, str]) -> str:
    flags = ("hearing_impaired:induction_loop", "sign_language")
    return _combine(_signals(tags, flags, ("deaf:description",)))


def access_ratings(tags: Mapping[str, str]) -> dict[str, str]:
    """Ratings ("yes"/"limited"/"no"/"unknown") for the four groups, from OSM tags only."""
    return {
        "mobility": _rate_mobility(tags),
        "musculoskeletal": _rate_musculoskeletal(tags),
        "visual": _rate_visual(tags),
        "hearing": _rate_hearing(tags),
    }


# ---------------------------------------------------------------- classification


def _classify(tags: Mapping[str, str], is_way: bool) -> tuple[str, str] | None:
    """(kind, category) for a named object, or None if it is not a place we keep."""
    for key, value in _STATION_TAGS:
        if tags.get(key) == value:
            return "station", f"{key}={value}"
    for key, value in _STOP_TAGS:
        if tags.get(key) == value:
            return "stop", f"{key}={value}"
    if is_way and "highway" in tags:
        return "street", f"highway={tags['highway']}"
    for key in _FACILITY_KEYS:
        if key in tags:
            return "facility", f"{key}={tags[key]}"
    for key, value in _FACILITY_TAGS:
        if tags.get(key) == value:
            return "facility", f"{key}={value}"
    if not is_way and "entrance" in tags:
        return "entrance", f"entrance={tags['entrance']}"
    return None


def _display_name(tags: Mapping[str, str]) -> str:
    for key in _NAME_KEYS:
        value = tags.get(key, "").strip()
        if value:
            return value
    return ""


# ---------------------------------------------------------------- geometry


def _centroid(lats: np.ndarray, lons: np.ndarray) -> tuple[float, float]:
    """Area centroid of a closed ring (shoelace, local planar), else the vertex mean.

    Degrees in, degrees out; longitudes are scaled by cos(lat) so the planar
    formula is not skewed at Almaty's 43°N.
    """
    closed = len(lats) >= 4 and lats[0] == lats[-1] and lons[0] == lons[-1]
    if closed:
        k = math.cos(math.radians(float(lats.mean())))
        # Relative to the first vertex: products of raw degrees (~43 x 77) would
        # cancel catastrophically against building-sized areas (~1e-8 deg²).
        x, y = (lons - lons[0]) * k, lats - lats[0]
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        area = cross.sum() / 2.0
        if abs(area) > 1e-14:
            cx = ((x[:-1] + x[1:]) * cross).sum() / (6.0 * area)
            cy = ((y[:-1] + y[1:]) * cross).sum() / (6.0 * area)
            return float(lats[0] + cy), float(lons[0] + cx / k)
        lats, lons = lats[:-1], lons[:-1]
    return float(lats.mean()), float(lons.mean())


def _nearest_to_median(lats: np.ndarray, lons: np.ndarray) -> tuple[float, float]:
    """The vertex nearest the per-axis median, so a street's pin lies on the street."""
    mlat, mlon = float(np.median(lats)), float(np.median(lons))
    k = math.cos(math.radians(mlat))
    i = int(np.argmin((lats - mlat) ** 2 + ((lons - mlon) * k) ** 2))
    return float(lats[i]), float(lons[i])


# ---------------------------------------------------------------- collection


@dataclass
class _Street:
    first_id: int
    tags: dict[str, str]
    highways: Counter[str] = field(default_factory=Counter)
    lats: list[np.ndarray] = field(default_factory=list)
    lons: list[np.ndarray] = field(default_factory=list)


class _RelationScan(osmium.SimpleHandler):
    """First pass: named facility/station multipolygons and their outer ways."""

    def __init__(self) -> None:
        super().__init__()
        self.relations: dict[int, dict[str, str]] = {}
        self.outer_of: dict[int, list[int]] = {}

    def relation(self, r: osmium.osm.Relation) -> None:
        tags = dict(r.tags)
        if tags.get("type") != "multipolygon" or not _display_name(tags):
            return
        found = _classify(tags, is_way=True)
        if found is None or found[0] not in ("facility", "station"):
            return
        self.relations[r.id] = tags
        for m in r.members:
            if m.type == "w" and m.role in ("outer", ""):
                self.outer_of.setdefault(m.ref, []).append(r.id)


class _Collector(osmium.SimpleHandler):
    def __init__(self, outer_of: Mapping[int, list[int]]) -> None:
        super().__init__()
        self.rows: list[dict[str, object]] = []
        self.streets: dict[str, _Street] = {}
        self.entrances: dict[int, tuple[dict[str, str], float, float]] = {}
        self.entrance_parent: dict[int, tuple[str, str]] = {}
        self.outer_of = outer_of
        self.relation_coords: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {}

    def node(self, n: osmium.osm.Node) -> None:
        if len(n.tags) == 0 or not n.location.valid():
            return
        tags = dict(n.tags)
        lat, lon = n.location.lat, n.location.lon
        if "entrance" in tags:
            # Decided after the way pass: unnamed entrances count only on a facility.
            self.entrances[n.id] = (tags, lat, lon)
        self._address("node", n.id, tags, lat, lon, (lat, lon, lat, lon))
        name = _display_name(tags)
        if not name:
            return
        found = _classify(tags, is_way=False)
        if found is None or found[0] == "entrance":
            return
        self.rows.append(_row("node", n.id, found, name, tags, lat, lon, (lat, lon, lat, lon)))

    def way(self, w: osmium.osm.Way) -> None:
        rel_ids = self.outer_of.get(w.id)
        if len(w.tags) == 0 and rel_ids is None:
            return
        refs: list[int] = []
        lats: list[float] = []
        lons: list[float] = []
        for nr in w.nodes:
            if nr.location.valid():
                refs.append(nr.ref)
                lats.append(nr.location.lat)
                lons.append(nr.location.lon)
        if not lats:
            return  # every node is missing from this extract
        alat, alon = np.asarray(lats), np.asarray(lons)
        for rid in rel_ids or ():
            coords = self.relation_coords.setdefault(rid, ([], []))
            coords[0].append(alat)
            coords[1].append(alon)
        tags = dict(w.tags)
        if tags.get("addr:housenumber") and tags.get("addr:street"):
            lat, lon = _centroid(alat, alon)
            bbox = (float(alat.min()), float(alon.min()), float(alat.max()), float(alon.max()))
            self._address("way", w.id, tags, lat, lon, bbox)
        name = _display_name(tags)
        if not name:
            return
        found = _classify(tags, is_way=True)
        if found is None:
            return
        if found[0] == "street":
            street = self.streets.get(name)
            if street is None:
                street = self.streets[name] = _Street(first_id=w.id, tags=tags)
            street.first_id = min(street.first_id, w.id)
            for key in ("name:ru", "name:kk", "name:en", "int_name"):
                # Translations are often on only some of a street's ways: keep the first.
                if not street.tags.get(key) and tags.get(key):
                    street.tags[key] = tags[key]
            street.highways[tags["highway"]] += 1
            street.lats.append(alat)
            street.lons.append(alon)
            return
        lat, lon = _centroid(alat, alon)
        bbox = (float(alat.min()), float(alon.min()), float(alat.max()), float(alon.max()))
        self.rows.append(_row("way", w.id, found, name, tags, lat, lon, bbox))
        if found[0] == "facility":
            for ref in refs:
                self.entrance_parent.setdefault(ref, (f"w{w.id}", name))

    def _address(
        self,
        osm_type: str,
        osm_id: int,
        tags: Mapping[str, str],
        lat: float,
        lon: float,
        bbox: tuple[float, float, float, float],
    ) -> None:
        """A row for an object's street address, so a house number can be searched."""
        street, number = tags.get("addr:street", "").strip(), tags.get("addr:housenumber", "")
        if not street or not number.strip():
            return
        found = ("address", "")
        row = _row(osm_type, osm_id, found, f"{street}, {number.strip()}", {}, lat, lon, bbox)
        row["place_id"] = "a" + str(row["place_id"])
        self.rows.append(row)

    def finish(self, relations: Mapping[int, dict[str, str]]) -> None:
        """Emit rows that need the whole file: streets, relations, entrances."""
        for name, st in self.streets.items():
            lats, lons = np.concatenate(st.lats), np.concatenate(st.lons)
            lat, lon = _nearest_to_median(lats, lons)
            bbox = (float(lats.min()), float(lons.min()), float(lats.max()), float(lons.max()))
            category = f"highway={st.highways.most_common(1)[0][0]}"
            self.rows.append(
                _row("way", st.first_id, ("street", category), name, st.tags, lat, lon, bbox)
            )
        for rid, (rlats, rlons) in self.relation_coords.items():
            tags = relations[rid]
            lats, lons = np.concatenate(rlats), np.concatenate(rlons)
            found = _classify(tags, is_way=True)
            assert found is not None  # _RelationScan kept only classifiable relations
            # Vertex mean of all outer rings: rings of one multipolygon are rarely a
            # single closed way, so the shoelace centroid does not apply.
            lat, lon = float(lats.mean()), float(lons.mean())
            bbox = (float(lats.min()), float(lons.min()), float(lats.max()), float(lons.max()))
            self.rows.append(
                _row("relation", rid, found, _display_name(tags), tags, lat, lon, bbox)
            )
        for nid, (tags, lat, lon) in self.entrances.items():
            parent_id, parent_name = self.entrance_parent.get(nid, ("", ""))
            own = _display_name(tags)
            if not own and not parent_id:
                continue
            if own and _classify(tags, is_way=False) != (
                "entrance",
                f"entrance={tags['entrance']}",
            ):
                continue  # already emitted as a station/stop/facility node
            row = _row(
                "node",
                nid,
                ("entrance", category),
                own or parent_name,
                tags,
                lat,
                lon,
                (lat, lon, lat, lon),
            )
            row["parent_id"] = parent_id
            self.rows.append(row)


def _row(
    osm_type: str,
    osm_id: int,
    found: tuple[str, str],
    name: str,
    tags: Mapping[str, str],
    lat: float,
    lon: float,
    bbox: tuple[float, float, float, float],
) -> dict[str, object]:
    kind, category = found
    row: dict[str, object] = {
        "place_id": f"{osm_type[0]}{osm_id}",
        "osm_type": osm_type,
        "osm_id": osm_id,
        "kind": kind,
        "category": category,
        "name": name,
        "name_ru": tags.get("name:ru", ""),
        "name_kk": tags.get("name:kk", ""),
        "name_en": tags.get("name:en", ""),
        "name_int": tags.get("int_name", ""),
        "lat": lat,
        "lon": lon,
        "bbox_south": bbox[0],
        "bbox_west": bbox[1],
        "bbox_north": bbox[2],
        "bbox_east": bbox[3],
        "parent_id": "",
    }
    ratings = None if kind in _ACCESS_FREE_KINDS else access_ratings(tags)
    for group in ACCESS_GROUPS:
        row[f"access_{group}"] = None if ratings is None else ratings[group]
    for column, key in _RAW_KEYS.items():
        row[column] = tags.get(key, "")
    return row


# ---------------------------------------------------------------- public API


def build_places(osm_path: Path) -> pd.DataFrame:
    """One row per named place in `osm_path` (.osm, .osm.bz2, .osm.pbf); columns `COLUMNS`.

    Rows are sorted by (kind, name, place_id) so a rebuild of the same file is
    byte-identical. Raises FileNotFoundError if the file does not exist.
    """
    path = Path(osm_path)
    if not path.is_file():
        raise FileNotFoundError(path)
    scan = _RelationScan()
    scan.apply_file(str(path))
    collector = _Collector(scan.outer_of)
    # locations=True keeps node coordinates for ways; missing nodes stay invalid
    # and are skipped instead of raising.
    collector.apply_file(str(path), locations=True)
    collector.finish(scan.relations)
    df = pd.DataFrame(collector.rows, columns=list(COLUMNS))
    df["osm_id"] = df["osm_id"].astype("int64")
    for col in ("lat", "lon", "bbox_south", "bbox_west", "bbox_north", "bbox_east"):
        df[col] = df[col].astype("float64")
    return df.sort_values(["kind", "name", "place_id"], kind="stable").reset_index(drop=True)


def write_places(df: pd.DataFrame, directory: Path) -> Path:
    """Write `df` to `directory/places.parquet` (created if needed); returns the path.

    Written to a temporary name first and renamed, so a reader never sees half a file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / settings.PLACES_FILENAME
    tmp = target.with_suffix(".parquet.tmp")
    df.to_parquet(tmp, engine="pyarrow", index=False)
    tmp.replace(target)
    return target
