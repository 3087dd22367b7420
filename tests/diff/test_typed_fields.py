"""The diff reads the typed models: a renamed model field breaks the build, not the diff.

Values the diff interprets (mode, release pin, components, migration revision, config and
analytics versions) are read as model attributes, so mypy --strict (tests/test_typing.py)
fails when a field is renamed. The generic leaf-by-leaf comparison walks the effective
documents; the field names its sections sort by are checked here against the models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from quantmatrix.diff import environment as env_diff
from quantmatrix.diff import release as release_diff
from quantmatrix.model.environment import EnvironmentSpec, Strategy
from quantmatrix.model.release import Components, ReleaseSpec


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
