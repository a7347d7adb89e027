"""`kb graph check`: clean on the seed corpus, and each planted defect found."""

from __future__ import annotations

import json
from dataclasses import replace

from kb.cli import cli
from kb.corpus import import_corpus
from kb.graph import LINT_CODES
from kb.graph.build import KnowledgeGraph
from kb.graph.lint import check
from kb.model import Topic


def test_the_seed_corpus_has_no_errors(runner, seed_store):
    result = runner.invoke(cli, ["--db", str(seed_store.path), "graph", "check"])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_planted_defects_are_found(runner, mini_corpus, store):
    import_corpus(store, mini_corpus)
    # a lexicon conflict: return-quality also claims 七天无理由's synonym
    quality = store.get_entry("return-quality")
    store.save_entry(replace(quality, keywords={**quality.keywords, "七天退货": []}), "t", 1)
    # a dangling case: its entry is retired
    seven = store.get_entry("return-7day")
    store.save_entry(replace(seven, status="retired"), "t", 1)
    # an orphan entry in a topic that sits in a cycle, so no root reaches it
    with store.transaction():
        store.upsert_topic(Topic("loop-a", "环A", "loop-b"))
        store.upsert_topic(Topic("loop-b", "环B", "loop-a"))
    store.save_entry(replace(quality, id="orphan", topic="loop-a", processes=[], related=[],
                             keywords={"孤儿词": []}), "t")  # fmt: skip

    findings = check(KnowledgeGraph.from_store(store))
    codes = {(f.code, tuple(f.nodes)) for f in findings}
    assert ("case_on_retired_entry", ("case:case-1", "entry:return-7day")) in codes
    assert ("unreachable_entry", ("entry:orphan",)) in codes
    assert ("orphan_entry", ("entry:orphan",)) in codes
    assert (
        any(c == "lexicon_conflict" and "kw:七天退货" in n for c, n in codes) is False
    )  # 7day is retired
    store.save_entry(replace(seven, status="published"), "t", 2)
    findings = check(KnowledgeGraph.from_store(store))
    conflict = [f for f in findings if f.code == "lexicon_conflict"]
    assert [f.nodes for f in conflict] == [
        ["kw:七天退货", "entry:return-7day", "entry:return-quality"]
    ]

    result = runner.invoke(cli, ["--db", str(store.path), "graph", "check", "--json"])
    assert result.exit_code == 1  # errors remain: the orphan is unreachable
    assert {f["code"] for f in json.loads(result.output)} >= {
        "unreachable_entry",
        "lexicon_conflict",
    }
    assert {f.code for f in findings} <= set(LINT_CODES)  # the filters offer every kind

    check_cli = ["--db", str(store.path), "graph", "check"]
    one = runner.invoke(cli, [*check_cli, "--code", "lexicon_conflict"])
    assert one.exit_code == 0  # the errors are of other kinds, not shown
    lines = one.output.strip().splitlines()
    assert lines[0].startswith("warning lexicon_conflict") and "七天退货" in lines[0]
    assert lines[-1] == "0 errors, 1 warnings: lexicon_conflict 1"
    every = runner.invoke(cli, check_cli)
    assert every.exit_code == 1 and "unreachable_entry 1" in every.output.splitlines()[-1]
    wrong = runner.invoke(cli, [*check_cli, "--code", "nope"])
    assert wrong.exit_code == 2 and "lexicon_conflict" in wrong.output
