"""One YAML file → plain data + the position of every value, or located problems."""

from __future__ import annotations

import pytest

from quantmatrix.errors import ConfigError
from quantmatrix.repo.yamlfile import MAX_DEPTH, MAX_FILE_BYTES, MAX_PROBLEMS_PER_FILE, dotted, parse_yaml

DOC = b"""\
# a comment
apiVersion: quantmatrix.io/v1
spec:
  risk:
    max_daily_loss: 1500
  strategies:
    - name: a
      version: 1.4.2
    - {name: b, version: 2.0.1}
"""


def problems(raw: bytes) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("f.yaml", raw)
    return [str(p) for p in caught.value.problems]


def test_positions_of_keys_and_list_items() -> None:
    doc = parse_yaml("f.yaml", DOC)
    assert doc.position(("apiVersion",)) == (2, 1)
    assert doc.position(("spec", "risk", "max_daily_loss")) == (5, 5)
    assert doc.position(("spec", "strategies", 0)) == (7, 7)
    assert doc.position(("spec", "strategies", 0, "version")) == (8, 7)
    assert doc.position(("spec", "strategies", 1, "name")) == (9, 8)


def test_a_missing_path_falls_back_to_its_nearest_ancestor() -> None:
    doc = parse_yaml("f.yaml", DOC)
    assert doc.position(("spec", "risk", "not_there", "deeper")) == (4, 3)


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    doc = parse_yaml(
        "f.yaml",
        b"a: yes\nb: on\nc: true\nd: 2026-11-02\ne: 1.2\nf: 1.4.2\ng: 0x1F\nh: 0o17\ni: ~\nj:\n"
        b"k: '12'\nl: 1_000\nm: 1e3\nn: !!str 12\no: !!float 3\np: -7\nq: |\n  text\n",
    )
    assert doc.data == {
        "a": "yes",
        "b": "on",
        "c": True,
        "d": "2026-11-02",
        "e": 1.2,
        "f": "1.4.2",
        "g": 31,
        "h": 15,
        "i": None,
        "j": None,
        "k": "12",
        "l": "1_000",
        "m": 1000.0,
        "n": "12",
        "o": 3.0,
        "p": -7,
        "q": "text\n",
    }


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse_yaml("f.yaml", b"\xef\xbb\xbfa: 1\n").data == {"a": 1}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"a: 1\nb: [1, 2\nc: 3\n",
            "f.yaml:3:2: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence started at line 2)",
        ),
        (b"a: 1\nb: 2\na: 3\n", "f.yaml:3:1: a: duplicate key 'a' (first defined at line 1)"),
        (b"a:\n\tb: 1\n", "f.yaml:2:1: YAML syntax error: tab character: YAML indentation must use spaces"),
        (
            b"a: &x [1]\nb: *x\n",
            "f.yaml:1:4: a: anchors and aliases are not allowed (share values through the _base layer)",
        ),
        (
            b"a: {x: 1}\nb:\n  <<: {x: 2}\n",
            "f.yaml:3:3: b: merge keys (<<) are not allowed (share values through the _base layer)",
        ),
        (b"a: 1\n? [k]\n: v\n", "f.yaml:2:3: keys must be strings"),
        (b"a: !!binary aGVsbG8=\n", "f.yaml:1:4: a: unsupported YAML tag !!binary"),
        (b"a: !local {b: 1}\n", "f.yaml:1:4: a: unsupported YAML tag !local"),
        (b"a: !!set {b, c}\n", "f.yaml:1:4: a: unsupported YAML tag !!set"),
        (b"a: !!int one\n", "f.yaml:1:4: a: value does not match its tag !!int"),
        (b"a: 1\nb: .inf\n", "f.yaml:2:4: b: infinity and NaN are not allowed; write a finite number"),
        (b"a: 1\nb: .nan\n", "f.yaml:2:4: b: infinity and NaN are not allowed; write a finite number"),
        (b"a: 1\n---\nb: 2\n", "f.yaml:2:1: more than one YAML document; put one document per file"),
        (b"", "f.yaml:1:1: file is empty; expected a mapping with apiVersion, kind, metadata, spec"),
        (b"---\n", "f.yaml:1:1: file is empty; expected a mapping with apiVersion, kind, metadata, spec"),
        (b"# a list\n- a\n", "f.yaml:2:1: top level is a list; expected a mapping"),
        (b"just text\n", "f.yaml:1:1: top level is a scalar; expected a mapping"),
        (b"a: 1\nb: caf\xe9\n", "f.yaml:2:7: not valid UTF-8 (byte 0xe9)"),
        (b"a: 1\n\x00\x01\x02", "f.yaml:2:1: binary content (NUL bytes); expected a UTF-8 YAML file"),
        (
            b"a: 1\nb: \xc3\xa9\x1b[31m\n",
            "f.yaml:2:5: unacceptable character #x001b: control characters are not allowed",
        ),
    ],
)
def test_refused_input_is_located(raw: bytes, expected: str) -> None:
    assert problems(raw)[0] == expected


def test_nesting_is_refused_before_the_parser_goes_deep() -> None:
    # 500,000 levels would crash a recursive composer (segfault) and take minutes in libyaml
    raw = b"a: " + b"[" * 500_000 + b"]" * 500_000
    assert problems(raw) == [
        f"f.yaml:1:{4 + MAX_DEPTH - 1}: a" + "[0]" * (MAX_DEPTH - 2) + f": nesting deeper than {MAX_DEPTH} levels"
    ]


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1  # the root mapping is one level
    doc = parse_yaml("f.yaml", b"a: " + b"[" * depth + b"]" * depth)
    value = doc.data["a"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


def test_an_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = [b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]".encode())
    found = problems(b"\n".join(lines))
    assert found[0].startswith("f.yaml:1:4: a: anchors and aliases are not allowed")
    assert len(found) == MAX_PROBLEMS_PER_FILE + 1
    assert sum(p.endswith("too many problems; stopped reading this file") for p in found) == 1


def test_oversized_files_are_refused_at_the_line_that_crosses_the_limit() -> None:
    line = b"#" * 1023 + b"\n"
    assert problems(line * (MAX_FILE_BYTES // 1024 + 5)) == [
        f"f.yaml:{MAX_FILE_BYTES // 1024 + 1}:1: file is larger than the 1,048,576-byte (1 MiB) limit"
    ]


def test_a_file_of_exactly_the_limit_is_read() -> None:
    raw = b"a: 1\n" + b"#" * (MAX_FILE_BYTES - 6) + b"\n"
    assert len(raw) == MAX_FILE_BYTES
    assert parse_yaml("f.yaml", raw).data == {"a": 1}


def test_every_problem_in_a_file_is_reported() -> None:
    found = problems(b"a: 1\na: 2\nb: !!binary x\nc: .inf\n")
    assert [p.split(":")[1] for p in found] == ["2", "3", "4"]


def test_dotted_paths() -> None:
    assert dotted(("spec", "strategies", 2, "version")) == "spec.strategies[2].version"
    assert dotted(()) == ""
