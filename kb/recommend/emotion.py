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
# Asking for a person in words the lexicon's phrases cannot hold: 人工 or 真人 as the whole
# message or said twice, a refusal of the bot (别跟我扯机器人, 不要自动回复; 个/台/款 between
# means a product: 不要这个机器人了), asking whether it is a bot, and calling a manager
# (叫你们领导来; 需要主管审核 is a question about a process). Runs on folded text after the
# calm phrases (人工费, 扫地机器人) are cancelled.
_HUMAN = re.compile(
    r"^\W*(?:人工|真人|活人)(?:客服)?[啊呀吧嘛]?\W*$"
    r"|人工\W*(?:人工|在吗|在么|在不在|在哪|呢)"
    r"|(?:别|不要|不想|不用|不需要|不和|不跟|少|滚|拒绝)[^,.!?;。个台款只]{0,6}?"
    r"(?:机器人|自动回复|智能客服|ai客服)"
    r"|(?:你|你们|您|客服)(?:到底)?(?:是不是|是|就是)(?:个)?(?:机器人|ai)"
    r"|(?:机器人|自动回复)\W*(?:滚|闭嘴|别说了|别回了)"
    r"|(?<!需)(?:叫|找|让|请|喊|换|要|把)(?:你们|你)?的?(?:领导|主管|经理|负责人|上级|上司)"
    r"|(?:你们|你)的?(?:领导|主管|经理|负责人|上级|上司)(?:呢|在哪|出来|过来|来|跟我|和我|联系我)"
)
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
    >>> detect("别跟我扯机器人 叫你们领导来").wants_human, detect("安装要人工费吗").wants_human
    (True, False)
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
    if not wants_human and (asked := _HUMAN.search(text)) is not None:
        wants_human = True
        signals.append("human:" + asked.group().strip())
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
