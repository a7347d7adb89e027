"""The graph surface: an entry's neighbourhood, its similar cases, and the KB lint report."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import requires
from kb.api.db import get_store
from kb.api.params import int_arg
from kb.api.search import case_json, get_engine
from kb.errors import InvalidParameter

bp = Blueprint("graph", __name__, url_prefix="/api/v1")


@bp.get("/entries/<entry_id>/graph")
@requires("read")
def entry_graph(entry_id: str):
    """Nodes and links within `depth` (1 or 2) of an entry, ready for a force-directed drawing."""
    depth = int_arg("depth", 1, 1, 2)
    engine = get_engine()
    engine.refresh()
    get_store().get_entry(entry_id)  # 404 for an unknown id
    with engine.lock:
        sub = engine.graph.neighbourhood(entry_id, depth)
    return {
        "entry": entry_id,
        "depth": depth,
        "nodes": [{"id": n, "kind": d.get("kind", "missing"), "label": d.get("label", n)}
                  for n, d in sub.nodes(data=True)],
        "links": [{"source": u, "target": v, "rel": d["rel"]} for u, v, d in sub.edges(data=True)],
    }  # fmt: skip


@bp.get("/entries/<entry_id>/cases")
@requires("read")
def entry_cases(entry_id: str):
    """Past cases worth reading for an entry; with `q`, ranked against that customer message."""
    q = request.args.get("q")
    limit = current_app.config["KB"]["query_max_chars"]
    if q is not None and len(q) > limit:
        raise InvalidParameter(f"q is {len(q)} characters; the limit is {limit}", "q")
    top = int_arg("top", 5, 1, 50)
    hits = get_engine().cases_for_entry(entry_id, q, top)
    return {"entry": entry_id, "query": q, "cases": [case_json(h) for h in hits]}


@bp.get("/graph/check")
@requires("flags")
def graph_check():
    """The lint report of `kb graph check`: errors (dangling references) and warnings."""
    from kb.graph.lint import check

    engine = get_engine()
    engine.refresh()
    with engine.lock:
        findings = check(engine.graph)
    errors = sum(f.level == "error" for f in findings)
    return {
        "errors": errors,
        "warnings": len(findings) - errors,
        "findings": [vars(f) for f in findings],
    }


@bp.put("/cases/<case_id>")
@requires("edit")
def put_case(case_id: str):
    """Add or change a past case: what the customer said, what was done, for which entries."""
    from kb.api.params import choice, json_body, text
    from kb.model import CASE_OUTCOMES, Case

    body = json_body(
        '{"entries": ["..."], "customer": "...", "action": "...", "outcome": "resolved"}'
    )
    entries = body.get("entries")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
        raise InvalidParameter("entries must list the ids of the entries this case belongs to",
                               "entries")  # fmt: skip
    store = get_store()
    for i, entry_id in enumerate(entries):
        if entry_id not in store.ids("entries"):
            raise InvalidParameter(f"no entry with id {entry_id!r}", f"entries[{i}]")
    case = Case(
        id=case_id,
        entries=entries,
        customer=text(body, "customer", 2000, required=True),
        action=text(body, "action", 4000, required=True),
        outcome=choice(body, "outcome", CASE_OUTCOMES) if "outcome" in body else "resolved",
        date=text(body, "date", 10),
    )
    store.upsert_case(case)
    return {"case": vars(case)}
