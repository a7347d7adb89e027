"""Search quality on a labelled query file: ranking, and whether `confident` can be trusted.

The file is `query<TAB>entry ids joined by |`, or `query<TAB>OUT` for a message
the knowledge base cannot answer; it may come with any corpus. Ranking is hit@1,
hit@3 and MRR@10 over in-scope lines. A chatbot acts on the confident flag, so
the report also says how often it is raised (`coverage`), how often it is right
when raised (`answer_precision`), how often an OUT message raises it
(`out_false_confident`), and the precision the engine's confidence would give if
it answered the surest 50, 70 or 90% of messages (a risk-coverage summary).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.errors import CorpusError


@dataclass
class Labelled:
    query: str
    expected: set[str] | None  # None: OUT
    line: int


def read_labelled(path: str | Path, known: set[str] | None = None) -> list[Labelled]:
    """Parse the TSV; a malformed line or an unknown entry id is an error naming the line."""
    out = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise CorpusError(str(path), number, None, "expected query<TAB>ids or query<TAB>OUT")
        query, label = parts[0].strip(), parts[1].strip()
        expected = None if label == "OUT" else set(label.split("|"))
        if expected and known is not None and expected - known:
            raise CorpusError(
                str(path), number, "ids", f"unknown entry ids {sorted(expected - known)}"
            )
        out.append(Labelled(query, expected, number))
    return out


def evaluate(engine, labelled: Iterable[Labelled], retrievers=None) -> dict:
    """Run every query: hit@1, hit@3, MRR@10 in scope; for OUT lines, the share not confident.

    Some of the engine's retrievers (an ablation row) are fused and judged by a fit of their
    own (`Engine.calibrate(retrievers)`), as a knowledge base served by them alone would be.
    Judged by the hybrid's model, dense alone on the seed cut to one phrasing was confident
    on 90% of the messages at precision 0.81 and on a third of the OUT ones; fitted for
    itself, on 31% at 0.978 and on none (benchmarks/transfer_eval.py)."""
    if retrievers and set(retrievers) != set(engine.retrievers()):
        with engine.judged_by(engine.calibrate(list(retrievers))):
            return _evaluate(engine, labelled, retrievers)
    return _evaluate(engine, labelled, retrievers)


def _evaluate(engine, labelled: Iterable[Labelled], retrievers) -> dict:
    n = hit1 = hit3 = 0
    rr = 0.0
    out_n = out_recognised = 0
    confident_hits = 0
    scored: list[tuple[float, bool]] = []  # in scope: (top confidence, top is right)
    confident_right = []  # in scope, confident: is the top hit right?
    misses = []
    kwargs = {"retrievers": retrievers} if retrievers else {}
    for item in labelled:
        result = engine.search(item.query, top=10, **kwargs)
        ids = [h.entry.id for h in result.hits]
        if item.expected is None:
            out_n += 1
            out_recognised += not result.confident
            continue
        n += 1
        rank = next((i for i, e in enumerate(ids, start=1) if e in item.expected), None)
        hit1 += rank == 1
        hit3 += rank is not None and rank <= 3
        rr += 1.0 / rank if rank else 0.0
        confident_hits += rank == 1 and result.confident
        scored.append((result.top.confidence if result.top else 0.0, rank == 1))
        if result.confident:
            confident_right.append(rank == 1)
        if rank != 1:
            misses.append((item.line, item.query, sorted(item.expected), ids[:3]))
    return {
        "n": n,
        "hit@1": round(hit1 / n, 4) if n else 0.0,
        "hit@3": round(hit3 / n, 4) if n else 0.0,
        "mrr@10": round(rr / n, 4) if n else 0.0,
        "out_n": out_n,
        "out_recognised": round(out_recognised / out_n, 4) if out_n else 0.0,
        "confident@1": round(confident_hits / hit1, 4) if hit1 else 0.0,
        "coverage": round(len(confident_right) / n, 4) if n else 0.0,
        "answer_precision": _share(confident_right),
        "out_false_confident": round((out_n - out_recognised) / out_n, 4) if out_n else 0.0,
        **{f"precision@coverage{c}": precision_at_coverage(scored, c / 100) for c in COVERAGES},
        "misses": misses,
    }


COVERAGES = (50, 70, 90)  # the points of the risk-coverage summary, in percent


def precision_at_coverage(scored: list[tuple[float, bool]], coverage: float) -> float:
    """Share right among the surest `coverage` of (confidence, right) pairs; ties kept together.

    >>> pairs = [(0.9, True), (0.8, True), (0.7, False), (0.6, True)]
    >>> precision_at_coverage(pairs, 0.5), precision_at_coverage(pairs, 0.75)
    (1.0, 0.6667)
    >>> precision_at_coverage([(0.5, True), (0.5, False), (0.1, True)], 0.3)
    0.5
    """
    if not scored:
        return 0.0
    ordered = sorted(scored, key=lambda p: -p[0])
    take = max(1, math.ceil(coverage * len(ordered) - 1e-9))
    while take < len(ordered) and ordered[take][0] == ordered[take - 1][0]:
        take += 1
    return _share([right for _, right in ordered[:take]])


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def evaluate_cases(engine, labelled: Iterable[Labelled]) -> dict:
    """Similar-case quality: precision@3 and hit@3 of the cases attached to each search result."""
    n = 0
    precision = hit = 0.0
    for item in labelled:
        if item.expected is None:
            continue
        got = [c.case.id for c in engine.search(item.query).cases[:3]]
        found = len(set(got) & item.expected)
        n += 1
        precision += found / 3
        hit += found > 0
    return {
        "n": n,
        "case_precision@3": round(precision / n, 4) if n else 0.0,
        "case_hit@3": round(hit / n, 4) if n else 0.0,
    }
