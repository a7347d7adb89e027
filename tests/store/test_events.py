"""Events: the store counts by the rules it is given (served, gap), not by rules of its own."""

from __future__ import annotations

import pytest

from kb.corpus import import_corpus
from kb.model import Outcome, Recommendation
from kb.recommend.rules import reveals_gap, served
from kb.store import Store


def rec(rec_id: str, decision: str = "answer", entry_id: str | None = "return-7day"):
    return Recommendation(rec_id, "2026-11-20T10:00:00+00:00", "能退吗", "能退吗", decision,
                          "confident_match", "calm", "medium", 0.9, entry_id,
                          1 if entry_id else None, [entry_id] if entry_id else [])  # fmt: skip


@pytest.fixture
def kb(store: Store, mini_corpus) -> Store:
    import_corpus(store, mini_corpus)
    return store


def test_served_and_takeovers_follow_the_rule_given(kb: Store):
    kb.add_recommendations([rec("a"), rec("h", "handoff"), rec("n", entry_id=None)], served=served)
    kb.record_outcomes([Outcome(i, "takeover", None, "return-quality") for i in "ahn"],
                       served=served, gap=reveals_gap)  # fmt: skip
    (stats,) = kb.version_stats("0000")
    assert (stats.served, stats.takeovers) == (1, 1)
    assert [r.id for r in kb.takeovers("return-7day", 1, served=served)] == ["a"]
    (day,) = kb.daily_totals("0000")
    assert (day["recommendations"], day["answer"], day["handoff"], day["takeover"]) == (3, 2, 1, 3)


def test_another_rule_counts_otherwise(kb: Store):
    def everything(decision, entry_id):
        return entry_id is not None

    kb.add_recommendations([rec("a"), rec("h", "handoff")], served=everything)
    fresh, touched = kb.record_outcomes([Outcome("h", "takeover")], served=everything,
                                        gap=lambda outcome, used: False)  # fmt: skip
    assert (fresh, touched) == ([True], {"return-7day"})
    assert kb.version_stats("0000")[0].served == 2
    assert [r.id for r in kb.takeovers("return-7day", 1, served=everything)] == ["h"]
    assert kb.gap_messages("0000") == []


def test_a_gap_is_counted_once(kb: Store):
    kb.add_recommendations([rec("a"), rec("b")], served=served)
    kb.record_outcomes([Outcome("a", "takeover"), Outcome("a", "takeover"),
                        Outcome("b", "resolved")], served=served, gap=reveals_gap)  # fmt: skip
    assert [r.id for r in kb.gap_messages("0000")] == ["a"]
    assert kb.daily_totals("0000")[0]["gaps"] == 1
