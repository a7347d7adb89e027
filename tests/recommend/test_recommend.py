"""The recommend policy on the seed corpus: answer, suggest or hand off, and the stored record."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from kb.recommend.emotion import Emotion
from kb.recommend.policy import DEFAULT_POLICY, Policy, decide
from kb.recommend.recommend import Request, recommend
from kb.search.results import SearchResult
from kb.store import Store


@pytest.fixture
def store(engine):
    """A connection of its own to the shared engine's database (recommendations go there)."""
    s = Store(engine.store.path)
    yield s
    s.close()


def ask(engine, store, query: str, session: str | None = None, **kwargs):
    return recommend(engine, store, Request(query, session_id=session, **kwargs))


@pytest.mark.parametrize(
    ("query", "decision", "reason", "first"),
    [
        ("衣服买回来不喜欢 能退不", "answer", "confident_match", "return-7day-no-reason"),
        ("衣服开线了要退货", "answer", "confident_match", "return-quality-problem"),
        ("发票怎么弄", "suggest", "possible_matches", None),
        ("用了你们的面霜脸上起红疹", "ask", "entry_policy", "allergy-cosmetics"),  # needs order_id
        ("订单号 5502391847726 用了你们的面霜脸上起红疹", "handoff", "entry_policy",
         "allergy-cosmetics"),
        ("讲个笑话", "handoff", "no_confident_match", None),
        ("衣服开线了 再不给退我就打12315", "handoff", "complaint_threat", None),
        ("转人工", "handoff", "asked_for_human", None),
    ],
)
def test_policy_on_the_seed_corpus(engine, store, query, decision, reason, first):
    made = ask(engine, store, query)
    assert (made.decision.decision, made.decision.reason) == (decision, reason)
    if first:
        assert made.decision.offered[0].entry.id == first


def test_asking_for_a_person_hands_off_and_is_no_content_gap(engine, store):
    made = ask(engine, store, "我要和人工说话")
    assert (made.decision.decision, made.decision.reason) == ("handoff", "asked_for_human")
    assert not made.record.gap and not store.recommendation(made.record.id).gap
    assert ask(engine, store, "讲个笑话").record.gap  # an unanswered need still is one


def test_a_pasted_order_card_does_not_drown_a_refund_question(engine, store):
    message = (
        "顾客通过点击web咚咚[站点x]信息发送:[订单编号:[订单x]，订单金额:[金额x]，"
        "下单时间:[日期x] [时间x]] 咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x] "
        "[时间x] 京东快递(移动端) 你好 [数字x]号就显示退款成功了 银行卡里一直没收到钱 "
        "显示退款成功了 银行卡里一直没收到钱"
    )
    made = ask(engine, store, message)
    assert made.result.top.entry.id == "refund-not-received"
    assert "订单金额" not in made.result.normalised and "下单时间" not in made.result.normalised


@pytest.mark.parametrize(("query", "topic"), [
    ("我要退货", "returns"), ("退款", "refunds"), ("想退货了呢", "returns"), ("发票", "invoices"),
    ("我要退货 订单号 5502391847726", "returns"),  # a fact given is not a need of its own
])  # fmt: skip
def test_a_message_that_only_names_a_topic_asks_which_scenario(engine, store, query, topic):
    made = ask(engine, store, query)
    assert (made.decision.decision, made.decision.reason) == ("suggest", "which_scenario")
    assert not made.result.confident
    offered = made.decision.offered
    assert 2 <= len(offered) <= 3 and {h.entry.topic for h in offered} == {topic}
    confidences = [h.confidence for h in offered]
    assert confidences == sorted(confidences, reverse=True)  # order = confidence
    # the knowledge base holds the answers: not a content gap, in the record or the store
    assert not made.record.gap and not store.recommendation(made.record.id).gap
    assert made.record.candidates == [h.entry.id for h in offered]
    assert made.record.entry_id is None  # no entry tried on the customer: none is served


@pytest.mark.parametrize("reply", ["第二个", "2", "选2"])
def test_the_customer_picks_a_scenario_from_the_list_by_its_place(engine, store, reply):
    session = f"pick-{uuid.uuid4()}"
    listed = ask(engine, store, "我要退货", session).decision.offered
    made = ask(engine, store, reply, session)
    assert (made.decision.decision, made.decision.reason) == ("answer", "chosen_by_customer")
    assert made.decision.offered[0].entry.id == listed[1].entry.id
    saved = store.recommendation(made.record.id)
    assert saved.entry_id == listed[1].entry.id and not saved.gap  # counted for that entry


def test_the_customer_picks_a_scenario_by_naming_it(engine, store):
    session = f"pick-{uuid.uuid4()}"
    listed = ask(engine, store, "发票怎么弄", session).decision.offered
    title = listed[-1].entry.title
    made = ask(engine, store, title, session)
    assert made.decision.reason == "chosen_by_customer"
    assert made.decision.offered[0].entry.id == listed[-1].entry.id
    assert ask(engine, store, "第九个", session).decision.reason != "chosen_by_customer"


def test_a_threat_in_the_reply_to_a_list_still_goes_to_a_human(engine, store):
    session = f"pick-{uuid.uuid4()}"
    ask(engine, store, "我要退货", session)
    made = ask(engine, store, "第二个 再不处理我就打12315", session)
    assert (made.decision.decision, made.decision.reason) == ("handoff", "complaint_threat")


@pytest.mark.parametrize("query", ["退货运费谁出", "在吗", "我要退货 你们什么破服务 我要打12315"])
def test_a_need_or_a_threat_beside_the_topic_word_is_not_asked_which(engine, store, query):
    assert ask(engine, store, query).decision.reason != "which_scenario"


def test_suggestions_are_the_plausible_candidates_and_are_stored(engine, store):
    made = ask(engine, store, "发票怎么弄")
    offered = [h.entry.id for h in made.decision.offered]
    assert offered and not made.result.confident
    # together likely enough, and the most likely of the candidates
    assert sum(h.confidence for h in made.decision.offered) >= DEFAULT_POLICY.suggest_floor
    assert offered == [h.entry.id for h in made.result.hits[: len(offered)]]
    assert made.record.candidates == offered


def test_close_confident_rivals_are_suggested_together():
    from kb.model import Entry
    from kb.search.results import Hit

    def hit(entry_id: str, score: float) -> Hit:
        entry = Entry(entry_id, "returns", entry_id, [], {}, "亲")
        return Hit(entry, score, confidence=0.9, confident=True)

    top, rival = hit("return-7day", 0.30), hit("return-quality", 0.29)
    result = SearchResult("退货", "退货", [top, rival], True, ["return-quality"])
    decision = decide(result, Emotion("calm"))
    assert (decision.decision, decision.reason) == ("suggest", "close_candidates")
    assert decision.offered == [top, rival]


def test_threats_are_urgent_and_soothed(engine, store):
    made = ask(engine, store, "骗子！！！不退钱我就去消协投诉你们")
    assert made.decision.urgency == "high"
    assert made.emotion.threat and made.soothing


def test_an_upset_customer_on_an_if_upset_entry_goes_to_a_human(engine, store):
    calm = ask(engine, store, "快递员说我的件找不到了")
    upset = ask(engine, store, "快递员说我的件找不到了 怎么办啊 急死了 订单号 4028817736512")
    assert calm.decision.decision == "answer"
    assert calm.decision.offered[0].entry.handoff == "if_upset"
    assert (upset.decision.decision, upset.decision.reason) == ("handoff", "upset_customer")
    # anxious, not angry: without the order number the entry needs, it is asked for first
    unsure = ask(engine, store, "快递员说我的件找不到了 怎么办啊 急死了")
    assert (unsure.decision.decision, unsure.decision.missing) == ("ask", ["order_id"])


def test_a_session_that_failed_twice_goes_to_a_human(engine, store):
    session = uuid.uuid4().hex
    for query in ("讲个笑话", "门店几点关门"):
        assert ask(engine, store, query, session).decision.reason == "no_confident_match"
    made = ask(engine, store, "优惠券用不了", session)
    assert (made.decision.decision, made.decision.reason) == ("handoff", "session_failed")
    assert ask(engine, store, "优惠券用不了").decision.decision == "answer"  # a new session


def test_asking_the_same_thing_again_and_again_is_anger(engine, store):
    session = uuid.uuid4().hex
    first = ask(engine, store, "退货运费谁出", session)
    second = ask(engine, store, "退货的运费到底谁出", session)
    third = ask(engine, store, "我问你退货运费谁出", session)
    assert first.emotion.label == "calm" and second.emotion.label == "anxious"
    assert third.emotion.label == "angry" and third.decision.reason == "angry_customer"


def test_an_order_not_shipped_past_its_promise_is_urgent(engine, store):
    late = {"status": "paid", "ship_by": (dt.date.today() - dt.timedelta(days=2)).isoformat()}
    on_time = {"status": "paid", "ship_by": (dt.date.today() + dt.timedelta(days=2)).isoformat()}
    query = "优惠券用不了"
    assert ask(engine, store, query, order=late).decision.urgency == "high"
    assert ask(engine, store, query, order=on_time).decision.urgency != "high"


def test_every_recommendation_is_stored_with_its_entry_version(engine, store):
    made = ask(engine, store, "衣服买回来不喜欢 能退不", "s-store", channel="app")
    stored = store.recommendation(made.record.id)
    assert stored.query == "衣服买回来不喜欢 能退不"
    assert (stored.session_id, stored.channel, stored.decision) == ("s-store", "app", "answer")
    assert stored.entry_id == "return-7day-no-reason"
    assert stored.entry_version == engine.entries["return-7day-no-reason"].version
    assert stored.confidence == pytest.approx(made.result.top.confidence, abs=1e-4)
    assert stored.scores["fused"] == pytest.approx(made.result.top.score, abs=1e-6)
    assert {"bm25", "dense"} <= set(stored.scores)
    assert not stored.gap and ask(engine, store, "讲个笑话").record.gap


def test_decide_without_any_hit_hands_off():
    decision = decide(SearchResult("?", "", [], False, []), Emotion("calm"))
    assert (decision.decision, decision.offered) == ("handoff", [])


def test_a_vip_never_lowers_a_high_urgency_entry(engine, store):
    made = ask(engine, store, "用了你们的面霜脸上起红疹", tier="VIP")
    assert made.decision.offered[0].entry.urgency == "high"
    assert made.decision.urgency == "high"
    plain = ask(engine, store, "买的裙子不喜欢可以退货吗")
    vip = ask(engine, store, "买的裙子不喜欢可以退货吗", tier="gold")
    assert (plain.decision.urgency, vip.decision.urgency) == ("medium", "high")


def test_the_policy_comes_from_settings():
    from kb import config

    policy = Policy.from_settings(config.load({"vip_tiers": " Gold, svip ", "failed_turns": 5}))
    assert policy.failed_turns == 5 and policy.is_vip("GOLD") and not policy.is_vip("vip")
    assert Policy() == Policy.from_settings(config.load(env={}))


def test_asking_again_after_being_refused_goes_to_a_human(engine, store):
    """The session's earlier messages reach emotion detection: a refusal reported, then the
    same ask again, is anger, where the same two asks without the refusal are not."""
    session, plain = uuid.uuid4().hex, uuid.uuid4().hex
    ask(engine, store, "退货申请被驳回了 退货运费谁出", session)
    again = ask(engine, store, "退货运费谁出", session)
    assert again.emotion.label == "angry" and "refused_before" in again.emotion.signals
    assert again.decision.reason == "angry_customer"
    ask(engine, store, "退货运费谁出", plain)
    assert ask(engine, store, "退货运费谁出", plain).emotion.label != "angry"
