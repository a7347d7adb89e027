"""Routing: which queue (skill group) a handoff goes to, its priority, and when it is due.

The routing is corpus data (`routing.yaml`, checked by kb/corpus/validate.py), kept in the
store's meta so that export writes it back. Priority is the decision's urgency, which
already carries the customer's tier (a VIP raises it one step, `Policy.vip_tiers`) and a
broken shipping promise; P1 is the green channel, due within its queue's P1 SLA.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict

from kb.model import SLA_DEFAULT, Queue, Routing, Topic
from kb.store import Store

ROUTING_FILE = "routing.yaml"
ROUTING_KEY = "routing"  # meta key
FALLBACK = Routing("general", [Queue("general", "综合客服组", [], dict(SLA_DEFAULT))])
PRIORITY_OF = {"high": "P1", "medium": "P2", "low": "P3"}


def save_routing(store: Store, routing: Routing) -> None:
    store.set_meta(ROUTING_KEY, json.dumps(asdict(routing), ensure_ascii=False))


def load_routing(store: Store, fallback: bool = True) -> Routing | None:
    """The imported routing; without one, every handoff goes to one general queue (or None)."""
    raw = store.get_meta(ROUTING_KEY)
    if raw is None:
        return FALLBACK if fallback else None
    data = json.loads(raw)
    return Routing(data["default"], [Queue(**q) for q in data["queues"]])


def queue_for(routing: Routing, topic: str | None, topics: dict[str, Topic]) -> Queue:
    """The queue serving `topic`, else its nearest ancestor's, else the default queue.

    >>> r = Routing("general", [Queue("general", "综合", [], {}),
    ...                         Queue("after", "售后", ["a"], {})])
    >>> t = {"a": Topic("a", "A"), "b": Topic("b", "B", parent="a"), "c": Topic("c", "C")}
    >>> [queue_for(r, x, t).id for x in ("a", "b", "c", None)]
    ['after', 'after', 'general', 'general']
    """
    by_topic = {t: q for q in routing.queues for t in q.topics}
    seen: set[str] = set()
    while topic and topic not in seen:
        if topic in by_topic:
            return by_topic[topic]
        seen.add(topic)
        topic = topics[topic].parent if topic in topics else None
    return next(q for q in routing.queues if q.id == routing.default)


def priority(urgency: str) -> str:
    """P1 for high urgency (the green channel), P2 medium, P3 low.

    >>> [priority(u) for u in ("high", "medium", "low")]
    ['P1', 'P2', 'P3']
    """
    return PRIORITY_OF[urgency]


def due(queue: Queue, prio: str, at: dt.datetime) -> dt.datetime:
    """When a ticket of `prio` must be taken: its queue's SLA after the handoff.

    >>> q = Queue("after", "售后", [], {"P1": 10, "P2": 60, "P3": 240})
    >>> due(q, "P1", dt.datetime(2026, 5, 1, 12, 0)).isoformat()
    '2026-05-01T12:10:00'
    """
    return at + dt.timedelta(minutes=queue.sla.get(prio, SLA_DEFAULT[prio]))
