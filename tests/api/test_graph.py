"""Graph-backed answers through the API: cases on search results, did-you-mean, graph shapes."""

from __future__ import annotations

import pytest


def test_a_quality_complaint_carries_the_allergy_cases(search_client):
    body = search_client.get("/api/v1/search", query_string={"q": "面霜用了脸上起红疹"}).get_json()
    assert body["results"][0]["id"] == "allergy-cosmetics"
    assert body["cases"], "search results carry similar cases"
    top_case = body["cases"][0]
    assert "allergy-cosmetics" in top_case["entries"]
    assert top_case["via"] == "allergy-cosmetics"
    assert top_case["why"][0].startswith("同一场景")
    assert {"id", "customer", "action", "outcome", "score"} <= set(top_case)


def test_between_two_return_scenarios_the_answer_names_the_separating_keyword(search_client):
    body = search_client.get(
        "/api/v1/search", query_string={"q": "我要退货 衣服有点问题"}
    ).get_json()
    ids = {body["results"][0]["id"]} | {a["entry_id"] for a in body["did_you_mean"]}
    assert ids == {"return-quality-problem", "return-7day-no-reason"}
    alternative = body["did_you_mean"][0]
    assert alternative["keyword"] and alternative["top_keyword"]
    assert alternative["keyword"] != alternative["top_keyword"]
    assert {alternative["keyword"], alternative["top_keyword"]} == {"七天无理由", "质量问题"}


def test_entry_graph_shape(search_client):
    body = search_client.get("/api/v1/entries/allergy-cosmetics/graph?depth=1").get_json()
    ids = {n["id"] for n in body["nodes"]}
    assert "entry:allergy-cosmetics" in ids and "process:proc-allergy" in ids
    assert {n["kind"] for n in body["nodes"]} >= {"entry", "topic", "keyword", "case", "process"}
    for link in body["links"]:
        assert link["source"] in ids and link["target"] in ids
        assert link["rel"] in {"contains", "recognised_by", "synonym_of", "resolved_with",
                               "follows", "related_to"}  # fmt: skip
    deeper = search_client.get("/api/v1/entries/allergy-cosmetics/graph?depth=2").get_json()
    assert len(deeper["nodes"]) > len(body["nodes"])


def test_graph_check_endpoint(search_client):
    body = search_client.get("/api/v1/graph/check").get_json()
    assert body["errors"] == 0
    assert body["warnings"] == len(body["findings"]) > 0
    assert {f["code"] for f in body["findings"]} == {"lexicon_conflict"}


def test_graph_check_of_one_code_names_its_entries_by_title(search_client):
    """A page lists one kind of finding, with every entry it names titled, whatever the size
    of the knowledge base (the conflicts page once titled only the first 200 entries)."""
    body = search_client.get("/api/v1/graph/check?code=lexicon_conflict").get_json()
    named = {n[6:] for f in body["findings"] for n in f["nodes"] if n.startswith("entry:")}
    assert body["findings"] and {f["code"] for f in body["findings"]} == {"lexicon_conflict"}
    assert set(body["titles"]) == named
    assert body["titles"]["return-7day-no-reason"] == "七天无理由退货"
    none = search_client.get("/api/v1/graph/check?code=unused_process").get_json()
    assert none["findings"] == [] and none["titles"] == {} and none["warnings"] == 0


@pytest.mark.parametrize(
    ("url", "status", "code", "field"),
    [
        ("/api/v1/entries/nope/graph", 404, "entry_not_found", "id"),
        ("/api/v1/entries/allergy-cosmetics/graph?depth=3", 400, "invalid_parameter", "depth"),
        ("/api/v1/entries/nope/cases", 404, "entry_not_found", "id"),
        ("/api/v1/entries/allergy-cosmetics/cases?top=0", 400, "invalid_parameter", "top"),
        ("/api/v1/graph/check?code=nope", 400, "invalid_parameter", "code"),
    ],
)
def test_graph_errors(search_client, url, status, code, field):
    response = search_client.get(url)
    assert response.status_code == status
    assert (response.get_json()["error"]["code"], response.get_json()["error"]["field"]) == (
        code,
        field,
    )
