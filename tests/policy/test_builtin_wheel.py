"""The pack ships in the wheel: build a real wheel of this checkout, install it into a fresh
virtual environment, and run `qm` in a consuming repository that has no `policies/`.

The wheel is built once per run (about 10 s; setuptools comes from the package registry, as
for any build). The fresh environment gets the wheel alone (`--no-deps`); its dependencies
are this test environment's, put on its path after its own site-packages by a `.pth` file,
so nothing but the package comes from the wheel and nothing is downloaded twice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin/` of a fresh venv with the wheel of this checkout installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: building in the checkout would leave build/ behind
    source.mkdir()
    for entry in ROOT.iterdir():
        if entry.is_file() and not entry.name.startswith("."):
            shutil.copy(entry, source / entry.name)
    shutil.copytree(ROOT / "quantmatrix", source / "quantmatrix", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("quantmatrix_deploy-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    root = tmp_path / "consumer"
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "qm"), *args], cwd=cwd, capture_output=True, text=True)


def test_the_installed_wheel_judges_a_repository_without_policies(installed: Path, consumer: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import quantmatrix; print(quantmatrix.__file__)"],
        cwd=consumer,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(installed.parent)), where  # the wheel's copy, not this checkout
    done = run(installed, consumer, "check", "--today", "2026-11-28")
    assert done.returncode == 0, done.stdout + done.stderr
    rules = re.search(r"embedded engine, (\d+) rules", done.stdout)
    assert rules and int(rules.group(1)) >= 60  # the whole pack, from the installed package
    paper = consumer / "environments" / "paper.yaml"
    paper.write_text(paper.read_text().replace("routes_live_orders: false", "routes_live_orders: true"))
    done = run(installed, consumer, "check", "--today", "2026-11-28")
    assert done.returncode == 1 and "QM-SEP-004" in done.stdout


def test_the_installed_wheel_runs_the_built_in_pack_tests(installed: Path, consumer: Path) -> None:
    done = run(installed, consumer, "policy", "test")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    count = int(summary.split()[0])
    assert count > 100 and summary == f"{count} tests: {count} passed, 0 failed"
