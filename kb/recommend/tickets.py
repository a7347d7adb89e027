"""The handoff ticket: everything a human needs to act without asking the customer again.

Built from a handoff decision, the session's messages and the routing; the store keeps
it and agents take it from its queue (kb/authoring/queue.py). A session has one ticket
until it is closed: a later handoff brings the same ticket up to date (`merged`). Facts and
the transcript are masked here (phones as 138****5678), so nothing unmasked is ever stored
with a ticket.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from kb.model import Entry, Recommendation, Routing, Ticket, Topic
from kb.recommend.facts import mask_phones
from kb.recommend.routing import due, priority, queue_for

SLOT = re.compile(r"\{(order_id|tracking_no)\}")  # solution slots a ticket's facts can fill
SUMMARY_FACTS = ("order_id", "tracking_no", "product", "amount", "date", "photos")
FACT_NAMES = {"order_id": "订单", "tracking_no": "运单", "product": "商品", "amount": "金额",
              "date": "日期", "photos": "照片"}  # fmt: skip


def summary(title: str | None, facts: dict[str, str]) -> str:
    """One line: the scenario, its key facts, and the problem in the customer's words.

    >>> summary("化妆品使用后过敏", {"order_id": "5502391847726", "photos": "2",
    ...                           "problem": "用了面霜脸过敏了"})
    '化妆品使用后过敏｜订单 5502391847726｜照片 2 张｜用了面霜脸过敏了'
    >>> summary(None, {})
    '未匹配到场景'
    """
    parts = [title or "未匹配到场景"]
    for fact in SUMMARY_FACTS:
        if fact in facts:
            unit = " 张" if fact == "photos" else ""
            parts.append(f"{FACT_NAMES[fact]} {facts[fact]}{unit}")
    if facts.get("problem"):
        parts.append(facts["problem"])
    return "｜".join(parts)


def filled(solution: str, facts: dict[str, str]) -> str:
    """The solution with the slots the facts answer filled in, ready to copy.

    >>> filled("订单 {order_id}，退款 {refund_amount}", {"order_id": "5502391847726"})
    '订单 5502391847726，退款 {refund_amount}'
    """
    return SLOT.sub(lambda m: facts.get(m[1], m[0]), solution)


def make_ticket(
    record: Recommendation,
    entry: Entry | None,
    facts: dict[str, str],
    history: list[Recommendation],
    soothing: str,
    routing: Routing,
    topics: dict[str, Topic],
    tier: str | None,
) -> Ticket:
    """The ticket of one handoff recommendation (`record`), queued by the entry's topic."""
    at = dt.datetime.fromisoformat(record.created_at)
    queue = queue_for(routing, entry.topic if entry else None, topics)
    prio = priority(record.urgency)
    transcript = [{"at": r.created_at, "text": mask_phones(r.query)} for r in [*history, record]]
    suggested = None
    if entry is not None:
        suggested = {"id": entry.id, "title": entry.title, "version": entry.version,
                     "solution": filled(entry.solution, facts)}  # fmt: skip
    return Ticket(
        id=record.id,
        created_at=record.created_at,
        queue=queue.id,
        priority=prio,
        due=due(queue, prio, at).isoformat(timespec="seconds"),
        summary=summary(entry.title if entry else None, facts),
        facts=facts,
        emotion=record.emotion,
        transcript=transcript,
        suggested=suggested,
        soothing=soothing,
        reason=record.reason,
        session_id=record.session_id,
        tier=tier,
    )


def merged(earlier: Ticket, new: Ticket) -> Ticket:
    """A later handoff of a session whose ticket is still open or taken: the same ticket,
    with what the new one knows (transcript, facts, summary, emotion, suggestion), and the
    more urgent of the two priorities and due times; still open, it moves to the queue of
    the scenario now known. One customer, one ticket."""
    return replace(
        new,
        id=earlier.id,
        created_at=earlier.created_at,
        queue=new.queue if earlier.status == "open" else earlier.queue,
        priority=min(earlier.priority, new.priority),  # "P1" < "P2" < "P3"
        due=min(earlier.due, new.due),
        suggested=new.suggested or earlier.suggested,
        status=earlier.status,
        taken_by=earlier.taken_by,
        taken_at=earlier.taken_at,
    )
