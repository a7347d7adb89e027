"""Recommend, feedback, flags, stats and gaps through the Flask app, on a real SQLite file."""

from __future__ import annotations

import pytest

from kb.api import create_app
from tests.api.conftest import recommend


def test_recommend_answers_with_an_id_to_report_on(api):
    made = recommend(api, "退货运费谁出", session_id="s1", channel="web",
                     customer={"tier": "vip"}, order={"status": "delivered"})  # fmt: skip
    assert made["decision"] == "answer" and made["reason"] == "confident_match"
    assert made["entries"][0]["id"] == "return-shipping-fee"
    assert made["emotion"]["label"] == "calm" and made["soothing_script"] == ""
    assert made["reason_text"] and made["urgency"] in ("high", "medium", "low")
    feedback = api.post("/api/v1/feedback", json={
        "recommendation_id": made["recommendation_id"], "outcome": "resolved"})  # fmt: skip
    assert feedback.status_code == 200 and feedback.json["recorded"] is True


def test_handoff_carries_the_reason_and_a_soothing_script(api):
    made = recommend(api, "再不给我退款我就去12315投诉你们！！！")
    assert (made["decision"], made["reason"], made["urgency"]) == (
        "handoff", "complaint_threat", "high")  # fmt: skip
    assert made["emotion"]["threat"] and made["soothing_script"]


def test_feedback_is_idempotent_and_a_different_outcome_conflicts(api):
    rec_id = recommend(api, "优惠券用不了")["recommendation_id"]
    body = {"recommendation_id": rec_id, "outcome": "takeover", "agent_reply": "已补发券"}
    assert api.post("/api/v1/feedback", json=body).json["recorded"] is True
    again = api.post("/api/v1/feedback", json=body)
    assert again.status_code == 200 and again.json["recorded"] is False
    other = api.post("/api/v1/feedback", json=body | {"outcome": "resolved"})
    assert other.status_code == 409 and other.json["error"]["code"] == "outcome_conflict"


@pytest.mark.parametrize(
    ("path", "body", "status", "code", "field"),
    [
        ("/api/v1/recommend", {}, 400, "invalid_parameter", "query"),
        ("/api/v1/recommend", {"query": "x" * 501}, 400, "invalid_parameter", "query"),
        ("/api/v1/recommend", {"query": "hi", "customer": "vip"}, 400, "invalid_parameter",
         "customer"),
        ("/api/v1/recommend", [1], 400, "invalid_parameter", "body"),
        ("/api/v1/feedback", {"recommendation_id": "nope", "outcome": "resolved"}, 404,
         "recommendation_not_found", "recommendation_id"),
        ("/api/v1/feedback", {"recommendation_id": "x", "outcome": "happy"}, 400,
         "invalid_parameter", "outcome"),
        ("/api/v1/feedback/batch", {"items": []}, 400, "invalid_parameter", "items"),
        ("/api/v1/feedback/batch", {"items": [{"recommendation_id": "x", "outcome": "meh"}]}, 400,
         "invalid_parameter", "items[0].outcome"),
    ],
)  # fmt: skip
def test_bad_requests_get_the_json_error(api, path, body, status, code, field):
    response = api.post(path, json=body)
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["field"] == field


@pytest.mark.parametrize("entry_id", ["nope", "return-shipping-fee"])
def test_agent_feedback_on_an_entry_with_no_live_version_is_404(api, entry_id):
    if entry_id == "return-shipping-fee":  # exists, but retired
        assert api.post(f"/api/v1/entries/{entry_id}/retire",
                        json={"base_version": 1}).status_code == 200  # fmt: skip
    body = {"query": "退货运费谁出", "entry_id": entry_id, "outcome": "resolved"}
    response = api.post("/api/v1/feedback/agent", json=body)
    assert response.status_code == 404
    error = response.json["error"]
    assert (error["code"], error["field"]) == ("entry_not_found", "entry_id")
    assert error["message"] == f"no live entry with id {entry_id!r}"


def test_agent_feedback_counts_against_the_live_version(api):
    body = {"query": "退货运费谁出", "entry_id": "return-shipping-fee", "outcome": "takeover"}
    response = api.post("/api/v1/feedback/agent", json=body)
    assert response.status_code == 200
    assert response.json["entry_id"] == "return-shipping-fee" and response.json["version"] == 1
    assert response.json["outcome"] == "takeover"


def test_a_batch_with_one_unknown_id_records_nothing(api):
    ids = [recommend(api, q)["recommendation_id"] for q in ("优惠券用不了", "发票怎么开")]
    items = [{"recommendation_id": i, "outcome": "resolved"} for i in ids]
    bad = api.post(
        "/api/v1/feedback/batch",
        json={"items": [*items, {"recommendation_id": "gone", "outcome": "resolved"}]},
    )
    assert bad.status_code == 404 and bad.json["error"]["field"] == "items[2].recommendation_id"
    good = api.post("/api/v1/feedback/batch", json={"items": items + items[:1]})
    assert good.json == {"received": 3, "recorded": 2, "duplicates": 1}


def test_takeovers_flag_the_entry_with_evidence_and_stats_per_version(api):
    items = []
    for i in range(20):
        rec_id = recommend(api, f"优惠券用不了 {i}")["recommendation_id"]
        outcome = "takeover" if i < 8 else "resolved"
        items.append(
            {
                "recommendation_id": rec_id,
                "outcome": outcome,
                "agent_reply": f"人工处理{i}",
                "used_entry_id": "promo-full-reduction",
            }
        )
    assert api.post("/api/v1/feedback/batch", json={"items": items}).status_code == 200
    flags = api.get("/api/v1/flags").json
    (flag,) = flags["flags"]
    assert flag["entry_id"] == "coupon-cannot-use" and flag["status"] == "open"
    assert (flag["window"]["served"], flag["window"]["takeovers"]) == (20, 8)
    assert flag["window"]["rate"] == 0.4 and flag["window"]["ci95"][0] < 0.4
    assert {e["used_entry_id"] for e in flag["evidence"]} == {"promo-full-reduction"}
    assert all(e["agent_reply"].startswith("人工处理") for e in flag["evidence"])
    assert flag["takeovers_from_sidebar"] == 0
    stats = api.get("/api/v1/entries/coupon-cannot-use/stats").json
    assert stats["versions"][0]["served"] == 20 and stats["versions"][0]["flagged"]
    assert sum(d["takeovers"] for d in stats["days"]) == 8
    assert api.get("/api/v1/flags?status=nonsense").status_code == 400
    assert api.get("/api/v1/entries/nope/stats").status_code == 404


def test_gaps_group_unanswered_messages(api):
    for q in ("能用隐私包装发货吗", "隐私包装发货可以吗", "能用隐私包装吗", "讲个笑话"):
        rec_id = recommend(api, q)["recommendation_id"]
        api.post("/api/v1/feedback", json={"recommendation_id": rec_id, "outcome": "takeover"})
    gaps = api.get("/api/v1/gaps").json["gaps"]
    assert gaps[0]["count"] == 3 and "隐私包装" in gaps[0]["label"]
    assert all("笑话" not in g["label"] for g in gaps)  # a single message is not a group


def test_an_agents_verdict_on_a_message_counts_once(api, seed_store, with_key):
    body = {"query": "退货运费谁出", "entry_id": "return-shipping-fee", "outcome": "takeover"}
    first = api.post("/api/v1/feedback/agent", json=body)
    again = api.post("/api/v1/feedback/agent", json=body | {"outcome": "resolved"})
    assert first.json["recorded"] is True and again.json["recorded"] is False
    assert again.json["recommendation_id"] == first.json["recommendation_id"]
    assert again.json["outcome"] == "takeover"
    other = create_app({"db": str(seed_store.path), "embedder": "none"}).test_client()
    other = with_key(other, seed_store.path, "agent")  # another agent: their own verdict
    assert other.post("/api/v1/feedback/agent", json=body).json["recorded"] is True
    stats = api.get("/api/v1/entries/return-shipping-fee/stats").json["versions"][0]
    assert (stats["served"], stats["takeovers"]) == (2, 2)


def test_a_flag_says_how_many_of_its_takeovers_agents_reported(api):
    for i in range(20):
        body = {"query": f"优惠券用不了 {i}", "entry_id": "coupon-cannot-use",
                "outcome": "takeover" if i < 8 else "resolved"}  # fmt: skip
        assert api.post("/api/v1/feedback/agent", json=body).json["recorded"] is True
    (flag,) = api.get("/api/v1/flags").json["flags"]
    assert flag["window"]["takeovers"] == 8 and flag["takeovers_from_sidebar"] == 8
