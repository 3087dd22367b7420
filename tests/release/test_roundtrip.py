"""Round-trip editing keeps files byte for byte apart from the edited lines."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from quantmatrix.edit.roundtrip import Indent, detect_indent, load_document, set_value

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(
    p.relative_to(ROOT).as_posix() for folder in ("environments", "releases") for p in (ROOT / folder).glob("*.yaml")
)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(tag, line) of every line difflib reports as removed (-) or added (+)."""
    return [(line[0], line[2:]) for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "-+"]


@pytest.mark.parametrize("file", SAMPLES)
def test_every_sample_file_round_trips_byte_for_byte(file):
    text = (ROOT / file).read_text(encoding="utf-8")
    assert load_document(file, text).dump() == text


def test_indentation_is_detected_from_the_file():
    assert detect_indent((ROOT / "environments/live.yaml").read_text()) == Indent(mapping=2, sequence=4, offset=2)
    assert detect_indent((ROOT / "releases/2026.11.0.yaml").read_text()) == Indent(mapping=2, sequence=2, offset=0)
    assert detect_indent("a:\n    b:\n        - x\n") == Indent(mapping=4, sequence=6, offset=4)
    assert detect_indent("a:\n    b:\n    -   x\n") == Indent(mapping=4, sequence=4, offset=0)


def test_editing_one_value_changes_exactly_that_line_and_keeps_comments():
    text = (
        "# top comment\n"
        "spec:\n"
        "  # why this release\n"
        '  release: "2026.11.0"   # pinned on purpose\n'
        "  strategies:\n"
        "    - name: a   # first\n"
        "      version: 1.0.0\n"
        "  list: [x, 'y']\n"
        "  empty: null\n"
    )
    doc = load_document("f.yaml", text)
    set_value(doc.data["spec"], "release", "2026.11.1")
    set_value(doc.data["spec"]["strategies"][0], "version", "1.0.1")
    after = doc.dump()
    assert changed_lines(text, after) == [
        ("-", '  release: "2026.11.0"   # pinned on purpose'),
        ("+", '  release: "2026.11.1"   # pinned on purpose'),
        ("-", "      version: 1.0.0"),
        ("+", "      version: 1.0.1"),
    ]


def test_a_live_environment_edit_touches_only_the_edited_lines():
    text = (ROOT / "environments/live.yaml").read_text(encoding="utf-8")
    doc = load_document("environments/live.yaml", text)
    set_value(doc.data["spec"]["risk"], "max_daily_loss", 1400)
    assert changed_lines(text, doc.dump()) == [("-", "    max_daily_loss: 1500"), ("+", "    max_daily_loss: 1400")]


def test_unparseable_yaml_is_a_located_config_error():
    from quantmatrix.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        load_document("bad.yaml", "a: [1, 2\nb: 3\n")
    assert error.value.problems[0].file == "bad.yaml" and error.value.problems[0].line > 0
