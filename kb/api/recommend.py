"""Recommend for chatbots: answer, suggest or hand off, with the reason; stored for feedback."""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import requires
from kb.api.db import get_store
from kb.api.params import json_body, obj, text
from kb.api.search import case_json, get_engine, hit_json

bp = Blueprint("recommend", __name__, url_prefix="/api/v1")
ID_MAX = 128  # session ids and channel names are the caller's; keep them bounded


@bp.post("/recommend")
@requires("recommend")
def recommend():
    """Decide for one customer message; the answer carries the id to report the outcome with."""
    from kb.recommend.policy import Policy
    from kb.recommend.recommend import Request, recommend

    body = json_body('{"query": "...", "session_id": "..."}')
    customer, order = obj(body, "customer"), obj(body, "order")
    request = Request(
        query=text(body, "query", current_app.config["KB"]["query_max_chars"], required=True),
        session_id=text(body, "session_id", ID_MAX),
        channel=text(body, "channel", ID_MAX),
        tier=text(customer, "tier", ID_MAX, where="customer."),
        order=order,
    )
    policy = Policy.from_settings(current_app.config["KB"])
    made = recommend(get_engine(), get_store(), request, policy=policy)
    return {
        "recommendation_id": made.record.id,
        "decision": made.decision.decision,
        "reason": made.decision.reason,
        "reason_text": made.reason_text,
        "urgency": made.decision.urgency,
        "emotion": {
            "label": made.emotion.label,
            "threat": made.emotion.threat,
            "signals": made.emotion.signals,
        },
        "soothing_script": made.soothing,
        "confident": made.result.confident,
        "entries": [hit_json(h) for h in made.decision.offered],
        "did_you_mean": [vars(a) for a in made.result.alternatives],
        "cases": [case_json(c) for c in made.result.cases],
    }
