"""The format registry: one dict, every entry a module with `render(result) -> str`."""

from __future__ import annotations

import inspect

import pytest

from quantmatrix.policy.formats import FORMATS


def test_the_formats_of_qm_check_are_registered():
    assert {"text", "json", "junit", "sarif", "github"} <= set(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_renders_a_result_to_text_ending_in_a_newline(name, check_result, clean_result):
    assert list(inspect.signature(FORMATS[name].render).parameters) == ["result"]
    for result in (check_result, clean_result):
        out = FORMATS[name].render(result)
        assert isinstance(out, str) and out.endswith("\n") and len(out) > 1


@pytest.mark.parametrize("name", ["text", "json", "junit", "sarif", "github"])
def test_the_ci_formats_report_every_finding_with_rule_file_and_message(name, check_result):
    out = FORMATS[name].render(check_result)
    for finding in (*check_result.findings, *check_result.waived):
        assert finding.rule.id in out and finding.file in out and finding.message in out
