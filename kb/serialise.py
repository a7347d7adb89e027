"""Records to JSON: the one place the API's (and `kb search --json`'s) shapes are made.

Typed records inside, dicts only at the edge: each function takes a record and
returns a JSON-ready dict. Numbers are rounded here, for display, never before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kb.authoring.monitor import wilson

if TYPE_CHECKING:  # the engine pulls in jieba, FAISS and the model: never load it for a type
    import networkx as nx

    from kb.authoring.dashboard import Dashboard, EntryStats
    from kb.authoring.editing import Preview
    from kb.authoring.gaps import Gap
    from kb.authoring.monitor import FlagReport
    from kb.authoring.suggestions import Ranked
    from kb.model import (
        Case,
        Entry,
        EntryVersion,
        Recommendation,
        Suggestion,
        Ticket,
        VersionStats,
    )
    from kb.recommend.emotion import Emotion
    from kb.recommend.recommend import Recommended
    from kb.search.cases import CaseHit
    from kb.search.results import Hit, SearchResult


# --- entries -------------------------------------------------------------------


def entry_json(entry: Entry) -> dict:
    return entry.content() | {"version": entry.version}


def version_json(v: EntryVersion) -> dict:
    return {
        "version": v.version,
        "status": v.status,
        "author": v.author,
        "created_at": v.created_at,
        "changed": v.changed,
        "note": v.note,
    }


def case_json(case: Case) -> dict:
    return vars(case)


# --- search and recommend ------------------------------------------------------


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
        "contradicts": hit.contradicts,
        "ranks": hit.ranks,
        "scores": {k: round(v, 4) for k, v in hit.scores.items()},
    }


def case_hit_json(hit: CaseHit) -> dict:
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
        "cases": [case_hit_json(h) for h in result.cases],
    }


def preview_json(p: Preview) -> dict:
    return {
        "query": p.query,
        "rank": p.rank,
        "confident": p.confident,
        "results": [hit_json(h) | {"draft": h.entry.id == p.draft.id} for h in p.result.hits],
    }


def emotion_json(emotion: Emotion) -> dict:
    return {"label": emotion.label, "threat": emotion.threat, "signals": emotion.signals}


def recommended_json(made: Recommended, queue_names: dict[str, str] | None = None) -> dict:
    out = {
        "recommendation_id": made.record.id,
        "decision": made.decision.decision,
        "reason": made.decision.reason,
        "reason_text": made.reason_text,
        "urgency": made.decision.urgency,
        "emotion": emotion_json(made.emotion),
        "soothing_script": made.soothing,
        "confident": made.result.confident,
        "entries": [hit_json(h) for h in made.decision.offered],
        "did_you_mean": [vars(a) for a in made.result.alternatives],
        "cases": [case_hit_json(c) for c in made.result.cases],
    }
    if made.decision.decision == "ask":
        out |= {"question": made.decision.question, "missing": made.decision.missing}
    if made.ticket is not None:
        out["handoff"] = ticket_json(made.ticket, queue_names or {})
    return out


def ticket_json(t: Ticket, queue_names: dict[str, str]) -> dict:
    return {
        "id": t.id,
        "queue": t.queue,
        "queue_name": queue_names.get(t.queue, t.queue),
        "priority": t.priority,
        "created_at": t.created_at,
        "due": t.due,
        "summary": t.summary,
        "facts": t.facts,
        "emotion": t.emotion,
        "transcript": t.transcript,
        "suggested_entry": t.suggested,
        "soothing_script": t.soothing,
        "reason": t.reason,
        "tier": t.tier,
        "status": t.status,
        "taken_by": t.taken_by,
        "taken_at": t.taken_at,
        "closed_at": t.closed_at,
        "outcome": t.outcome,
        "agent_reply": t.agent_reply,
    }


# --- the graph -----------------------------------------------------------------


def neighbourhood_json(entry_id: str, depth: int, sub: nx.Graph) -> dict:
    return {
        "entry": entry_id,
        "depth": depth,
        "nodes": [{"id": n, "kind": d.get("kind", "missing"), "label": d.get("label", n)}
                  for n, d in sub.nodes(data=True)],
        "links": [{"source": u, "target": v, "rel": d["rel"]} for u, v, d in sub.edges(data=True)],
    }  # fmt: skip


def lint_json(findings: list, live: Mapping[str, Entry]) -> dict:
    """The report, with the title of each live entry its findings name."""
    errors = sum(f.level == "error" for f in findings)
    named = {n[6:] for f in findings for n in f.nodes if n.startswith("entry:")}
    return {
        "errors": errors,
        "warnings": len(findings) - errors,
        "findings": [vars(f) for f in findings],
        "titles": {i: live[i].title for i in sorted(named) if i in live},
    }


# --- the monitor ---------------------------------------------------------------


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


def evidence_json(e: Recommendation) -> dict:
    return {
        "recommendation_id": e.id,
        "at": e.created_at,
        "query": e.query,
        "session_id": e.session_id,
        "agent_reply": e.agent_reply,
        "used_entry_id": e.used_entry_id,
    }


def flag_json(r: FlagReport) -> dict:
    return {
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
        "evidence": [evidence_json(e) for e in r.evidence],
        "takeovers_from_sidebar": r.from_sidebar,
        "suggestions": [suggestion_json(s) for s in r.suggestions],
    }


def gap_json(g: Gap) -> dict:
    return {
        "id": g.id,
        "label": g.label,
        "count": g.count,
        "examples": g.examples,
        "first_seen": g.first_seen,
        "last_seen": g.last_seen,
        "nearest": {"entry_id": g.nearest[0], "confidence": g.nearest[1]} if g.nearest else None,
    }


def suggestion_json(s: Suggestion) -> dict:
    return {k: v for k, v in vars(s).items() if k != "key"}


def ranked_json(r: Ranked) -> dict:
    return suggestion_json(r.suggestion) | {"rank": r.rank}


def entry_stats_json(s: EntryStats) -> dict:
    return {
        "entry_id": s.entry_id,
        "live_version": s.live_version,
        "window": {"days": s.rules.days, "since": s.since},
        "threshold": s.rules.threshold,
        "min_sample": s.rules.min_sample,
        "versions": [stats_json(v.stats) | {"saved_at": v.saved_at, "flagged": v.flagged}
                     for v in s.versions],
        "days": s.days,
        "saved": [{"version": v, "at": at} for v, at in sorted(s.saved.items())],
    }  # fmt: skip


def dashboard_json(d: Dashboard) -> dict:
    return {
        "window": {"days": d.rules.days, "since": d.since},
        "threshold": d.rules.threshold,
        "days": d.days,
        "topics": d.topics,
        "top_entries": d.top_entries,
        "open_flags": d.open_flags,
        "queues": d.queues,
    }
