"""A fixed set of /api/v1/route requests and their recorded answers (issue 12).

Structural changes (the Router split, the metric store, the artifact contract)
must change no behaviour: each request in `golden/route_requests.json` is sent
through the real Flask app on the real compiled city, and the answer's status,
content type and body bytes must equal what was recorded before the change.

Record (only when behaviour is meant to change, and say why in the commit):
    JOL_DATA_DIR=/work/shared/data python tests/golden_routes.py

Nothing in a route answer depends on the build (no build time, no paths), so
nothing is excluded: the bytes are compared whole.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
REQUESTS_FILE = GOLDEN_DIR / "route_requests.json"
ANSWERS_DIR = GOLDEN_DIR / "answers"
STATUS_FILE = ANSWERS_DIR / "status.json"
_SUFFIX = {"application/geo+json": "geojson", "application/gpx+xml": "gpx"}


def requests() -> list[dict]:
    """The fixed request set: name, city, method, path (with query) and JSON body."""
    return json.loads(REQUESTS_FILE.read_text(encoding="utf-8"))


def serve(client: Any, request: dict) -> tuple[int, str, bytes]:
    """Status, content type and body bytes of one request, as the app serves them."""
    if request["method"] == "POST":
        response = client.post(request["path"], json=request["body"])
    else:
        response = client.get(request["path"])
    return response.status_code, response.mimetype, response.get_data()


def answer_file(name: str, mimetype: str) -> Path:
    return ANSWERS_DIR / f"{name}.{_SUFFIX.get(mimetype, 'json')}"


def client_for(router: Any) -> Any:
    """A test client of the real app, rate limits off (the set is sent in one burst)."""
    from web.app import create_app

    app = create_app(router=router, config={"JOL_RATE_LIMITS": {}})
    return app.test_client()


def _record() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import city_router

    ANSWERS_DIR.mkdir(parents=True, exist_ok=True)
    statuses = {}
    clients: dict[str, Any] = {}
    for request in requests():
        city = request["city"]
        if city not in clients:
            clients[city] = client_for(city_router(city))
        status, mimetype, body = serve(clients[city], request)
        answer_file(request["name"], mimetype).write_bytes(body)
        statuses[request["name"]] = [status, mimetype]
        print(f"{request['name']}: {status} {mimetype} {len(body)} bytes")
    STATUS_FILE.write_text(json.dumps(statuses, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    _record()
