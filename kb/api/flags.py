"""Flags for rewrite: the entries failing customers, with their evidence."""

from __future__ import annotations

from flask import Blueprint, request

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import monitor_rules
from kb.api.resources import get_store
from kb.api.schemas import DAYS, NS, STATS, I, N, S, arr, enum, nullable, obj, q
from kb.api.suggestions import SUGGESTION
from kb.authoring.monitor import flag_reports
from kb.errors import InvalidParameter
from kb.serialise import flag_json

bp = Blueprint("flags", __name__, url_prefix="/api/v1")
FLAG_STATUSES = ("open", "rewritten", "all")
EVIDENCE = obj({"recommendation_id": S, "at": S, "query": S, "session_id": NS,
                "agent_reply": NS, "used_entry_id": NS})  # fmt: skip
FLAG = obj({"id": I, "entry_id": S, "title": S, "topic": S, "version": I, "status": S,
            "opened_at": S, "closed_at": NS, "window": STATS, "before": STATS,
            "after": nullable(STATS), "evidence": arr(EVIDENCE),
            "takeovers_from_sidebar": I, "suggestions": arr(SUGGESTION)})  # fmt: skip


@bp.get("/flags")
@requires("flags")
@documented(
    "Entries flagged for rewrite",
    obj({"threshold": N, "min_sample": I, "window_days": I, "flags": arr(FLAG)}),
    params=[q("status", enum(FLAG_STATUSES)), DAYS],
)
def flags():
    """Entries flagged for rewrite (`status=open|rewritten|all`), most failed customers first."""
    status = request.args.get("status", "open")
    if status not in FLAG_STATUSES:
        raise InvalidParameter(
            f"status must be one of {', '.join(FLAG_STATUSES)}; got {status!r}", "status"
        )
    rules = monitor_rules()
    reports = flag_reports(get_store(), rules, None if status == "all" else status)
    return {
        "threshold": rules.threshold,
        "min_sample": rules.min_sample,
        "window_days": rules.days,
        "flags": [flag_json(r) for r in reports],
    }
