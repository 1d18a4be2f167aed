"""Routing's error codes carry a kind, not an HTTP status; web/ maps each code to a status
and the CLI maps each kind to an exit code, so no code is left unsaid by either."""

from __future__ import annotations

from routing.errors import ERROR_KINDS, RoutingError
from web.errors import ROUTING_STATUS, routing_status


def test_every_routing_code_has_a_kind_and_an_http_status() -> None:
    assert set(ROUTING_STATUS) == set(ERROR_KINDS)
    for code, kind in ERROR_KINDS.items():
        status = routing_status(RoutingError(code, "x"))
        assert kind in ("client", "data")
        # A client's mistake is 4xx; data at fault is the server's 5xx.
        assert (400 <= status < 500) if kind == "client" else status >= 500


def test_routing_errors_no_longer_speak_http() -> None:
    assert not hasattr(RoutingError("outside_area", "x"), "http_status")
