"""Outcomes reported by bots and agents: one at a time, or in batches for high volume."""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import caller, requires
from kb.api.openapi import documented
from kb.api.params import choice, json_body, text
from kb.api.resources import get_store
from kb.api.schemas import EDIT, ID, NOT_FOUND, NS, QUERY, B, I, S, Setting, arr, enum, obj
from kb.authoring.monitor import Rules, report, report_agent_use
from kb.errors import InvalidParameter, KbError
from kb.model import OUTCOMES, Outcome

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")
REPLY_MAX = 4000  # a human's answer, kept as evidence for the editor
OUTCOME_IN = obj(
    {
        "recommendation_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "outcome": enum(OUTCOMES),
        "agent_reply": NS,
        "used_entry_id": NS,
    },
    ["recommendation_id", "outcome"],
    strict=False,
)


def _outcome(item: dict, where: str = "") -> Outcome:
    return Outcome(
        recommendation_id=text(item, "recommendation_id", 64, required=True, where=where),
        outcome=choice(item, "outcome", OUTCOMES, where=where),
        agent_reply=text(item, "agent_reply", REPLY_MAX, where=where),
        used_entry_id=text(item, "used_entry_id", 200, where=where),
    )


def _rules() -> Rules:
    return Rules.from_settings(current_app.config["KB"])


@bp.post("/feedback")
@requires("feedback")
@documented("Report one outcome (idempotent)",
            obj({"recommendation_id": S, "outcome": enum(OUTCOMES), "recorded": B}),
            body=OUTCOME_IN, errors=EDIT)  # fmt: skip
def feedback():
    """Report what happened after one recommendation; repeating the same report is harmless."""
    outcome = _outcome(json_body('{"recommendation_id": "...", "outcome": "resolved"}'))
    (recorded,) = report(get_store(), [outcome], _rules())
    return {
        "recommendation_id": outcome.recommendation_id,
        "outcome": outcome.outcome,
        "recorded": recorded,
    }


@bp.post("/feedback/batch")
@requires("feedback")
@documented(
    "Report up to {feedback_batch_max} outcomes, all or none",
    obj({"received": I, "recorded": I, "duplicates": I}),
    body=obj({"items": arr(OUTCOME_IN, minItems=1, maxItems=Setting("feedback_batch_max"))},
             strict=False),
    errors=EDIT,
)  # fmt: skip
def feedback_batch():
    """Many outcomes in one transaction: all are recorded, or none (the error names the item)."""
    body = json_body('{"items": [{"recommendation_id": "...", "outcome": "takeover"}]}')
    items = body.get("items")
    limit = current_app.config["KB"]["feedback_batch_max"]
    if not isinstance(items, list) or not items:
        raise InvalidParameter("items must be a non-empty list of outcomes", "items")
    if len(items) > limit:
        raise InvalidParameter(f"items holds {len(items)} outcomes; the limit is {limit}", "items")
    outcomes = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidParameter(f"items[{i}] must be a JSON object", f"items[{i}]")
        outcomes.append(_outcome(item, where=f"items[{i}]."))
    try:
        recorded = report(get_store(), outcomes, _rules())
    except KbError as exc:
        if exc.index is not None:
            exc.field = f"items[{exc.index}].{exc.field}"
        raise
    new = sum(recorded)
    return {"received": len(outcomes), "recorded": new, "duplicates": len(outcomes) - new}


@bp.post("/feedback/agent")
@requires("sidebar")
@documented(
    "An agent's verdict on a template (sidebar; agents, not bots)",
    obj({"recommendation_id": S, "outcome": S, "entry_id": S, "version": I, "recorded": B}),
    body=obj({"query": QUERY, "entry_id": ID, "outcome": enum(["resolved", "takeover"]),
              "agent_reply": NS, "used_entry_id": NS}, ["query", "entry_id", "outcome"],
             strict=False),
    errors=NOT_FOUND,
)  # fmt: skip
def agent_feedback():
    """From the sidebar: this entry's template resolved the chat, or it did not fit and the
    agent answered (takeover), naming in `used_entry_id` the entry that did fit, if any:
    that message becomes a suggested phrasing of it. An entry with no live version is a 404.
    An agent's verdict on one message and entry counts once: a repeat is `recorded: false`,
    the first kept."""
    body = json_body('{"query": "...", "entry_id": "...", "outcome": "resolved"}')
    query = text(body, "query", current_app.config["KB"]["query_max_chars"], required=True)
    entry_id = text(body, "entry_id", 200, required=True)
    outcome = choice(body, "outcome", ("resolved", "takeover"))
    rec, recorded = report_agent_use(get_store(), caller().name, query, entry_id, outcome,
                                     _rules(), text(body, "agent_reply", REPLY_MAX),
                                     text(body, "used_entry_id", 200))  # fmt: skip
    return {"recommendation_id": rec.id, "outcome": rec.outcome or outcome,
            "entry_id": rec.entry_id, "version": rec.entry_version,
            "recorded": recorded}  # fmt: skip
