"""Handoff tickets: stored with their recommendation, taken once, closed once.

The store checks the order of the steps (a ticket is taken before it is closed, and
by one agent) inside the write transaction, so two agents clicking at once cannot
both take it; what closing means for the monitor is kb/authoring/queue.py's business.
"""

from __future__ import annotations

import json

from kb.errors import TicketConflict, TicketNotFound
from kb.model import Ticket
from kb.store.connection import Connection, to_json

_JSON = ("facts", "transcript", "suggested")


class Handoffs(Connection):
    """Add tickets, list a queue, take and close them, and read them back for the dashboard."""

    def add_ticket(self, t: Ticket) -> None:
        row = {k: (to_json(v) if k in _JSON else v) for k, v in vars(t).items()}
        row["day"] = t.created_at[:10]
        with self.transaction():
            self._insert("handoffs", row)

    def update_ticket(self, t: Ticket) -> None:
        """Write what a later handoff of the session knows into its ticket (kept by id)."""
        self.db.execute(
            """UPDATE handoffs SET queue = ?, priority = ?, due = ?, summary = ?, facts = ?,
               emotion = ?, transcript = ?, suggested = ?, soothing = ?, reason = ?, tier = ?
               WHERE id = ?""",
            [t.queue, t.priority, t.due, t.summary, to_json(t.facts), t.emotion,
             to_json(t.transcript), to_json(t.suggested), t.soothing, t.reason, t.tier, t.id],
        )  # fmt: skip

    def session_ticket(self, session_id: str) -> Ticket | None:
        """The session's ticket that nobody has closed yet, if any."""
        rows = self._tickets("WHERE session_id = ? AND status != 'closed' ORDER BY created_at "
                             "DESC LIMIT 1", [session_id])  # fmt: skip
        return rows[0] if rows else None

    def ticket(self, ticket_id: str) -> Ticket:
        rows = self._tickets("WHERE id = ?", [ticket_id])
        if not rows:
            raise TicketNotFound(ticket_id)
        return rows[0]

    def tickets(self, queue: str | None = None, status: str | None = "open", limit: int = 50,
                offset: int = 0) -> list[Ticket]:  # fmt: skip
        """A queue's tickets, most urgent first: by priority (P1 < P2 < P3 as text), then due."""
        clauses, params = [], []
        if queue:
            clauses.append("queue = ?")
            params.append(queue)
        if status:
            clauses.append("status = ?")
            params.append(status)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._tickets(f"{where} ORDER BY priority, due, id LIMIT ? OFFSET ?",
                             [*params, limit, offset])  # fmt: skip

    def take_ticket(self, ticket_id: str, agent: str, at: str) -> Ticket:
        """Mark a ticket taken by `agent`; TicketConflict when someone already took it."""
        with self.transaction():
            t = self.ticket(ticket_id)
            if t.status != "open":
                raise TicketConflict("ticket_taken", f"ticket {ticket_id!r} was already taken by "
                                     f"{t.taken_by} at {t.taken_at}")  # fmt: skip
            self.db.execute("UPDATE handoffs SET status = 'taken', taken_by = ?, taken_at = ? "
                            "WHERE id = ?", [agent, at, ticket_id])  # fmt: skip
            return self.ticket(ticket_id)

    def close_ticket(self, ticket_id: str, outcome: str, reply: str | None, at: str) -> Ticket:
        """Close a taken ticket with its outcome; TicketConflict unless it is taken and open."""
        with self.transaction():
            t = self.ticket(ticket_id)
            if t.status != "taken":
                why = "nobody has taken it yet" if t.status == "open" else "it is already closed"
                raise TicketConflict("ticket_not_taken",
                                     f"ticket {ticket_id!r} cannot be closed: {why}")  # fmt: skip
            self.db.execute(
                "UPDATE handoffs SET status = 'closed', closed_at = ?, outcome = ?, "
                "agent_reply = ? WHERE id = ?",
                [at, outcome, reply, ticket_id],
            )
            return self.ticket(ticket_id)

    def ticket_days(self, since_day: str) -> list[dict]:
        """Every ticket from `since_day` on: day, queue, created_at, due, taken_at, reason."""
        return self._rows("SELECT day, queue, created_at, due, taken_at, reason FROM handoffs "
                          "WHERE day >= ? ORDER BY day, queue", [since_day])  # fmt: skip

    def _tickets(self, tail: str, params: list) -> list[Ticket]:
        out = []
        for r in self._rows(f"SELECT * FROM handoffs {tail}", params):
            del r["day"]
            out.append(Ticket(**{k: (json.loads(v) if k in _JSON and v is not None else v)
                                 for k, v in r.items()}))  # fmt: skip
        return out

