"""Realistic traffic for a demo or a test: conversations through the real recommend and feedback.

Customers ask with the corpus phrasings, perturbed the way chat is (greetings,
order numbers, traditional characters, typos, impatience, now and then a
threat); a few needs are missing from the knowledge base (content gaps). Each
entry has a takeover probability; a few entries are made deliberately bad, so
the monitor has something to flag. A bad entry stays bad only in the version
that was live when it was made bad: once an editor publishes a rewrite, the
simulated customers are served well again, which is what a rewrite is for.
Every handoff's ticket is taken by an agent, mostly within its queue's SLA, and
closed (which reports the takeover), so the dashboard has SLA figures; tickets
whose take time has not come yet stay open in the queue.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import opencc

from kb.authoring.monitor import Rules, report
from kb.authoring.queue import close, take
from kb.model import Entry, Outcome, Routing, Ticket
from kb.recommend.recommend import Request, recommend
from kb.recommend.routing import load_routing
from kb.search.engine import Engine
from kb.store import Store
from kb.text import TYPOS

BAD_KEY = "simulate.bad"  # meta: {entry id: the version made bad}
GOOD_RATE = (0.02, 0.08)  # takeover probability of an ordinary entry
BAD_RATE = (0.55, 0.70)
GAP_SHARE = 0.06  # conversations about a need no entry covers
# Needs the seed corpus does not cover, as customers ask them.
GAP_NEEDS = [
    ["能用隐私包装发货吗", "外包装别写是什么东西", "快递单上能不写商品名吗", "保密发货可以吗"],
    ["能找朋友代付吗", "怎么让家人帮我付款", "代付链接怎么发", "可以让别人替我付钱吗"],
    ["能开收据吗 要盖公章的", "可以给我开个收据吗", "收据能盖章吗", "需要一张盖章的收据"],
    ["能帮我包装成礼物吗", "可以礼品包装吗", "有没有包装纸和丝带"],
]
FILLER = ["在吗 ", "你好，", "亲 ", "请问", "您好 ", "hello "]
WORRY = [" 急", " 能快点吗", "？？", " 着急用", " 等好几天了"]
ANGER = [" 再不处理我就投诉了", " 什么破服务！！！", " 不行就12315见", " 骗子吧？？？"]
# How a customer answers an ask, per missing fact.
FACT_ANSWERS = {
    "order_id": lambda rng: f"订单号 {rng.randrange(10**12, 10**13)}",
    "tracking_no": lambda rng: f"运单号 SF{rng.randrange(10**12, 10**13)}",
    "photos": lambda rng: "[图片]" * rng.randint(1, 3),
    "product": lambda rng: rng.choice(["就是那瓶面霜", "买的奶粉", "那双运动鞋", "蓝牙耳机"]),
    "problem": lambda rng: "东西有问题",
    "phone": lambda rng: f"电话 1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
    "amount": lambda rng: f"付了{rng.randint(20, 900)}元",
    "address": lambda rng: "地址 浙江省杭州市西湖区文三路100号",
    "date": lambda rng: f"{rng.randint(1, 12)}月{rng.randint(1, 28)}号买的",
}
IN_SLA = 0.85  # share of tickets taken within their SLA
AGENTS = [f"坐席{n:02d}" for n in range(1, 9)]
_S2T = opencc.OpenCC("s2t")
_MISSPELL = {right: wrong for wrong, right in TYPOS.items()}


@dataclass
class Summary:
    conversations: int = 0
    recommendations: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    bad: dict[str, int] = field(default_factory=dict)  # entry id -> the version made bad


def simulate(
    engine: Engine,
    store: Store,
    rules: Rules,
    days: int,
    conversations: int,
    seed: int,
    bad: int,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Replay `conversations` spread over the last `days` days, ending now."""
    rng = random.Random(seed)
    engine.refresh()
    entries = sorted(engine.entries.values(), key=lambda e: e.id)
    rng.shuffle(entries)  # popularity order: a few entries get most of the traffic
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(entries))]
    made_bad = _bad_entries(store, entries, bad, rng)
    rates = {e.id: rng.uniform(*GOOD_RATE) for e in entries}
    for entry_id in made_bad:
        rates[entry_id] = rng.uniform(*BAD_RATE)
    now = dt.datetime.now(dt.UTC)
    starts = sorted(now - dt.timedelta(seconds=rng.uniform(60, days * 86400))
                    for _ in range(conversations))  # fmt: skip
    summary = Summary(conversations=conversations, bad=made_bad)
    routing = load_routing(store)
    pending: list[Outcome] = []
    for number, start in enumerate(starts):
        if rng.random() < GAP_SHARE:
            need, phrasings = None, rng.choice(GAP_NEEDS)
        else:
            need = rng.choices(entries, weights)[0]
            phrasings = need.questions
        query = _perturb(rng.choice(phrasings), rng)
        session = f"sim-{seed}-{number}"
        made = recommend(engine, store, Request(query, session, "sim"), start)
        if made.decision.decision == "ask":  # the customer answers the question, a minute on
            summary.decisions["ask"] = summary.decisions.get("ask", 0) + 1
            summary.recommendations += 1
            answer = " ".join(FACT_ANSWERS[f](rng) for f in made.decision.missing)
            made = recommend(engine, store, Request(answer, session, "sim"),
                             start + dt.timedelta(minutes=1))  # fmt: skip
        summary.recommendations += 1
        decision = made.decision.decision
        summary.decisions[decision] = summary.decisions.get(decision, 0) + 1
        outcome = _outcome(made, need, rates, store, rng)
        summary.outcomes[outcome.outcome] = summary.outcomes.get(outcome.outcome, 0) + 1
        if made.ticket is not None:
            _work(store, made.ticket, outcome, routing, rules, now, rng)
        else:
            pending.append(outcome)
        if len(pending) >= 500:
            report(store, pending, rules)
            pending = []
        if progress:
            progress(1)
    if pending:
        report(store, pending, rules)
    return summary


def _work(store: Store, ticket: Ticket, outcome: Outcome, routing: Routing, rules: Rules,
          now: dt.datetime, rng: random.Random) -> None:  # fmt: skip
    """An agent takes the ticket (mostly within its SLA) and closes it a few minutes later;
    a ticket whose take time is still ahead stays open."""
    sla = next(q.sla for q in routing.queues if q.id == ticket.queue)[ticket.priority]
    late = rng.random() > IN_SLA
    wait = sla * (rng.uniform(1.05, 3.0) if late else rng.uniform(0.05, 0.95))
    taken = dt.datetime.fromisoformat(ticket.created_at) + dt.timedelta(minutes=wait)
    closed = taken + dt.timedelta(minutes=rng.uniform(2, 20))
    if closed > now:
        return
    take(store, ticket.id, rng.choice(AGENTS), taken.isoformat(timespec="seconds"))
    close(store, ticket.id, "resolved" if rng.random() < 0.9 else "unresolved", rules,
          outcome.agent_reply, outcome.used_entry_id, closed.isoformat(timespec="seconds"))


def _bad_entries(store: Store, entries: list[Entry], count: int, rng: random.Random) -> dict:
    """Entries made bad, among the popular ones a bot answers itself, and the version made bad.

    The choice is remembered in the store, so a second run keeps the same entries
    and notices which of them an editor has rewritten since.
    """
    remembered = json.loads(store.get_meta(BAD_KEY) or "{}")
    eligible = [e for e in entries[: max(count, len(entries) * 2 // 5)] if e.handoff == "auto"]
    chosen = {e.id: e.version for e in rng.sample(eligible, min(count, len(eligible)))}
    remembered = {**chosen, **{k: v for k, v in remembered.items() if k in chosen}}
    store.set_meta(BAD_KEY, json.dumps(remembered))
    live = {e.id: e.version for e in entries}
    return {k: v for k, v in remembered.items() if live.get(k) == v}


def _perturb(text: str, rng: random.Random) -> str:
    """The same need, typed the way customers type it."""
    if rng.random() < 0.15:
        wrong = [w for w in _MISSPELL if w in text]
        if wrong:
            word = rng.choice(wrong)
            text = text.replace(word, _MISSPELL[word])
    if rng.random() < 0.3:
        text = rng.choice(FILLER) + text
    if rng.random() < 0.2:
        text += f" 订单号{rng.randrange(10**15, 10**16)}"
    if rng.random() < 0.06:
        text += rng.choice(WORRY)
    elif rng.random() < 0.02:
        text += rng.choice(ANGER)
    if rng.random() < 0.15:
        text = _S2T.convert(text)
    return text


def _outcome(made, need: Entry | None, rates, store, rng) -> Outcome:
    """What the customer and the human did after the recommendation."""
    rec = made.record
    offered = {h.entry.id for h in made.decision.offered}
    wanted = need.id if need else None
    if made.decision.decision == "handoff" or wanted not in offered:
        # a human took over: with the right entry if there is one, else from their own knowledge
        reply = _human_reply(store, wanted, rng) if wanted else "人工答复：暂无现成方案"
        return Outcome(rec.id, "takeover", reply, wanted)
    if rng.random() < rates[wanted]:
        return Outcome(rec.id, "takeover", _human_reply(store, wanted, rng), wanted)
    return Outcome(rec.id, "resolved" if rng.random() < 0.92 else "abandoned")


def _human_reply(store: Store, entry_id: str, rng: random.Random) -> str:
    """What agents did for this entry in past cases: the answer a bad entry lacks."""
    cases = store.cases(entry_id)
    return rng.choice(cases).action if cases else "已人工处理"
