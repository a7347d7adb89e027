"""The one JSON error shape: {"error": {"code", "message", "field"}} with the right status."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from kb.errors import KbError, Unavailable, ValidationFailed


def is_api(path: str) -> bool:
    """Under /api every answer is JSON, errors included."""
    return path == "/api" or path.startswith("/api/")


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def init_app(app: Flask) -> None:
    @app.errorhandler(KbError)
    def kb_error(exc: KbError):
        body = error_body(exc.code, exc.message, exc.field)
        if isinstance(exc, ValidationFailed):  # an entry or case checked at once: every problem
            body["error"]["errors"] = [{"field": e.field, "message": e.reason} for e in exc.errors]
        if isinstance(exc, Unavailable):
            return body, exc.status, {"Retry-After": str(exc.retry_after)}
        return body, exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not is_api(request.path):
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_body(code, exc.description or exc.name), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_body("internal_error", "the server failed; the error is logged"), 500
