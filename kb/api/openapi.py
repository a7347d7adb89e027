"""The OpenAPI 3 description of the JSON API, served at /api/v1/openapi.json.

Each route declares its request and answer beside itself with `@documented`; this
module assembles them from the app's URL map, so a route without a description is
missing here and tests/api/test_openapi.py fails. Path parameters come from the
route, the key requirement from its `@requires`, limits from the running settings.
schemathesis fuzzes every operation from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Blueprint, Flask, current_app

from kb.api.auth import PUBLIC, requires
from kb.api.schemas import ANY, COMPONENTS, ID, Setting, ref

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "delete", "patch")
_ERROR = {"content": {"application/json": {"schema": ref("Error")}}}


def documented(
    summary: str,
    ok: dict | None,
    *,
    method: str | None = None,
    body: dict | None = None,
    params=(),
    status: int = 200,
    errors=(400, 401, 403),
) -> Callable:
    """Describe a route (or, with `method`, one of its methods) for the OpenAPI description.

    `summary` may name settings in braces ("up to {feedback_batch_max} outcomes");
    schemas may hold `Setting(...)` limits; both are filled in when the description
    is served. Path parameters are added from the route itself.
    """

    def mark(view: Callable) -> Callable:
        if not hasattr(view, "openapi"):
            view.openapi = {}
        view.openapi[method] = {
            "summary": summary,
            "ok": ok,
            "body": body,
            "params": list(params),
            "status": status,
            "errors": errors,
        }
        return view

    return mark


def _operation(doc: dict, path_params: list[str], public: bool) -> dict:
    out: dict = {"summary": doc["summary"], "responses": {}}
    if doc["ok"] is not None:
        out["responses"][str(doc["status"])] = {
            "description": "OK",
            "content": {"application/json": {"schema": doc["ok"]}},
        }
    for code in doc["errors"]:
        out["responses"][str(code)] = {"description": "an error", **_ERROR}
    out["responses"]["413"] = {"description": "the body is over request_max_bytes", **_ERROR}
    params = [{"name": n, "in": "path", "required": True, "schema": ID} for n in path_params]
    if params or doc["params"]:
        out["parameters"] = params + doc["params"]
    if doc["body"] is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": doc["body"]}},
        }
    out["security"] = [] if public else [{"key": []}]
    return out


def _resolve(value, settings: dict):
    """The description with every Setting replaced by its value."""
    if isinstance(value, Setting):
        return settings[value.name]
    if isinstance(value, dict):
        return {k: _resolve(v, settings) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, settings) for v in value]
    return value


def paths(app: Flask) -> dict:
    """Every /api/ route and method that has a description, by OpenAPI path and method."""
    out: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        docs = getattr(view, "openapi", {})
        path_params = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in METHODS:
            if method.upper() not in rule.methods:
                continue
            doc = docs.get(method) or docs.get(None)
            if doc is None:  # left out, so tests/api/test_openapi.py names the route
                continue
            public = getattr(view, "permission", None) == PUBLIC
            doc = doc | {"summary": doc["summary"].format_map(app.config["KB"])}
            out.setdefault(path, {})[method] = _operation(doc, path_params, public)
    return out


def spec(app: Flask) -> dict:
    """The whole description; limits come from the running settings."""
    settings = app.config["KB"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kefu-kb",
            "version": "1",
            "description": (
                "Knowledge graph and semantic search for e-commerce customer service. Every "
                'error is {"error": {code, message, field}}. Limits: request body '
                f"{settings['request_max_bytes']} bytes, query {settings['query_max_chars']} "
                f"characters, pages {settings['page_size_max']}, "
                f"feedback batches {settings['feedback_batch_max']} items."
            ),
        },
        "paths": _resolve(paths(app), settings),
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "key": {"type": "http", "scheme": "bearer", "description": "an API key: kb_..."}
            },
        },
    }


@bp.get("/openapi.json")
@requires(PUBLIC)
@documented("This description", ANY, errors=())
def openapi():
    return spec(current_app)
