"""The graph surface: an entry's neighbourhood and the KB lint report."""

from __future__ import annotations

from flask import Blueprint, request

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import choice, int_arg
from kb.api.resources import get_engine, get_store
from kb.api.schemas import ANY, NOT_FOUND, I, S, arr, enum, int_range, obj, q
from kb.graph import LINT_CODES
from kb.graph.lint import check
from kb.serialise import lint_json, neighbourhood_json

bp = Blueprint("graph", __name__, url_prefix="/api/v1")


@bp.get("/entries/<entry_id>/graph")
@requires("read")
@documented(
    "The entry's neighbourhood",
    obj({"entry": S, "depth": I,
         "nodes": arr(obj({"id": S, "kind": S, "label": S})),
         "links": arr(obj({"source": S, "target": S, "rel": S}))}),
    params=[q("depth", int_range(1, 2))],
    errors=NOT_FOUND,
)  # fmt: skip
def entry_graph(entry_id: str):
    """Nodes and links within `depth` (1 or 2) of an entry, ready for a force-directed drawing."""
    depth = int_arg("depth", 1, 1, 2)
    engine = get_engine()
    engine.refresh()
    get_store().get_entry(entry_id)  # 404 for an unknown id
    with engine.lock:
        sub = engine.graph.neighbourhood(entry_id, depth)
    return neighbourhood_json(entry_id, depth, sub)


@bp.get("/graph/check")
@requires("flags")
@documented("The KB lint report", ANY, params=[q("code", enum(LINT_CODES))])
def graph_check():
    """The lint report of `kb graph check`: errors (dangling references) and warnings, or
    only those of one `code`, with the titles of the live entries they name (a page lists
    a knowledge base's 13 lexicon conflicts without its 4,570 warnings or entries)."""
    code = choice(request.args, "code", LINT_CODES) if "code" in request.args else None
    engine = get_engine()
    engine.refresh()
    with engine.lock:
        findings = [f for f in check(engine.graph) if code in (None, f.code)]
        return lint_json(findings, engine.entries)
