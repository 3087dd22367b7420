"""Numbers that break Python (or JSON, or Rego) are refused at load, with file:line:col and
exit 2, by every command — never a crash (exit 70), never a message without a location.
Integers fit a signed 64-bit word; floats are finite; versions have bounded numbers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402

Qm = Callable[..., tuple[int, str, str]]
FILE = "environments/paper.yaml"
INT_RANGE = "integer out of range"

HOSTILE = {
    "4,301 digits": ("9" * 4301, INT_RANGE),
    "5,001 digits": ("9" * 5001, INT_RANGE),
    "0x and 4,000 hex digits": ("0x" + "f" * 4000, INT_RANGE),
    "0o and 3,000 octal digits": ("0o" + "7" * 3000, INT_RANGE),
    "10**400": ("1" + "0" * 400, INT_RANGE),
    "-10**400": ("-1" + "0" * 400, INT_RANGE),
    "2**63": (str(2**63), INT_RANGE),
    "-2**63-1": (str(-(2**63) - 1), INT_RANGE),
    "tagged !!int": ("!!int " + "9" * 30, INT_RANGE),
    "tagged !!float": ("!!float 1" + "0" * 400, INT_RANGE),
    "1e400": ("1e400", "number out of range"),
    "-1e400": ("-1e400", "number out of range"),
    "1.0 and 400 digits": ("1" + "0" * 400 + ".0", "number out of range"),
    ".inf": (".inf", "infinity and NaN are not allowed"),
    "-.inf": ("-.inf", "infinity and NaN are not allowed"),
    ".nan": (".nan", "infinity and NaN are not allowed"),
}

# where a number goes: (the text it replaces in paper.yaml, the text with @ for the literal)
PLACES = {
    "int field": ("max_orders_per_minute: 60", "max_orders_per_minute: @"),
    "float field": ("max_daily_loss: 5000", "max_daily_loss: @"),
    "params": ("{lookback_minutes: 30,", "{lookback_minutes: @,"),
    "params, block style key": ("  capital:\n    limit: 200000", "  capital:\n    limit: @"),
}

COMMANDS = {
    "validate": ("validate",),
    "check": ("check",),
    "render": ("render", "paper"),
    "diff": ("diff", "--base", "main"),
}


def plant(repo: gitrepo.GitRepo, place: str, literal: str) -> tuple[int, int]:
    """Write `literal` at `place` in paper.yaml; return its line and column."""
    old, new = PLACES[place]
    repo.edit(FILE, old, new.replace("@", literal))
    text = repo.read(FILE)
    at = text.index(new.replace("@", literal)) + new.index("@")
    line = text.count("\n", 0, at) + 1
    return line, at - text.rfind("\n", 0, at)


def assert_refused(code: int, out: str, err: str, where: str, message: str) -> None:
    assert code == 2, out + err
    assert f"{where}: " in err and message in err, err
    assert "unexpected error" not in out + err and "Traceback" not in out + err
    assert len(out + err) < 2000  # the literal is not echoed back


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_number_in_an_int_field_is_refused_by_every_command(qm: Qm, repo: gitrepo.GitRepo, case: str) -> None:
    literal, message = HOSTILE[case]
    line, col = plant(repo, "int field", literal)
    for command in COMMANDS.values():
        assert_refused(*qm(*command, str(repo.root)), f"{FILE}:{line}:{col}", message)


@pytest.mark.parametrize("place", ["float field", "params", "params, block style key"])
def test_a_hostile_number_anywhere_is_refused_at_its_location(qm: Qm, sample_repo: Path, place: str) -> None:
    original = (sample_repo / FILE).read_text()
    old, new = PLACES[place]
    for literal, message in HOSTILE.values():
        text = original.replace(old, new.replace("@", literal))
        (sample_repo / FILE).write_text(text)
        at = text.index(new.replace("@", literal)) + new.index("@")
        line, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        code, out, err = qm("validate", str(sample_repo))
        assert_refused(code, out, err, f"{FILE}:{line}:{col}", message)
        assert "must be a number (unquoted)" not in err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_hostile_number_at_a_ref_is_refused_the_same_way(qm: Qm, repo: gitrepo.GitRepo, command: str) -> None:
    line, col = plant(repo, "params", "9" * 5001)
    repo.commit("a huge parameter")
    head = ("--head", "HEAD") if command == "diff" else ("--ref", "HEAD")
    assert_refused(*qm(*COMMANDS[command], str(repo.root), *head), f"{FILE}:{line}:{col}", INT_RANGE)


def test_a_number_as_a_mapping_key_is_refused_with_its_location(qm: Qm, repo: gitrepo.GitRepo) -> None:
    line, col = plant(repo, "params", "30, " + "9" * 5000 + ": x")
    code, out, err = qm("validate", str(repo.root))
    assert code == 2 and f"{FILE}:{line}:" in err and INT_RANGE in err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_extremes_of_the_range_load_and_flow_through_every_command(
    qm: Qm, repo: gitrepo.GitRepo, command: str
) -> None:
    plant(repo, "params", f"{2**63 - 1}, lowest: {-(2**63)}, largest: 1.7976931348623157e308, tiny: 5e-324")
    code, out, err = qm(*COMMANDS[command], str(repo.root))
    assert code == 0, out + err
    if command == "render":
        assert str(2**63 - 1) in out and str(-(2**63)) in out
    if command == "diff":  # grouped in thousands
        assert f"{2**63 - 1:,}" in out and f"{-(2**63):,}" in out


# --- versions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "version, message",
    [
        ("9" * 5000 + ".1.0", "a version of 5,004 characters is not an exact version: at most 128"),
        ("1" * 19 + ".0.0", "version number out of range: MAJOR, MINOR and PATCH have at most 18 digits"),
        ("2026.12.0-rc." + "9" * 5000, "at most 128"),
        ("2026." + "0x" + "f" * 50 + ".0", "is not an exact version"),
    ],
)
def test_release_new_refuses_absurd_versions(qm: Qm, repo: gitrepo.GitRepo, version: str, message: str) -> None:
    before = sorted(p.name for p in (repo.root / "releases").iterdir())
    code, out, err = qm("release", "new", version, str(repo.root))
    assert code == 2 and message in err and "unexpected error" not in err
    assert len(err) < 1000
    assert sorted(p.name for p in (repo.root / "releases").iterdir()) == before


def test_release_new_accepts_the_largest_version_numbers(qm: Qm, repo: gitrepo.GitRepo) -> None:
    version = f"{'9' * 18}.{'9' * 18}.{'9' * 18}"
    code, out, err = qm("release", "new", version, str(repo.root))
    assert code == 0, err
    code, out, err = qm("check", str(repo.root))
    assert code in (0, 1) and "unexpected error" not in err  # judged (the new release is open), not crashed


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_release_file_with_a_huge_version_is_refused_at_its_name(qm: Qm, repo: gitrepo.GitRepo, command: str) -> None:
    version = "9" * 200 + ".0.0"  # a file name can hold 255 bytes
    text = repo.read("releases/2026.11.1.yaml").replace("name: 2026.11.1", f"name: {version}")
    (repo.root / f"releases/{version}.yaml").write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith("name:"))
    code, out, err = qm(*COMMANDS[command], str(repo.root))
    assert code == 2 and f"releases/{version}.yaml:{line}:" in err and "at most 128" in err
    assert "unexpected error" not in err
