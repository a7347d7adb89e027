"""Emotion detection on a labelled file: accuracy, per-label precision and recall, confusion."""

from __future__ import annotations

from pathlib import Path

from kb.errors import CorpusError
from kb.recommend.emotion import LABELS, detect
from kb.search.evaluate import Labelled


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


def evaluate_emotion(labelled: list[Labelled]) -> dict:
    """Accuracy, per-label precision and recall, and the confusion table of emotion detection."""
    confusion = {gold: dict.fromkeys(LABELS, 0) for gold in LABELS}
    misses, halves = [], {0: [0, 0], 1: [0, 0]}
    for item in labelled:
        (gold,) = item.expected
        got = detect(item.query).label
        confusion[gold][got] += 1
        halves[item.line % 2][0] += got == gold
        halves[item.line % 2][1] += 1
        if got != gold:
            misses.append((item.line, gold, got, item.query))
    n = len(labelled)
    labels = {}
    for label in LABELS:
        predicted = sum(confusion[g][label] for g in LABELS)
        labels[label] = {
            "n": sum(confusion[label].values()),
            "precision": confusion[label][label] / predicted if predicted else 0.0,
            "recall": confusion[label][label] / max(1, sum(confusion[label].values())),
        }
    return {
        "n": n,
        "accuracy": sum(confusion[x][x] for x in LABELS) / n if n else 0.0,
        "accuracy_odd": halves[1][0] / max(1, halves[1][1]),
        "accuracy_even": halves[0][0] / max(1, halves[0][1]),
        "labels": labels,
        "confusion": confusion,
        "misses": misses,
    }
