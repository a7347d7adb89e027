"""The takeover monitor: rollups kept as events arrive, idempotent outcomes, flags and rewrites."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kb.authoring.monitor import Rules, flag_reports, monitor, report
from kb.corpus import import_corpus
from kb.errors import EntryNotFound, OutcomeConflict, RecommendationNotFound
from kb.model import Outcome, Recommendation
from kb.recommend.rules import reveals_gap, served

_ids = itertools.count()
RULES = {"served": served, "gap": reveals_gap}  # what Store.record_outcomes counts by
TODAY = dt.datetime.now(dt.UTC)


def rec(entry_id="return-7day", version=1, decision="answer", days_ago=0, query="能退吗"):
    at = (TODAY - dt.timedelta(days=days_ago)).isoformat(timespec="seconds")
    return Recommendation(
        id=f"r{next(_ids):08d}", created_at=at, query=query, normalised=query,
        decision=decision, reason="confident_match", emotion="calm", urgency="medium",
        confidence=0.9, entry_id=entry_id, entry_version=version, candidates=[entry_id],
    )  # fmt: skip


@pytest.fixture
def kb(store, mini_corpus):
    import_corpus(store, mini_corpus)
    return store


def serve(store, n, takeovers, **kwargs) -> list[Recommendation]:
    recs = [rec(**kwargs) for _ in range(n)]
    store.add_recommendations(recs, served=served)
    outcomes = [
        Outcome(r.id, "takeover", f"人工答复{i}", "return-quality")
        if i < takeovers
        else Outcome(r.id, "resolved")
        for i, r in enumerate(recs)
    ]
    report(store, outcomes, Rules())
    return recs


def test_rollups_count_served_and_outcomes_per_version_and_day(kb):
    serve(kb, 5, 2, days_ago=1)
    serve(kb, 3, 0)
    # a human's from the start: not served
    kb.add_recommendation(rec(decision="handoff"), served=served)
    (stats,) = kb.version_stats("0000")
    assert (stats.served, stats.takeovers, stats.resolved) == (8, 2, 6)
    days = kb.daily_stats("return-7day", "0000")
    assert [(d["served"], d["takeovers"]) for d in days] == [(5, 2), (3, 0)]
    assert sum(d["recommendations"] for d in kb.daily_totals("0000")) == 9


def test_a_repeated_report_counts_once(kb):
    (r,) = serve(kb, 1, 1)
    fresh, _ = kb.record_outcomes([Outcome(r.id, "takeover")], **RULES)
    assert fresh == [False]
    assert kb.version_stats("0000")[0].takeovers == 1


def test_a_bad_item_leaves_the_whole_batch_unwritten(kb):
    recs = [rec() for _ in range(3)]
    kb.add_recommendations(recs, served=served)
    kb.record_outcomes([Outcome(recs[0].id, "resolved")], **RULES)
    before = kb.version_stats("0000")
    with pytest.raises(RecommendationNotFound) as missing:
        kb.record_outcomes([Outcome(recs[1].id, "takeover"), Outcome("nope", "resolved")], **RULES)
    assert missing.value.index == 1
    with pytest.raises(OutcomeConflict):
        kb.record_outcomes([Outcome(recs[2].id, "takeover"), Outcome(recs[0].id, "takeover")],
                           **RULES)
    with pytest.raises(EntryNotFound):
        kb.record_outcomes([Outcome(recs[1].id, "takeover", None, "no-such-entry")], **RULES)
    assert kb.version_stats("0000") == before
    assert kb.recommendation(recs[1].id).outcome is None


def test_flag_needs_the_rate_over_the_threshold_and_the_minimum_sample(kb):
    serve(kb, 25, 10)  # 40% of 25: flagged
    serve(kb, 2, 1, entry_id="return-quality")  # 50% of 2: too few to judge
    rows = {r.stats.entry_id: r for r in monitor(kb, Rules())}
    assert rows["return-7day"].flagged and rows["return-7day"].judged
    assert not rows["return-quality"].flagged and not rows["return-quality"].judged
    assert not any(r.flagged for r in monitor(kb, Rules(threshold=0.45)) if r.flag is None)


def test_old_traffic_falls_out_of_the_window(kb):
    serve(kb, 25, 10, days_ago=20)
    assert monitor(kb, Rules(days=14)) == []
    assert monitor(kb, Rules(days=30))[0].stats.served == 25


def test_a_published_rewrite_closes_the_flag_and_is_measured_from_zero(kb):
    serve(kb, 25, 10)
    (flag,) = flag_reports(kb, Rules())
    assert flag.flag.status == "open" and flag.window.takeovers == 10
    assert [e.agent_reply for e in flag.evidence][:1] == ["人工答复9"]  # newest first
    assert {e.used_entry_id for e in flag.evidence} == {"return-quality"}

    entry = kb.get_entry("return-7day")
    entry.solution = "改写后的答复"
    saved, _ = kb.save_entry(entry, "editor-1", base_version=1)
    serve(kb, 20, 1, version=saved.version)

    assert flag_reports(kb, Rules()) == []  # no open flags
    (done,) = flag_reports(kb, Rules(), status="rewritten")
    assert done.flag.rewrite_version == 2
    assert (done.before.served, done.before.takeovers) == (25, 10)
    assert (done.after.version, done.after.served, done.after.takeovers) == (2, 20, 1)
    rows = {(r.stats.entry_id, r.stats.version): r for r in monitor(kb, Rules())}
    assert not rows[("return-7day", 2)].flagged and rows[("return-7day", 2)].live
    assert not rows[("return-7day", 1)].live


def test_a_takeover_with_no_entry_used_is_a_content_gap(kb):
    recs = [rec() for _ in range(2)]
    kb.add_recommendations(recs, served=served)
    kb.record_outcomes([Outcome(recs[0].id, "takeover"),
                        Outcome(recs[1].id, "takeover", None, "return-quality")], **RULES)
    assert [r.id for r in kb.gap_messages("0000")] == [recs[0].id]


def test_rolling_back_to_the_flagged_content_reopens_the_flag(kb):
    serve(kb, 25, 10)
    entry = kb.get_entry("return-7day")
    flagged_solution = entry.solution
    entry.solution = "改写后的答复"
    kb.save_entry(entry, "editor-1", base_version=1)
    assert flag_reports(kb, Rules()) == []  # the rewrite closed it
    back = kb.get_entry("return-7day")
    back.solution = flagged_solution  # v3: the flagged words again
    kb.save_entry(back, "editor-1", base_version=2)
    (reopened,) = flag_reports(kb, Rules())
    assert (reopened.flag.status, reopened.flag.version) == ("open", 1)
    assert reopened.flag.rewrite_version is None and reopened.flag.closed_at is None
    again = kb.get_entry("return-7day")
    again.solution = "第二次改写"
    kb.save_entry(again, "editor-1", base_version=3)
    assert flag_reports(kb, Rules()) == []
    (done,) = flag_reports(kb, Rules(), status="rewritten")
    assert done.flag.rewrite_version == 4
