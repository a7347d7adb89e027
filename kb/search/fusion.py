"""Fusing the retrievers' ranked lists into one ranking. Pure functions, checked by hand.

Reciprocal-rank fusion needs no calibration between retrievers whose scores live
on different scales (BM25 is unbounded, cosine is in [-1, 1]); each retriever's
weight says how much its opinion counts.
"""

from __future__ import annotations

# How the engine may fuse; the first is the default (rrf won on the labelled set;
# `kb eval --fusion` compares them).
FUSIONS = ("rrf", "weighted")


def rrf(
    rankings: dict[str, list[str]], weights: dict[str, float], k: float = 60.0
) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum of weight / (k + rank) over the lists an item is in.

    >>> scores = rrf({"a": ["x", "y"], "b": ["y"]}, {"a": 1.0, "b": 1.0}, k=1)
    >>> scores == {"x": 1 / 2, "y": 1 / 3 + 1 / 2}
    True
    """
    fused: dict[str, float] = {}
    for name, ranked in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, item in enumerate(ranked, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def weighted_sum(
    scores: dict[str, dict[str, float]], weights: dict[str, float]
) -> dict[str, float]:
    """Sum of each retriever's scores scaled to [0, 1] by its best score, times its weight.

    >>> weighted_sum({"a": {"x": 4.0, "y": 2.0}, "b": {"y": 0.5}}, {"a": 1.0, "b": 2.0})
    {'x': 1.0, 'y': 2.5}
    """
    fused: dict[str, float] = {}
    for name, by_item in scores.items():
        top = max(by_item.values(), default=0.0)
        if top <= 0:
            continue
        for item, score in by_item.items():
            fused[item] = fused.get(item, 0.0) + weights.get(name, 1.0) * max(score, 0.0) / top
    return fused
