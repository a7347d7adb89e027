"""Normalisation and tokenisation of Chinese chat text."""

from __future__ import annotations

import jieba
import pytest

from kb.text import Tokenizer, char_ngrams, normalise


def test_traditional_full_width_and_simplified_normalise_alike():
    assert normalise("我買的衣服可以退貨嗎？！") == normalise("我买的衣服可以退货吗?!")
    assert normalise("ＰＬＵＳ會員") == "plus会员"


def test_chat_noise_is_removed():
    text = "亲 在吗？订单号：3301928475521 [图片] 快递SF1234567890123 到哪了😡 https://x.cn/a"
    assert normalise(text) == "订单号 快递 到哪了"


def test_common_typos_are_fixed():
    assert normalise("推货运废险怎么赔") == "退货运费险怎么赔"
    assert normalise("退款没有返卷 兑换卷过期了") == "退款没有返券 兑换券过期了"
    assert normalise("卷纸少了一卷 问卷") == "卷纸少了一卷 问卷"  # 卷 where no coupon is meant


@pytest.mark.parametrize(("cantonese", "mandarin"), [
    ("親，我嘅訂單點解仲未發貨", "我的订单为什么还没发货"),
    ("我嘅嘢壞咗 點樣退", "我的东西坏了 怎么退"),
    ("冇收到貨", "没收到货"),
    ("呢件衫唔啱 可唔可以換", "这件衫不对 可不可以换"),
    ("你哋啲客服真係冇用", "你们的客服真是没用"),
    ("快啲發貨啦 唔該", "快点发货啦"),
])  # fmt: skip
def test_written_cantonese_reads_as_mandarin(cantonese: str, mandarin: str):
    assert normalise(cantonese) == mandarin


@pytest.mark.parametrize("text", ["重点解决", "都系统出错了", "一点样品", "唔 好的", "点解"])
def test_mandarin_sharing_cantonese_characters_is_left_alone(text: str):
    """Phrases of shared characters are read as Cantonese only beside its own characters."""
    assert normalise(text) == text


def test_words_that_contain_a_filler_survive():
    assert normalise("亲戚送的礼盒") == "亲戚送的礼盒"


@pytest.mark.parametrize(("message", "expected"), [
    ("客服你好，我要退货", "我要退货"),
    ("客服 在吗 能退吗", "能退吗"),
    ("能退吗 客服", "能退吗"),
    ("客服电话多少", "客服电话多少"),  # the need itself, not a greeting
    ("我要投诉刚才的客服", "我要投诉刚才的客服"),
    ("有人冒充客服打电话", "有人冒充客服打电话"),
])  # fmt: skip
def test_kefu_is_filler_only_as_an_address(message: str, expected: str):
    assert normalise(message) == expected


def test_bigrams():
    assert char_ngrams("退货运费") == ["退货", "货运", "运费"]


def test_tokenizer_owns_its_dictionary():
    before = jieba.dt.FREQ.get("无理由运费") if jieba.dt.initialized else None
    tokenizer = Tokenizer(["无理由运费"])
    assert "无理由运费" in tokenizer.words("七天无理由运费")
    if jieba.dt.initialized:
        assert jieba.dt.FREQ.get("无理由运费") == before
    else:
        assert not jieba.dt.initialized  # the global tokenizer was never even loaded



def test_a_lexicon_phrase_longer_than_a_word_is_split_into_its_words():
    # an imported keyword that is a whole question: as one word, BM25 could only match
    # its bigrams; split, its words meet the words of a customer asking the same
    question = "你好我的还款银行卡怎么更换"
    tokenizer = Tokenizer([question, "退货运费险"])
    assert question not in tokenizer.added and "退货运费险" in tokenizer.added
    words = tokenizer.words(question)
    assert question not in words and {"还款", "银行卡", "更换"} <= set(words)
    assert "退货运费险" in tokenizer.words("我的退货运费险呢")


def test_a_tokenizer_replayed_from_another_splits_as_it_does():
    # the order matters: 无理由 is a prefix of the first word, so jieba already holds it
    first = Tokenizer(["无理由运费", "无理由", "价保申请"])
    assert first.added == ["无理由运费", "价保申请"]
    second = Tokenizer()
    second.replay(first.added)
    assert second._jieba.FREQ == first._jieba.FREQ and second._jieba.total == first._jieba.total
    for text in ["七天无理由运费怎么算", "无理由要求", "价保申请入口"]:
        assert second.tokens(text) == first.tokens(text)


# Platform chat lines, one kind of noise each, written from the field definitions of JD and
# Taobao chat logs: (message, the normalised text expected).
CHAT_NOISE = {
    "order card, fields": (
        "咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x] [时间x] 退款申请了三天还没到账",
        "退款申请了三天还没到账",
    ),
    "order card, fields with real values": (
        "咨询订单号：90871234561 订单金额：¥268.00 下单时间：2019-06-18 21:04:37 发票怎么开",
        "发票怎么开",
    ),
    "order card, bracketed and masked": (
        "[订单编号:[订单x]，订单金额:[金额x]，下单时间:[日期x] [时间x]] 这单能改地址吗",
        "这单能改地址吗",
    ),
    "order card, bracketed with values": (
        "【订单编号：20190618553214，订单金额：¥59.90，下单时间：2019-06-18 10:01】 没赠品",
        "没赠品",
    ),
    "order card, number then amount": (
        "订单号:[订单x] 订单金额:[金额x] 怎么少了一件",
        "怎么少了一件",
    ),
    "masked tokens": (
        "我[数字x]月[数字x]号下的单 收件人[姓名x] 电话[电话x] 地址[地址x] 链接[链接x] "
        "[站点x] [日期x] [时间x] 付了[金额x] 到现在都没发货",
        "我 下的单 收件人 电话 地址 链接 付了 到现在都没发货",
    ),
    "client tag": ("京东快递(移动端) 快递员不送货上门", "快递员不送货上门"),
    "client tag, pc": ("售后服务（PC端） 保修期是多久", "保修期是多久"),
    "sent via, with a card": (
        "顾客通过点击web咚咚[站点x]信息发送:[订单编号:[订单x]，订单金额:[金额x]，"
        "下单时间:[日期x] [时间x]] 东西坏了",
        "东西坏了",
    ),
    "sent via, a product": ("顾客通过点击商品详情页信息发送：[链接x] 这个有现货吗", "这个有现货吗"),
    "sentence pasted twice": ("运费险怎么理赔？运费险怎么理赔？", "运费险怎么理赔"),
    "sentence pasted twice, no mark": ("优惠券用不了优惠券用不了", "优惠券用不了"),
    "clauses pasted twice": (
        "衣服洗了一次就缩水了，能退吗 衣服洗了一次就缩水了，能退吗",
        "衣服洗了一次就缩水了 能退吗",
    ),
    "long digit runs": (
        "运单号 773012345678901 手机 13812345678 一直没有物流",
        "运单号 手机 一直没有物流",
    ),
    "phone in groups": ("快递员电话 138-1234-5678 打不通", "快递员电话 打不通"),
    "amounts": ("实付¥199.00 退款只退了150.50元 差价怎么算", "实付 退款只退了 差价怎么算"),
    "dates and times": (
        "2018-03-05 12:30:00 下的单 2018/3/7 还显示待出库 预计18:00前能发吗",
        "下的单 还显示待出库 预计 前能发吗",
    ),
}


@pytest.mark.parametrize(("message", "expected"), CHAT_NOISE.values(), ids=CHAT_NOISE)
def test_platform_chat_noise_is_removed(message: str, expected: str):
    assert normalise(message) == expected


# words and bigrams of card labels, masks and client tags; none of the messages' needs use them
CARD_WORDS = ("金额", "时间", "咨询", "编号", "移动", "动端", "点击", "发送", "数字", "站点")


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


@pytest.mark.parametrize(("message", "expected"), CHAT_NOISE.values(), ids=CHAT_NOISE)
def test_no_stray_card_words_are_left_for_bm25(tokenizer, message: str, expected: str):
    tokens = tokenizer.tokens(message)
    assert not [t for t in tokens if any(w in t for w in CARD_WORDS)]
    assert not [t for t in tokens if t.isdigit() and len(t) >= 6]


def test_the_need_survives_a_card_and_its_own_words_stay():
    # a customer who types 订单号 or 下单时间 in a sentence of their own keeps those words
    assert normalise("订单号：3301928475521 查不到") == "订单号 查不到"
    assert normalise("下单时间写错了") == "下单时间写错了"
    assert normalise("6.18的券还能用吗") == "6 18的券还能用吗"  # a sale, not an amount


def test_normalise_is_idempotent_on_chat():
    for message, _ in CHAT_NOISE.values():
        assert normalise(normalise(message)) == normalise(message)
