"""Whether a thing has happened tells sibling scenarios apart: 没发货 and 已经发货了 find
取消订单（未发货） and 取消订单（已发货）, which share every other word."""

from __future__ import annotations

import pytest

from kb import text
from kb.corpus import import_corpus
from kb.search import engine as engine_module
from kb.search.engine import Engine
from kb.store import Store
from kb.text import Tokenizer, aspect_terms

SIBLINGS = """\
topic:
  id: orders
  name: 订单
entries:
  - id: cancel-unshipped
    title: 取消订单（未发货）
    questions:
      - 未发货的订单怎么取消
    keywords:
      取消订单: []
    solution: 亲，在详情页点一下按钮即可。
    urgency: medium
  - id: cancel-shipped
    title: 取消订单（已发货）
    questions:
      - 已发货的订单怎么取消
    keywords:
      取消订单: []
    solution: 亲，请拒收包裹或联系快递拦截。
    urgency: medium
"""

ASKED = [
    ("东西还没发货 能取消订单吗", "cancel-unshipped"),
    ("尚未发货的订单 我想取消", "cancel-unshipped"),
    ("已经发货了 能取消订单吗", "cancel-shipped"),
    ("订单发货了 还能取消吗", "cancel-shipped"),
]


@pytest.mark.parametrize(
    ("segmented", "expected"),
    [
        (("还", "没", "发货"), ["未发货"]),
        (("一直", "不", "发货"), ["未发货"]),
        (("还没有", "收到", "退款"), ["未收到"]),
        (("已经", "签收", "了"), ["已签收"]),
        (("订单", "取消", "了"), ["已取消"]),
        (("退", "不", "退"), []),  # asks, does not negate
        (("不", "想要", "了"), ["未想要"]),  # negation wins over 了
        (("没", "的", "发货"), []),  # a stop word between: nothing is said of 发货
        (("已", "发货"), ["已发货"]),
    ],
)
def test_the_words_whose_happening_a_text_states(segmented, expected):
    assert aspect_terms(segmented) == expected


def test_negated_and_done_forms_meet_as_one_token():
    tokens = Tokenizer().tokens
    assert "未发货" in tokens("还没发货能取消吗") and "未发货" in tokens("取消订单（未发货）")
    assert "已发货" in tokens("已经发货了") and "已发货" in tokens("已发货想取消订单")
    assert "已发货" not in tokens("还没发货能取消吗")


def test_a_lexicon_word_holding_a_negator_still_says_what_has_not_happened():
    """还没发货 as a keyword is one jieba word: the aspect rules must still see 还没 + 发货."""
    tokenizer = Tokenizer(["还没发货"])
    assert tokenizer.segment("还没发货 想改地址")[0] == "还没发货"
    assert text.stated(tokenizer.marked("还没发货 想改地址")) == {"发货": "未"}
    assert tokenizer.marked("未来还没定")[0] == "未来"  # jieba's own words stay whole


def _engine(tmp_path, corpus: str = SIBLINGS) -> Engine:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "topic.yaml").write_text(corpus, encoding="utf-8")
    db = tmp_path / "kb.db"
    store = Store(db)
    import_corpus(store, folder)
    store.close()
    return Engine(db, None)  # lexical: only the words can tell them apart


def test_siblings_are_told_apart_by_what_has_happened(tmp_path):
    engine = _engine(tmp_path)
    for message, expected in ASKED:
        result = engine.search(message, cache=False)
        assert [h.entry.id for h in result.hits][:1] == [expected], message
    engine.close()


def test_without_the_aspect_tokens_the_siblings_are_not_told_apart(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "aspect_terms", lambda segmented: [])
    engine = _engine(tmp_path)
    tops = [engine.search(m, cache=False).hits[0].entry.id for m, _ in ASKED]
    assert tops != [expected for _, expected in ASKED]
    engine.close()


ADDRESS = """\
topic:
  id: address
  name: 地址
entries:
  - id: address-unshipped
    title: 修改收货地址（未发货）
    questions:
      - 还没发货 地址写错了怎么办
      - 未发货 收货地址写错了能改吗
      - 地址写错了 还没发货 帮我改一下
    keywords:
      地址写错: []
    solution: 亲，未发货的订单可在详情页修改地址。
    urgency: medium
  - id: address-shipped
    title: 已发货修改地址
    questions:
      - 已发货能改地址吗
    keywords:
      改地址: []
    solution: 亲，已发货的订单请联系快递改派。
    urgency: medium
"""


def test_a_scenario_contradicting_what_the_customer_says_happened_is_listed_last(tmp_path):
    """The 未发货 entry shares far more words with the message; the message says 已发货."""
    engine = _engine(tmp_path, ADDRESS)
    result = engine.search("已经发货了 地址写错了怎么办", cache=False)
    assert [h.entry.id for h in result.hits] == ["address-shipped", "address-unshipped"]
    second = result.hits[1]
    assert not second.confident and second.confidence <= result.hits[0].confidence
    assert second.contradicts == ["已发货"] and result.hits[0].contradicts == []
    # a message that says nothing of shipping keeps the words' order
    plain = engine.search("地址写错了怎么办", cache=False)
    assert plain.hits[0].entry.id == "address-unshipped"
    engine.close()


def test_without_the_contradiction_the_wordier_sibling_comes_first(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "contradictions", lambda said, scenario: [])
    engine = _engine(tmp_path, ADDRESS)
    result = engine.search("已经发货了 地址写错了怎么办", cache=False)
    assert result.hits[0].entry.id == "address-unshipped"
    engine.close()


CANCEL = """\
topic:
  id: cancel
  name: 取消
entries:
  - id: cancel-unshipped
    title: 取消订单（未发货）
    questions:
      - 我想取消订单
      - 订单不要了 帮我取消订单
      - 拍错了 我想取消订单
    keywords:
      取消订单: []
    solution: 亲，未发货的订单可在订单详情页直接取消。
    urgency: medium
  - id: cancel-shipped
    title: 已发货想取消订单
    questions:
      - 发出了还能不要吗
    keywords:
      拦截: []
    solution: 亲，已发货的订单可拒收或申请拦截。
    urgency: medium
"""


def test_what_the_title_says_happened_counts_even_when_the_phrasings_are_silent(tmp_path):
    """Only the title of the 未发货 entry speaks of shipping: one text of four, no majority."""
    engine = _engine(tmp_path, CANCEL)
    shipped = engine.search("已经发货了 我想取消订单", cache=False)
    assert [h.entry.id for h in shipped.hits][:2] == ["cancel-shipped", "cancel-unshipped"]
    assert engine.search("我想取消订单 拍错了", cache=False).hits[0].entry.id == "cancel-unshipped"
    engine.close()


MORE_SHIPPED = "\n".join(f"      - {q}" for q in (
    "已发货能改地址吗", "地址写错了 已经发货了能改吗", "发货了 地址写错了怎么办"))
LATE = ADDRESS.replace("      - 已发货能改地址吗", MORE_SHIPPED) + """\
  - id: late
    title: 超时未发货
    questions:
      - 下单一周了还不发货
    keywords:
      还没发货: []
    solution: 亲，超时未发货可申请赔付。
    urgency: medium
"""


@pytest.mark.parametrize("opened", [True, False])
def test_a_negator_inside_a_lexicon_word_still_contradicts(tmp_path, monkeypatch, opened):
    """还没发货 is a keyword (of 超时未发货), so jieba keeps it whole in the message."""
    if not opened:
        monkeypatch.setattr(Tokenizer, "marked", Tokenizer.segment)
    engine = _engine(tmp_path, LATE)
    result = engine.search("还没发货 地址写错了能改吗", cache=False)
    assert result.hits[0].entry.id == "address-unshipped"
    assert (result.hits[-1].entry.id == "address-shipped") == opened
    engine.close()
