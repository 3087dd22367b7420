"""Parse many YAML files at once: on two CPUs when the batch is large enough to pay for it.

Loading a large repository is mostly libyaml's event stream turned into Python objects, one
file after another on one CPU, while CI machines have two or more. For a batch of at least
`PARALLEL_MIN_BYTES`, a forked child parses the second half of the files and sends its
results back as one `marshal` blob (plain dicts, lists, tuples and scalars: the cheapest way
CPython copies them between processes) while this process parses the first half. The
results are the same, in the same order, as parsing file by file; problems keep their
locations.

Forking is used only where it is safe and cheap: Linux, two or more usable CPUs, and no
other thread in this process (a thread could hold a lock the child would then wait on
forever). Anything wrong with the child (fork refused, child killed or crashed, a short or
corrupt answer) only means this process parses that part itself, so a bug in the parser
surfaces here, with its traceback, as it would without a child.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.repo.yamlfile import YamlDocument, parse_yaml

# Below this many bytes of YAML the fork and the copy back cost more than they save (the
# sample repository is 20 KB; 250 synthetic environments are 1.5 MB).
PARALLEL_MIN_BYTES = 256 * 1024
# The share of the bytes this process parses itself (a half measured best on 1,000
# environments: the child's packing and this process's unpacking about cancel out).
OWN_SHARE = 0.5

Parsed = YamlDocument | list[Problem]


def parse_files(files: Sequence[tuple[str, bytes]], *, parallel: bool | None = None) -> list[Parsed]:
    """`parse_yaml` of every (file, contents), in order: the document, or its problems.

    `parallel`: None decides by size and platform; False never forks; True forks whenever
    the platform allows it (tests).
    """
    if parallel is None:
        parallel = sum(len(raw) for _, raw in files) >= PARALLEL_MIN_BYTES
    if not (parallel and len(files) >= 2 and _can_fork()):
        return [_parse(file, raw) for file, raw in files]
    split = _split(files)
    return _parse_forked(files[:split], files[split:])


def _parse(file: str, raw: bytes) -> Parsed:
    try:
        return parse_yaml(file, raw)
    except ConfigError as error:
        return list(error.problems)


def _can_fork() -> bool:
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False  # macOS and Windows: no fork without exec (system libraries object)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus >= 2 and threading.active_count() == 1


def _split(files: Sequence[tuple[str, bytes]]) -> int:
    """Index where the child's part starts: this process keeps `OWN_SHARE` of the bytes."""
    total, own = sum(len(raw) for _, raw in files), 0
    for index, (_, raw) in enumerate(files):
        own += len(raw)
        if own >= total * OWN_SHARE:
            return min(index + 1, len(files) - 1)
    return len(files) - 1


def _plain(parsed: Parsed) -> tuple[Any, ...]:
    """A result as marshal-able data."""
    if isinstance(parsed, YamlDocument):
        return (True, parsed.file, parsed.data, parsed.positions)
    return (False, [(p.file, p.line, p.col, p.path, p.message) for p in parsed])


def _unplain(plain: tuple[Any, ...]) -> Parsed:
    if plain[0]:
        return YamlDocument(plain[1], plain[2], plain[3])
    return [Problem(*fields) for fields in plain[1]]


def _parse_forked(own: Sequence[tuple[str, bytes]], theirs: Sequence[tuple[str, bytes]]) -> list[Parsed]:
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return [_parse(file, raw) for file, raw in (*own, *theirs)]
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return [_parse(file, raw) for file, raw in (*own, *theirs)]
    if pid == 0:  # the child: parse, send, exit without running the parent's exit handlers
        code = 1
        try:
            os.close(read_end)
            blob = marshal.dumps([_plain(_parse(file, raw)) for file, raw in theirs])
            view = memoryview(blob)
            while view:
                view = view[os.write(write_end, view) :]
            code = 0
        except BaseException:  # noqa: BLE001 - the parent parses this part again and reports
            pass
        finally:
            os._exit(code)
    os.close(write_end)
    finished = False
    try:
        results = [_parse(file, raw) for file, raw in own]
        chunks = []
        while chunk := os.read(read_end, 1 << 20):
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        finished = True
        answer = _answer(b"".join(chunks), status, len(theirs))
    finally:
        os.close(read_end)
        if not finished:  # interrupted while parsing: do not leave the child behind
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if answer is None:
        answer = [_parse(file, raw) for file, raw in theirs]
    return results + answer


def _answer(blob: bytes, status: int, expected: int) -> list[Parsed] | None:
    """The child's results, or None when it did not deliver all of them."""
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        plain = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(plain, list) or len(plain) != expected:
        return None
    return [_unplain(item) for item in plain]
