"""How sure the engine is of a hit, in [0, 1], from the evidence the retrievers already give.

A logistic blend of three signals, each on a scale that does not depend on the
corpus size: how close the query sits to one of the entry's phrasings in
embedding space, how much BM25 evidence it shares with the entry, and whether it
names one of the entry's own recognition words. The coefficients were fitted
(logistic regression, balanced classes) on tests/data/queries.tsv and rounded;
rank agreement and the margin over the runner-up added nothing once these were in.
An out-of-scope message (你们招聘客服吗) fails all three at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.search.engine import Hit

# multilingual-e5 puts any two Chinese sentences near 0.85; paraphrases sit above 0.91.
DENSE_CENTRE, DENSE_SCALE = 0.90, 0.03
DENSE_MISSING = 0.85  # the dense retriever ran but this entry was not in its top list
BM25_CENTRE = 2.3  # ln(1 + 9): a BM25 score of about 9 is the line between in and out


def confidence(hit: Hit, dense_used: bool) -> float:
    """Probability-like confidence that `hit` answers the query.

    >>> from types import SimpleNamespace as H
    >>> strong = H(scores={"dense": 0.94, "bm25": 20.0, "lexicon": 5.0})
    >>> confidence(strong, True) > 0.95
    True
    >>> chit_chat = H(scores={"dense": 0.87, "bm25": 3.0})
    >>> confidence(chit_chat, True) < 0.1
    True
    """
    z = -1.1
    if dense_used:
        dense = hit.scores.get("dense", DENSE_MISSING)
        z += 2.3 * (dense - DENSE_CENTRE) / DENSE_SCALE
    z += 1.7 * (math.log1p(hit.scores.get("bm25", 0.0)) - BM25_CENTRE)
    z += 1.3 * (hit.scores.get("lexicon", 0.0) > 0)
    return 1.0 / (1.0 + math.exp(-z))
