"""Shell completion of the values the commands take: environment names, release versions and
git refs. Enable it with `eval "$(_QM_COMPLETE=bash_source qm)"` (zsh_source, fish_source;
for the alias, `_QUANTMATRIX_COMPLETE=bash_source quantmatrix`).

Completion runs on every Tab press, so it only lists file names and asks git for its refs:
it never loads or validates the desired state, and it never fails — a broken repository
or a missing git completes nothing rather than printing an error into the prompt.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
from click.shell_completion import CompletionItem

_SUFFIXES = (".yaml", ".yml")
GIT_TIMEOUT_SECONDS = 2.0


def _root(ctx: click.Context) -> Path:
    """The PATH argument typed so far (default: here). While an option's value is being
    completed, click leaves the positional words unparsed in `ctx.args`: PATH is then the
    word at its position among the command's arguments."""
    path = ctx.params.get("path")
    if ctx.args and path in (None, "."):
        positional = [p.name for p in ctx.command.params if isinstance(p, click.Argument)]
        words = [a for a in ctx.args if not a.startswith("-")]
        if "path" in positional and len(words) > positional.index("path"):
            path = words[positional.index("path")]
    return Path(path if isinstance(path, str) and path else ".")


def _stems(folder: Path) -> list[str]:
    try:
        return sorted(
            {p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(_SUFFIXES) and p.is_file()}
        )
    except OSError:
        return []


def _items(names: list[str], incomplete: str, help: str) -> list[CompletionItem]:
    return [CompletionItem(name, help=help) for name in names if name.startswith(incomplete)]


def environments(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Environment files under PATH/environments/ (not bases `_*`, not the secret catalog)."""
    names = [n for n in _stems(_root(ctx) / "environments") if not n.startswith("_") and n != "secrets"]
    return _items(names, incomplete, "environment")


def releases(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Release versions under PATH/releases/, newest first."""
    from quantmatrix.model.versions import version_key

    names = sorted(_stems(_root(ctx) / "releases"), key=version_key, reverse=True)
    return _items(names, incomplete, "release")


def git_refs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Branches, remote branches and tags of the repository holding PATH, and HEAD."""
    try:
        done = subprocess.run(
            [
                "git",
                "-C",
                str(_root(ctx)),
                "for-each-ref",
                "--format=%(refname:short)",
                "refs/heads",
                "refs/remotes",
                "refs/tags",
            ],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    refs = ["HEAD", *dict.fromkeys(line for line in done.stdout.splitlines() if line and not line.endswith("/HEAD"))]
    return _items(refs, incomplete, "git ref")
