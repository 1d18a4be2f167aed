"""Search named places by text in Russian, Kazakh or English (reads places.parquet).

Names and queries go through the same `normalize`, so one comparison covers
every script and spelling:

1. casefold;
2. Latin -> Cyrillic, longest match first (`_LATIN`): shch->щ, zh->ж, sh->ш,
   ch->ч, kh->х, ts->ц, ya->я, yu->ю, yo->ё, then one letter each
   (a->а, b->б, c->к, d->д, e->е, f->ф, g->г, h->х, i->и, j->ж, k->к, l->л,
   m->м, n->н, o->о, p->п, q->к, r->р, s->с, t->т, u->у, v->в, w->в, x->кс,
   y->й, z->з, and Kazakh Latin ä->а, ö->о, ü->у, ğ->г, ı->ы, ş->ш, ç->ч, ñ->н);
   so "dostyk" -> "достык" and English names (name:en, int_name) are matched
   in the same space as Cyrillic ones;
3. fold letters users type inconsistently: ё, э->е; Kazakh ә->а, ғ->г, қ->к,
   ң->н, ө->о, ұ, ү->у, һ->х, і->и; й, ы->и; ь, ъ dropped; я->иа, ю->иу (their
   sound, so "Абай" is a prefix of the genitive "Абая": "абаи" / "абаиа");
4. anything not a letter or digit becomes a space; doubled letters collapse
   ("Сейфуллина" and "Seifulin" meet).

A query that is only a kind of place ("метро", "pharmacy", "қонақ үй",
`_KIND_WORDS`) finds the places of that kind first, named so or not, then
names that merely contain the word: "метро" must not answer a nightclub called
"Metro" before a metro station. Addresses ("ул. Абая 23", from
`addr:street` + `addr:housenumber`) are places of kind "address".

Rank (best first): exact name (also ignoring street words like "ул.", "пр.",
"даңғылы") > every query word is a prefix of a name word > the query is a
substring of a name; within each, a name whose street word is of the query's
kind ("проспект Абая": the avenue before "ул. Абая"); then streets and
stations (metro stations too) before stops, facilities and entrances; then
distance to `near`; then shorter names.

When the graph folder has a compiled timetable, its served stops are places
too (`places.stops`): the only metro stations Almaty's index has come from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.parquet as pq

from jol import settings

if TYPE_CHECKING:
    from places.stops import TransitStop

KINDS = ("street", "station", "metro_station", "stop", "facility", "entrance", "address")
# Streets and stations are what people name as a destination most often.
_KIND_RANK = {"street": 0, "station": 0, "metro_station": 0, "stop": 1, "address": 1}
_KIND_RANK |= {"facility": 2, "entrance": 3}
_KIND_TIER = -1  # a place of the kind the query names: ahead of every name match
_ACCESS_GROUPS = ("mobility", "musculoskeletal", "visual", "hearing")
_NAME_COLUMNS = ("name", "name_ru", "name_kk", "name_en", "name_int")
_EARTH_RADIUS_M = 6_371_008.8
_NO_MATCH = 6

_LATIN = {
    "shch": "щ",
    "zh": "ж",
    "sh": "ш",
    "ch": "ч",
    "kh": "х",
    "ts": "ц",
    "ya": "я",
    "yu": "ю",
    "yo": "ё",
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "y": "й",
    "z": "з",
    "ä": "а",
    "ö": "о",
    "ü": "у",
    "ğ": "г",
    "ı": "ы",
    "ş": "ш",
    "ç": "ч",
    "ñ": "н",
}
_LATIN_RE = re.compile("|".join(sorted(_LATIN, key=len, reverse=True)))
_FOLD = str.maketrans(
    {
        "ё": "е",
        "э": "е",
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "й": "и",
        "ы": "и",
        "ь": "",
        "ъ": "",
        "я": "иа",
        "ю": "иу",
    }
)
_NON_WORD = re.compile(r"[\W_]+")
_DOUBLED = re.compile(r"(\w)\1+")


def normalize(text: str) -> str:
    """Search form of `text` (see module docstring); words separated by one space."""
    s = _LATIN_RE.sub(lambda m: _LATIN[m.group(0)], text.casefold())
    s = s.translate(_FOLD)
    s = _NON_WORD.sub(" ", s)
    return _DOUBLED.sub(r"\1", s).strip()


# Street-type words by kind, so "Абая" is an exact match for "Абая прс." and
# "пр. Абая", and "проспект Абая" ranks the avenue above "ул. Абая".
_STREET_KINDS = {
    "avenue": ("пр", "прс", "просп", "проспект", "даңғылы", "avenue", "ave"),
    "street": ("ул", "улица", "көшесі", "street", "str"),
    "lane": ("пер", "переулок"),
    "boulevard": ("бул", "бульвар"),
    "district": ("мкр", "микрорайон", "шағын ауданы"),
    "": ("им", "имени"),  # "named after": a street word of no kind
}
_STREET_KIND_OF = {
    word: kind
    for kind, words in _STREET_KINDS.items()
    for text in words
    for word in normalize(text).split()
}
_STREET_WORDS = frozenset(_STREET_KIND_OF)


# Words people type for a kind of place (ru, kk, en) -> the OSM categories meant.
_SUBWAY = ("station=subway", "railway=subway", "railway=subway_entrance")
_KIND_WORDS_RAW: dict[tuple[str, ...], tuple[str, ...]] = {
    ("метро", "метрополитен", "станция метро", "метро станциясы", "metro", "subway"): _SUBWAY,
    ("вокзал", "жд вокзал", "теміржол вокзалы", "railway station"): (
        "railway=station",
        "railway=halt",
    ),
    ("автовокзал", "bus station"): ("amenity=bus_station",),
    ("остановка", "аялдама", "bus stop"): (
        "highway=bus_stop",
        "public_transport=platform",
        "public_transport=stop_position",
    ),
    ("гостиница", "отель", "қонақ үй", "hotel"): ("tourism=hotel",),
    ("аптека", "дәріхана", "pharmacy"): ("amenity=pharmacy",),
    ("больница", "аурухана", "hospital"): ("amenity=hospital",),
    ("банк", "bank"): ("amenity=bank",),
    ("банкомат", "atm"): ("amenity=atm",),
    ("школа", "мектеп", "school"): ("amenity=school",),
    ("университет", "university"): ("amenity=university",),
    ("парк", "саябақ", "park"): ("leisure=park",),
    ("кинотеатр", "cinema"): ("amenity=cinema",),
    ("театр", "theatre"): ("amenity=theatre",),
    ("музей", "мұражай", "museum"): ("tourism=museum",),
    ("супермаркет", "supermarket"): ("shop=supermarket",),
    ("почта", "пошта", "post office"): ("amenity=post_office",),
    ("полиция", "police"): ("amenity=police",),
    ("аэропорт", "әуежай", "airport"): ("aeroway=aerodrome",),
}
_KIND_WORDS = {
    normalize(word): categories for words, categories in _KIND_WORDS_RAW.items() for word in words
}


def _street_kind(key: str) -> str:
    """The first street-type kind named in a normalized key; "" if none."""
    return next((_STREET_KIND_OF[w] for w in key.split() if _STREET_KIND_OF.get(w)), "")


def _core(key: str) -> str:
    return " ".join(w for w in key.split() if w not in _STREET_WORDS)


class PlaceIndex:
    """In-memory text index over places.parquet; safe to share between threads."""

    def __init__(self, columns: dict[str, list]) -> None:
        self._cols = columns
        self._lat = np.asarray(columns["lat"], dtype=np.float64)
        self._lon = np.asarray(columns["lon"], dtype=np.float64)
        self._kind_rank = np.array(
            [_KIND_RANK.get(k, len(_KIND_RANK)) for k in columns["kind"]], dtype=np.int64
        )
        self._name_len = np.array([len(n) for n in columns["name"]], dtype=np.int64)
        # Final tie-break (name, then id) precomputed so ranking is one np.lexsort.
        by_name = sorted(
            range(len(self._lat)), key=lambda i: (columns["name"][i], columns["place_id"][i])
        )
        self._name_rank = np.empty(len(by_name), dtype=np.int64)
        self._name_rank[by_name] = np.arange(len(by_name))
        # One entry per distinct normalized name of a place, held as numpy string
        # arrays so matching runs in C (np.char) rather than a Python loop.
        entry_place: list[int] = []
        keys: list[str] = []
        for i in range(len(self._lat)):
            seen: set[str] = set()
            for col in _NAME_COLUMNS:
                key = normalize(columns[col][i] or "")
                if key and key not in seen:
                    seen.add(key)
                    entry_place.append(i)
                    keys.append(key)
        self._entry_place = np.array(entry_place, dtype=np.int64)
        self._entry_key = np.array(keys, dtype=str)
        self._entry_core = np.array([_core(k) for k in keys], dtype=str)
        self._entry_street_kind = np.array([_street_kind(k) for k in keys], dtype=str)
        self._entry_padded = np.array([" " + k for k in keys], dtype=str)
        self._kind = np.array(columns["kind"], dtype=str)
        self._category = np.array([c or "" for c in columns["category"]], dtype=str)

    @classmethod
    def load(cls, directory: Path, stops: Sequence[TransitStop] = ()) -> PlaceIndex:
        """Read `directory/places.parquet` (written by graph_build.places.write_places),
        with the timetable's `stops` added where OSM lacks them (see `places.stops`)."""
        from places.stops import add_stops  # places.stops imports this module's normalize

        columns = pq.read_table(Path(directory) / settings.PLACES_FILENAME).to_pydict()
        return cls(add_stops(columns, stops) if stops else columns)

    def __len__(self) -> int:
        return len(self._lat)

    def kinds(self) -> set[str]:
        """The kinds of place the index holds (the page needs a word for each)."""
        return set(self._kind.tolist())

    def places(self, kinds: Sequence[str]) -> list[dict]:
        """Every place of `kinds` (a subset of `KINDS`), as `search` answers them."""
        allowed = _check_kinds(kinds)
        assert allowed is not None
        keep = np.flatnonzero(np.isin(self._kind, list(allowed)))
        return [self._result(int(i)) for i in keep]

    def search(
        self,
        q: str,
        limit: int = 10,
        kinds: Sequence[str] | None = None,
        near: tuple[float, float] | None = None,
    ) -> list[dict]:
        """Best `limit` places whose name matches `q`, best first.

        `kinds` restricts to some of `KINDS`; `near` is (lat, lon) in degrees and
        orders equally good matches by distance. Raises ValueError on an empty or
        over-long `q`, a `limit` outside 1..PLACES_MAX_LIMIT, an unknown kind or
        an impossible `near`.
        """
        nq = self._validated_query(q)
        _check_limit(limit)
        allowed = _check_kinds(kinds)
        here = _check_near(near)
        if not nq:
            return []  # only punctuation: nothing can match
        qcore = _core(nq)
        tier = self._entry_tiers(nq, qcore)
        if allowed is not None:
            tier[~np.isin(self._kind[self._entry_place], list(allowed))] = _NO_MATCH
        hit = np.flatnonzero(tier < _NO_MATCH)
        # Best tier per place: sort hits by (place, tier) and keep each place's first.
        by_place = hit[np.lexsort((tier[hit], self._entry_place[hit]))]
        places, first = np.unique(self._entry_place[by_place], return_index=True)
        tiers = tier[by_place[first]]
        places, tiers = self._with_kind_matches(nq, places, tiers, allowed)
        if places.size == 0:
            return []
        if here is None:
            dist = np.zeros(len(places))
        else:
            dist = _distance_m(here, self._lat[places], self._lon[places])
        # np.lexsort sorts by the LAST key first.
        order = np.lexsort(
            (
                self._name_rank[places],
                self._name_len[places],
                dist,
                self._kind_rank[places],
                tiers,
            )
        )
        return [self._result(int(places[j])) for j in order[:limit]]

    def nearest(
        self, near: tuple[float, float], radius_m: float, kinds: Sequence[str] | None = None
    ) -> dict | None:
        """The closest place of `kinds` within `radius_m` of (lat, lon), or None.

        Spoken directions name it as a landmark where the traveller turns.
        """
        if not len(self._lat):
            return None
        here = _check_near(near)
        assert here is not None
        distance = _distance_m(here, self._lat, self._lon)
        allowed = _check_kinds(kinds)
        if allowed is not None:
            distance = np.where(np.isin(self._kind, list(allowed)), distance, np.inf)
        best = int(np.argmin(distance))
        if distance[best] > radius_m:
            return None
        return self._result(best) | {"distance_m": round(float(distance[best]), 1)}

    def _with_kind_matches(
        self,
        nq: str,
        places: np.ndarray,
        tiers: np.ndarray,
        allowed: frozenset[str] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add the places of the kind the query names (if it names one) at `_KIND_TIER`."""
        categories = _KIND_WORDS.get(nq)
        if categories is None:
            return places, tiers
        meant = np.isin(self._category, list(categories))
        if allowed is not None:
            meant &= np.isin(self._kind, list(allowed))
        kind_places = np.flatnonzero(meant)
        merged = np.concatenate([kind_places, places])
        merged_tiers = np.concatenate([np.full(kind_places.size, _KIND_TIER), tiers])
        order = np.lexsort((merged_tiers, merged))
        unique, first = np.unique(merged[order], return_index=True)
        return unique, merged_tiers[order][first]

    def _validated_query(self, q: str) -> str:
        if not isinstance(q, str) or not q.strip():
            raise ValueError("q must be non-empty text")
        if len(q) > settings.PLACES_MAX_QUERY_CHARS:
            raise ValueError(f"q must be at most {settings.PLACES_MAX_QUERY_CHARS} characters")
        return normalize(q)

    def _entry_tiers(self, nq: str, qcore: str) -> np.ndarray:
        """Per entry: 0 exact, 2 every query word prefixes a name word, 4 substring,
        plus 1 where the query names a street kind and the entry another; `_NO_MATCH` else.

        Street words are ignored on both sides for "exact" and "prefix" when the
        query has other words, so "Абая даңғылы" meets "пр. Абая" and "ул. Абая",
        the avenue first.
        """
        tier = np.full(len(self._entry_key), _NO_MATCH, dtype=np.int64)
        tier[np.char.find(self._entry_key, nq) >= 0] = 4
        prefix = np.ones(len(tier), dtype=bool)
        for token in (qcore or nq).split():
            prefix &= np.char.find(self._entry_padded, " " + token) >= 0
        tier[prefix] = 2
        exact = self._entry_key == nq
        if qcore:
            exact |= self._entry_core == qcore
        tier[exact] = 0
        kind = _street_kind(nq)
        if kind:
            tier[(tier < _NO_MATCH) & (self._entry_street_kind != kind)] += 1
        return tier

    def _result(self, i: int) -> dict:
        c = self._cols
        if c["access_mobility"][i] is None:
            access = None
        else:
            access = {g: c[f"access_{g}"][i] for g in _ACCESS_GROUPS}
        return {
            "id": c["place_id"][i],
            "kind": c["kind"][i],
            "category": c["category"][i],
            "name": c["name"][i],
            "names": {"ru": c["name_ru"][i], "kk": c["name_kk"][i], "en": c["name_en"][i]},
            "lat": float(self._lat[i]),
            "lon": float(self._lon[i]),
            "access": access,
        }


def _check_limit(limit: int) -> None:
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= settings.PLACES_MAX_LIMIT
    ):
        raise ValueError(f"limit must be an integer in 1..{settings.PLACES_MAX_LIMIT}")


def _check_kinds(kinds: Sequence[str] | None) -> frozenset[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]  # a lone string would otherwise be read letter by letter
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}")
    return frozenset(kinds)


def _check_near(near: tuple[float, float] | None) -> tuple[float, float] | None:
    if near is None:
        return None
    try:
        lat, lon = float(near[0]), float(near[1])
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError("near must be (lat, lon) in degrees") from exc
    if len(near) != 2 or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError("near must be (lat, lon) with lat in -90..90 and lon in -180..180")
    return lat, lon


def _distance_m(here: tuple[float, float], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (haversine) from `here` to each point."""
    lat0, lon0 = math.radians(here[0]), math.radians(here[1])
    la, lo = np.radians(lat), np.radians(lon)
    h = np.sin((la - lat0) / 2) ** 2 + math.cos(lat0) * np.cos(la) * np.sin((lo - lon0) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
