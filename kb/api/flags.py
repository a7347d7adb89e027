"""What editors read: flags for rewrite with their evidence, per-version stats, content gaps."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import requires
from kb.api.db import get_store
from kb.api.params import int_arg
from kb.api.search import get_engine
from kb.authoring.gaps import find_gaps
from kb.authoring.monitor import Rules, flag_reports, wilson
from kb.errors import InvalidParameter
from kb.model import VersionStats

bp = Blueprint("flags", __name__, url_prefix="/api/v1")
FLAG_STATUSES = ("open", "rewritten", "all")


def _rules() -> Rules:
    rules = Rules.from_settings(current_app.config["KB"])
    rules.days = int_arg("days", rules.days, 1, 366)
    return rules


def stats_json(s: VersionStats | None) -> dict | None:
    if s is None:
        return None
    low, high = wilson(s.takeovers, s.served)
    return {
        "version": s.version,
        "served": s.served,
        "takeovers": s.takeovers,
        "resolved": s.resolved,
        "abandoned": s.abandoned,
        "rate": round(s.rate, 4) if s.rate is not None else None,
        "ci95": [round(low, 4), round(high, 4)],
    }


@bp.get("/flags")
@requires("flags")
def flags():
    """Entries flagged for rewrite (`status=open|rewritten|all`), most failed customers first."""
    status = request.args.get("status", "open")
    if status not in FLAG_STATUSES:
        raise InvalidParameter(
            f"status must be one of {', '.join(FLAG_STATUSES)}; got {status!r}", "status"
        )
    rules = _rules()
    reports = flag_reports(get_store(), rules, None if status == "all" else status)
    return {
        "threshold": rules.threshold,
        "min_sample": rules.min_sample,
        "window_days": rules.days,
        "flags": [
            {
                "id": r.flag.id,
                "entry_id": r.flag.entry_id,
                "title": r.title,
                "topic": r.topic,
                "version": r.flag.version,
                "status": r.flag.status,
                "opened_at": r.flag.opened_at,
                "closed_at": r.flag.closed_at,
                "window": stats_json(r.window),
                "before": stats_json(r.before),
                "after": stats_json(r.after),
                "evidence": [
                    {
                        "recommendation_id": e.id,
                        "at": e.created_at,
                        "query": e.query,
                        "session_id": e.session_id,
                        "agent_reply": e.agent_reply,
                        "used_entry_id": e.used_entry_id,
                    }
                    for e in r.evidence
                ],
            }
            for r in reports
        ],
    }


@bp.get("/entries/<entry_id>/stats")
@requires("flags")
def entry_stats(entry_id: str):
    """Per version and per day over the window: served, takeovers, rate; when each was saved."""
    store = get_store()
    rules = _rules()
    entry = store.get_entry(entry_id)
    live = store.live_entry(entry_id)
    since = rules.since()
    open_flags = {f.version for f in store.flags("open", entry_id)}
    saved = store.version_times(entry_id)
    return {
        "entry_id": entry.id,
        "live_version": live.version if live else None,
        "window": {"days": rules.days, "since": since},
        "threshold": rules.threshold,
        "min_sample": rules.min_sample,
        "versions": [
            stats_json(s) | {"saved_at": saved.get(s.version), "flagged": s.version in open_flags}
            for s in store.version_stats(since, [entry_id])
        ],
        "days": [
            row | {"rate": round(row["takeovers"] / row["served"], 4) if row["served"] else None}
            for row in store.daily_stats(entry_id, since)
        ],
        "saved": [{"version": v, "at": at} for v, at in sorted(saved.items())],
    }


@bp.get("/gaps")
@requires("flags")
def gaps():
    """Messages the knowledge base could not answer, grouped by need, biggest group first."""
    rules = _rules()
    found = find_gaps(
        get_store(), get_engine(), rules.since(), min_count=int_arg("min_count", 2, 1, 10**6)
    )
    limit = int_arg("limit", 50, 1, current_app.config["KB"]["page_size_max"])
    return {
        "window": {"days": rules.days, "since": rules.since()},
        "total": len(found),
        "gaps": [
            {
                "id": g.id,
                "label": g.label,
                "count": g.count,
                "examples": g.examples,
                "first_seen": g.first_seen,
                "last_seen": g.last_seen,
                "nearest": (
                    {"entry_id": g.nearest[0], "confidence": g.nearest[1]} if g.nearest else None
                ),
            }
            for g in found[:limit]
        ],
    }


@bp.get("/dashboard")
@requires("flags")
def dashboard():
    """Takeover rate overall and by topic per day, the most asked scenarios, open flags."""
    store = get_store()
    rules = _rules()
    since = rules.since()
    days = store.daily_totals(since)
    return {
        "window": {"days": rules.days, "since": since},
        "threshold": rules.threshold,
        "days": [
            d
            | {
                "rate": round(d["takeover"] / d["recommendations"], 4)
                if d["recommendations"]
                else None
            }
            for d in days
        ],
        "topics": [
            t | {"rate": round(t["takeovers"] / t["served"], 4) if t["served"] else None}
            for t in store.topic_daily(since)
        ],
        "top_entries": store.top_entries(since),
        "open_flags": len(store.flags("open")),
    }
