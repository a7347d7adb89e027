"""API keys and roles: every route but health needs a key, and each role only what it may."""

from __future__ import annotations

import pytest
import sqlite_utils

from kb.api import create_app
from kb.cli import cli
from kb.errors import KeyExists, Unauthorized
from kb.keys import PERMISSIONS, authenticate, create
from kb.store import Store, migrate

# One request per route group: (method, path, JSON body, permission it needs).
ROUTES = [
    ("GET", "/api/v1/search?q=退货运费谁出", None, "search"),
    ("POST", "/api/v1/recommend", {"query": "退货运费谁出"}, "recommend"),
    ("POST", "/api/v1/feedback", {"recommendation_id": "none", "outcome": "resolved"}, "feedback"),
    ("GET", "/api/v1/entries", None, "read"),
    ("GET", "/api/v1/entries/return-shipping-fee/graph", None, "read"),
    ("GET", "/api/v1/flags", None, "flags"),
    ("GET", "/api/v1/gaps", None, "flags"),
    ("GET", "/api/v1/graph/check", None, "flags"),
    ("POST", "/api/v1/feedback/agent",
     {"query": "运费", "entry_id": "return-shipping-fee", "outcome": "takeover"}, "sidebar"),
]


@pytest.fixture(scope="module")
def lexical_app(seed_db, tmp_path_factory):
    from tests.conftest import copy_db

    db = copy_db(seed_db, tmp_path_factory.mktemp("auth"))
    return create_app({"db": str(db), "embedder": "none"})


def call(client, method, path, body, key=None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
def test_no_key_is_a_401_in_the_json_error_shape(lexical_app, method, path, body, permission):
    response = call(lexical_app.test_client(), method, path, body)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_health_needs_no_key(lexical_app):
    assert lexical_app.test_client().get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("role", list(PERMISSIONS))
@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
def test_each_role_may_do_what_it_may_and_nothing_else(
    lexical_app, role, method, path, body, permission
):
    from kb.store import Store

    store = Store(lexical_app.config["KB"]["db"])
    key = create(store, f"{role}-{permission}-{method}-{len(store.api_keys())}", role)
    store.close()
    response = call(lexical_app.test_client(), method, path, body, key)
    if permission in PERMISSIONS[role]:
        assert response.status_code not in (401, 403), response.json
    else:
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"


def test_unknown_malformed_and_revoked_keys_are_refused(store, runner):
    key = create(store, "bot-1", "bot")
    assert authenticate(store, key).role == "bot"
    for bad in (None, "", "kb_short", key[:-1] + ("A" if key[-1] != "A" else "B"), "Bearer x"):
        with pytest.raises(Unauthorized):
            authenticate(store, bad)
    result = runner.invoke(cli, ["--db", str(store.path), "keys", "revoke", "bot-1"])
    assert result.exit_code == 0
    with pytest.raises(Unauthorized):
        authenticate(store, key)


def test_keys_are_stored_only_as_hashes(store, db_path):
    key = create(store, "editor-1", "editor")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db_path.read_bytes()
    assert key.encode() not in raw and key[3:].encode() not in raw


def test_the_key_commands(runner, db_path):
    def kb(*args):
        return runner.invoke(cli, ["--db", str(db_path), "keys", *args])

    created = kb("create", "--role", "editor", "--name", "editor-1")
    assert created.exit_code == 0 and created.output.startswith("kb_")
    listed = kb("list").output
    assert "editor-1" in listed and "editor" in listed and created.output.strip() not in listed
    again = kb("create", "--role", "editor", "--name", "editor-1")
    assert again.exit_code == 1 and "exists" in again.output
    assert kb("revoke", "nobody").exit_code == 1
    assert kb("create", "--role", "root", "--name", "x").exit_code == 2  # click lists the roles


def test_pages_are_public_shells_with_a_script_policy(lexical_app):
    for path in ("/sidebar", "/author"):
        response = lexical_app.test_client().get(path)
        assert response.status_code == 200 and b'<script type="module"' in response.data
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        response.close()


def test_the_authoring_ui_cannot_be_framed_and_the_sidebar_can(lexical_app):
    policies = {}
    for page in ("author", "sidebar"):
        response = lexical_app.test_client().get(f"/{page}")
        policies[page] = response.headers["Content-Security-Policy"]
        response.close()
    author, sidebar = policies["author"], policies["sidebar"]
    assert "frame-ancestors 'none'" in author and "frame-ancestors" not in sidebar


@pytest.mark.parametrize("path", ["/api", "/api/v1//entries", "/api//v1/health"])
def test_odd_api_paths_answer_the_json_error_shape(lexical_app, path):
    response = lexical_app.test_client().get(path)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_revoked_keys_name_can_be_given_again(db_path):
    old_db = sqlite_utils.Database(str(db_path))
    migrate(old_db, upto=6)  # a key revoked before names were unique among active keys only
    old_db["api_keys"].insert({"name": "shop-bot", "role": "bot", "prefix": "old12345",
                               "hash": "x", "created_at": "2026-01-01", "revoked_at": "2026-02-01"})
    old_db.close()
    store = Store(db_path)
    first = create(store, "shop-bot", "bot")
    store.revoke_key("shop-bot")
    second = create(store, "shop-bot", "bot")
    with pytest.raises(KeyExists):
        create(store, "shop-bot", "agent")
    with pytest.raises(Unauthorized):
        authenticate(store, first)
    assert authenticate(store, second).name == "shop-bot"
    assert [k["revoked_at"] is None for k in store.api_keys()] == [False, False, True]
    store.close()
