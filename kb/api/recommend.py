"""Recommend for chatbots: answer, suggest or hand off, with the reason; stored for feedback."""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import requires
from kb.api.handoffs import queue_names
from kb.api.openapi import documented
from kb.api.params import json_body, nested, text
from kb.api.resources import get_engine, get_store
from kb.api.schemas import NS, QUERY, B, S, arr, enum, obj, ref
from kb.model import DECISIONS, EMOTIONS, FACTS, URGENCIES
from kb.serialise import recommended_json

bp = Blueprint("recommend", __name__, url_prefix="/api/v1")
ID_MAX = 128  # session ids and channel names are the caller's; keep them bounded


@bp.post("/recommend")
@requires("recommend")
@documented(
    "Answer, suggest, ask for facts, or hand off with a ticket (bots). An `ask` carries "
    "`question` and `missing` (facts a human will need; at most two asks per session_id, "
    "never for an angry or threatening customer); a `handoff` carries `handoff`, the ticket: "
    "queue, priority P1-P3 (urgency x customer.tier), due (the queue's SLA), summary, facts "
    "(masked), emotion, transcript, suggested_entry, soothing_script",
    obj(
        {
            "recommendation_id": S,
            "decision": enum(DECISIONS),
            "reason": S,
            "reason_text": S,
            "urgency": enum(URGENCIES),
            "emotion": obj({"label": enum(EMOTIONS), "threat": B, "signals": arr(S)}),
            "soothing_script": S,
            "confident": B,
            "entries": arr(ref("Hit")),
            "did_you_mean": arr(ref("Alternative")),
            "cases": arr(ref("CaseHit")),
            "question": S,
            "missing": arr(enum(FACTS)),
            "handoff": ref("Ticket"),
        },
        required=["recommendation_id", "decision", "reason", "reason_text", "urgency", "emotion",
                  "soothing_script", "confident", "entries", "did_you_mean", "cases"],
    ),
    body=obj(
        {
            "query": QUERY,
            "session_id": NS,
            "channel": NS,
            "customer": {"type": ["object", "null"]},
            "order": {"type": ["object", "null"]},
        },
        ["query"],
        strict=False,
    ),
)
def recommend():
    """Decide for one customer message; the answer carries the id to report the outcome with."""
    from kb.recommend.policy import Policy
    from kb.recommend.recommend import Request, recommend

    body = json_body('{"query": "...", "session_id": "..."}')
    customer, order = nested(body, "customer"), nested(body, "order")
    request = Request(
        query=text(body, "query", current_app.config["KB"]["query_max_chars"], required=True),
        session_id=text(body, "session_id", ID_MAX),
        channel=text(body, "channel", ID_MAX),
        tier=text(customer, "tier", ID_MAX, where="customer."),
        order=order,
    )
    policy = Policy.from_settings(current_app.config["KB"])
    made = recommend(get_engine(), get_store(), request, policy=policy)
    return recommended_json(made, queue_names() if made.ticket else None)
