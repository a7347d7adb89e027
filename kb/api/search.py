"""Search for agents and bots: GET with query parameters or POST with a JSON body."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, current_app, request

from kb.api.auth import requires
from kb.api.db import get_store
from kb.api.params import int_arg, json_body, text
from kb.errors import InvalidParameter

if TYPE_CHECKING:  # the engine pulls in jieba, FAISS and the model: load it on first use
    from kb.search.cases import CaseHit
    from kb.search.engine import Hit, SearchResult

bp = Blueprint("search", __name__, url_prefix="/api/v1")
_engine_lock = threading.Lock()
TOP_MAX = 50


def get_engine(app: Flask | None = None):
    """The app's one engine, built on first use (or at start-up by `kb serve`)."""
    app = app or current_app._get_current_object()
    with _engine_lock:
        if "kb.engine" not in app.extensions:
            from kb.search import open_engine

            app.extensions["kb.engine"] = open_engine(app.config["KB"])
        return app.extensions["kb.engine"]


def hit_json(hit: Hit) -> dict:
    e = hit.entry
    return {
        "id": e.id,
        "title": e.title,
        "topic": e.topic,
        "solution": e.solution,
        "urgency": e.urgency,
        "handoff": e.handoff,
        "version": e.version,
        "score": round(hit.score, 6),
        "confidence": round(hit.confidence, 4),
        "matched": {"keywords": hit.keywords, "terms": hit.terms, "phrasing": hit.phrasing},
        "ranks": hit.ranks,
        "scores": {k: round(v, 4) for k, v in hit.scores.items()},
    }


def case_json(hit: CaseHit) -> dict:
    c = hit.case
    return {
        "id": c.id,
        "customer": c.customer,
        "action": c.action,
        "outcome": c.outcome,
        "date": c.date,
        "entries": c.entries,
        "score": round(hit.score, 4),
        "via": hit.entry_id,
        "why": hit.why,
    }


def result_json(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "normalised": result.normalised,
        "confident": result.confident,
        "ambiguous": result.ambiguous,
        "did_you_mean": [vars(a) for a in result.alternatives],
        "results": [hit_json(h) for h in result.hits],
        "cases": [case_json(h) for h in result.cases],
    }


def _params() -> tuple[str, int, str | None]:
    """q, top and topic from the query string (GET) or a JSON object (POST)."""
    limit = current_app.config["KB"]["query_max_chars"]
    if request.method == "POST":
        body = json_body('{"q": "..."}')
        if "q" not in body and "query" in body:
            body["q"] = body["query"]
        top = body.get("top", 5)
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= TOP_MAX:
            raise InvalidParameter(
                f"top must be an integer from 1 to {TOP_MAX}, got {top!r}", "top"
            )
        topic = text(body, "topic", 200)
    else:
        body = {"q": request.args.get("q")}
        top, topic = int_arg("top", 5, 1, TOP_MAX), request.args.get("topic")
    q = text(body, "q", limit, required=True)
    return q, top, topic


@bp.route("/search", methods=["GET", "POST"])
@requires("search")
def search():
    """Rank entries for a customer message, each with why it matched and how sure the engine is."""
    q, top, topic = _params()
    topics = get_store().topic_subtree(topic) if topic else None
    return result_json(get_engine().search(q, top=top, topic=topics))
