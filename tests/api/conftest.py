"""What the event-flow API tests share: a lexical-only client (no model to load) and recommend."""

from __future__ import annotations

import pytest

from kb.api import create_app


@pytest.fixture
def api(seed_store, with_key):
    """BM25 and lexicon only, an admin's key: these tests are about the event flow."""
    client = create_app({"db": str(seed_store.path), "embedder": "none"}).test_client()
    return with_key(client, seed_store.path)


def recommend(api, query: str, **body) -> dict:
    response = api.post("/api/v1/recommend", json={"query": query, **body})
    assert response.status_code == 200, response.json
    return response.json
