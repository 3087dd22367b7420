"""Edited files are written only when the whole desired state still validates, atomically."""

from __future__ import annotations

import pytest

from quantmatrix.edit.apply import check_edits, write_edits
from quantmatrix.errors import ConfigError

LIVE = "environments/live.yaml"


def leftovers(root):  # type: ignore[no-untyped-def]
    return [p.name for p in root.rglob("*.tmp")]


def test_an_edit_that_breaks_validation_is_not_written(repo):
    before = repo.read(LIVE)
    broken = before.replace("release: 2026.11.0", "release: 2030.1.0")
    with pytest.raises(ConfigError) as error:
        write_edits(repo.root, {LIVE: broken})
    (problem,) = error.value.problems
    assert (problem.file, problem.line) == (LIVE, repo.line_of(LIVE, "release: 2026.11.0"))
    assert "release 2030.1.0 not found" in problem.message
    assert repo.read(LIVE) == before and leftovers(repo.root) == []


def test_a_valid_edit_is_written_in_place_keeping_the_file_mode(repo):
    (repo.root / LIVE).chmod(0o600)
    text = repo.read(LIVE).replace("max_daily_loss: 1500", "max_daily_loss: 1400")
    state = write_edits(repo.root, {LIVE: text})
    assert state.environments["live"].spec.risk.max_daily_loss == 1400
    assert repo.read(LIVE) == text and (repo.root / LIVE).stat().st_mode & 0o777 == 0o600
    assert leftovers(repo.root) == []


def test_check_edits_sees_new_files_without_writing_them(repo):
    text = repo.read("releases/2026.11.1.yaml").replace("name: 2026.11.1", "name: 2026.12.0")
    state = check_edits(repo.root, {"releases/2026.12.0.yaml": text})
    assert "2026.12.0" in state.releases and not (repo.root / "releases/2026.12.0.yaml").exists()


def test_creating_a_file_never_overwrites(repo):
    text = repo.read("releases/2026.11.1.yaml")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        write_edits(
            repo.root,
            {"releases/2026.11.1.yaml": text.replace("ui: 2.8.0", "ui: 2.9.0")},
            create=("releases/2026.11.1.yaml",),
        )
    assert repo.read("releases/2026.11.1.yaml") == text and leftovers(repo.root) == []
