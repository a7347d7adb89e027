"""Entries: versions, the live version, optimistic locking, atomicity, link order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb.errors import EntryNotFound, VersionConflict, VersionNotFound
from kb.model import Entry, Process, Topic
from kb.store import Store


def _entry(**changes) -> Entry:
    base = Entry(
        id="return-7day",
        topic="returns",
        title="七天无理由退货",
        questions=["不喜欢能退吗"],
        keywords={"七天无理由": ["7天无理由"]},
        solution="签收后 7 天内可退",
        processes=["proc-refund"],
    )
    return replace(base, **changes)


@pytest.fixture
def ready(store: Store) -> Store:
    with store.transaction():
        store.upsert_topic(Topic("returns", "退货退款"))
        store.upsert_process(Process("proc-refund", "退款流程", ["审核"]))
    return store


def test_every_change_is_a_new_version_and_old_ones_are_kept(ready: Store):
    first, added = ready.save_entry(_entry(), "alice")
    assert added and first.version == 1
    second, added = ready.save_entry(
        _entry(solution="签收后 7 天内可退，运费自理"), "bob", 1, "运费"
    )
    assert added and second.version == 2
    versions = ready.versions("return-7day")
    assert [(v.version, v.author, v.changed) for v in versions] == [
        (1, "alice", list(_entry().content())),
        (2, "bob", ["solution"]),
    ]
    assert versions[1].note == "运费"
    assert ready.entry_version("return-7day", 1).solution == "签收后 7 天内可退"
    assert ready.live_entry("return-7day").solution == "签收后 7 天内可退，运费自理"


def test_saving_identical_content_adds_no_version(ready: Store):
    ready.save_entry(_entry(), "alice")
    entry, added = ready.save_entry(_entry(), "alice")
    assert not added and entry.version == 1
    assert len(ready.versions("return-7day")) == 1


def test_a_draft_does_not_replace_the_live_version(ready: Store):
    ready.save_entry(_entry(), "alice")
    ready.save_entry(_entry(solution="草稿", status="draft"), "alice")
    assert ready.get_entry("return-7day").version == 2
    live = ready.live_entry("return-7day")
    assert (live.version, live.solution) == (1, "签收后 7 天内可退")
    listed = ready.entries(live_only=True)
    assert [(e.id, e.version, e.solution) for e in listed] == [
        ("return-7day", 1, "签收后 7 天内可退")
    ]


def test_retiring_removes_the_live_version(ready: Store):
    ready.save_entry(_entry(), "alice")
    ready.save_entry(_entry(status="retired"), "alice")
    assert ready.live_entry("return-7day") is None
    assert ready.entries(live_only=True) == []
    assert ready.count_entries() == 1


def test_a_stale_base_version_is_a_conflict_not_an_overwrite(ready: Store):
    ready.save_entry(_entry(), "alice")
    ready.save_entry(_entry(title="七天无理由"), "alice", base_version=1)
    with pytest.raises(VersionConflict) as err:
        ready.save_entry(_entry(title="bob's title"), "bob", base_version=1)
    assert (err.value.expected, err.value.actual) == (1, 2)
    assert ready.get_entry("return-7day").title == "七天无理由"


def test_unknown_entry_and_version(ready: Store):
    with pytest.raises(EntryNotFound):
        ready.get_entry("nope")
    ready.save_entry(_entry(), "alice")
    with pytest.raises(VersionNotFound):
        ready.entry_version("return-7day", 9)


def test_a_failed_transaction_writes_nothing(ready: Store, integrity_error):
    with pytest.raises(integrity_error), ready.transaction():
        ready.save_entry(_entry(), "alice")
        ready.save_entry(_entry(id="other", related=["missing-entry"]), "alice")
    assert ready.count_entries() == 0
    assert ready.db.execute("SELECT count(*) FROM entry_versions").fetchone()[0] == 0


def test_keywords_processes_relations_keep_their_order(ready: Store):
    ready.save_entry(_entry(), "a")
    ready.save_entry(
        _entry(id="b", keywords={"z词": ["1"], "a词": ["2", "3"]}, related=["return-7day"]), "a"
    )
    b = ready.get_entry("b")
    assert list(b.keywords.items()) == [("z词", ["1"]), ("a词", ["2", "3"])]
    assert b.related == ["return-7day"]


def test_more_entries_than_postgresql_takes_parameters_are_listed(pg_url):
    """65,535 bound parameters at most per statement: the engine lists every live entry at
    a full build, so a knowledge base past that must still be listed (with its links)."""
    store = Store(pg_url)
    store.upsert_topic(Topic("t", "话题"))
    n = 70_000
    store.db.execute(
        "INSERT INTO entries (id, topic_id, title, questions, solution, urgency, handoff, "
        "status, version, live_version, updated_at, updated_by) SELECT 'e' || lpad(i::text, "
        "6, '0'), 't', '标题', '[]', '答', 'low', 'none', 'published', 1, 1, '', 'test' "
        "FROM generate_series(1, ?) AS i", [n])  # fmt: skip
    store.db.execute("INSERT INTO keywords (entry_id, keyword, synonyms, position) "
                     "VALUES ('e070000', '退货', '[]', 0)")  # fmt: skip
    entries = store.entries(live_only=True)
    assert len(entries) == n and entries[-1].keywords == {"退货": []}
    store.close()


def test_entries_containing_match_id_or_title_on_both_backends(ready: Store):
    with ready.transaction():
        ready.save_entry(_entry(), "editor")
        ready.save_entry(_entry(id="return-quality", title="质量问题退货"), "editor")
        ready.save_entry(_entry(id="Refund_100%", title="百分百退款"), "editor")
    assert [e.id for e in ready.entries(containing="退货")] == ["return-7day", "return-quality"]
    assert [e.id for e in ready.entries(containing="RETURN-Q")] == ["return-quality"]
    assert [e.id for e in ready.entries(containing="_100%")] == ["Refund_100%"]
    assert ready.entries(containing=["un_"]) == [] and ready.entries(containing=["7%"]) == []
    assert ready.count_entries(live_only=True, containing="退") == 3


def test_a_title_saved_in_traditional_or_full_width_is_found_as_simplified(ready: Store):
    with ready.transaction():
        ready.save_entry(_entry(id="tw-return", title="海外購退貨政策"), "editor")
        ready.save_entry(_entry(id="wide", title="ＶＩＰ會員運費"), "editor")
    assert [e.id for e in ready.entries(containing="退货")] == ["tw-return"]
    assert [e.id for e in ready.entries(containing="退貨")] == ["tw-return"]
    assert [e.id for e in ready.entries(containing="vip会员")] == ["wide"]
    renamed = replace(ready.get_entry("wide"), title="普通會員運費")
    with ready.transaction():
        ready.save_entry(renamed, "editor")
    assert ready.entries(containing="vip") == []
    assert [e.id for e in ready.entries(containing="普通会员")] == ["wide"]
