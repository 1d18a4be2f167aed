"""The one exception routing raises for anything a caller did or asked that has no answer."""

from __future__ import annotations

_STATUS = {
    "invalid_request": 400,
    "unknown_profile": 400,
    "invalid_override": 400,
    "outside_area": 422,
    "no_accessible_route": 422,
    "outside_service_dates": 422,
    "artifact_invalid": 503,
}


class RoutingError(Exception):
    """A request routing cannot answer; `code` is stable and machine-readable.

    `http_status` is what an HTTP layer should answer with; `details` carries
    structured context (for `no_accessible_route`: ``details["blocking"]``).
    """

    def __init__(self, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.http_status = _STATUS.get(code, 400)

    def to_dict(self) -> dict:
        """The error body every interface returns: ``{"error": {code, message, details}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}
