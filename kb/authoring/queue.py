"""The handoff queue as agents work it: take a ticket once, close it with the outcome, and
the numbers per queue and day (taken within SLA, time to take, why customers came).

Closing a ticket reports a takeover of its recommendation through the monitor's one
outcome path (`monitor.report`), in the same transaction: a human took the chat over,
and what they answered and which entry they used feed the learning loop like any
takeover report.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from kb.authoring.dashboard import rate
from kb.authoring.monitor import Rules, report
from kb.model import Outcome, Ticket
from kb.recommend.policy import REASONS
from kb.recommend.routing import load_routing
from kb.store import Store, now

TOP_REASONS = 3


def take(store: Store, ticket_id: str, agent: str, at: str | None = None) -> Ticket:
    """`agent` takes the ticket; TicketConflict (409) when someone took it first.
    `at` lets the simulator replay past days."""
    return store.take_ticket(ticket_id, agent, at or now())


def close(
    store: Store,
    ticket_id: str,
    outcome: str,
    rules: Rules,
    reply: str | None = None,
    used_entry_id: str | None = None,
    at: str | None = None,
) -> tuple[Ticket, bool]:
    """Close a taken ticket and report the takeover; returns the ticket and whether the
    report was new (the bot may have reported the takeover already). A recommendation
    the bot reported otherwise (abandoned) keeps that outcome."""
    with store.transaction():
        ticket = store.close_ticket(ticket_id, outcome, reply, at or now())
        if store.recommendation(ticket_id).outcome not in (None, "takeover"):
            return ticket, False
        (counted,) = report(store, [Outcome(ticket_id, "takeover", reply, used_entry_id)], rules,
                            at=at)  # fmt: skip
    return ticket, counted


def queue_days(store: Store, since: str) -> list[dict]:
    """Per queue per day: tickets, the share taken within SLA, median minutes to take, and
    the most common reasons. A ticket counts for the SLA share once it is taken or overdue
    (one still inside its SLA has not failed yet)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in store.ticket_days(since):
        groups.setdefault((row["day"], row["queue"]), []).append(row)
    at = now()
    names = {q.id: q.name for q in load_routing(store).queues}
    out = []
    for (day, queue), rows in sorted(groups.items()):
        taken = [r for r in rows if r["taken_at"]]
        judged = [r for r in rows if r["taken_at"] or r["due"] < at]
        in_time = sum(bool(r["taken_at"]) and r["taken_at"] <= r["due"] for r in judged)
        waits = [_minutes(r["created_at"], r["taken_at"]) for r in taken]
        out.append({
            "day": day,
            "queue": queue,
            "queue_name": names.get(queue, queue),
            "tickets": len(rows),
            "taken": len(taken),
            "within_sla": rate(in_time, len(judged)),
            "median_minutes_to_take": round(statistics.median(waits), 1) if waits else None,
            "top_reasons": [{"reason": r, "text": REASONS.get(r, r), "count": n} for r, n in
                            Counter(r["reason"] for r in rows).most_common(TOP_REASONS)],
        })  # fmt: skip
    return out


def _minutes(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds() / 60
