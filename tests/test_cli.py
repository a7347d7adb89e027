"""The `kb` command through click's runner, on real database files."""

from __future__ import annotations

import json

from kb.cli import cli
from kb.store import Store


def test_init_import_stats_show_export(runner, mini_corpus, tmp_path):
    db = str(tmp_path / "cli.db")
    result = runner.invoke(cli, ["--db", db, "init"])
    assert result.exit_code == 0 and "schema version 6" in result.output

    result = runner.invoke(cli, ["--db", db, "import", str(mini_corpus)])
    assert result.exit_code == 0, result.output
    assert "entries: 2 new, 0 changed" in result.output

    stats = json.loads(runner.invoke(cli, ["--db", db, "stats", "--json"]).output)
    assert stats["totals"] == {"topics": 1, "entries": 2, "cases": 1, "processes": 1}
    assert stats["missing"]["cases"] == ["return-quality"]

    text = runner.invoke(cli, ["--db", db, "stats"]).output
    assert "1 topics, 2 entries, 1 cases, 1 processes" in text
    assert "entries with no cases: 1  return-quality" in text

    shown = runner.invoke(cli, ["--db", db, "entry", "show", "return-7day"])
    assert shown.exit_code == 0
    assert "七天无理由退货" in shown.output and "v1 published" in shown.output

    out = tmp_path / "out"
    assert runner.invoke(cli, ["--db", db, "export", str(out)]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["processes.yaml", "returns.yaml"]


def test_db_comes_from_the_environment(runner, mini_corpus, tmp_path):
    db = tmp_path / "env.db"
    result = runner.invoke(cli, ["import", str(mini_corpus)], env={"KB_DB": str(db)})
    assert result.exit_code == 0
    assert Store(db).count_entries() == 2


def test_errors_are_one_line_each_and_exit_non_zero(runner, mini_corpus, tmp_path):
    db = str(tmp_path / "cli.db")
    bad = mini_corpus / "returns.yaml"
    bad.write_text(bad.read_text("utf-8").replace("urgency: medium", "urgency: asap"), "utf-8")
    result = runner.invoke(cli, ["--db", db, "import", str(mini_corpus)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"error: {bad}:") for line in lines)
    assert "urgency: unknown value 'asap'" in lines[0]
    assert Store(db).count_entries() == 0

    missing = runner.invoke(cli, ["--db", db, "entry", "show", "nope"])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: no entry with id 'nope'"
