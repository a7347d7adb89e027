"""Normalisation and tokenisation of customer text: the first two steps of every search.

Chat messages arrive full-width, traditional or simplified, with order numbers,
placeholders such as `[图片]`, greetings and emoji. Normalising them away first
means "我買的衣服可以退貨嗎？" and "我买的衣服可以退货吗?" are the same query.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
import opencc

_T2S = opencc.OpenCC("t2s")

# Chat placeholders ([图片], [订单x], 【商品链接】), links, and long digit runs
# (order, tracking and phone numbers: 8+ digits, optionally with a courier prefix).
_PLACEHOLDER = re.compile(r"[\[【][^\]】]{1,16}[\]】]")
_URL = re.compile(r"https?://\S+|www\.\S+")
_NUMBER = re.compile(r"(?<![a-z0-9])[a-z]{0,4}\d{8,}(?![0-9])")
# Greetings and filler that say nothing about the need. 亲 only on its own, so 亲戚 stays.
_FILLER = re.compile(
    r"你好|您好|在吗|在么|在嘛|在不在|有人吗|哈喽|hello|hi\b|客服|请问|麻烦(你|您)?|谢谢|"
    r"(?:^|(?<=[\s,.!?~]))亲亲?(?=$|[\s,.!?~])"
)
_SPACE = re.compile(r"\s+")
# Misspellings customers type so often that they are the word (homophones of the pinyin IME).
TYPOS = {
    "推货": "退货", "退歀": "退款", "退欵": "退款", "退宽": "退款", "快第": "快递", "快底": "快递",
    "运废险": "运费险", "运费鲜": "运费险", "优惠卷": "优惠券", "地止": "地址", "冲话费": "充话费",
    "冲值": "充值", "发漂": "发票", "无里由": "无理由", "质量问提": "质量问题", "物留": "物流",
    "换贷": "换货", "订金": "定金", "密马": "密码", "帐号": "账号", "登陆": "登录", "签手": "签收",
}  # fmt: skip
_TYPO = re.compile("|".join(map(re.escape, TYPOS)))


def fold(text: str) -> str:
    """NFKC (full-width to half-width), traditional to simplified, lower case; nothing removed.

    >>> fold("為什麼還沒發貨？？？ＯＫ")
    '为什么还没发货???ok'
    """
    return _T2S.convert(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """NFKC, traditional to simplified, lower case, chat noise removed, spaces collapsed.

    >>> normalise("在吗？訂單號：3301928475521 我買的衣服可以退貨嗎！！[图片]")
    '订单号 我买的衣服可以退货吗'
    >>> normalise("ＡＢＣ　１２３😡")
    'abc 123'
    >>> normalise("推货的快第单号")
    '退货的快递单号'
    """
    text = _URL.sub(" ", fold(text))
    text = _PLACEHOLDER.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    text = "".join(" " if _is_noise(c) else c for c in text)
    text = _FILLER.sub(" ", text)
    text = _TYPO.sub(lambda m: TYPOS[m.group()], text)
    text = re.sub(r"[\s,.!?~:;\"'()<>]+", " ", text)
    return _SPACE.sub(" ", text).strip()


def _is_noise(char: str) -> bool:
    """Emoji, symbols and control characters: nothing a retriever can use."""
    return unicodedata.category(char)[0] in "SC" and char not in "%+#"


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Character n-grams of each run of Chinese characters (typos split words; n-grams survive).

    >>> char_ngrams("退货 ab 运费险")
    ['退货', '运费', '费险']
    """
    out = []
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        out += [run[i : i + n] for i in range(len(run) - n + 1)]
    return out


STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 哦 嗯 么 嘛 哈 我 你 您 他 她 它 我们 你们 是 在 有 就 都 也 还 和 跟
    与 这 那 这个 那个 个 一个 一下 怎么 怎么办 怎样 如何 什么 为什么 可以 能 能不能
    可不可以 要 想 下
    上 里 给 让 把 被 又 再 很 太 好 吗? 啦 么? 呗 咋 咋办 啥 多少 几 请 帮 帮我 一 不 没 没有
    到 去 来 说 问 看 现在 已经 今天 昨天 然后 但是 因为 所以 如果 还是 或者 就是
    """.split()
)


class Tokenizer:
    """jieba words plus Chinese bigrams, with the lexicon words as this tokenizer's own dictionary.

    Owns a `jieba.Tokenizer` instance: adding words never touches the global
    `jieba.dt` that other code in the process may rely on.
    """

    def __init__(self, words: Iterable[str] = ()):
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        # texts repeat (phrasings are tokenised for BM25 and again for explanations; chat
        # traffic repeats itself), so tokens are cached per tokenizer
        self._cached = lru_cache(maxsize=100_000)(self._tokens)
        self.add_words(words)

    def add_words(self, words: Iterable[str]) -> None:
        added = False
        for word in words:
            word = normalise(word)
            if len(word) >= 2 and " " not in word and word not in self._jieba.FREQ:
                self._jieba.add_word(word, freq=2000)
                added = True
        if added:
            self._cached.cache_clear()  # a new word can split a text differently

    def words(self, text: str) -> list[str]:
        """jieba words of normalised text, stop words and spaces dropped."""
        return [w for w in self._jieba.lcut(text, HMM=False) if w.strip() and w not in STOPWORDS]

    def _tokens(self, text: str) -> tuple[str, ...]:
        text = normalise(text)
        return (*self.words(text), *("#" + g for g in char_ngrams(text)))

    def tokens(self, text: str) -> list[str]:
        """What BM25 indexes: words, plus bigrams so that misspelt or unsplit words still meet."""
        return list(self._cached(text))
