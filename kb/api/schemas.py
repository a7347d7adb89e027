"""JSON Schema pieces for the OpenAPI description: shorthands, the shared shapes that
kb/serialise.py makes (components), and limits that come from the running settings.

Each route declares its own request and answer with `@documented` (kb/api/openapi.py),
beside the route; what several routes share is here.
"""

from __future__ import annotations

from kb.api.params import TOP_MAX
from kb.corpus.validate import ID_MAX, QUESTIONS_MAX
from kb.model import EMOTIONS, FACTS, HANDOFFS, PRIORITIES, STATUSES, TICKET_STATUSES, URGENCIES

S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
N = {"type": "number"}
B = {"type": "boolean"}
NS = {"type": ["string", "null"]}
NI = {"type": ["integer", "null"]}
NN = {"type": ["number", "null"]}
ANY = {"type": "object"}


class Setting:
    """A limit read from the running settings when the description is served."""

    def __init__(self, name: str):
        self.name = name


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


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def q(name: str, schema: dict, required: bool = False) -> dict:
    """A query-string parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema}


def int_range(low: int, high: int | Setting | None = None) -> dict:
    out = {"type": "integer", "minimum": low}
    if high is not None:
        out["maximum"] = high
    return out


ID = {"type": "string", "minLength": 1, "maxLength": ID_MAX}
QUERY = {"type": "string", "minLength": 1, "maxLength": Setting("query_max_chars")}
TOP = int_range(1, TOP_MAX)
DAYS = q("days", int_range(1, 366))
PAGE = int_range(1, Setting("page_size_max"))
RANGE = int_range(1)
BASE = obj({"base_version": int_range(1)}, strict=False)
WINDOW = obj({"days": I, "since": S})
NOT_FOUND = (400, 401, 403, 404)
EDIT = (400, 401, 403, 404, 409)

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
    "questions": arr(S, maxItems=QUESTIONS_MAX),
    "keywords": {"type": "object", "additionalProperties": arr(S)},
    "solution": S,
    "urgency": enum(URGENCIES),
    "handoff": enum(HANDOFFS),
    "handoff_reason": S,
    "soothing": S,
    "needs": arr(enum(FACTS)),
    "ask": S,
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
    "contradicts": arr(S),
    "ranks": {"type": "object", "additionalProperties": NI},
    "scores": {"type": "object", "additionalProperties": N},
}
TICKET = obj({
    "id": S, "queue": S, "queue_name": S, "priority": enum(PRIORITIES), "created_at": S,
    "due": S, "summary": S, "facts": {"type": "object", "additionalProperties": S},
    "emotion": enum(EMOTIONS), "transcript": arr(obj({"at": S, "text": S})),
    "suggested_entry": {"type": ["object", "null"]}, "soothing_script": S, "reason": S,
    "tier": NS, "status": enum(TICKET_STATUSES), "taken_by": NS, "taken_at": NS,
    "closed_at": NS, "outcome": NS, "agent_reply": NS,
})  # fmt: skip
COMPONENTS = {
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
    "Ticket": TICKET,
}
