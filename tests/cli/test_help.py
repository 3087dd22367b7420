"""The help and the docs say what the CLI does: every exit code in `qm -h`, every report
format of `qm check` in docs/output-formats.md with the right count."""

from __future__ import annotations

import re
from pathlib import Path

from quantmatrix.errors import ExitCode
from quantmatrix.policy.formats import FORMATS

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = {4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def test_qm_help_lists_every_exit_code(run_qm) -> None:
    result = run_qm("-h")
    assert result.code == 0
    listed = {int(m) for m in re.findall(r"^\s+(\d+)\s{2,}\S", result.out, re.MULTILINE)}
    assert listed == {int(code) for code in ExitCode}
    assert "_QM_COMPLETE=bash_source qm" in result.out


def test_the_docs_describe_every_report_format() -> None:
    docs = (ROOT / "docs/output-formats.md").read_text(encoding="utf-8")
    assert f"renders the same result {NUMBERS[len(FORMATS)]} ways" in docs
    rows = set(re.findall(r"^\| `(\w+)`", docs, re.MULTILINE))
    assert rows == set(FORMATS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"the {NUMBERS[len(FORMATS)]} report formats of `qm check`" in readme
    assert not re.search(
        r"\b(five|six|seven) (report )?formats\b", readme.replace(NUMBERS[len(FORMATS)] + " report formats", "")
    )
