"""The loader never leaves the repository, and never mis-reads a file: symlinks, special
files and hostile file names, each in the work tree AND at a git ref (`--ref`), which must
agree. Real temporary git repositories (tests/diff/gitrepo.py) holding the sample state and
the real policy pack."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402

from quantmatrix.errors import ConfigError  # noqa: E402
from quantmatrix.policy.pack import load_pack  # noqa: E402
from quantmatrix.repo.source import DirectorySource, GitSource  # noqa: E402

MODES = ("worktree", "ref")
Qm = Callable[..., tuple[int, str, str]]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the repository (outside it) holding a well-formed environment."""
    folder = tmp_path / "outside"
    folder.mkdir()
    text = (gitrepo.ROOT / "environments/paper.yaml").read_text().replace("name: paper", "name: evil")
    (folder / "evil.yaml").write_text(text.replace("PAPER TRADING", "OUTSIDE-MARKER"))
    (folder / "allow.rego").write_text("package qm.rules.separation\n\nimport rego.v1\n\ndeny := set()\n")
    return folder


def run(qm: Qm, repo: gitrepo.GitRepo, mode: str, command: str = "validate", *args: str) -> tuple[int, str]:
    """Run `qm COMMAND ARGS PATH` on the work tree, or on a commit of it (`mode` "ref")."""
    if mode == "ref":
        repo.commit("hostile change")
    ref = ("--ref", "HEAD") if mode == "ref" else ()
    code, out, err = qm(command, *args, str(repo.root), *ref)
    assert "Traceback" not in out + err and "unexpected error" not in out + err
    return code, out + err


def link(repo: gitrepo.GitRepo, path: str, target: str | Path) -> None:
    (repo.root / path).unlink(missing_ok=True)
    os.symlink(target, repo.root / path)


# --- symlinks that leave the repository, dangle or loop: an error at that path, exit 2 ------


@pytest.mark.parametrize("mode", MODES)
def test_a_symlink_to_etc_passwd_is_refused_not_read(qm: Qm, repo: gitrepo.GitRepo, mode: str) -> None:
    link(repo, "environments/passwd.yaml", "/etc/passwd")
    code, output = run(qm, repo, mode)
    assert code == 2
    assert "environments/passwd.yaml: symlink to '/etc/passwd' leaves the repository" in output
    assert "root:" not in output and "valid:" not in output


@pytest.mark.parametrize("mode", MODES)
def test_an_environment_outside_the_repository_is_never_loaded(
    qm: Qm, repo: gitrepo.GitRepo, outside: Path, mode: str
) -> None:
    link(repo, "environments/evil.yaml", os.path.relpath(outside / "evil.yaml", repo.root / "environments"))
    assert run(qm, repo, mode)[0] == 2
    code, output = run(qm, repo, mode, "render", "evil")
    assert code == 2 and "environments/evil.yaml: symlink to '../../outside/evil.yaml' leaves the repository" in output
    assert "OUTSIDE-MARKER" not in output


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["../../../../../../etc/hostname", "../environments/../../x.yaml", "/dev/null"])
def test_climbing_or_absolute_targets_leave_the_repository(
    qm: Qm, repo: gitrepo.GitRepo, mode: str, target: str
) -> None:
    link(repo, "environments/x.yaml", target)
    code, output = run(qm, repo, mode)
    assert code == 2 and f"environments/x.yaml: symlink to '{target}' leaves the repository" in output


def test_an_empty_symlink_target_at_a_ref_is_refused(qm: Qm, repo: gitrepo.GitRepo) -> None:
    """A file system cannot hold an empty link, but a commit can."""
    empty = repo.git("hash-object", "-w", "--stdin").strip()
    repo.git("update-index", "--add", "--cacheinfo", f"120000,{empty},environments/x.yaml")
    repo.git("commit", "-q", "-m", "empty link")
    code, out, err = qm("validate", str(repo.root), "--ref", "HEAD")
    assert code == 2 and "environments/x.yaml: symlink to '' leaves the repository" in err


@pytest.mark.parametrize("mode", MODES)
def test_a_dangling_live_is_an_error_not_three_environments(qm: Qm, repo: gitrepo.GitRepo, mode: str) -> None:
    link(repo, "environments/live.yaml", "live-v2.yaml")
    code, output = run(qm, repo, mode)
    assert code == 2
    assert "environments/live.yaml: symlink to 'live-v2.yaml' dangles" in output
    assert "3 environments" not in output


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "links",
    [{"environments/live.yaml": "live.yaml"}, {"environments/live.yaml": "b.yaml", "environments/b.yaml": "live.yaml"}],
)
def test_a_symlink_loop_is_an_error(qm: Qm, repo: gitrepo.GitRepo, mode: str, links: dict[str, str]) -> None:
    for path, target in links.items():
        link(repo, path, target)
    code, output = run(qm, repo, mode)
    assert code == 2 and "environments/live.yaml: symlink loop" in output


@pytest.mark.parametrize("mode", MODES)
def test_a_symlink_to_a_directory_is_not_a_file(qm: Qm, repo: gitrepo.GitRepo, mode: str) -> None:
    link(repo, "environments/d.yaml", "../releases")
    code, output = run(qm, repo, mode)
    assert (
        code == 2 and "environments/d.yaml: is a directory, not a file (through a symlink to '../releases')" in output
    )


@pytest.mark.parametrize("mode", MODES)
def test_symlinks_inside_the_repository_are_read(qm: Qm, repo: gitrepo.GitRepo, mode: str) -> None:
    (repo.root / "shared").mkdir()
    shutil.move(repo.root / "environments/paper.yaml", repo.root / "shared/paper.yaml")
    link(repo, "environments/paper.yaml", "../shared/paper.yaml")
    link(repo, "environments/via.yaml", "../environments/./../environments/paper.yaml")  # climbs, stays inside
    code, output = run(qm, repo, mode)
    assert code == 2 and "name 'paper' does not match the file name 'via'" in output  # read, and judged as any file
    (repo.root / "environments/via.yaml").unlink()
    code, output = run(qm, repo, mode)
    assert code == 0 and "4 environments (backtest, live, local, paper)" in output, output
    code, output = run(qm, repo, mode, "render", "paper")
    assert code == 0 and "PAPER TRADING" in output


@pytest.mark.parametrize("mode", MODES)
def test_a_symlinked_folder_is_followed_inside_and_refused_outside(
    qm: Qm, repo: gitrepo.GitRepo, tmp_path: Path, mode: str
) -> None:
    shutil.move(repo.root / "releases", repo.root / "release-manifests")
    link(repo, "releases", "release-manifests")
    code, output = run(qm, repo, mode)
    assert code == 0 and "3 releases" in output, output

    shutil.move(repo.root / "release-manifests", tmp_path / "elsewhere")
    link(repo, "releases", tmp_path / "elsewhere")
    code, output = run(qm, repo, mode)
    assert code == 2 and f"releases: symlink to '{tmp_path / 'elsewhere'}' leaves the repository" in output


@pytest.mark.parametrize("mode", MODES)
def test_a_rego_file_linked_from_outside_cannot_replace_a_rule(
    qm: Qm, repo: gitrepo.GitRepo, outside: Path, mode: str
) -> None:
    link(repo, "policies/separation.rego", outside / "allow.rego")
    code, output = run(qm, repo, mode, "check")
    assert (
        code == 2 and f"policies/separation.rego: symlink to '{outside / 'allow.rego'}' leaves the repository" in output
    )


# A repository rule that always fires (one finding, at the paper environment).
ACME_RULE = """package qm.rules.acme

import rego.v1

# METADATA
# title: Always
# custom:
#   id: ACME-001
#   severity: deny
#   guide: none
deny contains f if {
\tf := {"id": "ACME-001", "msg": "always", "path": ["environments", "paper"]}
}
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_rego_file_linked_inside_is_part_of_the_pack(qm: Qm, repo: gitrepo.GitRepo, mode: str) -> None:
    (repo.root / "shared").mkdir()
    (repo.root / "shared/acme.rego").write_text(ACME_RULE)
    link(repo, "policies/acme.rego", "../shared/acme.rego")
    code, output = run(qm, repo, mode, "check")
    assert code == 1 and "ACME-001" in output, output
    source = GitSource(repo.root, "HEAD") if mode == "ref" else DirectorySource(repo.root)
    modules = dict(load_pack(source).modules)
    assert modules["policies/acme.rego"] == ACME_RULE


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("file", ["policies/settings.yaml", "policies/waivers.yaml"])
def test_pack_side_files_follow_the_same_rule(qm: Qm, repo: gitrepo.GitRepo, mode: str, file: str) -> None:
    link(repo, file, "gone.yaml")  # settings would otherwise silently fall back to defaults
    code, output = run(qm, repo, mode, "check")
    assert code == 2 and f"{file}: symlink to 'gone.yaml' dangles" in output
    link(repo, file, "/etc/passwd")
    code, output = run(qm, repo, mode, "check")
    assert code == 2 and f"{file}: symlink to '/etc/passwd' leaves the repository" in output


def test_a_fifo_is_refused_without_hanging(qm: Qm, repo: gitrepo.GitRepo) -> None:
    os.mkfifo(repo.root / "environments/fifo.yaml")  # git cannot hold one: work tree only
    code, out, err = qm("validate", str(repo.root))
    assert code == 2 and "environments/fifo.yaml: is a special file, not a file" in err


# --- file names -------------------------------------------------------------------------

HOSTILE_NAMES = {
    "newline": ("a\nlive.yaml", "a\\nlive.yaml"),
    "tab": ("x\ty.yaml", "x\\ty.yaml"),
    "escape": ("\x1b[2Jclear.yaml", "\\x1b[2Jclear.yaml"),
    "bidi": ("pa\u202elmy.yaml", "pa\\u202elmy.yaml"),
    "zero width": ("li\u200bve.yaml", "li\\u200bve.yaml"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(HOSTILE_NAMES))
def test_a_file_name_with_control_characters_is_refused_and_shown_escaped(
    qm: Qm, repo: gitrepo.GitRepo, mode: str, case: str
) -> None:
    name, shown = HOSTILE_NAMES[case]
    (repo.root / "environments" / name).write_text("whatever: 1\n")
    code, output = run(qm, repo, mode)
    assert code == 2
    assert f"environments/{shown}: file name contains U+" in output
    assert name not in output


def test_a_name_that_is_not_utf8_is_refused_in_both_modes(qm: Qm, repo: gitrepo.GitRepo) -> None:
    os.close(os.open(os.fsencode(repo.root / "environments") + b"/bad\xff.yaml", os.O_CREAT | os.O_WRONLY, 0o644))
    for mode in MODES:
        code, output = run(qm, repo, mode)
        assert code == 2 and "environments/bad\\udcff.yaml: file name contains U+DCFF" in output


def test_at_a_ref_a_newline_in_a_name_never_shifts_other_files_contents(repo: gitrepo.GitRepo) -> None:
    """The old reader sent names through `cat-file --batch`: after "a\\nb.yaml", every later
    file was read with the previous file's contents."""
    for name in ("0\nfirst.yaml", "_\n.yaml", "live.yaml\nx.yaml"):
        (repo.root / "environments" / name).write_text(f"name: {name!r}\n")
    repo.commit("names with newlines")
    source = GitSource(repo.root, "HEAD")
    listed = source.files("environments")
    assert len(listed) == len(os.listdir(repo.root / "environments"))
    for path in listed:
        if "\n" in path:
            with pytest.raises(ConfigError, match="file name contains U\\+000A"):
                source.read(path)
        else:
            assert source.read(path) == (repo.root / path).read_bytes(), path
    for path in listed:  # the work tree agrees
        if "\n" not in path:
            assert DirectorySource(repo.root).read(path) == source.read(path)


def test_at_a_ref_a_temporary_file_is_never_data(qm: Qm, repo: gitrepo.GitRepo) -> None:
    (repo.root / "environments/.live.yaml.qm-1.abcd1234.tmp").write_text("kind: [broken\n")
    for mode in MODES:
        code, output = run(qm, repo, mode)
        assert code == 0 and "4 environments" in output


def test_at_a_ref_a_huge_blob_is_refused_after_reading_one_byte_past_the_limit(qm: Qm, repo: gitrepo.GitRepo) -> None:
    from quantmatrix.repo.yamlfile import MAX_FILE_BYTES

    (repo.root / "environments/huge.yaml").write_bytes(b"a: 1\n" * (3 * MAX_FILE_BYTES // 5))
    repo.commit("a 3 MiB file")
    source = GitSource(repo.root, "HEAD")
    assert len(source.read("environments/huge.yaml")) == MAX_FILE_BYTES + 1
    code, out, err = qm("validate", str(repo.root), "--ref", "HEAD")
    assert code == 2 and "environments/huge.yaml:" in err and "larger than the 1,048,576-byte (1 MiB) limit" in err
