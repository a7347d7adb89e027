"""Search for agents and bots: GET with query parameters or POST with a JSON body."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, request

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import TOP_MAX, int_arg, json_body, text
from kb.api.resources import get_engine, get_store
from kb.api.schemas import NOT_FOUND, QUERY, TOP, B, I, N, S, arr, obj, q, ref
from kb.errors import InvalidParameter
from kb.serialise import emotion_json, result_json

bp = Blueprint("search", __name__, url_prefix="/api/v1")
_SHAPE = {
    "query": S,
    "normalised": S,
    "confident": B,
    "ambiguous": arr(S),
    "did_you_mean": arr(ref("Alternative")),
    "results": arr(ref("Hit")),
    "cases": arr(ref("CaseHit")),
    "suggest_floor": N,
    "suggested": arr(S),
    "emotion": obj({"label": S, "threat": B, "signals": arr(S)}),
}
# truncated_from: a cut paste only; narrowed_to: a message that only names a topic
RESULT = obj(_SHAPE | {"truncated_from": I, "narrowed_to": obj({"id": S, "name": S})},
             list(_SHAPE))  # fmt: skip


def _params() -> tuple[str, int, str | None, int | None]:
    """q, top, topic and the length q was cut from, from the query string (GET) or a JSON
    object (POST); `"truncate": true` searches a long paste's first query_max_chars."""
    limit = current_app.config["KB"]["query_max_chars"]
    cut_from = None
    if request.method == "POST":
        body = json_body('{"q": "..."}')
        if "q" not in body and "query" in body:
            body["q"] = body["query"]
        long = isinstance(body.get("q"), str) and len(body["q"]) > limit
        if body.get("truncate") is True and long:
            cut_from, body["q"] = len(body["q"]), body["q"][:limit]
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
    return q, top, topic, cut_from


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
            body=obj({"q": QUERY, "top": TOP, "topic": S, "truncate": B}, ["q"],
                     strict=False))  # fmt: skip
def search():
    """Rank entries for a customer message, each with why it matched and how sure the engine is;
    `suggested` are the entries recommend would offer as choices when none is confident
    (their confidences together reach `suggest_floor`); the sidebar folds the rest away. A
    message that only names a topic (我要退货) is searched within it (`narrowed_to`), and
    its first three are the scenarios recommend would offer to choose from;
    `emotion` is how the customer sounds (angry, a threat), as recommend would hear it."""
    from kb.recommend.emotion import detect
    from kb.recommend.policy import SUGGEST_MAX, suggestions
    from kb.recommend.recommend import emotion_vector, narrowed

    q, top, topic, cut_from = _params()
    store, engine = get_store(), get_engine()
    result = engine.search(q, top=top, topic=store.topic_subtree(topic) if topic else None)
    floor = current_app.config["KB"]["suggest_floor"]
    offered = suggestions(result.hits, floor)
    within = narrowed(engine, store, q, result, top) if topic is None else None
    if within:
        # choices, not an answer: confident or not inside the topic, recommend offers a list
        result = replace(within[1], confident=False)
        offered = result.hits[:SUGGEST_MAX]
    out = result_json(result)
    out["suggest_floor"] = floor
    out["suggested"] = [h.entry.id for h in offered]
    if within:
        out["narrowed_to"] = {"id": within[0].id, "name": within[0].name}
    # what recommend would hear, for the agent (25 µs: the query vector is cached by now)
    out["emotion"] = emotion_json(detect(q, vector=emotion_vector(engine, q)))
    if cut_from is not None:
        out["truncated_from"] = cut_from
    return out
