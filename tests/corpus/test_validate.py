"""Corpus validation: each problem with its file, line, field and reason; JSON by the same rules."""

from __future__ import annotations

import pytest

from kb.corpus import case_from_data, entry_from_data, read_corpus
from kb.errors import ValidationFailed
from tests.conftest import MINI_TOPIC

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
    pytest.param("    handoff: if_upset\n", "    handoff: if_upset\n    needs:\n      - order_id\n"
                 "      - ordr_id\n", 28, "entries[1].needs[1]", "unknown fact 'ordr_id'; choose "
                 "from order_id, tracking_no, photos, product, problem, phone, amount, address, "
                 "date", id="unknown-fact"),
    pytest.param("    handoff: if_upset\n", "    handoff: if_upset\n    needs: [photos, photos]\n",
                 26, "entries[1].needs[1]", "'photos' is listed twice", id="fact-twice"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "line", "field", "reason"), BROKEN)
def test_each_error_names_file_line_field_and_reason(mini_corpus, old, new, line, field, reason):
    topic_file = mini_corpus / "returns.yaml"
    assert old in MINI_TOPIC
    topic_file.write_text(MINI_TOPIC.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
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
    with pytest.raises(ValidationFailed) as err:
        read_corpus(mini_corpus)
    assert "duplicate id 'returns' (first defined at" in err.value.message


def test_a_json_case_is_held_to_the_corpus_rules():
    known = {"entries": {"return-7day"}}
    case = case_from_data({"id": "case-2", "entries": ["return-7day"], "customer": "鞋小了",
                           "action": "换货"}, known)  # fmt: skip
    assert (case.outcome, case.date) == ("resolved", None)
    with pytest.raises(ValidationFailed) as err:
        case_from_data({"id": "Case 2", "entries": ["gone"], "customer": "x" * 2001,
                        "outcome": "fine", "date": "2026-1-1", "extra": 1}, known)  # fmt: skip
    reasons = {e.field: e.reason for e in err.value.errors}
    assert set(reasons) == {"case.id", "case.entries[0]", "case.customer", "case.action",
                            "case.outcome", "case.date", "case.extra"}  # fmt: skip
    assert reasons["case.entries[0]"] == "points to entry 'gone', which does not exist"
    assert reasons["case.customer"] == "is 2001 characters; the limit is 2000"
    assert err.value.message == err.value.errors[0].message


def test_a_json_entry_lists_every_problem_without_lines():
    with pytest.raises(ValidationFailed) as err:
        entry_from_data({"id": "x", "topic": "nope", "title": "t", "related": ["gone"]},
                        {"topics": {"returns"}})  # fmt: skip
    assert {e.field for e in err.value.errors} >= {"entry.topic", "entry.related[0]",
                                                   "entry.questions", "entry.solution"}  # fmt: skip
    assert all(e.line is None and e.file == "entry" for e in err.value.errors)


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"id": "a" * 201}, "entry.id", "is 201 characters; the limit is 200"),
    ({"questions": [f"问法{i}" for i in range(101)]}, "entry.questions",
     "holds 101 items; the limit is 100"),
])  # fmt: skip
def test_a_json_entry_is_bounded(change, field, reason):
    good = {"id": "x", "topic": "returns", "title": "t", "questions": ["q"],
            "keywords": {"k": []}, "solution": "s", "urgency": "low"}  # fmt: skip
    assert entry_from_data(good, {"topics": {"returns"}}).id == "x"
    with pytest.raises(ValidationFailed) as err:
        entry_from_data(good | change, {"topics": {"returns"}})
    assert [(e.field, e.reason) for e in err.value.errors] == [(field, reason)]


def test_a_json_entry_nested_past_the_stack_is_refused_not_a_recursion_error():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValidationFailed) as err:
        entry_from_data({"id": "x", "topic": "returns", "title": deep}, {"topics": {"returns"}})
    assert "entry.title" in {e.field for e in err.value.errors}


ROUTING = """\
routing:
  default: general
  queues:
    - id: after-sales
      name: 售后专员组
      topics: [returns]
      sla: {P1: 5, P2: 30}
    - id: general
      name: 综合客服组
"""

# Each case: (text to replace in the routing file, replacement, line, field, reason)
BROKEN_ROUTING = [
    pytest.param("topics: [returns]", "topics: [returns, refundz]", 6,
                 "routing.queues[0].topics[1]", "points to topic 'refundz', which does not exist",
                 id="unknown-topic"),
    pytest.param("default: general", "default: generl", 2, "routing.default",
                 "unknown queue 'generl'; choose from after-sales, general", id="unknown-queue"),
    pytest.param("{P1: 5, P2: 30}", "{P1: 5, P4: 30}", 7, "routing.queues[0].sla",
                 "unknown priority 'P4'; choose from P1, P2, P3", id="unknown-priority"),
    pytest.param("{P1: 5, P2: 30}", "{P1: soon}", 7, "routing.queues[0].sla",
                 "P1: 'soon' is not a number of minutes", id="sla-not-minutes"),
    pytest.param("      name: 综合客服组\n", "      name: 综合客服组\n      topics: [returns]\n",
                 10, "routing.queues[1].topics", "topic 'returns' is already served by queue "
                 "'after-sales'", id="topic-twice"),
    pytest.param("    - id: general\n", "    - id: after-sales\n", 8, "routing.queues[1].id",
                 "duplicate queue 'after-sales'", id="queue-twice"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "line", "field", "reason"), BROKEN_ROUTING)
def test_routing_errors_name_file_line_and_field(mini_corpus, old, new, line, field, reason):
    path = mini_corpus / "routing.yaml"
    assert old in ROUTING
    path.write_text(ROUTING.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as err:
        read_corpus(mini_corpus)
    matching = [e for e in err.value.errors if reason in e.reason]
    assert matching, [e.message for e in err.value.errors]
    assert (matching[0].file, matching[0].line, matching[0].field) == (str(path), line, field)


def test_routing_fills_in_the_default_slas(mini_corpus):
    (mini_corpus / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    routing = read_corpus(mini_corpus).routing
    assert routing.default == "general"
    assert [q.sla for q in routing.queues] == [{"P1": 5, "P2": 30, "P3": 240},
                                               {"P1": 10, "P2": 60, "P3": 240}]  # fmt: skip
