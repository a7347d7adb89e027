"""The search API: shapes for GET and POST, and every bad input as a JSON 400."""

from __future__ import annotations

import pytest


def test_get_search_answers_with_explained_results(search_client):
    body = search_client.get(
        "/api/v1/search", query_string={"q": "運費險怎麼理賠", "top": 3}
    ).get_json()
    assert body["normalised"] == "运费险怎么理赔"
    assert len(body["results"]) == 3
    top = body["results"][0]
    assert top["id"] == "return-freight-insurance"
    assert body["confident"] is True
    assert {"id", "title", "topic", "solution", "score", "confidence", "matched", "ranks"} <= set(
        top
    )
    assert top["matched"]["keywords"] and top["matched"]["phrasing"]
    ranked_by = {"bm25", "lexicon", "dense", "cases", "solution", "solution_dense"}
    assert set(top["ranks"]) == ranked_by


def test_a_scenario_the_message_contradicts_says_why_it_went_last(search_client):
    """The customer says it has shipped: the 未发货 cancellation is listed last, with why."""
    body = search_client.get("/api/v1/search", query_string={"q": "已经发货了 我想取消订单"}
                             ).get_json()  # fmt: skip
    results = body["results"]
    assert results[0]["id"] == "order-cancel-shipped" and results[0]["contradicts"] == []
    assert results[-1]["id"] == "order-cancel-unshipped"
    assert results[-1]["contradicts"] == ["已发货"]
    assert [r["id"] for r in results if r["contradicts"]] == ["order-cancel-unshipped"]


def test_a_vague_message_names_the_choices_recommend_would_offer(search_client):
    body = search_client.get("/api/v1/search", query_string={"q": "发票怎么弄"}).get_json()
    ids = [r["id"] for r in body["results"]]
    assert not body["confident"] and body["suggested"] == ids[: len(body["suggested"])]
    chosen = [r["confidence"] for r in body["results"][: len(body["suggested"])]]
    assert chosen and sum(chosen) >= body["suggest_floor"]
    assert "narrowed_to" not in body  # a need of its own, not just the topic's name
    far = search_client.get("/api/v1/search", query_string={"q": "今天天气怎么样"}).get_json()
    assert far["results"] and far["suggested"] == []


def test_a_message_that_only_names_a_topic_is_searched_within_it(search_client):
    body = search_client.get("/api/v1/search", query_string={"q": "我要退货"}).get_json()
    assert body["narrowed_to"] == {"id": "returns", "name": "退货退款"}
    topics = {r["topic"] for r in body["results"]}
    assert topics <= {"returns", "returns-cross-border"} and "returns" in topics
    assert not body["confident"]  # choices for the customer, not an answer
    assert body["suggested"] == [r["id"] for r in body["results"][:3]]
    chosen = search_client.get("/api/v1/search",
                               query_string={"q": "我要退货", "topic": "invoices"})  # fmt: skip
    assert "narrowed_to" not in chosen.get_json()  # the caller's own filter stands


def test_post_search_and_topic_filter(search_client):
    body = search_client.post(
        "/api/v1/search", json={"q": "钱什么时候退回来", "top": 5, "topic": "refunds"}
    ).get_json()
    assert body["results"] and {r["topic"] for r in body["results"]} == {"refunds"}


def test_post_accepts_query_as_the_key_too(search_client):
    body = search_client.post("/api/v1/search", json={"query": "发票怎么开"}).get_json()
    assert body["results"][0]["topic"] == "invoices"


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "field"),
    [
        ({"query_string": {}}, 400, "invalid_parameter", "q"),
        ({"query_string": {"q": "   "}}, 400, "invalid_parameter", "q"),
        ({"query_string": {"q": "退" * 501}}, 400, "invalid_parameter", "q"),
        ({"query_string": {"q": "退货", "top": "0"}}, 400, "invalid_parameter", "top"),
        ({"query_string": {"q": "退货", "top": "many"}}, 400, "invalid_parameter", "top"),
        ({"query_string": {"q": "退货", "top": "51"}}, 400, "invalid_parameter", "top"),
        ({"query_string": {"q": "退货", "topic": "nope"}}, 404, "topic_not_found", "topic"),
        ({"method": "POST", "json": {"q": "退货", "top": "3"}}, 400, "invalid_parameter", "top"),
        ({"method": "POST", "json": {"q": "退货", "top": True}}, 400, "invalid_parameter", "top"),
        ({"method": "POST", "json": ["退货"]}, 400, "invalid_parameter", "body"),
        ({"method": "POST", "data": "not json"}, 400, "invalid_parameter", "body"),
        ({"method": "POST", "json": {"q": 42}}, 400, "invalid_parameter", "q"),
        ({"method": "POST", "json": {"q": "退货", "topic": 7}}, 400, "invalid_parameter", "topic"),
    ],
)
def test_bad_input_is_a_json_error(search_client, kwargs, status, code, field):
    response = search_client.open("/api/v1/search", **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
