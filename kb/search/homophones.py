"""Input-method typos: a bigram the index has never seen, one character away by sound from
a bigram it holds (地止 -> 地址, 运废 -> 运费, 问提 -> 问题, 增品 -> 赠品, 头诉 -> 投诉).

Pinyin input puts a sound-alike where the meant character should be, and customers seldom
correct it. The query keeps its own bigram and gains the index's most frequent sound-alike
of it, so a real word the index lacks costs one more term to look up, nothing else.
Sounds are pypinyin's readings with tones dropped (input methods ignore tones), each
character's first reading only: 有 reads wěi too, but nobody typing wei is offered 有
(all readings instead: hybrid hit@1 within 0.002 on every set of transfer_eval, with more
terms to look up). Only queries are corrected: documents are the knowledge base's own words.

The dense retriever reads the whole message, not terms, so it is given the message with
its typos put right (`corrected`: 头诉这个店铺 is embedded as 投诉这个店铺). A swapped
character changes the whole vector, so the rules are stricter than for an added term: the
typo must split into single characters that make no known word, and the fix must make a
dictionary word the index holds. On the seed corpus cut to one or two phrasings and as a
plain FAQ, every one of 30-35 corrected messages was a real typo, and hybrid hit@1 rose
0.003-0.005; on bq_dev, 2 corrected (两仟, 数入), no change.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache

from pypinyin.pinyin_dict import pinyin_dict

from kb.text import STOPWORDS


def _common(code: int) -> bool:
    """In GB 2312 (6,763 characters): what input methods offer first; the rest of the table
    (乿, 俧, 倁 ...) would only slow the search."""
    try:
        return len(chr(code).encode("gb2312")) == 2
    except UnicodeEncodeError:
        return False


def _toneless(reading: str) -> str:
    """A reading as typed: no tone, ü as u.

    >>> _toneless("lǜ")
    'lu'
    """
    return "".join(c for c in unicodedata.normalize("NFD", reading) if c.isascii())


def _first_reading(code: int) -> str:
    """A character's most common reading, toneless ("" when pypinyin has none)."""
    readings = pinyin_dict.get(code, "")
    return _toneless(readings.split(",")[0]) if readings else ""


@cache
def _by_sound() -> dict[str, tuple[str, ...]]:
    """Toneless first reading -> the characters read so first (built once, about 0.1 s)."""
    out: dict[str, list[str]] = {}
    for code in pinyin_dict:
        if _common(code):
            out.setdefault(_first_reading(code), []).append(chr(code))
    return {r: tuple(chars) for r, chars in out.items()}


@cache
def _sound_alikes(char: str) -> tuple[str, ...]:
    """What an input method offers beside `char` for the syllable typed: the characters
    sharing its first reading, itself excluded.

    >>> "赠" in _sound_alikes("增"), "有" in _sound_alikes("微")
    (True, False)
    """
    first = _first_reading(ord(char))
    return tuple(c for c in _by_sound().get(first, ()) if c != char) if first else ()


@lru_cache(maxsize=65536)
def _near(bigram: str) -> tuple[str, ...]:
    """The bigram terms one sound-alike away from a bigram term ("#xy")."""
    first, second = bigram[1], bigram[2]
    return (*(f"#{c}{second}" for c in _sound_alikes(first)),
            *(f"#{first}{c}" for c in _sound_alikes(second)))  # fmt: skip


def corrections(tokens: list[str], held: Mapping[str, int]) -> list[str]:
    """Extra terms for a query's `tokens`: for each bigram term ("#xy") that no document
    holds (`held`: term -> how many documents hold it), the bigram one sound-alike away that
    the most documents hold.

    >>> corrections(["地止", "#改地", "#地止"], {"#地址": 5, "#改地": 2})
    ['#地址']
    """
    count = held.get
    out = []
    for token in tokens:
        if not token.startswith("#") or len(token) != 3 or count(token):
            continue
        near = [(n, t) for t in _near(token) if (n := count(t))]
        if near:
            best = max(near)[1]
            if best not in tokens and best not in out:
                out.append(best)
    return out


def corrected(words: Sequence[str], held: Mapping[str, int], known: Callable[[str], bool]) -> str:
    """The text `words` spell (a segmentation with nothing dropped), typos put right.

    A typo shows as two single-character words side by side that make neither a known word
    nor a bigram the index holds (`held`: "#xy" -> documents). One of the two is swapped for
    the sound-alike that makes a known word the index holds, in the most documents; where
    two such pairs share a character (已前收), the fix held by more documents wins. Function
    characters (我, 的, 要, 还: STOPWORDS) are typed right: neither swapped nor half of a typo.

    >>> held = {"#投诉": 4, "#赠品": 2, "#漏发": 2}
    >>> known = {"投诉", "赠品", "漏发", "店铺"}.__contains__
    >>> corrected(["头", "诉", "这个", "店铺"], held, known)
    '投诉这个店铺'
    >>> corrected(["增", "品", "漏发", "了"], held, known)
    '赠品漏发了'
    >>> corrected(["是", "坏", "的"], {"#是否": 9}, {"是否"}.__contains__)
    '是坏的'
    """
    fixes = []  # (documents, word index, the character it becomes, the pair's first index)
    for k in range(len(words) - 1):
        a, b = words[k], words[k + 1]
        if len(a) != 1 or len(b) != 1:  # a non-Chinese character has no sound-alike
            continue
        if a in STOPWORDS or b in STOPWORDS or known(a + b) or held.get("#" + a + b):
            continue
        pair = [(held.get("#" + c + b, 0), k, c, k) for c in _sound_alikes(a) if known(c + b)]
        pair += [(held.get("#" + a + c, 0), k + 1, c, k) for c in _sound_alikes(b)
                 if known(a + c)]  # fmt: skip
        pair = [f for f in pair if f[0]]
        if pair:
            fixes.append(max(pair))
    out, touched = list(words), set()
    for _, at, char, k in sorted(fixes, reverse=True):
        if not touched & {k, k + 1}:
            out[at] = char
            touched |= {k, k + 1}
    return "".join(out)
