"""The compiled artifact matches its contract (jol/artifact.py), and readers hold to it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import city_graph_dir

from jol.artifact import ARRAYS, STREET_ARRAYS, VOCAB, VOCAB_TABLES, read_manifest
from routing.errors import RoutingError
from routing.graph import StreetGraph


@pytest.mark.parametrize("city", ["almaty", "oslo"])
def test_built_arrays_are_the_contracts_names_and_dtypes(city: str) -> None:
    folder = city_graph_dir(city)
    with np.load(folder / ARRAYS) as npz:
        built = {name: str(npz[name].dtype) for name in npz.files}
    assert built == STREET_ARRAYS
    vocab = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
    assert tuple(vocab) == VOCAB_TABLES
    manifest = read_manifest(folder)
    assert manifest["graph"]["nodes"] == len(np.load(folder / ARRAYS)["node_lat"])


def test_a_graph_lacking_a_contract_array_is_refused(tmp_path: Path) -> None:
    graph = tmp_path / "herrenberg"
    shutil.copytree(city_graph_dir("herrenberg"), graph)
    with np.load(graph / ARRAYS) as npz:
        arrays = {name: npz[name] for name in npz.files if name != "edge_lit"}
    np.savez(graph / ARRAYS, **arrays)  # type: ignore[arg-type]
    with pytest.raises(RoutingError) as refused:
        StreetGraph.load(graph, verify=False)
    assert refused.value.code == "artifact_invalid" and "edge_lit" in refused.value.message


def test_the_graph_exposes_every_contract_array_as_a_typed_attribute(almaty) -> None:
    graph = almaty.graph
    for name in STREET_ARRAYS:
        assert getattr(graph, name) is graph.arrays[name]
    assert set(StreetGraph.__annotations__) >= set(STREET_ARRAYS)
