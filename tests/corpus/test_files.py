"""Which files make a corpus: the one size limit, and never a file outside the folder."""

from __future__ import annotations

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
