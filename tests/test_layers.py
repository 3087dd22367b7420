"""The import direction: no package imports a layer above its own (DESIGN.md "Where the layers
sit"). Every module's imports are read with `ast` — function-level and `TYPE_CHECKING` imports
included, since a deferred import is still a dependency — so a new upward import fails here,
with the module and line that makes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "quantmatrix"

# Lowest first. A package may import itself, any package of a lower layer, and nothing above;
# within a layer only the pairs in SIDEWAYS. `render` sits just above `repo` (it reads the
# loader's definition of unsafe text) and below everything that renders; `edit` (round-trip
# YAML edits, validated by loading) beside it.
LAYERS: list[set[str]] = [
    {"redaction"},
    {"errors"},
    {"model"},
    {"state"},
    {"repo"},
    {"edit", "render"},
    {"policy", "diff"},
    {"runtime"},
    {"sandbox", "observability"},
    {"reconcile"},
    {"release", "statuspage"},
    {"usecases"},
    {"cli"},
]
SIDEWAYS = {("diff", "policy")}  # the PR summary shows the gate's result; policy never imports diff
TOP_LEVEL = {"__init__", "__main__"}  # `quantmatrix` (the version) and `python -m quantmatrix`
RANK = {name: index for index, layer in enumerate(LAYERS) for name in layer}


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported quantmatrix module) for every import in the file, at any depth."""
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    here = list(relative.parts)
    if here[-1] == "__init__":
        here = here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                anchor = here[: len(here) - node.level + (1 if path.name == "__init__.py" else 0)]
                module = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            if module == "quantmatrix":  # `from quantmatrix import cli`
                found += [
                    (node.lineno, f"quantmatrix.{alias.name}") for alias in node.names if alias.name != "__version__"
                ]
    return [(line, name) for line, name in found if name == "quantmatrix" or name.startswith("quantmatrix.")]


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _violations() -> list[str]:
    bad = []
    for path in _modules():
        source = _package_of(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        if source == "__main__":
            continue
        for line, module in _imports(path):
            target = _package_of(module)
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}"
            if target == source or target == "__init__":
                continue
            if source == "__init__" or source not in RANK:
                bad.append(f"{where} ({source} has no layer: add it to LAYERS)")
            elif target not in RANK:
                bad.append(f"{where} ({target} has no layer: add it to LAYERS)")
            elif RANK[target] > RANK[source] or (RANK[target] == RANK[source] and (source, target) not in SIDEWAYS):
                bad.append(f"{where} (layer of {source} may not import {target})")
    return bad


def test_no_package_imports_upward():
    assert _violations() == []


def test_no_library_module_imports_the_cli():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in _modules()
        if path.parent.name != "cli" and path.name != "__main__.py" and PACKAGE / "cli" not in path.parents
        for line, module in _imports(path)
        if module == "quantmatrix.cli" or module.startswith("quantmatrix.cli.")
    ]
    assert offenders == []


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} | {
        p.stem for p in PACKAGE.glob("*.py") if p.stem not in TOP_LEVEL
    }
    assert packages - set(RANK) == set()


# The checker itself must catch what it is meant to: planted modules, each making one upward
# import the way real code does (top level, inside a function, under TYPE_CHECKING, relative).
@pytest.mark.parametrize(
    "text",
    [
        "from quantmatrix.cli.output import style\n",
        "def f():\n    import quantmatrix.cli.output\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from quantmatrix.cli import main\n",
        "from quantmatrix import cli\n",
        "from ..cli import output\n",
    ],
)
def test_the_checker_sees_every_form_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str):
    package = tmp_path / "quantmatrix"
    (package / "diff").mkdir(parents=True)
    (package / "diff" / "__init__.py").write_text("")
    (package / "diff" / "planted.py").write_text(text)
    monkeypatch.setattr(f"{__name__}.PACKAGE", package)
    assert [v.split(": ", 1)[0] for v in _violations()] == [f"quantmatrix/diff/planted.py:{text.count(chr(10))}"]


def test_the_checker_refuses_diff_importing_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    package = tmp_path / "quantmatrix"
    (package / "diff").mkdir(parents=True)
    (package / "diff" / "state.py").write_text("def key():\n    from quantmatrix.release.promote import promote\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", package)
    assert _violations() == [
        "quantmatrix/diff/state.py:2: imports quantmatrix.release.promote (layer of diff may not import release)"
    ]
