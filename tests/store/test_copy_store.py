"""kb migrate-store: everything copied from SQLite to PostgreSQL, counts verified, ids kept
and continued, and a target that holds anything refused."""

from __future__ import annotations

import pytest

from kb.cli import cli
from kb.corpus import import_corpus
from kb.errors import InvalidParameter
from kb.model import Entry, Outcome, Recommendation, VersionStats
from kb.recommend.rules import reveals_gap, served
from kb.store import SqliteStore, Store
from kb.store.copy_store import copy_store
from kb.store.schema import SCHEMA_VERSION, expected_columns


@pytest.fixture
def source(db_path, mini_corpus) -> Store:
    """A SQLite store with something in every kind of table."""
    s = SqliteStore(db_path)
    import_corpus(s, mini_corpus)
    entry = s.get_entry("return-7day")
    s.save_entry(Entry(**{**vars(entry), "solution": "改写"}), "editor")
    s.add_recommendations([Recommendation(f"r{i}", "2026-11-20T10:00:00+00:00", "能退吗", "能退吗",
                                          "answer", "confident_match", "calm", "medium", 0.9,
                                          "return-7day", 1, ["return-7day"]) for i in range(3)],
                          served=served)  # fmt: skip
    s.record_outcomes([Outcome("r0", "takeover", None, "return-7day")], served=served,
                      gap=reveals_gap)  # fmt: skip
    s.open_flags([VersionStats("return-7day", 1, 3, 1)])
    s.add_key("bot", "bot", "abc123", "hash")
    s.add_label("return-7day", "鞋大了", "鞋大了", "strong", "r0")
    s.decide_keyword("return-7day", "鞋码", "rejected", "editor")
    s.put_embeddings("m", {"h": b"\x00\x01"})
    s.set_meta("calibration", "{}")
    return s


def _counts(store: Store) -> dict[str, int]:
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in expected_columns(SCHEMA_VERSION)}  # fmt: skip


def test_everything_is_copied_with_its_ids_and_new_ids_follow_them(source, pg_url):
    target = Store(pg_url)
    copied = copy_store(source, target, lambda table: None)
    assert all(copied[t] for t in expected_columns(SCHEMA_VERSION) if t != "handoffs")
    assert {t: n for t, n in _counts(target).items() if t != "meta"} == {
        t: n for t, n in _counts(source).items() if t != "meta"}  # fmt: skip
    assert [v.version for v in target.versions("return-7day")] == [1, 2]
    assert target.get_entry("return-7day") == source.get_entry("return-7day")
    assert target.recommendation("r0") == source.recommendation("r0")
    assert target.embeddings("m", ["h"]) == {"h": b"\x00\x01"}
    assert target.get_meta("calibration") == "{}"
    assert target.identity() != source.identity()  # caches of one are never taken for the other
    target.add_key("editor", "editor", "def456", "hash")  # ids continue past the copied ones
    assert [k["id"] for k in target.api_keys()] == [1, 2]
    assert target.open_flags([VersionStats("return-7day", 2, 3, 2)]) == [2]


def test_a_target_that_holds_anything_is_refused_and_left_as_it_was(source, pg_url, mini_corpus):
    target = Store(pg_url)
    target.set_meta("calibration", "mine")
    with pytest.raises(InvalidParameter) as err:
        copy_store(source, target, lambda table: None)
    assert "is not empty (meta 1)" in err.value.message
    assert target.get_meta("calibration") == "mine" and target.count_entries() == 0


def test_the_command_copies_and_reports_the_counts(source, pg_url, runner):
    result = runner.invoke(cli, ["migrate-store", "--from", str(source.path), "--to", pg_url])
    assert result.exit_code == 0, result.output
    assert "counts verified: api_keys 1, case_entries 1, cases 1," in result.output
    assert Store(pg_url).count_entries() == 2
    again = runner.invoke(cli, ["migrate-store", "--from", str(source.path), "--to", pg_url])
    assert again.exit_code == 1
    assert "is not empty" in again.output and "nothing was copied" in again.output
