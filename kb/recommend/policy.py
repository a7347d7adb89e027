"""The policy: answer, suggest a few, or hand off to a human, and why. Pure functions.

`decide` turns a search result, the customer's emotion and the session so far into
one decision; `Policy` holds the thresholds an operator tunes (settings
`suggest_floor`, `failed_turns`, `vip_tiers`). Whether the top hit is confident is
the engine's call, not the policy's: the engine knows its own scores.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb import config
from kb.recommend.emotion import Emotion
from kb.search.results import Hit, SearchResult

SUGGEST_MAX = 3  # candidates offered when a few are close
URGENCY_RANK = {"low": 0, "medium": 1, "high": 2}
URGENCIES = tuple(URGENCY_RANK)
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
    decision: str  # answer | suggest | handoff
    reason: str  # a key of REASONS
    urgency: str  # high | medium | low
    offered: list[Hit]  # the entries shown: one to answer, a few to choose from, or none


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


def decide(
    result: SearchResult,
    emotion: Emotion,
    failed_turns: int = 0,
    order_overdue: bool = False,
    vip: bool = False,
    policy: Policy = DEFAULT_POLICY,
) -> Decision:
    """The policy, first rule that applies wins.

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
    possible = [h for h in result.hits[:SUGGEST_MAX] if h.confidence >= policy.suggest_floor]
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
