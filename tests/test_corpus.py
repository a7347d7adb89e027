"""Corpus validation (file, line, field, reason), all-or-nothing import, and the round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.corpus import export_corpus, import_corpus, read_corpus
from kb.errors import CorpusError
from kb.store import Store

from .conftest import MINI_TOPIC

# Each case: (text to replace in the mini topic file, replacement, line, field, reason)
BROKEN = [
    pytest.param("    title: 七天无理由退货\n", "", 5, "entries[0].title", "missing", id="missing"),
    pytest.param("id: return-quality\n", "id: return-7day\n", 17, "entries[1].id",
                 "duplicate id 'return-7day'", id="duplicate-id"),
    pytest.param("entries: [return-7day]", "entries: [return-nope]", 29, "cases[0].entries[0]",
                 "points to entry 'return-nope', which does not exist", id="dangling-case"),
    pytest.param("related: [return-quality]", "related: [return-gone]", 16,
                 "entries[0].related[0]", "points to entry 'return-gone'", id="dangling-related"),
    pytest.param("processes: [proc-refund]\n    related", "processes: [proc-x]\n    related", 15,
                 "entries[0].processes[0]", "points to process 'proc-x'", id="dangling-process"),
    pytest.param("    keywords:\n      七天无理由: [7天无理由, 七天退货]\n", "    keywords: {}\n",
                 10, "entries[0].keywords", "the lexicon is empty", id="empty-lexicon"),
    pytest.param("    keywords:\n      七天无理由: [7天无理由, 七天退货]\n", "", 5,
                 "entries[0].keywords", "missing", id="no-lexicon"),
    pytest.param("urgency: medium\n    processes: [proc-refund]\n    related",
                 "urgency: urgent\n    processes: [proc-refund]\n    related", 14,
                 "entries[0].urgency", "unknown value 'urgent'; choose from high, medium, low",
                 id="unknown-urgency"),
    pytest.param("handoff: if_upset", "handoff: sometimes", 25, "entries[1].handoff",
                 "choose from auto, always, if_upset", id="unknown-handoff"),
    pytest.param("handoff: if_upset", "handoff: always", 25, "entries[1].handoff_reason",
                 "missing: say why", id="always-without-reason"),
    pytest.param("outcome: resolved", "outcome: fine", 32, "cases[0].outcome",
                 "unknown value 'fine'", id="unknown-outcome"),
    pytest.param("    questions:\n      - 衣服开线了\n", "    questions: []\n", 19,
                 "entries[1].questions", "must not be empty", id="no-questions"),
    pytest.param("    urgency: medium\n    processes: [proc-refund]\n    related",
                 "    urgency: medium\n    valid_from: 2026-13-01\n    processes: [proc-refund]\n"
                 "    related", 15, "entries[0].valid_from", "not a date", id="bad-date"),
    pytest.param("    title: 七天无理由退货\n", "    title: 七天无理由退货\n    titel: x\n", 7,
                 "entries[0].titel", "unknown field; choose from id, title", id="unknown-field"),
    pytest.param("  - id: return-quality\n", "  - id: Return Quality\n", 17, "entries[1].id",
                 "is not an id", id="bad-id"),
    pytest.param("    solution: 亲，质量问题退货运费由商家承担。\n", "    solution: [a, b]\n", 23,
                 "entries[1].solution", "must be text, not a list", id="wrong-type"),
    pytest.param("      - 衣服开线了\n", "      - 衣服开线了\n     bad: [\n", 21, None,
                 "bad YAML", id="bad-yaml"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "line", "field", "reason"), BROKEN)
def test_each_error_names_file_line_field_and_reason(mini_corpus, old, new, line, field, reason):
    topic_file = mini_corpus / "returns.yaml"
    assert old in MINI_TOPIC
    topic_file.write_text(MINI_TOPIC.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_corpus(mini_corpus)
    matching = [e for e in err.value.errors if reason in e.reason]
    assert matching, [e.message for e in err.value.errors]
    error = matching[0]
    assert (error.file, error.line, error.field) == (str(topic_file), line, field)
    assert error.message.startswith(f"{topic_file}:{line}: ")


def test_duplicate_ids_across_files_name_both_places(mini_corpus):
    (mini_corpus / "more.yaml").write_text(
        "topic:\n  id: returns\n  name: again\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError) as err:
        read_corpus(mini_corpus)
    assert "duplicate id 'returns' (first defined at" in err.value.message


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
    with pytest.raises(CorpusError):
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
    # and exporting again writes identical files
    export_corpus(fresh, tmp_path / "again")
    for path in (tmp_path / "out").iterdir():
        assert (tmp_path / "again" / path.name).read_text("utf-8") == path.read_text("utf-8")
