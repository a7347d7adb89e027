"""Pinyin typed with the input method off is read as the knowledge base's words: through the
engine on the seed corpus, the guards that keep names and English as typed, and an edit's new
word read at once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb.search.embed import FakeEmbedder
from kb.search.engine import Engine

from ..conftest import copy_db


@pytest.mark.parametrize("typed, meant, entry_id", [
    ("fapiao zenme kai", "发票怎么开", "invoice-request"),
    ("Fa Piao Tai Tou Kai Cuo Le", "发票抬头开错了", "invoice-reissue"),
    ("wo de kuaidi dao na le", "我的快递到哪了", "logistics-tracking"),
    ("yunfeixian zenme lipei", "运费险怎么理赔", "return-freight-insurance"),
    ("xbox de fapiao zenme kai", "xbox 的发票怎么开", "invoice-request"),  # xbox spells nothing
])  # fmt: skip
def test_pinyin_is_read_as_the_words_that_sound_so(engine, typed, meant, entry_id):
    result = engine.search(typed)
    assert result.normalised == meant
    assert result.hits[0].entry.id == entry_id
    assert result.hits[0].entry.id == engine.search(meant).hits[0].entry.id


@pytest.mark.parametrize("message", [
    "mini款能退吗",  # glued to Chinese: a name or a model
    "iphone 屏幕碎了",  # no reading spells iphone
    "kai 发票",  # one syllable: as likely English (can, long) as pinyin
    "ok 好的",
    "can you help me",  # English: its bare syllables (can = ca + n) are not read alone
    "please refund my order",
])  # fmt: skip
def test_names_english_and_single_syllables_stay_as_typed(engine, message):
    assert engine.search(message).normalised == message


def _add_phrasing(live: Engine, phrasing: str) -> None:
    """An editor gives the invoice-request entry one more phrasing; the engine catches up."""
    entry = live.store.get_entry("invoice-request")
    live.store.save_entry(replace(entry, questions=[*entry.questions, phrasing]), "editor",
                          base_version=entry.version)  # fmt: skip
    live.refresh(wait=True)


def test_a_latin_word_the_knowledge_base_holds_stays_as_typed(seed_db, tmp_path):
    """Once an entry says 发票在waibao里开吗, the typed waibao is that name, not 外包."""
    live = Engine(copy_db(seed_db, tmp_path), FakeEmbedder())
    _add_phrasing(live, "发票在waibao里开吗")
    assert live.search("waibao fapiao").normalised == "waibao 发票"
    live.close()


def test_a_word_an_edit_adds_is_read_at_once(seed_db, tmp_path):
    """公章 is in no entry of the seed corpus; once an editor writes it, gongzhang reads so."""
    live = Engine(copy_db(seed_db, tmp_path), FakeEmbedder())
    assert live.search("gongzhang fapiao").normalised == "gongzhang fapiao"
    _add_phrasing(live, "发票能盖公章吗")
    assert live.search("gongzhang fapiao").normalised == "公章发票"
    live.close()
