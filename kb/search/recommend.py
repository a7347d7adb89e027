"""Recommend = search + a policy: answer, suggest a few, or hand off to a human, and why.

The policy (`decide`) is a pure function of the search result, the customer's
emotion and the session so far; `recommend` runs it and stores the recommendation,
so that the outcome the caller reports later can be counted against the entry
version that was served.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kb.model import Recommendation, new_id
from kb.recommend.rules import served
from kb.search.emotion import Emotion, detect
from kb.search.engine import CONFIDENT, Engine, Hit, SearchResult
from kb.store import Store
from kb.text import char_ngrams

SUGGEST_MAX = 3  # candidates offered when a few are close
# Below CONFIDENT no single entry is an answer, but candidates this sure are worth offering
# (退款什么时候到账 has three). On tests/data/queries.tsv, 0.3 turns 4 of the 16 in-scope
# handoffs for want of confidence into suggestions (3 hold the right entry), and none of
# the 63 out-of-scope messages.
SUGGEST_FLOOR = 0.3
FAILED_TURNS = 2  # a session that already failed this often goes to a human
REPEAT_OVERLAP = 0.6  # bigram overlap at which a message asks the same thing again
URGENCY_RANK = {"low": 0, "medium": 1, "high": 2}
VIP_TIERS = {"vip", "svip", "plus", "gold", "platinum", "diamond", "black"}
UNSHIPPED = {"paid", "unshipped", "not_shipped", "awaiting_shipment", "待发货", "未发货"}
SOOTHING = {
    "anxious": "理解您着急的心情，我这就帮您处理，请稍等。",
    "angry": "非常抱歉给您带来不好的体验，我已为您转接专人优先处理，请您稍等。",
}
REASONS = {
    "confident_match": "一个知识条目明确匹配，置信度足够",
    "close_candidates": "几个场景得分接近，请客户或坐席选择",
    "possible_matches": "没有十分确定的场景，列出可能的几个供选择",
    "no_confident_match": "没有足够有把握的知识条目，转人工",
    "complaint_threat": "客户表示要投诉或曝光，需人工优先处理",
    "angry_customer": "客户情绪激动，需人工安抚处理",
    "asked_for_human": "客户要求转人工",
    "session_failed": "本次会话已连续未能解决，转人工",
    "entry_policy": "该场景规定必须由人工处理",
    "upset_customer": "客户情绪不佳，该场景此时应由人工处理",
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
class Decision:
    decision: str  # answer | suggest | handoff
    reason: str  # a key of REASONS
    urgency: str  # high | medium | low
    offered: list[Hit]  # the entries shown: one to answer, a few to choose from, or none


@dataclass
class Recommended:
    """A stored recommendation with everything the caller is shown."""

    record: Recommendation
    decision: Decision
    result: SearchResult
    emotion: Emotion
    soothing: str

    @property
    def reason_text(self) -> str:
        text = REASONS[self.decision.reason]
        top = self.decision.offered[0].entry if self.decision.offered else None
        if self.decision.reason == "entry_policy" and top and top.handoff_reason:
            text += f"：{top.handoff_reason}"
        return text


def decide(
    result: SearchResult,
    emotion: Emotion,
    failed_turns: int = 0,
    order_overdue: bool = False,
    vip: bool = False,
) -> Decision:
    """The policy, first rule that applies wins.

    >>> from kb.search.emotion import Emotion
    >>> from kb.search.engine import SearchResult
    >>> decide(SearchResult("?", "", [], False, []), Emotion("calm")).reason
    'no_confident_match'
    >>> decide(SearchResult("?", "", [], False, []), Emotion("angry", threat=True)).urgency
    'high'
    """
    top = result.top
    urgency = top.entry.urgency if top else "medium"
    if vip or order_overdue:  # a promise already broken, or a customer the shop rates highly
        urgency = "high" if order_overdue or urgency == "medium" else "medium"
    offered = [top] if top and result.confident else []

    def handoff(reason: str, urgent: bool = False) -> Decision:
        return Decision("handoff", reason, "high" if urgent else urgency, offered)

    if emotion.threat:
        return handoff("complaint_threat", urgent=True)
    if emotion.wants_human:
        return handoff("asked_for_human")
    if emotion.label == "angry":
        return handoff("angry_customer", urgent=True)
    if failed_turns >= FAILED_TURNS:
        return handoff("session_failed", urgent=URGENCY_RANK[urgency] >= 1)
    possible = [h for h in result.hits[:SUGGEST_MAX] if h.confidence >= SUGGEST_FLOOR]
    if top is None or (not result.confident and not possible):
        return handoff("no_confident_match")
    if not result.confident:
        top = possible[0]  # the policy rules below speak of the entry worth offering first
        offered = possible
    if top.entry.handoff == "always":
        return handoff("entry_policy")
    if top.entry.handoff == "if_upset" and emotion.label != "calm":
        return handoff("upset_customer")
    if not result.confident:
        return Decision("suggest", "possible_matches", urgency, possible)
    close = [h for h in result.hits[1:] if h.entry.id in result.ambiguous]
    close = [h for h in close if h.confidence >= CONFIDENT][: SUGGEST_MAX - 1]
    if close:
        return Decision("suggest", "close_candidates", urgency, [top, *close])
    return Decision("answer", "confident_match", urgency, [top])


def recommend(
    engine: Engine, store: Store, request: Request, at: dt.datetime | None = None
) -> Recommended:
    """Search, judge, decide and store; `at` lets the simulator replay past days."""
    at = at or dt.datetime.now(dt.UTC)
    result = engine.search(request.query, top=5)
    history = store.session_recommendations(request.session_id) if request.session_id else []
    emotion = detect(request.query, repeats=_repeats(result, history))
    failed = sum(
        r.outcome in ("takeover", "abandoned") or r.reason == "no_confident_match" for r in history
    )
    decision = decide(
        result,
        emotion,
        failed_turns=failed,
        order_overdue=_overdue(request.order, at),
        vip=(request.tier or "").lower() in VIP_TIERS,
    )
    top = decision.offered[0].entry if decision.offered else (result.top.entry if result.top
                                                              else None)  # fmt: skip
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
        gap=not result.confident,  # whatever was decided, the knowledge base had no answer
    )
    store.add_recommendation(record, served=served)
    soothing = ""
    if emotion.label != "calm":
        soothing = (top.soothing if top else "") or SOOTHING[emotion.label]
    return Recommended(record, decision, result, emotion, soothing)


def _scores(hit: Hit | None) -> dict[str, float]:
    if hit is None:
        return {}
    return {"fused": round(hit.score, 6), **{k: round(v, 4) for k, v in hit.scores.items()}}


def _repeats(result: SearchResult, history: list[Recommendation]) -> int:
    """How many earlier messages of the session asked for the same thing as this one."""
    if not history:
        return 0
    grams = set(char_ngrams(result.normalised)) or {result.normalised}
    top = result.top.entry.id if result.top and result.confident else None
    count = 0
    for past in history:
        theirs = set(char_ngrams(past.normalised)) or {past.normalised}
        overlap = len(grams & theirs) / max(1, min(len(grams), len(theirs)))
        count += overlap >= REPEAT_OVERLAP or (top is not None and past.entry_id == top
                                               and past.decision != "handoff")  # fmt: skip
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
