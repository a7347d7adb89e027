"""The OpenAPI description against the code: every route in it, every answer in its shapes,
and schemathesis fuzzing every operation (no 5xx; every 4xx in the JSON error format)."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from kb.api import create_app
from tests.conftest import copy_db

METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH"}


@pytest.fixture(scope="module")
def fuzz_app(seed_db, tmp_path_factory):
    db = copy_db(seed_db, tmp_path_factory.mktemp("openapi"))
    return create_app({"db": str(db), "embedder": "none"})


@pytest.fixture(scope="module")
def admin(fuzz_app):
    from kb.keys import create
    from kb.store import Store

    store = Store(fuzz_app.config["KB"]["db"])
    key = create(store, "openapi", "admin")
    store.close()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def spec(fuzz_app):
    return fuzz_app.test_client().get("/api/v1/openapi.json").json


def test_every_route_is_described_and_nothing_else(fuzz_app, spec):
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in fuzz_app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods & METHODS
    }
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routes == described


def validate(spec: dict, path: str, method: str, response) -> None:
    """The response against its documented schema (resolving the components)."""
    documented = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (path, response.status_code, response.json)
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    resolver = {"components": spec["components"], **schema}
    jsonschema_rs.validate(resolver, response.json)


CALLS = [
    ("/api/v1/health", "get", "/api/v1/health", None),
    ("/api/v1/search", "get", "/api/v1/search?q=退货运费谁出", None),
    ("/api/v1/search", "post", "/api/v1/search", {"q": "衣服开线了能退吗", "top": 3}),
    ("/api/v1/recommend", "post", "/api/v1/recommend", {"query": "骗子！我要投诉12315"}),
    ("/api/v1/entries", "get", "/api/v1/entries?limit=5", None),
    ("/api/v1/entries/{entry_id}", "get", "/api/v1/entries/return-shipping-fee", None),
    ("/api/v1/entries/{entry_id}/graph", "get", "/api/v1/entries/return-shipping-fee/graph", None),
    ("/api/v1/entries/{entry_id}/cases", "get", "/api/v1/entries/return-shipping-fee/cases", None),
    ("/api/v1/entries/{entry_id}/stats", "get", "/api/v1/entries/return-shipping-fee/stats", None),
    ("/api/v1/entries/{entry_id}/diff", "get", "/api/v1/entries/return-shipping-fee/diff", None),
    ("/api/v1/flags", "get", "/api/v1/flags", None),
    ("/api/v1/gaps", "get", "/api/v1/gaps", None),
    ("/api/v1/dashboard", "get", "/api/v1/dashboard", None),
    ("/api/v1/topics", "get", "/api/v1/topics", None),
    ("/api/v1/processes", "get", "/api/v1/processes", None),
    ("/api/v1/entries/{entry_id}", "get", "/api/v1/entries/nope", None),
    ("/api/v1/feedback", "post", "/api/v1/feedback", {"recommendation_id": "x", "outcome": "x"}),
]


@pytest.mark.parametrize(("path", "method", "url", "body"), CALLS)
def test_answers_have_the_documented_shape(fuzz_app, admin, spec, path, method, url, body):
    client = fuzz_app.test_client()
    response = client.open(url, method=method.upper(), json=body, headers=admin)
    validate(spec, path, method, response)


def test_edits_and_conflicts_have_the_documented_shape(fuzz_app, admin, spec):
    client = fuzz_app.test_client()
    entry = client.get("/api/v1/entries/coupon-cannot-use", headers=admin).json["entry"]
    body = entry | {"base_version": entry["version"], "title": "优惠券用不了（新）"}
    saved = client.put("/api/v1/entries/coupon-cannot-use", json=body, headers=admin)
    validate(spec, "/api/v1/entries/{entry_id}", "put", saved)
    late = client.put("/api/v1/entries/coupon-cannot-use", json=body, headers=admin)
    assert late.status_code == 409
    validate(spec, "/api/v1/entries/{entry_id}", "put", late)
    bad = client.put(
        "/api/v1/entries/coupon-cannot-use",
        headers=admin,
        json=entry | {"base_version": entry["version"] + 1, "urgency": "x"},
    )
    validate(spec, "/api/v1/entries/{entry_id}", "put", bad)
    preview = client.post(
        "/api/v1/entries/preview", headers=admin, json={"entry": entry, "query": "优惠券用不了"}
    )
    validate(spec, "/api/v1/entries/preview", "post", preview)


def test_fuzz_every_operation(fuzz_app, admin):
    """Generated requests per operation (bounded, so CI stays quick): never a 5xx, and every
    answer, 4xx included, in the documented shape. (schemathesis' own pytest plugin does not
    run under pytest 9 yet, so hypothesis drives each operation's strategy here.)"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case):
            response = case.call(headers=admin)
            case.validate_response(response, checks=[not_a_server_error,
                                                     response_schema_conformance])  # fmt: skip

        try:
            run()
        except Exception as exc:  # every failing operation is reported, not just the first
            failures[operation.label] = str(exc)[:600]
    assert failures == {}
