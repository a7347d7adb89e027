"""The handoff queue: tickets by priority then due time; take one (once), close it with the
outcome, which counts in the monitor as a takeover report."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import caller, requires
from kb.api.feedback import REPLY_MAX
from kb.api.openapi import documented
from kb.api.params import choice, int_arg, json_body, text
from kb.api.resources import get_store
from kb.api.schemas import EDIT, ID, NS, PAGE, B, S, arr, enum, obj, q, ref
from kb.authoring.monitor import Rules
from kb.authoring.queue import close, take
from kb.errors import InvalidParameter
from kb.model import TICKET_OUTCOMES, TICKET_STATUSES
from kb.recommend.routing import load_routing
from kb.serialise import ticket_json

bp = Blueprint("handoffs", __name__, url_prefix="/api/v1")
STATUS_ARG = (*TICKET_STATUSES, "all")
TICKET = ref("Ticket")


def queue_names() -> dict[str, str]:
    return {q.id: q.name for q in load_routing(get_store()).queues}


@bp.get("/handoffs")
@requires("queue")
@documented(
    "Handoff tickets of a queue, by priority then due time",
    obj({"handoffs": arr(TICKET), "queues": arr(obj({"id": S, "name": S}))}),
    params=[q("queue", S), q("status", enum(STATUS_ARG)), q("limit", PAGE),
            q("offset", {"type": "integer", "minimum": 0})],
)  # fmt: skip
def handoffs():
    """`queue` (any when absent), `status` (open by default, or taken, closed, all)."""
    status = request.args.get("status", "open")
    if status not in STATUS_ARG:
        raise InvalidParameter(f"status must be one of {', '.join(STATUS_ARG)}; got {status!r}",
                               "status")  # fmt: skip
    names = queue_names()
    queue = request.args.get("queue") or None
    if queue is not None and queue not in names:
        raise InvalidParameter(f"unknown queue {queue!r}; choose from {', '.join(names)}", "queue")
    limit = int_arg("limit", 50, 1, current_app.config["KB"]["page_size_max"])
    tickets = get_store().tickets(queue, None if status == "all" else status, limit,
                                  int_arg("offset", 0, 0, 10**9))  # fmt: skip
    return {"handoffs": [ticket_json(t, names) for t in tickets],
            "queues": [{"id": k, "name": v} for k, v in names.items()]}  # fmt: skip


@bp.post("/handoffs/<ticket_id>/take")
@requires("queue")
@documented("Take a ticket (once: a second taker gets 409)", TICKET, errors=EDIT)
def take_ticket(ticket_id: str):
    """The calling agent takes the ticket; 409 `ticket_taken` if someone was first."""
    return ticket_json(take(get_store(), ticket_id, caller().name), queue_names())


@bp.post("/handoffs/<ticket_id>/close")
@requires("queue")
@documented(
    "Close a taken ticket; counted in the monitor as a takeover",
    obj({"ticket": TICKET, "counted": B}),
    body=obj({"outcome": enum(TICKET_OUTCOMES), "agent_reply": NS, "used_entry_id": NS},
             ["outcome"], strict=False),
    errors=EDIT,
)  # fmt: skip
def close_ticket(ticket_id: str):
    """Close with `outcome` (resolved or unresolved), what the agent answered and the entry
    used: 409 `ticket_not_taken` unless it was taken; `counted` says whether this report
    of the takeover was new to the monitor."""
    body = json_body('{"outcome": "resolved", "agent_reply": "...", "used_entry_id": "..."}')
    outcome = choice(body, "outcome", TICKET_OUTCOMES)
    ticket, counted = close(get_store(), ticket_id, outcome,
                            Rules.from_settings(current_app.config["KB"]),
                            text(body, "agent_reply", REPLY_MAX),
                            text(body, "used_entry_id", ID["maxLength"]))  # fmt: skip
    return {"ticket": ticket_json(ticket, queue_names()), "counted": counted}

