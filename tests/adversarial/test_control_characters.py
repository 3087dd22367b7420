"""Control, format and bidi characters are refused at load in every string value and key of
every YAML file (names included), at the line and column where they are written, whether
raw or as a double-quoted escape; TAB and LF stay legal inside values. Policy modules refuse
them too. The refused set is checked against the Unicode database."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "diff"))  # importlib mode: the shared helper
import gitrepo  # noqa: E402

from quantmatrix.repo.unsafe_text import UNSAFE_IN_NAME, UNSAFE_IN_VALUE, escape, first_unsafe  # noqa: E402

Qm = Callable[..., tuple[int, str, str]]
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def test_the_refused_set_is_every_control_format_surrogate_and_separator_character() -> None:
    every = "".join(map(chr, range(0x110000)))
    in_name = {m.start() for m in UNSAFE_IN_NAME.finditer(every)}
    in_value = {m.start() for m in UNSAFE_IN_VALUE.finditer(every)}
    expected = {code for code in range(0x110000) if unicodedata.category(every[code]) in REFUSED_CATEGORIES}
    extra = {f"U+{code:04X}" for code in in_name - expected if unicodedata.category(every[code]) != "Cn"}
    assert expected <= in_name and not extra  # newer Unicode's format characters are listed ahead: unassigned here
    assert in_value == in_name - {ord("\t"), ord("\n")}


@pytest.mark.parametrize("text", ["plain", "Zürich 東京 📈", "a\tb\nc", "über\ttab"])
def test_ordinary_text_passes(text: str) -> None:
    assert first_unsafe(text) == -1


@pytest.mark.parametrize(
    "text, at", [("a\x1bb", 1), ("ok\u202e", 2), ("\x00", 0), ("é\u200b", 1), ("x\r", 1), ("\x7f", 0), ("\x9b", 0)]
)
def test_refused_text_is_found_where_it_is(text: str, at: int) -> None:
    assert first_unsafe(text) == at
    assert escape(text).isprintable() and escape(text).isascii() or "é" in text


# (file, text to replace, replacement, what is refused, "value" or "key", column offset of
# the reported position inside the replacement: where the raw character is, or where the
# double-quoted scalar starts)
CASES = {
    "OSC title escape in a description": (
        "environments/paper.yaml",
        "description: Production-like",
        'description: "Production\\e]0;pwned\\a-like',
        "U+001B (ESC)",
        "value",
        13,
    ),
    "raw RLO in the banner": (
        "environments/paper.yaml",
        "banner: PAPER TRADING",
        "banner: PAPER \u202eGNIDART",
        "U+202E (RIGHT-TO-LEFT OVERRIDE)",
        "value",
        14,
    ),
    "NUL escape in the account": (
        "environments/paper.yaml",
        "account: PA-QM-0001",
        'account: "PA-QM-0001\\0"',
        "U+0000",
        "value",
        9,
    ),
    "CSI (C1) in a list item": (
        "releases/2026.11.1.yaml",
        "config: [Local scanner",
        'config: ["\\x9b2J", Local scanner',
        "U+009B",
        "value",
        9,
    ),
    "clear screen in a change": (
        "releases/2026.11.1.yaml",
        "risk: []",
        'risk: ["\\e[2J\\e[H all clear"]',
        "U+001B (ESC)",
        "value",
        7,
    ),
    "carriage return in a value": (
        "environments/paper.yaml",
        "account: PA-QM-0001",
        'account: "PA-QM-0002\\rPA-QM-0001"',
        "U+000D",
        "value",
        9,
    ),
    "DEL in a value": (
        "environments/paper.yaml",
        "account: PA-QM-0001",
        'account: "PA\\x7f"',
        "U+007F (DEL)",
        "value",
        9,
    ),
    "line separator escape": (
        "environments/paper.yaml",
        "account: PA-QM-0001",
        'account: "PA\\LQM"',
        "U+2028 (LINE SEPARATOR)",
        "value",
        9,
    ),
    "BOM inside a value": (
        "environments/paper.yaml",
        "account: PA-QM-0001",
        "account: PA-\ufeffQM-0001",
        "U+FEFF (ZERO WIDTH NO-BREAK SPACE)",
        "value",
        12,
    ),
    "tag characters": (
        "environments/paper.yaml",
        "account: PA-QM-0001",
        "account: PA-QM-0001\U000e0041\U000e0042",
        "U+E0041 (TAG LATIN CAPITAL LETTER A)",
        "value",
        19,
    ),
    "bidi isolate in a secret description": (
        "environments/secrets.yaml",
        "description: Alpaca paper account API key id.",
        "description: Alpaca \u2066paper\u2069 key id.",
        "U+2066 (LEFT-TO-RIGHT ISOLATE)",
        "value",
        20,
    ),
    "zero width space in a params key": (
        "environments/paper.yaml",
        "{lookback_minutes: 30,",
        "{look\u200bback_minutes: 30,",
        "U+200B (ZERO WIDTH SPACE)",
        "key",
        5,
    ),
    "tab in a label key": (
        "environments/paper.yaml",
        "  extends: _base\n",
        '  extends: _base\n  labels: {"team\\tx": a}\n',
        "U+0009 (TAB)",
        "key",
        28,
    ),
    "newline in a key": (
        "environments/paper.yaml",
        "  extends: _base\n",
        '  extends: _base\n  labels: {"a\\nb": a}\n',
        "U+000A (LINE FEED)",
        "key",
        28,
    ),
    "RLO in metadata.name": ("environments/paper.yaml", "name: paper", 'name: "pa\\u202eper"', "U+202E", "value", 6),
    "escape in a secret's name (a key)": (
        "environments/secrets.yaml",
        "    QM_LOCAL_REDIS_URL:",
        '    "QM_LOCAL_\\eREDIS_URL":',
        "U+001B (ESC)",
        "key",
        4,
    ),
}


def _line_col(text: str, replacement: str, offset: int) -> tuple[int, int]:
    at = text.index(replacement) + offset
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


@pytest.mark.parametrize("mode", ["worktree", "ref"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_character_is_an_error_at_its_line(qm: Qm, repo: gitrepo.GitRepo, case: str, mode: str) -> None:
    file, old, new, char, where, offset = CASES[case]
    repo.edit(file, old, new)
    line, col = _line_col(repo.read(file), new, offset)
    repo.commit(case)
    code, out, err = qm("validate", str(repo.root), *(("--ref", "HEAD") if mode == "ref" else ()))
    assert code == 2, out + err
    assert f"{file}:{line}:{col}: " in err and f"{char}" in err and f"is not allowed in a {where}" in err, err
    assert UNSAFE_IN_VALUE.search(out + err.replace("\n", "")) is None  # nothing raw reaches the terminal


@pytest.mark.parametrize(
    "file, old, new",
    [
        ("policies/settings.yaml", "\n", '\nnote: "\\e]8;;http://x\\a"\n'),
        (
            "policies/waivers.yaml",
            "waivers: []",
            'waivers:\n  - rule: QM-CFG-010\n    target: environment/paper\n    reason: "ok\\u202e"\n    approver: sam\n    expires: 2099-01-01',
        ),
    ],
)
def test_policy_side_yaml_refuses_them_too(qm: Qm, repo: gitrepo.GitRepo, file: str, old: str, new: str) -> None:
    text = repo.read(file)
    repo.write(file, text.replace(old, new, 1))
    code, out, err = qm("check", str(repo.root))
    assert (
        code in (1, 2) and f"{file}:" in out + err and "is not allowed in a value" in out + err
    )  # waivers: a QM-WAIVER-001 denial


def test_a_policy_module_with_a_bidi_override_is_refused(qm: Qm, repo: gitrepo.GitRepo) -> None:
    """ "Trojan Source": the rule reads differently from what it does."""
    text = "package qm.rules.acme\n\nimport rego.v1\n\ndeny contains f if {\n\tfalse\n\tf := {}\n}\n"
    repo.write("policies/acme.rego", text.replace("import rego.v1\n", "import rego.v1\n# \u202e } ⁦if (admin) ⁩ ⁦\n", 1))
    code, out, err = qm("check", str(repo.root))
    assert (
        code == 2 and "policies/acme.rego:4:3: U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed in a policy file" in err
    )


def test_tabs_newlines_and_letters_of_any_script_are_fine(qm: Qm, repo: gitrepo.GitRepo) -> None:
    repo.edit(
        "environments/paper.yaml",
        "  description: Production-like validation without real capital.\n",
        "  description: |\n    Zürich → 東京 📈 validation,\n    \tindented with a tab.\n  labels: {team: trading-ops}\n",
    )
    repo.edit("environments/paper.yaml", "banner: PAPER TRADING", 'banner: "PAPER\\tTRADING"')
    code, out, err = qm("validate", str(repo.root))
    assert code == 0, err
    code, out, err = qm("render", "paper", str(repo.root))
    assert "Zürich → 東京 📈" in out


def test_a_tag_decoding_to_an_escape_sequence_is_shown_escaped() -> None:
    from quantmatrix.errors import ConfigError
    from quantmatrix.repo.yamlfile import parse_yaml

    with pytest.raises(ConfigError) as error:
        parse_yaml("f.yaml", b"a: !<%1B]0;pwn%07> x\n")  # libyaml decodes %1B in a tag URI
    assert str(error.value) == "f.yaml:1:4: a: unsupported YAML tag \\x1b]0;pwn\\x07"
