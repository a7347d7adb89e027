"""What a recommendation's events count for: which served their entry, which reveal a gap.

Policy, not storage: the store counts what these rules say, and callers pass them in
(`Store.add_recommendations(recs, served=served)`, `record_outcomes(..., served=served,
gap=reveals_gap)`, `takeovers(..., served=served)`), so every backend counts alike.
"""

from __future__ import annotations


def served(decision: str, entry_id: str | None) -> bool:
    """Whether a recommendation served its entry, so that entry's takeover rate counts it.

    A handoff went to a human from the start, and an ask only asked for facts a human
    will need: the entry was never tried on the customer, so a takeover after either says
    nothing about the entry. No entry, nothing served.

    >>> served("answer", "return-7day"), served("suggest", "return-7day")
    (True, True)
    >>> served("handoff", "return-7day"), served("ask", "return-7day"), served("answer", None)
    (False, False, False)
    """
    return entry_id is not None and decision in ("answer", "suggest")


def reveals_gap(outcome: str, used_entry_id: str | None) -> bool:
    """Whether an outcome shows a content gap: a human took over and used no entry.

    The human answered from outside the knowledge base, so it holds no answer to that
    message, whatever the recommendation offered. A takeover naming the entry the human
    used is a phrasing the knowledge base missed, not a gap.

    >>> reveals_gap("takeover", None), reveals_gap("takeover", "return-quality")
    (True, False)
    >>> reveals_gap("resolved", None), reveals_gap("abandoned", None)
    (False, False)
    """
    return outcome == "takeover" and not used_entry_id
