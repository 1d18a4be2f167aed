"""WSGI entry point: `gunicorn web.wsgi:app` (graph from env JOL_GRAPH_DIR)."""

from __future__ import annotations

from web.app import create_app

app = create_app()
