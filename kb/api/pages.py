"""The web pages: static files from web/ (no build step), using the same JSON API as bots.

The pages hold no secrets: they ask for an API key once and keep it in the
browser's sessionStorage, sending it as a header (never in a URL).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

WEB = Path(__file__).resolve().parent.parent.parent / "web"
bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return redirect("/author")


@bp.get("/sidebar")
def sidebar():
    return send_from_directory(WEB, "sidebar.html")


@bp.get("/author")
def author():
    return send_from_directory(WEB, "author.html")


@bp.get("/web/<path:name>")
def asset(name: str):
    return send_from_directory(WEB, name)
