"""The one exception routing raises for anything a caller did or asked that has no answer."""

from __future__ import annotations

# Every code routing raises and its kind: "client" (the request cannot be answered as
# asked: fix the request) or "data" (the compiled data is at fault: rebuild it). How an
# interface says it (an HTTP status in web/errors.py, an exit code in the CLI) is the
# interface's business.
ERROR_KINDS = {
    "invalid_request": "client",
    "unknown_profile": "client",
    "invalid_override": "client",
    "outside_area": "client",
    "no_accessible_route": "client",
    "outside_service_dates": "client",  # transit: a date the feeds do not cover
    "no_kerbside": "client",  # Invataxi: nowhere the vehicle may stop that the passenger can reach
    "no_drive_route": "client",
    "request_too_large": "client",  # Invataxi: a matrix over its cell limit
    "artifact_invalid": "data",
}


class RoutingError(Exception):
    """A request routing cannot answer; `code` is stable and machine-readable.

    `kind` is "client" or "data" (see ERROR_KINDS); `details` carries
    structured context (for `no_accessible_route`: ``details["blocking"]``).
    """

    def __init__(self, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.kind = ERROR_KINDS.get(code, "client")

    def to_dict(self) -> dict:
        """The error body every interface returns: ``{"error": {code, message, details}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}
