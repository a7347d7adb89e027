"""Suggested keywords through the API on a real SQLite file: the words an entry's learnt
phrasings share that its lexicon lacks, accepted into the lexicon as a new version that
search uses, or rejected for good."""

from __future__ import annotations

from tests.api.conftest import recommend
from tests.api.test_suggestions import report

KEYWORDS = "/api/v1/entries/{}/keyword-suggestions"
NAME = ["发票上的单位名称写错了", "单位名称打错了能改吗", "开票的单位名称不对"]


def learn(api, entry_id: str, messages: list[str]) -> None:
    """Each message taken over by a human who answered it with `entry_id`."""
    for message in messages:
        report(api, recommend(api, message), "takeover", used=entry_id)


def keywords(api, entry_id: str) -> list[dict]:
    response = api.get(KEYWORDS.format(entry_id))
    assert response.status_code == 200, response.json
    return response.json["keywords"]


def test_a_word_learnt_phrasings_share_is_suggested_and_accepting_adds_it(api):
    query = "单位名称错了"
    before = api.post("/api/v1/search", json={"q": query, "top": 3}).json["results"]
    assert before[0]["id"] != "invoice-reissue"
    learn(api, "invoice-reissue", NAME)
    (found,) = keywords(api, "invoice-reissue")  # 写错, 打错: one message each
    assert (found["word"], found["messages"], found["elsewhere"]) == ("单位名称", 3, 0)
    assert all("单位名称" in e for e in found["examples"]) and len(found["examples"]) == 3
    accepted = api.post(f"{KEYWORDS.format('invoice-reissue')}/accept",
                        json={"word": "单位名称", "base_version": 1})  # fmt: skip
    assert accepted.status_code == 200, accepted.json
    entry = accepted.json["entry"]
    assert entry["version"] == 2 and entry["keywords"]["单位名称"] == []
    versions = api.get("/api/v1/entries/invoice-reissue").json["versions"]
    assert versions[-1]["author"].startswith("test-admin") and "单位名称" in versions[-1]["note"]
    after = api.post("/api/v1/search", json={"q": query, "top": 3}).json["results"]
    assert after[0]["id"] == "invoice-reissue"
    assert keywords(api, "invoice-reissue") == []
    again = api.post(f"{KEYWORDS.format('invoice-reissue')}/accept",
                     json={"word": "单位名称", "base_version": 2})  # fmt: skip
    assert again.status_code == 400 and again.json["error"]["field"] == "word"  # it is held
    assert api.get("/api/v1/entries/invoice-reissue").json["entry"]["version"] == 2


def test_a_word_other_entries_customers_use_as_often_is_not_suggested(api):
    learn(api, "invoice-reissue", NAME)
    learn(api, "invoice-request", ["开发票要填单位名称吗", "单位名称和税号填哪里"])
    assert keywords(api, "invoice-reissue") == []  # in 3 of its phrasings, 2 of others'
    assert "单位名称" not in [k["word"] for k in keywords(api, "invoice-request")]


def test_a_rejected_keyword_is_never_suggested_again(api):
    learn(api, "invoice-reissue", NAME)
    url = f"{KEYWORDS.format('invoice-reissue')}/reject"
    rejected = api.post(url, json={"word": "单位名称"})
    assert rejected.status_code == 200 and rejected.json == {"word": "单位名称",
                                                             "status": "rejected"}
    learn(api, "invoice-reissue", ["单位名称写成了个人"])
    assert keywords(api, "invoice-reissue") == []
    assert api.get("/api/v1/entries/invoice-reissue").json["entry"]["version"] == 1
    assert api.post(url, json={"word": "单位名称"}).status_code == 409


def test_bad_keyword_verdicts_are_refused_and_change_nothing(api):
    learn(api, "invoice-reissue", NAME)
    url = f"{KEYWORDS.format('invoice-reissue')}/accept"
    for body, field in [({"base_version": 1}, "word"), ({"word": " ", "base_version": 1}, "word"),
                        ({"word": "名" * 21, "base_version": 1}, "word"),
                        ({"word": "单位名称"}, "base_version")]:  # fmt: skip
        refused = api.post(url, json=body)
        assert refused.status_code == 400 and refused.json["error"]["field"] == field, body
    entry = api.get("/api/v1/entries/invoice-reissue").json["entry"]
    keyword, synonyms = next((k, v) for k, v in entry["keywords"].items() if v)
    for held in (keyword, synonyms[0]):  # a synonym must not become a bare keyword
        refused = api.post(url, json={"word": held, "base_version": 1})
        assert refused.status_code == 400 and refused.json["error"]["field"] == "word", held
    edited = api.put("/api/v1/entries/invoice-reissue",
                     json=entry | {"base_version": 1, "title": "发票开错了重开"})  # fmt: skip
    assert edited.status_code == 200
    late = api.post(url, json={"word": "单位名称", "base_version": 1})
    assert late.status_code == 409 and late.json["error"]["code"] == "version_conflict"
    assert [k["word"] for k in keywords(api, "invoice-reissue")] == ["单位名称"]
    assert api.get(KEYWORDS.format("nope")).status_code == 404
    missing = api.post(f"{KEYWORDS.format('nope')}/reject", json={"word": "单位名称"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "entry_not_found"


def test_a_word_close_to_a_keyword_is_proposed_and_accepted_as_its_synonym(client, seed_store):
    """With an embedder, a suggested word that says a keyword another way (皮疹 for 起疹子)
    proposes that keyword; the editor adds it as its synonym."""
    told = ["用完起了皮疹 能赔偿吗", "擦了以后一身皮疹 要求赔偿", "皮疹好多睡不着"]
    for i, text in enumerate(told):
        seed_store.add_label("allergy-cosmetics", text, text, "strong", f"r{i}")
    found = {k["word"]: k for k in keywords(client, "allergy-cosmetics")}
    assert found["皮疹"]["synonym_of"] == "起疹子"  # 红疹, 小红疙瘩 are its synonyms
    assert found["赔偿"]["synonym_of"] is None  # no keyword of the entry says it
    url = f"{KEYWORDS.format('allergy-cosmetics')}/accept"
    for body, field in [({"synonym_of": "赔偿"}, "synonym_of"),  # not one of its keywords
                        ({"synonym_of": 3}, "synonym_of"),
                        ({"synonym_of": "红疹"}, "synonym_of")]:  # a synonym, not a keyword
        refused = client.post(url, json={"word": "皮疹", "base_version": 1} | body)
        assert refused.status_code == 400 and refused.json["error"]["field"] == field, body
    assert client.get("/api/v1/entries/allergy-cosmetics").json["entry"]["version"] == 1
    accepted = client.post(url, json={"word": "皮疹", "base_version": 1, "synonym_of": "起疹子"})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["synonym_of"] == "起疹子"
    lexicon = accepted.json["entry"]["keywords"]
    assert lexicon["起疹子"][-1] == "皮疹" and "皮疹" not in lexicon
    note = client.get("/api/v1/entries/allergy-cosmetics").json["versions"][-1]["note"]
    assert "皮疹" in note and "起疹子" in note
    left = [k["word"] for k in keywords(client, "allergy-cosmetics")]
    assert "皮疹" not in left and "赔偿" in left
    hit = client.post("/api/v1/search", json={"q": "一身皮疹", "top": 1}).json["results"][0]
    assert hit["id"] == "allergy-cosmetics"
    assert "起疹子" in hit["matched"]["keywords"] and "皮疹" in hit["matched"]["terms"]
