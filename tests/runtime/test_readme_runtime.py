"""The README's runtime examples are valid `runtime` sections (the docs cannot drift from the model)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from quantmatrix.model.runtime import Runtime

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if b.lstrip().startswith("runtime:")]


def test_the_readme_shows_the_three_runtime_examples() -> None:
    assert len(BLOCKS) == 3  # local (process), paper (kubectl), systemd


@pytest.mark.parametrize("block", BLOCKS)
def test_each_runtime_example_validates(block: str) -> None:
    Runtime.model_validate(YAML(typ="safe").load(block)["runtime"])


def test_the_systemd_example_reads_the_version_systemctl_lists() -> None:
    [systemd] = [Runtime.model_validate(YAML(typ="safe").load(b)["runtime"]) for b in BLOCKS if "systemctl" in b]
    assert systemd.command is not None
    line = "quantmatrix-api@3.3.1.service loaded active running QuantMatrix api 3.3.1\n"
    assert re.findall(systemd.command.version_pattern, line) == ["3.3.1"]
