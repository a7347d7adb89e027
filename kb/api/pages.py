"""The web pages: static files from web/ (no build step), using the same JSON API as bots.

The pages hold no secrets: they ask for an API key once per browser and keep it in
localStorage, sending it as a header (never in a URL).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

WEB = Path(__file__).resolve().parent.parent.parent / "web"
bp = Blueprint("pages", __name__)
# Scripts only from this origin: a second line behind building the DOM from text only.
# Inline style attributes stay allowed (the charts set colours); the sidebar may be framed
# by a chat tool, so frame-ancestors is left open there; the authoring UI may not be framed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'")  # fmt: skip


@bp.after_request
def policy(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/")
def index():
    return redirect("/author")


@bp.get("/sidebar")
def sidebar():
    return send_from_directory(WEB, "sidebar.html")


@bp.get("/author")
def author():
    response = send_from_directory(WEB, "author.html")
    # the authoring UI edits the knowledge base: never inside another site's frame
    response.headers["Content-Security-Policy"] = CSP + "; frame-ancestors 'none'"
    return response


@bp.get("/favicon.ico")
def favicon():
    return redirect("/web/favicon.svg")


@bp.get("/web/<path:name>")
def asset(name: str):
    return send_from_directory(WEB, name)
