"""Parsing a batch of files on two CPUs (quantmatrix/repo/parallel.py) gives exactly what
parsing them one by one gives, problems and positions included, and falls back to parsing
in this process whenever the child cannot deliver."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo import parallel
from quantmatrix.repo.loader import load
from quantmatrix.repo.yamlfile import YamlDocument

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

FILES = [
    (
        "environments/a.yaml",
        b"apiVersion: quantmatrix.io/v1\nkind: Environment\nmetadata: {name: a}\nspec:\n  risk: {max: 5}\n  list: [1, 2.5, true, null, x]\n",
    ),
    ("environments/b.yaml", b"a: 1\na: 2\n"),  # duplicate key
    ("environments/c.yaml", b"a: [1, 2\n"),  # syntax error
    ("environments/d.yaml", b"\xff\xfe not utf-8"),
    ("environments/e.yaml", b"- a list\n"),
    ("environments/f.yaml", b"big: " + b"x" * 5000 + b"\nn: 9223372036854775807\n"),
    ("releases/g.yaml", b"key: &anchor 1\nother: *anchor\n"),  # refused aliases
]


def as_comparable(results):
    return [
        ("doc", r.file, r.data, r.positions)
        if isinstance(r, YamlDocument)
        else ("problems", [(p.file, p.line, p.col, p.path, p.message) for p in r])
        for r in results
    ]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Allow forking on any machine with os.fork (even one CPU) and count the forks."""
    calls: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        pid = real_fork()
        if pid:
            calls.append(pid)
        return pid

    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    monkeypatch.setattr(os, "fork", counting_fork)
    return calls


def test_a_forked_batch_gives_what_parsing_file_by_file_gives(forks: list[int]):
    serial = parallel.parse_files(FILES, parallel=False)
    assert not forks
    forked = parallel.parse_files(FILES, parallel=True)
    assert len(forks) == 1
    assert as_comparable(forked) == as_comparable(serial)
    kinds = [kind for kind, *_ in as_comparable(serial)]
    assert kinds == ["doc", "problems", "problems", "problems", "problems", "doc", "problems"]


def test_when_the_child_cannot_deliver_this_process_parses_its_part(forks: list[int], monkeypatch: pytest.MonkeyPatch):
    serial = as_comparable(parallel.parse_files(FILES, parallel=False))

    def broken(parsed):  # runs in the child only: the parent never packs results
        raise RuntimeError("the child crashed")

    monkeypatch.setattr(parallel, "_plain", broken)
    assert as_comparable(parallel.parse_files(FILES, parallel=True)) == serial
    assert len(forks) == 1


def test_small_batches_and_threaded_processes_are_parsed_here(monkeypatch: pytest.MonkeyPatch):
    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", no_fork)
    assert len(parallel.parse_files(FILES)) == len(FILES)  # far below PARALLEL_MIN_BYTES
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel._can_fork()
    finally:
        stop.set()
        thread.join()


def test_a_large_repository_loads_the_same_either_way(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
):
    import importlib.util

    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)  # type: ignore[union-attr]
    repo = synthetic.write_repo(tmp_path / "repo", environments=40, strategies=5, releases=10)

    def loaded(minimum: int):
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", minimum)
        try:
            return load(repo).document()
        except ConfigError as error:
            return [str(p) for p in error.problems]

    valid = loaded(10**12)
    assert not forks and len(valid["environments"]) == 40
    assert loaded(0) == valid and len(forks) == 1
    # broken files in this process's part (environments come first) and in the child's
    (repo / "environments" / "local-0000.yaml").write_text("spec: [broken\n")
    (repo / "releases" / "2020.1.9.yaml").write_text("a: 1\na: 2\n")
    broken = loaded(10**12)
    assert loaded(0) == broken and len(forks) == 2
    assert broken[0].startswith("environments/local-0000.yaml:2:1: YAML syntax error")
    assert "releases/2020.1.9.yaml:2:1: a: duplicate key 'a' (first defined at line 1)" in broken
