"""The fixed /api/v1/route request set answers byte for byte as recorded.

See tests/golden_routes.py for what is recorded, how, and why.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import city_router
from golden_routes import STATUS_FILE, answer_file, client_for, requests, serve

_REQUESTS = requests()
_clients: dict[str, Any] = {}


def _client(city: str) -> Any:
    if city not in _clients:
        _clients[city] = client_for(city_router(city))
    return _clients[city]


def test_the_request_set_covers_what_it_should() -> None:
    statuses = json.loads(STATUS_FILE.read_text(encoding="utf-8"))
    assert set(statuses) == {r["name"] for r in _REQUESTS}
    assert {r["city"] for r in _REQUESTS} == {"almaty", "oslo"}
    kinds = {tuple(s) for s in statuses.values()}
    assert (200, "application/json") in kinds and (422, "application/json") in kinds
    assert {s[1] for s in statuses.values()} >= {"application/geo+json", "application/gpx+xml"}


@pytest.mark.parametrize("request_", _REQUESTS, ids=[r["name"] for r in _REQUESTS])
def test_route_answer_is_unchanged(request_: dict) -> None:
    status, mimetype, body = serve(_client(request_["city"]), request_)
    recorded = json.loads(STATUS_FILE.read_text(encoding="utf-8"))[request_["name"]]
    assert [status, mimetype] == recorded
    assert body == answer_file(request_["name"], mimetype).read_bytes()
