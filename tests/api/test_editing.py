"""Editing through the API: versions, optimistic locking with a diff, rollback, retire, preview."""

from __future__ import annotations

import threading

import pytest

from kb.api import create_app
from kb.search import built_engine


@pytest.fixture
def app_(seed_store):
    return create_app({"db": str(seed_store.path), "embedder": "none"})


@pytest.fixture
def editor(app_, with_key, seed_store):
    return with_key(app_.test_client(), seed_store.path, "editor")


def entry(client, entry_id="return-shipping-fee") -> dict:
    return client.get(f"/api/v1/entries/{entry_id}").json


def test_an_edit_is_a_new_version_by_the_key_holder(editor):
    before = entry(editor)["entry"]
    body = before | {
        "solution": "新的答复：退货运费由责任方承担。",
        "base_version": before["version"],
    }
    saved = editor.put("/api/v1/entries/return-shipping-fee", json=body)
    assert saved.status_code == 200 and saved.json["entry"]["version"] == before["version"] + 1
    after = entry(editor)
    assert after["versions"][-1]["author"].startswith("test-editor")
    assert after["versions"][-1]["changed"] == ["solution"]
    changes = editor.get("/api/v1/entries/return-shipping-fee/diff").json["changes"]
    assert [c["field"] for c in changes] == ["solution"]
    assert any(row["op"] in ("replace", "insert") for row in changes[0]["lines"])


def test_two_editors_saving_the_same_version_conflict(app_, with_key, seed_store):
    first = with_key(app_.test_client(), seed_store.path, "editor")
    second = with_key(app_.test_client(), seed_store.path, "editor")
    base = entry(first)["entry"]
    ok = first.put(
        "/api/v1/entries/return-shipping-fee",
        json=base | {"title": "退货运费谁出（新）", "base_version": base["version"]},
    )
    late = second.put("/api/v1/entries/return-shipping-fee",
                      json=base | {"urgency": "high", "base_version": base["version"]})  # fmt: skip
    assert ok.status_code == 200
    assert late.status_code == 409 and late.json["error"]["code"] == "version_conflict"
    assert late.json["current"]["title"] == "退货运费谁出（新）"
    assert [c["field"] for c in late.json["theirs"]] == ["title"]
    assert entry(first)["entry"]["urgency"] == base["urgency"]  # nothing overwritten


def test_every_validation_error_at_once(editor):
    base = entry(editor)["entry"]
    bad = base | {"title": "", "urgency": "urgent", "related": ["nope"],
                  "base_version": base["version"]}  # fmt: skip
    response = editor.put("/api/v1/entries/return-shipping-fee", json=bad)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json["error"]["errors"]}
    assert {"entry.title", "entry.urgency", "entry.related[0]"} <= fields
    assert entry(editor)["entry"]["version"] == base["version"]


def test_rollback_is_itself_a_new_version(editor):
    base = entry(editor)["entry"]
    editor.put("/api/v1/entries/return-shipping-fee",
               json=base | {"solution": "改坏了", "base_version": base["version"]})  # fmt: skip
    back = editor.post(
        "/api/v1/entries/return-shipping-fee/rollback",
        json={"version": base["version"], "base_version": base["version"] + 1},
    )
    assert back.status_code == 200
    now = entry(editor)
    assert now["entry"]["version"] == base["version"] + 2
    assert now["entry"]["solution"] == base["solution"]
    assert now["versions"][-1]["note"] == f"回滚到 v{base['version']}"


def test_retire_and_restore_change_what_customers_see(editor):
    query = {"q": "退货运费谁出", "top": 10}
    assert "return-shipping-fee" in [
        r["id"] for r in editor.get("/api/v1/search", query_string=query).json["results"]
    ]
    v = entry(editor)["entry"]["version"]
    assert editor.post("/api/v1/entries/return-shipping-fee/retire",
                       json={"base_version": v}).status_code == 200  # fmt: skip
    found = [r["id"] for r in editor.get("/api/v1/search", query_string=query).json["results"]]
    assert "return-shipping-fee" not in found
    editor.post("/api/v1/entries/return-shipping-fee/restore", json={"base_version": v + 1})
    found = [r["id"] for r in editor.get("/api/v1/search", query_string=query).json["results"]]
    assert "return-shipping-fee" in found


def test_a_save_answers_once_searches_see_it_even_mid_refresh(app_, editor):
    """A search does not wait for a refresh under way (the change follower's): the save
    must, or an agent searching right after it gets the old answer from the result cache."""
    query = {"q": "退货运费谁出", "top": 10}
    editor.get("/api/v1/search", query_string=query)  # the engine is built, the result cached
    engine = built_engine(app_)
    engine._refreshing.acquire()  # a refresh is under way (as the follower's would be)
    threading.Timer(1.0, engine._refreshing.release).start()
    before = entry(editor)["entry"]
    body = before | {"solution": "新的答复：运费险理赔到账。", "base_version": before["version"]}
    assert editor.put("/api/v1/entries/return-shipping-fee", json=body).status_code == 200
    found = editor.get("/api/v1/search", query_string=query).json["results"]
    hit = next(r for r in found if r["id"] == "return-shipping-fee")
    assert hit["solution"] == "新的答复：运费险理赔到账。"


def test_create_then_the_id_is_taken(editor):
    new = {"id": "privacy-packaging", "topic": "logistics", "title": "隐私包装发货",
           "questions": ["能用隐私包装发货吗"], "keywords": {"隐私包装": ["保密发货"]},
           "solution": "亲，可以在备注中注明隐私包装。", "urgency": "low"}  # fmt: skip
    created = editor.post("/api/v1/entries", json=new | {"note": "新场景"})
    assert created.status_code == 201 and created.json["entry"]["version"] == 1
    (version,) = editor.get("/api/v1/entries/privacy-packaging").json["versions"]
    assert version["note"] == "新场景"  # the editor's note, as the form sends it
    again = editor.post("/api/v1/entries", json=new)
    assert again.status_code == 409 and again.json["error"]["code"] == "entry_exists"


def test_preview_ranks_a_draft_before_saving(editor):
    draft = {"id": "privacy-packaging", "topic": "logistics", "title": "隐私包装发货",
             "questions": ["能用隐私包装发货吗", "外包装别写是什么东西"],
             "keywords": {"隐私包装": ["保密发货", "不写商品名"]},
             "solution": "亲，可以备注隐私包装。", "urgency": "low"}  # fmt: skip
    shown = editor.post(
        "/api/v1/entries/preview", json={"entry": draft, "query": "快递单上能不写商品名吗 保密发货"}
    ).json
    assert shown["rank"] == 1 and shown["results"][0]["draft"]
    # nothing was saved, and the live index is as it was
    assert editor.get("/api/v1/entries/privacy-packaging").status_code == 404
    found = editor.get("/api/v1/search", query_string={"q": "保密发货"}).json["results"]
    assert "privacy-packaging" not in [r["id"] for r in found]


def test_a_bot_cannot_edit_and_an_agent_cannot_either(app_, with_key, seed_store):
    for role in ("bot", "agent"):
        client = with_key(app_.test_client(), seed_store.path, role)
        response = client.put("/api/v1/entries/return-shipping-fee", json={"base_version": 1})
        assert response.status_code == 403


@pytest.mark.parametrize(("note", "status"), [
    ({"a": 1}, 400), (["x"], 400), (5, 400), ("x" * 501, 400), ("修正运费说明", 200),
])  # fmt: skip
def test_a_note_is_a_line_of_text(editor, note, status):
    base = entry(editor)["entry"]
    response = editor.put("/api/v1/entries/return-shipping-fee",
                          json=base | {"title": "新标题", "base_version": base["version"],
                                       "note": note})  # fmt: skip
    assert response.status_code == status, response.json
    versions = entry(editor)["versions"]
    if status == 400:
        assert response.json["error"]["field"] == "note" and len(versions) == base["version"]
    else:
        assert versions[-1]["note"] == note


@pytest.mark.parametrize("draft_id", [["a"], {"a": 1}])
def test_a_preview_whose_id_is_not_text_is_a_400(editor, draft_id):
    draft = entry(editor)["entry"] | {"id": draft_id}
    response = editor.post("/api/v1/entries/preview", json={"entry": draft, "query": "运费"})
    assert response.status_code == 400, response.json
    assert "entry.id" in [e["field"] for e in response.json["error"]["errors"]]


def test_a_base_version_ahead_of_the_head_is_a_conflict(editor):
    base = entry(editor)["entry"]
    response = editor.put("/api/v1/entries/return-shipping-fee",
                          json=base | {"title": "新标题", "base_version": base["version"] + 5})
    assert response.status_code == 409 and response.json["error"]["code"] == "version_conflict"
    assert response.json["current"]["version"] == base["version"]
    assert entry(editor)["entry"]["title"] == base["title"]


def test_gaps_check_their_parameters_before_any_work(app_, editor):
    response = editor.get("/api/v1/gaps?limit=0")
    assert response.status_code == 400 and response.json["error"]["field"] == "limit"
    assert "kb.engine" not in app_.extensions  # no engine built, nothing clustered
