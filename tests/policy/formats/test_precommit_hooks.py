"""`.pre-commit-hooks.yaml`: other repositories can run `qm check` / `qm validate` as
pre-commit hooks. The manifest parses with the keys pre-commit requires, the file patterns
select the desired state, and each entry is a real `qm` command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from quantmatrix.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[3]
REQUIRED = {"id", "name", "entry", "language"}
KNOWN = REQUIRED | {
    "description", "files", "exclude", "types", "types_or", "exclude_types", "pass_filenames", "require_serial",
    "minimum_pre_commit_version", "args", "always_run", "stages", "verbose", "alias", "language_version",
}  # fmt: skip


@pytest.fixture(scope="module")
def hooks() -> dict[str, dict[str, Any]]:
    manifest = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(manifest, list)
    return {hook["id"]: hook for hook in manifest}


def test_manifest_declares_qm_check_and_qm_validate(hooks):
    assert set(hooks) == {"qm-check", "qm-validate"}
    for hook in hooks.values():
        assert REQUIRED <= set(hook) <= KNOWN, hook["id"]
        assert hook["language"] == "python"  # pre-commit pip-installs this repository
        assert hook["pass_filenames"] is False  # rules span files: always the whole state
    assert hooks["qm-check"]["entry"] == "qm check"
    assert hooks["qm-validate"]["entry"] == "qm validate"


@pytest.mark.parametrize(
    "path, check, validate",
    [
        ("environments/live.yaml", True, True),
        ("environments/secrets.yaml", True, True),
        ("releases/2026.11.1.yaml", True, True),
        ("policies/waivers.yaml", True, False),
        ("policies/separation.rego", True, False),
        ("README.md", False, False),
        ("docs/environments/live.yaml", False, False),
        ("quantmatrix/policy/gate.py", False, False),
    ],
)
def test_hooks_run_when_the_desired_state_or_the_policies_change(hooks, path, check, validate):
    assert bool(re.search(hooks["qm-check"]["files"], path)) is check
    assert bool(re.search(hooks["qm-validate"]["files"], path)) is validate


@pytest.mark.parametrize("hook_id", ["qm-check", "qm-validate"])
def test_entries_are_qm_commands(hooks, hook_id):
    program, command, *args = shlex.split(hooks[hook_id]["entry"])
    assert program == "qm"
    if command not in COMMANDS:
        pytest.skip(f"`qm {command}` is not registered in quantmatrix.cli.COMMANDS yet")
    result = CliRunner().invoke(cli, [command, *args, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {command}" in result.output or f"{command} [OPTIONS]" in result.output
