"""Each concern's SQL on both backends: flags, tickets, suggestions, keys and settings, the
embeddings cache, the change counter and the rollups' reads."""

from __future__ import annotations

import pytest

from kb.corpus import import_corpus
from kb.errors import KeyExists, SuggestionDecided, TicketConflict
from kb.model import Entry, Outcome, Recommendation, Ticket, VersionStats
from kb.recommend.rules import reveals_gap, served
from kb.store import Store


@pytest.fixture
def kb(store: Store, mini_corpus) -> Store:
    import_corpus(store, mini_corpus)
    return store


def _rec(rec_id: str, entry_id: str = "return-7day", day: str = "2026-11-20") -> Recommendation:
    return Recommendation(rec_id, f"{day}T10:00:00+00:00", "能退吗", "能退吗", "answer",
                          "confident_match", "calm", "medium", 0.8125, entry_id, 1,
                          [entry_id])  # fmt: skip


def test_flags_open_once_close_on_a_rewrite_and_reopen_on_a_rollback(kb: Store):
    stats = [VersionStats("return-7day", 1, 10, 5)]
    (first,) = kb.open_flags(stats, at="2026-11-20T00:00:00+00:00")
    assert kb.open_flags(stats) == []  # one flag per entry version
    entry = kb.get_entry("return-7day")
    kb.save_entry(Entry(**{**vars(entry), "solution": "改写"}), "editor")
    assert kb.close_rewritten_flags() == 1
    (flag,) = kb.flags(entry_id="return-7day")
    assert (flag.id, flag.status, flag.rewrite_version) == (first, "rewritten", 2)
    kb.save_entry(entry, "editor")  # back to the flagged content
    kb.close_rewritten_flags()
    assert [f.status for f in kb.flags()] == ["open"]


def test_a_ticket_is_taken_once_and_closed_once(kb: Store):
    kb.add_recommendations([_rec("r1")], served=served)
    kb.add_ticket(Ticket("r1", "2026-11-20T10:00:00+00:00", "售后", "P2",
                         "2026-11-20T10:30:00+00:00", "退货", {"order": "12**89"}, "calm",
                         [{"at": "10:00", "text": "能退吗"}], None, "", "asked", "s1"))  # fmt: skip
    assert [t.id for t in kb.tickets("售后")] == ["r1"]
    assert kb.session_ticket("s1").facts == {"order": "12**89"}
    kb.take_ticket("r1", "agent-a", "2026-11-20T10:05:00+00:00")
    with pytest.raises(TicketConflict):
        kb.take_ticket("r1", "agent-b", "2026-11-20T10:06:00+00:00")
    closed = kb.close_ticket("r1", "resolved", "已退", "2026-11-20T10:09:00+00:00")
    assert (closed.status, closed.taken_by, closed.agent_reply) == ("closed", "agent-a", "已退")
    assert kb.ticket_days("2026-11-01")[0]["queue"] == "售后"


def test_a_source_counts_once_towards_a_suggestion_and_a_verdict_is_given_once(kb: Store):
    kb.add_recommendations([_rec("r1")], served=served)
    kb.record_outcomes([Outcome("r1", "takeover", None, "return-7day")], served=served,
                       gap=reveals_gap)  # fmt: skip
    first = kb.add_label("return-7day", "鞋大了能退吗", "鞋大了能退吗", "strong", "r1", missed=True)
    again = kb.add_label("return-7day", "鞋大了能退吗", "鞋大了能退吗", "strong", "r1")
    assert (again.id, again.strong, again.missed) == (first.id, 1, 1)
    assert [s.id for s in kb.suggestions_from_takeovers("return-7day", 1)] == [first.id]
    assert kb.decide_suggestion(first.id, "accepted", "editor", 2).status == "accepted"
    with pytest.raises(SuggestionDecided):
        kb.decide_suggestion(first.id, "rejected", "editor")
    assert kb.suggestion("return-7day", first.id).accepted_version == 2


def test_pending_suggestions_are_summed_per_entry(kb: Store):
    kb.add_label("return-quality", "线头开了能退吗", "a", "strong", "r0", missed=True)
    kb.add_label("return-quality", "线头开了能退吗", "a", "weak", "r1")
    kb.add_label("return-7day", "鞋大了", "b", "weak", "r2", at="2026-11-20T10:00:00+00:00")
    done = kb.add_label("return-7day", "鞋小了", "c", "strong", "r3")
    kb.decide_suggestion(done.id, "rejected", "editor")
    rows = kb.pending_by_entry()
    assert [(r["entry_id"], r["suggestions"], r["strong"], r["weak"], r["missed"])
            for r in rows] == [("return-quality", 1, 1, 1, 1), ("return-7day", 1, 0, 1, 0)]
    assert rows[1]["last_seen"] == "2026-11-20T10:00:00+00:00"


def test_a_keyword_verdict_is_given_once_per_entry_and_word(kb: Store):
    kb.decide_keyword("return-7day", "运费险", "accepted", "editor", 2)
    kb.decide_keyword("return-7day", "要求", "rejected", "editor")
    kb.decide_keyword("return-quality", "运费险", "rejected", "editor")  # another entry's own
    assert kb.keyword_verdicts("return-7day") == {"运费险": "accepted", "要求": "rejected"}
    with pytest.raises(SuggestionDecided, match="accepted"):
        kb.decide_keyword("return-7day", "运费险", "rejected", "editor")
    assert kb.keyword_verdicts("return-7day")["运费险"] == "accepted"
    assert kb.keyword_verdicts("return-quality") == {"运费险": "rejected"}


def test_learnt_phrasings_elsewhere_are_counted_by_what_they_hold(kb: Store):
    kb.add_label("return-7day", "运费险能赔吗", "a", "strong", "r0")
    kb.add_label("return-quality", "有运费险吗", "b", "strong", "r1")
    kb.add_label("return-quality", "运费险怎么理赔", "c", "weak", "r2")
    rejected = kb.add_label("return-quality", "运费险是啥", "d", "strong", "r3")
    kb.decide_suggestion(rejected.id, "rejected", "editor")
    kb.add_label("return-quality", "打九折_100%", "e", "strong", "r4")
    assert kb.learnt_elsewhere("return-7day", ["运费险", "理赔", "_100%", "无"]) == {
        "运费险": 2, "理赔": 1, "_100%": 1, "无": 0}
    # % and _ are characters, not wildcards: 能赔 is not _赔, and only one text holds a %
    assert kb.learnt_elsewhere("return-quality", ["运费险", "_赔", "%"]) == {
        "运费险": 1, "_赔": 0, "%": 0}
    many = [f"词{i}" for i in range(150)] + ["理赔"]  # more than one pass counts
    assert kb.learnt_elsewhere("return-7day", many) == dict.fromkeys(many, 0) | {"理赔": 1}


def test_keys_settings_identity_and_the_imports_log(kb: Store):
    kb.add_key("bot", "bot", "abc123", "hash")
    with pytest.raises(KeyExists):
        kb.add_key("bot", "bot", "def456", "hash")
    kb.revoke_key("bot")
    kb.add_key("bot", "bot", "def456", "hash2")  # a revoked key's name may be given again
    assert [k["prefix"] for k in kb.api_keys()] == ["abc123", "def456"]
    assert kb.key_by_prefix("def456")["hash"] == "hash2"
    kb.set_meta("calibration", "1")
    kb.set_meta("calibration", "2")
    assert kb.get_meta("calibration") == "2"
    assert kb.identity() == kb.identity() != ""
    assert kb.last_import()["entries_new"] == 2
    assert kb.totals() == {"topics": 1, "entries": 2, "cases": 1, "processes": 1}
    assert kb.entries_missing()["cases"] == ["return-quality"]


def test_embeddings_are_cached_by_model_and_hash(kb: Store):
    vector = bytes(range(256)) * 2
    kb.put_embeddings("m", {"h1": vector, "h2": b"\x00"})
    kb.put_embeddings("m", {"h2": b"\x01"})
    assert kb.embeddings("m", ["h1", "h2", "h3"]) == {"h1": vector, "h2": b"\x01"}
    assert kb.embeddings("other", ["h1"]) == {}


def test_the_change_counter_orders_every_save(kb: Store):
    seqs = kb.entry_seqs()
    assert sorted(seqs.values()) == [1, 2]
    entry = kb.get_entry("return-quality")
    kb.save_entry(Entry(**{**vars(entry), "title": "质量问题"}), "editor")
    changed, newest = kb.changed_since(max(seqs.values()))
    assert (changed, newest) == (["return-quality"], 3)
    assert kb.seq_profile(newest) == (2, 1 + 3, 1 + 9)
    assert kb.seq_profile(2) == (1, 1, 1)


def test_the_rollups_read_what_the_events_counted(kb: Store):
    kb.add_recommendations([_rec("a"), _rec("b"), _rec("c", day="2026-11-21")], served=served)
    kb.record_outcomes([Outcome("a", "takeover"), Outcome("b", "resolved")], served=served,
                       gap=reveals_gap)  # fmt: skip
    assert kb.version_stats("2026-11-01") == [VersionStats("return-7day", 1, 3, 1, 1, 0)]
    assert [(d["day"], d["served"]) for d in kb.daily_stats("return-7day", "2026-11-01")] == [
        ("2026-11-20", 2), ("2026-11-21", 1)]  # fmt: skip
    assert kb.top_entries("2026-11-01")[0] == {"entry_id": "return-7day", "title": "七天无理由退货",
                                               "topic": "returns", "served": 3, "takeovers": 1}
    assert kb.topic_daily("2026-11-21") == [{"topic": "returns", "day": "2026-11-21",
                                             "served": 1, "takeovers": 0}]  # fmt: skip
    assert kb.count_recommendations() == 3
    assert kb.recommendation("a").confidence == 0.8125
    assert kb.topic_counts()[0]["entries"] == 2
