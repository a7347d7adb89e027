"""Past cases: the ones worth reading for an entry, and adding or changing one."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import TOP_MAX, int_arg, json_body
from kb.api.resources import get_engine, get_store
from kb.api.schemas import NOT_FOUND, NS, TOP, S, Setting, arr, obj, q, ref
from kb.authoring.editing import save_case
from kb.errors import InvalidParameter
from kb.serialise import case_hit_json, case_json

bp = Blueprint("cases", __name__, url_prefix="/api/v1")


@bp.get("/entries/<entry_id>/cases")
@requires("read")
@documented(
    "Cases worth reading for an entry",
    obj({"entry": S, "query": NS, "cases": arr(ref("CaseHit"))}),
    params=[q("q", {"type": "string", "maxLength": Setting("query_max_chars")}), q("top", TOP)],
    errors=NOT_FOUND,
)
def entry_cases(entry_id: str):
    """Past cases worth reading for an entry; with `q`, ranked against that customer message."""
    q = request.args.get("q")
    limit = current_app.config["KB"]["query_max_chars"]
    if q is not None and len(q) > limit:
        raise InvalidParameter(f"q is {len(q)} characters; the limit is {limit}", "q")
    top = int_arg("top", 5, 1, TOP_MAX)
    hits = get_engine().cases_for_entry(entry_id, q, top)
    return {"entry": entry_id, "query": q, "cases": [case_hit_json(h) for h in hits]}


@bp.put("/cases/<case_id>")
@requires("edit")
@documented(
    "Add or change a case (editor)",
    obj({"case": ref("Case")}),
    body=obj({"entries": arr(S), "customer": S, "action": S, "outcome": S, "date": NS},
             ["entries", "customer", "action"], strict=False),
)  # fmt: skip
def put_case(case_id: str):
    """Add or change a past case: what the customer said, what was done, for which entries.
    Every problem is listed at once, as for an entry (unknown entries included)."""
    body = json_body(
        '{"entries": ["..."], "customer": "...", "action": "...", "outcome": "resolved"}'
    )
    return {"case": case_json(save_case(get_store(), case_id, body))}
