"""The OpenAPI 3 description of the JSON API, served at /api/v1/openapi.json.

Kept next to the code it describes and checked against it: tests/test_openapi.py
fails when a route is missing here or answers a shape this does not allow, and
schemathesis fuzzes every operation from it.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import PUBLIC, requires
from kb.model import DECISIONS, EMOTIONS, HANDOFFS, OUTCOMES, STATUSES, URGENCIES

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
N = {"type": "number"}
B = {"type": "boolean"}
NS = {"type": ["string", "null"]}
NI = {"type": ["integer", "null"]}
NN = {"type": ["number", "null"]}


def obj(props: dict, required: list[str] | None = None, strict: bool = True) -> dict:
    out = {"type": "object", "properties": props, "required": required or list(props)}
    if strict:
        out["additionalProperties"] = False
    return out


def arr(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


ID = {"type": "string", "minLength": 1, "maxLength": 200}
STATS = obj(
    {
        "version": I,
        "served": I,
        "takeovers": I,
        "resolved": I,
        "abandoned": I,
        "rate": NN,
        "ci95": arr(N, minItems=2, maxItems=2),
    }
)
ENTRY_FIELDS = {
    "id": ID,
    "topic": S,
    "title": S,
    "questions": arr(S),
    "keywords": {"type": "object", "additionalProperties": arr(S)},
    "solution": S,
    "urgency": enum(URGENCIES),
    "handoff": enum(HANDOFFS),
    "handoff_reason": S,
    "soothing": S,
    "processes": arr(S),
    "related": arr(S),
    "valid_from": NS,
    "valid_to": NS,
    "status": enum(STATUSES),
}
HIT = {
    "id": S,
    "title": S,
    "topic": S,
    "solution": S,
    "urgency": enum(URGENCIES),
    "handoff": enum(HANDOFFS),
    "version": I,
    "score": N,
    "confidence": N,
    "matched": obj({"keywords": arr(S), "terms": arr(S), "phrasing": S}),
    "ranks": {"type": "object", "additionalProperties": NI},
    "scores": {"type": "object", "additionalProperties": N},
}
SCHEMAS = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": S,
                    "message": S,
                    "field": NS,
                    "errors": arr(obj({"field": NS, "message": S})),
                },
                ["code", "message", "field"],
            ),
            "current": ref("Entry"),
            "theirs": arr(ref("Change")),
        },
        ["error"],
    ),
    "Entry": obj(ENTRY_FIELDS | {"version": I}),
    "EntryInput": obj(
        ENTRY_FIELDS,
        ["id", "topic", "title", "questions", "keywords", "solution", "urgency"],
        strict=False,
    ),
    "Change": obj(
        {
            "field": S,
            "old": {},
            "new": {},
            "lines": arr(
                obj({"op": enum(["equal", "delete", "insert", "replace"]), "old": NS, "new": NS})
            ),
        },
        ["field", "old", "new"],
    ),
    "Hit": obj(HIT),
    "PreviewHit": obj(HIT | {"draft": B}),
    "CaseHit": obj(
        {
            "id": S,
            "customer": S,
            "action": S,
            "outcome": S,
            "date": NS,
            "entries": arr(S),
            "score": N,
            "via": S,
            "why": arr(S),
        }
    ),
    "Alternative": obj({"entry_id": S, "title": S, "keyword": S, "top_keyword": S}),
    "Saved": obj({"entry": ref("Entry"), "saved": B}),
    "Case": obj({"id": S, "entries": arr(S), "customer": S, "action": S, "outcome": S, "date": NS}),
}
SEARCH = obj(
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
WINDOW = obj({"days": I, "since": S})
LIMITS = {"q": 500, "top": 50, "page": 200}


def op(
    summary: str,
    ok: dict | None,
    *,
    body: dict | None = None,
    params=(),
    status: int = 200,
    errors=(400, 401, 403),
    public: bool = False,
) -> dict:
    out: dict = {"summary": summary, "responses": {}}
    if ok is not None:
        out["responses"][str(status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": ok}},
        }
    for code in errors:
        out["responses"][str(code)] = {
            "description": "an error",
            "content": {"application/json": {"schema": ref("Error")}},
        }
    out["responses"]["413"] = {
        "description": "the body is over request_max_bytes",
        "content": {"application/json": {"schema": ref("Error")}},
    }
    if params:
        out["parameters"] = list(params)
    if body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    out["security"] = [] if public else [{"key": []}]
    return out


def q(name: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def p(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID}


E = p("entry_id")
NOT_FOUND = (400, 401, 403, 404)
EDIT = (400, 401, 403, 404, 409)
RANGE = {"type": "integer", "minimum": 1}
BASE = obj({"base_version": {"type": "integer", "minimum": 1}}, strict=False)


def spec(settings: dict) -> dict:
    """The whole description; limits come from the running settings."""
    qmax = settings["query_max_chars"]
    page = settings["page_size_max"]
    batch = settings["feedback_batch_max"]
    outcome_in = obj(
        {
            "recommendation_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "outcome": enum(OUTCOMES),
            "agent_reply": NS,
            "used_entry_id": NS,
        },
        ["recommendation_id", "outcome"],
        strict=False,
    )
    query = {"type": "string", "minLength": 1, "maxLength": qmax}
    flags = obj(
        {
            "threshold": N,
            "min_sample": I,
            "window_days": I,
            "flags": arr(
                obj(
                    {
                        "id": I,
                        "entry_id": S,
                        "title": S,
                        "topic": S,
                        "version": I,
                        "status": S,
                        "opened_at": S,
                        "closed_at": NS,
                        "window": STATS,
                        "before": STATS,
                        "after": {"anyOf": [STATS, {"type": "null"}]},
                        "evidence": arr(
                            obj(
                                {
                                    "recommendation_id": S,
                                    "at": S,
                                    "query": S,
                                    "session_id": NS,
                                    "agent_reply": NS,
                                    "used_entry_id": NS,
                                }
                            )
                        ),
                    }
                )
            ),
        }
    )
    paths = {
        "/api/v1/health": {
            "get": op(
                "Service status (no key needed)",
                obj({"status": S, "version": S, "schema_version": I, "entries": I}),
                errors=(),
                public=True,
            )
        },
        "/api/v1/openapi.json": {
            "get": op("This description", {"type": "object"}, errors=(), public=True)
        },
        "/api/v1/entries": {
            "get": op(
                "Live entries, paginated",
                obj({"entries": arr(ref("Entry")), "total": I, "limit": I, "offset": I}),
                params=[
                    q("topic", S),
                    q("limit", {"type": "integer", "minimum": 1, "maximum": page}),
                    q("offset", {"type": "integer", "minimum": 0}),
                ],
                errors=NOT_FOUND,
            ),
            "post": op(
                "Create an entry (editor)",
                ref("Saved"),
                body=ref("EntryInput"),
                status=201,
                errors=EDIT,
            ),
        },
        "/api/v1/entries/{entry_id}": {
            "get": op(
                "An entry with its versions",
                obj(
                    {
                        "entry": ref("Entry"),
                        "live_version": NI,
                        "versions": arr(
                            obj(
                                {
                                    "version": I,
                                    "status": S,
                                    "author": S,
                                    "created_at": S,
                                    "changed": arr(S),
                                    "note": S,
                                }
                            )
                        ),
                    }
                ),
                params=[E, q("version", RANGE)],
                errors=NOT_FOUND,
            ),
            "put": op(
                "Save an edit as a new version (editor); 409 on a conflict",
                ref("Saved"),
                params=[E],
                body={"allOf": [ref("EntryInput"), BASE]},
                errors=EDIT,
            ),
        },
        "/api/v1/entries/{entry_id}/rollback": {
            "post": op(
                "Bring back a version as a new version",
                ref("Saved"),
                params=[E],
                body=obj({"version": I, "base_version": I}, strict=False),
                errors=EDIT,
            )
        },
        "/api/v1/entries/{entry_id}/retire": {
            "post": op(
                "Retire (customers stop seeing it)",
                ref("Saved"),
                params=[E],
                body=BASE,
                errors=EDIT,
            )
        },
        "/api/v1/entries/{entry_id}/restore": {
            "post": op("Publish again", ref("Saved"), params=[E], body=BASE, errors=EDIT)
        },
        "/api/v1/entries/{entry_id}/diff": {
            "get": op(
                "Changes between two versions",
                obj({"entry_id": S, "from": I, "to": I, "changes": arr(ref("Change"))}),
                params=[E, q("from", RANGE), q("to", RANGE)],
                errors=NOT_FOUND,
            )
        },
        "/api/v1/entries/preview": {
            "post": op(
                "Rank a draft against the live entries (editor)",
                obj(
                    {
                        "query": S,
                        "rank": NI,
                        "confident": B,
                        "results": arr(ref("PreviewHit")),
                    }
                ),
                body=obj({"entry": ref("EntryInput"), "query": query}, strict=False),
            ),
        },
        "/api/v1/entries/{entry_id}/graph": {
            "get": op(
                "The entry's neighbourhood",
                obj(
                    {
                        "entry": S,
                        "depth": I,
                        "nodes": arr(obj({"id": S, "kind": S, "label": S})),
                        "links": arr(obj({"source": S, "target": S, "rel": S})),
                    }
                ),
                params=[E, q("depth", {"type": "integer", "minimum": 1, "maximum": 2})],
                errors=NOT_FOUND,
            )
        },
        "/api/v1/entries/{entry_id}/cases": {
            "get": op(
                "Cases worth reading for an entry",
                obj({"entry": S, "query": NS, "cases": arr(ref("CaseHit"))}),
                params=[
                    E,
                    q("q", {"type": "string", "maxLength": qmax}),
                    q("top", {"type": "integer", "minimum": 1, "maximum": 50}),
                ],
                errors=NOT_FOUND,
            )
        },
        "/api/v1/entries/{entry_id}/stats": {
            "get": op(
                "Served and takeovers per version and per day",
                obj(
                    {
                        "entry_id": S,
                        "live_version": NI,
                        "window": WINDOW,
                        "threshold": N,
                        "min_sample": I,
                        "versions": arr({"type": "object"}),
                        "days": arr({"type": "object"}),
                        "saved": arr(obj({"version": I, "at": S})),
                    }
                ),
                params=[E, q("days", {"type": "integer", "minimum": 1, "maximum": 366})],
                errors=NOT_FOUND,
            )
        },
        "/api/v1/graph/check": {"get": op("The KB lint report", {"type": "object"})},
        "/api/v1/search": {
            "get": op(
                "Hybrid search",
                SEARCH,
                params=[
                    q("q", query, True),
                    q("top", {"type": "integer", "minimum": 1, "maximum": 50}),
                    q("topic", S),
                ],
                errors=NOT_FOUND,
            ),
            "post": op(
                "Hybrid search (JSON body)",
                SEARCH,
                body=obj(
                    {
                        "q": query,
                        "top": {"type": "integer", "minimum": 1, "maximum": 50},
                        "topic": S,
                    },
                    ["q"],
                    strict=False,
                ),
                errors=NOT_FOUND,
            ),
        },
        "/api/v1/recommend": {
            "post": op(
                "Answer, suggest or hand off (bots)",
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
                    }
                ),
                body=obj(
                    {
                        "query": query,
                        "session_id": NS,
                        "channel": NS,
                        "customer": {"type": ["object", "null"]},
                        "order": {"type": ["object", "null"]},
                    },
                    ["query"],
                    strict=False,
                ),
            )
        },
        "/api/v1/feedback": {
            "post": op(
                "Report one outcome (idempotent)",
                obj({"recommendation_id": S, "outcome": enum(OUTCOMES), "recorded": B}),
                body=outcome_in,
                errors=EDIT,
            )
        },
        "/api/v1/feedback/batch": {
            "post": op(
                f"Report up to {batch} outcomes, all or none",
                obj({"received": I, "recorded": I, "duplicates": I}),
                body=obj({"items": arr(outcome_in, minItems=1, maxItems=batch)}, strict=False),
                errors=EDIT,
            )
        },
        "/api/v1/feedback/agent": {
            "post": op(
                "An agent's verdict on a template (sidebar)",
                obj({"recommendation_id": S, "outcome": S, "entry_id": S, "version": I}),
                body=obj(
                    {
                        "query": query,
                        "entry_id": ID,
                        "outcome": enum(["resolved", "takeover"]),
                        "agent_reply": NS,
                    },
                    ["query", "entry_id", "outcome"],
                    strict=False,
                ),
            )
        },
        "/api/v1/flags": {
            "get": op(
                "Entries flagged for rewrite",
                flags,
                params=[
                    q("status", enum(["open", "rewritten", "all"])),
                    q("days", {"type": "integer", "minimum": 1, "maximum": 366}),
                ],
            )
        },
        "/api/v1/gaps": {
            "get": op(
                "Unanswered messages grouped by need",
                obj(
                    {
                        "window": WINDOW,
                        "total": I,
                        "gaps": arr(
                            obj(
                                {
                                    "id": S,
                                    "label": S,
                                    "count": I,
                                    "examples": arr(S),
                                    "first_seen": S,
                                    "last_seen": S,
                                    "nearest": {
                                        "anyOf": [
                                            obj({"entry_id": S, "confidence": N}),
                                            {"type": "null"},
                                        ]
                                    },
                                }
                            )
                        ),
                    }
                ),
                params=[
                    q("days", {"type": "integer", "minimum": 1, "maximum": 366}),
                    q("min_count", {"type": "integer", "minimum": 1}),
                    q("limit", {"type": "integer", "minimum": 1, "maximum": page}),
                ],
            )
        },
        "/api/v1/dashboard": {
            "get": op(
                "Rates per day and topic, top scenarios",
                obj(
                    {
                        "window": WINDOW,
                        "threshold": N,
                        "days": arr({"type": "object"}),
                        "topics": arr({"type": "object"}),
                        "top_entries": arr({"type": "object"}),
                        "open_flags": I,
                    }
                ),
                params=[q("days", {"type": "integer", "minimum": 1, "maximum": 366})],
            )
        },
        "/api/v1/topics": {
            "get": op(
                "The scenario tree",
                obj({"topics": arr(obj({"id": S, "name": S, "parent": NS, "description": S}))}),
            )
        },
        "/api/v1/processes": {
            "get": op(
                "The processes",
                obj(
                    {"processes": arr(obj({"id": S, "name": S, "steps": arr(S), "description": S}))}
                ),
            )
        },
        "/api/v1/cases/{case_id}": {
            "put": op(
                "Add or change a case (editor)",
                obj({"case": ref("Case")}),
                params=[p("case_id")],
                body=obj(
                    {"entries": arr(S), "customer": S, "action": S, "outcome": S, "date": NS},
                    ["entries", "customer", "action"],
                    strict=False,
                ),
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kefu-kb",
            "version": "1",
            "description": (
                "Knowledge graph and semantic search for e-commerce customer service. Every "
                'error is {"error": {code, message, field}}. Limits: request body '
                f"{settings['request_max_bytes']} bytes, query {qmax} characters, pages {page}, "
                f"feedback batches {batch} items."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "key": {"type": "http", "scheme": "bearer", "description": "an API key: kb_..."}
            },
        },
    }


@bp.get("/openapi.json")
@requires(PUBLIC)
def openapi():
    return spec(current_app.config["KB"])
