"""Search for agents and bots: GET with query parameters or POST with a JSON body."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import TOP_MAX, int_arg, json_body, text
from kb.api.resources import get_engine, get_store
from kb.api.schemas import NOT_FOUND, QUERY, TOP, B, S, arr, obj, q, ref
from kb.errors import InvalidParameter
from kb.serialise import result_json

bp = Blueprint("search", __name__, url_prefix="/api/v1")
RESULT = obj(
    {
        "query": S,
        "normalised": S,
        "confident": B,
        "ambiguous": arr(S),
        "did_you_mean": arr(ref("Alternative")),
        "results": arr(ref("Hit")),
        "cases": arr(ref("CaseHit")),
    }
)


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
@documented(
    "Hybrid search",
    RESULT,
    method="get",
    errors=NOT_FOUND,
    params=[q("q", QUERY, True), q("top", TOP), q("topic", S)],
)
@documented("Hybrid search (JSON body)", RESULT, method="post", errors=NOT_FOUND,
            body=obj({"q": QUERY, "top": TOP, "topic": S}, ["q"], strict=False))  # fmt: skip
def search():
    """Rank entries for a customer message, each with why it matched and how sure the engine is."""
    q, top, topic = _params()
    topics = get_store().topic_subtree(topic) if topic else None
    return result_json(get_engine().search(q, top=top, topic=topics))
