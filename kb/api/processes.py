"""The processes entries follow (售后质检流程, 平台介入流程), for pickers."""

from __future__ import annotations

from flask import Blueprint

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.resources import get_store
from kb.api.schemas import S, arr, obj

bp = Blueprint("processes", __name__, url_prefix="/api/v1")


@bp.get("/processes")
@requires("read")
@documented(
    "The processes",
    obj({"processes": arr(obj({"id": S, "name": S, "steps": arr(S), "description": S}))}),
)
def processes():
    return {"processes": [vars(p) for p in get_store().processes()]}
