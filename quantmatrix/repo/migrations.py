"""Cross-check releases against `migrations/`, statically: no repository Python is run.

A pull request could put any code in `migrations/`, so `qm validate` reads the revision files
with `ast` only: `revision`, `down_revision`, and whether `downgrade()` does anything
(a body of only a docstring, `pass`, `...` or `raise` is "no downgrade"). Then, at the
release file's line:
- the pinned revision exists in the chain;
- releases in version order pin revisions in chain order;
- the reversibility a release declares (`database.reversible`, `rollback.migrations_reversible`)
  matches whether every revision after the previous release's, up to its own, has a downgrade.
A repository without `migrations/` (one that does not carry the schema) is not cross-checked.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model.versions import version_key
from quantmatrix.repo.source import Source
from quantmatrix.repo.yamlfile import MAX_FILE_BYTES, Path, dotted
from quantmatrix.state import DesiredState

MIGRATIONS_DIR = "migrations"
VERSIONS_DIR = f"{MIGRATIONS_DIR}/versions"
_NO_OP = (ast.Pass, ast.Raise)

At = Callable[[str, Path, str], None]  # (release, path in its file, message)


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    has_downgrade: bool
    file: str
    line: int


def _constant(node: ast.expr | None) -> tuple[bool, str | None]:
    """(is a plain string or None, its value)."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return True, node.value
    return False, None


def _does_something(function: ast.FunctionDef) -> bool:
    body = list(function.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]  # the docstring
    return any(
        not isinstance(stmt, _NO_OP)
        and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis)
        for stmt in body
    )


def parse_revision(file: str, raw: bytes) -> tuple[Revision | None, list[Problem]]:
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(file, message=f"larger than {MAX_FILE_BYTES} bytes")]
    try:
        tree = ast.parse(raw.decode("utf-8"), filename=file)
    except UnicodeDecodeError:
        return None, [Problem(file, message="not UTF-8")]
    except SyntaxError as error:
        return None, [Problem(file, error.lineno or 0, error.offset or 0, message=f"Python syntax error: {error.msg}")]
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, absurd nesting
        return None, [Problem(file, message=f"cannot be parsed as Python ({type(error).__name__})")]
    values: dict[str, tuple[str | None, int]] = {}
    functions: dict[str, ast.FunctionDef] = {}
    problems: list[Problem] = []
    for stmt in tree.body:
        target, value = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, value = stmt.target.id, stmt.value
        elif isinstance(stmt, ast.FunctionDef):
            functions[stmt.name] = stmt
        if target in ("revision", "down_revision"):
            plain, text = _constant(value)
            if not plain:
                problems.append(
                    Problem(
                        file,
                        stmt.lineno,
                        stmt.col_offset + 1,
                        target,
                        "must be a plain string (or None): the chain must be linear and readable without running code",
                    )
                )
                continue
            values[target] = (text, stmt.lineno)
    if "revision" not in values or values["revision"][0] is None:
        if not problems:
            problems.append(Problem(file, message='no `revision = "..."` in this migration'))
        return None, problems
    if "down_revision" not in values and not problems:
        problems.append(Problem(file, message="no `down_revision` in this migration (None for the first)"))
    if "upgrade" not in functions:
        problems.append(Problem(file, message="no upgrade() in this migration"))
    if problems:
        return None, problems
    revision, line = values["revision"]
    assert revision is not None
    downgrade = functions.get("downgrade")
    return Revision(
        revision, values["down_revision"][0], downgrade is not None and _does_something(downgrade), file, line
    ), []


def read_chain(source: Source) -> tuple[list[Revision], list[Problem]] | None:
    """The revisions from base to head, or None when the repository has no migrations."""
    files = [f for f in source.files(VERSIONS_DIR, (".py",)) if not f.endswith("/__init__.py")]
    if not files and not source.exists(f"{MIGRATIONS_DIR}/env.py"):
        return None
    problems: list[Problem] = []
    by_id: dict[str, Revision] = {}
    for file in files:
        try:
            revision, found = parse_revision(file, source.read(file))
        except ConfigError as error:
            problems.extend(error.problems)
            continue
        problems.extend(found)
        if revision is None:
            continue
        if revision.revision in by_id:
            first = by_id[revision.revision]
            problems.append(
                Problem(
                    file, revision.line, 1, "revision", f"revision {revision.revision} is also defined in {first.file}"
                )
            )
            continue
        by_id[revision.revision] = revision
    return _linear(by_id, problems), problems


def _linear(by_id: dict[str, Revision], problems: list[Problem]) -> list[Revision]:
    children: dict[str | None, list[Revision]] = {}
    for rev in by_id.values():
        if rev.down_revision is not None and rev.down_revision not in by_id:
            problems.append(
                Problem(
                    rev.file,
                    rev.line,
                    1,
                    "down_revision",
                    f"revises {rev.down_revision}, which is not in {VERSIONS_DIR}/",
                )
            )
        children.setdefault(rev.down_revision, []).append(rev)
    for revised, kids in children.items():
        kids.sort(key=lambda r: r.file)
        for kid in kids[1:]:
            problems.append(
                Problem(
                    kid.file,
                    kid.line,
                    1,
                    "down_revision",
                    f"branches: {revised or 'base'} is already revised by {kids[0].revision}; the chain must be linear",
                )
            )
    chain: list[Revision] = []
    parent: str | None = None
    while children.get(parent) and len(chain) <= len(by_id):
        chain.append(children[parent][0])
        parent = chain[-1].revision
    if by_id and not chain:
        first = min(by_id.values(), key=lambda r: r.file)
        problems.append(
            Problem(first.file, first.line, 1, "down_revision", "no revision starts the chain (down_revision = None)")
        )
    unreachable = set(by_id) - {r.revision for r in chain}
    for name in sorted(unreachable):
        rev = by_id[name]
        if rev.down_revision in by_id and not any(p.file == rev.file for p in problems):
            problems.append(
                Problem(
                    rev.file,
                    rev.line,
                    1,
                    "revision",
                    f"{name} is not reachable from the first revision (a cycle or a branch)",
                )
            )
    return chain


def check_migrations(state: DesiredState, source: Source) -> list[Problem]:
    read = read_chain(source)
    if read is None:
        return []
    chain, problems = read
    index = {rev.revision: i for i, rev in enumerate(chain)}

    def at(release: str, path: Path, message: str) -> None:
        file, line, col = state.release_docs[release].locate(path)
        problems.append(Problem(file, line, col, dotted(path), message))

    ordered = sorted(state.releases.values(), key=lambda r: version_key(r.metadata.name))
    last: tuple[str, int] | None = None  # (release, chain index) of the newest release so far
    for release in ordered:
        name, revision = release.metadata.name, release.spec.database.revision
        if revision not in index:
            at(name, ("spec", "database", "revision"), f"revision {revision} is not in {VERSIONS_DIR}/" + _hint(chain))
            continue
        if last is not None and index[revision] < last[1]:
            at(
                name,
                ("spec", "database", "revision"),
                f"revision {revision} comes before {chain[last[1]].revision}, which the earlier release {last[0]} pins: "
                "releases must move forward along the migration chain",
            )
            continue
        last = (name, index[revision])
        _reversibility(state, name, chain, index, at)
    return problems


def _hint(chain: list[Revision]) -> str:
    return f" (the chain is {' -> '.join(r.revision for r in chain)})" if chain else " (no revisions found)"


def _reversibility(state: DesiredState, name: str, chain: list[Revision], index: dict[str, int], at: At) -> None:
    release = state.releases[name]
    previous = state.releases.get(release.spec.rollback.previous or "")
    start = index.get(previous.spec.database.revision, -1) if previous is not None else -1
    if release.spec.rollback.previous is not None and previous is None:
        return  # an unknown previous release is not this check's problem
    span = chain[start + 1 : index[release.spec.database.revision] + 1]
    if not span:
        return  # no migration between the two releases: nothing to reverse
    missing = [rev.revision for rev in span if not rev.has_downgrade]
    actual = not missing
    why = (
        f"{', '.join(missing)} has no downgrade()"
        if missing
        else f"{', '.join(r.revision for r in span)} {'has' if len(span) == 1 else 'each have'} a downgrade()"
    )
    for path, declared in (
        (("spec", "database", "reversible"), release.spec.database.reversible),
        (("spec", "rollback", "migrations_reversible"), release.spec.rollback.migrations_reversible),
    ):
        if declared is not None and declared != actual:
            at(name, path, f"declares {str(declared).lower()}, but {why}")
