"""Normalisation and tokenisation of Chinese chat text."""

from __future__ import annotations

import jieba

from kb.text import Tokenizer, char_ngrams, normalise


def test_traditional_full_width_and_simplified_normalise_alike():
    assert normalise("我買的衣服可以退貨嗎？！") == normalise("我买的衣服可以退货吗?!")
    assert normalise("ＰＬＵＳ會員") == "plus会员"


def test_chat_noise_is_removed():
    text = "亲 在吗？订单号：3301928475521 [图片] 快递SF1234567890123 到哪了😡 https://x.cn/a"
    assert normalise(text) == "订单号 快递 到哪了"


def test_common_typos_are_fixed():
    assert normalise("推货运废险怎么赔") == "退货运费险怎么赔"


def test_words_that_contain_a_filler_survive():
    assert normalise("亲戚送的礼盒") == "亲戚送的礼盒"


def test_bigrams():
    assert char_ngrams("退货运费") == ["退货", "货运", "运费"]


def test_tokenizer_owns_its_dictionary():
    before = jieba.dt.FREQ.get("七天无理由退货运费") if jieba.dt.initialized else None
    tokenizer = Tokenizer(["七天无理由退货运费"])
    assert "七天无理由退货运费" in tokenizer.words("七天无理由退货运费")
    if jieba.dt.initialized:
        assert jieba.dt.FREQ.get("七天无理由退货运费") == before
    else:
        assert not jieba.dt.initialized  # the global tokenizer was never even loaded
