"""Input-method typos: a query bigram no entry holds gains its homophone that entries hold."""

from __future__ import annotations

from kb.corpus import import_corpus
from kb.search import homophones
from kb.search.engine import Engine
from kb.store import Store


def test_a_homophone_typo_finds_the_entry_its_right_spelling_would(
    mini_corpus, db_path, monkeypatch
):
    store = Store(db_path)
    import_corpus(store, mini_corpus)
    store.close()
    engine = Engine(db_path, None)  # lexical: only the words can find it
    assert engine.search("我这个开线了", cache=False).top.entry.id == "return-quality"
    typed = engine.search("我这个开县了", cache=False)  # 开线 typed as 开县 (kai xian)
    assert typed.top is not None and typed.top.entry.id == "return-quality"
    monkeypatch.setattr(homophones, "corrections", lambda tokens, held: [])
    uncorrected = engine.search("我这个开县了", cache=False)
    assert uncorrected.top is None or uncorrected.top.entry.id != "return-quality"
    engine.close()


def test_only_bigrams_no_entry_holds_are_corrected_and_only_to_held_ones():
    held = {"#开线": 3, "#线了": 1, "#理由": 2, "#里游": 1}
    assert homophones.corrections(["#开线", "#线了"], held) == []  # spelt as held
    assert homophones.corrections(["#开县", "#县了"], held) == ["#开线", "#线了"]
    assert homophones.corrections(["#理游"], held) == ["#理由"]  # 里游 is held less
    assert homophones.corrections(["#天气"], held) == []  # no homophone is held
    assert homophones.corrections(["开县"], held) == []  # words are left to jieba
