"""A message that names a topic and says nothing more (我要退货, 退款, 发票): ask which scenario.

Customers often open with the topic word alone. 我要退货 may be a seven-day return, a
quality return or a question about the return fee: no entry can be confident, and the
candidates' confidences are spread too thin to list. Handing that to a human as a content
gap is wrong twice: the knowledge base holds the answers, and the customer only has to
say which one. So the bot offers the topic's scenarios that fit the message best, and the
gap report keeps to messages the knowledge base cannot answer; the customer's reply
(第二个, or the scenario's name) then picks one of them (`chosen`). Pure functions.
"""

from __future__ import annotations

import re

from kb.model import Entry, Topic
from kb.text import bare

NAME_MIN = 2  # characters of a topic's name the message must hold: 退 alone names nothing
# Share of a name part the message must hold: 退货 of 退货退款 names it, 问题 of 收货商品问题
# (质量问题: a need of its own) does not.
COVER_MIN = 0.5
# What the message may hold besides the topic's word: asking words alone (我要, 我想, 请问一下,
# 怎么办理), at most REST_MAX of them. Anything else is a need of its own (优惠券用不了,
# 退款没到, 退货运费谁出), which search answers or hands to a human.
REST_MAX = 4
ASKING = frozenset("我要想请问一下咨询申请办理怎么如何能可以你好您在就那还有个")
# Words a topic's name may hold that name no need: 常见问题 and 其他服务 are not what 我有个问题
# asks about.
GENERIC = frozenset({"问题", "常见", "常见问题", "其他", "咨询", "帮助", "服务", "客服"})
_PARTS = re.compile(r"[与和及、/·&\s]+")  # 退货退款, 会员与积分, 优惠券与价保
# What is left of an order number once normalised took the digits: a fact given, not a need
_NUMBER_LABEL = re.compile(r"订单号|(?:快递|运)?单号")


def _common(a: str, b: str) -> str:
    """The longest run of characters `a` and `b` share (the first one, on a tie).

    >>> _common("我要退货", "退货退款"), _common("在吗", "物流配送")
    ('退货', '')
    """
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] not in b:
                break
            best = a[i:j]
    return best


def topic_named(message: str, topics: list[Topic]) -> Topic | None:
    """The topic a normalised message names and does nothing more with, or None.

    The message must hold at least two characters and half of one part of the topic's
    name, and besides them only a few asking words; where two topics qualify, the one
    whose name part it covers best (退货: 退货退款 over 海外购退货).

    >>> ts = [Topic("returns", "退货退款"), Topic("cb", "海外购退货"), Topic("invoices", "发票"),
    ...       Topic("logistics", "物流配送"), Topic("items", "收货商品问题"),
    ...       Topic("faq", "常见问题"), Topic("promos", "优惠券与价保"),
    ...       Topic("gift", "定制的礼盒")]
    >>> [getattr(topic_named(m, ts), "id", None) for m in (
    ...     "我要退货", "发票呢", "退货运费谁出", "在吗", "想问海外购退货", "质量问题",
    ...     "我要退货 订单号", "我有个问题", "请问一下发票", "发票开错了", "优惠券用不了",
    ...     "定制的礼盒")]
    ['returns', 'invoices', None, None, 'cb', None, 'returns', None, 'invoices', None, None, 'gift']
    """
    text = _NUMBER_LABEL.sub("", bare(message))
    best: tuple[float, Topic] | None = None
    for topic in topics:
        for part in _PARTS.split(bare(topic.name)):  # particles go on both sides
            if len(text) > len(part) + REST_MAX:
                continue  # more than the name and a few characters: a long message, not cheap
            shared = _common(text, part)
            rest = text.replace(shared, "", 1)
            if len(shared) < NAME_MIN or shared in GENERIC:
                continue
            if len(rest) > REST_MAX or not set(rest) <= ASKING:
                continue
            cover = len(shared) / len(part)
            if cover >= COVER_MIN and (best is None or cover > best[0]):
                best = (cover, topic)
    return best[1] if best else None


_ORDINAL = re.compile(r"[那就我要选是]*第?([1-9一二两三四五])(?:个|种|条|项|类)?")
_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def chosen(message: str, offered: list[Entry]) -> Entry | None:
    """Which of the scenarios just offered a (normalised) reply picks, if any: by its place
    (2, 第二个, 我选3, 就第一个吧) or by naming it alone (质量问题 for 质量问题退货).

    >>> es = [Entry(i, "t", title, [], {}, "") for i, title in
    ...       (("a", "部分退货与赠品处理"), ("b", "质量问题退货"), ("c", "取消订单后的退款"))]
    >>> [getattr(chosen(m, es), "id", None) for m in ("第二个", "3", "我选1", "就第一个吧",
    ...      "质量问题的", "取消订单后的退款", "退货", "第四个", "运费谁出", "第二天到")]
    ['b', 'c', 'a', 'a', 'b', 'c', None, None, None, None]
    """
    text = bare(message)
    if match := _ORDINAL.fullmatch(text):
        place = int(match[1]) if match[1].isdigit() else _NUMBERS[match[1]]
        return offered[place - 1] if place <= len(offered) else None
    titles = {e.id: bare(e.title) for e in offered}  # particles go on both sides (取消订单后的退款)
    named = [e for e in offered
             if len(text) >= NAME_MIN and (text in titles[e.id] or titles[e.id] in text)]
    return named[0] if len(named) == 1 else None
