"""Every API route needs a key whose role grants the route's permission; health is public.

Routes declare their permission with `@requires(...)`; a route that declares none
is refused (default deny), so a new endpoint cannot ship open by accident.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, request

from kb.api.resources import get_store
from kb.errors import Forbidden
from kb.keys import Caller, authenticate, authorise

PUBLIC = "public"


def requires(permission: str) -> Callable:
    def mark(view: Callable) -> Callable:
        view.permission = permission
        return view

    return mark


def caller() -> Caller:
    """Who is calling (set for every authenticated request): the author of an edit."""
    return g.caller


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def init_app(app: Flask) -> None:
    @app.before_request
    def check_key():
        view = app.view_functions.get(request.endpoint or "")
        if view is None or not request.path.startswith("/api/"):
            return  # 404s and pages: nothing to guard here
        permission = getattr(view, "permission", None)
        if permission == PUBLIC:
            return
        if permission is None:
            raise Forbidden(f"{request.path} declares no permission; it is closed")
        g.caller = authenticate(get_store(), _bearer())
        authorise(g.caller, permission)
