"""METADATA blocks of the pack: the only source of a finding's title, severity and guide section."""

from __future__ import annotations

import pytest

from quantmatrix.errors import PolicyError
from quantmatrix.policy.metadata import parse_metadata, rules_by_id

RULE = """package qm.rules.x

import rego.v1

# METADATA
# title: Live needs blocked symbols
# description: >-
#   The live environment carries a non-empty blocked-symbols list.
# custom:
#   id: QM-LIVE-004
#   severity: deny
#   guide: "§9 live"
deny contains f if {
	false
	f := {}
}
"""


def test_a_block_becomes_rule_metadata_with_its_file_and_line():
    rules, problems = parse_metadata("policies/x.rego", RULE)
    assert problems == []
    (meta,) = rules
    assert (meta.id, meta.title, meta.severity, meta.guide) == (
        "QM-LIVE-004",
        "Live needs blocked symbols",
        "deny",
        "§9 live",
    )
    assert meta.description == "The live environment carries a non-empty blocked-symbols list."
    assert (meta.file, meta.line) == ("policies/x.rego", 5)


def test_package_scoped_blocks_are_not_rules():
    text = "# METADATA\n# scope: package\n# title: Separation rules\npackage qm.rules.x\n"
    assert parse_metadata("policies/x.rego", text) == ([], [])


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("# title: [unclosed\n", "not valid YAML"),
        (
            "# title: T\n# custom:\n#   id: QM-X-001\n#   severity: fatal\n#   guide: x\n",
            "custom.severity: must be deny or warn",
        ),
        (
            "# title: T\n# custom:\n#   id: lowercase\n#   severity: deny\n#   guide: x\n",
            "custom.id: must be an id like QM-SEP-001",
        ),
        ("# title: T\n# custom:\n#   id: QM-X-001\n#   severity: deny\n", "custom.guide: required"),
        ("# custom:\n#   id: QM-X-001\n#   severity: deny\n#   guide: x\n", "title: required"),
        ("# title: T\n", "custom: required mapping"),
    ],
)
def test_a_malformed_block_is_a_pack_error_at_its_line(block: str, message: str):
    text = "package qm.rules.x\n\n# METADATA\n" + block + "deny contains f if { false; f := 1 }\n"
    _, problems = parse_metadata("policies/x.rego", text)
    assert len(problems) == 1
    assert problems[0].file == "policies/x.rego" and problems[0].line >= 3
    assert message in problems[0].message
    with pytest.raises(PolicyError):
        rules_by_id([("policies/x.rego", text)])


def test_one_id_declared_with_two_severities_fails_closed():
    other = RULE.replace("severity: deny", "severity: warn")
    with pytest.raises(PolicyError, match="QM-LIVE-004 is declared deny"):
        rules_by_id([("policies/x.rego", RULE), ("policies/y.rego", other)])
