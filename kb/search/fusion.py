"""Fusing the retrievers' ranked lists into one ranking. Pure functions, checked by hand.

Retrievers score on different scales (BM25 is unbounded, cosine is in [-1, 1]), so
each list is put on [0, 1] before its weight counts. The default, a weighted sum of
scaled scores, keeps how far ahead a retriever's first answer is: a dense hit at
0.93 over a field at 0.80 counts more than one at 0.81 over 0.80, which ranks alone
cannot tell. Reciprocal-rank fusion is the alternative (`kb eval --fusion rrf`): on
the transfer sets it lost 1-4 points of hit@1 (benchmarks/transfer_eval.py).
"""

from __future__ import annotations

# How the engine may fuse; the first is the default (`kb eval --fusion` compares them).
FUSIONS = ("weighted", "rrf")


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
    ranked: dict[str, list[tuple[str, float]]], weights: dict[str, float], depth: int
) -> dict[str, float]:
    """Sum of each retriever's scores scaled to [0, 1], times its weight; an item nothing
    scores above its list's floor is left out (it would add 0).

    A list cut at `depth` is scaled between its first and its last score: the cut is
    arbitrary and its tail is the background every query meets (cosines rarely fall
    below 0.7). A shorter list holds everything its retriever found at all, so it is
    scaled from 0 (a single BM25 match counts fully).

    >>> weighted_sum({"bm25": [("a", 4.0), ("b", 2.0)],
    ...               "dense": [("b", 1.0), ("c", 0.75), ("d", 0.5)]},
    ...              {"bm25": 1.0, "dense": 2.0}, depth=3)
    {'a': 1.0, 'b': 2.5, 'c': 1.0}
    """
    fused: dict[str, float] = {}
    for name, pairs in ranked.items():
        if not pairs:
            continue
        top = max(score for _, score in pairs)
        floor = min(score for _, score in pairs) if len(pairs) >= depth else 0.0
        if top <= floor:
            floor = 0.0
        if top <= 0:
            continue
        scale = weights.get(name, 1.0) / (top - floor)
        for item, score in pairs:  # a plain loop: this runs on every search (28 µs, not 57)
            if score > floor:
                fused[item] = fused.get(item, 0.0) + (score - floor) * scale
    return fused
