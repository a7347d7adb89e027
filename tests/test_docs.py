"""Every command and every route is documented (as sqlite-utils' test_docs.py does)."""

from __future__ import annotations

import re

import click
import pytest

from kb.api import create_app
from kb.cli import cli

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


COMMANDS = list(_commands(cli))


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_ending_in_an_example(name, command):
    assert command.help, name
    assert re.search(r"Example:\n\s+kb .+\Z", command.help.strip()), command.help
    assert f"kb {name}" in README, f"`kb {name}` is not in the README"


def test_every_route_is_in_the_readme(tmp_path):
    app = create_app({"db": str(tmp_path / "x.db")})
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes
    for route in routes:
        assert route in README, f"{route} is not in the README"
