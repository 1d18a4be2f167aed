"""Cities described as data: `data/<key>.toml` (see data/README.md).

What a city is (its names, clock, bounding box, default inputs with their
checksums, sources and licences, and builders' defaults) lives in data, not in
settings, so another city is a new file rather than new code. Bottom layer:
the CLI, the builders and the tests read it; routing reads the city only from
the compiled manifest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jol import settings
from jol.artifact import sha256_file

CITIES_DIR = settings.REPO_ROOT / "data"


class CityError(ValueError):
    """A city file is missing, malformed, or one of its inputs is not the file it describes."""


@dataclass(frozen=True)
class CityInput:
    """One default input of a city: a file under the data directory and what it is."""

    kind: str  # osm, dem or gtfs
    path: str  # relative to settings.data_dir()
    sha256: str
    source: str
    licence: str

    def file(self) -> Path:
        return settings.data_dir() / self.path


@dataclass(frozen=True)
class City:
    """A city as `data/<key>.toml` describes it."""

    key: str
    names: dict[str, str]  # ru, kk, en
    time_zone: str
    bbox: tuple[float, float, float, float]  # west, south, east, north (degrees)
    inputs: tuple[CityInput, ...]
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The English name, what the manifest's `city` has always held."""
        return self.names["en"]

    def paths(self, kind: str) -> list[str]:
        """Paths (under the data directory) of every input of `kind`, in file order."""
        return [i.path for i in self.inputs if i.kind == kind]

    def files(self, kind: str) -> list[Path]:
        """The files of every input of `kind`, in the order the city file lists them."""
        return [i.file() for i in self.inputs if i.kind == kind]

    def mismatches(self, kinds: tuple[str, ...] = ("osm", "dem")) -> list[str]:
        """One line per input of `kinds` whose file is missing or hashes differently."""
        problems = []
        for entry in self.inputs:
            if entry.kind not in kinds:
                continue
            path = entry.file()
            if not path.is_file():
                problems.append(f"{path} is missing ({self.key}.toml lists it)")
                continue
            actual = sha256_file(path)
            if actual != entry.sha256:
                problems.append(
                    f"{path} has sha256 {actual}, but data/{self.key}.toml says {entry.sha256}"
                )
        return problems


def city_keys() -> list[str]:
    """Keys of every city with a file in data/."""
    return sorted(path.stem for path in CITIES_DIR.glob("*.toml"))


def find_city(name: str) -> City | None:
    """The city whose key or English name is `name` (any case), else None."""
    key = name.strip().lower()
    return load_city(key) if key in city_keys() else None


def load_city(key: str) -> City:
    """Read and check `data/<key>.toml`; CityError says what is wrong."""
    path = CITIES_DIR / f"{key}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CityError(f"no city file {path} (known: {', '.join(city_keys())})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CityError(f"{path} is not valid TOML ({exc})") from None
    try:
        return _city(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise CityError(f"{path} lacks or misstates {exc}") from None


def _city(raw: dict[str, Any]) -> City:
    names = {lang: str(raw["name"][lang]) for lang in settings.LANGUAGES}
    west, south, east, north = (float(v) for v in raw["bbox"])
    inputs = tuple(
        CityInput(
            str(i["kind"]), str(i["path"]), str(i["sha256"]), str(i["source"]), str(i["licence"])
        )
        for i in raw["inputs"]
    )
    return City(
        str(raw["key"]),
        names,
        str(raw["time_zone"]),
        (west, south, east, north),
        inputs,
        dict(raw.get("defaults", {})),
    )
