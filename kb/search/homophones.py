"""Input-method typos: a bigram the index has never seen, one character away by sound from
a bigram it holds (地止 -> 地址, 运废 -> 运费, 问提 -> 问题, 增品 -> 赠品, 头诉 -> 投诉).

Pinyin input puts a homophone where the meant character should be, and customers seldom
correct it. The query keeps its own bigram and gains the index's most frequent homophone
of it, so a real word the index lacks costs one more term to look up, nothing else.
Readings are pypinyin's character table with tones dropped (input methods ignore tones).
Only queries are corrected: documents are the knowledge base's own words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache, lru_cache

from pypinyin.pinyin_dict import pinyin_dict


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


@cache
def _by_sound() -> dict[str, tuple[str, ...]]:
    """Toneless reading -> the characters read so (built once, about 0.1 s)."""
    out: dict[str, list[str]] = {}
    for code, readings in pinyin_dict.items():
        if _common(code):
            for reading in {_toneless(r) for r in readings.split(",")}:
                out.setdefault(reading, []).append(chr(code))
    return {r: tuple(chars) for r, chars in out.items()}


@cache
def _homophones(char: str) -> tuple[str, ...]:
    """Every character sharing a reading with `char`, itself excluded."""
    readings = {_toneless(r) for r in pinyin_dict.get(ord(char), "").split(",") if r}
    return tuple(sorted({c for r in readings for c in _by_sound().get(r, ()) if c != char}))


@lru_cache(maxsize=65536)
def _near(bigram: str) -> tuple[str, ...]:
    """The bigram terms one homophone away from a bigram term ("#xy")."""
    first, second = bigram[1], bigram[2]
    return (*(f"#{c}{second}" for c in _homophones(first)),
            *(f"#{first}{c}" for c in _homophones(second)))  # fmt: skip


def corrections(tokens: list[str], held: Mapping[str, int]) -> list[str]:
    """Extra terms for a query's `tokens`: for each bigram term ("#xy") that no document
    holds (`held`: term -> how many documents hold it), the bigram one homophone away that
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
