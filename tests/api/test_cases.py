"""Cases through the API: the ones worth reading for an entry, and saving one by the corpus
rules (every problem at once)."""

from __future__ import annotations

import pytest

from kb.api import create_app


@pytest.fixture
def editor(seed_store, with_key):
    client = create_app({"db": str(seed_store.path), "embedder": "none"}).test_client()
    return with_key(client, seed_store.path, "editor")


def test_entry_cases_ranked_against_a_message(search_client):
    body = search_client.get(
        "/api/v1/entries/allergy-cosmetics/cases", query_string={"q": "口红涂了嘴巴肿了", "top": 2}
    ).get_json()
    assert len(body["cases"]) == 2
    assert all("allergy-cosmetics" in c["entries"] for c in body["cases"])
    plain = search_client.get("/api/v1/entries/allergy-cosmetics/cases").get_json()
    assert len(plain["cases"]) >= 3


def test_a_case_is_saved_and_read_back(editor, seed_store):
    body = {"entries": ["allergy-cosmetics"], "customer": "面霜过敏了", "action": "退款并建议就医"}
    saved = editor.put("/api/v1/cases/case-allergy-new", json=body)
    assert saved.status_code == 200
    assert saved.json["case"] == body | {"id": "case-allergy-new", "outcome": "resolved",
                                         "date": None}  # fmt: skip
    assert "case-allergy-new" in [c.id for c in seed_store.cases("allergy-cosmetics")]


def test_a_bad_case_lists_every_problem_and_saves_nothing(editor, seed_store):
    body = {"entries": ["allergy-cosmetics", "nope"], "customer": "", "outcome": "fine"}
    response = editor.put("/api/v1/cases/case-bad", json=body)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "corpus_invalid"
    assert {e["field"] for e in error["errors"]} == {
        "case.entries[1]", "case.customer", "case.action", "case.outcome"}  # fmt: skip
    assert "case-bad" not in seed_store.ids("cases")


@pytest.mark.parametrize(("case_id", "date", "field"), [
    ("案例", None, "case.id"), ("a b", None, "case.id"), ("CASE-UPPER", None, "case.id"),
    ("case-ok", "2026-13-45", "case.date"),
])  # fmt: skip
def test_a_case_the_importer_would_refuse_is_refused(editor, seed_store, case_id, date, field):
    body = {"entries": ["allergy-cosmetics"], "customer": "面霜过敏了", "action": "退款",
            "date": date}  # fmt: skip
    response = editor.put(f"/api/v1/cases/{case_id}", json=body)
    assert response.status_code == 400
    assert [e["field"] for e in response.json["error"]["errors"]] == [field]
    assert case_id not in seed_store.ids("cases")
