"""The Flask app factory: one blueprint per surface, JSON errors everywhere under /api."""

from __future__ import annotations

from flask import Flask

from kb import config as settings
from kb.api import (
    auth,
    db,
    entries,
    errors,
    feedback,
    flags,
    graph,
    health,
    openapi,
    pages,
    recommend,
    search,
)


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides the resolved settings (tests pass a temp database)."""
    app = Flask(__name__)
    app.config["KB"] = settings.load(config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["KB"]["request_max_bytes"]
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(entries.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(graph.bp)
    app.register_blueprint(recommend.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(flags.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    return app
