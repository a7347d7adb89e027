"""Compound keywords (已发货改地址, 未发货退款) are recognised when the customer spreads their words
out (已经发货了能改地址吗), and only when the words stay in order and close together."""

from __future__ import annotations

import pytest

from kb.model import Entry
from kb.search.lexicon import Concepts, LexiconIndex, loose_hit, loose_parts
from kb.text import Tokenizer

KEYWORDS = ["已发货改地址", "未发货退款", "质量问题", "签收未收到"]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(KEYWORDS)  # the keywords are dictionary words, as in the engine


@pytest.mark.parametrize(
    ("keyword", "parts"),
    [
        ("已发货改地址", ("+已发货", "改", "地址")),
        ("未发货退款", ("+未发货", "退款")),
        ("签收未收到", ("签收", "+未收到")),
        ("质量问题", ("质量", "问题")),
    ],
)
def test_a_compound_keyword_is_split_into_its_words(tokenizer, keyword, parts):
    assert loose_parts(keyword, tokenizer.known) == parts


@pytest.mark.parametrize(
    ("keyword", "message", "hit"),
    [
        ("已发货改地址", "已经发货了能改地址吗", True),
        ("已发货改地址", "还没发货能改地址吗", False),  # the opposite state
        ("未发货退款", "没发货的话退款多久到", True),
        ("未发货退款", "发货了还能退款吗", False),
        ("质量问题", "质量有点问题", True),
        ("质量问题", "质量还行 就是物流那边出了点问题", False),  # too far apart
        ("质量问题", "有问题 质量不行", False),  # out of order
    ],
)
def test_its_words_must_all_come_in_order_and_close(tokenizer, keyword, message, hit):
    parts = loose_parts(keyword, tokenizer.known)
    assert loose_hit(parts, message, set(tokenizer.tokens(message))) is hit


def test_the_index_recognises_a_spread_out_keyword_among_the_candidates(tokenizer):
    index = LexiconIndex(Concepts({}))
    shipped = Entry("shipped", "orders", "已发货修改地址", ["发货了改地址"],
                    {"已发货改地址": []}, "")  # fmt: skip
    unshipped = Entry("unshipped", "orders", "修改地址（未发货）", ["怎么改地址"],
                      {"修改地址": []}, "")  # fmt: skip
    for entry in (shipped, unshipped):
        index.set_entry(entry, tokenizer.known)
    message = "已经发货了能改地址吗"
    hits = index.search(message, None, {"shipped", "unshipped"}, set(tokenizer.tokens(message)))
    assert [h.entry_id for h in hits] == ["shipped"]
    assert hits[0].keywords == ["已发货改地址"]
    # without the split (an index fed no dictionary) the keyword is only matched verbatim
    plain = LexiconIndex(Concepts({}))
    plain.set_entry(shipped)
    assert plain.search(message, None, {"shipped"}, set(tokenizer.tokens(message))) == []
