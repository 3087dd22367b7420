"""Real temporary git repositories holding a copy of the sample desired state, for the tests
of `qm diff`, the delta rules, `qm release new` and `qm promote`.

Commits are made with a fixed author and date so that nothing depends on the machine's git
configuration; tests still never compare commit ids (labels are normalised where shown).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "QM Test",
    "GIT_AUTHOR_EMAIL": "qm-test@example.invalid",
    "GIT_COMMITTER_NAME": "QM Test",
    "GIT_COMMITTER_EMAIL": "qm-test@example.invalid",
    "GIT_AUTHOR_DATE": "2026-11-20T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-11-20T12:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

# The delta rules and their helpers, with fixed thresholds: tests of the diff and of the
# change rules do not move when another area of the pack changes. Copied from the built-in
# pack into the repository's policies/, and judged alone (`without_builtin_pack`).
BUILTIN = ROOT / "quantmatrix" / "policies"
CHANGE_PACK = ("lib.rego", "change.rego")
CHANGE_SETTINGS = "change:\n  min_observation_days: 14\n  max_step_increase: 0.5\n"


# The paper validation block of release 2026.11.1 (appended to its file), as a paper run records it.
PAPER_EVIDENCE = """  validation:
    paper:
      environment: paper
      deployment: dep-paper-2026.11.1-1
      started: 2026-11-17
      completed: 2026-11-24
      result: {result}
"""


class GitRepo:
    def __init__(self, root: Path):
        self.root = root

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, env={**os.environ, **_GIT_ENV}, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def read(self, file: str) -> str:
        return (self.root / file).read_text(encoding="utf-8")

    def write(self, file: str, text: str) -> None:
        (self.root / file).write_text(text, encoding="utf-8")

    def edit(self, file: str, old: str, new: str) -> None:
        """Replace `old` (which must occur exactly once) by `new` in `file`."""
        text = self.read(file)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
        self.write(file, text.replace(old, new))

    def validated_in_paper(self, result: str = "passed") -> None:
        """Commit a paper validation of release 2026.11.1 with `result`."""
        file = "releases/2026.11.1.yaml"
        self.write(file, self.read(file) + PAPER_EVIDENCE.format(result=result))
        self.commit(f"paper validation of 2026.11.1: {result}")

    def line_of(self, file: str, text: str) -> int:
        return next(n for n, line in enumerate(self.read(file).splitlines(), 1) if text in line)


def without_builtin_pack(monkeypatch: Any) -> None:
    """Judge with the repository's policies/ alone (the "change" pack's tests)."""
    from quantmatrix.policy import builtin

    monkeypatch.setattr(builtin, "installed", lambda: None)


def make_repo(path: Path, pack: str = "change") -> GitRepo:
    """The sample repository committed on `main`. `pack`: "change" (the delta rules only,
    fixed thresholds, in policies/: use with `without_builtin_pack`), "real" (this checkout's
    policies/: waivers, approvers, settings; the installed built-in pack judges), "tool"
    (as "real", plus the built-in pack at quantmatrix/policies/, as in this tool's own
    repository) or "none"."""
    path.mkdir(parents=True)
    for folder in ("environments", "releases"):
        shutil.copytree(ROOT / folder, path / folder)
    if pack in ("real", "tool"):
        shutil.copytree(ROOT / "policies", path / "policies")
    if pack == "tool":
        shutil.copytree(BUILTIN, path / "quantmatrix" / "policies")
    elif pack == "change":
        (path / "policies").mkdir()
        for name in CHANGE_PACK:
            shutil.copy(BUILTIN / name, path / "policies" / name)
        (path / "policies" / "settings.yaml").write_text(CHANGE_SETTINGS)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    repo.commit("sample desired state")
    return repo
