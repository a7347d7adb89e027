"""Input limits and paths: each limit is a clear 4xx (or a corpus error); nothing is written."""

from __future__ import annotations

import pytest

from kb import corpus
from kb.api import create_app
from kb.cli import cli
from kb.corpus import export_corpus, import_corpus
from kb.errors import CorpusError


@pytest.fixture
def small_app(seed_store, with_key):
    app = create_app({"db": str(seed_store.path), "embedder": "none", "request_max_bytes": 2000,
                      "feedback_batch_max": 3})  # fmt: skip
    return with_key(app.test_client(), seed_store.path)


def test_a_body_over_the_limit_is_a_json_413(small_app):
    response = small_app.post("/api/v1/recommend", json={"query": "退货" * 2000})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"


def test_a_batch_over_the_limit_is_refused(small_app):
    items = [{"recommendation_id": f"r{i}", "outcome": "resolved"} for i in range(4)]
    response = small_app.post("/api/v1/feedback/batch", json={"items": items})
    assert response.status_code == 400
    assert "limit is 3" in response.json["error"]["message"]


@pytest.mark.parametrize(("path", "limit"), [("/api/v1/entries?limit=201", "limit"),
                                            ("/api/v1/search?q=x&top=51", "top")])  # fmt: skip
def test_page_sizes_are_bounded(small_app, path, limit):
    response = small_app.get(path)
    assert response.status_code == 400 and response.json["error"]["field"] == limit


def test_import_refuses_a_symlink_out_of_the_folder(mini_corpus, tmp_path, runner, db_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("topic: {id: x, name: x}\n", encoding="utf-8")
    (mini_corpus / "sneaky.yaml").symlink_to(outside)
    result = runner.invoke(cli, ["--db", str(db_path), "import", str(mini_corpus)])
    assert result.exit_code == 1 and "points outside" in result.output


def test_import_refuses_an_oversized_file(mini_corpus, monkeypatch, store):
    monkeypatch.setattr(corpus, "FILE_MAX_BYTES", 100)
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
