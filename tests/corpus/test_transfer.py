"""Import (validated, all or nothing, idempotent) and export: a round trip changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.corpus import export_corpus, import_corpus
from kb.errors import ValidationFailed
from kb.recommend.routing import load_routing
from kb.store import Store


def test_references_may_point_into_the_database(mini_corpus, store):
    import_corpus(store, mini_corpus)
    extra = mini_corpus.parent / "extra.yaml"
    extra.write_text(
        "topic: {id: refunds, name: 退款}\n"
        "cases:\n  - {id: case-9, entries: [return-quality], customer: 开线, action: 退货}\n",
        encoding="utf-8",
    )
    counts = import_corpus(store, extra)
    assert counts["cases"] == 1
    assert [c.id for c in store.cases("return-quality")] == ["case-9"]


def _dump(store: Store) -> dict:
    """Everything the corpus holds, as stored: what a round trip must not change."""
    return {
        "topics": store.topics(),
        "processes": store.processes(),
        "entries": [(e.content(), e.version) for e in store.entries()],
        "cases": store.cases(),
    }


def test_a_failed_import_writes_nothing(mini_corpus, store):
    import_corpus(store, mini_corpus)
    before = _dump(store)
    # one good change and one bad file: neither may land
    good = (mini_corpus / "returns.yaml").read_text(encoding="utf-8").replace("开线了", "开线了吗")
    (mini_corpus / "returns.yaml").write_text(good, encoding="utf-8")
    (mini_corpus / "zz-bad.yaml").write_text(
        "topic: {id: bad, name: 坏}\nentries:\n  - id: x\n    title: t\n", encoding="utf-8"
    )
    with pytest.raises(ValidationFailed):
        import_corpus(store, mini_corpus)
    assert _dump(store) == before
    assert store.last_import()["entries_new"] == 2


def test_import_is_idempotent(mini_corpus, store):
    first = import_corpus(store, mini_corpus)
    again = import_corpus(store, mini_corpus)
    assert (first["entries_new"], again["entries_new"], again["entries_changed"]) == (2, 0, 0)
    assert [len(store.versions(e.id)) for e in store.entries()] == [1, 1]


def test_a_changed_file_adds_a_version_only_for_the_changed_entry(mini_corpus, store):
    import_corpus(store, mini_corpus)
    path = mini_corpus / "returns.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("开线了", "开线了吗"), "utf-8")
    counts = import_corpus(store, mini_corpus)
    assert counts["entries_changed"] == 1
    assert store.get_entry("return-quality").version == 2
    assert store.get_entry("return-7day").version == 1


def test_round_trip_of_the_seed_corpus_changes_nothing(seed_store, tmp_path: Path):
    before = _dump(seed_store)
    export_corpus(seed_store, tmp_path / "out")
    # into the same database: nothing changes, no version is added
    counts = import_corpus(seed_store, tmp_path / "out")
    assert (counts["entries_new"], counts["entries_changed"]) == (0, 0)
    assert _dump(seed_store) == before
    # into a fresh database: the same content
    fresh = Store(tmp_path / "fresh.db")
    import_corpus(fresh, tmp_path / "out")
    assert _dump(fresh) == before
    # needs and the routing travel too
    assert fresh.get_entry("allergy-cosmetics").needs == ["order_id", "product"]
    assert load_routing(fresh, fallback=False) == load_routing(seed_store, fallback=False)
    assert load_routing(fresh, fallback=False).queues[0].id == "after-sales"
    # and exporting again writes identical files
    export_corpus(fresh, tmp_path / "again")
    for path in (tmp_path / "out").iterdir():
        assert (tmp_path / "again" / path.name).read_text("utf-8") == path.read_text("utf-8")
