"""Edits keep the file as it was: `qm promote` and `qm release new` on LF, CRLF, BOM, mixed
and unterminated files change only the edited lines, byte for byte; the temporary file of a
run killed between fsync and rename is never read as data and is removed by the next edit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402

from quantmatrix.edit.roundtrip import keep_layout  # noqa: E402

Qm = Callable[..., tuple[int, str, str]]
FILE = "environments/paper.yaml"
BOM = b"\xef\xbb\xbf"
LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def lines(raw: bytes) -> list[bytes]:
    return LINE.findall(raw.removeprefix(BOM))


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\n", b"\r\n")


LAYOUTS: dict[str, Callable[[bytes], bytes]] = {
    "lf": lambda raw: raw,
    "crlf": crlf,
    "bom": lambda raw: BOM + raw,
    "bom crlf": lambda raw: BOM + crlf(raw),
    "no final newline": lambda raw: raw.rstrip(b"\n"),
    "crlf, no final newline": lambda raw: crlf(raw).rstrip(b"\r\n"),
    "mixed": lambda raw: b"".join(line.replace(b"\n", b"\r\n") if i % 3 else line for i, line in enumerate(lines(raw))),
}


@pytest.fixture
def repo(tmp_path: Path, qm: Qm) -> gitrepo.GitRepo:
    """The sample with release 2026.12.0 proposed, pinning a new momentum_breakout version:
    promoting paper to it edits two lines of paper.yaml."""
    repo = gitrepo.make_repo(tmp_path / "repo", pack="none")
    assert qm("release", "new", "2026.12.0", str(repo.root))[0] == 0
    repo.edit("releases/2026.12.0.yaml", "momentum_breakout: 1.4.2", "momentum_breakout: 1.4.3")
    return repo


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_promote_changes_only_the_edited_lines_byte_for_byte(qm: Qm, repo: gitrepo.GitRepo, layout: str) -> None:
    path = repo.root / FILE
    before = LAYOUTS[layout](path.read_bytes())
    path.write_bytes(before)
    code, out, err = qm("promote", "2026.12.0", "--to", "paper", str(repo.root))
    assert code == 0, err
    after = path.read_bytes()

    old, new = lines(before), lines(after)
    assert len(old) == len(new)
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert [old[i].strip() for i in changed] == [b"release: 2026.11.1", b"version: 1.4.2"]
    assert [new[i].strip() for i in changed] == [b"release: 2026.12.0", b"version: 1.4.3"]
    for i in changed:  # an edited line keeps its own ending
        assert new[i][len(new[i].rstrip(b"\r\n")) :] == old[i][len(old[i].rstrip(b"\r\n")) :]
    assert after.startswith(BOM) == before.startswith(BOM)
    assert after.endswith(b"\n") == before.endswith(b"\n")
    assert qm("validate", str(repo.root))[0] == 0


@pytest.mark.parametrize("layout", ["crlf", "bom crlf", "crlf, no final newline"])
def test_release_new_writes_in_the_layout_of_its_template(qm: Qm, tmp_path: Path, layout: str) -> None:
    repo = gitrepo.make_repo(tmp_path / "repo", pack="none")
    template = repo.root / "releases/2026.11.1.yaml"
    template.write_bytes(LAYOUTS[layout](template.read_bytes()))
    code, out, err = qm("release", "new", "2026.12.0", str(repo.root))
    assert code == 0, err
    written = (repo.root / "releases/2026.12.0.yaml").read_bytes()
    assert written.startswith(BOM) == template.read_bytes().startswith(BOM)
    assert all(line.endswith(b"\r\n") for line in lines(written)[:-1])
    assert written.endswith(b"\r\n") == template.read_bytes().endswith(b"\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "original, edited, expected",
    [
        ("a: 1\r\nb: 2\r\n", "a: 1\nb: 3\n", "a: 1\r\nb: 3\r\n"),
        ("a: 1\r\nb: 2", "a: 1\nb: 2\nc: 3\n", "a: 1\r\nb: 2\r\nc: 3"),  # b stops being last: it gets an ending
        ("\ufeffa: 1\n", "a: 2\n", "\ufeffa: 2\n"),
        ("a: 1\nb: 2\r\nc: 3\r\n", "a: 1\nb: 2\nc: 4\nd: 5\n", "a: 1\nb: 2\r\nc: 4\r\nd: 5\r\n"),
        ("a: 1\n", "a: 1\n", "a: 1\n"),
        ("", "a: 1\n", "a: 1\n"),
    ],
)
def test_keep_layout(original: str, edited: str, expected: str) -> None:
    assert keep_layout(original, edited) == expected


# --- temporary files ------------------------------------------------------------------------

KILLED_RUN = """
import os, sys
import quantmatrix.edit.apply as apply
apply.os.replace = lambda *a: os._exit(9)  # killed between the fsync and the rename
from quantmatrix.usecases.promote import promote
promote(sys.argv[1], "2026.12.0", "paper")
"""


def orphans(repo: gitrepo.GitRepo) -> list[str]:
    return sorted(p.name for p in (repo.root / "environments").iterdir() if p.name.endswith(".tmp"))


def test_a_run_killed_before_the_rename_leaves_a_tmp_the_next_run_removes(qm: Qm, repo: gitrepo.GitRepo) -> None:
    before = (repo.root / FILE).read_bytes()
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(repo.root)], capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == 9, killed.stderr
    left = orphans(repo)
    assert len(left) == 1 and re.fullmatch(r"\.paper\.yaml\.qm-\d+\.[^.]+\.tmp", left[0])
    assert (repo.root / FILE).read_bytes() == before  # the file itself is intact

    code, out, err = qm("validate", str(repo.root))  # never read as data
    assert code == 0 and "4 environments" in out
    repo.commit("with an orphan")
    assert qm("validate", str(repo.root), "--ref", "HEAD")[0] == 0

    code, out, err = qm("promote", "2026.12.0", "--to", "paper", str(repo.root))
    assert code == 0, err
    assert orphans(repo) == []
    assert b"release: 2026.12.0" in (repo.root / FILE).read_bytes()


def test_only_orphans_of_finished_processes_are_removed(qm: Qm, repo: gitrepo.GitRepo) -> None:
    folder = repo.root / "environments"
    mine = f".paper.yaml.qm-{os.getpid()}.abc123.tmp"  # a run in progress (this process)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead = f".live.yaml.qm-{finished.stdout.strip()}.zz9.tmp"
    foreign = ["notes.tmp", ".paper.yaml.abc.tmp"]  # not named as ours: not ours to remove
    for name in (mine, dead, *foreign):
        (folder / name).write_text("half a file")
    os.symlink("/etc/passwd", folder / ".x.yaml.qm-999999999.a.tmp")  # named as ours, but a link: kept

    assert qm("promote", "2026.12.0", "--to", "paper", str(repo.root))[0] == 0
    assert orphans(repo) == sorted([mine, *foreign, ".x.yaml.qm-999999999.a.tmp"])


def test_an_environment_linked_inside_the_repository_is_edited_where_it_points(qm: Qm, repo: gitrepo.GitRepo) -> None:
    (repo.root / "shared").mkdir()
    (repo.root / FILE).rename(repo.root / "shared/paper.yaml")
    os.symlink("../shared/paper.yaml", repo.root / FILE)
    code, out, err = qm("promote", "2026.12.0", "--to", "paper", str(repo.root))
    assert code == 0, err
    assert os.readlink(repo.root / FILE) == "../shared/paper.yaml"  # still a link
    assert b"release: 2026.12.0" in (repo.root / "shared/paper.yaml").read_bytes()
