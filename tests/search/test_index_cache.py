"""The index cache: a restart loads the indexes, applies what was saved meanwhile, and answers
exactly as an engine built from the store would; anything doubtful is built again."""

from __future__ import annotations

import gc
import pickle
import shutil
from dataclasses import replace

import pytest

from kb.model import Case
from kb.search import engine as engine_module
from kb.search import open_engine
from kb.search.embed import FakeEmbedder
from kb.search.engine import Engine
from kb.store import Store

from ..conftest import copy_db

QUERIES = ["退货运费谁出", "衣服没问题 就是不喜欢 想退", "價保怎麼申請", "发票抬头开错了能重开吗",
           "快递一直不更新", "今天天气怎么样", "盲盒抽到重复款能换吗", "鞋子大了一码"]  # fmt: skip


def answers(engine: Engine) -> list:
    """Everything a search shows, for QUERIES: hits with confidences and why, cases, rivals."""
    out = []
    for query in QUERIES:
        result = engine.search(query, top=10, cache=False)
        cases = [(c.case.id, c.score) for c in result.cases]
        out.append((result.confident, result.ambiguous, cases,
                    [(h.entry.id, h.entry.version, h.confidence, h.score, h.ranks, h.scores,
                      h.keywords, h.phrasing) for h in result.hits]))  # fmt: skip
    return out


@pytest.fixture
def db(seed_db, tmp_path):
    return copy_db(seed_db, tmp_path / "db")


def start(db, tmp_path) -> Engine:
    return Engine(db, FakeEmbedder(), index_cache=tmp_path / "cache")


@pytest.mark.parametrize("embedder", [FakeEmbedder(), None], ids=["hybrid", "lexical"])
def test_a_cold_start_writes_the_cache_and_a_warm_start_loads_it(db, tmp_path, embedder):
    first = Engine(db, embedder, index_cache=tmp_path / "cache")
    assert first.start == "built: no snapshot"
    assert first.indexed == len(first.entries) > 50
    assert (tmp_path / "cache" / "CURRENT").is_file()
    before = answers(first)
    first.close()
    second = Engine(db, embedder, index_cache=tmp_path / "cache")
    assert (second.start, second.indexed, second.encoded) == ("loaded", 0, 0)
    assert gc.get_freeze_count() > 0  # the loaded state, out of the collector's sight
    assert answers(second) == before
    second.close()
    assert gc.get_freeze_count() == 0  # given back: a closed engine can be collected


def test_a_topic_filter_after_a_warm_start_answers_as_a_build_and_unpacks_few_entries(
    db, tmp_path
):
    start(db, tmp_path).close()
    warm, cold = start(db, tmp_path), Engine(db, FakeEmbedder())
    for query in QUERIES:
        found = [[h.entry.id for h in e.search(query, topic=["returns"], cache=False).hits]
                 for e in (warm, cold)]  # fmt: skip
        assert found[0] == found[1]
    assert len(warm.entries._at) > len(warm.entries) / 2  # a filter reads no entry to filter
    warm.close()
    cold.close()


def edit(db, phrasing: str, retire: str | None = None) -> None:
    """Save a phrasing to return-exchange, retire an entry and add a case, as another
    process would."""
    store = Store(db)
    entry = store.get_entry("return-exchange")
    store.save_entry(replace(entry, questions=[*entry.questions, phrasing]), "editor",
                     base_version=entry.version)  # fmt: skip
    if retire:
        gone = store.get_entry(retire)
        store.save_entry(replace(gone, status="retired"), "editor", base_version=gone.version)
    store.upsert_case(Case("case-new", ["return-7day-no-reason"], "鞋子大了一码能退吗",
                           "引导申请七天无理由", "resolved"))  # fmt: skip
    store.close()


def test_edits_saved_while_down_are_applied_at_start(db, tmp_path):
    """As a running engine applies them: an edit's vectors are measured for hubness against
    the index as built (kb/search/dense.py), the others keep theirs, so a build from scratch
    may differ by a hair until the index is rebuilt."""
    start(db, tmp_path).close()
    running = Engine(db, FakeEmbedder())  # built before the edit, never stopped
    edit(db, "盲盒抽到重复款能换吗")
    warm = start(db, tmp_path)
    assert (warm.start, warm.indexed) == ("loaded", 1)  # only the edited entry
    assert "case-new" in warm.cases
    assert warm.search("盲盒抽到重复款能换吗").top.entry.id == "return-exchange"
    assert answers(warm) == answers(running)
    cold = Engine(db, FakeEmbedder())  # no cache: built from the store
    firsts = [[[h[0] for h in a[3][:3]] for a in answers(e)] for e in (warm, cold)]
    assert firsts[0] == firsts[1]  # the same first three for every query
    warm.close()
    running.close()
    cold.close()


def test_a_warm_start_answers_as_an_engine_that_never_stopped(db, tmp_path):
    """Retiring an entry leaves its keywords in the tokenizer, as it does in a running engine
    (a build from scratch no longer knows them): the start resumes that engine, not a build."""
    running = start(db, tmp_path)
    edit(db, "盲盒抽到重复款能换吗", retire="giftbox-bulk")
    warm = start(db, tmp_path)
    assert (warm.start, warm.indexed) == ("loaded", 1)  # the retired entry is only dropped
    assert "giftbox-bulk" not in warm.entries
    assert answers(warm) == answers(running)
    warm.close()
    running.close()


def test_a_long_running_engine_rewrites_the_cache_once_enough_changed(db, tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "RESAVE_AFTER", 1)
    first = start(db, tmp_path)
    written = (tmp_path / "cache" / "CURRENT").read_text()
    entry = first.store.get_entry("return-exchange")
    first.store.save_entry(replace(entry, title="换货（新）"), "editor", base_version=entry.version)
    first.search("换货")
    assert (tmp_path / "cache" / "CURRENT").read_text() != written
    first.close()
    assert (start(db, tmp_path).start, start(db, tmp_path).indexed) == ("loaded", 0)


def test_a_warm_engine_rewrites_what_it_never_read_and_the_next_start_answers_as_a_build(
    db, tmp_path, monkeypatch
):
    """A loaded engine keeps most entries packed (kb/search/packed.py); its own snapshot,
    written after an edit, must hold them as they were."""
    start(db, tmp_path).close()
    warm = start(db, tmp_path)
    assert warm.entries._at, "a warm start unpickled every entry"
    running = Engine(db, FakeEmbedder())  # built before the edit, never stopped
    monkeypatch.setattr(engine_module, "RESAVE_AFTER", 1)
    edit(db, "盲盒抽到重复款能换吗", retire="giftbox-bulk")
    warm.search("换货")  # applies the edit and rewrites the snapshot
    warm.close()
    again = start(db, tmp_path)
    assert (again.start, again.indexed) == ("loaded", 0)
    assert answers(again) == answers(running)
    again.close()
    running.close()


@pytest.mark.parametrize("damage", ["state.pickle", "dense.faiss", "key.json"])
@pytest.mark.parametrize("how", ["truncated", "missing"])
def test_a_damaged_cache_is_built_again_and_rewritten(db, tmp_path, damage, how):
    start(db, tmp_path).close()
    folder = tmp_path / "cache"
    snapshot = folder / (folder / "CURRENT").read_text().strip()
    if how == "missing":
        (snapshot / damage).unlink()
    else:
        (snapshot / damage).write_bytes((snapshot / damage).read_bytes()[:100])
    rebuilt = start(db, tmp_path)
    assert rebuilt.start.startswith("built: snapshot unreadable")
    assert rebuilt.indexed == len(rebuilt.entries)
    rebuilt.close()
    assert start(db, tmp_path).start == "loaded"


def test_a_crash_while_writing_leaves_the_previous_snapshot(db, tmp_path, monkeypatch):
    first = start(db, tmp_path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pickle, "dump", crash)
    with pytest.raises(KeyboardInterrupt):
        first.save_snapshot()
    monkeypatch.undo()
    first.close()
    assert start(db, tmp_path).start == "loaded"


def test_a_cache_of_another_embedder_or_another_database_is_never_used(db, seed_db, tmp_path):
    start(db, tmp_path).close()
    other = Engine(db, FakeEmbedder(dim=32), index_cache=tmp_path / "cache")
    assert other.start == "built: snapshot made with another dim"
    other.close()  # and wrote its own snapshot over the first
    copy = copy_db(seed_db, tmp_path / "copy")  # the same entries, another database
    elsewhere = start(copy, tmp_path)
    assert elsewhere.start == "built: snapshot made with another database, dim"
    assert elsewhere.indexed == len(elsewhere.entries)
    elsewhere.close()


def test_a_backup_put_back_is_not_taken_for_the_database_it_was_copied_from(db, tmp_path):
    start(db, tmp_path).close()
    shutil.copy(db, tmp_path / "backup.db")  # same identity, same change counter
    store = Store(db)
    entry = store.get_entry("return-exchange")
    store.save_entry(replace(entry, title="换货（改）"), "editor", base_version=entry.version)
    store.close()
    edited = start(db, tmp_path)
    edited.save_snapshot()  # the cache now saw the edit
    edited.close()
    shutil.copy(tmp_path / "backup.db", db)  # an operator copies the backup back by hand
    restored = start(db, tmp_path)
    assert restored.start.startswith("built: the database is not the one the snapshot saw")
    assert restored.entries["return-exchange"].title != "换货（改）"
    restored.close()


def test_a_restored_backup_is_another_database_to_the_cache(db, tmp_path):
    start(db, tmp_path).close()
    store = Store(db)
    store.backup(tmp_path / "backup.db")
    store.restore(tmp_path / "backup.db")
    store.close()
    assert start(db, tmp_path).start == "built: snapshot made with another database"


def test_the_setting_puts_the_cache_beside_the_database_or_turns_it_off(db):
    engine = open_engine({"db": str(db), "embedder": "fake"})
    assert engine.start == "built: no snapshot"
    assert (db.parent / "kb.db.index" / "CURRENT").is_file()
    engine.close()
    assert open_engine({"db": str(db), "embedder": "fake"}).start == "loaded"
    off = open_engine({"db": str(db), "embedder": "fake", "index_cache": "off"})
    assert (off.start, off.index_cache) == ("built: index cache off", None)
    off.close()


def test_a_replica_on_postgresql_restarts_from_its_snapshot_and_applies_the_edits_since(
    db, pg_url, tmp_path
):
    from kb.store import SqliteStore
    from kb.store.copy_store import copy_store

    copy_store(SqliteStore(db), Store(pg_url), lambda table: None)
    first = Engine(pg_url, None, index_cache=tmp_path / "cache")
    assert first.start == "built: no snapshot"
    first.close()
    store = Store(pg_url)
    entry = store.get_entry("invoice-request")
    store.save_entry(replace(entry, questions=[*entry.questions, "紫色独角兽"]), "editor")
    second = Engine(pg_url, None, index_cache=tmp_path / "cache")
    assert (second.start, second.indexed) == ("loaded", 1)  # only the edited entry
    assert second.search("紫色独角兽", cache=False).hits[0].entry.id == "invoice-request"
    second.close()
    store.close()
