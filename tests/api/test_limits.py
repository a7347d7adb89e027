"""Input limits: each is a clear 4xx in the error shape; nothing is written."""

from __future__ import annotations

import pytest

from kb.api import create_app


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
