"""Labelled files: emotion detection (accuracy, per-label precision, recall, F1, confusion)
and facts extraction (precision and recall per field)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from kb.errors import CorpusError
from kb.model import FACTS
from kb.recommend.emotion import LABELS, detect
from kb.recommend.facts import message_facts
from kb.search.embed import Embedder
from kb.search.evaluate import Labelled
from kb.text import normalise


def read_emotions(path: str | Path) -> list[Labelled]:
    """label<TAB>message lines; `expected` holds the one label."""
    out = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        label, _, message = raw.partition("\t")
        if label not in LABELS or not message.strip():
            raise CorpusError(str(path), number, "label",
                              f"expected one of {', '.join(LABELS)}<TAB>message")  # fmt: skip
        out.append(Labelled(message.strip(), {label}, number))
    return out


def vectors_by(embedder: Embedder) -> Callable[[list[str]], list[np.ndarray | None]]:
    """Messages -> the query vectors the engine would compute (None where nothing is left)."""

    def encode(messages: list[str]) -> list[np.ndarray | None]:
        texts = sorted({t for t in map(normalise, messages) if t})
        found = dict(zip(texts, embedder.encode_queries(texts) if texts else [], strict=True))
        return [found.get(normalise(m)) for m in messages]

    return encode


def evaluate_emotion(labelled: list[Labelled], encode=None) -> dict:
    """Accuracy, per-label precision, recall and F1, macro-F1 and the confusion table.

    `encode` (see `vectors_by`) gives the learned model its vectors; without it the lexicon
    decides alone.
    """
    confusion = {gold: dict.fromkeys(LABELS, 0) for gold in LABELS}
    misses, halves = [], {0: [0, 0], 1: [0, 0]}
    vectors = encode([i.query for i in labelled]) if encode else [None] * len(labelled)
    for item, vector in zip(labelled, vectors, strict=True):
        (gold,) = item.expected
        got = detect(item.query, vector=vector).label
        confusion[gold][got] += 1
        halves[item.line % 2][0] += got == gold
        halves[item.line % 2][1] += 1
        if got != gold:
            misses.append((item.line, gold, got, item.query))
    n = len(labelled)
    labels = {}
    for label in LABELS:
        predicted = sum(confusion[g][label] for g in LABELS)
        precision = confusion[label][label] / predicted if predicted else 0.0
        recall = confusion[label][label] / max(1, sum(confusion[label].values()))
        labels[label] = {
            "n": sum(confusion[label].values()),
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        }
    return {
        "n": n,
        "accuracy": sum(confusion[x][x] for x in LABELS) / n if n else 0.0,
        "accuracy_odd": halves[1][0] / max(1, halves[1][1]),
        "accuracy_even": halves[0][0] / max(1, halves[0][1]),
        "macro_f1": sum(v["f1"] for v in labels.values()) / len(LABELS),
        "labels": labels,
        "confusion": confusion,
        "misses": misses,
    }


def read_facts(path: str | Path) -> list[tuple[int, str, dict[str, set[str]]]]:
    """message<TAB>facts lines (tests/data/facts.tsv says how): (line, message, facts)."""
    out = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        message, _, labels = raw.partition("\t")
        facts: dict[str, set[str]] = {}
        for pair in labels.split() if labels.strip() != "-" else []:
            fact, _, values = pair.partition("=")
            if fact not in FACTS or not values:
                raise CorpusError(str(path), number, "facts", f"{pair!r}: write fact=value with "
                                  f"a fact from {', '.join(FACTS)}")  # fmt: skip
            facts[fact] = set(values.split(","))
        if not message.strip() or not labels.strip():
            raise CorpusError(str(path), number, "facts", "expected message<TAB>facts (or -)")
        out.append((number, message.strip(), facts))
    return out


def evaluate_facts(labelled, products: frozenset[str] | None = None) -> dict:
    """Precision and recall per fact over every value; `problem` is judged present or not."""
    counts = {fact: {"gold": 0, "found": 0, "right": 0} for fact in FACTS}
    misses = []
    for line, message, gold in labelled:
        got = {k: set(v) for k, v in message_facts(message, products).items()}
        if "problem" in got:
            got["problem"] = {"1"}
        for fact in FACTS:
            want, have = gold.get(fact, set()), got.get(fact, set())
            counts[fact]["gold"] += len(want)
            counts[fact]["found"] += len(have)
            counts[fact]["right"] += len(want & have)
            if want != have:
                misses.append((line, fact, sorted(want), sorted(have), message))
    fields = {
        fact: c | {"precision": c["right"] / c["found"] if c["found"] else None,
                   "recall": c["right"] / c["gold"] if c["gold"] else None}
        for fact, c in counts.items()
    }  # fmt: skip
    return {"n": len(labelled), "facts": fields, "misses": misses}
