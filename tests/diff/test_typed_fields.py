"""The diff reads the typed models: a renamed model field breaks the build, not the diff.

Values the diff interprets (mode, release pin, components, migration revision, config and
analytics versions) are read as model attributes, so mypy --strict (tests/test_typing.py)
fails when a field is renamed. The generic leaf-by-leaf comparison walks the effective
documents; the field names its sections sort by are checked here against the models.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from quantmatrix.diff import environment as env_diff
from quantmatrix.diff import fields as diff_fields
from quantmatrix.diff import release as release_diff
from quantmatrix.model.environment import EnvironmentSpec, Strategy
from quantmatrix.model.release import Components, ReleaseSpec

ROOT = Path(__file__).resolve().parents[2]


def _field(model: type[BaseModel], *path: str) -> Any:
    """The annotation at `path` through nested models; AssertionError naming the missing part."""
    current: Any = model
    for part in path:
        assert isinstance(current, type) and issubclass(current, BaseModel), (
            f"{'.'.join(path)}: {current} is not a model"
        )
        assert part in current.model_fields, (
            f"the diff reads '{'.'.join(path)}', but {current.__name__} has no field '{part}'"
        )
        current = current.model_fields[part].annotation
    return current


def test_component_names_come_from_the_release_model() -> None:
    assert env_diff.COMPONENTS == tuple(Components.model_fields) and env_diff.COMPONENTS


def test_every_field_the_environment_sections_name_exists() -> None:
    for section, fields in env_diff._CONNECTION_FIELDS.items():
        for name in fields:
            _field(EnvironmentSpec, section, name)
    for section in (*env_diff._CONNECTION_SECTIONS, *env_diff._CREDENTIAL_SECTIONS, *env_diff._SPECIAL):
        _field(EnvironmentSpec, section)
    for section in env_diff._CREDENTIAL_SECTIONS:
        _field(EnvironmentSpec, section, "credentials")
    for path in (("mode",), ("release",), ("risk",), ("capital", "limit"), ("analytics", "logic_version")):
        _field(EnvironmentSpec, *path)
    for name in ("name", "version", "capital", "enabled", "params"):
        assert name in Strategy.model_fields


def test_every_field_the_release_diff_names_exists() -> None:
    for name in release_diff.PINNED:
        _field(ReleaseSpec, name)
    _field(ReleaseSpec, "database", "revision")
    _field(ReleaseSpec, "rollback", "previous")
    _field(ReleaseSpec, "changes", "migrations")


def test_the_check_fails_on_a_missing_field() -> None:
    """The helper itself can fail (a check that cannot fail proves nothing)."""
    try:
        _field(EnvironmentSpec, "capital", "limt")
    except AssertionError as error:
        assert "no field 'limt'" in str(error)
    else:
        raise AssertionError("a missing field went unnoticed")


def test_every_path_the_diff_names_is_a_field_of_its_model() -> None:
    """Computed from the model classes: each path `quantmatrix/diff/fields.py` made, walked
    through `model_fields` (not through `field_path`, which made it)."""
    assert diff_fields.NAMED and all(fields.paths for fields in diff_fields.NAMED)  # not vacuous
    for fields in diff_fields.NAMED:
        for path in fields.paths:
            _field(fields.model, *path)


def test_the_sections_name_only_model_paths() -> None:
    """The leaf sorting, the strategy fields and the release facts read the recorded paths:
    no section of the diff is keyed by a name the models do not have."""
    recorded = {path for fields in diff_fields.NAMED for path in fields.paths}
    spec_paths = {
        diff_fields.MODE,
        diff_fields.RELEASE,
        diff_fields.RISK,
        diff_fields.RISK_CURRENCY,
        diff_fields.CAPITAL_LIMIT,
        diff_fields.ANALYTICS_LOGIC_VERSION,
        diff_fields.ROUTES_LIVE_ORDERS,
        diff_fields.STRATEGIES,
        diff_fields.BLOCKED_SYMBOLS,
        *diff_fields.CREDENTIALS,
        *diff_fields.CONNECTIONS,
    }
    assert spec_paths <= set(diff_fields._spec.paths) <= recorded
    assert set(diff_fields.STRATEGY_FIELDS) == {(name,) for name in Strategy.model_fields}, (
        "a field of Strategy the strategy diff has no place for would land in `other`; give it one"
    )
    assert {(name,) for name in release_diff.PINNED} == set(diff_fields.RELEASE_PINNED)


def test_a_misspelled_accessor_is_a_type_error(tmp_path: Path) -> None:
    """The guarantee itself: an accessor is checked by mypy against its model, so a field
    renamed in the model (here: misspelled in the accessor) fails the type check — the lambda's
    argument is the model, not `Any`. The correct accessor beside them type-checks."""
    snippet = tmp_path / "renamed.py"
    snippet.write_text(
        "from quantmatrix.diff.fields import _spec, _strategy\n"
        "LIMIT = _spec(lambda s: s.capital.limit)\n"
        "RENAMED = _spec(lambda s: s.capital.limt)\n"
        "CAPITAL = _strategy(lambda s: s.capitol)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", str(snippet)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # by file name: mypy's cache may name an identical module by the path it first met it at
    errors = [line.split("renamed.py:")[1] for line in result.stdout.splitlines() if "renamed.py:" in line]
    assert [line.split(":")[0] for line in errors] == ["3", "4"], result.stdout + result.stderr
    assert '"Capital" has no attribute "limt"' in errors[0]
    assert '"Strategy" has no attribute "capitol"' in errors[1]
