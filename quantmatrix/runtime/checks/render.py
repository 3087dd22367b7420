"""Check results as text (one line per check) or JSON (for the reconciler's records and CI)."""

from __future__ import annotations

import json

from quantmatrix.runtime.checks.result import CheckResult


def render_text(results: list[CheckResult]) -> str:
    lines = []
    for result in results:
        verdict = "PASS" if result.passed else "FAIL"
        status = f" [{result.status}]" if result.status else ""
        lines.append(f"{verdict} {result.name}{status} ({result.duration_seconds * 1000:.0f} ms): {result.message}")
    failed = sum(1 for r in results if not r.passed)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def render_json(results: list[CheckResult]) -> str:
    return json.dumps(
        {"passed": all(r.passed for r in results), "checks": [r.model_dump(mode="json") for r in results]}, indent=2
    )
