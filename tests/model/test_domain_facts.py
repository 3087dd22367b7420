"""Each domain fact is written once and everything else reads it: the mode order, the
component names, the kinds and apiVersion, the Rego package line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from quantmatrix.model import (
    API_VERSION,
    KINDS,
    Environment,
    EnvironmentBase,
    Mode,
    Release,
    SecretCatalog,
    kind_of,
    mode_rank,
)
from quantmatrix.model.release import Components
from quantmatrix.model.runtime import COMPONENTS, Component
from quantmatrix.policy.formats.common import target_key
from quantmatrix.policy.pack import PACKAGE_LINE

PACKAGE = Path(__file__).resolve().parents[2] / "quantmatrix"


def test_mode_rank_puts_most_exposure_to_real_money_first():
    assert sorted(Mode, key=lambda m: m.rank) == [Mode.live, Mode.paper, Mode.local, Mode.backtest]
    assert [mode_rank(m) for m in ("live", "paper", "local", "backtest")] == [0, 1, 2, 3]
    assert mode_rank("staging") > mode_rank("backtest") and mode_rank(None) == mode_rank("")
    assert [m.exposure for m in (Mode.live, Mode.paper, Mode.local, Mode.backtest)] == [2, 1, 0, 0]


def test_check_and_diff_order_environments_the_same(git_repo: Path, git, qm):
    # every environment changes (its description), written in file-name order
    for name in ("backtest", "live", "local", "paper"):
        file = git_repo / "environments" / f"{name}.yaml"
        file.write_text(file.read_text().replace("  description: ", "  description: Changed. ", 1))
    code, out, err = qm("diff", "--base", "main", "--format", "json", git_repo)
    assert code == 0, err
    diff_order = list(json.loads(out)["environments"])
    modes = {name: name for name in diff_order}  # the sample's environments are named by mode
    check_order = sorted(diff_order, key=lambda name: target_key(f"environment/{name}", modes))
    assert diff_order == check_order == ["live", "paper", "local", "backtest"]


def test_components_are_the_releases_pinned_components():
    assert COMPONENTS == tuple(Components.model_fields) == get_args(Component)


def test_kinds_are_read_from_the_models():
    assert list(KINDS) == ["Environment", "EnvironmentBase", "Release", "SecretCatalog"]
    assert all(KINDS[kind_of(m)] is m for m in (Environment, EnvironmentBase, Release, SecretCatalog))
    assert API_VERSION == "quantmatrix.io/v1"


def _code() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))]


def test_the_api_version_is_written_once_in_the_code():
    found = [
        str(path.relative_to(PACKAGE))
        for path, text in _code()
        for line in text.splitlines()
        if '"quantmatrix.io/v1"' in line
    ]
    assert found == ["model/common.py"]


def test_no_module_keeps_its_own_copy_of_the_mode_order_or_the_components():
    mode = r"""["'](live|paper|local|backtest)["']"""
    mode_lists = re.compile(rf"{mode}\s*:\s*\d|{mode},\s*{mode},\s*{mode}")  # a rank table, or a list of the modes
    components = re.compile(r"""["']api["'],\s*["']workers["'],\s*["']ui["']""")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path, text in _code()
        if path.name != "common.py" or path.parent.name != "model"
        if mode_lists.search(text) or components.search(text)
    ]
    # model/runtime.py is the home of the components; statuspage/assets.py holds the status
    # page's JavaScript, which cannot import Mode (a known copy, listed here so that it is seen)
    assert [o for o in offenders if o not in ("model/runtime.py", "statuspage/assets.py")] == []


def test_the_package_line_pattern_reads_rego_package_names():
    assert PACKAGE_LINE.search("# METADATA\npackage qm.rules.live\n").group(1) == "qm.rules.live"
    assert PACKAGE_LINE.search("package 9bad.name\n") is None
