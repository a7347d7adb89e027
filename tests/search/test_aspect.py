"""Whether a thing has happened tells sibling scenarios apart: 没发货 and 已经发货了 find
取消订单（未发货） and 取消订单（已发货）, which share every other word."""

from __future__ import annotations

import pytest

from kb import text
from kb.corpus import import_corpus
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


def _engine(tmp_path) -> Engine:
    folder = tmp_path / "siblings"
    folder.mkdir()
    (folder / "orders.yaml").write_text(SIBLINGS, encoding="utf-8")
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
