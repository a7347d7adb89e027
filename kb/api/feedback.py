"""Outcomes reported by bots and agents: one at a time, or in batches for high volume."""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import requires
from kb.api.db import get_store
from kb.api.params import choice, json_body, text
from kb.authoring.monitor import Rules, report, report_agent_use
from kb.errors import InvalidParameter, KbError
from kb.model import OUTCOMES, Outcome

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")
REPLY_MAX = 4000  # a human's answer, kept as evidence for the editor


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
        if getattr(exc, "index", None) is not None:
            exc.field = f"items[{exc.index}].{exc.field}"
        raise
    new = sum(recorded)
    return {"received": len(outcomes), "recorded": new, "duplicates": len(outcomes) - new}


@bp.post("/feedback/agent")
@requires("feedback")
def agent_feedback():
    """From the sidebar: this entry's template resolved the chat, or the agent had to write
    their own answer (takeover)."""
    body = json_body('{"query": "...", "entry_id": "...", "outcome": "resolved"}')
    query = text(body, "query", current_app.config["KB"]["query_max_chars"], required=True)
    entry_id = text(body, "entry_id", 200, required=True)
    outcome = choice(body, "outcome", ("resolved", "takeover"))
    entry = get_store().live_entry(entry_id) if entry_id in get_store().ids("entries") else None
    if entry is None:
        raise InvalidParameter(f"no live entry with id {entry_id!r}", "entry_id")
    rec = report_agent_use(get_store(), query, entry, outcome, _rules(),
                           text(body, "agent_reply", REPLY_MAX))  # fmt: skip
    return {"recommendation_id": rec.id, "outcome": outcome, "entry_id": entry.id,
            "version": entry.version}  # fmt: skip
