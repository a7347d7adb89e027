"""How the customer feels, from one message and how often they have asked already.

A lexicon (emotion.yaml) of threats to complain, insults, sarcasm, impatience and
worry, plus punctuation runs (？？？, !!!), scored on folded text. The recommend
policy hands angry customers and complaint threats to a human; anxious ones get
the entry's soothing script. Accuracy is measured on tests/data/emotion.tsv
(`kb eval-emotion`); the words are domain knowledge, not fitted to that file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from kb.text import fold

LABELS = ("calm", "anxious", "angry")
# ??? is shouting; !!! is shouting unless glad words sit beside it; ?? or a lone ? presses.
_SHOUT = re.compile(r"[!?]*\?[!?]*\?[!?]*\?[!?]*|[!?]*![!?]*![!?]*![!?]*")
_PRESS = re.compile(r"[!?]{2}|^\W*\?\W*$")
_CHANT = re.compile(r"(\w{2,4})\1\1")  # 退钱退钱退钱: a demand chanted
_NUMBER = re.compile(r"[a-z]{0,4}\d{6,}")  # order and tracking numbers hide 12315s
_SECTIONS = ("threat", "insult", "exasperation", "annoyed", "anxious", "glad", "human", "calm")


@dataclass
class Emotion:
    label: str  # calm | anxious | angry
    threat: bool = False  # threatens to complain or escalate (投诉, 12315, 曝光, 差评)
    wants_human: bool = False  # asked for a person (转人工)
    signals: list[str] = field(default_factory=list)  # what was heard, e.g. "threat:12315"


@cache
def lexicon() -> dict[str, tuple[str, ...]]:
    source = resources.files("kb.recommend").joinpath("emotion.yaml")
    raw = yaml.safe_load(source.read_text("utf-8"))
    return {name: tuple(fold(str(w)) for w in raw.get(name, [])) for name in _SECTIONS}


def detect(message: str, repeats: int = 0) -> Emotion:
    """The customer's emotion; `repeats` is how many earlier messages of the session asked the same.

    >>> detect("衣服有点小，能换大一码吗").label
    'calm'
    >>> detect("怎么还没发货啊 我明天就要用").label
    'anxious'
    >>> e = detect("再不处理我就打12315投诉你们！！！")
    >>> e.label, e.threat
    ('angry', True)
    >>> detect("不急 慢慢来").label
    'calm'
    >>> detect("能退款吗", repeats=2).label
    'angry'
    """
    text = _NUMBER.sub(" ", fold(message))
    words = lexicon()
    signals = []
    for phrase in words["calm"]:  # a relaxed 急, a neutral question about 差评
        if phrase in text:
            text = text.replace(phrase, " ")
            signals.append(f"calm:{phrase}")

    def hits(section: str) -> list[str]:
        found = [w for w in words[section] if w in text]
        signals.extend(f"{section}:{w}" for w in found)
        return found

    threats = hits("threat")
    anger = 2 * (len(threats) + len(hits("insult")) + len(hits("exasperation")))
    anger += len(hits("annoyed"))
    worry = len(hits("anxious"))
    wants_human = bool(hits("human"))
    glad = hits("glad")
    shout = _SHOUT.search(text)
    if shout and ("?" in shout.group() or not glad):
        anger += 2 if "?" in shout.group() else 1
        signals.append("punctuation:" + shout.group())
    elif _PRESS.search(text) and not glad:
        worry += 1
        signals.append("punctuation:" + _PRESS.search(text).group())
    if _CHANT.search(text):
        anger += 2
        signals.append("chant:" + _CHANT.search(text).group(1))
    if repeats:
        signals.append(f"repeated:{repeats}")
        anger += 2 if repeats >= 2 else 0
        worry += 1
    if anger >= 2:
        label = "angry"
    elif anger or worry:
        label = "anxious"
    else:
        label = "calm"
    return Emotion(label, bool(threats), wants_human, signals)
