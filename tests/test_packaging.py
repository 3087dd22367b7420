"""Packaging metadata that build and twine read: an SPDX licence expression with its file
(the TOML-table form stops building in 2027), project URLs, classifiers, a changelog in
Keep a Changelog form that says how releases are tagged."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    assert PROJECT["license"] == "LicenseRef-Proprietary"  # a string, not {text = ...}
    assert PROJECT["license-files"] == ["LICENSE"]
    assert "Proprietary" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639: the expression says it
    setuptools = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    assert setuptools and int(re.search(r">=(\d+)", setuptools[0]).group(1)) >= 77  # PEP 639 support


def test_urls_and_classifiers() -> None:
    assert {"Homepage", "Source", "Changelog", "Issues"} <= set(PROJECT["urls"])
    assert all(url.startswith("https://") for url in PROJECT["urls"].values())
    assert "Private :: Do Not Upload" in PROJECT["classifiers"]  # a public index refuses it
    assert "Programming Language :: Python :: 3.11" in PROJECT["classifiers"]


def test_the_changelog_has_unreleased_the_current_version_and_the_tagging_procedure() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert f"## [{PROJECT['version']}] - " in changelog
    assert "git tag -a vX.Y.Z" in changelog
    from quantmatrix import __version__

    assert __version__ == PROJECT["version"]
