"""Liveness and readiness: the one route that needs no key."""

from flask import Blueprint

from kb import __version__
from kb.api.auth import PUBLIC, requires
from kb.api.openapi import documented
from kb.api.resources import engine_if_built, get_store
from kb.api.schemas import I, S, obj
from kb.search.calibrate import stored

bp = Blueprint("health", __name__, url_prefix="/api/v1")


@bp.get("/health")
@requires(PUBLIC)
@documented(
    "Service status (no key needed)",
    obj(
        {
            "status": S,
            "version": S,
            "schema_version": I,
            "entries": I,
            "calibration": {"type": ["object", "null"]},
            # how the search index came to be: loaded from the index cache, or built and why
            "index": {"type": ["string", "null"]},
        }
    ),
    errors=(),
)
def health():
    """Is the service up, can it read its database, and when did search calibrate itself?"""
    store = get_store()
    return {
        "status": "ok",
        "version": __version__,
        "schema_version": store.schema_version,
        "entries": store.count_entries(live_only=True),
        "calibration": fit.summary() if (fit := stored(store)) else None,
        "index": engine.start if (engine := engine_if_built()) else None,
    }
