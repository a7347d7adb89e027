"""Pinyin typed with the input method switched off (fapiao zenme kai, wo yao tuikuan, haode),
read as the words of the knowledge base that sound so.

A customer on a phone's Latin keyboard types the sounds. No entry holds them, so the message
matched nothing: on the seed corpus `fapiao zenme kai` found 与描述不符或色差 at 0.02, and
`wo yao tui kuan` 扬言投诉12315. A run of Latin words is read only when this knowledge base's
own words (with the function words 我, 要, 怎么) spell it out exactly, each by its usual
reading; the fewest words win, then the words more entries hold, and a function word beats
any content word of its sound (yao is 要 before 药). A run stays as typed when it is one
syllable (hao, ma, can: an English word is more often one syllable than two), when the
knowledge base holds it as typed (app, vip), when it is glued to Chinese (mini款: a name or a
model), or when some part of it spells nothing (iphone, ok, sf). Only messages are read,
never entries.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from kb.text import STOPWORDS

# Latin words standing apart (normalised text is lower case, single-spaced): one glued to
# Chinese is a name or a model (mini款, iphone屏幕), not a customer's sounds
_RUN = re.compile(r"(?<![a-z\u4e00-\u9fff])[a-z]+(?: [a-z]+)*(?![a-z\u4e00-\u9fff])")
_CHINESE = re.compile(r"[\u4e00-\u9fff]+")
WORD_SOUNDS_MAX = 6  # the longest word read (characters): longer terms are phrases
FUNCTION = 10**9  # a function word's weight: more common than any entry's word


# Characters pypinyin misreads inside words customers type (重开 zhongkai, 还款 haikuan, 重发
# zhongfa): each word holding one is also spelt with this reading, after any usual spelling.
ALTERNATE = {"重": "chong", "还": "huan"}


@lru_cache(maxsize=200_000)
def sounds(word: str) -> tuple[str, ...]:
    """A Chinese word's toneless spelling as typed (ü as v), by pypinyin's reading of the
    word, then with ALTERNATE's. Not every reading of each character: with those, 红账 spelt
    gongzhang (红 as in 女红) and took the place of 公章.

    >>> sounds("发票"), sounds("绿色"), sounds("还款")
    (('fapiao',), ('lvse',), ('haikuan', 'huankuan'))
    """
    syllables = lazy_pinyin(word, style=Style.NORMAL, v_to_u=False)
    usual = "".join(syllables)
    if len(syllables) != len(word) or not set(word) & ALTERNATE.keys():
        return (usual,)
    other = "".join(ALTERNATE.get(c, s) for c, s in zip(word, syllables, strict=True))
    return tuple(dict.fromkeys((usual, other)))


def lexicon(frequencies: Mapping[str, int], function_words: Iterable[str] = STOPWORDS) -> dict:
    """Sound -> (weight, word): for each spelling, the word more entries hold (`frequencies`:
    term -> entries, the BM25 index's), a function word before any; a word's usual spelling
    before another word's ALTERNATE one.

    >>> words = lexicon({"发票": 3, "药": 1, "#发票": 3, "重开": 1}, ["要"])
    >>> words["fapiao"], words["yao"], words["chongkai"]
    ((3, '发票'), (1000000000, '要'), (1, '重开'))
    """
    ranked: dict[str, tuple[bool, int, str]] = {}
    weighted = itertools.chain(((n, w) for w, n in frequencies.items()),
                               ((FUNCTION, w) for w in function_words))  # fmt: skip
    for weight, word in weighted:
        if len(word) <= WORD_SOUNDS_MAX and _CHINESE.fullmatch(word):
            for k, spelt in enumerate(sounds(word)):
                ranked[spelt] = max(ranked.get(spelt, (False, 0, "")), (k == 0, weight, word))
    return {spelt: (weight, word) for spelt, (_, weight, word) in ranked.items()}


def candidates(text: str, held: Mapping[str, int]) -> list[str]:
    """The runs of Latin words in a normalised text that may be pinyin: standing apart from
    Chinese, more than one syllable's letters, and split at a word the knowledge base holds
    as typed.

    >>> candidates("fapiao zenme kai 和 app", {"app": 2}), candidates("mini款 kai", {})
    (['fapiao zenme kai'], [])
    >>> candidates("app fapiao zenme kai", {"app": 2})
    ['fapiao zenme kai']
    """
    out = []
    for run in _RUN.findall(text):
        for held_apart, words in itertools.groupby(run.split(" "), key=lambda w: bool(held.get(w))):
            part = " ".join(words)
            if not held_apart and len(part.replace(" ", "")) > 3:
                out.append(part)
    return out


def spelt(run: str, words: Mapping[str, tuple[int, str]]) -> list[str] | None:
    """The words that spell `run` exactly (its spaces ignored), fewest first, then the most
    common; None when none do, or when they are one character (one syllable: hang, kai).

    >>> words = lexicon({"发票": 3, "开": 2, "退款": 4}, ["我", "要", "怎么"])
    >>> spelt("fapiao zenme kai", words), spelt("wo yao tuikuan", words), spelt("tuikuan", words)
    (['发票', '怎么', '开'], ['我', '要', '退款'], ['退款'])
    >>> spelt("iphone", words), spelt("kai", words)
    (None, None)
    """
    letters = run.replace(" ", "")
    best: list[tuple[int, int, list[str]] | None] = [None] * (len(letters) + 1)
    best[0] = (0, 0, [])
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 6 * WORD_SOUNDS_MAX), end):
            found = words.get(letters[start:end])
            if found is None or best[start] is None:
                continue
            count, weight, said = best[start]
            option = (count + 1, weight - found[0], [*said, found[1]])
            if best[end] is None or option[:2] < best[end][:2]:
                best[end] = option
    if best[-1] is None or len("".join(best[-1][2])) < 2:
        return None
    return best[-1][2]


def read(text: str, words: Mapping[str, tuple[int, str]], held: Mapping[str, int]) -> str:
    """`text` with each pinyin run spelt in the knowledge base's words (see `spelt`).

    >>> words = lexicon({"发票": 3, "开": 2}, ["怎么"])
    >>> read("fapiao zenme kai 急", words, {})
    '发票怎么开 急'
    """
    for run in candidates(text, held):
        if said := spelt(run, words):
            whole = re.compile(rf"(?<![a-z]){re.escape(run)}(?![a-z])")
            text = whole.sub("".join(said), text, count=1)
    return text
