"""The scenario tree, for pickers."""

from __future__ import annotations

from flask import Blueprint

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.resources import get_store
from kb.api.schemas import NS, S, arr, obj

bp = Blueprint("topics", __name__, url_prefix="/api/v1")


@bp.get("/topics")
@requires("read")
@documented(
    "The scenario tree",
    obj({"topics": arr(obj({"id": S, "name": S, "parent": NS, "description": S}))}),
)
def topics():
    """The scenario tree, for pickers."""
    return {"topics": [vars(t) for t in get_store().topics()]}
