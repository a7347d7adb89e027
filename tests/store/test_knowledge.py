"""Topics, processes, cases and ids."""

from __future__ import annotations

import pytest

from kb.corpus import import_corpus
from kb.errors import InvalidParameter, KbError, TopicNotFound
from kb.model import Case, Process, Topic
from kb.store import Store


@pytest.mark.parametrize(
    "kind, message",
    [
        ("entry", "unknown kind 'entry'; choose from 'topics', 'processes', 'entries', 'cases'"),
        ("flags", "unknown kind 'flags'; choose from 'topics', 'processes', 'entries', 'cases'"),
    ],
)
def test_ids_of_an_unknown_kind_is_a_kb_error_naming_the_valid_kinds(store: Store, kind, message):
    with pytest.raises(InvalidParameter) as err:
        store.ids(kind)
    assert isinstance(err.value, KbError)
    assert (err.value.message, err.value.field) == (message, "kind")


def test_upserts_replace_and_ids_list_them(store: Store):
    with store.transaction():
        store.upsert_topic(Topic("returns", "退货"))
        store.upsert_topic(Topic("returns", "退货退款", description="改名"))
        store.upsert_topic(Topic("overseas", "海外购退货", "returns"))
        store.upsert_process(Process("proc-refund", "退款流程", ["审核"]))
        store.upsert_process(Process("proc-refund", "退款流程", ["审核", "打款"]))
    assert store.topics() == [Topic("overseas", "海外购退货", "returns"),
                              Topic("returns", "退货退款", None, "改名")]  # fmt: skip
    assert store.processes() == [Process("proc-refund", "退款流程", ["审核", "打款"])]
    assert store.ids("topics") == {"returns", "overseas"}
    assert store.topic_subtree("returns") == ["returns", "overseas"]
    with pytest.raises(TopicNotFound):
        store.topic_subtree("nope")


def test_a_case_write_bumps_case_seq(store: Store, mini_corpus):
    import_corpus(store, mini_corpus)
    before = store.case_seq()
    entry_id = sorted(store.ids("entries"))[0]
    store.upsert_case(Case("c-new", [entry_id], "能退吗", "已退"))
    assert store.case_seq() == before + 1
    assert "c-new" in {c.id for c in store.cases(entry_id)}
