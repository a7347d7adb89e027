"""The one JSON error shape: {"error": {"code", "message", "field"}} with the right status."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from kb.errors import InvalidParameter, KbError


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A query-string integer within [low, high], or a 400 that names the parameter."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}, got {raw!r}", name)
    return value


def init_app(app: Flask) -> None:
    @app.errorhandler(KbError)
    def kb_error(exc: KbError):
        return error_body(exc.code, exc.message, exc.field), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_body(code, exc.description or exc.name), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_body("internal_error", "the server failed; the error is logged"), 500
