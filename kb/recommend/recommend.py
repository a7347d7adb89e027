"""Recommend = search + the policy, stored so that the caller's outcome can be counted.

`recommend` searches, hears the customer's emotion, looks back over the session,
runs the pure policy (`kb.recommend.policy.decide`), keeps a session that was just
asked for facts on the scenario it was asked about, asks for what a human will need
while it is missing, and stores the recommendation with the entry version it served;
a handoff also stores its ticket (kb/recommend/tickets.py), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from kb.model import Entry, Recommendation, Ticket, Topic, new_id
from kb.recommend import emotion_model
from kb.recommend.clarify import chosen, topic_named
from kb.recommend.emotion import Emotion, detect
from kb.recommend.facts import product_words, session_facts
from kb.recommend.policy import (
    CUSTOMER_REASONS,
    DEFAULT_POLICY,
    REASONS,
    SUGGEST_MAX,
    Decision,
    Policy,
    ask_first,
    decide,
    follow_up,
    raised_urgency,
    take,
)
from kb.recommend.routing import load_routing
from kb.recommend.rules import served
from kb.recommend.tickets import make_ticket, merged
from kb.search.engine import Engine
from kb.search.results import Hit, SearchResult
from kb.store import Store
from kb.text import char_ngrams

# An order is unshipped while its status is one of these (platform and shop spellings).
UNSHIPPED = {"paid", "unshipped", "not_shipped", "awaiting_shipment", "待发货", "未发货"}
REPEAT_OVERLAP = 0.6  # bigram overlap at which a message asks the same thing again
SOOTHING = {
    "anxious": "理解您着急的心情，我这就帮您处理，请稍等。",
    "angry": "非常抱歉给您带来不好的体验，我已为您转接专人优先处理，请您稍等。",
}


@dataclass
class Request:
    """What a bot sends: the customer's message and what it knows of the conversation."""

    query: str
    session_id: str | None = None
    channel: str | None = None
    tier: str | None = None
    order: dict = field(default_factory=dict)  # status, ship_by (ISO date or time), ...


@dataclass
class Recommended:
    """A stored recommendation with everything the caller is shown."""

    record: Recommendation
    decision: Decision
    result: SearchResult
    emotion: Emotion
    soothing: str
    ticket: Ticket | None = None  # a handoff's

    @property
    def reason_text(self) -> str:
        text = REASONS[self.decision.reason]
        top = self.decision.offered[0].entry if self.decision.offered else None
        if self.decision.reason == "entry_policy" and top and top.handoff_reason:
            text += f"：{top.handoff_reason}"
        return text


def recommend(
    engine: Engine,
    store: Store,
    request: Request,
    at: dt.datetime | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> Recommended:
    """Search, judge, decide and store; `at` lets the simulator replay past days."""
    at = at or dt.datetime.now(dt.UTC)
    result = engine.search(request.query, top=5)
    history = store.session_recommendations(request.session_id) if request.session_id else []
    emotion = detect(
        request.query,
        repeats=_repeats(result, history),
        vector=emotion_vector(engine, request.query),
        angry_before=any(r.emotion == "angry" for r in history),
        earlier=[r.query for r in history],
    )
    failed = sum(
        r.outcome in ("takeover", "abandoned") or r.reason == "no_confident_match" for r in history
    )
    within = narrowed(engine, store, request.query, result)
    overdue, vip = _overdue(request.order, at), policy.is_vip(request.tier)
    decision = decide(result, emotion, failed_turns=failed, order_overdue=overdue, vip=vip,
                      policy=policy, scenarios=within[1].hits if within else None)  # fmt: skip
    answering = False  # the customer is answering an ask or a list: not a need left unanswered
    if history and history[-1].decision == "ask":
        decision = follow_up(decision, result, _asked(engine, history[-1]))
        answering = bool(decision.offered) and decision.offered[0].entry.id == history[-1].entry_id
    elif history and history[-1].decision == "suggest" and decision.reason not in CUSTOMER_REASONS:
        offered = [e for i in history[-1].candidates if (e := engine.entries.get(i))]
        if picked := chosen(result.normalised, offered):
            decision = take(picked, emotion, raised_urgency(picked.urgency, vip, overdue))
            answering = True
    facts: dict[str, str] = {}
    if decision.decision == "handoff":
        entry = decision.offered[0].entry if decision.offered else None
        facts = session_facts([r.query for r in history] + [request.query], _products(entry))
        asks = sum(r.decision == "ask" for r in history)
        decision = ask_first(decision, set(facts), asks, emotion)
    top = decision.offered[0].entry if decision.offered else (result.top.entry if result.top
                                                              else None)  # fmt: skip
    if decision.reason == "which_scenario":
        top = None  # a list to choose from tried no entry on the customer: none was served
    record = Recommendation(
        id=new_id(at),
        created_at=at.isoformat(timespec="seconds"),
        query=request.query,
        normalised=result.normalised,
        decision=decision.decision,
        reason=decision.reason,
        emotion=emotion.label,
        urgency=decision.urgency,
        confidence=round(result.top.confidence, 4) if result.top else 0.0,
        entry_id=top.id if top else None,
        entry_version=top.version if top else None,
        candidates=[h.entry.id for h in decision.offered],
        scores=_scores(result.top),
        session_id=request.session_id,
        channel=request.channel,
        gap=not result.confident and not answering
        and decision.reason not in ("asked_for_human", "which_scenario"),
    )
    soothing = ""
    if emotion.label != "calm":
        soothing = (top.soothing if top else "") or SOOTHING[emotion.label]
    ticket = None
    if decision.decision == "handoff":
        topics = {t.id: t for t in store.topics()}
        ticket = make_ticket(record, top if decision.offered else None, facts, history,
                             soothing or (top.soothing if top else ""), load_routing(store),
                             topics, request.tier)  # fmt: skip
    with store.transaction():
        store.add_recommendation(record, served=served)
        earlier = store.session_ticket(request.session_id) if request.session_id else None
        if ticket is not None and earlier is not None:
            ticket = merged(earlier, ticket)
            store.update_ticket(ticket)
        elif ticket is not None:
            store.add_ticket(ticket)
    return Recommended(record, decision, result, emotion, soothing, ticket)


def narrowed(engine: Engine, store: Store, query: str, result: SearchResult,
             top: int = SUGGEST_MAX) -> tuple[Topic, SearchResult] | None:  # fmt: skip
    """When nothing is confident and the message only names a topic (我要退货), that topic
    and the search again within it and the topics under it: the scenarios to choose from."""
    if result.confident:
        return None
    topic = topic_named(result.normalised, store.topics())
    if topic is None:
        return None
    return topic, engine.search(query, top=top, topic=store.topic_subtree(topic.id))


def _asked(engine: Engine, record: Recommendation) -> Decision:
    """The ask a session is answering, as a decision on the live entry it asked about."""
    entry = engine.entries.get(record.entry_id) if record.entry_id else None
    offered = [Hit(entry, 0.0, record.confidence)] if entry else []
    return Decision("ask", record.reason, record.urgency, offered)


def _products(entry: Entry | None) -> frozenset[str]:
    """Product words: the shipped vocabulary and the entry's own keywords that name goods."""
    if entry is None:
        return product_words()
    return product_words([*entry.keywords, *(s for syn in entry.keywords.values() for s in syn)])


def emotion_vector(engine: Engine, query: str) -> np.ndarray | None:
    """The query vector search already made, if the emotion model was trained on its embedder."""
    if engine.embedder is None or not emotion_model.model().reads(engine.embedder.name):
        return None
    return engine.query_vector(query)


def _scores(hit: Hit | None) -> dict[str, float]:
    if hit is None:
        return {}
    return {"fused": round(hit.score, 6), **{k: round(v, 4) for k, v in hit.scores.items()}}


def _repeats(result: SearchResult, history: list[Recommendation]) -> int:
    """How many earlier messages of the session asked for the same thing as this one."""
    if not history:
        return 0
    grams = set(char_ngrams(result.normalised)) or {result.normalised}
    # the same top entry as an answer already served is the same question, however unsure
    # the engine is of the angrier rewording (我问你退货运费谁出)
    top = result.top.entry.id if result.top else None
    count = 0
    for past in history:
        theirs = set(char_ngrams(past.normalised)) or {past.normalised}
        overlap = len(grams & theirs) / max(1, min(len(grams), len(theirs)))
        same_answer = top is not None and past.entry_id == top
        count += overlap >= REPEAT_OVERLAP or (same_answer and served(past.decision, top))
    return count


def _overdue(order: dict, at: dt.datetime) -> bool:
    """An order not shipped by the time promised (order.ship_by) is a broken promise."""
    ship_by, status = order.get("ship_by"), str(order.get("status", "")).lower()
    if not ship_by or status not in UNSHIPPED:
        return False
    try:
        promised = dt.datetime.fromisoformat(str(ship_by))
    except ValueError:
        return False
    if promised.tzinfo is None:
        promised = promised.replace(tzinfo=dt.UTC)
    return promised < at
