"""Every JSON route against the values schemathesis does not generate: lone surrogates, deep
nesting, integers past 64 bits, NUL, right-to-left marks. Never a 5xx; a refusal writes nothing."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kb.api import create_app
from kb.search import shared_engine

ENTRY = "return-shipping-fee"
ENTRY_IN = {"id": "fuzz-entry", "topic": "returns", "title": "测试", "questions": ["能退吗"],
            "keywords": {"退货": ["退"]}, "solution": "亲，可以。", "urgency": "low"}  # fmt: skip
OUTCOME = {"recommendation_id": "r-1", "outcome": "resolved", "agent_reply": "好的"}
BODIES = {
    ("POST", "/api/v1/entries"): ENTRY_IN,
    ("PUT", f"/api/v1/entries/{ENTRY}"): ENTRY_IN | {"id": ENTRY, "base_version": 1, "note": "改"},
    ("POST", f"/api/v1/entries/{ENTRY}/rollback"): {"version": 1, "base_version": 1},
    ("POST", f"/api/v1/entries/{ENTRY}/retire"): {"base_version": 1},
    ("POST", f"/api/v1/entries/{ENTRY}/restore"): {"base_version": 1},
    ("POST", "/api/v1/entries/preview"): {"entry": ENTRY_IN, "query": "能退吗"},
    ("POST", "/api/v1/search"): {"q": "退货运费", "top": 3, "topic": "returns"},
    ("PUT", "/api/v1/cases/case-fuzz"): {
        "entries": [ENTRY],
        "customer": "运费谁出",
        "action": "说明",
        "outcome": "resolved",
        "date": "2026-01-02",
    },
    ("POST", "/api/v1/recommend"): {
        "query": "退货运费谁出",
        "session_id": "s-1",
        "channel": "app",
        "customer": {"tier": "vip"},
        "order": {"id": "1"},
    },
    ("POST", "/api/v1/feedback"): OUTCOME,
    ("POST", "/api/v1/feedback/batch"): {"items": [OUTCOME]},
    ("POST", "/api/v1/feedback/agent"): {"query": "运费", "entry_id": ENTRY, "outcome": "takeover",
                                         "used_entry_id": ENTRY},
    ("POST", f"/api/v1/entries/{ENTRY}/suggestions/1/accept"): {"base_version": 1,
                                                               "text": "退货运费到底谁出"},
    ("POST", f"/api/v1/entries/{ENTRY}/suggestions/1/reject"): {},
    ("POST", f"/api/v1/entries/{ENTRY}/keyword-suggestions/accept"): {"word": "运费险",
                                                                     "base_version": 1},
    ("POST", f"/api/v1/entries/{ENTRY}/keyword-suggestions/reject"): {"word": "要求"},
    ("POST", "/api/v1/handoffs/t-1/take"): {},
    ("POST", "/api/v1/handoffs/t-1/close"): {"outcome": "resolved", "agent_reply": "好的",
                                             "used_entry_id": ENTRY},
}
DEEP = "DEEP-PLACEHOLDER"
NASTY = {
    "lone surrogate": "退货\ud800",
    "low surrogate": "\udfff",
    "deep": DEEP,
    "2^64": 2**64,
    "-2^63-1": -(2**63) - 1,
    "10^20": 10**20,
    "NUL": "退\x00货",
    "RTL marks": "\u202e货退\u200f",
    "object": {"a": ["\ud800"]},
}


def _mutations(body: dict):
    """(name, body) for each nasty value put in each field, one level down too."""
    for key, value in body.items():
        for name, nasty in NASTY.items():
            yield f"{key}={name}", body | {key: nasty}
        inner = value[0] if isinstance(value, list) and value else value
        if isinstance(inner, dict):
            for inner_key in inner:
                for name, nasty in NASTY.items():
                    changed = inner | {inner_key: nasty}
                    yield (
                        f"{key}.{inner_key}={name}",
                        body | {key: [changed] if isinstance(value, list) else changed},
                    )
    yield "surrogate key", body | {"\ud800": 1}
    yield "whole body deep", DEEP


def _encode(body) -> str:
    text = json.dumps(body)  # \ud800 goes as an escape, as a client would send it
    return text.replace(json.dumps(DEEP), "[" * 50_000 + "]" * 50_000)


@pytest.fixture
def admin(seed_store, with_key):
    app = create_app({"db": str(seed_store.path), "embedder": "none"})
    shared_engine(app)  # as `kb serve` does before it listens: its calibration is stored
    return with_key(app.test_client(), seed_store.path)


def test_the_fuzz_covers_every_json_route(admin):
    routes = {(m, r.rule) for r in admin.application.url_map.iter_rules()
              for m in r.methods & {"POST", "PUT"} if r.rule.startswith("/api/")}  # fmt: skip
    covered = {(m, p.replace(ENTRY, "<entry_id>").replace("case-fuzz", "<case_id>")
                .replace("/1/", "/<int:suggestion_id>/").replace("t-1", "<ticket_id>"))
               for m, p in BODIES}  # fmt: skip
    assert routes == covered


@pytest.mark.parametrize(("method", "path"), list(BODIES), ids=[f"{m} {p}" for m, p in BODIES])
def test_nasty_values_never_fail_the_server_and_a_refusal_writes_nothing(
    admin, seed_store, method, path
):
    watcher = sqlite3.connect(seed_store.path)  # data_version moves when another writes
    failures = []
    for name, body in _mutations(BODIES[(method, path)]):
        before = watcher.execute("PRAGMA data_version").fetchone()[0]
        response = admin.open(path, method=method, data=_encode(body),
                              content_type="application/json")  # fmt: skip
        changed = watcher.execute("PRAGMA data_version").fetchone()[0] != before
        if response.status_code >= 500 or (response.status_code >= 400 and changed):
            failures.append((name, response.status_code, changed, response.get_data(True)[:200]))
        elif response.status_code >= 400:
            assert response.json["error"]["code"], name
    watcher.close()
    assert not failures


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/search", '{"q": "退货\\ud800"}', "q"),
    ("/api/v1/recommend", '{"query": "x", "customer": {"tier": "\\udc00"}}', "customer.tier"),
    ("/api/v1/feedback/batch", '{"items": [{"recommendation_id": "r", "outcome": "resolved",'
                               ' "agent_reply": "\\ud800"}]}', "items[0].agent_reply"),
    ("/api/v1/entries/preview", '{"query": "x", "entry": {"keywords": {"k": ["\\ud800"]}}}',
     "entry.keywords.k[0]"),
    ("/api/v1/entries/preview", '{"entry": ' + "[" * 328 + "]" * 328 + "}", "entry" + "[0]" * 19),
    ("/api/v1/recommend", '{"query": "x", "order": {"id": 9223372036854775808}}', "order.id"),
])  # fmt: skip
def test_a_body_that_is_not_plain_json_text_is_a_400_naming_the_place(admin, path, body, field):
    response = admin.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == field
