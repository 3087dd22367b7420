"""The commands that run the policy gate share one definition of --engine, --opa-url and
--today: the same names, choices and help, and --today is documented (not hidden)."""

from __future__ import annotations

import importlib

import click
import pytest

from quantmatrix.cli import cli
from quantmatrix.policy.engines import ENGINES

GATE_COMMANDS = ("check", "diff")


def _options(name: str) -> dict[str, click.Option]:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return {p.name: p for p in command.params if isinstance(p, click.Option) and p.name}


@pytest.mark.parametrize("name", GATE_COMMANDS)
def test_the_engine_choices_are_the_registered_engines(name: str, monkeypatch: pytest.MonkeyPatch):
    # an engine added to ENGINES is offered by every command at once (qm diff once hard-coded it)
    module = importlib.import_module(f"quantmatrix.cli.{name}")
    monkeypatch.setitem(ENGINES, "planted", ENGINES["embedded"])
    try:
        importlib.reload(module)
        engine = _options(name)["engine"]
        assert isinstance(engine.type, click.Choice)
        assert list(engine.type.choices) == list(ENGINES) and "planted" in engine.type.choices
    finally:
        monkeypatch.undo()
        importlib.reload(module)


@pytest.mark.parametrize("option", ["engine", "opa_url", "today"])
def test_every_gate_command_has_the_same_option(option: str):
    seen = [_options(name)[option] for name in GATE_COMMANDS]
    assert len({(o.opts[0], o.help, o.envvar, o.hidden, repr(o.type)) for o in seen}) == 1
    assert not seen[0].hidden


@pytest.mark.parametrize("name", GATE_COMMANDS)
def test_today_is_in_the_help(name: str, qm):
    code, out, _ = qm(name, "--help")
    assert code == 0 and "--today YYYY-MM-DD" in out


def test_a_bad_today_is_a_usage_error(qm, sample_repo):
    code, _, err = qm("check", sample_repo, "--today", "2026-13-01")
    assert code == 2 and "--today" in err and "Traceback" not in err
