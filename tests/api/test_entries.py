"""The JSON API on the seed corpus: entries, pagination, and the one error shape."""

from __future__ import annotations

import pytest


def test_health(client):
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok"
    assert body["entries"] >= 80
    assert body["index"] is None  # no search yet: health never builds the engine
    client.get("/api/v1/search?q=怎么退货")
    assert client.get("/api/v1/health").get_json()["index"] == "built: no snapshot"


def test_list_entries_pages_through_every_live_entry(client, seed_store):
    seen = []
    offset = 0
    while True:
        body = client.get(f"/api/v1/entries?limit=30&offset={offset}").get_json()
        seen += [e["id"] for e in body["entries"]]
        offset += 30
        if offset >= body["total"]:
            break
    assert seen == sorted(e.id for e in seed_store.entries(live_only=True))
    assert len(seen) == body["total"] >= 80


def test_topic_filter_includes_sub_topics(client, seed_store):
    body = client.get("/api/v1/entries?topic=returns&limit=200").get_json()
    topics = {e["topic"] for e in body["entries"]}
    assert topics == set(seed_store.topic_subtree("returns"))
    assert "returns-cross-border" in topics
    assert body["total"] == len(body["entries"])


def test_the_filter_finds_entries_by_id_or_title_beyond_the_first_page(client, seed_store):
    live = seed_store.entries(live_only=True)
    titled = [e.id for e in live if "退货" in e.title]
    body = client.get("/api/v1/entries?q=退货&limit=5").get_json()
    assert body["total"] == len(titled) > 5 and [e["id"] for e in body["entries"]] == titled[:5]
    last = live[-1]  # past the first page of an unfiltered list
    by_id = client.get(f"/api/v1/entries?q={last.id.upper()}").get_json()
    assert last.id in [e["id"] for e in by_id["entries"]]
    assert all(last.id in e["id"] or last.id in e["title"].lower() for e in by_id["entries"])
    # LIKE's own wildcards are plain characters here
    assert client.get("/api/v1/entries?q=%25").get_json()["total"] == 0
    assert client.get("/api/v1/entries?q=_").get_json()["total"] == 0
    assert client.get("/api/v1/entries?q=%20").get_json()["total"] == len(live)
    # traditional characters and full-width letters find what is stored simplified, half-width
    assert client.get("/api/v1/entries?q=退貨&limit=5").get_json()["total"] == len(titled)
    assert last.id in [e["id"] for e in client.get(f"/api/v1/entries?q={fold_wide(last.id)}")
                       .get_json()["entries"]]  # fmt: skip


def fold_wide(text: str) -> str:
    """`text` in full-width letters and digits, as a Chinese input method may type them."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text.upper())


def test_one_entry_with_versions(client, seed_store):
    body = client.get("/api/v1/entries/return-7day-no-reason").get_json()
    assert body["entry"]["title"] == seed_store.get_entry("return-7day-no-reason").title
    assert body["live_version"] == 1
    assert [v["version"] for v in body["versions"]] == [1]
    assert body["entry"]["keywords"] and body["entry"]["questions"]


def test_a_specific_version(client, seed_store):
    entry = seed_store.get_entry("return-7day-no-reason")
    entry.solution += "\n（新版）"
    seed_store.save_entry(entry, "editor-1", base_version=1)
    old = client.get("/api/v1/entries/return-7day-no-reason?version=1").get_json()
    new = client.get("/api/v1/entries/return-7day-no-reason").get_json()
    assert old["entry"]["version"] == 1 and new["entry"]["version"] == 2
    assert new["entry"]["solution"].endswith("（新版）")
    assert not old["entry"]["solution"].endswith("（新版）")
    assert new["versions"][1]["author"] == "editor-1"


@pytest.mark.parametrize(
    ("url", "status", "code", "field"),
    [
        ("/api/v1/entries/no-such-entry", 404, "entry_not_found", "id"),
        ("/api/v1/entries/return-7day-no-reason?version=99", 404, "version_not_found", "version"),
        ("/api/v1/entries/return-7day-no-reason?version=x", 400, "invalid_parameter", "version"),
        ("/api/v1/entries?limit=abc", 400, "invalid_parameter", "limit"),
        ("/api/v1/entries?limit=0", 400, "invalid_parameter", "limit"),
        ("/api/v1/entries?limit=100000", 400, "invalid_parameter", "limit"),
        ("/api/v1/entries?offset=-1", 400, "invalid_parameter", "offset"),
        ("/api/v1/entries?q=" + "退" * 101, 400, "invalid_parameter", "q"),
        ("/api/v1/entries?topic=nope", 404, "topic_not_found", "topic"),
        ("/api/v1/nothing-here", 404, "not_found", None),
    ],
)
def test_errors_are_json_with_code_message_and_field(client, url, status, code, field):
    response = client.get(url)
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


def test_wrong_method_is_json_too(client):
    response = client.delete("/api/v1/entries")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
