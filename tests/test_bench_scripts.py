"""The bench scripts parse their arguments: `--help` prints usage and writes nothing, a bad
value is a one-line usage error (exit 2) before anything is written or timed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from quantmatrix.repo.loader import load
from quantmatrix.repo.yamlfile import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(
    p.name for p in (ROOT / "bench").glob("*.py") if p.name not in ("__init__.py", "args.py", "timing.py")
)  # scripts, not helpers
_spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_every_bench_script_is_covered() -> None:
    # every script in bench/ gets the --help test below (a new one too, without editing this file)
    assert {"check_bench.py", "synthetic.py", "validate_bench.py", "engine_choice.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_usage_and_writes_nothing(script: str, tmp_path: Path) -> None:
    done = run(script, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    assert list(tmp_path.iterdir()) == []


BAD = [
    ("synthetic.py", (), "the following arguments are required: OUT_DIR"),
    ("synthetic.py", ("out", "0"), "argument ENVIRONMENTS: must be 1 or more: '0'"),
    ("synthetic.py", ("out", "ten"), "argument ENVIRONMENTS: not a whole number: 'ten'"),
    ("synthetic.py", ("out", "10", "-3"), "must be 1 or more: '-3'"),
    ("synthetic.py", ("out", "2000", "--single-catalog"), "exceeds the loader's 1 MiB limit"),
    ("synthetic.py", ("--bogus", "out"), "unrecognized arguments: --bogus"),
    ("validate_bench.py", ("--runs", "0"), "argument --runs: must be 1 or more: '0'"),
    ("validate_bench.py", ("--sizes", "250,,x"), "argument --sizes: not a whole number: 'x'"),
    ("check_bench.py", ("--sizes", ","), "argument --sizes: expected environment counts"),
    ("check_bench.py", ("--strategies", "1.5"), "argument --strategies: not a whole number: '1.5'"),
    ("engine_choice.py", ("extra",), "unrecognized arguments: extra"),
    ("window_lock_bench.py", ("--runs", "zero"), "argument --runs: not a whole number: 'zero'"),
    ("store_control_bench.py", ("--runs", "-1"), "argument --runs: must be 1 or more: '-1'"),
    ("checks_bench.py", ("--runs", "0"), "argument --runs: must be 1 or more: '0'"),
    ("checks_bench.py", ("--environment", "prod"), "argument --environment: invalid choice: 'prod'"),
    ("history_bench.py", ("--records", "0"), "argument --records: must be 1 or more: '0'"),
]


@pytest.mark.parametrize(("script", "args", "message"), BAD, ids=[f"{s}-{' '.join(a) or 'none'}" for s, a, _ in BAD])
def test_a_bad_argument_is_a_usage_error(script: str, args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    done = run(script, *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_synthetic_never_writes_into_a_folder_that_has_files(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    done = run("synthetic.py", "out", "3", "2", "2", cwd=tmp_path)
    assert done.returncode == 2 and "out exists and is not an empty folder" in done.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_synthetic_writes_a_valid_repository(tmp_path: Path) -> None:
    done = run("synthetic.py", "out", "12", "3", "4", "--split-catalog", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    state = load(tmp_path / "out")
    assert len(state.environments) == 12 and [d.file for d in state.catalog_docs] == [
        "environments/secrets/team-00.yaml"
    ]


def test_a_split_synthetic_catalog_is_the_single_one(tmp_path: Path) -> None:
    single = load(
        synthetic.write_repo(tmp_path / "single", environments=30, strategies=2, releases=3, split_catalog=False)
    )
    synthetic.ENVIRONMENTS_PER_TEAM, saved = 7, synthetic.ENVIRONMENTS_PER_TEAM
    try:
        split = load(
            synthetic.write_repo(tmp_path / "split", environments=30, strategies=2, releases=3, split_catalog=True)
        )
    finally:
        synthetic.ENVIRONMENTS_PER_TEAM = saved
    assert len(split.catalog_docs) == 5  # 30 environments, 7 per file
    assert split.document() == single.document()


def test_big_fleets_split_their_catalog_into_files_well_under_the_limit() -> None:
    assert synthetic.SPLIT_CATALOG_ABOVE >= 1000  # the recorded 1,000-environment figures keep one file
    # the largest team file: the mode with the most secrets in every slot
    team = synthetic.catalog_yaml(
        synthetic.ENVIRONMENTS_PER_TEAM * 3, synthetic.ENVIRONMENTS_PER_TEAM * 2, name="team-02"
    )
    assert len(team.encode()) < MAX_FILE_BYTES / 2
