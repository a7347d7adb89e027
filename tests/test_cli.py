"""The `kb` command through click's runner, on real database files."""

from __future__ import annotations

import json
import subprocess
import sys

import server as live

from kb.cli import cli
from kb.store import SCHEMA_VERSION, Store
from kb.text import display_width


def test_init_import_stats_show_export(runner, mini_corpus, tmp_path):
    db = str(tmp_path / "cli.db")
    result = runner.invoke(cli, ["--db", db, "init"])
    assert result.exit_code == 0 and f"schema version {SCHEMA_VERSION}" in result.output

    result = runner.invoke(cli, ["--db", db, "import", str(mini_corpus)])
    assert result.exit_code == 0, result.output
    assert "entries: 2 new, 0 changed" in result.output
    assert result.stderr.splitlines() == [f"reading and checking {mini_corpus} ...",
                                          "saving 2 entries and 1 cases ..."]  # fmt: skip

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
    lines = [line for line in result.stderr.strip().splitlines() if not line.endswith(" ...")]
    assert len(lines) == 2  # one per problem, beside the phase lines
    assert all(line.startswith(f"error: {bad}:") for line in lines)
    assert "urgency: unknown value 'asap'" in lines[0]
    assert Store(db).count_entries() == 0

    missing = runner.invoke(cli, ["--db", db, "entry", "show", "nope"])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: no entry with id 'nope'"


def test_config_names_the_layer_each_setting_came_from(runner, tmp_path):
    toml = tmp_path / "site.toml"
    toml.write_text("port = 9000\nthreads = 4\n", encoding="utf-8")
    env = {"KB_CONFIG": str(toml), "KB_THREADS": "2", "KB_DB": str(tmp_path / "env.db")}
    env |= {f"KB_{name.upper()}": None for name in ("host", "page_size_max", "port")}

    def shown(*args: str) -> dict:
        result = runner.invoke(cli, [*args, "config", "--json"], env=env)
        assert result.exit_code == 0, result.output
        return {name: (s["value"], s["source"]) for name, s in json.loads(result.output).items()}

    found = shown()
    assert found["page_size_max"] == (200, "default")
    assert found["host"] == ("127.0.0.1", "default")
    assert found["port"] == (9000, f"file {toml}")
    assert found["threads"] == (2, "environment KB_THREADS")  # the environment beats the file
    assert found["db"] == (str(tmp_path / "env.db"), "environment KB_DB")
    assert shown("--db", "opt.db")["db"] == ("opt.db", "command line")  # an option beats all

    table = runner.invoke(cli, ["config"], env=env).output.splitlines()
    assert table[0].split() == ["setting", "value", "source"]
    assert [line.split()[0] for line in table[1:]] == list(found)
    assert table[4].split()[:2] == ["port", "9000"] and table[4].endswith(f"file {toml}")


def test_db_after_the_command_is_the_same_option(runner, mini_corpus, tmp_path):
    db = tmp_path / "after.db"
    result = runner.invoke(cli, ["import", str(mini_corpus), "--db", str(db)])
    assert result.exit_code == 0, result.output
    store = Store(db)
    assert store.get_entry("return-7day").title
    store.close()
    shown = runner.invoke(cli, ["entry", "show", "return-7day", f"--db={db}"])
    assert shown.exit_code == 0 and "七天无理由退货" in shown.output


def test_an_empty_search_is_an_error(runner, tmp_path):
    result = runner.invoke(cli, ["--db", str(tmp_path / "e.db"), "search", "  "])
    assert result.exit_code == 1
    assert result.output.strip() == "error: QUERY is empty: give the customer's message"


def test_keys_list_aligns_chinese_names(runner, tmp_path):
    db = str(tmp_path / "k.db")
    for name in ("客服小王", "bot-1"):
        created = runner.invoke(
            cli, ["--db", db, "keys", "create", "--name", name, "--role", "agent"]
        )
        assert created.exit_code == 0, created.output
    lines = runner.invoke(cli, ["--db", db, "keys", "list"]).output.splitlines()
    role_columns = {display_width(line[: line.index(" agent ")]) for line in lines[1:]}
    assert len(lines) == 3 and len(role_columns) == 1  # the role column starts at one place


def test_suggestions_lists_what_traffic_taught(runner, seed_store):
    from kb.authoring.monitor import Rules, report
    from kb.model import Outcome
    from kb.recommend.recommend import Request, recommend
    from kb.search.engine import Engine

    engine = Engine(seed_store.path, None)
    made = recommend(engine, seed_store, Request("门口的快递被偷了找谁 订单4401928475522"))
    engine.close()
    report(seed_store, [Outcome(made.record.id, "takeover", None,
                                "logistics-signed-not-received")], Rules())  # fmt: skip
    db = ["--db", str(seed_store.path)]
    env = {"KB_EMBEDDER": "none"}
    shown = runner.invoke(cli, [*db, "suggestions"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "1 suggested phrasings" in shown.output and "门口的快递被偷了找谁" in shown.output
    assert "4401928475522" not in shown.output
    listed = json.loads(runner.invoke(cli, [*db, "suggestions", "--entry",
                                            "logistics-signed-not-received", "--json"],
                                      env=env).output)  # fmt: skip
    assert [(s["entry_id"], s["strong"]) for s in listed] == [("logistics-signed-not-received", 1)]
    missing = runner.invoke(cli, [*db, "suggestions", "--entry", "nope"], env=env)
    assert missing.exit_code != 0 and "nope" in missing.output


def test_suggestions_keywords_lists_the_words_learnt_phrasings_share(runner, seed_store):
    for i, text in enumerate(["发票上的单位名称写错了", "单位名称打错了能改吗"]):
        seed_store.add_label("invoice-reissue", text, text, "strong", f"r{i}")
    seed_store.add_label("return-shipping-fee", "退货运费谁出", "退货运费谁出", "strong", "r9")
    db, env = ["--db", str(seed_store.path)], {"KB_EMBEDDER": "none"}
    shown = runner.invoke(cli, [*db, "suggestions", "--keywords"], env=env)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("1 suggested keywords for 1 entries")
    assert "invoice-reissue" in shown.output and "单位名称" in shown.output
    listed = json.loads(runner.invoke(cli, [*db, "suggestions", "--keywords", "--entry",
                                            "return-shipping-fee", "--json"], env=env).output)
    assert listed == {"return-shipping-fee": []}


def test_the_commands_work_on_postgresql_and_backup_names_pg_dump(runner, mini_corpus, pg_url,
                                                                  tmp_path):  # fmt: skip
    assert runner.invoke(cli, ["--db", pg_url, "import", str(mini_corpus)]).exit_code == 0
    stats = json.loads(runner.invoke(cli, ["--db", pg_url, "stats", "--json"]).output)
    assert stats["totals"] == {"topics": 1, "entries": 2, "cases": 1, "processes": 1}
    found = runner.invoke(cli, ["--db", pg_url, "search", "衣服开线了"],
                          env={"KB_EMBEDDER": "none", "KB_INDEX_CACHE": "off"})
    assert found.exit_code == 0 and "1. return-quality" in found.output

    backup = runner.invoke(cli, ["--db", pg_url, "backup", str(tmp_path / "b" / "kb.dump")])
    assert backup.exit_code == 1 and not (tmp_path / "b").exists()
    assert backup.stderr == (f"error: kb backup copies a SQLite file; back up PostgreSQL with its "
                             f"own tool: pg_dump --format=custom --file={tmp_path}/b/kb.dump "
                             f"'{pg_url}'\n")  # fmt: skip
    dump = tmp_path / "kb.dump"
    dump.write_bytes(b"PGDMP")
    restore = runner.invoke(cli, ["--db", pg_url, "restore", str(dump)])
    assert restore.exit_code == 1 and "pg_restore --dbname=" in restore.stderr
    assert Store(pg_url).count_entries() == 2


def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path):
    port = live.free_port()  # nothing listens there
    url = f"postgresql://kb:secret@127.0.0.1:{port}/kb"
    result = subprocess.run([sys.executable, "-m", "kb.cli", "--db", url, "serve"],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot reach the database "
                                    f"postgresql://kb:***@127.0.0.1:{port}/kb: connection")
    assert result.stderr.count("\n") == 1 and "secret" not in result.stderr


def test_stats_lists_a_few_ids_of_a_long_list(runner, tmp_path):
    """A customer's import of thousands of entries without cases must not flood the terminal."""
    folder = tmp_path / "many"
    folder.mkdir()
    entries = "".join(
        f"- id: e{i:02d}\n  title: 问题{i}\n  questions: [问题{i}怎么办]\n"
        f"  keywords: {{问题{i}: []}}\n  solution: 答案{i}\n  urgency: medium\n"
        for i in range(25)
    )
    (folder / "t.yaml").write_text(f"topic: {{id: t, name: 测试}}\nentries:\n{entries}", "utf-8")
    db = str(tmp_path / "many.db")
    assert runner.invoke(cli, ["--db", db, "import", str(folder)]).exit_code == 0

    text = runner.invoke(cli, ["--db", db, "stats"]).output
    line = next(x for x in text.splitlines() if x.startswith("entries with no cases"))
    assert line == ("entries with no cases: 25  e00, e01, e02, e03, e04, e05, e06, e07, e08, e09"
                    " … and 15 more (--json lists all)")  # fmt: skip
    stats = json.loads(runner.invoke(cli, ["--db", db, "stats", "--json"]).output)
    assert stats["missing"]["cases"] == [f"e{i:02d}" for i in range(25)]
