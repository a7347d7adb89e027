"""Content gaps: messages the knowledge base could not answer, grouped by need."""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import int_arg, monitor_rules
from kb.api.resources import get_engine, get_store
from kb.api.schemas import (
    ANY,
    DAYS,
    NOT_FOUND,
    PAGE,
    WINDOW,
    I,
    N,
    S,
    arr,
    int_range,
    nullable,
    obj,
    q,
)
from kb.authoring.gaps import draft, find_gaps
from kb.errors import GapNotFound
from kb.serialise import gap_json

bp = Blueprint("gaps", __name__, url_prefix="/api/v1")
GAP = obj({"id": S, "label": S, "count": I, "examples": arr(S), "first_seen": S,
           "last_seen": S, "nearest": nullable(obj({"entry_id": S, "confidence": N}))})  # fmt: skip


@bp.get("/gaps")
@requires("flags")
@documented(
    "Unanswered messages grouped by need",
    obj({"window": WINDOW, "total": I, "gaps": arr(GAP)}),
    params=[DAYS, q("min_count", int_range(1)), q("limit", PAGE)],
)
def gaps():
    """Messages the knowledge base could not answer, grouped by need, biggest group first."""
    rules = monitor_rules()
    min_count = int_arg("min_count", 2, 1, 10**6)
    limit = int_arg("limit", 50, 1, current_app.config["KB"]["page_size_max"])
    found = find_gaps(get_store(), get_engine(), rules.since(), min_count=min_count)
    return {
        "window": {"days": rules.days, "since": rules.since()},
        "total": len(found),
        "gaps": [gap_json(g) for g in found[:limit]],
    }


@bp.get("/gaps/<gap_id>/draft")
@requires("flags")
@documented(
    "A new entry prefilled from a gap, for an editor to complete and publish",
    obj({"gap": GAP, "draft": obj({"id": S, "topic": S, "title": S, "questions": arr(S),
                                   "keywords": ANY, "solution": S, "urgency": S,
                                   "status": S})}),
    params=[DAYS],
    errors=NOT_FOUND,
)  # fmt: skip
def gap_draft(gap_id: str):
    """The gap's messages (masked) as phrasings, its distinctive words as keywords, the
    nearest entry's topic; the editor writes the solution. 404 once the gap is closed."""
    rules = monitor_rules()
    store, engine = get_store(), get_engine()
    found = next((g for g in find_gaps(store, engine, rules.since(), 1) if g.id == gap_id), None)
    if found is None:
        raise GapNotFound(gap_id, rules.days)
    return {"gap": gap_json(found), "draft": draft(store, engine, found)}
