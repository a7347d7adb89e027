"""Which files make a corpus: the one size limit, and never a file outside the folder."""

from __future__ import annotations

import os

import pytest

from kb.cli import cli
from kb.corpus import export_corpus, files, import_corpus
from kb.errors import CorpusError


def test_import_refuses_a_symlink_out_of_the_folder(mini_corpus, tmp_path, runner, db_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("topic: {id: x, name: x}\n", encoding="utf-8")
    (mini_corpus / "sneaky.yaml").symlink_to(outside)
    result = runner.invoke(cli, ["--db", str(db_path), "import", str(mini_corpus)])
    assert result.exit_code == 1 and "points outside" in result.output


def test_import_refuses_an_oversized_file(mini_corpus, monkeypatch, store):
    monkeypatch.setattr(files, "FILE_MAX_BYTES", 100)
    with pytest.raises(CorpusError, match="a corpus file may be 100 at most"):
        import_corpus(store, mini_corpus)
    assert store.totals()["entries"] == 0


def test_export_never_follows_a_symlink_out_of_the_folder(mini_corpus, store, tmp_path):
    import_corpus(store, mini_corpus)
    out = tmp_path / "export"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    (out / "returns.yaml").symlink_to(victim)
    with pytest.raises(CorpusError, match="points outside"):
        export_corpus(store, out)
    assert victim.read_text() == "do not touch"


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("deep.yaml", lambda p: p.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n"),
     "nests too deep"),
    ("surrogate.yaml", lambda p: p.write_text('topic: {id: x, name: "退\\ud800货"}\n'),
     "'\\ud800', which is not a character"),
    ("t.yaml", lambda p: os.mkfifo(p), "is not a regular file"),
])  # fmt: skip
def test_import_refuses_what_is_not_a_corpus_file_in_one_line(tmp_path, runner, db_path, name,
                                                              make, reason):  # fmt: skip
    folder = tmp_path / "odd"
    folder.mkdir()
    make(folder / name)
    for path in (folder, folder / name):
        result = runner.invoke(cli, ["--db", str(db_path), "import", str(path)])
        assert result.exit_code == 1 and reason in result.output, result.output
        said = [line for line in result.output.splitlines() if not line.endswith(" ...")]
        assert len(said) == 1  # one line beside the phase lines, no traceback
