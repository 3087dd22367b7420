"""Issue 7, "Output is inert": a value can neither escape its markdown code span, nor drive
the terminal, reorder a line, or forge a GitHub workflow command — in any format, wherever it
comes from (a message, a name, a file name, a CLI argument). And the loader refuses control
and bidi characters in manifests in the first place.

Markdown is checked with a real CommonMark parser (markdown-it-py, raw HTML enabled as on
GitHub), not by looking at the text.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta, WaiverRef
from quantmatrix.policy.formats import FORMATS
from quantmatrix.render.inert import escape_controls, inert, multiline, one_line
from quantmatrix.render.markdown import code_span, prose, table

RAW_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# Values that try to become markup: each must come out as code (or text) and nothing else.
MARKUP = [
    "``<img src=x onerror=alert(1)>``",
    "` **APPROVED** `",
    "```` @team please merge ````",
    "`",
    "a`b``c```d",
    "<img src=x>",
    "**APPROVED** by @security-team",
    "[click](https://evil.example) ![x](https://evil.example/x.png)",
    "<!-- qm-pr-summary -->",
    "a | b | c",
    "~~struck~~ _em_ __strong__",
    " padded ",
    "",
]
# Control and bidi characters, and what each must show as.
CONTROLS = {
    "\x1b]0;pwned\x07": "\\x1b]0;pwned\\x07",
    "\x1b[2J": "\\x1b[2J",
    "\u202e": "\\u202e",
    "\x00": "\\x00",
    "\x9b": "\\u009b",
    "\u2066": "\\u2066",
    "\r": "\\r",
    "\x7f": "\\u007f",
}


def commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def _html(markdown: str) -> str:
    return commonmark().render(markdown)


@pytest.mark.parametrize("value", MARKUP)
def test_a_code_span_renders_as_code_only(value: str) -> None:
    cell = code_span(value)
    tokens = commonmark().parseInline(cell)[0].children
    assert [t.type for t in tokens] == ["code_inline"], (cell, [t.type for t in tokens])
    shown = tokens[0].content
    if value.strip():
        # pipes stay escaped for the table cell the span is made for (GFM unescapes them there)
        assert shown.strip() == value.replace("<!--", "<\u200b!--").replace("|", "\\|").strip()


@pytest.mark.parametrize("value", MARKUP)
def test_a_code_span_in_a_table_stays_in_its_cell(value: str) -> None:
    html = _html("\n".join(table(["Field", "Value"], [[code_span(value), prose(value)]])))
    assert html.count("<td>") == 2 and html.count("<tr>") == 2, html
    assert (
        "<img" not in html and "<strong>" not in html and "<em>" not in html and "<a " not in html and "<s>" not in html
    )
    assert "<!-- qm-pr-summary" not in html


@pytest.mark.parametrize("value", MARKUP)
def test_prose_renders_as_plain_text(value: str) -> None:
    html = _html(prose(value))
    for tag in ("<img", "<strong>", "<em>", "<a ", "<code>", "<s>", "<!--"):
        assert tag not in html, (value, html)
    assert "@team" not in html and "@security-team" not in html  # mentions broken (zero-width space)


def test_the_fence_is_longer_than_any_backtick_run() -> None:
    assert code_span("a``b") == "```a``b```"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("plain") == "`plain`"


@pytest.mark.parametrize("raw,shown", CONTROLS.items())
def test_controls_and_bidi_are_shown_escaped(raw: str, shown: str) -> None:
    text = f"a{raw}b"
    for out in (one_line(text), escape_controls(text), multiline(text), inert(text)):
        assert RAW_UNSAFE.search(out) is None
        assert shown in out


def test_the_terminal_net_keeps_only_our_colour_codes() -> None:
    from quantmatrix.render.terminal import style

    styled = style("DENY \x1b[2J", "red")
    assert styled.startswith("\x1b[31m") and "\\x1b[2J" in styled
    assert inert(styled) == styled
    assert inert("\x1b]0;t\x07 \x1b[2J line\nnext\tcol") == "\\x1b]0;t\\x07 \\x1b[2J line\nnext\tcol"


# Every format of `qm check`, from a result holding hostile text everywhere ---------------------

HOSTILE = "x\x1b]0;pwned\x07 \x1b[2J \u202eevil\u202c NUL\x00 ``**APPROVED**`` @team <img src=x>\n::error::forged"
FORGED_FILE = "environments/a\n::error file=x::forged\u202e.yaml"


@pytest.fixture
def hostile_result() -> CheckResult:
    rule = RuleMeta(
        "QM-CFG-002", "No secret-looking strings" + HOSTILE, "deny", "§6", HOSTILE, "policies/configuration.rego", 3
    )
    warn = RuleMeta("QM-CFG-005", "Ceilings", "warn", "§6")
    waiver = WaiverRef(HOSTILE, HOSTILE, "2026-12-31", FORGED_FILE, 4)
    findings = (
        Finding(
            rule,
            HOSTILE,
            ("environments", "live\x1b[2J", "spec", HOSTILE),
            FORGED_FILE,
            3,
            5,
            "environment/live" + HOSTILE,
        ),
        Finding(warn, HOSTILE, ("environments", "paper"), "environments/paper.yaml", 1, 1, "environment/paper"),
    )
    waived = (Finding(warn, HOSTILE, ("environments", "local"), FORGED_FILE, 2, 1, "environment/local", waiver),)
    return CheckResult("main@\x1b[2J" + HOSTILE, "embedded", (rule, warn), findings, waived, modes={"live": "live"})


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_emits_a_raw_control_or_bidi_character(fmt: str, hostile_result: CheckResult) -> None:
    from quantmatrix.render.terminal import use_color  # noqa: F401 - the CLI writes through inert()

    out = FORMATS[fmt].render(hostile_result)
    shown = inert(out)  # what the CLI writes (terminal or --output file)
    assert RAW_UNSAFE.search(shown.replace("\x1b[", "")) is None if fmt == "text" else RAW_UNSAFE.search(shown) is None
    if fmt != "text":
        assert RAW_UNSAFE.search(out) is None, f"{fmt} renders a raw control character itself"


def test_github_annotations_cannot_be_forged(hostile_result: CheckResult) -> None:
    out = FORMATS["github"].render(hostile_result)
    lines = out.splitlines()
    assert len(lines) == 4  # 2 findings, 1 waived, the summary
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines[:3])
    assert not any(line.startswith("::error::forged") or line.startswith("::error file=x") for line in lines)
    props = lines[0].split("::")[1]
    assert "%0A" in props and "%3A" in props and "%2C" not in props.split("title=")[0].replace("file=", "")


def test_structured_formats_stay_valid(hostile_result: CheckResult) -> None:
    for fmt in ("json", "sarif"):
        doc = json.loads(inert(FORMATS[fmt].render(hostile_result)))
        assert "\\x1b" in json.dumps(doc) or "\\\\x1b" in json.dumps(doc)
    root = ET.fromstring(inert(FORMATS["junit"].render(hostile_result)).encode("utf-8"))
    assert root.tag == "testsuites"


def test_markdown_report_renders_no_markup_from_values(hostile_result: CheckResult) -> None:
    html = _html(FORMATS["markdown"].render(hostile_result))
    assert "<img" not in html and "<strong>APPROVED" not in html
    assert "@team" not in html.replace("<code>", "\0").split("\0")[0]
    assert RAW_UNSAFE.search(html) is None


# Through the CLI: file names, arguments, and the loader's refusal ------------------------------


def test_file_names_with_controls_are_escaped_everywhere(sample_repo: Path, qm) -> None:
    source = (sample_repo / "environments" / "local.yaml").read_text()
    (sample_repo / "environments" / "evil\x1b]0;pwned\x07.yaml").write_text(source)
    (sample_repo / "environments" / "a\n::error file=x::forged.yaml").write_text(source)
    for args in (
        ["validate", sample_repo],
        ["check", sample_repo, "--format", "github"],
        ["render", "local", sample_repo],
    ):
        code, out, err = qm(*args)
        assert code == 2, (args, err)
        both = out + err
        assert RAW_UNSAFE.search(both) is None, both
        assert not any(line.startswith("::error file=x") for line in both.splitlines()), both
        assert "evil\\x1b]0;pwned\\x07.yaml" in both and "a\\n::error file=x::forged.yaml" in both


def test_arguments_with_controls_are_escaped(sample_repo: Path, qm) -> None:
    code, out, err = qm("render", "\x1b]0;pwned\x07\u202e", sample_repo)
    assert code == 2
    assert RAW_UNSAFE.search(out + err) is None and "\\x1b]0;pwned\\x07\\u202e" in err
    code, out, err = qm("check", sample_repo, "--format", "\x1b[2J")
    assert code == 2 and RAW_UNSAFE.search(out + err) is None


@pytest.mark.parametrize(
    "line,what",
    [
        ('  description: "x\\e]0;pwned\\a"', "U+001B"),
        ('  description: "reversed \\u202e text"', "U+202E"),
        ('  description: "nul \\0 byte"', "U+0000"),
        ("  description: raw \u2066isolate\u2069 here", "U+2066"),
        ('  "na\\u202eme": 1', "U+202E"),
    ],
)
def test_the_loader_refuses_control_and_bidi_characters(line: str, what: str, sample_repo: Path, qm) -> None:
    env = sample_repo / "environments" / "paper.yaml"
    text = env.read_text(encoding="utf-8")
    start = text.index("  description:")
    end = text.index("\n", start)
    env.write_text(text[:start] + line + text[end:], encoding="utf-8")
    code, out, err = qm("validate", sample_repo)
    assert code == 2, err
    assert what in err and "environments/paper.yaml:" in err
    assert RAW_UNSAFE.search(out + err) is None


def test_newlines_and_tabs_in_values_are_still_allowed(sample_repo: Path, qm) -> None:
    env = sample_repo / "environments" / "paper.yaml"
    text = env.read_text(encoding="utf-8")
    start = text.index("  description:")
    end = text.index("\n", start)
    env.write_text(text[:start] + '  description: "two\\nlines\\tand a tab"' + text[end:], encoding="utf-8")
    code, _, err = qm("validate", sample_repo)
    assert code == 0, err


def test_diff_through_git_escapes_names(git_repo: Path, git, qm) -> None:
    """A hostile git ref name or a changed value in the diff: printed escaped."""
    env = git_repo / "environments" / "paper.yaml"
    env.write_text(env.read_text().replace("PAPER TRADING", "PAPER TRADING **APPROVED** @team ``x``"))
    code, out, err = qm("diff", git_repo, "--base", "main", "--format", "markdown", "--no-check")
    assert code == 0, err
    html = _html(out)
    assert "<strong>APPROVED" not in html and RAW_UNSAFE.search(out) is None
    assert "@team" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S)
