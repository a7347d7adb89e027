"""The seed knowledge base and the labelled query set are as big and as complete as promised."""

from __future__ import annotations

from collections import Counter

from kb.model import CASE_OUTCOMES

from .conftest import ROOT


def test_seed_corpus_size(seed_store):
    totals = seed_store.totals()
    assert totals["topics"] >= 12
    assert totals["entries"] >= 80
    assert totals["cases"] >= 150
    assert totals["processes"] >= 8


def test_every_entry_is_complete(seed_store):
    for entry in seed_store.entries():
        assert len(entry.questions) >= 4, entry.id
        assert len(entry.keywords) >= 2, entry.id
        assert any(entry.keywords.values()), f"{entry.id} has no synonyms"
        assert entry.processes, entry.id
        assert entry.related, entry.id
        assert len(entry.solution) >= 40, entry.id
    assert seed_store.entries_missing() == {"cases": [], "keywords": [], "processes": []}


def test_the_phrasings_are_realistic(seed_store):
    questions = [q for e in seed_store.entries() for q in e.questions]
    traditional = set("們這個麼還貨嗎單買賣運費於難說話發錢")
    assert sum(any(c in traditional for c in q) for q in questions) >= 40
    assert sum(any(c.isdigit() for c in q) and len(q) >= 30 for q in questions) >= 40
    assert sum(len(q) <= 6 for q in questions) >= 40


def test_case_outcomes_vary(seed_store):
    outcomes = Counter(c.outcome for c in seed_store.cases())
    assert set(outcomes) == set(CASE_OUTCOMES)


def test_labelled_queries(seed_store):
    lines = (ROOT / "tests/data/queries.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 300
    labels = [line.split("\t")[1] for line in lines]
    assert all(len(line.split("\t")) == 2 for line in lines)
    assert sum(label == "OUT" for label in labels) >= 40
    ids = seed_store.ids("entries")
    used = Counter(i for label in labels if label != "OUT" for i in label.split("|"))
    assert set(used) <= ids, set(used) - ids
    assert set(used) == ids, f"entries no query asks for: {ids - set(used)}"
