"""Pinyin typed with the input method switched off (fapiao zenme kai, wo yao tuikuan, haode),
read as the words of the knowledge base that sound so.

A customer on a phone's Latin keyboard types the sounds. No entry holds them, so the message
matched nothing: on the seed corpus `fapiao zenme kai` found 与描述不符或色差 at 0.02, and
`wo yao tui kuan` 扬言投诉12315. A run of Latin words is spelt in this knowledge base's own
words (with the function words 我, 要, 怎么), each by its usual reading: the fewest words
win, then the words more entries hold, and a function word beats any content word of its
sound (yao is 要 before 药); a Latin word none spells stays as typed (xbox). A run stays as
typed when less than half of it is spelt or it is one syllable (hao, can: English is full
of them), when the knowledge base holds it as typed (app, vip), or when it is glued to
Chinese (mini款: a name or a model). Only messages are read, never entries.

Every message of tests/data/queries.tsv typed so (benchmarks/typed_pinyin_eval.py): hit@1
0.031 -> 0.931 on the seed corpus (0.969 as written), 0.026 -> 0.638 on the seed cut to two
phrasings (0.871), the confident answers right 0.990 and 0.982 of the time.
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
# A syllable with no initial (a, en, er, n) is not read as one character alone: English is full
# of them (a, an, can = ca + n), so can you help me became 擦嗯有 help 么; 安装 is still anzhuang.
_BARE = re.compile(r"[aoe].*|n|ng|m|hm|hng")


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
    >>> words["fapiao"], words["yao"], words["chongkai"], "en" in lexicon({}, ["嗯"])
    ((3, '发票'), (1000000000, '要'), (1, '重开'), False)
    """
    ranked: dict[str, tuple[bool, int, str]] = {}
    weighted = itertools.chain(((n, w) for w, n in frequencies.items()),
                               ((FUNCTION, w) for w in function_words))  # fmt: skip
    for weight, word in weighted:
        if len(word) <= WORD_SOUNDS_MAX and _CHINESE.fullmatch(word):
            for k, spelt in enumerate(sounds(word)):
                if len(word) == 1 and _BARE.fullmatch(spelt):
                    continue
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


def spelt(run: str, words: Mapping[str, tuple[int, str]]) -> str | None:
    """`run` in the knowledge base's words: fewest words first, then the most common; a
    Latin word none spells stays as typed (laopo: no entry says 老婆), at the cost of many.
    None when less than half of its letters are spelt, or one character alone (one
    syllable: hang, kai): English, a name, or a syllable that may be either.

    >>> words = lexicon({"发票": 3, "开": 2, "退款": 4}, ["我", "要", "怎么"])
    >>> spelt("fapiao zenme kai", words), spelt("wo yao tuikuan", words), spelt("tuikuan", words)
    ('发票怎么开', '我要退款', '退款')
    >>> spelt("laopo yao tuikuan", words), spelt("iphone", words), spelt("kai", words)
    ('laopo 要退款', None, None)
    """
    letters = run.replace(" ", "")
    typed: dict[int, int] = {}  # each Latin word of the run: where it starts -> ends, in letters
    for word in run.split(" "):
        at = max(typed.values(), default=0)
        typed[at] = at + len(word)
    # best[i]: (letters kept as typed, words, -weight, letters spelt, pieces) for letters[:i]
    best: list[tuple | None] = [None] * (len(letters) + 1)
    best[0] = (0, 0, 0, 0, [])
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 6 * WORD_SOUNDS_MAX), end):
            if best[start] is None:
                continue
            kept, count, weight, read, said = best[start]
            found = words.get(letters[start:end])
            if found is not None:
                option = (kept, count + 1, weight - found[0], read + end - start,
                          [*said, found[1]])  # fmt: skip
            elif typed.get(start) == end:
                option = (kept + end - start, count, weight, read,
                          [*said, " " + letters[start:end] + " "])  # fmt: skip
            else:
                continue
            if best[end] is None or option[:3] < best[end][:3]:
                best[end] = option
    if best[-1] is None or 2 * best[-1][3] < len(letters):
        return None
    out = " ".join("".join(best[-1][4]).split())
    return out if len(_CHINESE.sub("", out)) < len(out) - 1 else None


def read(text: str, runs: list[str], words: Mapping[str, tuple[int, str]]) -> str:
    """`text` with each of its pinyin `runs` (`candidates`) spelt in the knowledge base's
    words (see `spelt`).

    >>> words = lexicon({"发票": 3, "开": 2}, ["怎么"])
    >>> read("fapiao zenme kai 急", candidates("fapiao zenme kai 急", {}), words)
    '发票怎么开 急'
    """
    for run in runs:
        if said := spelt(run, words):
            whole = re.compile(rf"(?<![a-z]){re.escape(run)}(?![a-z])")
            text = whole.sub(said, text, count=1)
    return text
