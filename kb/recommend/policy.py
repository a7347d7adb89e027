"""The policy: answer, suggest a few, ask first, or hand off to a human, and why. Pure functions.

`decide` turns a search result, the customer's emotion and the session so far into
one decision; `follow_up` keeps a session on the scenario it was asked about;
`ask_first` turns a handoff into a question while facts a human needs are missing
(at most ASKS_MAX times a session, never for an angry or threatening customer);
`Policy` holds the thresholds an operator tunes (settings
`suggest_floor`, `failed_turns`, `vip_tiers`). Whether the top hit is confident is
the engine's call, not the policy's: the engine knows its own scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb import config
from kb.model import Entry
from kb.recommend.emotion import Emotion
from kb.search.results import Hit, SearchResult

SUGGEST_MAX = 3  # candidates offered when a few are close
# A candidate under this confidence is noise on a list of suggestions.
SUGGEST_MIN = 0.05
ASKS_MAX = 2  # questions before a handoff, per session: a third would be the bot stalling
# Reasons that come from the customer, not the scenario: they outlast a pending question.
CUSTOMER_REASONS = ("complaint_threat", "asked_for_human", "angry_customer")
# The default question per fact, when the entry has none of its own (`ask`).
QUESTIONS = {
    "order_id": "您的订单号",
    "tracking_no": "快递单号",
    "photos": "商品问题部位的照片",
    "product": "具体是哪件商品",
    "problem": "遇到的具体问题",
    "phone": "方便联系您的电话",
    "amount": "涉及的金额",
    "address": "收货地址",
    "date": "下单或收货的日期",
}
URGENCY_RANK = {"low": 0, "medium": 1, "high": 2}
URGENCIES = tuple(URGENCY_RANK)
REASONS = {
    "confident_match": "一个知识条目明确匹配，置信度足够",
    "close_candidates": "几个场景得分接近，请客户或坐席选择",
    "possible_matches": "没有十分确定的场景，列出可能的几个供选择",
    "which_scenario": "客户只说了问题大类，请客户选择具体场景",
    "chosen_by_customer": "客户从列出的场景中选了这一个",
    "no_confident_match": "没有足够有把握的知识条目，转人工",
    "complaint_threat": "客户表示要投诉或曝光，需人工优先处理",
    "angry_customer": "客户情绪激动，需人工安抚处理",
    "asked_for_human": "客户要求转人工",
    "session_failed": "本次会话已连续未能解决，转人工",
    "entry_policy": "该场景规定必须由人工处理",
    "upset_customer": "客户情绪不佳，该场景此时应由人工处理",
}


@dataclass(frozen=True)
class Policy:
    """The thresholds of `decide`; defaults are the settings' defaults (kb/config.py)."""

    suggest_floor: float = config.DEFAULTS["suggest_floor"]
    failed_turns: int = config.DEFAULTS["failed_turns"]
    vip_tiers: frozenset[str] = frozenset(config.DEFAULTS["vip_tiers"].split(","))

    @classmethod
    def from_settings(cls, settings: dict) -> Policy:
        tiers = {t.strip().lower() for t in str(settings["vip_tiers"]).split(",") if t.strip()}
        return cls(settings["suggest_floor"], settings["failed_turns"], frozenset(tiers))

    def is_vip(self, tier: str | None) -> bool:
        return (tier or "").strip().lower() in self.vip_tiers


DEFAULT_POLICY = Policy()


@dataclass
class Decision:
    decision: str  # answer | suggest | ask | handoff
    reason: str  # a key of REASONS (an ask keeps the reason of the handoff it precedes)
    urgency: str  # high | medium | low
    offered: list[Hit]  # the entries shown: one to answer, a few to choose from, or none
    missing: list[str] = field(default_factory=list)  # an ask: the facts still missing

    @property
    def question(self) -> str:
        """What an ask says to the customer: the entry's own question, or one per fact."""
        if self.decision != "ask":
            return ""
        own = self.offered[0].entry.ask if self.offered else ""
        return own or f"为了尽快帮您处理，请提供{'、'.join(QUESTIONS[f] for f in self.missing)}。"


def follow_up(decision: Decision, result: SearchResult, asked: Decision) -> Decision:
    """The customer answering a question (an ask) continues the scenario asked about.

    A message that only gives the facts ("订单号 5502391847726") matches no scenario on
    its own; it is the asked scenario's handoff again, unless the message is confidently
    about another scenario. Anger, threats and asking for a person still decide, with
    the asked scenario attached.
    """
    top = result.top
    if not asked.offered:
        return decision
    if result.confident and top and top.entry.id != asked.offered[0].entry.id:
        return decision
    if decision.decision == "handoff" and decision.reason in CUSTOMER_REASONS:
        return Decision("handoff", decision.reason, decision.urgency, asked.offered)
    return Decision("handoff", asked.reason, asked.urgency, asked.offered)


def take(entry: Entry, emotion: Emotion, urgency: str) -> Decision:
    """The scenario a customer picked from the ones offered: answered, unless the entry
    hands off always (or when the customer is upset, for `if_upset`).

    >>> from kb.model import Entry
    >>> from kb.recommend.emotion import Emotion
    >>> e = Entry("a", "t", "过敏", ["脸过敏了"], {}, "…", handoff="always")
    >>> take(e, Emotion("calm"), "high").reason, take(Entry("b", "t", "x", [], {}, ""),
    ...                                               Emotion("calm"), "low").reason
    ('entry_policy', 'chosen_by_customer')
    """
    hit = Hit(entry, 0.0)
    if entry.handoff == "always":
        return Decision("handoff", "entry_policy", urgency, [hit])
    if entry.handoff == "if_upset" and emotion.label != "calm":
        return Decision("handoff", "upset_customer", urgency, [hit])
    return Decision("answer", "chosen_by_customer", urgency, [hit])


def ask_first(decision: Decision, given: set[str], asks: int, emotion: Emotion) -> Decision:
    """Ask for the facts the entry needs before handing off, unless asked enough or upset.

    >>> from kb.model import Entry
    >>> from kb.recommend.emotion import Emotion
    >>> e = Entry("a", "t", "过敏", ["脸过敏了"], {"过敏": []}, "…", needs=["order_id", "photos"])
    >>> handoff = Decision("handoff", "entry_policy", "high", [Hit(e, 1.0)])
    >>> asked = ask_first(handoff, {"photos"}, 0, Emotion("calm"))
    >>> asked.decision, asked.missing, asked.question
    ('ask', ['order_id'], '为了尽快帮您处理，请提供您的订单号。')
    >>> ask_first(handoff, set(), 2, Emotion("calm")).decision  # asked twice already
    'handoff'
    >>> ask_first(handoff, set(), 0, Emotion("angry")).decision  # straight to a human
    'handoff'
    """
    if decision.decision != "handoff" or not decision.offered:
        return decision
    if asks >= ASKS_MAX or emotion.label == "angry" or emotion.threat:
        return decision
    missing = [f for f in decision.offered[0].entry.needs if f not in given]
    if not missing:
        return decision
    return Decision("ask", decision.reason, decision.urgency, decision.offered[:1], missing)


def raised_urgency(urgency: str, vip: bool, overdue: bool) -> str:
    """An order past its promised ship date is urgent; a VIP raises urgency one step, never lowers.

    >>> for u in URGENCIES:
    ...     print(u, *(raised_urgency(u, vip, late) for vip in (False, True)
    ...                for late in (False, True)))
    low low high medium high
    medium medium high high high
    high high high high high
    """
    if overdue:
        return "high"
    if vip:
        return URGENCIES[min(URGENCY_RANK[urgency] + 1, len(URGENCIES) - 1)]
    return urgency


def suggestions(hits: list[Hit], floor: float) -> list[Hit]:
    """The candidates worth offering when none is confident: the first few, when together
    they are likely enough (their confidences summed reach `floor`).

    Entries that tie on a vague message (发票怎么弄: three invoice scenarios) each get a
    low confidence, since the margin between them is nil; the chance that the right one is
    among them is what a list of choices offers the customer.

    >>> from kb.model import Entry
    >>> hit = lambda c: Hit(Entry(str(c), "t", "", [], {}, ""), 1.0, confidence=c)
    >>> [h.confidence for h in suggestions([hit(0.2), hit(0.08), hit(0.06), hit(0.3)], 0.3)]
    [0.2, 0.08, 0.06]
    >>> suggestions([hit(0.2), hit(0.04), hit(0.04)], 0.3)  # a list of long shots
    []
    """
    possible = [h for h in hits[:SUGGEST_MAX] if h.confidence >= SUGGEST_MIN]
    return possible if sum(h.confidence for h in possible) >= floor else []


def decide(
    result: SearchResult,
    emotion: Emotion,
    failed_turns: int = 0,
    order_overdue: bool = False,
    vip: bool = False,
    policy: Policy = DEFAULT_POLICY,
    scenarios: list[Hit] | None = None,
) -> Decision:
    """The policy, first rule that applies wins. `scenarios`: when the message only names
    a topic (kb/recommend/clarify.py), that topic's entries best fitting it, offered for
    the customer to choose from rather than a handoff or a list drawn from every topic.

    >>> from kb.recommend.emotion import Emotion
    >>> from kb.search.results import SearchResult
    >>> decide(SearchResult("?", "", [], False, []), Emotion("calm")).reason
    'no_confident_match'
    >>> decide(SearchResult("?", "", [], False, []), Emotion("angry", threat=True)).urgency
    'high'
    """
    top = result.top
    urgency = raised_urgency(top.entry.urgency if top else "medium", vip, order_overdue)
    offered = [top] if top and result.confident else []

    def handoff(reason: str, urgent: bool = False) -> Decision:
        return Decision("handoff", reason, "high" if urgent else urgency, offered)

    if emotion.threat:
        return handoff("complaint_threat", urgent=True)
    if emotion.wants_human:
        return handoff("asked_for_human")
    if emotion.label == "angry":
        return handoff("angry_customer", urgent=True)
    if failed_turns >= policy.failed_turns:
        return handoff("session_failed", urgent=URGENCY_RANK[urgency] >= 1)
    possible = suggestions(result.hits, policy.suggest_floor)
    if not result.confident and scenarios:
        return Decision("suggest", "which_scenario", urgency, scenarios[:SUGGEST_MAX])
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
    close = [h for h in close if h.confident][: SUGGEST_MAX - 1]
    if close:
        return Decision("suggest", "close_candidates", urgency, [top, *close])
    return Decision("answer", "confident_match", urgency, [top])
