"""The Flask app factory: one blueprint per surface, JSON errors everywhere under /api."""

from __future__ import annotations

from flask import Flask

from kb import config as settings
from kb.api import (
    auth,
    cases,
    dashboard,
    entries,
    errors,
    feedback,
    flags,
    gaps,
    graph,
    handoffs,
    health,
    openapi,
    pages,
    processes,
    recommend,
    resources,
    search,
    stats,
    suggestions,
    topics,
)

SURFACES = (health, entries, topics, processes, search, graph, cases, recommend, feedback,
            handoffs, flags, suggestions, stats, gaps, dashboard, openapi, pages)  # fmt: skip


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides the resolved settings (tests pass a temp database)."""
    app = Flask(__name__)
    app.config["KB"] = settings.load(config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["KB"]["request_max_bytes"]
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.merge_slashes = False  # /api/v1//entries is a JSON 404, not an HTML redirect
    resources.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    for surface in SURFACES:
        app.register_blueprint(surface.bp)
    return app
