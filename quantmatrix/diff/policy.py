"""What a change does to the policy pack: changed files under `policies/` (and
`quantmatrix/policies/`, the built-in pack, where a repository holds it), and rules added,
removed or changed, by id.

A pull request that edits `policies/` changes what the gate accepts, so the review must see
it rule by rule. A rule's text is its METADATA block and everything below it up to the next
block (or the end of the file): its bodies and any helper written after them. "Changed"
means that text differs, or the rule moved to another file; whitespace-only edits count,
on purpose — the reviewer decides what is cosmetic.
"""

from __future__ import annotations

from quantmatrix.diff.model import PolicyChange, PolicyDiff, Status
from quantmatrix.policy.builtin import BUILTIN_DIR
from quantmatrix.policy.metadata import parse_metadata
from quantmatrix.policy.pack import POLICY_DIR, TEST_SUFFIX
from quantmatrix.repo.source import Source

_ALL = ("",)  # every file directly in the folder, whatever its suffix


def _files(source: Source, policy_dirs: tuple[str, ...]) -> dict[str, bytes]:
    return {path: source.read(path) for policy_dir in policy_dirs for path in source.files(policy_dir, _ALL)}


def rule_texts(files: dict[str, bytes]) -> dict[str, tuple[str, str, str]]:
    """Rule id → (file, title, its text) over the pack's rule files (tests left out)."""
    rules: dict[str, tuple[str, str, str]] = {}
    for path, raw in sorted(files.items()):
        if not path.endswith(".rego") or path.endswith(TEST_SUFFIX):
            continue
        text = raw.decode("utf-8", "replace")
        lines = text.splitlines()
        metas, _ = parse_metadata(path, text)  # a malformed block is the gate's to report
        starts = sorted({i + 1 for i, line in enumerate(lines) if line.strip() == "# METADATA"})
        for meta in metas:
            after = [s for s in starts if s > meta.line]
            end = after[0] - 1 if after else len(lines)
            segment = "\n".join(lines[meta.line - 1 : end])
            previous = rules.get(meta.id)
            rules[meta.id] = (path, meta.title, (previous[2] + "\n" if previous else "") + segment)
    return rules


def _status(old: object, new: object) -> Status | None:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "changed" if old != new else None


def diff_policies(base: Source, head: Source, policy_dirs: tuple[str, ...] = (POLICY_DIR, BUILTIN_DIR)) -> PolicyDiff:
    """Files under `policy_dirs` and rules that differ between `base` and `head`: the
    repository's `policies/`, and in this tool's own repository the built-in pack
    (`quantmatrix/policies/`; a consuming repository has none, its built-in pack is the
    installed package's, the same for both sides)."""
    old_files, new_files = _files(base, policy_dirs), _files(head, policy_dirs)
    files = []
    for path in sorted({*old_files, *new_files}):
        status = _status(old_files.get(path), new_files.get(path))
        if status:
            files.append(PolicyChange(path, status))
    if not files:
        return PolicyDiff()
    old_rules, new_rules = rule_texts(old_files), rule_texts(new_files)
    rules = []
    for rule_id in sorted({*old_rules, *new_rules}):
        old, new = old_rules.get(rule_id), new_rules.get(rule_id)
        status = _status(old, new)
        shown = new if new is not None else old
        if status and shown is not None:
            rules.append(PolicyChange(rule_id, status, shown[0], shown[1]))
    return PolicyDiff(tuple(files), tuple(rules))
