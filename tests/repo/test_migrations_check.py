"""`qm validate` cross-checks releases against migrations/, read statically (never executed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantmatrix.repo.migrations import parse_revision

R1010, R1100, R1101 = "releases/2026.10.0.yaml", "releases/2026.11.0.yaml", "releases/2026.11.1.yaml"
M2 = "migrations/versions/0002_fills_exec_time_idx.py"


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def write(repo: Path, rel: str, text: str) -> None:
    (repo / rel).write_text(text, encoding="utf-8")


def test_the_sample_releases_match_the_migrations(sample_repo, run_qm) -> None:
    result = run_qm("validate", sample_repo)
    assert result.code == 0, result.output


@pytest.mark.parametrize(
    ("rel", "old", "new", "anchor", "message"),
    [
        pytest.param(
            R1101,
            "revision: 0002_fills_exec_time_idx",
            "revision: 0003_orders_client_id",
            "revision: 0003_orders_client_id",
            "spec.database.revision: revision 0003_orders_client_id is not in migrations/versions/ "
            "(the chain is 0001_baseline -> 0002_fills_exec_time_idx)",
            id="missing-revision",
        ),
        pytest.param(
            R1101,
            "revision: 0002_fills_exec_time_idx",
            "revision: 0001_baseline",
            "revision: 0001_baseline",
            "spec.database.revision: revision 0001_baseline comes before 0002_fills_exec_time_idx, which the earlier "
            "release 2026.11.0 pins: releases must move forward along the migration chain",
            id="out-of-order",
        ),
        pytest.param(
            R1100,
            "    reversible: true",
            "    reversible: false",
            "reversible: false",
            "spec.database.reversible: declares false, but 0002_fills_exec_time_idx has a downgrade()",
            id="declared-irreversible-but-has-downgrade",
        ),
        pytest.param(
            R1010,
            "  migrations_reversible: false",
            "  migrations_reversible: true",
            "migrations_reversible: true",
            "spec.rollback.migrations_reversible: declares true, but 0001_baseline has no downgrade()",
            id="declared-reversible-without-downgrade",
        ),
    ],
)
def test_broken_release_is_reported_at_its_line(sample_repo, run_qm, line_in, rel, old, new, anchor, message) -> None:
    edit(sample_repo, rel, old, new)
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    line = line_in(sample_repo / rel, anchor)
    assert f"{rel}:{line}:" in result.err and message in result.err, result.err


def test_a_downgrade_that_only_raises_is_no_downgrade(sample_repo, run_qm, line_in) -> None:
    edit(
        sample_repo,
        M2,
        '    op.drop_index("ix_fills_exec_time", table_name="fills")',
        '    """Irreversible."""\n    raise NotImplementedError("no")',
    )
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    assert (
        f"{R1100}:{line_in(sample_repo / R1100, '    reversible: true')}:5: spec.database.reversible: declares true, but 0002_fills_exec_time_idx has no downgrade()"
        in result.err
    )
    assert "spec.rollback.migrations_reversible: declares true" in result.err


def test_the_check_spans_every_revision_since_the_previous_release(sample_repo, run_qm) -> None:
    # 0003 (no downgrade) lands with 2026.11.1, which still declares its migrations reversible
    write(
        sample_repo,
        "migrations/versions/0003_orders_client_id.py",
        'revision = "0003_orders_client_id"\ndown_revision = "0002_fills_exec_time_idx"\n\ndef upgrade() -> None:\n    pass\n',
    )
    edit(sample_repo, R1101, "revision: 0002_fills_exec_time_idx", "revision: 0003_orders_client_id")
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    assert (
        "spec.rollback.migrations_reversible: declares true, but 0003_orders_client_id has no downgrade()" in result.err
    )


def test_broken_migration_files_are_reported_where_they_are(sample_repo, run_qm) -> None:
    write(
        sample_repo,
        "migrations/versions/0003_a.py",
        'revision = "0003_a"\ndown_revision = "0002_fills_exec_time_idx"\ndef upgrade(:\n',
    )
    write(
        sample_repo,
        "migrations/versions/0003_b.py",
        'revision = "0003_" + "b"\ndown_revision = "0002_fills_exec_time_idx"\ndef upgrade() -> None: ...\n',
    )
    write(
        sample_repo,
        "migrations/versions/0003_c.py",
        'revision = "0003_c"\ndown_revision = "0002_fills_exec_time_idx"\ndef upgrade() -> None: ...\n',
    )
    write(
        sample_repo,
        "migrations/versions/0003_d.py",
        'revision = "0003_d"\ndown_revision = "0002_fills_exec_time_idx"\ndef upgrade() -> None: ...\n',
    )
    write(
        sample_repo,
        "migrations/versions/0009_e.py",
        'revision = "0009_e"\ndown_revision = "0008_gone"\ndef upgrade() -> None: ...\n',
    )
    write(
        sample_repo,
        "migrations/versions/0010_f.py",
        'revision = "0001_baseline"\ndown_revision = None\ndef upgrade() -> None: ...\n',
    )
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    err = result.err
    assert "migrations/versions/0003_a.py:3:" in err and "Python syntax error" in err
    assert "migrations/versions/0003_b.py:1:1: revision: must be a plain string (or None)" in err
    assert (
        "migrations/versions/0003_d.py:1:1: down_revision: branches: 0002_fills_exec_time_idx is already revised by 0003_c"
        in err
    )
    assert (
        "migrations/versions/0009_e.py:1:1: down_revision: revises 0008_gone, which is not in migrations/versions/"
        in err
    )
    assert (
        "migrations/versions/0010_f.py:1:1: revision: revision 0001_baseline is also defined in migrations/versions/0001_baseline.py"
        in err
    )


def test_validate_never_runs_migration_code(sample_repo, run_qm, tmp_path) -> None:
    marker = tmp_path / "pwned"
    write(
        sample_repo,
        "migrations/versions/0003_evil.py",
        f'open({str(marker)!r}, "w").write("ran")\nrevision = "0003_evil"\ndown_revision = "0002_fills_exec_time_idx"\n'
        f'def upgrade() -> None:\n    open({str(marker)!r}, "w").write("ran")\n',
    )
    result = run_qm("validate", sample_repo)
    assert result.code == 0, result.output
    assert not marker.exists()


def test_the_check_reads_a_git_ref_too(git_repo, git, run_qm) -> None:
    edit(git_repo, R1101, "revision: 0002_fills_exec_time_idx", "revision: 0003_nowhere")
    git(git_repo, "commit", "-qam", "bad pin")
    edit(git_repo, R1101, "revision: 0003_nowhere", "revision: 0002_fills_exec_time_idx")  # the work tree is fine
    assert run_qm("validate", git_repo).code == 0
    result = run_qm("validate", git_repo, "--ref", "HEAD")
    assert result.code == 2 and "revision 0003_nowhere is not in migrations/versions/" in result.err


def test_a_repository_without_migrations_is_not_cross_checked(sample_repo, run_qm) -> None:
    import shutil

    shutil.rmtree(sample_repo / "migrations")
    edit(sample_repo, R1101, "revision: 0002_fills_exec_time_idx", "revision: 0003_anything")
    assert run_qm("validate", sample_repo).code == 0


@pytest.mark.parametrize(
    ("body", "has_downgrade"),
    [
        ("", False),
        ("def downgrade() -> None:\n    pass\n", False),
        ("def downgrade() -> None:\n    '''Nothing.'''\n    ...\n", False),
        ("def downgrade() -> None:\n    raise NotImplementedError('irreversible')\n", False),
        ("def downgrade() -> None:\n    op.drop_index('ix')\n", True),
        ("def downgrade() -> None:\n    '''Drop it.'''\n    op.drop_table('t')\n", True),
    ],
)
def test_what_counts_as_a_downgrade(body: str, has_downgrade: bool) -> None:
    text = f"revision: str = 'r1'\ndown_revision: str | None = None\n\ndef upgrade() -> None:\n    pass\n\n{body}"
    revision, problems = parse_revision("m.py", text.encode())
    assert problems == [] and revision is not None
    assert (revision.revision, revision.down_revision, revision.has_downgrade) == ("r1", None, has_downgrade)


def test_a_migration_without_upgrade_or_revision_is_a_problem() -> None:
    assert [p.message for p in parse_revision("m.py", b"revision = 'r'\ndown_revision = None\n")[1]] == [
        "no upgrade() in this migration"
    ]
    assert [p.message for p in parse_revision("m.py", b"def upgrade(): pass\n")[1]] == [
        'no `revision = "..."` in this migration'
    ]
    assert [p.message for p in parse_revision("m.py", b"\xff\xfe")[1]] == ["not UTF-8"]


@pytest.mark.parametrize(
    "raw",
    [
        b"revision = 'r'\x00\n",  # NUL byte
        b"x = " + b"(" * 200_000 + b")" * 200_000 + b"\n",  # nesting that exhausts the parser
        b"x = " + b"-" * 500_000 + b"1\n",
    ],
    ids=["nul", "deep-parens", "deep-unary"],
)
def test_hostile_migration_files_are_problems_not_crashes(raw: bytes) -> None:
    revision, problems = parse_revision("m.py", raw)
    assert revision is None and len(problems) == 1 and problems[0].file == "m.py"


def test_a_chain_without_a_first_revision_says_so(sample_repo, run_qm) -> None:
    edit(
        sample_repo,
        "migrations/versions/0001_baseline.py",
        "down_revision = None",
        'down_revision = "0002_fills_exec_time_idx"',
    )
    result = run_qm("validate", sample_repo)
    assert result.code == 2
    assert (
        "migrations/versions/0001_baseline.py:14:1: down_revision: no revision starts the chain (down_revision = None)"
        in result.err
    )
