"""The environment's `runtime.checks` section maps onto the checks' settings, at every bound."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from sandbox_platform import sample_environment  # noqa: E402

from quantmatrix.model.runtime import CheckSettings as SectionSettings  # noqa: E402
from quantmatrix.runtime.checks import CheckSettings, settings_for  # noqa: E402


@pytest.mark.parametrize("name", ["local", "paper", "live", "backtest"])
def test_each_sample_environment_maps(name: str) -> None:
    environment = sample_environment(name)
    assert settings_for(environment).model_dump() == environment.spec.runtime.checks.model_dump()


@pytest.mark.parametrize("field", list(CheckSettings.model_fields))
def test_the_section_and_the_checks_share_bounds(field: str) -> None:
    """Whatever `qm validate` accepts in the section, the checks accept too (and the reverse)."""
    section, checks = SectionSettings.model_fields[field], CheckSettings.model_fields[field]
    assert [repr(m) for m in section.metadata] == [repr(m) for m in checks.metadata]


def test_same_defaults() -> None:
    assert CheckSettings().model_dump() == SectionSettings().model_dump()
