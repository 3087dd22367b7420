"""Follow a branch of a git repository: fetch it into a private checkout, at an exact commit.

The repository may be a URL or a local path (tests use real local repositories, never the
network). Fetching into our own clone keeps the operator's work tree untouched, and the
checkout is detached at the fetched commit, which is what the apply applies (`--ref`).
The branch name and the URL are checked before git sees them (no option injection), git
never prompts, and `ext::` transports are refused.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from quantmatrix.errors import ConfigError, Problem, RuntimeUnavailable

GIT_TIMEOUT = 60.0


class GitUnavailable(RuntimeUnavailable):
    """The followed repository cannot be fetched now (network, server, path gone)."""


def _env() -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "LANG", "SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "TMPDIR")
    }
    return {**keep, "GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "file:https:ssh:git"}


def _git(workdir: Path, *args: str, timeout: float = GIT_TIMEOUT) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(workdir), "-c", "protocol.ext.allow=never", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(),
        )
    except subprocess.TimeoutExpired:
        raise GitUnavailable(Problem(subject="git", message=f"git {args[0]} timed out after {timeout:.0f}s")) from None
    except OSError as error:
        raise GitUnavailable(Problem(subject="git", message=f"git cannot run: {error.strerror}")) from None
    if out.returncode != 0:
        first = (out.stderr.strip().splitlines() or ["failed"])[-1][:200]
        raise GitUnavailable(Problem(subject="git", message=f"git {args[0]}: {first}"))
    return out.stdout


def check_branch(branch: str) -> str:
    out = subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True, text=True)
    if branch.startswith("-") or out.returncode != 0:
        raise ConfigError(Problem(subject="--branch", message="not a valid branch name"))
    return branch


def check_repo(repo: str) -> str:
    if not repo or repo.startswith("-") or "\n" in repo or "\x00" in repo or repo.lower().startswith("ext::"):
        raise ConfigError(Problem(subject="--repo", message="not a repository URL or path"))
    if "://" not in repo and ":" not in repo.split("/")[0]:
        path = Path(repo).resolve()
        if not path.exists():
            raise ConfigError(Problem(subject="--repo", message=f"{path} does not exist"))
        return str(path)
    return repo


class Follower:
    """`fetch()` → the branch's commit now; `checkout(commit)` → the directory at it."""

    def __init__(self, repo: str, branch: str, workdir: Path):
        self.repo, self.branch, self.workdir = check_repo(repo), check_branch(branch), workdir
        self.tracking = f"refs/qm-follow/{branch}"

    def _init(self) -> None:
        if not (self.workdir / ".git").exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            _git(self.workdir, "init", "--quiet")

    def fetch(self) -> str:
        self._init()
        _git(
            self.workdir,
            "fetch",
            "--quiet",
            "--no-tags",
            "--force",
            "--",
            self.repo,
            f"+refs/heads/{self.branch}:{self.tracking}",
        )
        return _git(self.workdir, "rev-parse", "--verify", "--quiet", f"{self.tracking}^{{commit}}").strip()

    def checkout(self, commit: str) -> Path:
        if self.head() != commit:
            _git(self.workdir, "checkout", "--quiet", "--force", "--detach", commit)
        return self.workdir

    def head(self) -> str | None:
        try:
            return _git(self.workdir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", timeout=10).strip() or None
        except GitUnavailable:
            return None
