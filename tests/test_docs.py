"""Every command and every route is documented (as sqlite-utils' test_docs.py does)."""

from __future__ import annotations

import json
import re

import click
import pytest

from kb.api import create_app
from kb.cli import cli
from kb.config import DEFAULTS, SETTINGS

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


def test_kb_config_lists_every_setting_with_its_help(runner):
    assert "config" in dict(COMMANDS)
    found = json.loads(runner.invoke(cli, ["config", "--json"]).output)
    assert {name: s["help"] for name, s in found.items()} == {s.name: s.help for s in SETTINGS}
    assert all(s.help for s in SETTINGS)


@pytest.mark.parametrize(
    ("command", "settings"),
    [
        ("serve", ["host", "port"]),
        ("monitor", ["monitor_days", "takeover_threshold", "min_sample"]),
    ],
)
def test_help_shows_the_defaults_of_the_settings(runner, command, settings):
    text = " ".join(runner.invoke(cli, [command, "--help"]).output.split())
    for name in settings:
        assert f"[default: {DEFAULTS[name]}]" in text, name


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
