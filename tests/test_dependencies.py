"""pyproject.toml declares what the code imports, and the gate installs only what it needs:
every third-party module the package imports is a declared dependency (the gate's or, for
the running system, the `runtime` extra's), and the gate's list has none of the runtime's."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from quantmatrix.cli.edge import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
# Imported directly but versioned by the package that pins it exactly (pydantic documents
# `from pydantic_core import PydanticCustomError`): declaring it too could only conflict.
PINNED_BY = {"pydantic_core": "pydantic"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def _imported_modules() -> dict[str, str]:
    """Top-level module → first file importing it, for every import in quantmatrix/."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "quantmatrix").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                found.setdefault(module.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _third_party(modules: dict[str, str]) -> dict[str, str]:
    return {
        m: f for m, f in modules.items() if m not in sys.stdlib_module_names and m not in ("quantmatrix", "__future__")
    }


def test_every_imported_library_is_declared() -> None:
    core, extras = _names(PROJECT["dependencies"]), PROJECT["optional-dependencies"]
    distributions = packages_distributions()
    undeclared = []
    for module, file in sorted(_third_party(_imported_modules()).items()):
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])} | {
            PINNED_BY.get(module, module)
        }
        allowed = core | _names(extras[EXTRAS[module]]) if module in EXTRAS else core
        if not names & allowed:
            undeclared.append(f"{module} (imported by {file}; distribution {sorted(names)})")
    assert not undeclared, "declare in pyproject.toml: " + ", ".join(undeclared)


def test_the_gate_installs_no_optional_library() -> None:
    core = _names(PROJECT["dependencies"])
    assert not core & {
        "sqlalchemy",
        "alembic",
        "redis",
        "httpx",
        "psycopg",
        "holidays",
        "opa-python-client",
        "requests",
        "jsonschema",
        "pytest",
        "mypy",
    }
    assert {"sqlalchemy", "alembic", "redis", "httpx", "psycopg", "holidays"} <= _names(
        PROJECT["optional-dependencies"]["runtime"]
    )
    assert {"opa-python-client", "requests"} <= _names(PROJECT["optional-dependencies"]["opa"])
    # the edge's hint names an extra that exists, for a library that extra installs
    for module, extra in EXTRAS.items():
        assert extra in PROJECT["optional-dependencies"], module


def test_the_test_extra_brings_the_extras_and_jsonschema() -> None:
    test = PROJECT["optional-dependencies"]["test"]
    assert "quantmatrix-deploy[opa,runtime]" in test  # tests of the OPA engine and the running system
    assert {"jsonschema", "pytest", "mypy"} <= _names(test)


def test_the_checker_sees_imports() -> None:
    # the scan itself finds what the package really imports (else the first test proves nothing)
    third = _third_party(_imported_modules())
    assert {"pydantic", "click", "regorus", "opa_client", "requests"} <= set(third)
